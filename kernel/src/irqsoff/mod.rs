//! The IRQs-off profiler: how long, and where, the kernel kept IRQs masked.
//!
//! Like Linux's irqsoff tracer. Built in by the cargo feature `irqsoff` of
//! this crate (which turns on the same feature of `arch`); `cargo xtask test`
//! builds with it, `cargo xtask bench` boots a second, profiled image for its
//! IRQs-off table (its other figures come from an image without it), and
//! `cargo xtask run` and `image` build with it only when asked (`--irqsoff`). Without the feature nothing is recorded and
//! nothing is spent: `arch` calls no hook, no caller location is passed
//! around, and the functions here do nothing ([`ENABLED`] is false,
//! [`max`] is `None`).
//!
//! # What is measured
//!
//! A *window* runs from the moment IRQs go from enabled to masked until they
//! are enabled again; only these outermost transitions count (a lock taken
//! inside another is part of the outer window). `arch::cpu` reports them to a
//! hook this module installs at [`start`] (called by the boot sequence when
//! the scheduler runs, so the boot code, which runs masked throughout, is not
//! counted):
//!
//! - `interrupts_disable` / `interrupts_enable`, which [`IrqLock`] and every
//!   explicit caller use. They are `#[track_caller]`, as are
//!   [`IrqLock::lock`], `try_lock`, the kernel's small `with(...)` wrappers
//!   (`thread::with`, `mm::with`, `process::with_process`) and
//!   `thread::sync::Mutex::lock`, so a window's site is the real caller
//!   (`file:line`), not the lock's own code.
//! - Exceptions: the hardware masks IRQs on entry. A window opens in
//!   `arch_trap` when the interrupted code had IRQs enabled ([`Site`]
//!   `TrapEntry`) and closes where IRQs come back on: `syscall::handle`'s
//!   `interrupts_enable`, or the exception return into a frame that runs with
//!   IRQs enabled (`TrapReturn`). A thread that switches away with IRQs
//!   masked (`sleep_until`, `join`, ...) keeps its window open until
//!   the next thread runs with IRQs enabled: that is how long the CPU was
//!   masked. The vector's and the exit path's few assembly instructions
//!   around `arch_trap` are not in the window.
//!
//! Each window's length is the difference of two reads of the Cortex-A9
//! global timer's low word (one device load, no lock; a window longer than
//! its 43 s wrap would read short). `arch` makes them itself, inline at the
//! transition ([`crate::time::counter_lo_register`] tells it where): the
//! last thing on masking, after the hook's call, and the first on
//! unmasking, before it, so the hook's own work stays out of the window.
//!
//! The [`WORST`] longest windows since [`reset`] are kept with their start
//! and end sites, at most one per start site (its longest, so that one busy
//! site cannot fill the list), with a count of all windows; the first is the
//! running maximum.
//!
//! # Units
//!
//! Durations are kept in global-timer ticks and shown in nanoseconds and in
//! instructions, converted in one place ([`ticks_to_ns`], [`ticks_to_insns`]).
//! Instructions are exact only under QEMU's `-icount shift=4,sleep=off`, the
//! setting of `cargo xtask test` and `cargo xtask bench`, where every
//! instruction takes 2^[`ICOUNT_SHIFT`] = 16 ns of virtual time (DESIGN.md,
//! "Measuring"); on silicon or without `-icount` the instruction figures are
//! nanoseconds / 16, not instructions.
//!
//! # Cost
//!
//! With the feature on, each window costs its hook calls (a few dozen
//! instructions, partly inside the window: the recorded figures include
//! them). The benchmark therefore takes its per-operation figures from an
//! image without the profiler and prints what the profiler adds to each.

use crate::BOARD;
#[cfg(target_os = "none")]
use crate::println;
#[cfg(all(doc, target_os = "none"))]
use crate::sync::IrqLock;
use arch::trap::TrapKind;
use core::panic::Location;

pub mod worst;

/// Whether the profiler is built in (cargo feature `irqsoff`).
pub const ENABLED: bool = cfg!(feature = "irqsoff");

/// How many of the longest windows are kept.
pub const WORST: usize = 8;

/// QEMU's `-icount` shift the instruction figures assume: one instruction
/// is 2^4 = 16 ns of virtual time (the setting of tests and benchmark).
pub const ICOUNT_SHIFT: u32 = 4;

