//! The process table: each process behind its own lock, found by pid or,
//! for the running thread, through a per-thread cached reference, so a
//! system call finds its process without the scheduler's and the table's
//! locks.

use super::{AddressSpace, Class, End, ProcError, Process};
use crate::layout::MAX_PROCESSES;
use crate::sync::IrqLock;
use crate::thread::sync::Mutex;
use crate::thread::{self, MAX_THREADS};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// A process table entry: the task behind its own lock, a blocking mutex with
/// priority inheritance, so work on one task (a soft task's `mmap` zeroing
/// pages, say) runs with interrupts enabled and never delays another task's
/// system calls; and beside it how the task ended, which the trap path
/// records without that lock (it cannot block).
pub(super) struct Entry {
    /// The task's pid (a copy of `task.pid`, readable without its lock).
    pub(super) pid: u16,
    /// Its threads not yet joined (bit = thread index), readable from the
    /// trap path, which ends them all when the process ends.
    pub(super) threads: AtomicU64,
    /// How many of them are not its first, counting one being created: 0
    /// lets the trap that kills a one-thread process skip the others.
    pub(super) others: core::sync::atomic::AtomicU32,
    pub(super) process: Mutex<Process>,
    pub(super) end: IrqLock<Option<End>>,
}

/// A counted reference to an [`Entry`], like `Arc<Entry>`, but created
/// fallibly (`Arc::try_new` is not stable): creating a task when the kernel
/// heap is exhausted is [`ProcError::NoMemory`], not a panic.
pub(super) struct ProcessRef(NonNull<ProcessCell>);

pub(super) struct ProcessCell {
    refs: AtomicUsize,
    entry: Entry,
}

// SAFETY: a ProcessRef is a shared reference to a ProcessCell, whose count is
// atomic and whose task and end are behind locks (Send + Sync for a Send
// Process).
unsafe impl Send for ProcessRef {}
// SAFETY: as above.
unsafe impl Sync for ProcessRef {}

impl ProcessRef {
    /// A new, empty process `pid` in a new cell on the heap, made there:
    /// a `Process` is about 800 bytes (its handle table), and building it
    /// elsewhere cost a copy at each move (spawn, cell, box). `NoMemory` if
    /// the heap has no room.
    pub(super) fn try_new(pid: u16, name: &'static str, class: Class) -> Result<Self, ProcError> {
        let space = AddressSpace::new(pid, class.space_kind())?;
        let layout = core::alloc::Layout::new::<ProcessCell>();
        // SAFETY: a ProcessCell is not zero-sized.
        let cell = unsafe { alloc::alloc::alloc(layout) }.cast::<ProcessCell>();
        let cell = NonNull::new(cell).ok_or(ProcError::NoMemory)?;
        // SAFETY: fresh memory with the cell's layout, written before use;
        // Drop frees it as a Box, which is how the global allocator's
        // memory of that layout is freed.
        unsafe {
            cell.as_ptr().write(ProcessCell {
                refs: AtomicUsize::new(1),
                entry: Entry {
                    pid,
                    threads: AtomicU64::new(0),
                    others: core::sync::atomic::AtomicU32::new(0),
                    process: Mutex::new(Process::with_space(pid, name, class, space)),
                    end: IrqLock::new(None),
                },
            })
        };
        Ok(ProcessRef(cell))
    }

    /// The process, while this is its only reference (being built, before
    /// it is in the table): no lock needed.
    pub(super) fn get_mut(&mut self) -> Option<&mut Process> {
        // SAFETY: the cell lives while any reference (this one) does.
        let cell = unsafe { self.0.as_mut() };
        (cell.refs.load(Ordering::Acquire) == 1).then(|| cell.entry.process.get_mut())
    }

    /// Whether two references name the same task.
    pub(super) fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.0 == b.0
    }

    /// The reference as a pointer, still counted ([`ProcessRef::from_raw`]
    /// takes it back).
    pub(super) fn into_raw(self) -> *mut ProcessCell {
        core::mem::ManuallyDrop::new(self).0.as_ptr()
    }

    /// Takes back a reference [`ProcessRef::into_raw`] made.
    ///
    /// # Safety
    /// `cell` came from `into_raw` and is taken back once.
    pub(super) unsafe fn from_raw(cell: *mut ProcessCell) -> Self {
        // SAFETY: the caller's duty: a live, counted cell (not null).
        ProcessRef(unsafe { NonNull::new_unchecked(cell) })
    }
}

impl Clone for ProcessRef {
    fn clone(&self) -> Self {
        // SAFETY: the cell lives while any reference (this one) does.
        unsafe { self.0.as_ref() }
            .refs
            .fetch_add(1, Ordering::Relaxed);
        ProcessRef(self.0)
    }
}

impl Drop for ProcessRef {
    fn drop(&mut self) {
        // SAFETY: the cell lives while any reference (this one) does.
        if unsafe { self.0.as_ref() }
            .refs
            .fetch_sub(1, Ordering::Release)
            == 1
        {
            core::sync::atomic::fence(Ordering::Acquire);
            // SAFETY: the last reference: the cell came from Box::leak in
            // try_new and nobody else can reach it.
            drop(unsafe { alloc::boxed::Box::from_raw(self.0.as_ptr()) });
        }
    }
}

