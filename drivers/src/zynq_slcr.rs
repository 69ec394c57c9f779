//! Zynq-7000 System Level Control Registers (SLCR, 0xF800_0000): the clock
//! tree as the boot loader programmed it, and the system software reset.
//!
//! Registers and fields from the Zynq-7000 TRM (Xilinx UG585), chapter 25
//! "Clocks" and appendix B.28 "System Level Control Registers (slcr)".
//! The three PLLs multiply PS_CLK (33.333 MHz on the ZedBoard, ZC702 and
//! Zybo) by their feedback divider; the CPU clock is a PLL divided by
//! ARM_CLK_CTRL.DIVISOR (CPU_6x4x), and the other CPU clocks follow from it
//! in the 6:2:1 or 4:2:1 ratio CLK_621_TRUE selects. The A9 private and
//! global timers run at PERIPHCLK = CPU_3x2x = CPU_6x4x / 2; the TTCs at
//! CPU_1x; the UARTs at uart_ref_clk, a PLL divided by UART_CLK_CTRL.
//! [`derive`] is the pure computation, tested on the host.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

register_structs! {
    /// The SLCR registers this driver uses (UG585 B.28).
    pub SlcrRegisters {
        (0x000 => _scl),
        (0x004 => lock: WriteOnly<u32>),
        (0x008 => unlock: WriteOnly<u32>),
        (0x00C => locksta: ReadOnly<u32>),
        (0x010 => _reserved0),
        (0x100 => arm_pll_ctrl: ReadOnly<u32>),
        (0x104 => ddr_pll_ctrl: ReadOnly<u32>),
        (0x108 => io_pll_ctrl: ReadOnly<u32>),
        (0x10C => _reserved1),
        (0x120 => arm_clk_ctrl: ReadOnly<u32>),
        (0x124 => _reserved2),
        (0x154 => uart_clk_ctrl: ReadOnly<u32>),
        (0x158 => _reserved3),
        (0x1C4 => clk_621_true: ReadOnly<u32>),
        (0x1C8 => _reserved4),
        (0x200 => pss_rst_ctrl: ReadWrite<u32>),
        (0x204 => _reserved5),
        (0x25C => boot_mode: ReadOnly<u32>),
        (0x260 => _reserved6),
        (0x1000 => @END),
    }
}

/// SLCR_UNLOCK key (UG585 B.28).
pub const UNLOCK_KEY: u32 = 0xDF0D;
/// SLCR_LOCK key.
pub const LOCK_KEY: u32 = 0x767B;
/// PSS_RST_CTRL.SOFT_RST: resets the whole PS, as the reset button does.
pub const SOFT_RST: u32 = 1;

/// The raw clock registers [`derive`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockRegs {
    /// ARM_PLL_CTRL (0x100).
    pub arm_pll_ctrl: u32,
    /// DDR_PLL_CTRL (0x104).
    pub ddr_pll_ctrl: u32,
    /// IO_PLL_CTRL (0x108).
    pub io_pll_ctrl: u32,
    /// ARM_CLK_CTRL (0x120).
    pub arm_clk_ctrl: u32,
    /// UART_CLK_CTRL (0x154).
    pub uart_clk_ctrl: u32,
    /// CLK_621_TRUE (0x1C4).
    pub clk_621_true: u32,
    /// BOOT_MODE (0x25C): bit 4 is the PLL-bypass strap.
    pub boot_mode: u32,
}

impl ClockRegs {
    /// The registers as QEMU's `xilinx-zynq-a9` resets them
    /// (hw/misc/zynq_slcr.c `zynq_slcr_reset`), which is also the silicon's
    /// reset state before the FSBL runs (UG585 B.28 reset values).
    pub const QEMU_RESET: ClockRegs = ClockRegs {
        arm_pll_ctrl: 0x0001_A008,
        ddr_pll_ctrl: 0x0001_A008,
        io_pll_ctrl: 0x0001_A008,
        arm_clk_ctrl: 0x1F00_0400,
        uart_clk_ctrl: 0x0000_3F03,
        clk_621_true: 1,
        boot_mode: 1,
    };
}

/// The clocks that follow from the registers, in Hz.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clocks {
    /// ARM PLL output.
    pub arm_pll_hz: u64,
    /// DDR PLL output.
    pub ddr_pll_hz: u64,
    /// IO PLL output.
    pub io_pll_hz: u64,
    /// CPU_6x4x: the Cortex-A9 core clock.
    pub cpu_hz: u64,
    /// PERIPHCLK = CPU_3x2x = CPU_6x4x / 2: the A9 private and global
    /// timers and the watchdog.
    pub periph_hz: u64,
    /// CPU_1x: the TTCs (with their internal clock source).
    pub cpu_1x_hz: u64,
    /// uart_ref_clk.
    pub uart_ref_hz: u64,
    /// Whether CLK_621_TRUE selects 6:2:1 (else 4:2:1).
    pub ratio_621: bool,
}

/// Why the registers give no usable clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockError {
    /// A PLL the CPU or UART clock comes from is powered down.
    PllPoweredDown,
    /// A divider or PLL multiplier reads 0.
    ZeroDivisor,
}

