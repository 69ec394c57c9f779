//! How tasks end, and who pays for their teardown.
//!
//! A task ends by `exit` (a system call), by returning (a kernel-bound
//! task) or by a fault (an isolated task is killed). None of these tears
//! anything down where it happens: the trap path records how the task ended
//! (an [`End`], a few words, in the task's table entry), marks its thread
//! exited and switches away, in bounded time. Its memory is given back later,
//! in thread context with IRQs enabled, in bounded steps (one granule each,
//! each a short hold of the memory manager's lock):
//!
//! - by the reaper thread (see `task`), which takes the dead one at a time,
//!   highest priority first, each at the dead task's own priority, so a soft
//!   task's teardown never delays a thread of higher priority;
//! - or by the parent's [`wait`] if that comes first, at the parent's
//!   priority (it asked for the result).
//!
//! Both work under the task's lock and the task records how far its
//! teardown got, so they share the work and never repeat a step. The kill
//! report is printed by whichever of them starts the teardown. `wait`
//! returns only once every frame is back and the process's table entry
//! (its heap bookkeeping) is freed: a reaper step holds a reference to the
//! entry, and one preempted by the waiter would otherwise free it later
//! (found by `cargo xtask soak fuzz --board realview-pbx-a9 --seed
//! 0x6eb337`: heap use read 1,076 bytes high right after a `wait`).

use super::{Entry, KILLED, PROCESSES, ProcError, ProcessRef, drop_own, get, with_own};
use crate::thread::sync::Mutex;
use crate::{println, thread};
use arch::fault::FaultStatus;
use arch::trap::{TrapFrame, TrapKind};
use core::fmt;
use core::sync::atomic::Ordering;

/// Granules the reaper gives back per hold of a task's lock; between
/// batches it turns to a higher-priority job if one came.
const REAP_BATCH: u32 = 16;

/// Why a process was killed: what the fault registers said, as recorded in
/// the trap (the report is formatted later, by the reaper).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Death {
    /// A data or prefetch abort.
    Abort {
        /// [`TrapKind::DataAbort`] or [`TrapKind::PrefetchAbort`].
        kind: TrapKind,
        /// Address of the faulting instruction.
        pc: u32,
        /// Faulting address.
        addr: u32,
        /// Decoded fault status.
        status: FaultStatus,
    },
    /// An undefined instruction.
    Undefined {
        /// Its address.
        pc: u32,
    },
}

impl fmt::Display for Death {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Death::Abort {
                kind,
                pc,
                addr,
                status,
            } => write!(
                f,
                "{} at pc {pc:#010x}, address {addr:#010x}: {status}",
                kind.name()
            ),
            Death::Undefined { pc } => write!(f, "undefined instruction at pc {pc:#010x}"),
        }
    }
}

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// It called `exit` with this code (or returned: 0).
    Exited(i32),
    /// A fault killed it.
    Killed(Death),
    /// Another process ended it (`process_kill`), or the kernel
    /// (`process::kill_pid`): that process's pid (`u16::MAX`: the
    /// kernel). Kept apart from [`Death`], the faults, whose recording
    /// in the trap path stays as short as it was.
    KilledBy(u16),
}

impl End {
    /// The exit status `wait` reports: the code, or [`KILLED`].
    pub fn code(self) -> i32 {
        match self {
            End::Exited(code) => code,
            End::Killed(_) | End::KilledBy(_) => KILLED,
        }
    }
}

/// Records how the running task ended,
/// through the thread's own cached reference (no table look-up, no count
/// taken), which is dropped here as the thread ends; the task's other
/// threads are ended too ([`thread::doom`]). `FIRST_WINS`: an end recorded
/// before (a `process_kill` from outside, while this thread was in its
/// `exit` call) stands; the fault path, which no ended process can reach,
/// stores without looking.
fn record_end<const FIRST_WINS: bool>(end: End) {
    with_own(|entry| {
        // The usual end (one thread, no endpoint served) is a plain
        // store. The fault path runs in the trap that kills a process,
        // with IRQs masked, so it stays this short.
        if entry.others.load(Ordering::Relaxed) == 0 && crate::ipc::serves_nothing(entry.pid) {
            if FIRST_WINS {
                entry.end.lock().get_or_insert(end);
            } else {
                *entry.end.lock() = Some(end);
            }
        } else {
            end_others(entry, end);
        }
    });
    drop_own();
}

/// The rest of [`record_end`] for a process with other threads or
/// endpoints it serves. The first end recorded is the process's: a doomed
/// thread that faults (or exits) on its way out must not turn an
/// `exit(code)` into a kill (found by the fuzzer: `cargo xtask soak fuzz
/// --seed 0xec5e5c --calls 123000`, run 121, reported a run that returned
/// 1000 as killed, with no kill report).
#[cold]
fn end_others(entry: &Entry, end: End) {
    entry.end.lock().get_or_insert(end);
    thread::doom(entry.threads.load(Ordering::Relaxed), die, Some(entry.pid));
}

