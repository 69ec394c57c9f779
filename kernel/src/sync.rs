//! Locks for a single-core kernel whose interrupt handlers share data with
//! threads.
//!
//! [`IrqLock`] masks IRQs for as long as it is held. On the one core that
//! alone excludes everyone else, so the lock word is only a guard against a
//! bug (taking the same lock twice), checked with plain loads and stores.
//!
//! [`IrqCell`] is for data touched only where IRQs are masked already (the
//! trap path, or under another `IrqLock`): no masking of its own, just the
//! check that IRQs are masked and that it is not entered twice.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};

/// A lock that masks interrupts while held (one core: masking is what
/// excludes the others).
pub struct IrqLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through a guard, and a guard exists only
// with IRQs masked on the one core and the lock word set: one user at a time.
unsafe impl<T: Send> Sync for IrqLock<T> {}
// SAFETY: as for any container of a `T: Send`.
unsafe impl<T: Send> Send for IrqLock<T> {}

/// Access to an [`IrqLock`]'s data; unmasks interrupts (if they were on)
/// when dropped.
pub struct IrqGuard<'a, T> {
    lock: &'a IrqLock<T>,
    irqs_were_on: bool,
}

impl<T> IrqLock<T> {
    /// A new unlocked lock.
    pub const fn new(value: T) -> Self {
        Self {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Masks interrupts and takes the lock. Taking it while held can only be
    /// a re-entry on this core (nobody else runs while IRQs are masked):
    /// that would wait forever, so it panics instead.
    #[inline]
    #[cfg_attr(feature = "irqsoff", track_caller)]
    pub fn lock(&self) -> IrqGuard<'_, T> {
        let irqs_were_on = arch::cpu::interrupts_disable();
        // Relaxed: one core, and IRQs are masked (see the type's docs).
        if self.locked.swap_plain() {
            lock_reentered();
        }
        IrqGuard {
            lock: self,
            irqs_were_on,
        }
    }

    /// [`IrqLock::lock`] for a caller that runs with IRQs masked already
    /// (the trap path's fast paths): nothing to mask, and nothing to
    /// restore on release.
    #[inline]
    pub fn lock_masked(&self) -> IrqGuard<'_, T> {
        debug_assert!(!arch::cpu::irqs_enabled(), "lock_masked with IRQs on");
        if self.locked.swap_plain() {
            lock_reentered();
        }
        IrqGuard {
            lock: self,
            irqs_were_on: false,
        }
    }

    /// Takes the lock if it is free (IRQs masked while held); for report
    /// paths that must not wait on a lock the crashed code may hold.
    #[cfg_attr(feature = "irqsoff", track_caller)]
    pub fn try_lock(&self) -> Option<IrqGuard<'_, T>> {
        let irqs_were_on = arch::cpu::interrupts_disable();
        if self.locked.swap_plain() {
            if irqs_were_on {
                arch::cpu::interrupts_enable();
            }
            return None;
        }
        Some(IrqGuard {
            lock: self,
            irqs_were_on,
        })
    }

    /// Whether someone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }

    /// Releases a lock whose holder will never run again.
    ///
    /// # Safety
    /// Only for the panic path: no guard of this lock may be used afterwards.
    pub unsafe fn force_unlock(&self) {
        self.locked.store(false, Ordering::Relaxed);
    }
}

#[cold]
#[inline(never)]
fn lock_reentered() -> ! {
    panic!("IrqLock taken while held (re-entered on this core)");
}

/// `swap(true)` as a plain load and store: IRQs are masked on the one core,
/// so nothing can come between them (and `ldrex`/`strex` would buy nothing).
trait SwapPlain {
    fn swap_plain(&self) -> bool;
}

impl SwapPlain for AtomicBool {
    #[inline(always)]
    fn swap_plain(&self) -> bool {
        let was = self.load(Ordering::Relaxed);
        self.store(true, Ordering::Relaxed);
        was
    }
}

impl<T> Deref for IrqGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock (see `IrqLock`'s Sync).
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for IrqGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, and `&mut self` makes this the
        // only reference through it.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for IrqGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Relaxed);
        if self.irqs_were_on {
            arch::cpu::interrupts_enable();
        }
    }
}

/// Data that is only touched with IRQs masked (in the trap path, or under an
/// [`IrqLock`]): masking already excludes everyone else on the one core, so
/// access costs a check, not a lock.
pub struct IrqCell<T> {
    busy: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: `with` runs only with IRQs masked on the one core and refuses to
// nest, so the value has one user at a time.
unsafe impl<T: Send> Sync for IrqCell<T> {}

impl<T> IrqCell<T> {
    /// A new cell.
    pub const fn new(value: T) -> Self {
        Self {
            busy: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Runs `f` on the value. Panics if IRQs are enabled or if called again
    /// from inside `f` (both are kernel bugs).
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        assert!(!arch::cpu::irqs_enabled(), "IrqCell used with IRQs enabled");
        if self.busy.swap_plain() {
            lock_reentered();
        }
        // SAFETY: IRQs are masked (checked) on the one core and `busy` was
        // clear: this is the only reference until `busy` is cleared again.
        let r = f(unsafe { &mut *self.value.get() });
        self.busy.store(false, Ordering::Relaxed);
        r
    }
}