const PLL_FDIV_SHIFT: u32 = 12;
const PLL_FDIV_MASK: u32 = 0x7F;
const PLL_BYPASS_FORCE: u32 = 1 << 4;
const PLL_BYPASS_QUAL: u32 = 1 << 3;
const PLL_PWRDWN: u32 = 1 << 1;
const BOOT_MODE_PLL_BYPASS: u32 = 1 << 4;

/// A PLL's output: PS_CLK when bypassed (forced, or by the boot strap
/// when BYPASS_QUAL says the strap decides), else PS_CLK x FDIV. `Ok(0)`
/// when powered down.
fn pll(ps_clk_hz: u64, ctrl: u32, boot_mode: u32) -> Result<u64, ClockError> {
    let bypass = ctrl & PLL_BYPASS_FORCE != 0
        || (ctrl & PLL_BYPASS_QUAL != 0 && boot_mode & BOOT_MODE_PLL_BYPASS != 0);
    if bypass {
        return Ok(ps_clk_hz);
    }
    if ctrl & PLL_PWRDWN != 0 {
        return Ok(0);
    }
    let fdiv = (ctrl >> PLL_FDIV_SHIFT) & PLL_FDIV_MASK;
    if fdiv == 0 {
        return Err(ClockError::ZeroDivisor);
    }
    Ok(ps_clk_hz * u64::from(fdiv))
}

/// A `*_CLK_CTRL` source and divisor: SRCSEL bits 5:4, DIVISOR bits 13:8.
fn divided(ctrl: u32, source: impl Fn(u32) -> u64) -> Result<u64, ClockError> {
    let div = (ctrl >> 8) & 0x3F;
    if div == 0 {
        return Err(ClockError::ZeroDivisor);
    }
    let hz = source((ctrl >> 4) & 3);
    if hz == 0 {
        return Err(ClockError::PllPoweredDown);
    }
    Ok(hz / u64::from(div))
}

/// Derives the clock tree from PS_CLK and the registers.
pub fn derive(ps_clk_hz: u32, r: &ClockRegs) -> Result<Clocks, ClockError> {
    let ps = u64::from(ps_clk_hz);
    let arm = pll(ps, r.arm_pll_ctrl, r.boot_mode)?;
    let ddr = pll(ps, r.ddr_pll_ctrl, r.boot_mode)?;
    let io = pll(ps, r.io_pll_ctrl, r.boot_mode)?;
    // ARM_CLK_CTRL.SRCSEL: 0x = ARM PLL, 10 = DDR PLL, 11 = IO PLL.
    let cpu = divided(r.arm_clk_ctrl, |sel| match sel {
        2 => ddr,
        3 => io,
        _ => arm,
    })?;
    // UART_CLK_CTRL.SRCSEL: 0x = IO PLL, 10 = ARM PLL, 11 = DDR PLL.
    let uart = divided(r.uart_clk_ctrl, |sel| match sel {
        2 => arm,
        3 => ddr,
        _ => io,
    })?;
    let ratio_621 = r.clk_621_true & 1 != 0;
    Ok(Clocks {
        arm_pll_hz: arm,
        ddr_pll_hz: ddr,
        io_pll_hz: io,
        cpu_hz: cpu,
        periph_hz: cpu / 2,
        cpu_1x_hz: cpu / if ratio_621 { 6 } else { 4 },
        uart_ref_hz: uart,
        ratio_621,
    })
}

/// The SLCR.
pub struct ZynqSlcr {
    regs: &'static SlcrRegisters,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes; sharing the driver between
// contexts is serialised by its owner.
unsafe impl Send for ZynqSlcr {}

impl ZynqSlcr {
    /// Creates the driver for the SLCR mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of the SLCR (4 KiB), mapped as
    /// device memory for as long as the driver lives.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps the SLCR.
        let regs = unsafe { &*(base as *const SlcrRegisters) };
        Self { regs }
    }

    /// Reads the clock registers.
    pub fn clock_regs(&self) -> ClockRegs {
        let r = self.regs;
        ClockRegs {
            arm_pll_ctrl: r.arm_pll_ctrl.get(),
            ddr_pll_ctrl: r.ddr_pll_ctrl.get(),
            io_pll_ctrl: r.io_pll_ctrl.get(),
            arm_clk_ctrl: r.arm_clk_ctrl.get(),
            uart_clk_ctrl: r.uart_clk_ctrl.get(),
            clk_621_true: r.clk_621_true.get(),
            boot_mode: r.boot_mode.get(),
        }
    }

