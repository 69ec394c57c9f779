//! Cortex-A9 MPCore private timer and global timer.
//!
//! Register maps and bits from the Cortex-A9 MPCore Technical Reference Manual
//! (ARM DDI 0407), chapter 4 "Global timer, private timers, and watchdog
//! registers": 4.1-4.2 (private timer, PERIPHBASE + 0x600) and 4.3-4.4 (global
//! timer, PERIPHBASE + 0x200). Both tick at PERIPHCLK / (prescaler + 1); these
//! drivers always use prescaler 0, so one tick is one PERIPHCLK cycle, and the
//! board supplies that frequency.
//!
//! Each CPU reaches its own private timer, and its own comparator of the shared
//! global counter, at the same address: a driver acts on the CPU that calls it.

use tock_registers::fields::FieldValue;
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};

/// Interrupt ID (a PPI) of the global timer's comparator.
pub const GLOBAL_TIMER_IRQ: u32 = 27;
/// Interrupt ID (a PPI) of the private timer.
pub const PRIVATE_TIMER_IRQ: u32 = 29;

register_bitfields![u32,
    /// Private Timer Control Register (TRM 4.2.3).
    PT_CONTROL [
        /// Divide PERIPHCLK by this value + 1.
        PRESCALER OFFSET(8) NUMBITS(8) [],
        /// Raise interrupt 29 when the event flag is set.
        IRQ_ENABLE OFFSET(2) NUMBITS(1) [],
        /// Reload from the Load Register on reaching zero (periodic mode).
        AUTO_RELOAD OFFSET(1) NUMBITS(1) [],
        /// Count down.
        TIMER_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Global Timer Control Register (TRM 4.4.2). Bits 1-3 are banked per CPU.
    GT_CONTROL [
        /// Divide PERIPHCLK by this value + 1.
        PRESCALER OFFSET(8) NUMBITS(8) [],
        /// Add the Auto-increment Register to the comparator at each event.
        AUTO_INCREMENT OFFSET(3) NUMBITS(1) [],
        /// Raise interrupt 27 when the event flag is set.
        IRQ_ENABLE OFFSET(2) NUMBITS(1) [],
        /// Set the event flag once the counter reaches the comparator.
        COMP_ENABLE OFFSET(1) NUMBITS(1) [],
        /// Count up (shared by all CPUs).
        TIMER_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Private (4.2.4) and Global (4.4.3) Timer Interrupt Status Registers.
    INT_STATUS [
        /// Set by the timer event; cleared by writing 1.
        EVENT_FLAG OFFSET(0) NUMBITS(1) []
    ]
];

register_structs! {
    /// Private timer register block (TRM table 4-1, offsets 0x00-0x0C).
    pub PrivateTimerRegisters {
        (0x00 => load: ReadWrite<u32>),
        (0x04 => counter: ReadWrite<u32>),
        (0x08 => control: ReadWrite<u32, PT_CONTROL::Register>),
        (0x0C => int_status: ReadWrite<u32, INT_STATUS::Register>),
        (0x10 => @END),
    }
}

register_structs! {
    /// Global timer register block (TRM table 4-3).
    pub GlobalTimerRegisters {
        (0x00 => counter_lo: ReadWrite<u32>),
        (0x04 => counter_hi: ReadWrite<u32>),
        (0x08 => control: ReadWrite<u32, GT_CONTROL::Register>),
        (0x0C => int_status: ReadWrite<u32, INT_STATUS::Register>),
        (0x10 => comparator_lo: ReadWrite<u32>),
        (0x14 => comparator_hi: ReadWrite<u32>),
        (0x18 => auto_increment: ReadWrite<u32>),
        (0x1C => @END),
    }
}

/// The calling CPU's private timer: a 32-bit down-counter.
pub struct PrivateTimer {
    regs: &'static PrivateTimerRegisters,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes; sharing the driver between
// contexts is serialised by its owner.
unsafe impl Send for PrivateTimer {}

impl PrivateTimer {
    /// Creates the driver for the private timer registers mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of a Cortex-A9 private timer's
    /// registers, mapped as device memory for as long as the driver lives, and
    /// this must be the only driver instance for that CPU's timer.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps a private timer.
        let regs = unsafe { &*(base as *const PrivateTimerRegisters) };
        Self { regs }
    }

    /// Raises one event (and interrupt 29) `ticks` ticks from now, then stops.
    /// A `ticks` of 0 is taken as 1.
    #[inline]
    pub fn start_oneshot(&self, ticks: u32) {
        self.start(ticks.max(1), PT_CONTROL::AUTO_RELOAD::CLEAR);
    }

    /// [`start_oneshot`](Self::start_oneshot) of a timer already stopped
    /// with its event flag cleared ([`stop`](Self::stop),
    /// [`clear_interrupt`](Self::clear_interrupt)): two register writes,
    /// Load and Control, so that a caller that computes `ticks` from a clock
    /// read just before loses only those between the read and the start.
    /// A `ticks` of 0 is taken as 1.
    #[inline]
    pub fn start_stopped_oneshot(&self, ticks: u32) {
        self.regs.load.set(ticks.max(1));
        self.regs.control.write(
            PT_CONTROL::IRQ_ENABLE::SET
                + PT_CONTROL::AUTO_RELOAD::CLEAR
                + PT_CONTROL::TIMER_ENABLE::SET,
        );
    }

    /// Raises an event (and interrupt 29) every `ticks` ticks until stopped.
    /// The period is Load + 1 ticks (TRM 4.1.1), so Load is `ticks - 1`;
    /// `ticks` below 2 are taken as 2.
    pub fn start_periodic(&self, ticks: u32) {
        self.start(ticks.max(2) - 1, PT_CONTROL::AUTO_RELOAD::SET);
    }

    #[inline]
    fn start(&self, load: u32, mode: FieldValue<u32, PT_CONTROL::Register>) {
        self.stop();
        self.clear_interrupt();
        // Writing Load also reloads the counter (TRM 4.2.1).
        self.regs.load.set(load);
        // Prescaler 0: `write` clears every field not named (naming it
        // with `val(0)` costs a call on the scheduler's masked path).
        self.regs
            .control
            .write(PT_CONTROL::IRQ_ENABLE::SET + mode + PT_CONTROL::TIMER_ENABLE::SET);
    }

    /// Stops counting; a pending event stays pending.
    #[inline]
    pub fn stop(&self) {
        self.regs.control.set(0);
    }

    /// Clears the event flag, and so the interrupt.
    #[inline]
    pub fn clear_interrupt(&self) {
        self.regs.int_status.write(INT_STATUS::EVENT_FLAG::SET);
    }

    /// Whether the counter reached zero since the event flag was last cleared.
    pub fn is_pending(&self) -> bool {
        self.regs.int_status.is_set(INT_STATUS::EVENT_FLAG)
    }

    /// Ticks left before the counter reaches zero.
    pub fn counter(&self) -> u32 {
        self.regs.counter.get()
    }
}

/// The 64-bit global timer shared by all CPUs, with the calling CPU's
/// comparator.
pub struct GlobalTimer {
    regs: &'static GlobalTimerRegisters,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are volatile reads and writes; read-modify-writes of the control
// register are serialised by the owner.
unsafe impl Send for GlobalTimer {}

impl GlobalTimer {
    /// Creates the driver for the global timer registers mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of a Cortex-A9 global timer's
    /// registers, mapped as device memory for as long as the driver lives, and
    /// this must be the only driver instance on this CPU.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps a global timer.
        let regs = unsafe { &*(base as *const GlobalTimerRegisters) };
        Self { regs }
    }

    /// Starts the counter (shared by all CPUs) with prescaler 0. It keeps its
    /// current value; the comparator settings are left alone.
    pub fn enable(&self) {
        self.regs
            .control
            .modify(GT_CONTROL::PRESCALER.val(0) + GT_CONTROL::TIMER_ENABLE::SET);
    }

    /// Current counter value in ticks, read consistently (TRM 4.4.1).
    #[inline]
    pub fn now(&self) -> u64 {
        read_split_u64(|| self.regs.counter_hi.get(), || self.regs.counter_lo.get())
    }

    /// The counter's low word: one read, wrapping every 2^32 ticks (43 s at
    /// 100 MHz). For differences over shorter spans, at the least cost.
    #[inline]
    pub fn now_lo(&self) -> u32 {
        self.regs.counter_lo.get()
    }

    /// The address of the counter's low word (the first register), for
    /// code that reads it with one volatile load of its own.
    pub fn counter_lo_addr(&self) -> *const u32 {
        core::ptr::from_ref(self.regs).cast::<u32>()
    }

    /// Arms the comparator: the event flag is set once the counter is at or
    /// past `ticks` (r2p0 and later; earlier revisions need equality). The
    /// interrupt also needs `enable_compare_irq`.
    pub fn set_compare(&self, ticks: u64) {
        // Disarm first so a half-written value cannot fire (TRM 4.4.4).
        self.disable_compare();
        self.regs.comparator_lo.set(ticks as u32);
        self.regs.comparator_hi.set((ticks >> 32) as u32);
        self.regs.control.modify(GT_CONTROL::COMP_ENABLE::SET);
    }

    /// Disarms the comparator: no new events until the next `set_compare`.
    pub fn disable_compare(&self) {
        self.regs.control.modify(GT_CONTROL::COMP_ENABLE::CLEAR);
    }

    /// Makes comparator events raise interrupt 27 on this CPU.
    pub fn enable_compare_irq(&self) {
        self.regs.control.modify(GT_CONTROL::IRQ_ENABLE::SET);
    }

    /// Stops comparator events from raising interrupt 27 on this CPU.
    pub fn disable_compare_irq(&self) {
        self.regs.control.modify(GT_CONTROL::IRQ_ENABLE::CLEAR);
    }

    /// With a non-zero `increment`, each event adds it to the comparator, for
    /// periodic events; 0 turns that off.
    pub fn set_auto_increment(&self, increment: u32) {
        if increment == 0 {
            self.regs.control.modify(GT_CONTROL::AUTO_INCREMENT::CLEAR);
        } else {
            self.regs.auto_increment.set(increment);
            self.regs.control.modify(GT_CONTROL::AUTO_INCREMENT::SET);
        }
    }

    /// Clears the event flag. While the comparator stays armed at a past
    /// value without auto-increment, the flag is set again at once.
    pub fn clear_interrupt(&self) {
        self.regs.int_status.write(INT_STATUS::EVENT_FLAG::SET);
    }

    /// Whether a comparator event happened since the flag was last cleared.
    pub fn is_pending(&self) -> bool {
        self.regs.int_status.is_set(INT_STATUS::EVENT_FLAG)
    }
}

/// Reads a 64-bit counter kept in two 32-bit halves: upper, lower, upper
/// again, retrying the lower half until the upper one holds still.
#[inline]
fn read_split_u64(mut hi: impl FnMut() -> u32, mut lo: impl FnMut() -> u32) -> u64 {
    let mut upper = hi();
    loop {
        let lower = lo();
        let again = hi();
        if again == upper {
            return (upper as u64) << 32 | lower as u64;
        }
        upper = again;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fake::Fake;

    fn private() -> (Fake, PrivateTimer) {
        let fake = Fake::new(0x20);
        // SAFETY: the fake block is as large as the register block and
        // outlives the driver.
        let timer = unsafe { PrivateTimer::new(fake.base()) };
        (fake, timer)
    }

    fn global() -> (Fake, GlobalTimer) {
        let fake = Fake::new(0x20);
        // SAFETY: as in `private`.
        let timer = unsafe { GlobalTimer::new(fake.base()) };
        (fake, timer)
    }

    #[test]
    fn private_oneshot_and_periodic_control_bits() {
        let (fake, timer) = private();
        fake.set(0x08, 0xFF00);
        timer.start_oneshot(1000);
        assert_eq!(fake.word(0x00), 1000);
        assert_eq!(
            fake.word(0x08),
            0b101,
            "enable + IRQ, no reload, prescaler 0"
        );
        assert_eq!(fake.word(0x0C), 1, "stale event flag cleared");
        timer.start_periodic(1000);
        assert_eq!(fake.word(0x00), 999);
        assert_eq!(fake.word(0x08), 0b111);
        timer.start_oneshot(0);
        assert_eq!(fake.word(0x00), 1);
        timer.start_periodic(1);
        assert_eq!(fake.word(0x00), 1);
        timer.stop();
        assert_eq!(fake.word(0x08), 0);
    }

    #[test]
    fn private_status_and_counter() {
        let (fake, timer) = private();
        assert!(!timer.is_pending());
        fake.set(0x0C, 1);
        assert!(timer.is_pending());
        fake.set(0x04, 1234);
        assert_eq!(timer.counter(), 1234);
    }

    #[test]
    fn global_control_bits() {
        let (fake, timer) = global();
        fake.set(0x08, 0x0300);
        timer.enable();
        assert_eq!(fake.word(0x08), 0b0001);
        timer.enable_compare_irq();
        assert_eq!(fake.word(0x08), 0b0101);
        timer.set_compare(0x1_2345_6789);
        assert_eq!((fake.word(0x10), fake.word(0x14)), (0x2345_6789, 1));
        assert_eq!(fake.word(0x08), 0b0111);
        timer.set_auto_increment(500);
        assert_eq!(fake.word(0x18), 500);
        assert_eq!(fake.word(0x08), 0b1111);
        timer.set_auto_increment(0);
        timer.disable_compare_irq();
        timer.disable_compare();
        assert_eq!(fake.word(0x08), 0b0001);
        timer.clear_interrupt();
        assert_eq!(fake.word(0x0C), 1);
    }

    #[test]
    fn global_now_joins_the_halves() {
        let (fake, timer) = global();
        fake.set(0x00, 0xDEAD_BEEF);
        fake.set(0x04, 0x12);
        assert_eq!(timer.now(), 0x12_DEAD_BEEF);
    }

    #[test]
    fn split_read_retries_when_the_upper_half_moves() {
        // The lower half wraps between the first two reads.
        let his = [7, 8, 8];
        let los = [0xFFFF_FFFF, 3];
        let (mut h, mut l) = (his.iter(), los.iter());
        let value = read_split_u64(|| *h.next().unwrap(), || *l.next().unwrap());
        assert_eq!(value, 8 << 32 | 3);
        assert!(h.next().is_none() && l.next().is_none());
    }
}
