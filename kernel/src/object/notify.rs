//! Notifications: a word of event bits that never blocks its signaller.
//!
//! `signal(bits)` ORs bits into the word and wakes the highest-priority
//! waiter, if any; it never blocks and never allocates, so an interrupt
//! handler may call it (an IRQ line bound to a notification does).
//! `wait()` returns the pending bits and clears them, blocking while none
//! are pending (until a deadline, if it has one: then it returns 0);
//! `poll()` does the same without blocking. Several signals before a wait
//! merge into one word: a notification says which kinds of event came,
//! not how many of each.
//!
//! All state is touched only under the scheduler lock (as
//! [`Semaphore`](crate::thread::sync::Semaphore)'s is): waking a thread
//! needs it anyway, and the critical sections are a few instructions.

use crate::thread::{self, ThreadId};
use crate::time::Instant;
use core::cell::Cell;

/// A word of event bits with a set of waiting threads.
pub struct Notification {
    bits: Cell<u32>,
    /// Threads blocked in [`Notification::wait`] (bit = thread index): they
    /// take the bits themselves when they run again.
    waiters: Cell<u64>,
}

// SAFETY: both cells are only touched under the scheduler lock.
unsafe impl Sync for Notification {}
// SAFETY: as above: the cells move with the object, used under the lock.
unsafe impl Send for Notification {}

impl Default for Notification {
    fn default() -> Self {
        Self::new()
    }
}

impl Notification {
    /// No bits pending, nobody waiting.
    pub const fn new() -> Self {
        Self {
            bits: Cell::new(0),
            waiters: Cell::new(0),
        }
    }

    /// ORs `bits` in and wakes the best waiter. Never blocks: from threads,
    /// system calls and interrupt handlers alike. From thread context a
    /// woken waiter of higher priority runs before this returns.
    #[inline]
    pub fn signal(&self, bits: u32) {
        if thread::with(|s| self.signal_locked(s, bits, false)) {
            thread::preempt_point();
        }
    }

    /// [`Notification::signal`] with the scheduler locked by the caller;
    /// true if a thread was woken and the caller is a thread (it should then
    /// offer a preemption point). `switching`: the caller switches as soon
    /// as this returns, without unmasking IRQs (`thread::trap_then_preempt`),
    /// so a waiter that outranks everyone is handed the CPU directly.
    #[inline]
    pub fn signal_locked(&self, s: &mut thread::Sched, bits: u32, switching: bool) -> bool {
        if bits == 0 {
            return false;
        }
        self.bits.set(self.bits.get() | bits);
        let waiters = self.waiters.get();
        if waiters == 0 {
            return false;
        }
        let w = best_waiter(s, waiters);
        self.waiters.set(waiters & !(1 << w.index()));
        if switching {
            s.wake_blocked_first(w);
        } else {
            s.wake_blocked(w);
        }
        !crate::context::in_irq_handler()
    }

    /// The pending bits, cleared; 0 if none.
    pub fn poll(&self) -> u32 {
        thread::with(|_| self.bits.replace(0))
    }

    /// Blocks until some bit is pending, then returns the pending bits and
    /// clears them; with `until`, returns 0 if none came by that time.
    /// Thread context only.
    pub fn wait(&self, until: Option<Instant>) -> u32 {
        let irqs = arch::cpu::interrupts_disable();
        let bits = loop {
            let got = thread::with(|s| {
                let me = s.current();
                let b = self.bits.replace(0);
                // A thread whose process ended gives up (see `thread::doom`).
                let doomed = s.is_doomed(me);
                if b != 0 || doomed || until.is_some_and(|at| crate::time::now() >= at) {
                    s.end_interruptible();
                    // Woken by the time-out (or an earlier signal's wake-up
                    // raced a poll): no longer a waiter.
                    self.waiters.set(self.waiters.get() & !(1 << me.index()));
                    return Some(b);
                }
                self.waiters.set(self.waiters.get() | 1 << me.index());
                s.block_current_until(until);
                None
            });
            if let Some(b) = got {
                break b;
            }
            // signal() or the timer makes us ready; another thread may still
            // take the bits first (a poll), so look again when we run.
            arch::trap::reschedule();
        };
        if irqs {
            arch::cpu::interrupts_enable();
        }
        bits
    }

    /// Threads waiting now (for tests).
    pub fn waiting(&self) -> u32 {
        thread::with(|_| self.waiters.get().count_ones())
    }
}

/// The highest-priority thread in a non-empty waiter mask.
#[inline]
fn best_waiter(s: &mut thread::Sched, mask: u64) -> ThreadId {
    let first = ThreadId::new(mask.trailing_zeros() as u16);
    if mask & (mask - 1) == 0 {
        return first; // one waiter, the usual case
    }
    let mut best = (first, s.tcb(first).prio);
    let mut m = mask & (mask - 1);
    while m != 0 {
        let id = ThreadId::new(m.trailing_zeros() as u16);
        m &= m - 1;
        let p = s.tcb(id).prio;
        if p < best.1 {
            best = (id, p);
        }
    }
    best.0
}
