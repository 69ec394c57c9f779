//! The board's hardware timer (an SP804, or a Zynq TTC counter) driven from
//! user space: what `timer_driver` and the demo's driver share.
//!
//! The kernel grants the registers (device 0 of the driver, one page) and
//! the interrupt line, and passes an `arg` made by the kernel's
//! `board::UserTimer::driver_arg`: `kind << 28 | ticks per period`, kind 0
//! an SP804, 1 a TTC; bit 29 is left to the program.

use drivers::cadence_ttc::CadenceTtc;
use drivers::sp804::Sp804;

/// A hardware timer interrupting periodically.
pub enum Timer {
    /// Timer 1 of an SP804.
    Sp804(Sp804),
    /// Counter 0 of a Cadence TTC.
    Ttc(CadenceTtc),
}

impl Timer {
    /// The driver for the timer `arg` names, at `regs` (the granted page),
    /// and its period in ticks.
    ///
    /// # Safety
    /// `regs` must map the timer's registers, and this must be their only
    /// driver.
    pub unsafe fn from_arg(regs: *mut u32, arg: u32) -> (Timer, u32) {
        let ticks = arg & 0x0FFF_FFFF;
        // SAFETY: the caller's promise.
        let timer = unsafe {
            match (arg >> 28) & 1 {
                0 => Timer::Sp804(Sp804::new(regs as usize)),
                _ => Timer::Ttc(CadenceTtc::new(regs as usize)),
            }
        };
        (timer, ticks)
    }

    /// Interrupts every `ticks` ticks until stopped; false if the timer
    /// cannot make that period.
    pub fn start(&self, ticks: u32) -> bool {
        match self {
            Timer::Sp804(t) => {
                t.start_periodic(ticks);
                true
            }
            Timer::Ttc(t) => t.start_periodic(ticks).is_some(),
        }
    }

    /// Clears the interrupt the driver has just been told of.
    ///
    /// The TTC's counter also restarts from 0 here, so the next period is
    /// counted from now: QEMU 7.2's model (hw/timer/cadence_ttc.c) rounds
    /// the counter down at every register access made in mid-period and
    /// can then re-arm its timer for "now" forever under `-icount` (the
    /// demo's `cargo xtask run`); a restart puts it back on a whole period.
    /// On silicon each period then starts at the clear: it is longer by
    /// the driver's latency, which a periodic sampler of a sensor can take.
    pub fn clear(&self) {
        match self {
            Timer::Sp804(t) => t.clear_interrupt(),
            Timer::Ttc(t) => {
                t.clear_interrupt();
                t.restart();
            }
        }
    }

    /// Stops it, with no interrupt left pending.
    pub fn stop(&self) {
        match self {
            Timer::Sp804(t) => {
                t.stop();
                t.clear_interrupt();
            }
            Timer::Ttc(t) => {
                t.stop();
                t.clear_interrupt();
            }
        }
    }
}
