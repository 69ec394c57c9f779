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
use crate::sync::IrqLock;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, Ordering};
use drivers::a9_timer::{GlobalTimer, PrivateTimer};

struct Timers {
    clock: GlobalTimer,
    event: PrivateTimer,
}

static TIMERS: IrqLock<Option<Timers>> = IrqLock::new(None);

/// A second driver instance over the global timer that only reads the
/// counter, for [`ticks_unlocked`] and [`ticks_lo_unlocked`]: set once by
/// [`init`], during the single-threaded boot with IRQs masked, before
/// anything reads it.
struct Counter(UnsafeCell<Option<GlobalTimer>>);

// SAFETY: written once by `init` before any reader can run (boot is
// single-threaded, IRQs masked, profiling not started); afterwards only
// read, and only `now`/`now_lo` (volatile reads of the counter registers,
// without side effects) are called through it.
unsafe impl Sync for Counter {}

static COUNTER: Counter = Counter(UnsafeCell::new(None));

fn counter() -> Option<&'static GlobalTimer> {
    // SAFETY: see `Counter`: after `init` nobody writes it.
    unsafe { (*COUNTER.0.get()).as_ref() }
}
/// ns per tick and ticks per ns, as 32.32 fixed point.
static NS_PER_TICK: AtomicU64 = AtomicU64::new(0);
static TICKS_PER_NS: AtomicU64 = AtomicU64::new(0);

/// Nanoseconds since boot.
pub type Instant = u64;

/// Maps the timers and starts the clock. The event timer's interrupt is
/// registered by the scheduler.
pub fn init() {
    let hz = BOARD.periph_clock_hz as u64;
    NS_PER_TICK.store((1_000_000_000u64 << 32) / hz, Ordering::Relaxed);
    TICKS_PER_NS.store((hz << 32) / 1_000_000_000, Ordering::Relaxed);
    let g = crate::mm::ioremap(BOARD.global_timer_base(), 0x100).expect("ioremap global timer");
    let p = crate::mm::ioremap(BOARD.private_timer_base(), 0x100).expect("ioremap private timer");
    // SAFETY: the ioremaps map this CPU's A9 timers; only instances.
    let t = unsafe {
        Timers {
            clock: GlobalTimer::new(g),
            event: PrivateTimer::new(p),
        }
    };
    t.clock.enable();
    // SAFETY: `g` maps the global timer (above); this instance only reads
    // its counter, the one in TIMERS owns the rest. Written once, here,
    // before any reader (see `Counter`).
    unsafe { *COUNTER.0.get() = Some(GlobalTimer::new(g)) };
    t.event.stop();
    t.event.clear_interrupt();
    *TIMERS.lock() = Some(t);
    crate::println!(
        "time: global timer at {} MHz is the clock; private timer one-shot events",
        hz / 1_000_000
    );
}

fn ticks_to_ns(ticks: u64) -> u64 {
    ((ticks as u128 * NS_PER_TICK.load(Ordering::Relaxed) as u128) >> 32) as u64
}

fn ns_to_ticks(ns: u64) -> u64 {
    ((ns as u128 * TICKS_PER_NS.load(Ordering::Relaxed) as u128) >> 32) as u64
}

/// The time now, in nanoseconds since boot.
#[cfg_attr(feature = "irqsoff", track_caller)]
pub fn now() -> Instant {
    let ticks = TIMERS.lock().as_ref().map_or(0, |t| t.clock.now());
    ticks_to_ns(ticks)
}

/// Raw global-timer ticks (for benchmarks: the finest grain there is).
#[cfg_attr(feature = "irqsoff", track_caller)]
pub fn ticks() -> u64 {
    TIMERS.lock().as_ref().map_or(0, |t| t.clock.now())
}

/// Raw global-timer ticks read without a lock (IRQs stay as they are), 0
/// before [`init`]: for the IRQs-off profiler, which runs inside every
/// IRQ-masking lock.
pub fn ticks_unlocked() -> u64 {
    counter().map_or(0, |c| c.now())
}

/// The low word of [`ticks_unlocked`]: one device read, for differences
/// shorter than 2^32 ticks (43 s at 100 MHz).
#[inline]
pub fn ticks_lo_unlocked() -> u32 {
    counter().map_or(0, |c| c.now_lo())
}

/// Programs the event timer to fire at `at` (at once if that has passed), or
/// stops it for `None`.
pub fn set_event(at: Option<Instant>) {
    let guard = TIMERS.lock();
    let Some(t) = guard.as_ref() else { return };
    match at {
        None => t.event.stop(),
        Some(at) => {
            let now = ticks_to_ns(t.clock.now());
            let delta = ns_to_ticks(at.saturating_sub(now)).clamp(1, u32::MAX as u64);
            t.event.start_oneshot(delta as u32);
        }
    }
}

/// Acknowledges the event timer's interrupt.
pub fn clear_event() {
    if let Some(t) = TIMERS.lock().as_ref() {
        t.event.clear_interrupt();
    }
}
