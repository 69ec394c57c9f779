//! Blocking synchronisation: a mutex with priority inheritance and a counting
//! semaphore that interrupt handlers may signal.
//!
//! Priority inheritance (not a ceiling): it needs no configuration per mutex
//! and bounds a high-priority thread's blocking to the critical sections of
//! the lower ones in its way. When a thread blocks on a held mutex, the owner
//! (and, transitively, the owner of whatever that owner waits for) runs at
//! the waiter's priority; on unlock the owner drops back to the highest of
//! its base priority and the waiters of the mutexes it still holds, and the
//! mutex goes straight to its highest-priority waiter. Waiter sets are 64-bit
//! masks over thread ids, so every operation is bounded by MAX_THREADS.
//!
//! **Fast path.** Taking a free mutex and releasing one nobody waits for
//! are a few instructions with IRQs masked, without the scheduler lock (the
//! kernel heap, `kernel::mm` and every task lock go through here on each
//! call). A mutex enters its owner's `held` list only when a thread first
//! waits for it ("tracked"), which is all that priority inheritance needs:
//! a mutex nobody waits for lends no priority.
//!
//! Apart from the fast path, all state here is only touched under the
//! scheduler lock.
//!
//! **Where a [`Mutex`] may be taken.** From thread context only: a thread, or
//! a system call or fault handler running on a thread's kernel stack. With
//! IRQs masked that would still be sound (blocking switches to another
//! thread) but the critical section would then run masked, which the
//! IRQs-off budget forbids after boot: a panic in debug builds. Never from
//! an interrupt handler (it has no thread to block) and
//! never while holding the scheduler lock or any other `IrqLock` (a spin
//! lock: blocking with it held would leave every other taker spinning with
//! IRQs masked). Both are kernel bugs and panic at once. Before the
//! scheduler starts (boot: one thread, IRQs masked) a mutex cannot be
//! contended; it is taken without the scheduler and a second lock by the
//! same code is a panic.

use super::{
    MAX_HELD, MAX_THREADS, SCHED, Sched, State, ThreadId, booted, current_unlocked, preempt_point,
    started, with,
};
use core::cell::{Cell, UnsafeCell};
use core::ops::{Deref, DerefMut};

const _: () = assert!(MAX_THREADS <= 64);

/// The scheduler-side state of a mutex.
pub struct MutexCore {
    owner: Cell<Option<ThreadId>>,
    waiters: Cell<u64>,
    /// In its owner's `held` list (someone waited for it since it was
    /// taken); the fast unlock is only for untracked mutexes.
    tracked: Cell<bool>,
    /// Held by boot code, before the scheduler started.
    boot_held: Cell<bool>,
}

impl MutexCore {
    const fn new() -> Self {
        Self {
            owner: Cell::new(None),
            waiters: Cell::new(0),
            tracked: Cell::new(false),
            boot_held: Cell::new(false),
        }
    }
}

/// Panics if a sleeping lock may not be taken here (see the module docs).
#[inline]
fn check_context() {
    assert!(
        !crate::context::in_irq_handler(),
        "kernel bug: a sleeping lock (Mutex) taken in an interrupt handler"
    );
    assert!(
        !SCHED.is_locked(),
        "kernel bug: a sleeping lock (Mutex) taken under the scheduler lock"
    );
    // IRQs masked after boot: sound (blocking switches threads) but the
    // whole critical section then runs masked, which the IRQs-off budget
    // forbids. Checked in debug builds (it costs an IRQ mask and unmask).
    if cfg!(debug_assertions) && booted() {
        let irqs_on = arch::cpu::interrupts_disable();
        if irqs_on {
            arch::cpu::interrupts_enable();
        }
        assert!(
            irqs_on,
            "kernel bug: a sleeping lock (Mutex) taken with IRQs masked after boot"
        );
    }
}

/// The highest-priority thread in a waiter mask.
#[inline]
fn best_waiter(s: &mut Sched, mask: u64) -> Option<(ThreadId, u8)> {
    if mask != 0 && mask & (mask - 1) == 0 {
        // One waiter (the usual case): no comparison to make.
        let id = ThreadId::new(mask.trailing_zeros() as u16);
        return Some((id, s.tcb(id).prio));
    }
    best_of(s, mask)
}

