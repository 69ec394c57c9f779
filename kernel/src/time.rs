//! Time: the monotonic clock and the one-shot event timer.
//!
//! The Cortex-A9 global timer is the clock: a 64-bit counter at PERIPHCLK
//! that never wraps in practice, read as nanoseconds since boot. The private
//! timer is the event source, programmed one-shot for the next event the
//! scheduler needs (the earliest wake-up or the end of a time slice), so the
//! kernel is tickless: no interrupt fires when nothing is due. Conversions use
//! 32.32 fixed-point factors computed once from the board's clock, so no
//! division runs on the interrupt path.

use crate::BOARD;
use crate::sync::IrqCell;
use core::cell::UnsafeCell;
use drivers::a9_timer::{GlobalTimer, PrivateTimer};

/// The event timer. Only the scheduler (under its lock) and the timer
/// interrupt touch it, both with IRQs masked: a cell, not a lock.
static EVENT: IrqCell<Option<PrivateTimer>> = IrqCell::new(None);

/// The global timer and its conversion factors, only read once [`init`]
/// has started it (a read has no side effects, so readers need no lock):
/// set once by [`init`], during the single-threaded boot with IRQs masked,
/// before anything reads it.
struct Counter(UnsafeCell<Option<Clock>>);

/// The clock: the counter, and ns per tick and ticks per ns as 32.32 fixed
/// point, computed once from PERIPHCLK (known only at boot on boards whose
/// clocks come from the hardware), so no division runs on the interrupt
/// path.
struct Clock {
    timer: GlobalTimer,
    ns_per_tick: u64,
    ticks_per_ns: u64,
}

// SAFETY: written once by `init` before any reader can run (boot is
// single-threaded, IRQs masked, profiling not started); afterwards only
// read, and only `now`/`now_lo` (volatile reads of the counter registers,
// without side effects) are called through it.
unsafe impl Sync for Counter {}

static COUNTER: Counter = Counter(UnsafeCell::new(None));

#[inline]
fn clock() -> Option<&'static Clock> {
    // SAFETY: see `Counter`: after `init` nobody writes it.
    unsafe { (*COUNTER.0.get()).as_ref() }
}

#[inline]
fn counter() -> Option<&'static GlobalTimer> {
    clock().map(|c| &c.timer)
}

/// Nanoseconds since boot.
pub type Instant = u64;

/// Maps the timers and starts the clock. The event timer's interrupt is
/// registered by the scheduler.
pub fn init() {
    let hz = crate::clocks::periph_hz() as u64;
    let g = crate::mm::ioremap(BOARD.global_timer_base(), 0x100).expect("ioremap global timer");
    let p = crate::mm::ioremap(BOARD.private_timer_base(), 0x100).expect("ioremap private timer");
    // SAFETY: the ioremaps map this CPU's A9 timers; only instances.
    let (clock, event) = unsafe { (GlobalTimer::new(g), PrivateTimer::new(p)) };
    clock.enable();
    let clock = Clock {
        timer: clock,
        ns_per_tick: (1_000_000_000u64 << 32) / hz,
        ticks_per_ns: (hz << 32) / 1_000_000_000,
    };
    // SAFETY: written once, here, before any reader (see `Counter`).
    unsafe { *COUNTER.0.get() = Some(clock) };
    event.stop();
    event.clear_interrupt();
    let irqs = arch::cpu::interrupts_disable();
    EVENT.with(|e| *e = Some(event));
    if irqs {
        arch::cpu::interrupts_enable();
    }
    crate::println!(
        "time: global timer at {} MHz is the clock; private timer one-shot events",
        hz / 1_000_000
    );
}

fn ticks_to_ns(ticks: u64) -> u64 {
    let f = clock().map_or(0, |c| c.ns_per_tick);
    ((ticks as u128 * f as u128) >> 32) as u64
}

fn ns_to_ticks(ns: u64) -> u64 {
    let f = clock().map_or(0, |c| c.ticks_per_ns);
    ((ns as u128 * f as u128) >> 32) as u64
}

/// The time now, in nanoseconds since boot (0 before [`init`]).
#[inline]
pub fn now() -> Instant {
    ticks_to_ns(ticks_unlocked())
}

/// Raw global-timer ticks (for benchmarks: the finest grain there is).
#[inline]
pub fn ticks() -> u64 {
    ticks_unlocked()
}

/// Raw global-timer ticks read without a lock (IRQs stay as they are), 0
/// before [`init`]: for the IRQs-off profiler, which runs inside every
/// IRQ-masking lock.
#[inline]
pub fn ticks_unlocked() -> u64 {
    counter().map_or(0, |c| c.now())
}

/// The low word of [`ticks_unlocked`]: one device read, for differences
/// shorter than 2^32 ticks (43 s at 100 MHz).
#[inline]
pub fn ticks_lo_unlocked() -> u32 {
    counter().map_or(0, |c| c.now_lo())
}

/// The address of the global timer's counter low word (null before
/// [`init`]): for the IRQs-off profiler's hook in `arch`, which reads it
/// inline at each IRQ mask transition.
pub fn counter_lo_register() -> *const u32 {
    counter().map_or(core::ptr::null(), |c| c.counter_lo_addr())
}

/// Programs the event timer to fire at `at` (at once if that has passed), or
/// stops it for `None`. IRQs must be masked (the scheduler's lock).
pub fn set_event(at: Option<Instant>) {
    EVENT.with(|e| {
        let Some(t) = e.as_ref() else { return };
        match at {
            None => t.stop(),
            Some(at) => {
                // (`start_oneshot` takes 0 as 1.)
                let delta = ns_to_ticks(at.saturating_sub(now())).min(u32::MAX as u64);
                t.start_oneshot(delta as u32);
            }
        }
    })
}

/// Acknowledges the event timer's interrupt (IRQs masked: the handler).
pub fn clear_event() {
    EVENT.with(|e| {
        if let Some(t) = e.as_ref() {
            t.clear_interrupt();
        }
    })
}
