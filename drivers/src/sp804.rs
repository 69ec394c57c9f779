//! ARM Dual-Timer Module (SP804), for boards without the Cortex-A9 timers.
//!
//! Register map and bits from the ARM Dual-Timer Module (SP804) Technical
//! Reference Manual (ARM DDI 0271), chapter 3 "Programmer's Model". The driver
//! runs timer 1 of the pair as a 32-bit down-counter with the prescaler at 1,
//! so one tick is one TIMCLK cycle (enabled by TIMCLKEN); the board supplies
//! the frequency. Timer 2 has the same registers 0x20 bytes further on.

use tock_registers::fields::FieldValue;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    /// Timer1Control register (TRM 3.3.3).
    CONTROL [
        /// Counter running.
        TIMER_EN OFFSET(7) NUMBITS(1) [],
        /// Free-running (wraps to the maximum) or periodic (reloads TimerXLoad).
        TIMER_MODE OFFSET(6) NUMBITS(1) [FreeRunning = 0, Periodic = 1],
        /// Drive the interrupt output from the raw interrupt.
        INT_ENABLE OFFSET(5) NUMBITS(1) [],
        /// Prescale TIMCLK by 1, 16 or 256.
        TIMER_PRE OFFSET(2) NUMBITS(2) [Div1 = 0b00, Div16 = 0b01, Div256 = 0b10],
        /// 16- or 32-bit counter.
        TIMER_SIZE OFFSET(1) NUMBITS(1) [Bits16 = 0, Bits32 = 1],
        /// Stop on reaching zero instead of wrapping or reloading.
        ONE_SHOT OFFSET(0) NUMBITS(1) []
    ],
    /// Timer1RIS register (TRM 3.3.5).
    RIS [
        /// The counter reached zero since the interrupt was last cleared.
        RAW_INT OFFSET(0) NUMBITS(1) []
    ]
];

register_structs! {
    /// SP804 timer 1 register block (TRM table 3-1, offsets 0x00-0x1C).
    pub Sp804Registers {
        (0x00 => load: ReadWrite<u32>),
        (0x04 => value: ReadOnly<u32>),
        (0x08 => control: ReadWrite<u32, CONTROL::Register>),
        (0x0C => int_clr: WriteOnly<u32>),
        (0x10 => ris: ReadOnly<u32, RIS::Register>),
        (0x14 => _reserved0),
        (0x20 => @END),
    }
}

/// Timer 1 of an SP804 dual timer.
pub struct Sp804 {
    regs: &'static Sp804Registers,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes; sharing the driver between
// contexts is serialised by its owner.
unsafe impl Send for Sp804 {}

impl Sp804 {
    /// Creates the driver for the timer registers mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of an SP804's registers (or of its
    /// timer 2, at +0x20), mapped as device memory for as long as the driver
    /// lives, and this must be the only driver instance for that timer.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps an SP804 timer.
        let regs = unsafe { &*(base as *const Sp804Registers) };
        Self { regs }
    }

    /// Interrupts once, `ticks` ticks from now, then stops. A `ticks` of 0 is
    /// taken as 1 (the TRM's minimum Load value).
    pub fn start_oneshot(&self, ticks: u32) {
        self.start(
            ticks.max(1),
            CONTROL::ONE_SHOT::SET + CONTROL::INT_ENABLE::SET,
        );
    }

    /// Interrupts every `ticks` ticks until stopped (0 is taken as 1).
    pub fn start_periodic(&self, ticks: u32) {
        self.start(
            ticks.max(1),
            CONTROL::TIMER_MODE::Periodic + CONTROL::INT_ENABLE::SET,
        );
    }

    /// Counts down from `u32::MAX` forever with the interrupt output off, as
    /// a clock: ticks elapsed since the start are `u32::MAX - value()`,
    /// modulo 2^32.
    pub fn start_free_running(&self) {
        self.start(u32::MAX, CONTROL::TIMER_MODE::FreeRunning);
    }

    fn start(&self, load: u32, mode: FieldValue<u32, CONTROL::Register>) {
        self.stop();
        self.clear_interrupt();
        // Writing Load also loads the counter (TRM 3.3.1).
        self.regs.load.set(load);
        self.regs.control.write(
            CONTROL::TIMER_SIZE::Bits32 + CONTROL::TIMER_PRE::Div1 + mode + CONTROL::TIMER_EN::SET,
        );
    }

    /// Stops counting, with the interrupt output off.
    pub fn stop(&self) {
        self.regs.control.set(0);
    }

    /// Clears the interrupt (any write to Timer1IntClr does, TRM 3.3.4).
    pub fn clear_interrupt(&self) {
        self.regs.int_clr.set(1);
    }

    /// Whether the counter reached zero since the interrupt was last cleared,
    /// whether or not the interrupt output is enabled.
    pub fn is_pending(&self) -> bool {
        self.regs.ris.is_set(RIS::RAW_INT)
    }

    /// Current counter value; it counts down.
    pub fn value(&self) -> u32 {
        self.regs.value.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fake::Fake;

    fn timer() -> (Fake, Sp804) {
        let fake = Fake::new(0x20);
        // SAFETY: the fake block is as large as the register block and
        // outlives the driver.
        let timer = unsafe { Sp804::new(fake.base()) };
        (fake, timer)
    }

    #[test]
    fn control_bits_for_each_mode() {
        let (fake, timer) = timer();
        timer.start_oneshot(500);
        assert_eq!(fake.word(0x00), 500);
        assert_eq!(fake.word(0x08), 0x80 | 0x20 | 0x02 | 0x01);
        assert_eq!(fake.word(0x0C), 1, "stale interrupt cleared");
        timer.start_periodic(1000);
        assert_eq!(fake.word(0x00), 1000);
        assert_eq!(fake.word(0x08), 0x80 | 0x40 | 0x20 | 0x02);
        timer.start_free_running();
        assert_eq!(fake.word(0x00), u32::MAX);
        assert_eq!(fake.word(0x08), 0x80 | 0x02);
        timer.start_oneshot(0);
        assert_eq!(fake.word(0x00), 1);
        timer.stop();
        assert_eq!(fake.word(0x08), 0);
    }

    #[test]
    fn status_and_value() {
        let (fake, timer) = timer();
        assert!(!timer.is_pending());
        fake.set(0x10, 1);
        assert!(timer.is_pending());
        fake.set(0x04, 77);
        assert_eq!(timer.value(), 77);
    }
}
