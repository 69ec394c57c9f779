//! Process control: a process as a kernel object, so that another process
//! (a supervisor) can end it: `process_kill`.
//!
//! A [`Control`] names one isolated process for as long as it exists: its
//! pid and its first thread's id with that slot's generation, so once the
//! process is gone (waited for) the object names nothing, even if the pid
//! and the thread slot are reused. The kernel makes one with
//! [`Object::new_process`](crate::object::Object::new_process) and gives
//! it to the supervisor at the supervisor's creation ([`Spec::handles`](
//! super::Spec::handles)), with [`Rights::MANAGE`] to end it. The handle
//! keeps no part of the process alive: its memory goes back when it ends
//! and its parent's `wait` returns, as for any end.
//!
//! A kill is an end like a fault: it is recorded (exit status
//! [`KILLED`](super::KILLED), reported as "killed: process_kill by process
//! N"), the process's threads are ended where they stand at the user
//! boundary or as their system call returns ([`thread::doom`]), and its
//! memory is given back later by the reaper or the parent's `wait`, in
//! bounded steps.

use super::end::kill;
use super::{ProcError, get, with_current};
use crate::handle::{Handle, Rights};
use crate::object::{self, Object};
use crate::syscall::abi::Errno;
use crate::thread;

/// A process as a handle names it (see the module docs).
#[derive(Debug)]
pub struct Control {
    pid: u16,
    /// Its first thread, with the slot's generation ([`thread::user_tid`]).
    first: u32,
}

impl Control {
    /// A control object for isolated process `pid` (as it is now).
    ///
    /// Errors: `NoSuchTask` if there is none, `ClassViolation` for a
    /// kernel-bound task (it runs kernel code and is ended only by its
    /// own return).
    pub fn new(pid: u16) -> Result<Control, ProcError> {
        let entry = get(pid).ok_or(ProcError::NoSuchTask)?;
        let t = entry.process.lock();
        if !t.class.is_isolated() {
            return Err(ProcError::ClassViolation);
        }
        Ok(Control {
            pid,
            first: thread::user_tid(t.thread),
        })
    }

    /// The pid of the process it names (which may have ended).
    pub fn pid(&self) -> u16 {
        self.pid
    }
}

/// `process_kill(h)`: ends the process that handle `h` (a process handle
/// with `MANAGE`) names. Returns 1 if this call ended it, 0 if it had
/// ended already (by `exit`, a fault, an earlier kill, or it is gone).
///
/// Errors: `BadHandle` when `h` is not a process handle with `MANAGE` of
/// the caller's table; `Inval` when it names the caller itself (`exit`
/// ends oneself).
pub fn process_kill(h: u32) -> Result<u32, Errno> {
    let c = with_current(|t| {
        object::lookup(
            &t.handles,
            Handle::from_raw(h),
            Rights::MANAGE,
            Object::process,
        )
    })
    .ok_or(Errno::Perm)?
    .map_err(Errno::from)?;
    let me = super::current_pid().ok_or(Errno::Perm)?;
    if c.pid == me {
        return Err(Errno::Inval);
    }
    let Some(entry) = get(c.pid) else {
        return Ok(0);
    };
    // The pid may name a newer process by now: only the one the handle
    // named is ended.
    if thread::user_tid(entry.process.lock().thread) != c.first {
        return Ok(0);
    }
    Ok(u32::from(kill(&entry, me)))
}

/// Ends process `pid` from the kernel, as `process_kill` does (the kernel
/// is its supervisor: a test's, or a system's last resort). True if this
/// call ended it; false if it had ended already or there is none.
pub fn kill_pid(pid: u16) -> bool {
    get(pid).is_some_and(|entry| kill(&entry, u16::MAX))
}