impl core::ops::Deref for ProcessRef {
    type Target = Entry;
    fn deref(&self) -> &Entry {
        // SAFETY: the cell lives while any reference (this one) does.
        &unsafe { self.0.as_ref() }.entry
    }
}

/// The process table. Its own lock is held only to look a task up.
pub(super) static PROCESSES: IrqLock<[Option<ProcessRef>; MAX_PROCESSES]> =
    IrqLock::new([const { None }; MAX_PROCESSES]);

#[cfg_attr(feature = "irqsoff", track_caller)]
pub(super) fn get(pid: u16) -> Option<ProcessRef> {
    PROCESSES.lock().get(pid as usize)?.clone()
}

/// Each thread's own task, by thread index, once the thread has asked for
/// it ([`with_own`]): a counted reference, so the entry stays while cached.
/// A system call then finds its task without the scheduler's and the task
/// table's locks. Only the thread itself reads or writes its slot; a task's
/// thread ends only through `end.rs`, which drops the reference there
/// ([`drop_own`]), before the thread's index can be reused.
pub(super) static OWN: [AtomicPtr<ProcessCell>; MAX_THREADS] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_THREADS];

/// Runs `f` on the running thread's own task entry (none for a thread that
/// belongs to no task).
#[inline(always)]
pub(super) fn with_own<R>(f: impl FnOnce(&Entry) -> R) -> Option<R> {
    let slot = &OWN[thread::current_unlocked().index()];
    let mut cell = slot.load(Ordering::Relaxed);
    if cell.is_null() {
        cell = get(thread::current_pid()?)?.into_raw();
        slot.store(cell, Ordering::Relaxed);
    }
    // SAFETY: the slot's counted reference keeps the cell alive until this
    // thread drops it (drop_own).
    Some(f(&unsafe { &*cell }.entry))
}

/// Drops the running thread's cached reference to its task, if any (as it
/// ends: see [`OWN`]). Never the last reference: the process table holds one
/// until `wait` has joined this thread. Inlined: it is on the path of the
/// trap that kills a process, with IRQs masked.
#[inline(always)]
pub(super) fn drop_own() {
    let cell =
        OWN[thread::current_unlocked().index()].swap(core::ptr::null_mut(), Ordering::Relaxed);
    if !cell.is_null() {
        // SAFETY: the slot held a reference made by into_raw, taken once
        // (swapped out).
        drop(unsafe { ProcessRef::from_raw(cell) });
    }
}

/// The task the running thread belongs to.
pub fn current_pid() -> Option<u16> {
    with_own(|e| e.pid)
}

/// Runs `f` on the running thread's own task, holding its lock (this may
/// block): [`with_process`] for the caller's task, without looking it up.
pub fn with_current<R>(f: impl FnOnce(&mut Process) -> R) -> Option<R> {
    with_own(|e| f(&mut e.process.lock()))
}

/// Runs `f` on the running thread's own task without taking its lock, if
/// no thread holds it (see [`crate::thread::sync::Mutex::peek`]: IRQs must be
/// masked). None: no task, or its lock is held.
#[inline]
pub fn peek_current<R>(f: impl FnOnce(&Process) -> R) -> Option<R> {
    with_own(|e| e.process.peek(f)).flatten()
}

/// A write fault at `va` in the running process: true if it was a
/// copy-on-write page, now copied and writable (the trap path then retries
/// the write). Runs with IRQs enabled for the copy, like a system call.
pub fn resolve_cow(va: u32) -> bool {
    arch::cpu::interrupts_enable();
    let done = with_current(|t| t.space.cow_fault(va)).unwrap_or(false);
    arch::cpu::interrupts_disable();
    done
}

/// A translation fault at `va` in the running process: true if it fell in
/// an untouched page of its stack, now mapped (the trap path then retries
/// the access). Runs with IRQs enabled for the zeroing, like a system call.
pub fn resolve_untouched(va: u32) -> bool {
    arch::cpu::interrupts_enable();
    let done = with_current(|t| t.space.fault_in(va)).unwrap_or(false);
    arch::cpu::interrupts_disable();
    done
}

/// Runs `f` on task `pid`, holding that task's lock (this may block).
#[cfg_attr(feature = "irqsoff", track_caller)]
pub fn with_process<R>(pid: u16, f: impl FnOnce(&mut Process) -> R) -> Option<R> {
    let entry = get(pid)?;
    let mut guard = entry.process.lock();
    Some(f(&mut guard))
}

/// Puts a task in its table slot `pid`, or hands it back if the slot was
/// taken meanwhile. Nothing is allocated or freed under the table's lock.
pub(super) fn insert(pid: u16, task: ProcessRef) -> Result<u16, ProcessRef> {
    let mut tasks = PROCESSES.lock();
    let slot = &mut tasks[pid as usize];
    if slot.is_some() {
        return Err(task);
    }
    *slot = Some(task);
    Ok(pid)
}

pub(super) fn free_slot() -> Result<u16, ProcError> {
    let tasks = PROCESSES.lock();
    tasks
        .iter()
        .position(Option::is_none)
        .map(|i| i as u16)
        .ok_or(ProcError::TooMany)
}