/// Ends process `entry` from outside (`process_kill` by process `by`,
/// `u16::MAX` for the kernel): records that unless it has ended already, and ends its threads ([`thread::doom`]:
/// each where it stands at the user boundary, or as its system call
/// returns). True if this call ended it.
pub(super) fn kill(entry: &Entry, by: u16) -> bool {
    {
        let mut end = entry.end.lock();
        if end.is_some() {
            return false;
        }
        *end = Some(End::KilledBy(by));
    }
    thread::doom(entry.threads.load(Ordering::Relaxed), die, Some(entry.pid));
    true
}

/// Where a thread of an ended process goes instead of back to user mode
/// (see [`thread::doom`]): on its own kernel stack, it drops its reference
/// to the task and exits.
pub(super) extern "C" fn die(_: usize, _: usize) -> ! {
    drop_own();
    thread::exit()
}

/// The running thread's process has ended while it was in a system call:
/// it ends here instead of returning to user mode (see [`thread::doom`]).
pub fn die_in_syscall(frame: &mut TrapFrame) -> *mut TrapFrame {
    drop_own();
    thread::syscall_exit(frame)
}

/// Ends the running process with `code` (the `exit` system call); its
/// memory is given back later by the reaper or its waiter. The end is
/// recorded with IRQs still enabled (nothing acts on it before the thread
/// has exited), then the thread exits (`thread::syscall_exit`).
pub fn exit_current(frame: &mut TrapFrame, code: i32) -> *mut TrapFrame {
    record_end::<true>(End::Exited(code));
    thread::syscall_exit(frame)
}

/// Kills the running process for a fault it took (from the abort or
/// undefined-instruction trap, IRQs masked): records `why` and switches
/// away, in bounded time. No teardown and no printing here; the reaper (or
/// the waiter) prints the report and gives back the memory.
pub fn kill_current(frame: &mut TrapFrame, why: Death) -> *mut TrapFrame {
    record_end::<false>(End::Killed(why));
    thread::trap_exit(frame)
}

/// A kernel-bound task's function returned: record it (its thread then
/// exits and the reaper takes over).
pub(super) fn end_kernel_task() {
    record_end::<true>(End::Exited(0));
}

/// Moves the teardown of `entry`'s task on by up to `steps` granules if the
/// task has ended (a running task is not touched); first, once, records
/// the exit code and prints the kill report. True when everything is back
/// (or there was nothing to do).
fn finish(entry: &Entry, steps: u32) -> bool {
    let Some(end) = *entry.end.lock() else {
        return true;
    };
    let mut t = entry.process.lock();
    if t.exit.is_none() {
        t.exit = Some(end.code());
        match end {
            End::Killed(why) => println!("process {} ({}) killed: {why}", t.pid, t.name),
            End::KilledBy(u16::MAX) => {
                println!("process {} ({}) killed by the kernel", t.pid, t.name)
            }
            End::KilledBy(by) => println!(
                "process {} ({}) killed: process_kill by process {by}",
                t.pid, t.name
            ),
            End::Exited(_) => {}
        }
    }
    t.teardown_steps(steps)
}

/// Held by the reaper for each step, for as long as it holds a reference
/// to a task's entry: [`wait`] takes it once the entry is out of the
/// table, so that no step still holds one and its own is the last
/// (priority inheritance: the reaper finishes that step at the waiter's
/// priority, one batch at most).
static REAPING: Mutex<()> = Mutex::new(());

/// The reaper's step for task `pid` (see [`thread::set_process_reaper`]).
fn reap_step(pid: u16) -> bool {
    let _step = REAPING.lock();
    get(pid).is_none_or(|entry| finish(&entry, REAP_BATCH))
}

/// Hands task teardown to the reaper (once, at boot, after `thread::init`).
pub fn init() {
    thread::set_process_reaper(reap_step);
}

/// Waits for task `pid` to end, gives back whatever of it the reaper has not
/// yet (at the caller's priority), removes it from the table and returns
/// its exit code ([`KILLED`] if a fault killed it). Every frame the task
/// held is free when this returns, and so is its entry (heap).
pub fn wait(pid: u16) -> Result<i32, ProcError> {
    let entry = get(pid).ok_or(ProcError::NoSuchTask)?;
    let thread = entry.process.lock().thread;
    thread::join(thread).map_err(ProcError::Process)?;
    // Its thread is gone for good: it has ended, whatever it recorded.
    let end = *entry.end.lock().get_or_insert(End::Exited(0));
    // Its other threads end too (each at its next return to user mode):
    // joined here, so none is left behind.
    entry.others.store(0, Ordering::Relaxed);
    let mut others = entry.threads.swap(0, Ordering::Relaxed) & !(1 << thread.index());
    while others != 0 {
        let id = thread::ThreadId::new(others.trailing_zeros() as u16);
        others &= others - 1;
        let _ = thread::join(id);
    }
    while !finish(&entry, u32::MAX) {}
    let mut tasks = PROCESSES.lock();
    if let Some(slot) = tasks.get_mut(pid as usize)
        && slot.as_ref().is_some_and(|e| ProcessRef::ptr_eq(e, &entry))
    {
        *slot = None;
    }
    drop(tasks);
    // A reaper step that took a reference before the entry left the table
    // ends before this one (see `REAPING`), so `entry` is the last.
    drop(REAPING.lock());
    drop(entry);
    Ok(end.code())
}
