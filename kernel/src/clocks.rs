//! The clock rates the kernel runs by, and the boot's check of them.
//!
//! On boards whose clocks are fixed (QEMU's models, the board file's
//! `ClockTree::Fixed`) the rates are the board file's. On Zynq-7000 they
//! come from the SLCR at boot (`ClockTree::ZynqSlcr`): the FSBL programmed
//! the PLLs and dividers from the hardware design, and a constant in a
//! board file would silently be wrong for another design or speed grade.
//! An image built for QEMU still derives and prints the SLCR's clocks but
//! runs by the fixed ones: QEMU's timers tick at fixed rates whatever its
//! SLCR model holds.
//!
//! After the clock starts, the boot measures the A9 global timer against a
//! second clock source of the board (the 24 MHz counter of the Versatile
//! Express / RealView system registers, or a Zynq TTC) and warns if they
//! disagree by more than [`TOLERANCE_PPM`].

use crate::board::Board;

/// The rates the kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rates {
    /// PERIPHCLK: the A9 private and global timers and the watchdog.
    pub periph_hz: u32,
    /// The board's TTC clock, if it has one.
    pub ttc_hz: Option<u32>,
    /// The console UART's reference clock.
    pub uart_hz: u32,
}

impl Rates {
    /// The board file's values.
    pub const fn fixed(board: &Board) -> Rates {
        Rates {
            periph_hz: board.periph_clock_hz,
            ttc_hz: match board.ttc {
                Some(t) => Some(t.clock_hz),
                None => None,
            },
            uart_hz: board.console.clock_hz,
        }
    }

    /// The rates a Zynq's derived clock tree gives.
    pub fn from_zynq(board: &Board, c: &drivers::zynq_slcr::Clocks) -> Rates {
        let hz = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Rates {
            periph_hz: hz(c.periph_hz),
            ttc_hz: board.ttc.map(|_| hz(c.cpu_1x_hz)),
            uart_hz: hz(c.uart_ref_hz),
        }
    }
}

/// Largest disagreement between the two clocks that passes: 1 %.
pub const TOLERANCE_PPM: i64 = 10_000;

/// By how many parts per million `measured` differs from `expected`
/// (positive: the second clock ran fast against the A9 timer).
pub fn deviation_ppm(expected: u64, measured: u64) -> i64 {
    if expected == 0 {
        return i64::MAX;
    }
    ((i128::from(measured) - i128::from(expected)) * 1_000_000 / i128::from(expected)) as i64
}

/// Hz as "MHz with three decimals", for the boot log.
pub struct Mhz(pub u64);

impl core::fmt::Display for Mhz {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{:03} MHz", self.0 / 1_000_000, self.0 / 1000 % 1000)
    }
}

#[cfg(target_os = "none")]
pub use target::*;

#[cfg(target_os = "none")]
mod target {
    use super::{Mhz, Rates, TOLERANCE_PPM, deviation_ppm};
    use crate::board::{CheckClock, ClockTree};
    use crate::{BOARD, println};
    use drivers::zynq_slcr::{self, ZynqSlcr};

    static RATES: spin::Once<Rates> = spin::Once::new();
    static CHECK_PPM: spin::Once<i64> = spin::Once::new();

    /// What the boot's cross-check measured: parts per million between the
    /// A9 timer and the second clock (`None`: no check was made).
    pub fn last_check_ppm() -> Option<i64> {
        CHECK_PPM.get().copied()
    }

    /// The rates in force (the board file's until [`init`]).
    pub fn rates() -> Rates {
        RATES.get().copied().unwrap_or(Rates::fixed(BOARD))
    }

    /// PERIPHCLK in Hz.
    pub fn periph_hz() -> u32 {
        rates().periph_hz
    }

    /// Learns the clocks (boot, after `mm::init`, before `time::init`) and
    /// prints them; re-clocks the console if its reference clock is not
    /// what the early console assumed.
    pub fn init() {
        let fixed = Rates::fixed(BOARD);
        let rates = match BOARD.clock_tree {
            ClockTree::Fixed => {
                println!(
                    "clocks: fixed (board file): PERIPHCLK {}, UART reference {}",
                    Mhz(fixed.periph_hz.into()),
                    Mhz(fixed.uart_hz.into())
                );
                fixed
            }
            ClockTree::ZynqSlcr { slcr, ps_clk_hz } => {
                let va = crate::mm::ioremap(slcr, 0x1000).expect("ioremap SLCR");
                // SAFETY: va maps the SLCR; this driver only reads it.
                let regs = unsafe { ZynqSlcr::new(va) }.clock_regs();
                match zynq_slcr::derive(ps_clk_hz, &regs) {
                    Ok(c) => {
                        println!(
                            "clocks (SLCR, PS_CLK {}): ARM PLL {}, IO PLL {}, CPU {}, {}",
                            Mhz(ps_clk_hz.into()),
                            Mhz(c.arm_pll_hz),
                            Mhz(c.io_pll_hz),
                            Mhz(c.cpu_hz),
                            if c.ratio_621 { "6:2:1" } else { "4:2:1" }
                        );
                        println!(
                            "clocks (SLCR): PERIPHCLK {}, CPU_1x (TTC) {}, uart_ref_clk {}",
                            Mhz(c.periph_hz),
                            Mhz(c.cpu_1x_hz),
                            Mhz(c.uart_ref_hz)
                        );
                        if cfg!(feature = "qemu") {
                            println!(
                                "clocks: QEMU image: running by QEMU's fixed clocks \
                                 (PERIPHCLK {}), not the SLCR's",
                                Mhz(fixed.periph_hz.into())
                            );
                            fixed
                        } else {
                            Rates::from_zynq(BOARD, &c)
                        }
                    }
                    Err(e) => {
                        println!(
                            "clocks: WARNING: the SLCR gives no usable clock ({e:?}): \
                             running by the board file's"
                        );
                        fixed
                    }
                }
            }
        };
        if rates.uart_hz != BOARD.console.clock_hz {
            crate::console::set_uart_clock(rates.uart_hz);
        }
        RATES.call_once(|| rates);
    }

