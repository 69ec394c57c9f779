//! The SVC handler for user mode (see the module docs of `syscall`).

use super::abi::{self, Errno};
use crate::handle::{Handle, HandleError, Rights};
use crate::layout::{USER_END, USER_START};
use crate::object::irqline::{ClaimError, IrqLine};
use crate::object::notify::{self, Notification};
use crate::object::{self, KRef, Object};
use crate::process::{self, ProcError};
use crate::{thread, time};
use arch::mmu::descriptor::MemType;
use arch::trap::TrapFrame;

impl From<ProcError> for Errno {
    fn from(e: ProcError) -> Self {
        match e {
            ProcError::NoMemory | ProcError::BudgetUnavailable { .. } | ProcError::TooMany => {
                Errno::NoMem
            }
            ProcError::ClassViolation | ProcError::NoSuchTask => Errno::Perm,
            ProcError::Exists => Errno::Exists,
            _ => Errno::Inval,
        }
    }
}

impl From<process::MapError> for Errno {
    fn from(e: process::MapError) -> Self {
        ProcError::from(e).into()
    }
}

impl From<HandleError> for Errno {
    fn from(e: HandleError) -> Self {
        match e {
            HandleError::Invalid | HandleError::Stale | HandleError::NoRight => Errno::BadHandle,
            HandleError::Full => Errno::NoMem,
        }
    }
}

/// Copies `out.len()` bytes from user address `addr` of the running process,
/// after checking every page is the caller's, user-readable normal memory.
pub fn copy_from_user(pid: u16, addr: u32, out: &mut [u8]) -> Result<(), Errno> {
    let len = out.len() as u32;
    let end = addr.checked_add(len).ok_or(Errno::Fault)?;
    if addr < USER_START || end > USER_END {
        return Err(Errno::Fault);
    }
    let mut done = 0u32;
    while done < len {
        let va = addr + done;
        let chunk = (4096 - (va & 0xFFF)).min(len - done);
        let t = process::with_process(pid, |t| t.space.translate_touch(va))
            .flatten()
            .ok_or(Errno::Fault)?;
        if !t.attrs.access.user_readable() || t.attrs.mem != MemType::Normal {
            return Err(Errno::Fault);
        }
        let src = crate::layout::phys_to_virt(t.phys) as *const u8;
        // SAFETY: t.phys is RAM the process owns (a normal-memory user
        // mapping of it), reached through the linear map; `chunk` stays in
        // its page.
        let bytes = unsafe { core::slice::from_raw_parts(src, chunk as usize) };
        out[done as usize..(done + chunk) as usize].copy_from_slice(bytes);
        done += chunk;
    }
    Ok(())
}

/// The notification the caller's handle `h` names, with rights `need`.
#[inline]
fn notification(h: u32, need: Rights) -> Result<KRef<Notification>, Errno> {
    process::with_current(|t| {
        object::lookup(&t.handles, Handle::from_raw(h), need, Object::notification)
    })
    .ok_or(Errno::Perm)?
    .map_err(Errno::from)
}

/// The IRQ line the caller's handle `h` names (needs [`Rights::ACK`]).
fn irq_line(h: u32) -> Result<KRef<IrqLine>, Errno> {
    process::with_current(|t| {
        object::lookup(&t.handles, Handle::from_raw(h), Rights::ACK, Object::irq)
    })
    .ok_or(Errno::Perm)?
    .map_err(Errno::from)
}

impl From<ClaimError> for Errno {
    fn from(e: ClaimError) -> Self {
        match e {
            ClaimError::Busy => Errno::Busy,
            ClaimError::NoMemory => Errno::NoMem,
            ClaimError::BadIrq | ClaimError::NotBound => Errno::Inval,
        }
    }
}

/// `irq_bind`: binds the line to the notification (the binding holds its
/// own reference to it) and unmasks the line.
fn irq_bind(line: u32, notification_h: u32, bits: u32) -> Result<u32, Errno> {
    let line = irq_line(line)?;
    let n = notification(notification_h, Rights::SIGNAL)?;
    line.bind(n, bits)?;
    Ok(0)
}