/// Where IRQs were masked or unmasked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// Code that called `interrupts_disable`/`interrupts_enable` (through
    /// `#[track_caller]` wrappers such as [`IrqLock::lock`]: their caller).
    Code(&'static Location<'static>),
    /// Exception entry, which masks IRQs in hardware.
    TrapEntry(TrapKind),
    /// The exception return into code that runs with IRQs enabled.
    TrapReturn,
}

impl core::fmt::Display for Site {
    /// `file:line`, `trap-entry:KIND` or `trap-return`: no spaces, so that
    /// the benchmark can print it as a field.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Site::Code(l) => write!(f, "{}:{}", l.file(), l.line()),
            Site::TrapEntry(kind) => {
                let k = match kind {
                    TrapKind::Irq => "irq",
                    TrapKind::SupervisorCall => "svc",
                    TrapKind::DataAbort => "data-abort",
                    TrapKind::PrefetchAbort => "prefetch-abort",
                    TrapKind::Undefined => "undefined",
                    TrapKind::Fiq => "fiq",
                    _ => "other",
                };
                write!(f, "trap-entry:{k}")
            }
            Site::TrapReturn => f.write_str("trap-return"),
        }
    }
}

/// One stretch with IRQs masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Its length in global-timer ticks.
    pub ticks: u64,
    /// Where IRQs were masked.
    pub start: Site,
    /// Where they were enabled again.
    pub end: Site,
}

impl Window {
    /// Its length in nanoseconds.
    pub fn ns(&self) -> u64 {
        ticks_to_ns(self.ticks)
    }

    /// Its length in instructions (exact under `-icount shift=4` only).
    pub fn insns(&self) -> u64 {
        ticks_to_insns(self.ticks)
    }
}

/// Global-timer ticks to nanoseconds (PERIPHCLK: on a board whose clocks
/// come from the hardware, the one learnt at boot).
pub fn ticks_to_ns(ticks: u64) -> u64 {
    #[cfg(target_os = "none")]
    let hz = u128::from(crate::clocks::periph_hz());
    #[cfg(not(target_os = "none"))]
    let hz = u128::from(BOARD.periph_clock_hz);
    ((u128::from(ticks) * 1_000_000_000 + hz / 2) / hz) as u64
}

/// Global-timer ticks to instructions under `-icount shift=`[`ICOUNT_SHIFT`]
/// (rounded): on vexpress-a9, ticks x 10 / 16.
pub fn ticks_to_insns(ticks: u64) -> u64 {
    let den = u128::from(BOARD.periph_clock_hz) << ICOUNT_SHIFT;
    ((u128::from(ticks) * 1_000_000_000 + den / 2) / den) as u64
}

/// Instructions to global-timer ticks (the inverse of [`ticks_to_insns`],
/// rounded down).
pub fn insns_to_ticks(insns: u64) -> u64 {
    let num = u128::from(insns) * (u128::from(BOARD.periph_clock_hz) << ICOUNT_SHIFT);
    (num / 1_000_000_000) as u64
}

/// What the profiler has seen since the last [`reset`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Record {
    /// The longest windows, longest first, at most one per start site.
    pub worst: [Option<Window>; WORST],
    /// Windows that ended since the reset.
    pub count: u64,
}

#[cfg(all(feature = "irqsoff", target_os = "none"))]
mod imp {
    use super::worst::Worst;
    use super::{Record, Site, WORST, Window};
    use crate::time;
    use arch::cpu::irqs_off::{self, Hook};
    use arch::trap::TrapKind;
    use core::cell::UnsafeCell;

    struct State {
        /// The site of the window open now (`arch` keeps its start time).
        open: Option<irqs_off::Site>,
        /// The longest windows with their start and end sites, as `arch`
        /// reported them (converted only when read), keyed by [`key`].
        worst: Worst<(irqs_off::Site, irqs_off::Site), WORST>,
        /// Windows ended since the reset.
        count: u64,
    }

    struct Shared(UnsafeCell<State>);

    // SAFETY: one core; the state is only touched with IRQs masked (by the
    // hook, which runs masked, and by `masked` below), so never from two
    // contexts at once.
    unsafe impl Sync for Shared {}

    static STATE: Shared = Shared(UnsafeCell::new(State {
        open: None,
        worst: Worst::new((irqs_off::Site::TrapReturn, irqs_off::Site::TrapReturn)),
        count: 0,
    }));