/// [`best_waiter`] of none or several.
#[inline(never)]
fn best_of(s: &mut Sched, mask: u64) -> Option<(ThreadId, u8)> {
    let mut best: Option<(ThreadId, u8)> = None;
    let mut m = mask;
    while m != 0 {
        let i = m.trailing_zeros() as u16;
        m &= m - 1;
        let id = ThreadId::new(i);
        let p = s.tcb(id).prio;
        if best.is_none_or(|(_, bp)| p < bp) {
            best = Some((id, p));
        }
    }
    best
}

/// The priority `id` should run at: its base, raised by the waiters of every
/// mutex it holds and by the IPC clients it serves (`Tcb::donated`).
#[inline(always)]
pub(crate) fn effective_prio(s: &mut Sched, id: ThreadId) -> u8 {
    let t = s.tcb(id);
    // The list is packed (see `hold` and `release`): empty if its first
    // slot is.
    if t.held[0].is_none() {
        return t.base_prio.min(t.donated);
    }
    held_prio(s, id)
}

/// [`effective_prio`] of a thread that holds a mutex someone waits for.
#[inline(never)]
fn held_prio(s: &mut Sched, id: ThreadId) -> u8 {
    let mut prio = s.tcb(id).base_prio.min(s.tcb(id).donated);
    // By index: copying the array out would cost a `memcpy` per call. The
    // list ends at its first gap.
    for i in 0..MAX_HELD {
        let Some(m) = s.tcb(id).held[i] else { break };
        // SAFETY: a held mutex outlives its guard, which its owner holds.
        let waiters = unsafe { (*m).waiters.get() };
        if let Some((_, p)) = best_waiter(s, waiters) {
            prio = prio.min(p);
        }
    }
    prio
}

/// The owner of the mutex whose core is `m` (for the IPC layer's
/// donation chain).
///
/// # Safety
/// `m` is the `blocked_on` of a thread still waiting for it (so the mutex
/// lives); the scheduler lock is held.
pub(crate) unsafe fn owner_of(m: *const MutexCore) -> Option<ThreadId> {
    // SAFETY: the caller's duty: a live mutex.
    unsafe { (*m).owner.get() }
}

/// Lends `prio` down the chain of owners starting at `owner`.
fn inherit(s: &mut Sched, mut owner: ThreadId, prio: u8) {
    for _ in 0..MAX_THREADS {
        if s.tcb(owner).prio <= prio {
            return;
        }
        s.set_prio(owner, prio);
        let blocked_on = s.tcb(owner).blocked_on;
        // SAFETY: blocked_on points at a mutex that outlives its waiters (a
        // waiter borrows it for the whole of `lock`).
        let next_owner = blocked_on.and_then(|m| unsafe { (*m).owner.get() });
        match next_owner {
            Some(next) => owner = next,
            // An owner blocked in an IPC call lends on to its server.
            None => return crate::ipc::pass_on(s, owner),
        }
    }
}

/// Enters `core` in `id`'s held list, at its first gap: the list stays
/// packed.
#[inline]
fn hold(s: &mut Sched, id: ThreadId, core: *const MutexCore) {
    let t = s.tcb(id);
    let slot = t
        .held
        .iter_mut()
        .find(|h| h.is_none())
        .expect("too many mutexes held at once");
    *slot = Some(core);
}

/// Takes `core` out of `id`'s held list, moving the last entry into its
/// place: the list stays packed.
#[inline]
fn release(s: &mut Sched, id: ThreadId, core: *const MutexCore) {
    let held = &mut s.tcb(id).held;
    let Some(i) = held.iter().position(|h| *h == Some(core)) else {
        return;
    };
    let mut last = i;
    while last + 1 < MAX_HELD && held[last + 1].is_some() {
        last += 1;
    }
    held[i] = held[last];
    held[last] = None;
}

/// A mutual-exclusion lock for threads, with priority inheritance. Not for
/// interrupt handlers (they cannot block).
pub struct Mutex<T> {
    core: MutexCore,
    data: UnsafeCell<T>,
}

// SAFETY: access to `data` is serialised by the lock; `core` only under the
// scheduler lock.
unsafe impl<T: Send> Sync for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Mutex<T> {}