    /// Measures the A9 global timer against the board's second clock over
    /// about 200 us and warns if they disagree by more than 1 %. Boot,
    /// after `time::init`.
    pub fn cross_check() {
        let Some(check) = BOARD.check_clock else {
            println!("clocks: no second clock on this board to check the A9 timer against");
            return;
        };
        let periph = u64::from(periph_hz());
        let mut ttc: Option<drivers::cadence_ttc::CadenceTtc> = None;
        let (name, hz, mask, read): (_, u64, u64, &dyn Fn() -> u32) = match check {
            CheckClock::Sysregs24Mhz { sysregs } => {
                let Ok(va) = crate::mm::ioremap(sysregs, 0x1000) else {
                    return;
                };
                // SAFETY: va maps the system registers; only read here.
                let s = unsafe { drivers::versatile_sysregs::SysRegs::new(va) };
                (
                    "the 24 MHz counter",
                    drivers::versatile_sysregs::COUNTER_HZ.into(),
                    u64::from(u32::MAX),
                    &move || s.counter_24mhz(),
                )
            }
            CheckClock::TtcCounter { .. } if cfg!(feature = "qemu") => {
                // Measured under QEMU 7.2: once a TTC counter has been
                // started this way (any mode, stopped again or not), the
                // machine stops responding some 100 ms later under
                // -icount. A QEMU image runs by QEMU's exact fixed clocks
                // anyway; board images (`board_panic_resets`) do check.
                println!(
                    "clocks: TTC cross-check skipped in a QEMU image (QEMU's TTC model stalls)"
                );
                return;
            }
            CheckClock::TtcCounter { base } => {
                let Some(hz) = rates().ttc_hz else { return };
                let Ok(va) = crate::mm::ioremap(base, 0x1000) else {
                    return;
                };
                // SAFETY: va maps a TTC that nothing else uses (the board
                // file names it for this check).
                let t = &*ttc.insert(unsafe { drivers::cadence_ttc::CadenceTtc::new(va) });
                t.start_free_running();
                ("the TTC", hz.into(), 0xFFFF, &move || u32::from(t.value()))
            }
        };
        // 200 us: within the 16-bit TTC's wrap at up to 300 MHz.
        let window = periph / 5000;
        let (t0, s0) = (crate::time::ticks(), read());
        while crate::time::ticks() - t0 < window {}
        let (s1, t1) = (read(), crate::time::ticks());
        if let Some(t) = &ttc {
            t.stop();
        }
        let expected = (t1 - t0) * hz / periph;
        let measured = u64::from(s1.wrapping_sub(s0)) & mask;
        let ppm = deviation_ppm(expected, measured);
        CHECK_PPM.call_once(|| ppm);
        let sign = if ppm < 0 { "-" } else { "+" };
        println!(
            "clocks: A9 global timer vs {name} ({}): {sign}{}.{:02} % over {} us",
            Mhz(hz),
            ppm.unsigned_abs() / 10_000,
            ppm.unsigned_abs() / 100 % 100,
            (t1 - t0) * 1_000_000 / periph
        );
        if ppm.abs() > TOLERANCE_PPM {
            println!(
                "clocks: WARNING: the A9 timer and {name} disagree by more than 1 %: \
                 every period and sleep will be off"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::by_name;
    use drivers::zynq_slcr::{ClockRegs, derive};

    #[test]
    fn deviation() {
        assert_eq!(deviation_ppm(24_000, 24_000), 0);
        assert_eq!(deviation_ppm(24_000, 24_240), 10_000);
        assert_eq!(deviation_ppm(24_000, 23_760), -10_000);
        assert_eq!(deviation_ppm(0, 5), i64::MAX);
        // A 100 MHz timer taken for 108.33 MHz (QEMU's A9 timers against
        // the SLCR's reset clocks): 8 % off, well past the tolerance.
        assert!(deviation_ppm(100_000, 108_333).abs() > TOLERANCE_PPM);
    }

    #[test]
    fn zynq_rates_from_the_slcr() {
        let zynq = by_name("xilinx-zynq-a9").unwrap();
        let c = derive(33_333_333, &ClockRegs::QEMU_RESET).unwrap();
        let r = Rates::from_zynq(zynq, &c);
        assert_eq!(r.periph_hz, 108_333_332);
        assert_eq!(r.ttc_hz, Some(36_111_110));
        assert_eq!(r.uart_hz, 13_756_613);
        let fixed = Rates::fixed(zynq);
        assert_eq!(
            (fixed.periph_hz, fixed.ttc_hz),
            (100_000_000, Some(133_000_000))
        );
    }

    #[test]
    fn mhz_display() {
        assert_eq!(format!("{}", Mhz(333_333_330)), "333.333 MHz");
        assert_eq!(format!("{}", Mhz(24_000_000)), "24.000 MHz");
    }
}
