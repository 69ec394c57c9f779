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
//!
//! A thread is named by a handle ([`Object::Thread`], right `MANAGE`) in
//! its creator's process: `thread_join` takes it and closes it.

use super::{drop_own, end::die, with_current, with_own};
use crate::handle::{Handle, Rights};
use crate::layout::{USER_END, USER_START};
use crate::object::thread::Thread;
use crate::object::{self, KRef, Object};
use crate::syscall::abi::Errno;
use crate::thread::{self, IDLE_PRIORITY};
use arch::trap::TrapFrame;
use core::sync::atomic::Ordering;

/// Threads a soft isolated process may create besides its first when its
/// spec says 0.
pub const DEFAULT_SOFT_THREADS: u8 = 7;

/// What one thread of a hard process needs, taken at its admission so
/// that `thread_create` allocates nothing: a kernel stack and room for a
/// control block ([`thread::Lent`]), and the object its handle names. Back
/// in the process's reserve after each `thread_join`.
#[derive(Debug)]
pub(super) struct Reserved {
    lent: thread::Lent,
    object: KRef<Thread>,
}

impl Reserved {
    /// Takes one (admission).
    pub(super) fn take() -> Result<Reserved, super::ProcError> {
        let object = KRef::try_new(Thread::new()).map_err(|_| super::ProcError::NoMemory)?;
        let lent = thread::reserve_lent().map_err(|_| super::ProcError::NoMemory)?;
        Ok(Reserved { lent, object })
    }

    /// Gives it back (the process's teardown).
    pub(super) fn give_back(self) {
        thread::free_lent(self.lent);
    }
}

/// `thread_create(entry, stack, arg, priority)`: a new thread of the
/// calling process, entering `entry` (Thumb if bit 0 is set) in user mode
/// with `sp = stack` and `r0 = arg`. Returns a handle to it (`MANAGE`).
///
/// Errors: `Inval` for a priority outside 0..=30, `Perm` for one above the
/// process's own, `Fault` for an entry or stack outside user memory or a
/// stack not 8-byte aligned, `NoMem` past the process's thread limit (its
/// admitted count for a hard process), when its handle table is full or
/// when the kernel has no room for another thread. A new thread of higher
/// priority than the caller runs at once.
pub fn thread_create(entry: u32, stack: u32, arg: u32, priority: u32) -> Result<u32, Errno> {
    if priority >= u32::from(IDLE_PRIORITY) {
        return Err(Errno::Inval);
    }
    let in_user = |a: u32| (USER_START..USER_END).contains(&a);
    if !in_user(entry & !1) || !in_user(stack.wrapping_sub(8)) || !stack.is_multiple_of(8) {
        return Err(Errno::Fault);
    }
    let space = thread::current_space().ok_or(Errno::Perm)?;
    // A hard process's thread object is in its reserve; a soft one's is
    // made here, before its lock.
    let hard = with_current(|t| t.class.is_hard()).ok_or(Errno::Perm)?;
    let fresh = if hard {
        None
    } else {
        let thread = KRef::try_new(Thread::new());
        Some(thread.map_err(|_| Errno::NoMem)?)
    };
    // Counted, given its handle and started under the process's own lock,
    // so two threads creating at once cannot both take the last one.
    let r = with_own(|e| {
        let mut t = e.process.lock();
        if !t.class.is_isolated() || t.exit.is_some() {
            return Err(Errno::Perm);
        }
        if (priority as u8) < t.max_prio {
            return Err(Errno::Perm);
        }
        // Counted before it can run (a kill meanwhile then sees it).
        if 1 + e.others.fetch_add(1, Ordering::Relaxed) >= u32::from(t.max_threads) {
            e.others.fetch_sub(1, Ordering::Relaxed);
            return Err(Errno::NoMem);
        }
        // A hard process's thread takes what its admission reserved:
        // nothing is allocated for it.
        let (reserved, thread) = match &fresh {
            Some(thread) => (None, thread.clone()),
            None => match t.thread_reserve.pop() {
                Some(r) => (Some(r.lent), r.object),
                None => {
                    e.others.fetch_sub(1, Ordering::Relaxed);
                    return Err(Errno::NoMem);
                }
            },
        };
        let h = match t
            .handles
            .insert(Object::Thread(thread.clone()), Rights::MANAGE)
        {
            Ok(h) => h,
            Err(_) => {
                if let Some(lent) = reserved {
                    t.thread_reserve.push(Reserved {
                        lent,
                        object: thread,
                    });
                }
                e.others.fetch_sub(1, Ordering::Relaxed);
                return Err(Errno::NoMem);
            }
        };
        let frame = TrapFrame::user_thread(entry, stack, arg);
        let (name, pid) = (t.name, Some(e.pid));
        let spawned = match reserved {
            Some(lent) => {
                thread::spawn_frame_on(name, priority as u8, frame, Some(space), pid, lent)
                    .map_err(|(_, lent)| Some(lent))
            }
            None => {
                thread::spawn_frame(name, priority as u8, frame, Some(space), pid).map_err(|_| None)
            }
        };
        let id = match spawned {
            Ok(id) => id,
            Err(lent) => {
                // Not the last reference (`thread` is ours): no drop work.
                let _ = t.handles.close(h);
                if let Some(lent) = lent {
                    t.thread_reserve.push(Reserved {
                        lent,
                        object: thread,
                    });
                }
                e.others.fetch_sub(1, Ordering::Relaxed);
                return Err(Errno::NoMem);
            }
        };
        thread.set_tid(thread::user_tid(id));
        e.threads.fetch_or(1 << id.index(), Ordering::Relaxed);
        // Ended meanwhile (another thread's fault, say) after the ending
        // had doomed the threads it knew of: this one goes too.
        if e.end.lock().is_some() {
            thread::doom(1 << id.index(), die, None);
        }
        Ok(h.raw())
    })
    .ok_or(Errno::Perm)?;
    if r.is_ok() {
        thread::preempt_point();
    }
    r
}

