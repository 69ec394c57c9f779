//! [`KRef`]: a counted reference to a kernel object, like `Arc`, but made
//! fallibly (`Arc::try_new` is not stable): creating an object when the
//! kernel heap is exhausted is an error for the caller to report, never a
//! panic.

use core::ops::Deref;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering, fence};

struct Inner<T> {
    refs: AtomicUsize,
    value: T,
}

/// A counted, shared reference to a `T` on the kernel heap. The object lives
/// while any reference does: a handle in some process's table, a binding, a
/// waiter. Dropping the last one drops the object (its `Drop` does the
/// kind's clean-up: an IRQ line masks itself, say), so the last reference
/// must not be dropped where the kernel heap may not be used (an interrupt
/// handler, under an `IrqLock`).
pub struct KRef<T> {
    ptr: NonNull<Inner<T>>,
}

// SAFETY: a KRef shares its T between threads like an Arc: T must be Sync to
// be shared and Send to be dropped by whichever thread drops the last one.
unsafe impl<T: Send + Sync> Send for KRef<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for KRef<T> {}

impl<T> KRef<T> {
    /// `value` on the heap with one reference, or `value` back if the heap
    /// has no room.
    pub fn try_new(value: T) -> Result<Self, T> {
        let layout = core::alloc::Layout::new::<Inner<T>>();
        // SAFETY: Inner holds an AtomicUsize: its size is not zero.
        let p = unsafe { alloc::alloc::alloc(layout) }.cast::<Inner<T>>();
        let Some(ptr) = NonNull::new(p) else {
            return Err(value);
        };
        // SAFETY: fresh memory with Inner<T>'s layout, written before use.
        unsafe {
            ptr.as_ptr().write(Inner {
                refs: AtomicUsize::new(1),
                value,
            })
        };
        Ok(KRef { ptr })
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: the object lives while any reference (this one) does.
        unsafe { self.ptr.as_ref() }
    }

    /// Whether two references name the same object.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.ptr == b.ptr
    }

    /// References that exist now (for tests and reports; may change at once).
    pub fn count(this: &Self) -> usize {
        this.inner().refs.load(Ordering::Relaxed)
    }

    /// The object's address, for identity checks without a reference.
    pub fn as_ptr(this: &Self) -> *const T {
        &this.inner().value
    }
}

impl<T> Clone for KRef<T> {
    fn clone(&self) -> Self {
        // Relaxed, as Arc: a new reference is made from an existing one.
        let old = self.inner().refs.fetch_add(1, Ordering::Relaxed);
        // A count this large can only come from leaked references.
        assert!(old < usize::MAX / 2, "KRef count overflow");
        KRef { ptr: self.ptr }
    }
}

impl<T> Drop for KRef<T> {
    fn drop(&mut self) {
        if self.inner().refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        let layout = core::alloc::Layout::new::<Inner<T>>();
        // SAFETY: the last reference: nobody else can reach the object. It
        // was allocated in try_new with this layout.
        unsafe {
            core::ptr::drop_in_place(self.ptr.as_ptr());
            alloc::alloc::dealloc(self.ptr.as_ptr().cast(), layout);
        }
    }
}

impl<T> Deref for KRef<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner().value
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for KRef<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    struct Counted<'a>(&'a AtomicU32);
    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn lives_while_referenced_and_drops_once() {
        let drops = AtomicU32::new(0);
        let a = KRef::try_new(Counted(&drops)).ok().unwrap();
        let b = a.clone();
        assert!(KRef::ptr_eq(&a, &b));
        assert_eq!(KRef::count(&a), 2);
        drop(a);
        assert_eq!(drops.load(Ordering::Relaxed), 0, "b still refers to it");
        assert_eq!(KRef::count(&b), 1);
        drop(b);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn distinct_objects_differ() {
        let a = KRef::try_new(1u32).unwrap();
        let b = KRef::try_new(1u32).unwrap();
        assert!(!KRef::ptr_eq(&a, &b));
        assert_eq!(*a, *b);
    }
}
