//! Xilinx Zynq-7000 (QEMU `xilinx-zynq-a9`; ZedBoard, ZC702, Zybo and
//! other Zynq-7000 boards).
//!
//! Addresses from QEMU hw/arm/xilinx_zynq.c and the Zynq-7000 Technical
//! Reference Manual (Xilinx UG585, chapter 4 "System Addresses" and
//! appendix B):
//!
//! - RAM: DDR at physical 0 (QEMU maps `-m` bytes there, at most 2 GiB).
//!   The kernel's linear map holds at most 512 MiB, so the board declares
//!   512 MiB: all of a ZedBoard's or Zybo's DDR, the first half of a
//!   ZC702's 1 GiB. With RAM at physical 0 the boot stub's identity map
//!   covers virtual 0..512 MiB until `kernel_entry` removes it, before
//!   anything can dereference a low address. On silicon the first MiB is
//!   DDR only once U-Boot (or equivalent code) has mapped the OCM high and
//!   set the SCU filter start to 0; see README "Running on a Zynq board".
//! - Console: UART1 at 0xE000_1000 (GIC SPI 50, ID 82), the USB-UART of the
//!   ZedBoard, ZC702 and Zybo, at 115200 baud. UART0 is at 0xE000_0000 (ID
//!   59). QEMU connects the first `-serial` to UART0 and the second to
//!   UART1, so the console is `-serial` index 1.
//! - PERIPHBASE: 0xF8F0_0000 (UG585 chapter 4; QEMU's `MPCORE_PERIPHBASE`).
//! - No SP804, but two Cadence triple timer counters: TTC0 at 0xF800_1000
//!   (IDs 42-44), the hardware timer `irq_semaphore` tests with, and TTC1
//!   at 0xF800_2000 (IDs 69-71).
//!
//! - SLCR at 0xF800_0000: the clock tree and the system reset. PS_CLK,
//!   the crystal the PLLs multiply, is 33.333 MHz on the ZedBoard, ZC702 and
//!   Zybo ([`PS_CLK_HZ`]; change it for a board with another crystal).
//! - L2C-310 (PL310) L2 cache controller at PERIPHBASE + 0x2000
//!   (UG585 table 4-1, 0xF8F0_2000; QEMU models one there too).
//!
//! Clocks on silicon come from the SLCR at boot (`kernel::clocks`): the
//! FSBL sets the PLLs and dividers from the hardware design, so the kernel
//! reads ARM_PLL_CTRL, ARM_CLK_CTRL, CLK_621_TRUE and UART_CLK_CTRL and
//! derives PERIPHCLK (CPU_6x4x / 2), the TTC clock (CPU_1x) and
//! uart_ref_clk. The fixed values below are QEMU's, which an image built
//! for QEMU uses (its A9 timers tick every 10 ns and its TTC counts at
//! 133 MHz whatever the SLCR says: hw/timer/arm_mptimer.c, cadence_ttc.c),
//! and the console's first baud divisors before the SLCR is read: the
//! 50 MHz uart_ref_clk of the ZedBoard's and ZC702's ps7_init.

use super::{Board, CheckClock, ClockTree, FatalEnd, L2Cache, SystemReset, Ttc, Uart, UartKind};

/// PERIPHCLK under QEMU: its A9 timers tick every 10 ns.
pub const QEMU_PERIPHCLK_HZ: u32 = 100_000_000;

/// The TTC clock under QEMU.
pub const QEMU_TTC_CLOCK_HZ: u32 = 133_000_000;

/// uart_ref_clk as the ZedBoard's and ZC702's ps7_init set it (IO PLL
/// 1000 MHz / 20): the console's divisors until the SLCR has been read.
pub const UART_REF_CLK_HZ: u32 = 50_000_000;

/// PS_CLK of the ZedBoard, ZC702 and Zybo.
pub const PS_CLK_HZ: u32 = 33_333_333;

/// Physical base of the SLCR.
pub const SLCR: u32 = 0xF800_0000;

/// The board description.
pub const BOARD: Board = Board {
    name: "xilinx-zynq-a9",
    qemu_machine: "xilinx-zynq-a9",
    qemu_serial_index: 1,
    ram_base: 0,
    ram_size: 512 << 20,
    console: Uart {
        kind: UartKind::Cadence,
        base: 0xE000_1000,
        irq: 82,
        clock_hz: UART_REF_CLK_HZ,
    },
    console_baud: 115_200,
    periph_base: 0xF8F0_0000,
    periph_clock_hz: QEMU_PERIPHCLK_HZ,
    sp804: None,
    ttc: Some(Ttc {
        base: 0xF800_1000,
        irq: 42,
        clock_hz: QEMU_TTC_CLOCK_HZ,
    }),
    // None: every MiB of Zynq PS peripherals holds several devices
    // (0xE000_0000: the UARTs, USB, I2C, SPI, CAN, GPIO; 0xF800_0000: the
    // SLCR, the TTCs, the DMA and DDR controllers, ...). A hard process
    // reaches them through a driver process.
    device_sections: &[],
    clock_tree: ClockTree::ZynqSlcr {
        slcr: SLCR,
        ps_clk_hz: PS_CLK_HZ,
    },
    // TTC1: TTC0 is the tests' interrupt source.
    check_clock: Some(CheckClock::TtcCounter { base: 0xF800_2000 }),
    // Xilinx's AUX_CTRL default 0x7236_0000 (prefetch on, 64 KiB ways,
    // 8 ways, parity, event bus) plus Shared Attribute Override (bit 22),
    // which Zynq needs; RAM latencies 0x111 / 0x121 as Xilinx's boot code
    // and Linux's zynq-7000.dtsi set them.
    l2_cache: Some(L2Cache {
        base: 0xF8F0_2000,
        aux_set: 0x7276_0000,
        aux_keep: 0,
        latencies: Some((0x111, 0x121)),
        hard_ways: 0,
    }),
    reset: Some(SystemReset::ZynqSlcr { slcr: SLCR }),
    fatal_end: FatalEnd::Reset,
};
