//! Threads of a process: `thread_create`, `thread_exit`, `thread_join`.
//!
//! Every thread of a process runs in its address space, at a priority no
//! higher than the process's own (its spec's), and belongs to it: the
//! process's thread mask (`Entry::threads`) lists them until they are
//! joined, and when the process ends (`exit` from any thread, a fault in
//! any thread) all of them end (see `end.rs`). A thread's user stack is
//! memory the process mapped itself, so a hard process's threads run on
//! its reserved sections; how many threads it may have is part of its
//! admission ([`Spec::threads`](super::Spec::threads)) and creation past
//! that is refused (`NoMem`, "the reserved budget is used up").

use super::{drop_own, end::die, with_own};
use crate::layout::{USER_END, USER_START};
use crate::syscall::abi::Errno;
use crate::task::{self, IDLE_PRIORITY};
use arch::trap::TrapFrame;
use core::sync::atomic::Ordering;

/// Threads a soft isolated process may create besides its first when its
/// spec says 0.
pub const DEFAULT_SOFT_THREADS: u8 = 7;

/// `thread_create(entry, stack, arg, priority)`: a new thread of the
/// calling process, entering `entry` (Thumb if bit 0 is set) in user mode
/// with `sp = stack` and `r0 = arg`. Returns its thread id (see
/// [`task::user_tid`]).
///
/// Errors: `Inval` for a priority outside 0..=30, `Perm` for one above the
/// process's own, `Fault` for an entry or stack outside user memory or a
/// stack not 8-byte aligned, `NoMem` past the process's thread limit (its
/// admitted count for a hard process) or when the kernel has no room for
/// another thread. A new thread of higher priority than the caller runs
/// at once.
pub fn thread_create(entry: u32, stack: u32, arg: u32, priority: u32) -> Result<u32, Errno> {
    if priority >= u32::from(IDLE_PRIORITY) {
        return Err(Errno::Inval);
    }
    let in_user = |a: u32| (USER_START..USER_END).contains(&a);
    if !in_user(entry & !1) || !in_user(stack.wrapping_sub(8)) || !stack.is_multiple_of(8) {
        return Err(Errno::Fault);
    }
    let space = task::current_space().ok_or(Errno::Perm)?;
    let (name, limit, max_prio, entry_ref) = with_own(|e| {
        let t = e.task.lock();
        let ok = t.class.is_isolated() && t.exit.is_none();
        (t.name, t.max_threads, t.max_prio, ok)
    })
    .ok_or(Errno::Perm)?;
    if !entry_ref {
        return Err(Errno::Perm);
    }
    if (priority as u8) < max_prio {
        return Err(Errno::Perm);
    }
    // The count is checked and the new bit set under the process's own
    // lock, so two threads creating at once cannot both take the last one.
    with_own(|e| {
        let _serial = e.task.lock();
        // Counted before it can run (a kill meanwhile then sees it).
        if 1 + e.others.fetch_add(1, Ordering::Relaxed) >= u32::from(limit) {
            e.others.fetch_sub(1, Ordering::Relaxed);
            return Err(Errno::NoMem);
        }
        let frame = TrapFrame::user_thread(entry, stack, arg);
        let id = match task::spawn_frame(name, priority as u8, frame, Some(space), Some(e.pid)) {
            Ok(id) => id,
            Err(_) => {
                e.others.fetch_sub(1, Ordering::Relaxed);
                return Err(Errno::NoMem);
            }
        };
        e.threads.fetch_or(1 << id.index(), Ordering::Relaxed);
        // Ended meanwhile (another thread's fault, say) after the ending
        // had doomed the threads it knew of: this one goes too.
        if e.end.lock().is_some() {
            task::doom(1 << id.index(), die, None);
        }
        Ok(id)
    })
    .ok_or(Errno::Perm)?
    .map(|id| {
        task::preempt_point();
        task::user_tid(id)
    })
}

/// `thread_exit(code)`: ends the calling thread; `code` goes to its
/// joiner. From the process's first thread it ends the process (as
/// `exit(code)`): that thread is the one the process's parent waits for.
pub fn thread_exit(frame: &mut TrapFrame, code: i32) -> *mut TrapFrame {
    let first = with_own(|e| e.task.lock().thread == task::current_unlocked()).unwrap_or(true);
    if first {
        return super::exit_current(frame, code);
    }
    drop_own();
    task::syscall_thread_exit(frame, code)
}

/// `thread_join(tid)`: waits for thread `tid` of the calling process to
/// end, frees what is left of it and returns its `thread_exit` code.
///
/// Errors: `Inval` when `tid` names no thread of this process that is not
/// joined yet (another process's thread, a stale id), or the caller
/// itself, or a thread another thread is joining already.
pub fn thread_join(tid: u32) -> Result<u32, Errno> {
    let id = task::from_user_tid(tid).ok_or(Errno::Inval)?;
    let me = task::current_unlocked();
    let ours =
        with_own(|e| e.threads.load(Ordering::Relaxed) & 1 << id.index() != 0).unwrap_or(false);
    if !ours || id == me {
        return Err(Errno::Inval);
    }
    let code = task::join_code(id).map_err(|_| Errno::Inval)?;
    with_own(|e| {
        e.threads.fetch_and(!(1 << id.index()), Ordering::Relaxed);
        e.others.fetch_sub(1, Ordering::Relaxed);
    });
    Ok(code as u32)
}
