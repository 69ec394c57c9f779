//! A process as a kernel object: what a process handle names, so that its
//! holder (a supervisor, with `MANAGE`) can end it (`process_kill`; see
//! `process::control`, which makes these). It holds the process's pid and
//! its first thread's id with that slot's generation
//! ([`crate::thread::user_tid`]), so once the process is gone the handle
//! names nothing, even if the pid and the thread slot are reused. It keeps
//! no part of the process alive.

/// An isolated process, as a handle names it.
#[derive(Debug)]
pub struct Control {
    pid: u16,
    first: u32,
}

impl Control {
    /// Names process `pid` whose first thread has user id `first`.
    pub const fn new(pid: u16, first: u32) -> Self {
        Control { pid, first }
    }

    /// The pid of the process it names (which may have ended since).
    pub fn pid(&self) -> u16 {
        self.pid
    }

    /// The user id of that process's first thread.
    pub fn first_thread(&self) -> u32 {
        self.first
    }
}
