//! Fault injection: makes the N-th allocation fail, to prove every
//! creation path fails cleanly (kernel feature `fault-inject`, on in the
//! test images; without it [`arm`] refuses and the allocators carry no
//! hook).
//!
//! Four allocators ask [`should_fail`] first: the frame allocator (every
//! block, L2-pool and heap-growth frames included), the L2 table pool, the
//! zones (thread control blocks) and the kernel heap. Only allocations made
//! by the armed thread count (the caller of [`arm`], or a process's thread
//! named to [`arm_thread`], whose system call is the operation), so a test
//! walks N over exactly the allocations of one operation (see
//! `tests/src/bin/mm_fault_inject.rs`).
//!
//! Heap growth and the L2 pool's refill are walked too, under the
//! pressure of [`super::pressure`].

use core::sync::atomic::{AtomicBool, AtomicU8, AtomicU16, AtomicU64, Ordering::Relaxed};

/// Which allocator an allocation asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// The frame allocator (`FrameAllocator::alloc`).
    Frames = 1,
    /// The L2 table pool.
    L2 = 2,
    /// A zone (`Zone::alloc`).
    Zone = 3,
    /// The kernel heap.
    Heap = 4,
}

/// What happened between [`arm`] and [`disarm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// Allocations the arming thread asked for (the failed one included).
    pub seen: u64,
    /// The allocator whose answer was turned into a failure, if any.
    pub failed: Option<Site>,
}

static ARMED: AtomicBool = AtomicBool::new(false);
static THREAD: AtomicU16 = AtomicU16::new(0);
/// The 1-based index of the allocation to fail (0: count only).
static TARGET: AtomicU64 = AtomicU64::new(0);
static SEEN: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU8 = AtomicU8::new(0);

/// Arms the injection for the calling thread: its `n`-th allocation from
/// now fails (`n` = 0: none fails, they are only counted). False when the
/// kernel was built without the `fault-inject` feature.
pub fn arm(n: u64) -> bool {
    arm_thread(crate::thread::current_unlocked(), n)
}

/// [`arm`] for another thread (a process's, whose next system call is the
/// operation walked): its `n`-th allocation from now fails.
pub fn arm_thread(thread: crate::thread::ThreadId, n: u64) -> bool {
    if !cfg!(feature = "fault-inject") {
        return false;
    }
    THREAD.store(thread.index() as u16, Relaxed);
    TARGET.store(n, Relaxed);
    SEEN.store(0, Relaxed);
    FAILED.store(0, Relaxed);
    ARMED.store(true, Relaxed);
    true
}

/// Stops the injection; says what it saw.
pub fn disarm() -> Report {
    ARMED.store(false, Relaxed);
    let failed = match FAILED.load(Relaxed) {
        1 => Some(Site::Frames),
        2 => Some(Site::L2),
        3 => Some(Site::Zone),
        4 => Some(Site::Heap),
        _ => None,
    };
    Report {
        seen: SEEN.load(Relaxed),
        failed,
    }
}

/// Whether this allocation (from `site`) must fail. Called by the
/// allocators at their start; cheap when disarmed (one load).
pub fn should_fail(site: Site) -> bool {
    if !ARMED.load(Relaxed)
        || crate::thread::current_unlocked().index() as u16 != THREAD.load(Relaxed)
    {
        return false;
    }
    let seen = SEEN.fetch_add(1, Relaxed) + 1;
    if seen == TARGET.load(Relaxed) {
        FAILED.store(site as u8, Relaxed);
        return true;
    }
    false
}