/// Proof of holding a [`Mutex`]; unlocks when dropped.
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
    /// Taken before the scheduler started (see [`Mutex::lock`]).
    boot: bool,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    pub const fn new(value: T) -> Self {
        Self {
            core: MutexCore::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, blocking (and lending our priority to the owner) while
    /// another thread holds it.
    ///
    /// Before the scheduler starts there is one thread and no contention:
    /// the lock is then only marked held (a second `lock` panics). Panics in
    /// an interrupt handler or under the scheduler lock (kernel bugs: see
    /// the module docs).
    #[inline]
    #[cfg_attr(feature = "irqsoff", track_caller)]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        if !started() {
            return self.lock_boot();
        }
        check_context();
        let me = current_unlocked();
        let irqs = arch::cpu::interrupts_disable();
        // Fast path: free, so nobody waits for it.
        if self.core.owner.get().is_none() {
            self.core.owner.set(Some(me));
            if irqs {
                arch::cpu::interrupts_enable();
            }
            return MutexGuard {
                mutex: self,
                boot: false,
            };
        }
        self.lock_contended(me, irqs)
    }

    /// Runs `f` on the data without taking the lock, if no thread holds it
    /// (None if one does). IRQs must be masked: on the one core no other
    /// thread then runs while `f` does, and none is inside a critical
    /// section of this mutex, so `f` reads what a holder would. For a short
    /// read on a path that is masked anyway (the IPC fast path's handle
    /// lookup): no owner to set and clear, no priority bookkeeping.
    #[inline]
    pub fn peek<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        debug_assert!(!arch::cpu::irqs_enabled(), "Mutex::peek with IRQs enabled");
        if self.core.owner.get().is_some() || self.core.boot_held.get() {
            return None;
        }
        // SAFETY: IRQs are masked on the one core and no thread holds the
        // lock (see above), so nothing writes the data while `f` reads it;
        // interrupt handlers never take a `Mutex` (`check_context`).
        Some(f(unsafe { &*self.data.get() }))
    }

    /// [`Mutex::lock`] before the scheduler starts.
    fn lock_boot(&self) -> MutexGuard<'_, T> {
        assert!(
            !self.core.boot_held.replace(true),
            "kernel bug: a Mutex locked twice during boot"
        );
        MutexGuard {
            mutex: self,
            boot: true,
        }
    }

    /// [`Mutex::lock`] when another thread holds it (IRQs masked; `irqs`:
    /// whether they were on).
    #[cfg_attr(feature = "irqsoff", track_caller)]
    fn lock_contended(&self, me: ThreadId, irqs: bool) -> MutexGuard<'_, T> {
        let core: *const MutexCore = &self.core;
        let must_wait = with(|s| match self.core.owner.get() {
            None => {
                self.core.owner.set(Some(me));
                false
            }
            Some(owner) => {
                assert!(owner != me, "mutex locked twice by the same thread");
                if !self.core.tracked.replace(true) {
                    hold(s, owner, core);
                }
                self.core
                    .waiters
                    .set(self.core.waiters.get() | 1 << me.index());
                s.tcb(me).blocked_on = Some(core);
                s.block_current();
                let prio = s.tcb(me).prio;
                // A ready owner waits for nothing: the chain ends at it. If
                // our priority lifts it above every ready thread, the switch
                // below goes straight to it, without queueing it.
                let lift = s.tcb(owner).state == State::Ready && s.tcb(owner).prio > prio;
                if !(lift && s.lift_ready(owner, prio)) {
                    inherit(s, owner, prio);
                }
                true
            }
        });
        if must_wait {
            // unlock() hands the mutex to us before making us ready.
            arch::trap::reschedule();
        }
        if irqs {
            arch::cpu::interrupts_enable();
        }
        MutexGuard {
            mutex: self,
            boot: false,
        }
    }

    /// The protected value, taking the mutex apart (no lock needed: `self`
    /// is ours).
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }

    /// The protected value, borrowed mutably (no lock needed: `self` is
    /// ours alone).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// The current owner, if any.
    pub fn owner(&self) -> Option<ThreadId> {
        with(|_| self.core.owner.get())
    }

    /// Releases the lock. It is a preemption point only for what the unlock
    /// itself changed (a waiter got the mutex, or our inherited priority
    /// dropped), judged by the priority we are left with (a waiter that
    /// lent us its priority outranks us once we drop it): a switch that some other event asked for (a spawn, say)
    /// waits for the next interrupt or preemption point, as it would have
    /// without the lock, so that taking a lock in passing (the kernel heap,
    /// `kernel::mm`) does not reorder its caller's work.
    #[inline]
    fn unlock(&self) {
        let irqs = arch::cpu::interrupts_disable();
        // Fast path: nobody waits, so it is in no `held` list.
        if self.core.waiters.get() == 0 && !self.core.tracked.get() {
            self.core.owner.set(None);
            if irqs {
                arch::cpu::interrupts_enable();
            }
            return;
        }
        self.unlock_contended(irqs);
    }

    /// [`Mutex::unlock`] when a thread waits or waited for the mutex (IRQs
    /// masked; `irqs`: whether they were on).
    fn unlock_contended(&self, irqs: bool) {
        let core: *const MutexCore = &self.core;
        let preempt = with(|s| {
            let me = s.current();
            // In the held list only once someone waited (held once at most:
            // locking it twice panics).
            if self.core.tracked.replace(false) {
                release(s, me, core);
            }
            // The waiter gets its priority before it is queued (a blocked
            // thread is in no queue: nothing to requeue).
            let handed = best_waiter(s, self.core.waiters.get()).map(|(next, _)| {
                self.core
                    .waiters
                    .set(self.core.waiters.get() & !(1 << next.index()));
                self.core.owner.set(Some(next));
                if self.core.waiters.get() != 0 {
                    self.core.tracked.set(true);
                    hold(s, next, core);
                }
                s.tcb(next).blocked_on = None;
                let p = effective_prio(s, next);
                s.tcb(next).prio = p;
                next
            });
            if handed.is_none() {
                self.core.owner.set(None);
            }
            // Only a boosted owner can drop: at its base priority no waiter
            // of what it holds outranks it, and giving a mutex up adds none.
            // Running, so in no queue: a store does.
            let mut lowered = false;
            if s.tcb(me).prio != s.tcb(me).base_prio {
                let p = effective_prio(s, me);
                lowered = p != s.tcb(me).prio;
                s.tcb(me).prio = p;
            }
            // Who runs is decided against the priority we are left with: the
            // waiter we lent it to, if it outranks us now, runs at once.
            let me_prio = s.tcb(me).prio;
            if let Some(next) = handed {
                let p = s.tcb(next).prio;
                if p < me_prio && s.outranks_ready(p) {
                    // Straight to it, not through the ready queue.
                    s.hand_off(next);
                    return true;
                }
                s.make_ready(next);
            }
            // A preemption point only when this unlock changed who should
            // run (see above): not for a switch some interrupt asked for.
            (handed.is_some() || lowered)
                && (core::mem::take(&mut s.need_resched) || s.ready_above(me_prio))
        });
        if preempt {
            arch::trap::reschedule(); // as preempt_point
        }
        if irqs {
            arch::cpu::interrupts_enable();
        }
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves we hold the lock.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves we hold the lock, exclusively.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if self.boot {
            self.mutex.core.boot_held.set(false);
        } else {
            self.mutex.unlock();
        }
    }
}

