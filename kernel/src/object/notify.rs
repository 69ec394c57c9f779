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
//!
//! **Parked waits.** A user thread's `wait` without a deadline, and its
//! `signal`, are handled by the system-call entry with IRQs still masked
//! ([`fast`]): the handle is read without the process's lock, and a waiter
//! with nothing pending blocks *at the user boundary* (parked: its saved
//! frame is its user registers, `Tcb::parked_on` names the notification).
//! The signal that wakes it writes the bits into those registers and clears
//! them, so the waiter returns to user mode straight from the switch, with
//! no kernel-mode wait loop to unwind. A parked waiter whose process ends
//! is taken off the waiters by `thread::doom` ([`unpark`]); one whose
//! notification goes (a sibling thread closed the last handle) wakes with
//! `BadHandle`. Kernel threads, and waits with a deadline, wait in
//! [`Notification::wait`] as before.

use crate::syscall::abi::Errno;
use crate::thread::{self, ThreadId};
use crate::time::Instant;
use arch::trap::TrapFrame;
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
        if let Some(f) = s.unpark_frame(w) {
            // Parked at the user boundary: it gets the bits now.
            let bits = self.bits.replace(0);
            // SAFETY: a parked thread is blocked in its system call's
            // return: its saved frame is its user frame, unused until it
            // runs again.
            let f = unsafe { &mut *f };
            f.r[0] = 0;
            f.r[1] = bits;
        }
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

    /// `wait` without a deadline for the running user thread, under the
    /// scheduler lock, IRQs masked since the trap (from [`fast`]): the
    /// pending bits into `frame` if there are any, else the thread parks
    /// (see the module docs) and the CPU goes to the next ready thread.
    fn wait_parked(&self, s: &mut thread::Sched, frame: &mut TrapFrame) -> *mut TrapFrame {
        let bits = self.bits.replace(0);
        if bits != 0 {
            frame.r[0] = 0;
            frame.r[1] = bits;
            return frame;
        }
        let me = s.current();
        self.waiters.set(self.waiters.get() | 1 << me.index());
        s.tcb(me).parked_on = Some(self as *const Notification);
        s.block_current();
        s.switch_to(frame, crate::time::now(), None)
    }
}

impl Drop for Notification {
    /// No thread can wait in [`Notification::wait`] on a notification
    /// that goes (it holds a reference), but a parked one may (a sibling
    /// closed the last handle): it wakes with `BadHandle`.
    fn drop(&mut self) {
        if self.waiters.get() == 0 {
            return;
        }
        let me = self as *const Notification;
        thread::with(|s| {
            let mut m = self.waiters.replace(0);
            while m != 0 {
                let id = ThreadId::new(m.trailing_zeros() as u16);
                m &= m - 1;
                if s.tcb(id).parked_on == Some(me) {
                    s.tcb(id).parked_on = None;
                    // SAFETY: parked: its saved frame is its user frame.
                    unsafe { (*s.frame_of(id)).r[0] = Errno::BadHandle.to_ret() };
                    s.wake_blocked(id);
                }
            }
        });
    }
}

/// Thread `id`, blocked, is being ended (`thread::doom`): if it is parked
/// on a notification it stops waiting there. (The notification is alive:
/// it would have woken its parked waiters as it went.)
pub(crate) fn unpark(s: &mut thread::Sched, id: ThreadId) {
    if let Some(n) = s.tcb(id).parked_on.take() {
        // SAFETY: a notification with parked waiters is alive (its drop
        // unparks them), and its cells are ours under the scheduler lock.
        let n = unsafe { &*n };
        n.waiters.set(n.waiters.get() & !(1 << id.index()));
    }
}

/// The notification fast path, tried by the system-call entry for
/// `notify_signal` (`wait` false) and a `notify_wait` without deadline on
/// `n`, with IRQs still masked from the trap: a wait parks (see the module
/// docs), a signal wakes the best waiter and, if it outranks us and every
/// ready thread, switches to it as the trap returns. The caller found `n`
/// through the calling process's handle table. None: the general path (an
/// ending process), nothing changed.
#[inline]
pub fn fast(frame: &mut TrapFrame, n: &Notification, wait: bool) -> Option<*mut TrapFrame> {
    thread::with_masked(|s| {
        let me = s.current();
        if s.is_doomed(me) {
            return None;
        }
        if wait {
            return Some(n.wait_parked(s, frame));
        }
        frame.r[0] = 0;
        n.signal_locked(s, frame.r[1], true);
        Some(s.preempt_now(frame))
    })
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