/// `thread_exit(code)`: ends the calling thread; `code` goes to its
/// joiner. From the process's first thread it ends the process (as
/// `exit(code)`): that thread is the one the process's parent waits for.
pub fn thread_exit(frame: &mut TrapFrame, code: i32) -> *mut TrapFrame {
    let first = with_own(|e| e.process.lock().thread == thread::current_unlocked()).unwrap_or(true);
    if first {
        return super::exit_current(frame, code);
    }
    drop_own();
    thread::syscall_thread_exit(frame, code)
}

/// `thread_join(h)`: waits for the thread handle `h` names (a thread of
/// the calling process) to end, frees what is left of it, closes `h` and
/// returns the thread's `thread_exit` code.
///
/// Errors: `BadHandle` when `h` is not a thread handle with `MANAGE` of
/// this process (never was, closed or joined already, another kind);
/// `Inval` for the calling thread itself or a thread another thread is
/// joining already.
pub fn thread_join(h: u32) -> Result<u32, Errno> {
    let h = Handle::from_raw(h);
    let thread = with_current(|t| object::lookup(&t.handles, h, Rights::MANAGE, Object::thread))
        .ok_or(Errno::Perm)?
        .map_err(Errno::from)?;
    let id = thread::from_user_tid(thread.tid()).ok_or(Errno::BadHandle)?;
    let ours =
        with_own(|e| e.threads.load(Ordering::Relaxed) & 1 << id.index() != 0).unwrap_or(false);
    if !ours {
        return Err(Errno::BadHandle);
    }
    if id == thread::current_unlocked() {
        return Err(Errno::Inval);
    }
    let (code, lent) = thread::join_lent(id).map_err(|_| Errno::Inval)?;
    // The handle is used up (its object dropped here, unlocked).
    let closed = with_current(|t| t.handles.close(h));
    drop(closed);
    with_own(|e| {
        e.threads.fetch_and(!(1 << id.index()), Ordering::Relaxed);
        e.others.fetch_sub(1, Ordering::Relaxed);
        // What a hard process's thread was lent goes back to its reserve,
        // for its next thread, with the object (ours alone now: a thread
        // handle cannot be duplicated, it has no `TRANSFER`).
        if let Some(lent) = lent {
            let mut t = e.process.lock();
            if KRef::count(&thread) == 1 {
                t.thread_reserve.push(Reserved {
                    lent,
                    object: thread,
                });
            } else {
                drop(t);
                thread::free_lent(lent);
            }
        }
    });
    Ok(code as u32)
}
