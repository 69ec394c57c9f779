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
//! Three clocks differ between QEMU and silicon; the QEMU values are the
//! defaults, and a build for a real board changes the constants below (one
//! line each):
//!
//! - [`PERIPHCLK_HZ`], the A9 private and global timers' clock, from which
//!   `kernel::time` converts ticks to nanoseconds. QEMU's A9 timers tick
//!   every 10 ns on every board (hw/timer/arm_mptimer.c, a9gtimer.c), so
//!   100 MHz. On silicon PERIPHCLK is CPU_3x2x, half the CPU clock (UG585
//!   chapter 8, "Timers"): [`SILICON_PERIPHCLK_HZ`] for the usual 667 MHz part.
//! - [`UART_REF_CLK_HZ`], uart_ref_clk, from which the console's baud-rate
//!   divisors are computed. The FSBL (`ps7_init`) sets it from the hardware
//!   design: 100 MHz in many designs, 50 MHz in others (the BSP's
//!   `XPAR_PS7_UART_1_UART_CLK_FREQ_HZ` says which). QEMU derives its own
//!   from its SLCR model but sends `-serial` output at host speed whatever
//!   the divisors, so the value only matters on silicon.
//! - [`TTC_CLOCK_HZ`], the TTCs' clock: QEMU's model counts at 133 MHz
//!   (hw/timer/cadence_ttc.c); on silicon it is CPU_1x, a sixth of the CPU
//!   clock with the usual 6:2:1 ratio: [`SILICON_TTC_CLOCK_HZ`].

use super::{Board, Ttc, Uart, UartKind};

/// PERIPHCLK under QEMU: its A9 timers tick every 10 ns.
pub const QEMU_PERIPHCLK_HZ: u32 = 100_000_000;

/// PERIPHCLK on a Zynq-7000 running its CPUs at 667 MHz (speed grade -1,
/// the ZedBoard, ZC702 and Zybo): CPU_3x2x = 666.67 MHz / 2. Use 383.3 MHz
/// for a 767 MHz (-2) part and 433.3 MHz for an 866 MHz (-3) part.
pub const SILICON_PERIPHCLK_HZ: u32 = 333_333_333;

/// The PERIPHCLK this build assumes. For a real board, set it to
/// [`SILICON_PERIPHCLK_HZ`] (or the CPU_3x2x of your part).
pub const PERIPHCLK_HZ: u32 = QEMU_PERIPHCLK_HZ;

/// uart_ref_clk as the FSBL of a typical hardware design sets it. Change it
/// to your design's `XPAR_PS7_UART_1_UART_CLK_FREQ_HZ` if that differs.
pub const UART_REF_CLK_HZ: u32 = 100_000_000;

/// The TTC clock under QEMU.
pub const QEMU_TTC_CLOCK_HZ: u32 = 133_000_000;

/// CPU_1x on a Zynq-7000 running its CPUs at 667 MHz in 6:2:1 mode.
pub const SILICON_TTC_CLOCK_HZ: u32 = 111_111_111;

/// The TTC clock this build assumes. For a real board, set it to
/// [`SILICON_TTC_CLOCK_HZ`] (or the CPU_1x of your part).
pub const TTC_CLOCK_HZ: u32 = QEMU_TTC_CLOCK_HZ;

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
    periph_clock_hz: PERIPHCLK_HZ,
    sp804: None,
    ttc: Some(Ttc {
        base: 0xF800_1000,
        irq: 42,
        clock_hz: TTC_CLOCK_HZ,
    }),
    // None: every MiB of Zynq PS peripherals holds several devices
    // (0xE000_0000: the UARTs, USB, I2C, SPI, CAN, GPIO; 0xF800_0000: the
    // SLCR, the TTCs, the DMA and DDR controllers, ...). A hard process
    // reaches them through a driver process.
    device_sections: &[],
};
