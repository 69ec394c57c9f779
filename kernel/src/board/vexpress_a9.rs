//! ARM Versatile Express with a CoreTile Express A9x4 (QEMU `vexpress-a9`).
//!
//! Addresses from the "legacy" Versatile Express memory map used by the A9
//! daughterboard (QEMU hw/arm/vexpress.c, ARM DUI 0447): RAM at 0x6000_0000,
//! motherboard peripherals at 0x1000_0000, the MPCore private region at
//! 0x1E00_0000.

use super::{
    Board, CheckClock, ClockTree, DeviceSection, FatalEnd, L2Cache, Sp804, SystemReset, Uart,
    UartKind,
};

/// The system registers (SYS_ID, SYS_24MHZ, the reset controls).
pub const SYSREGS: u32 = 0x1000_0000;

/// The board description.
pub const BOARD: Board = Board {
    name: "vexpress-a9",
    qemu_machine: "vexpress-a9",
    qemu_serial_index: 0,
    ram_base: 0x6000_0000,
    ram_size: 256 << 20,
    console: Uart {
        kind: UartKind::Pl011,
        base: 0x1000_9000,
        irq: 32 + 5,
        clock_hz: 24_000_000,
    },
    console_baud: 115_200,
    periph_base: 0x1E00_0000,
    periph_clock_hz: 100_000_000,
    sp804: Some(Sp804 {
        base: 0x1001_1000,
        irq: 32 + 2,
        clock_hz: 1_000_000,
    }),
    ttc: None,
    device_sections: &[DeviceSection {
        name: "LAN9118 Ethernet (static memory chip select 3, 16 MiB of its own)",
        base: 0x4E00_0000,
    }],
    clock_tree: ClockTree::Fixed,
    check_clock: Some(CheckClock::Sysregs24Mhz { sysregs: SYSREGS }),
    // The reset AUX_CTRL and latencies (the board's boot monitor sets
    // them on hardware; QEMU models only the register file).
    l2_cache: Some(L2Cache {
        base: 0x1E00_A000,
        aux_set: 0,
        aux_keep: !0,
        latencies: None,
        hard_ways: 0,
    }),
    reset: Some(SystemReset::VexpressCfg { sysregs: SYSREGS }),
    fatal_end: FatalEnd::Reset,
};