    /// The state. Only with IRQs masked, and not while another reference
    /// from this function is alive.
    #[allow(clippy::mut_from_ref)]
    fn state() -> &'static mut State {
        // SAFETY: see `Shared`: the callers run with IRQs masked on the one
        // core, and none keeps the reference past its own short use.
        unsafe { &mut *STATE.0.get() }
    }

    fn site(s: irqs_off::Site) -> Site {
        match s {
            irqs_off::Site::Code(l) => Site::Code(l),
            irqs_off::Site::TrapEntry(k) => Site::TrapEntry(TrapKind::from_u32(k)),
            irqs_off::Site::TrapReturn => Site::TrapReturn,
        }
    }

    /// A word that names a site: a code site's `Location` address (one
    /// static per call site; a call site in generic code has one per
    /// instantiation, so it may hold two entries), or a small number for
    /// the trap sites (no static lies below 0x100).
    #[inline(always)]
    fn key(s: irqs_off::Site) -> usize {
        match s {
            irqs_off::Site::Code(l) => l as *const _ as usize,
            irqs_off::Site::TrapEntry(k) => k as usize,
            irqs_off::Site::TrapReturn => 0xFF,
        }
    }

    fn on_masked(at: irqs_off::Site) {
        state().open = Some(at);
    }

    fn on_unmasked(at: irqs_off::Site, ticks: u32) {
        let s = state();
        let Some(from) = s.open.take() else {
            return;
        };
        s.count += 1;
        // One entry per start site: a site that masks IRQs often would
        // otherwise fill the list alone.
        s.worst.offer(ticks, key(from), || (from, at));
    }

    static HOOK: Hook = Hook {
        masked: on_masked,
        unmasked: on_unmasked,
    };

    /// Runs `f` on the state with IRQs masked, outside any window: a window
    /// open when it is called (the caller's own masking) is dropped.
    fn masked<R>(f: impl FnOnce(&mut State) -> R) -> R {
        let on = arch::cpu::interrupts_disable();
        let r = f(state());
        if on {
            // Our own masking is not a window worth keeping.
            state().open = None;
            arch::cpu::interrupts_enable();
        }
        r
    }

    pub fn start() {
        let clock = time::counter_lo_register();
        if !clock.is_null() {
            // SAFETY: the global timer's counter register, mapped for good.
            unsafe { irqs_off::install(Some(&HOOK), clock) };
        }
    }

    pub fn reset() {
        masked(|s| {
            s.open = None;
            s.worst.clear();
            s.count = 0;
        });
    }

    pub fn record() -> Record {
        masked(|s| {
            let mut r = Record {
                worst: [None; WORST],
                count: s.count,
            };
            for (i, out) in r.worst.iter_mut().enumerate() {
                *out = s.worst.get(i).map(|(ticks, _, (start, end))| Window {
                    ticks: u64::from(ticks),
                    start: site(start),
                    end: site(end),
                });
            }
            r
        })
    }
}

/// Starts profiling (the boot sequence calls it once, as the scheduler
/// starts and just before IRQs are first enabled).
pub fn start() {
    #[cfg(all(feature = "irqsoff", target_os = "none"))]
    imp::start();
}

/// Forgets every window seen so far: measuring starts again from here (a
/// benchmark workload calls it first). A window open at the call (when the
/// caller holds IRQs masked) is not counted either.
pub fn reset() {
    #[cfg(all(feature = "irqsoff", target_os = "none"))]
    imp::reset();
}

/// The longest windows and the count since the last [`reset`] (empty
/// without the feature).
pub fn record() -> Record {
    #[cfg(all(feature = "irqsoff", target_os = "none"))]
    return imp::record();
    #[cfg(not(all(feature = "irqsoff", target_os = "none")))]
    Record::default()
}

/// The longest window since the last [`reset`] (`None` when there was none,
/// or without the feature).
pub fn max() -> Option<Window> {
    record().worst[0]
}

#[cfg(target_os = "none")]
/// Prints the [`WORST`] longest windows since the last [`reset`] (one per
/// start site), longest first: instructions, nanoseconds, where IRQs were
/// masked and where they came back on.
pub fn print_worst() {
    if !ENABLED {
        println!("irqsoff: profiler not built in (cargo feature `irqsoff` of the kernel)");
        return;
    }
    let r = record();
    println!(
        "irqsoff: {} windows with IRQs masked; the longest per site (instructions at -icount shift={ICOUNT_SHIFT}):",
        r.count
    );
    println!("  {:>9} {:>10}  masked at -> enabled at", "insns", "ns");
    for w in r.worst.iter().flatten() {
        println!(
            "  {:>9} {:>10}  {} -> {}",
            w.insns(),
            w.ns(),
            w.start,
            w.end
        );
    }
}
