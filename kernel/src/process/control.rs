//! Process control: a process as a kernel object, so that another process
//! (a supervisor) can end it: `process_kill`.
//!
//! A [`Control`] (`object::process`) names one isolated process for as
//! long as it exists. The kernel makes one with [`process_object`] and
//! gives it to the supervisor at the supervisor's creation
//! ([`Spec::handles`](super::Spec::handles)), with [`Rights::MANAGE`] to
//! end it. The handle keeps no part of the process alive: its memory goes
//! back when it ends and its parent's `wait` returns, as for any end.
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
use crate::object::process::Control;
use crate::object::{self, KRef, Object};
use crate::syscall::abi::Errno;
use crate::thread;

/// A handle's object for isolated process `pid` (as it is now): grant it
/// with [`Rights::MANAGE`] to a supervisor, which may then end it
/// (`process_kill`).
///
/// Errors: `NoSuchTask` if there is none, `ClassViolation` for a
/// kernel-bound task (it runs kernel code and is ended only by its own
/// return), `NoMemory` when the heap has no room for the object.
pub fn process_object(pid: u16) -> Result<Object, ProcError> {
    let entry = get(pid).ok_or(ProcError::NoSuchTask)?;
    let first = {
        let t = entry.process.lock();
        if !t.class.is_isolated() {
            return Err(ProcError::ClassViolation);
        }
        thread::user_tid(t.thread)
    };
    KRef::try_new(Control::new(pid, first))
        .map(Object::Process)
        .map_err(|_| ProcError::NoMemory)
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
    if c.pid() == me {
        return Err(Errno::Inval);
    }
    let Some(entry) = get(c.pid()) else {
        return Ok(0);
    };
    // The pid may name a newer process by now: only the one the handle
    // named is ended.
    if thread::user_tid(entry.process.lock().thread) != c.first_thread() {
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