/// A counting semaphore. `give` may be called from interrupt handlers: the
/// woken thread runs when the handler's trap returns, if it has the higher
/// priority.
pub struct Semaphore {
    count: Cell<u32>,
    waiters: Cell<u64>,
}

// SAFETY: both cells are only touched under the scheduler lock.
unsafe impl Sync for Semaphore {}

impl Semaphore {
    /// A semaphore holding `count` units.
    pub const fn new(count: u32) -> Self {
        Self {
            count: Cell::new(count),
            waiters: Cell::new(0),
        }
    }

    /// Takes a unit, blocking until one is given.
    pub fn take(&self) {
        let irqs = arch::cpu::interrupts_disable();
        let must_wait = with(|s| {
            if self.count.get() > 0 {
                self.count.set(self.count.get() - 1);
                return false;
            }
            let me = s.current();
            self.waiters.set(self.waiters.get() | 1 << me.index());
            s.block_current();
            true
        });
        if must_wait {
            // give() hands its unit straight to us.
            arch::trap::reschedule();
        }
        if irqs {
            arch::cpu::interrupts_enable();
        }
    }

    /// Takes a unit if one is there, without blocking.
    pub fn try_take(&self) -> bool {
        with(|_| {
            let c = self.count.get();
            if c > 0 {
                self.count.set(c - 1);
            }
            c > 0
        })
    }

    /// Gives a unit: to the highest-priority waiter if any, else to the count.
    /// Safe from interrupt handlers.
    pub fn give(&self) {
        let in_thread = with(|s| {
            match best_waiter(s, self.waiters.get()) {
                Some((w, _)) => {
                    self.waiters.set(self.waiters.get() & !(1 << w.index()));
                    debug_assert_eq!(s.tcb(w).state, State::Blocked);
                    s.make_ready(w);
                }
                None => self.count.set(self.count.get().saturating_add(1)),
            }
            !crate::context::in_irq_handler()
        });
        if in_thread {
            preempt_point();
        }
    }

    /// Units available now.
    pub fn count(&self) -> u32 {
        with(|_| self.count.get())
    }
}
