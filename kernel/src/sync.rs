//! Locks for a single-core kernel whose interrupt handlers share data with
//! threads.
//!
//! [`IrqLock`] masks IRQs for as long as it is held, then takes a spin lock
//! (which, on one core, can only be contended by a bug). Masking first means a
//! handler can never interrupt the holder and spin forever on the same lock.

use core::ops::{Deref, DerefMut};
use spin::{Mutex, MutexGuard};

/// A spin lock that masks interrupts while held.
pub struct IrqLock<T> {
    inner: Mutex<T>,
}

/// Access to an [`IrqLock`]'s data; unmasks interrupts (if they were on)
/// when dropped.
pub struct IrqGuard<'a, T> {
    guard: Option<MutexGuard<'a, T>>,
    irqs_were_on: bool,
}

impl<T> IrqLock<T> {
    /// A new unlocked lock.
    pub const fn new(value: T) -> Self {
        Self {
            inner: Mutex::new(value),
        }
    }

    /// Masks interrupts and takes the lock.
    #[cfg_attr(feature = "irqsoff", track_caller)]
    pub fn lock(&self) -> IrqGuard<'_, T> {
        let irqs_were_on = arch::cpu::interrupts_disable();
        IrqGuard {
            guard: Some(self.inner.lock()),
            irqs_were_on,
        }
    }

    /// Takes the lock if it is free (IRQs masked while held); for report
    /// paths that must not wait on a lock the crashed code may hold.
    #[cfg_attr(feature = "irqsoff", track_caller)]
    pub fn try_lock(&self) -> Option<IrqGuard<'_, T>> {
        let irqs_were_on = arch::cpu::interrupts_disable();
        match self.inner.try_lock() {
            Some(guard) => Some(IrqGuard {
                guard: Some(guard),
                irqs_were_on,
            }),
            None => {
                if irqs_were_on {
                    arch::cpu::interrupts_enable();
                }
                None
            }
        }
    }

    /// Whether someone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// Releases a lock whose holder will never run again.
    ///
    /// # Safety
    /// Only for the panic path: no guard of this lock may be used afterwards.
    pub unsafe fn force_unlock(&self) {
        // SAFETY: the caller guarantees the holder is gone for good.
        unsafe { self.inner.force_unlock() }
    }
}

impl<T> Deref for IrqGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard present until drop")
    }
}

impl<T> DerefMut for IrqGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("guard present until drop")
    }
}

impl<T> Drop for IrqGuard<'_, T> {
    fn drop(&mut self) {
        drop(self.guard.take());
        if self.irqs_were_on {
            arch::cpu::interrupts_enable();
        }
    }
}
