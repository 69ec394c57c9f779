//! A thread as a kernel object: what a thread handle names
//! (`thread_create` makes one, `thread_join` takes it; see
//! `process::threads`). It holds the thread's id with its slot's
//! generation ([`crate::thread::user_tid`]), so a handle kept past the join
//! names nothing.

use core::sync::atomic::{AtomicU32, Ordering};

/// A thread of the process holding the handle.
#[derive(Debug)]
pub struct Thread {
    tid: AtomicU32,
}

impl Thread {
    /// A thread object not yet bound to a thread (id 0).
    pub const fn new() -> Self {
        Thread {
            tid: AtomicU32::new(0),
        }
    }

    /// Binds it to the thread with user id `tid` (once it exists).
    pub fn set_tid(&self, tid: u32) {
        self.tid.store(tid, Ordering::Relaxed);
    }

    /// The user id of the thread it names (0 before [`Thread::set_tid`]).
    pub fn tid(&self) -> u32 {
        self.tid.load(Ordering::Relaxed)
    }
}

impl Default for Thread {
    fn default() -> Self {
        Self::new()
    }
}