    /// Resets the whole processing system: unlocks the SLCR and sets
    /// PSS_RST_CTRL.SOFT_RST. Returns only if the reset did not happen.
    pub fn soft_reset(&self) {
        self.regs.unlock.set(UNLOCK_KEY);
        self.regs.pss_rst_ctrl.set(SOFT_RST);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;

    const PS_CLK: u32 = 33_333_333;

    /// What the Xilinx-generated ps7_init for the ZedBoard and the ZC702
    /// (U-Boot board/xilinx/zynq/zynq-zed, zynq-zc702) leave in the
    /// registers: ARM PLL FDIV 40 (1333 MHz) / 2 = 667 MHz CPU, IO PLL
    /// FDIV 30 (1000 MHz), UART divisor 20 from the IO PLL, 6:2:1. Both
    /// boards program these same values.
    const ZEDBOARD_ZC702: ClockRegs = ClockRegs {
        arm_pll_ctrl: 0x0002_8008,
        ddr_pll_ctrl: 0x0002_0008,
        io_pll_ctrl: 0x0001_E008,
        arm_clk_ctrl: 0x1F00_0200,
        uart_clk_ctrl: 0x0000_1402,
        clk_621_true: 1,
        boot_mode: 0,
    };

    fn mhz(hz: u64) -> f64 {
        hz as f64 / 1e6
    }

    #[test]
    fn zedboard_and_zc702() {
        let c = derive(PS_CLK, &ZEDBOARD_ZC702).unwrap();
        assert_eq!(c.arm_pll_hz, 1_333_333_320);
        assert_eq!(c.io_pll_hz, 999_999_990);
        assert_eq!(c.ddr_pll_hz, 1_066_666_656);
        assert_eq!(c.cpu_hz, 666_666_660);
        assert_eq!(c.periph_hz, 333_333_330);
        assert_eq!(c.cpu_1x_hz, 111_111_110);
        assert_eq!(c.uart_ref_hz, 49_999_999);
        assert!(c.ratio_621);
        assert!((mhz(c.periph_hz) - 333.333).abs() < 0.01);
    }

    #[test]
    fn qemu_reset_values() {
        let c = derive(PS_CLK, &ClockRegs::QEMU_RESET).unwrap();
        // FDIV 26: 866.67 MHz; ARM_CLK_CTRL divisor 4: 216.67 MHz CPU.
        assert_eq!(c.arm_pll_hz, 866_666_658);
        assert_eq!(c.cpu_hz, 216_666_664);
        assert_eq!(c.periph_hz, 108_333_332);
        assert_eq!(c.cpu_1x_hz, 36_111_110);
        // UART_CLK_CTRL: IO PLL / 63.
        assert_eq!(c.uart_ref_hz, 13_756_613);
    }

    #[test]
    fn ratio_source_and_bypass() {
        let mut r = ZEDBOARD_ZC702;
        r.clk_621_true = 0;
        let c = derive(PS_CLK, &r).unwrap();
        assert_eq!(c.cpu_1x_hz, c.cpu_hz / 4);
        // CPU from the IO PLL (SRCSEL 11), divisor 2: 500 MHz.
        r.arm_clk_ctrl = 0x1F00_0230;
        assert_eq!(derive(PS_CLK, &r).unwrap().cpu_hz, 499_999_995);
        // The ARM PLL forced into bypass: the CPU runs at PS_CLK / 2.
        let mut r = ZEDBOARD_ZC702;
        r.arm_pll_ctrl |= PLL_BYPASS_FORCE;
        assert_eq!(derive(PS_CLK, &r).unwrap().cpu_hz, u64::from(PS_CLK) / 2);
        // Bypass by the boot strap only counts with BYPASS_QUAL set.
        let mut r = ZEDBOARD_ZC702;
        r.boot_mode = BOOT_MODE_PLL_BYPASS;
        assert_eq!(derive(PS_CLK, &r).unwrap().cpu_hz, u64::from(PS_CLK) / 2);
        r.arm_pll_ctrl &= !PLL_BYPASS_QUAL;
        assert_eq!(derive(PS_CLK, &r).unwrap().cpu_hz, 666_666_660);
    }

    #[test]
    fn unusable_registers_are_errors() {
        let mut r = ZEDBOARD_ZC702;
        r.arm_clk_ctrl &= !0x3F00;
        assert_eq!(derive(PS_CLK, &r), Err(ClockError::ZeroDivisor));
        let mut r = ZEDBOARD_ZC702;
        r.arm_pll_ctrl |= PLL_PWRDWN;
        assert_eq!(derive(PS_CLK, &r), Err(ClockError::PllPoweredDown));
        let mut r = ZEDBOARD_ZC702;
        r.io_pll_ctrl &= !(PLL_FDIV_MASK << PLL_FDIV_SHIFT);
        assert_eq!(derive(PS_CLK, &r), Err(ClockError::ZeroDivisor));
    }

    #[test]
    fn reads_registers_and_resets() {
        let f = Fake::new(0x1000);
        f.set(0x100, 0x0002_8008);
        f.set(0x120, 0x1F00_0200);
        f.set(0x154, 0x0000_1402);
        f.set(0x1C4, 1);
        // SAFETY: f is a host block the size of the SLCR.
        let slcr = unsafe { ZynqSlcr::new(f.base()) };
        let r = slcr.clock_regs();
        assert_eq!((r.arm_pll_ctrl, r.arm_clk_ctrl), (0x0002_8008, 0x1F00_0200));
        assert_eq!((r.uart_clk_ctrl, r.clk_621_true), (0x0000_1402, 1));
        slcr.soft_reset();
        assert_eq!(f.word(0x008), UNLOCK_KEY);
        assert_eq!(f.word(0x200), SOFT_RST);
    }
}