/// `notify_create`: a new notification in the caller's table. Not for hard
/// processes: after admission they allocate nothing (their notifications
/// are granted at creation).
fn notify_create() -> Result<u32, Errno> {
    let hard = process::with_current(|t| t.class.is_hard()).ok_or(Errno::Perm)?;
    if hard {
        return Err(Errno::Perm);
    }
    let object = Object::new_notification().ok_or(Errno::NoMem)?;
    let rights = Rights::SIGNAL | Rights::WAIT | Rights::TRANSFER;
    let r = process::with_current(|t| t.handles.insert(object, rights)).ok_or(Errno::Perm)?;
    // A failed insert hands the object back; it is dropped here, outside
    // the task's lock.
    r.map(Handle::raw).map_err(|(e, _object)| e.into())
}

/// A rights mask from user space: unknown bits are [`Errno::Inval`].
fn rights(bits: u32) -> Result<Rights, Errno> {
    Rights::from_bits(bits).ok_or(Errno::Inval)
}

fn ret(frame: &mut TrapFrame, r: Result<u32, Errno>) -> *mut TrapFrame {
    frame.r[0] = match r {
        Ok(v) => v,
        Err(e) => e.to_ret(),
    };
    frame
}

/// `write`: the bytes go to the console as text (see
/// [`crate::console::write_text`]), copied from the caller in chunks: no
/// per-character lock or formatting. A soft task waits while the console's
/// ring is full; a hard task never does: what does not fit is dropped and
/// counted. Either way the call reports all `len` bytes written.
fn write(pid: u16, addr: u32, len: u32) -> Result<u32, Errno> {
    if len > abi::WRITE_MAX {
        return Err(Errno::Inval);
    }
    let may_block = !process::with_process(pid, |t| t.class.is_hard()).unwrap_or(false);
    let mut buf = [0u8; crate::console::CHUNK];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(buf.len() as u32);
        copy_from_user(pid, addr + done, &mut buf[..n as usize])?;
        crate::console::write_text(&buf[..n as usize], may_block);
        done += n;
    }
    Ok(len)
}

/// Handles `svc #0` from user mode; returns the frame to resume.
///
/// System calls run with interrupts enabled, so a long one (an `mmap` that
/// zeroes many pages) can be preempted by a higher-priority thread: an IRQ
/// taken here stacks its frame on this thread's kernel stack, and if the
/// scheduler switches away it keeps that frame to resume the call later.
/// Scheduling calls (yield, sleep, exit) mask interrupts again first.
/// `GET_ID`, `YIELD`, the IPC fast path (`ipc::fast`) and the notification
/// fast path (`notify_fast`) never unmask them.
pub fn handle(frame: &mut TrapFrame) -> *mut TrapFrame {
    handle_inlined(frame)
}

/// [`handle`], inlined into the SVC vector's `kernel_syscall`: with frame
/// pointers, a call through a wrapper costs every system call a frame
/// push and pop (4 instructions). Other callers take [`handle`].
#[inline(always)]
pub fn handle_inlined(frame: &mut TrapFrame) -> *mut TrapFrame {
    // Fast path: the two calls that neither block nor take long, and the
    // common IPC, run as they came in, with IRQs still masked and without
    // the general dispatch (same results: see `dispatch`).
    let number = frame.r[7];
    // The IPC fast path first (short messages to a waiting peer): the
    // common IPC pays no other test. Anything it declines, untouched, goes
    // to `dispatch`.
    if number == abi::CALL || number == abi::REPLY_RECV {
        if let Some(next) = crate::ipc::fast(frame) {
            return next;
        }
    } else {
        match number {
            abi::GET_ID => {
                if let Some(pid) = process::current_pid() {
                    return ret(frame, Ok(u32::from(pid)));
                }
            }
            abi::YIELD if process::current_pid().is_some() => {
                frame.r[0] = 0;
                return thread::trap_yield(frame);
            }
            // The notification fast path: a signal, and a wait without
            // deadline, which parks at the user boundary (`object::notify`).
            abi::NOTIFY_SIGNAL | abi::NOTIFY_WAIT => {
                if let Some(next) = notify_fast(frame) {
                    return next;
                }
            }
            _ => {}
        }
    }
    arch::cpu::interrupts_enable();
    let next = dispatch(frame);
    arch::cpu::interrupts_disable();
    // Its process ended while it was in the call: it ends here.
    if core::ptr::eq(next, frame) && thread::current_doomed() {
        return process::die_in_syscall(frame);
    }
    next
}

