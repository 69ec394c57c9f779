//! Memory pressure for the fault-injection walk (kernel feature
//! `fault-inject`; without it these do nothing): [`hold_heap`] and
//! [`hold_l2`] take every free byte of the heap and every free table of
//! the L2 pool (without growing either), so that an operation's first heap
//! allocation must grow the heap's window and its first new table must
//! refill the pool, and [`super::inject`] can make those fail; [`release`]
//! gives both back. Apart from `inject`, which the allocators themselves
//! consult, because it reaches into them.

/// Takes every free byte of the kernel heap without growing it (see the
/// module docs); [`release`] gives them back. Returns the bytes taken.
/// Nothing without the `fault-inject` feature.
pub fn hold_heap() -> usize {
    #[cfg(feature = "fault-inject")]
    return super::heap::hold_free();
    #[cfg(not(feature = "fault-inject"))]
    0
}

/// Takes every free table of the L2 pool (see the module docs); [`release`]
/// gives them back. Returns how many it took. Nothing without the
/// `fault-inject` feature.
pub fn hold_l2() -> usize {
    #[cfg(feature = "fault-inject")]
    return super::hold_free_l2();
    #[cfg(not(feature = "fault-inject"))]
    0
}

/// Gives back what [`hold_heap`] and [`hold_l2`] took.
pub fn release() {
    #[cfg(feature = "fault-inject")]
    {
        super::release_held_l2();
        super::heap::release_held();
    }
}
