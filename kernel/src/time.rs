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
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};
use drivers::a9_timer::{GlobalTimer, PrivateTimer};

/// A timer driver set once by [`init`], during the single-threaded boot
/// with IRQs masked, before anything reads it; only read afterwards.
struct SetOnce<T>(UnsafeCell<Option<T>>);

// SAFETY: written once by `init` before any reader can run (boot is
// single-threaded, IRQs masked, profiling not started); afterwards only
// shared references are handed out. What is done through them is each
// static's own argument (see `COUNTER` and `EVENT`).
unsafe impl<T> Sync for SetOnce<T> {}

impl<T> SetOnce<T> {
    const fn new() -> Self {
        Self(UnsafeCell::new(None))
    }

    /// # Safety
    /// Only from `init`, once, before any [`get`](Self::get).
    unsafe fn set(&self, value: T) {
        // SAFETY: the caller guarantees no reader exists yet.
        unsafe { *self.0.get() = Some(value) };
    }

    #[inline]
    fn get(&self) -> Option<&T> {
        // SAFETY: after `init` nobody writes it (see `set`).
        unsafe { (*self.0.get()).as_ref() }
    }
}

/// The event timer. Only the scheduler (under its lock) and the timer
/// interrupt touch it, both with IRQs masked on the one core, so their
/// register accesses never interleave: no cell with checks of its own on
/// the path every switch takes ([`set_event`] checks the mask in debug
/// builds).
static EVENT: SetOnce<PrivateTimer> = SetOnce::new();

/// The global timer and its conversion factors, only read once [`init`]
/// has started it; only `now`/`now_lo` (volatile reads of the counter
/// registers, without side effects) are called through it, so readers need
/// no lock.
static COUNTER: SetOnce<Clock> = SetOnce::new();

/// The clock: the counter, and ns per tick and ticks per ns as 32.32 fixed
/// point, computed once from PERIPHCLK (known only at boot on boards whose
/// clocks come from the hardware), so no division runs on the interrupt
/// path.
struct Clock {
    timer: GlobalTimer,
    ns_per_tick: u64,
    ticks_per_ns: u64,
}

#[inline]
fn clock() -> Option<&'static Clock> {
    COUNTER.get()
}

#[inline]
fn counter() -> Option<&'static GlobalTimer> {
    clock().map(|c| &c.timer)
}
/// Whether PERIPHCLK is the board file's constant. Then the factors are
/// constants too: a multiply by a known factor is a few instructions
/// shorter, and `set_event` runs with IRQs masked on every switch. Boards
/// whose clocks come from the hardware (`clocks`) use the factors [`init`]
/// computed.
const FIXED_CLOCK: bool = matches!(BOARD.clock_tree, crate::board::ClockTree::Fixed);
/// ns per tick, 32.32 fixed point, for a [`FIXED_CLOCK`].
const NS_PER_TICK: u64 = (1_000_000_000u64 << 32) / BOARD.periph_clock_hz as u64;
/// ticks per ns, 32.32 fixed point, for a [`FIXED_CLOCK`].
const TICKS_PER_NS: u64 = ((BOARD.periph_clock_hz as u64) << 32) / 1_000_000_000;

/// Nanoseconds since boot.
pub type Instant = u64;

/// Maps the timers and starts the clock, which runs at `periph_hz`
/// (PERIPHCLK, as `clocks` learnt it: passed in, so that `clocks`, which
/// cross-checks this clock, sits above this module). The event timer's
/// interrupt is registered by the scheduler.
pub fn init(periph_hz: u32) {
    let hz = periph_hz as u64;
    let g = crate::mm::ioremap(BOARD.global_timer_base(), 0x100).expect("ioremap global timer");
    let p = crate::mm::ioremap(BOARD.private_timer_base(), 0x100).expect("ioremap private timer");
    // SAFETY: the ioremaps map this CPU's A9 timers; only instances.
    let (clock, event) = unsafe { (GlobalTimer::new(g), PrivateTimer::new(p)) };
    clock.enable();
    event.stop();
    event.clear_interrupt();
    // SAFETY: written once, here, during the single-threaded boot before
    // any reader (the scheduler and its timer interrupt start later).
    unsafe {
        COUNTER.set(Clock {
            timer: clock,
            ns_per_tick: (1_000_000_000u64 << 32) / hz,
            ticks_per_ns: (hz << 32) / 1_000_000_000,
        });
        EVENT.set(event);
    }
    crate::println!(
        "time: global timer at {} MHz is the clock; private timer one-shot events",
        hz / 1_000_000
    );
}

fn ticks_to_ns(ticks: u64) -> u64 {
    let f = if FIXED_CLOCK {
        NS_PER_TICK
    } else {
        clock().map_or(0, |c| c.ns_per_tick)
    };
    ((ticks as u128 * f as u128) >> 32) as u64
}

fn ns_to_ticks(ns: u64) -> u64 {
    let f = if FIXED_CLOCK {
        TICKS_PER_NS
    } else {
        clock().map_or(0, |c| c.ticks_per_ns)
    };
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

/// Longest count the event timer is given, in ticks (21 s at 100 MHz): a
/// later deadline gets an early event, after which the scheduler arms the
/// timer again. Below 2^31 so that the wrapping difference in [`set_event`]
/// tells a past deadline from a future one.
const MAX_EVENT_TICKS: u64 = i32::MAX as u64;

/// How many times [`set_event`] has armed the event timer since boot.
static ARMED: AtomicU32 = AtomicU32::new(0);

/// How many times the event timer has been armed since boot (a test reads
/// it to check that a switch does not re-arm it without need).
pub fn events_armed() -> u32 {
    ARMED.load(Ordering::Relaxed)
}

/// Programs the event timer to fire at `at` (at once if that has passed), or
/// stops it for `None`. IRQs must be masked (the scheduler's lock).
///
/// The private timer counts down a relative count, so the deadline is first
/// made absolute in ticks (from one clock read: the time left, converted and
/// rounded up a tick so the event is never early), and the count is the
/// difference from a second read made right before the timer starts: only
/// the two register writes after that read make the event late (it used to
/// be the whole conversion, ~55 instructions).
pub fn set_event(at: Option<Instant>) {
    debug_assert!(!arch::cpu::irqs_enabled(), "set_event with IRQs enabled");
    {
        let Some(t) = EVENT.get() else { return };
        t.stop();
        let (Some(at), Some(c)) = (at, counter()) else {
            return;
        };
        // IRQs masked on the one core: a plain increment cannot be torn.
        ARMED.store(
            ARMED.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
        let t0 = c.now();
        let left = ns_to_ticks(at.saturating_sub(ticks_to_ns(t0))) + 1;
        let due = t0.wrapping_add(left.min(MAX_EVENT_TICKS)) as u32;
        t.clear_interrupt();
        let count = due.wrapping_sub(c.now_lo()) as i32;
        t.start_stopped_oneshot(count.max(1) as u32);
    }
}

/// Acknowledges the event timer's interrupt (IRQs masked: the handler).
pub fn clear_event() {
    debug_assert!(!arch::cpu::irqs_enabled(), "clear_event with IRQs enabled");
    if let Some(t) = EVENT.get() {
        t.clear_interrupt();
    }
}