/// The notification fast path's half that knows processes: a wait with a
/// deadline goes the general way (it is timed there); otherwise the handle
/// is read without the process's lock ([`process::peek_current`]: nothing
/// can change it while IRQs are masked) and [`notify::fast`] does the rest.
/// None: the general path (a deadline, a bad handle, the table's lock
/// held, an ending process), nothing changed.
#[inline(always)]
fn notify_fast(frame: &mut TrapFrame) -> Option<*mut TrapFrame> {
    let wait = frame.r[7] == abi::NOTIFY_WAIT;
    if wait && (frame.r[1] & frame.r[2]) != u32::MAX {
        return None;
    }
    let need = if wait { Rights::WAIT } else { Rights::SIGNAL };
    let h = Handle::from_raw(frame.r[0]);
    let n = process::peek_current(|t| {
        let n: &Notification = t.handles.get(h, need).ok()?.notification()?;
        Some(n as *const Notification)
    })??;
    // SAFETY: the handle table holds a reference, and nothing can close it
    // while IRQs stay masked (on the one core), which they do until return.
    notify::fast(frame, unsafe { &*n }, wait)
}

fn dispatch(frame: &mut TrapFrame) -> *mut TrapFrame {
    let Some(pid) = process::current_pid() else {
        return ret(frame, Err(Errno::Perm));
    };
    let [a0, a1, a2, ..] = [frame.r[0], frame.r[1], frame.r[2], frame.r[3]];
    let on = |f: &mut dyn FnMut(&mut process::Process) -> Result<u32, ProcError>| {
        process::with_current(|t| f(t))
            .unwrap_or(Err(ProcError::NoSuchTask))
            .map_err(Errno::from)
    };
    match frame.r[7] {
        abi::WRITE => {
            let r = write(pid, a0, a1);
            ret(frame, r)
        }
        // A switch must happen with IRQs masked: once the scheduler has
        // picked another thread we still run on this one's stack.
        abi::YIELD => {
            frame.r[0] = 0;
            arch::cpu::interrupts_disable();
            thread::trap_yield(frame)
        }
        abi::SLEEP_UNTIL => {
            frame.r[0] = 0;
            arch::cpu::interrupts_disable();
            thread::trap_sleep_until(frame, (a1 as u64) << 32 | a0 as u64)
        }
        abi::EXIT => process::exit_current(frame, a0 as i32),
        abi::TIME => {
            let now = time::now();
            frame.r[1] = (now >> 32) as u32;
            ret(frame, Ok(now as u32))
        }
        abi::GET_ID => ret(frame, Ok(pid as u32)),
        abi::MMAP => {
            let r = on(&mut |t| Ok(t.space.mmap(a0, a1)?));
            ret(frame, r)
        }
        abi::MUNMAP => {
            let r = on(&mut |t| Ok(t.space.munmap(a0, a1).map(|_| 0)?));
            ret(frame, r)
        }
        abi::MPROTECT => {
            let r = on(&mut |t| Ok(t.space.mprotect(a0, a1, a2).map(|_| 0)?));
            ret(frame, r)
        }
        abi::MAP_DEVICE => {
            let r = on(&mut |t| Ok(t.space.map_device(a0)?));
            ret(frame, r)
        }
        abi::THREAD_CREATE => {
            let r = process::thread_create(a0, a1, a2, frame.r[3]);
            ret(frame, r)
        }
        abi::THREAD_EXIT => process::thread_exit(frame, a0 as i32),
        // The exit code goes in r1, r0 is 0: any i32 is a code, and none
        // can be read as an error.
        abi::THREAD_JOIN => {
            let r = process::thread_join(a0);
            if let Ok(code) = r {
                frame.r[1] = code;
            }
            ret(frame, r.map(|_| 0))
        }
        abi::SET_TLS => {
            thread::set_tls(a0);
            ret(frame, Ok(0))
        }
        abi::CALL => crate::ipc::sys_call(frame),
        abi::RECV => crate::ipc::sys_recv(frame),
        abi::REPLY => crate::ipc::sys_reply(frame),
        abi::REPLY_RECV => crate::ipc::sys_reply_recv(frame),
        abi::ENDPOINT_CREATE => {
            let r = crate::ipc::endpoint_create();
            ret(frame, r)
        }
        abi::HANDLE_CLOSE => {
            // The object is dropped after the task's lock is released.
            let r = process::with_current(|t| t.handles.close(Handle::from_raw(a0)));
            let r = match r {
                Some(Ok(object)) => {
                    drop(object);
                    Ok(0)
                }
                Some(Err(e)) => Err(e.into()),
                None => Err(Errno::Perm),
            };
            ret(frame, r)
        }
        abi::HANDLE_DUP => {
            let r = process::with_current(|t| {
                let (object, rights) = t.handles.duplicate(Handle::from_raw(a0), rights(a1)?)?;
                match t.handles.insert(object, rights) {
                    Ok(h) => Ok(h.raw()),
                    Err((e, object)) => {
                        // Not the last reference: the original stays.
                        drop(object);
                        Err(Errno::from(e))
                    }
                }
            });
            ret(frame, r.unwrap_or(Err(Errno::Perm)))
        }
        abi::NOTIFY_CREATE => {
            let r = notify_create();
            ret(frame, r)
        }
        // A signal switches on the trap's return (masked, as yield does),
        // not by a second trap from inside the call.
        abi::NOTIFY_SIGNAL => match notification(a0, Rights::SIGNAL) {
            Ok(n) => {
                frame.r[0] = 0;
                arch::cpu::interrupts_disable();
                thread::trap_then_preempt(frame, |s| {
                    n.signal_locked(s, a1, true);
                })
            }
            Err(e) => ret(frame, Err(e)),
        },
        abi::NOTIFY_WAIT | abi::NOTIFY_POLL => {
            let until = (a2 as u64) << 32 | a1 as u64;
            let r = notification(a0, Rights::WAIT).map(|n| {
                if frame.r[7] == abi::NOTIFY_POLL {
                    n.poll()
                } else {
                    n.wait((until != u64::MAX).then_some(until))
                }
            });
            if let Ok(bits) = r {
                frame.r[1] = bits;
            }
            ret(frame, r.map(|_| 0))
        }
        abi::IRQ_BIND => {
            let r = irq_bind(a0, a1, a2);
            ret(frame, r)
        }
        abi::IRQ_ACK => {
            let r = irq_line(a0).and_then(|l| l.ack().map(|_| 0).map_err(Errno::from));
            ret(frame, r)
        }
        abi::PROCESS_KILL => {
            let r = process::process_kill(a0);
            ret(frame, r)
        }
        abi::CACHE_CLEAN | abi::CACHE_INVALIDATE => {
            let invalidate = frame.r[7] == abi::CACHE_INVALIDATE;
            let r = process::with_current(|t| t.space.cache_op(a0, a1, invalidate))
                .unwrap_or(Err(process::CacheOpError::NotOwned))
                .map(|()| 0)
                .map_err(|e| match e {
                    process::CacheOpError::Invalid => Errno::Inval,
                    process::CacheOpError::NotOwned => Errno::Fault,
                });
            ret(frame, r)
        }
        abi::WATCHDOG_START => {
            let r = super::watchdog::start(a0, (a2 as u64) << 32 | a1 as u64);
            ret(frame, r)
        }
        abi::WATCHDOG_KICK => {
            let r = super::watchdog::kick(a0);
            ret(frame, r)
        }
        abi::WATCHDOG_STOP => {
            let r = super::watchdog::stop(a0);
            ret(frame, r)
        }
        abi::WATCHDOG_REMAINING => {
            let r = super::watchdog::remaining_us(a0);
            if let Ok(us) = r {
                frame.r[1] = us;
            }
            ret(frame, r.map(|_| 0))
        }
        abi::MEM_CREATE => {
            let r = super::memory::mem_create(a0, a1);
            if let Ok((_, phys)) = r {
                frame.r[1] = phys;
            }
            ret(frame, r.map(|(h, _)| h))
        }
        abi::MEM_MAP => {
            let r = super::memory::mem_map(a0, a1);
            ret(frame, r)
        }
        abi::MEM_UNMAP => {
            let r = on(&mut |t| Ok(t.space.mem_unmap(a0).map(|_| 0)?));
            ret(frame, r)
        }
        abi::MEM_REVOKE => {
            let r = super::memory::mem_revoke(a0);
            ret(frame, r)
        }
        _ => ret(frame, Err(Errno::NoSys)),
    }
}
