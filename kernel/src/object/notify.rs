//! Notifications: a word of event bits that never blocks its signaller.
//!
//! `signal(bits)` ORs bits into the word and wakes the highest-priority
//! waiter, if any; it never blocks and never allocates, so an interrupt
//! handler may call it (an IRQ line bound to a notification does).
//! `wait()` returns the pending bits and clears them, blocking while none
//! are pending; `poll()` does the same without blocking. Several signals
//! before a wait merge into one word: a notification counts events of
//! different kinds, not how many of each.
//!
//! All state is touched only under the scheduler lock (as
//! [`Semaphore`](crate::task::sync::Semaphore)'s is): waking a thread
//! needs it anyway, and the critical sections are a few instructions.

use crate::task::{self, ThreadId};
use core::cell::Cell;

/// A word of event bits with a set of waiting threads.
pub struct Notification {
    bits: Cell<u32>,
    /// Threads blocked in `wait` (bit = thread index).
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
    pub fn signal(&self, bits: u32) {
        let in_thread = task::with(|s| self.signal_locked(s, bits));
        if in_thread {
            task::preempt_point();
        }
    }

    /// [`Notification::signal`] under the scheduler lock; true if called from
    /// thread context (the caller then offers a preemption point).
    fn signal_locked(&self, s: &mut task::Sched, bits: u32) -> bool {
        if bits != 0 {
            self.bits.set(self.bits.get() | bits);
            if let Some(w) = best_waiter(s, self.waiters.get()) {
                self.waiters.set(self.waiters.get() & !(1 << w.index()));
                s.make_ready(w);
            }
        }
        !crate::context::in_irq_handler()
    }

    /// The pending bits, cleared; 0 if none.
    pub fn poll(&self) -> u32 {
        task::with(|_| self.bits.replace(0))
    }

    /// Blocks until some bit is pending, then returns the pending bits and
    /// clears them. Thread context only.
    pub fn wait(&self) -> u32 {
        let irqs = arch::cpu::interrupts_disable();
        let bits = loop {
            let got = task::with(|s| {
                let b = self.bits.replace(0);
                if b == 0 {
                    let me = s.current();
                    self.waiters.set(self.waiters.get() | 1 << me.index());
                    s.block_current();
                }
                b
            });
            if got != 0 {
                break got;
            }
            // signal() makes us ready; another thread may still take the
            // bits first (a poll), so look again when we run.
            arch::trap::reschedule();
        };
        if irqs {
            arch::cpu::interrupts_enable();
        }
        bits
    }

    /// Threads waiting now (for tests).
    pub fn waiting(&self) -> u32 {
        task::with(|_| self.waiters.get().count_ones())
    }
}

/// The highest-priority thread in a waiter mask.
fn best_waiter(s: &mut task::Sched, mask: u64) -> Option<ThreadId> {
    let mut best: Option<(ThreadId, u8)> = None;
    let mut m = mask;
    while m != 0 {
        let id = ThreadId::new(m.trailing_zeros() as u16);
        m &= m - 1;
        let p = s.tcb(id).prio;
        if best.is_none_or(|(_, bp)| p < bp) {
            best = Some((id, p));
        }
    }
    best.map(|(id, _)| id)
}
