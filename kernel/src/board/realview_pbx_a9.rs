//! ARM RealView Platform Baseboard Explore for Cortex-A9 (QEMU
//! `realview-pbx-a9`).
//!
//! Addresses from QEMU hw/arm/realview.c (board type `BOARD_PBX_A9`) and the
//! RealView PBX-A9 user guide (ARM DUI 0440): baseboard peripherals at
//! 0x1000_0000, the MPCore private region (PERIPHBASE, QEMU's `reset-cbar`)
//! at 0x1F00_0000, and SDRAM at 0x7000_0000 whose first 256 MiB also appear
//! at physical 0.
//!
//! - RAM: the kernel runs in the low alias at 0. QEMU maps
//!   `min(RAM, 256 MiB)` there (and all of it at 0x7000_0000), so the board
//!   declares 256 MiB at 0. With RAM at physical 0 the boot stub's identity
//!   map covers virtual 0..256 MiB until `kernel_entry` removes it, before
//!   anything can dereference a low address.
//! - Console: UART0, a PL011 at 0x1000_9000 on GIC SPI 12 (ID 44), the
//!   first `-serial`. Its UARTCLK is the baseboard's 24 MHz reference.
//! - SP804: Timer 0+1 at 0x1001_1000 on SPI 4 (ID 36); QEMU clocks it at
//!   1 MHz (the `sp804` model's default, the baseboard's TIMCLK).
//! - PERIPHCLK: QEMU's A9 private and global timers count one tick every
//!   10 ns (hw/timer/arm_mptimer.c `timerblock_scale`, hw/timer/a9gtimer.c
//!   `a9_gtimer_get_conv`: `(prescaler + 1) * 10` ns) whatever the board,
//!   hence 100 MHz. On a real PBX-A9 PERIPHCLK is the core tile's CPU clock
//!   divided by the PERIPHCLK ratio the tile's clock configuration sets;
//!   this kernel has only been run on QEMU's model of the board.

use super::{
    Board, CheckClock, ClockTree, DeviceSection, FatalEnd, L2Cache, Sp804, SystemReset, Uart,
    UartKind,
};

/// The system registers (SYS_ID, SYS_24MHZ, the reset controls).
pub const SYSREGS: u32 = 0x1000_0000;

/// The board description.
pub const BOARD: Board = Board {
    name: "realview-pbx-a9",
    qemu_machine: "realview-pbx-a9",
    qemu_serial_index: 0,
    ram_base: 0,
    ram_size: 256 << 20,
    console: Uart {
        kind: UartKind::Pl011,
        base: 0x1000_9000,
        irq: 32 + 12,
        clock_hz: 24_000_000,
    },
    console_baud: 115_200,
    periph_base: 0x1F00_0000,
    periph_clock_hz: 100_000_000,
    sp804: Some(Sp804 {
        base: 0x1001_1000,
        irq: 32 + 4,
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
        base: 0x1F00_2000,
        aux_set: 0,
        aux_keep: !0,
        latencies: None,
        hard_ways: 0,
    }),
    reset: Some(SystemReset::RealviewResetCtl { sysregs: SYSREGS }),
    fatal_end: FatalEnd::Reset,
};
