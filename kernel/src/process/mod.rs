//! Tasks of the four real-time classes, and the address spaces of isolated ones.
//!
//! | class | space | mode | granularity | memory |
//! | --- | --- | --- | --- | --- |
//! | hard kernel-bound | kernel (TTBR1) | SVC | 1 MiB sections | budget mapped at admission; a fault is a kernel panic |
//! | hard isolated | own (TTBR0) | user | 1 MiB sections, L1 only | budget reserved at admission; never allocates after |
//! | soft kernel-bound | kernel | SVC | 4 KiB pages | mapped at creation, more on request; a fault is a kernel panic |
//! | soft isolated | own | user | 4 KiB pages, L2 tables | on demand; a bad access kills only this process |
//!
//! A process is its threads (one at first; see `threads.rs`), its handles
//! and what it maps: an [`AddressSpace`] of the mapper
//! ([`crate::mm::mapper`]), an isolated process's own or a kernel-bound
//! one's window in the kernel's. This module keeps what is a process's: its
//! class and spec, the process table, spawning (`loader.rs` builds an image),
//! ending (`end.rs`) and the status table.
//!
//! A task that ends is torn down later, in bounded steps with IRQs enabled,
//! by the reaper thread at its own priority or by its parent's `wait` (see
//! `end.rs`); nothing of it is freed in the trap that ended it.
//!
//! A hard isolated task is *admitted*: everything it will ever map (image,
//! stack, its declared budget of anonymous memory) is taken from the page
//! allocator as 1 MiB blocks when it is created, or creation fails and
//! nothing stays allocated; after that nothing it does calls an allocator
//! (see the mapper for how its `mmap` stays a table write).
//!
//! **Memory limits.** A soft isolated process holds at most its budget of
//! anonymous memory ([`DEFAULT_SOFT_BUDGET`] unless its spec says otherwise)
//! and gets `NoMem` past it. Frames for process memory (soft pages, L2
//! tables, images, hard reserves) never take the last
//! [`KERNEL_RESERVE_PAGES`](crate::mm::KERNEL_RESERVE_PAGES): those stay
//! for the kernel heap and thread stacks. Kernel objects a task causes (the
//! `Process`, its reference count, region and device lists, its thread's TCB,
//! stack and start closure) come from fallible allocations: when the heap
//! is exhausted creation fails with [`ProcError::NoMemory`], never a panic.

mod end;
mod loader;
mod shared;
mod threads;

pub use crate::layout::MAX_PROCESSES;
pub use crate::mm::mapper::{
    AddressSpace, Backing, CacheOpError, Device, MAX_REGIONS, MapError, Region, Share,
};

pub use crate::object::thread::Thread;
pub use end::{Death, End, die_in_syscall, exit_current, init, kill_current, wait};
pub use shared::revoke;
pub use threads::{DEFAULT_SOFT_THREADS, thread_create, thread_exit, thread_join};

use crate::handle::Rights;
use crate::layout::{KTASK_WINDOW, USER_END, USER_START};
use crate::loader::elf::{ElfError, ElfImage, Limits};
use crate::mm::frames::FrameError;
use crate::mm::mapper::SpaceKind;
use crate::object::{Handles, Object};
use crate::println;
use crate::sync::IrqLock;
use crate::syscall::abi::{PROT_READ, PROT_WRITE};
use crate::thread::sync::Mutex;
use crate::thread::{self, MAX_THREADS, Space, ThreadError, ThreadId};
use alloc::vec::Vec;
use arch::mmu::asid::AsidTag;
use arch::mmu::pmap::Size;
use arch::trap::TrapFrame;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// Stack of a soft isolated process.
pub const SOFT_STACK: u32 = 16 * 1024;
/// Anonymous memory a soft isolated process may hold at once when its
/// [`Spec::budget`] is 0: enough for a typical service, small enough that a
/// few runaway processes cannot take all of RAM.
pub const DEFAULT_SOFT_BUDGET: u32 = 4 << 20;
const SECTION: u32 = 1 << 20;
const PAGE: u32 = 4096;

/// The real-time class of a task, chosen at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Privileged, in the kernel's space, 1 MiB sections only.
    HardKernel,
    /// User mode, own space, 1 MiB sections only, all memory reserved up front.
    HardIsolated,
    /// Privileged, in the kernel's space, 4 KiB pages.
    SoftKernel,
    /// User mode, own space, 4 KiB pages.
    SoftIsolated,
}

impl Class {
    /// Hard real-time: sections only, memory committed at admission.
    pub const fn is_hard(self) -> bool {
        matches!(self, Class::HardKernel | Class::HardIsolated)
    }
    /// Runs in user mode in its own address space.
    pub const fn is_isolated(self) -> bool {
        matches!(self, Class::HardIsolated | Class::SoftIsolated)
    }
    /// The mapping granularity of the class.
    pub const fn granule(self) -> u32 {
        if self.is_hard() { SECTION } else { PAGE }
    }
    const fn size(self) -> Size {
        if self.is_hard() {
            Size::Section
        } else {
            Size::Page
        }
    }
    /// The kind of address space the class maps in.
    pub const fn space_kind(self) -> SpaceKind {
        SpaceKind {
            hard: self.is_hard(),
            isolated: self.is_isolated(),
        }
    }
    /// Short name for tables.
    pub const fn name(self) -> &'static str {
        match self {
            Class::HardKernel => "hard kernel",
            Class::HardIsolated => "hard isolated",
            Class::SoftKernel => "soft kernel",
            Class::SoftIsolated => "soft isolated",
        }
    }
}

/// What to create.
#[derive(Clone, Copy, Debug)]
pub struct Spec<'a> {
    /// Name for logs and the status table.
    pub name: &'static str,
    /// Real-time class.
    pub class: Class,
    /// Scheduling priority (0 highest, 30 lowest).
    pub priority: u8,
    /// Anonymous memory the task may map besides its image and stack
    /// (hard: reserved at admission; soft kernel-bound: mapped at creation;
    /// soft isolated: an upper limit on what it holds at once, 0 = the
    /// default, [`DEFAULT_SOFT_BUDGET`]; there is no unlimited).
    pub budget: u32,
    /// Devices the task may map.
    pub devices: &'a [Device],
    /// Handles the task starts with: grant `i` is handle
    /// [`Handle::granted(i)`](crate::handle::Handle::granted) in its table.
    pub handles: &'a [Grant<'a>],
    /// Passed to the task's entry in r0.
    pub arg: u32,
    /// Threads an isolated process may create besides its first
    /// (`thread_create`). Hard: admitted up front, exactly this many; soft:
    /// 0 means [`DEFAULT_SOFT_THREADS`].
    pub threads: u8,
}

/// A handle given to a task at creation: a reference to `object` with
/// `rights`, in the next free slot of its table.
#[derive(Clone, Copy, Debug)]
pub struct Grant<'a> {
    /// The object (the task gets its own counted reference).
    pub object: &'a Object,
    /// What the task may do with it.
    pub rights: Rights,
}

/// Why a task could not be created or an operation was refused. A failed
/// creation leaves nothing allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcError {
    /// The request breaks the class's rules (a 4 KiB mapping for a hard task,
    /// a user-mode program for a kernel-bound class, ...).
    ClassViolation,
    /// The program image is not one we run (see the [`ElfError`]).
    BadElf(ElfError),
    /// A hard task's budget could not be reserved: `needed` 1 MiB blocks.
    BudgetUnavailable {
        /// Sections the task needs.
        needed: u32,
    },
    /// Out of memory: frames (soft tasks), the budget of a soft isolated
    /// task, or the kernel heap for the objects a new task needs.
    NoMemory,
    /// [`MAX_PROCESSES`] tasks exist, or [`MAX_REGIONS`] regions.
    TooMany,
    /// No such task.
    NoSuchTask,
    /// An address, length or rights argument is invalid.
    Invalid,
    /// The range is (partly) mapped already.
    Exists,
    /// The thread could not be created.
    Process(ThreadError),
    /// A hard task was to be granted the device at `phys`, but the board
    /// does not mark the MiB around it as that device's alone
    /// ([`Board::device_sections`](crate::board::Board::device_sections)):
    /// a hard task maps whole sections, and this one would hand it every
    /// other device in that MiB too. Let a driver process own the device
    /// and serve the hard task over IPC.
    DeviceShared {
        /// The device's physical address.
        phys: u32,
    },
}

impl From<FrameError> for ProcError {
    fn from(_: FrameError) -> Self {
        ProcError::NoMemory
    }
}

impl From<MapError> for ProcError {
    fn from(e: MapError) -> Self {
        match e {
            MapError::ClassViolation => ProcError::ClassViolation,
            MapError::BudgetUnavailable { needed } => ProcError::BudgetUnavailable { needed },
            MapError::NoMemory => ProcError::NoMemory,
            MapError::TooMany => ProcError::TooMany,
            MapError::Invalid => ProcError::Invalid,
            MapError::Exists => ProcError::Exists,
        }
    }
}

/// A process: what a task owns and is accounted by. An isolated task's
/// process has its own address space; a kernel-bound task's has a window
/// in the kernel's space.
pub struct Process {
    /// Process id (index in the process table).
    pub pid: u16,
    /// Name.
    pub name: &'static str,
    /// Class.
    pub class: Class,
    /// Its first thread (the one `wait` joins first).
    pub thread: ThreadId,
    /// The highest priority (lowest number) its threads may have: the
    /// spec's.
    max_prio: u8,
    /// Most threads it may have at once, its first included.
    max_threads: u8,
    /// Hard processes: kernel stacks taken at admission for the threads it
    /// may create (frames of `thread::alloc_stack_frames`), lent to each.
    kstacks: Vec<u32>,
    /// What it maps: an isolated process's own address space, a
    /// kernel-bound one's window in the kernel's (the mapper's).
    pub space: AddressSpace,
    /// The task's handles: kernel objects it may use, with rights. Part of
    /// the task (fixed size), so using them never allocates.
    pub handles: Handles,
    /// Set when its teardown has begun: its exit code ([`KILLED`] for a
    /// fault). How it ended is recorded at once, from the trap path, in the
    /// task's table entry ([`End`]).
    pub exit: Option<i32>,
}

/// The exit code of a process killed for a fault.
pub const KILLED: i32 = -1000;

/// A process table entry: the task behind its own lock, a blocking mutex with
/// priority inheritance, so work on one task (a soft task's `mmap` zeroing
/// pages, say) runs with interrupts enabled and never delays another task's
/// system calls; and beside it how the task ended, which the trap path
/// records without that lock (it cannot block).
struct Entry {
    /// The task's pid (a copy of `task.pid`, readable without its lock).
    pid: u16,
    /// Its threads not yet joined (bit = thread index), readable from the
    /// trap path, which ends them all when the process ends.
    threads: AtomicU64,
    /// How many of them are not its first, counting one being created: 0
    /// lets the trap that kills a one-thread process skip the others.
    others: core::sync::atomic::AtomicU32,
    process: Mutex<Process>,
    end: IrqLock<Option<End>>,
}

/// A counted reference to an [`Entry`], like `Arc<Entry>`, but created
/// fallibly (`Arc::try_new` is not stable): creating a task when the kernel
/// heap is exhausted is [`ProcError::NoMemory`], not a panic.
struct ProcessRef(NonNull<ProcessCell>);

struct ProcessCell {
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
    /// Puts `task` in a new cell, or hands it back if the heap has no room.
    // The task comes back whole so that the caller can tear it down; this
    // happens once per creation, so moving ~1 KiB then costs nothing.
    #[allow(clippy::result_large_err)]
    fn try_new(task: Process) -> Result<Self, Process> {
        let cell = ProcessCell {
            refs: AtomicUsize::new(1),
            entry: Entry {
                pid: task.pid,
                threads: AtomicU64::new(0),
                others: core::sync::atomic::AtomicU32::new(0),
                process: Mutex::new(task),
                end: IrqLock::new(None),
            },
        };
        let boxed = crate::mm::heap::try_box(cell).map_err(|c| c.entry.process.into_inner())?;
        Ok(ProcessRef(NonNull::from(alloc::boxed::Box::leak(boxed))))
    }

    /// Whether two references name the same task.
    fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.0 == b.0
    }

    /// The reference as a pointer, still counted ([`ProcessRef::from_raw`]
    /// takes it back).
    fn into_raw(self) -> *mut ProcessCell {
        core::mem::ManuallyDrop::new(self).0.as_ptr()
    }

    /// Takes back a reference [`ProcessRef::into_raw`] made.
    ///
    /// # Safety
    /// `cell` came from `into_raw` and is taken back once.
    unsafe fn from_raw(cell: *mut ProcessCell) -> Self {
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
static PROCESSES: IrqLock<[Option<ProcessRef>; MAX_PROCESSES]> =
    IrqLock::new([const { None }; MAX_PROCESSES]);

#[cfg_attr(feature = "irqsoff", track_caller)]
fn get(pid: u16) -> Option<ProcessRef> {
    PROCESSES.lock().get(pid as usize)?.clone()
}

/// Each thread's own task, by thread index, once the thread has asked for
/// it ([`with_own`]): a counted reference, so the entry stays while cached.
/// A system call then finds its task without the scheduler's and the task
/// table's locks. Only the thread itself reads or writes its slot; a task's
/// thread ends only through `end.rs`, which drops the reference there
/// ([`drop_own`]), before the thread's index can be reused.
static OWN: [AtomicPtr<ProcessCell>; MAX_THREADS] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_THREADS];

/// Runs `f` on the running thread's own task entry (none for a thread that
/// belongs to no task).
#[inline(always)]
fn with_own<R>(f: impl FnOnce(&Entry) -> R) -> Option<R> {
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
/// until `wait` has joined this thread.
fn drop_own() {
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

/// Runs `f` on task `pid`, holding that task's lock (this may block).
#[cfg_attr(feature = "irqsoff", track_caller)]
pub fn with_process<R>(pid: u16, f: impl FnOnce(&mut Process) -> R) -> Option<R> {
    let entry = get(pid)?;
    let mut guard = entry.process.lock();
    Some(f(&mut guard))
}

impl Process {
    /// A new, empty task; its region list is allocated fallibly (NoMemory).
    fn new(pid: u16, name: &'static str, class: Class) -> Result<Self, ProcError> {
        Ok(Process {
            pid,
            name,
            class,
            thread: ThreadId::new(0),
            max_prio: 0,
            max_threads: 1,
            kstacks: Vec::new(),
            space: AddressSpace::new(pid, class.space_kind())?,
            handles: Handles::new(),
            exit: None,
        })
    }

    /// Puts `grants` in the task's handle table, in order (grant `i`
    /// becomes [`Handle::granted(i)`](crate::handle::Handle::granted) in a
    /// fresh table). [`ProcError::TooMany`] if they do not fit.
    fn grant(&mut self, grants: &[Grant]) -> Result<(), ProcError> {
        for g in grants {
            self.handles
                .insert(g.object.clone(), g.rights)
                .map_err(|_| ProcError::TooMany)?;
        }
        Ok(())
    }

    /// Takes `n` kernel stacks for the threads a hard process may create
    /// (admission: its `thread_create` then allocates no stack).
    fn reserve_thread_stacks(&mut self, n: u8) -> Result<(), ProcError> {
        self.kstacks
            .try_reserve_exact(n as usize)
            .map_err(|_| ProcError::NoMemory)?;
        for _ in 0..n {
            let stack = thread::alloc_stack_frames().map_err(|_| ProcError::NoMemory)?;
            self.kstacks.push(stack);
        }
        Ok(())
    }

    /// Hard processes: kernel stacks reserved for threads not yet created.
    pub fn reserved_thread_stacks(&self) -> usize {
        self.kstacks.len()
    }

    /// Unmaps everything and frees every frame, table, reserve block and
    /// kernel stack.
    fn teardown(&mut self) {
        while !self.teardown_steps(u32::MAX) {}
    }

    /// Gives back at most `steps` granules, reserve blocks or kernel stacks
    /// of what [`Process::teardown`] gives back: its handles first, then its
    /// space highest region first, then its stacks, then its table; returns
    /// true once everything is back. The process records where it got to, so
    /// a later call (by anyone holding its lock) continues, and a call after
    /// the end does nothing.
    fn teardown_steps(&mut self, mut steps: u32) -> bool {
        // Handles first (a bounded table): an IRQ line the process owned is
        // masked and freed as its last reference goes.
        self.handles.clear(drop);
        if !self.space.teardown_steps(&mut steps) {
            return false;
        }
        while let Some(stack) = self.kstacks.pop() {
            if steps == 0 {
                self.kstacks.push(stack);
                return false;
            }
            steps -= 1;
            thread::free_stack_frames(stack);
        }
        self.space.free_table();
        true
    }
}

/// Puts a task in its table slot `pid`, or hands it back if the slot was
/// taken meanwhile. Nothing is allocated or freed under the table's lock.
fn insert(pid: u16, task: ProcessRef) -> Result<u16, ProcessRef> {
    let mut tasks = PROCESSES.lock();
    let slot = &mut tasks[pid as usize];
    if slot.is_some() {
        return Err(task);
    }
    *slot = Some(task);
    Ok(pid)
}

/// Registers a built task, then starts its thread with `start`; the task is
/// in the table before its thread can run (it may look itself up at once).
/// On failure the task is torn down and nothing stays allocated.
fn start(
    task: Process,
    start: impl FnOnce(u16) -> Result<ThreadId, ThreadError>,
) -> Result<u16, ProcError> {
    let pid = task.pid;
    let task = match ProcessRef::try_new(task) {
        Ok(t) => t,
        Err(mut t) => {
            t.teardown();
            return Err(ProcError::NoMemory);
        }
    };
    let pid = match insert(pid, task) {
        Ok(pid) => pid,
        Err(t) => {
            t.process.lock().teardown();
            return Err(ProcError::TooMany);
        }
    };
    match start(pid) {
        Ok(thread) => {
            if let Some(e) = get(pid) {
                e.threads.fetch_or(1 << thread.index(), Ordering::Relaxed);
            }
            with_process(pid, |t| t.thread = thread);
            // A task of higher priority than its creator runs at once.
            thread::preempt_point();
            Ok(pid)
        }
        Err(e) => {
            let t = PROCESSES.lock()[pid as usize].take();
            if let Some(t) = t {
                t.process.lock().teardown();
            }
            Err(ProcError::Process(e))
        }
    }
}

fn free_slot() -> Result<u16, ProcError> {
    let tasks = PROCESSES.lock();
    tasks
        .iter()
        .position(Option::is_none)
        .map(|i| i as u16)
        .ok_or(ProcError::TooMany)
}

/// Set by [`trust_shared_device_sections`].
static SHARED_SECTIONS_TRUSTED: core::sync::atomic::AtomicBool =
    core::sync::atomic::AtomicBool::new(false);

/// Lets hard processes be granted devices in MiBs they share with other
/// devices, as before device grants had their true size: for the benchmark
/// image only, whose hard programs read the global timer as their clock (it
/// shares the MPCore private MiB with the GIC and the SCU). A system that
/// calls this trusts its hard processes with every device in those MiBs.
pub fn trust_shared_device_sections() {
    SHARED_SECTIONS_TRUSTED.store(true, Ordering::Relaxed);
}

/// Checks the devices a task is to be granted: a non-empty range that does
/// not wrap, and for a hard task only MiBs that belong to the device alone.
fn check_devices(spec: &Spec) -> Result<(), ProcError> {
    for d in spec.devices {
        let end = d.phys.checked_add(d.len).filter(|_| d.len > 0);
        let end = end.ok_or(ProcError::Invalid)?;
        if spec.class.is_hard() && !SHARED_SECTIONS_TRUSTED.load(Ordering::Relaxed) {
            let first = d.phys & !(SECTION - 1);
            let shared = (first..end)
                .step_by(SECTION as usize)
                .any(|mib| !crate::BOARD.is_device_section(mib));
            if shared {
                return Err(ProcError::DeviceShared { phys: d.phys });
            }
        }
    }
    Ok(())
}

/// Creates an isolated task (a process) running the ELF program `elf`. If
/// its priority is above the caller's it runs before this returns.
pub fn spawn_process(spec: &Spec, elf: &[u8]) -> Result<u16, ProcError> {
    if !spec.class.is_isolated() {
        return Err(ProcError::ClassViolation);
    }
    let limits = Limits {
        user_start: USER_START,
        user_end: USER_END,
        max_segments: 8,
    };
    let image = ElfImage::parse(elf, &limits).map_err(ProcError::BadElf)?;
    let pid = free_slot()?;
    check_devices(spec)?;
    let mut t = Process::new(pid, spec.name, spec.class)?;
    t.max_prio = spec.priority;
    t.max_threads = 1 + match (spec.class, spec.threads) {
        (Class::SoftIsolated, 0) => DEFAULT_SOFT_THREADS,
        (_, n) => n.min(thread::MAX_THREADS as u8 / 2),
    };
    t.grant(spec.handles)?;
    t.space.grant_devices(spec.devices)?;
    if spec.class == Class::SoftIsolated {
        t.space.set_budget(match spec.budget {
            0 => DEFAULT_SOFT_BUDGET,
            b => b,
        });
    }
    if spec.class.is_hard()
        && let Err(e) = t.reserve_thread_stacks(t.max_threads - 1)
    {
        t.teardown();
        return Err(e);
    }
    let (entry, sp) = match loader::build(&mut t, &image, spec) {
        Ok(v) => v,
        Err(e) => {
            t.teardown();
            return Err(e);
        }
    };
    if spec.class.is_hard()
        && let Err(e) = t.map_granted_objects()
    {
        t.teardown();
        return Err(e);
    }
    let space = Space {
        ttbr0: t.space.ttbr0(),
        tag: AsidTag::default(),
    };
    let frame = TrapFrame::user_thread(entry, sp, spec.arg);
    // A hard task's threads get the floating-point unit before they run:
    // they must never trap for it (kernel::vfp).
    crate::vfp::set_eager(pid, spec.class.is_hard());
    start(t, |pid| {
        thread::spawn_frame(spec.name, spec.priority, frame, Some(space), Some(pid))
    })
}

/// Creates a kernel-bound task running `f(memory)` in SVC mode, where
/// `memory` is its budget mapped in its own window of the kernel's space:
/// 1 MiB sections for the hard class, 4 KiB pages for the soft one.
pub fn spawn_kernel_task(spec: &Spec, f: fn(&'static mut [u8])) -> Result<u16, ProcError> {
    if spec.class.is_isolated() {
        return Err(ProcError::ClassViolation);
    }
    let pid = free_slot()?;
    let mut t = Process::new(pid, spec.name, spec.class)?;
    t.grant(spec.handles)?;
    let g = spec.class.granule();
    let len = spec.budget.next_multiple_of(g).max(g);
    if len > KTASK_WINDOW {
        return Err(ProcError::Invalid);
    }
    if spec.class.is_hard() {
        t.space.reserve(len / SECTION)?;
    }
    if let Err(e) = t.space.mmap(len, PROT_READ | PROT_WRITE) {
        t.teardown();
        return Err(e.into());
    }
    let base = t.space.regions()[0].start;
    let frame_fn = move || {
        // SAFETY: [base, base + len) is this task's memory, mapped RW for as
        // long as the task exists, used by nothing else.
        let mem = unsafe { core::slice::from_raw_parts_mut(base as *mut u8, len as usize) };
        f(mem);
        end::end_kernel_task();
    };
    start(t, |pid| {
        thread::spawn_in(spec.name, spec.priority, Some(pid), frame_fn)
    })
}

/// A kernel-side mapping request on a task (tests and kernel services): maps
/// one `size` granule of fresh memory at `va`. Refuses granularities the
/// class does not allow.
pub fn map_granule(pid: u16, va: u32, size: Size) -> Result<(), ProcError> {
    with_process(pid, |t| {
        if size != t.class.size() {
            return Err(ProcError::ClassViolation);
        }
        let prot = PROT_READ | PROT_WRITE;
        Ok(t.space
            .map_region(va, size.bytes(), prot, Backing::Anon, &|_, _| {})?)
    })
    .ok_or(ProcError::NoSuchTask)?
}

/// Prints the status table: each task's class, ASID, sections, pages and L2
/// tables it holds, and its deadline misses.
pub fn print_status() {
    println!(
        "  pid name            class          asid  sections  pages  L2 tables  shared  cow  misses  state"
    );
    // Cloned under the table's lock without allocating; listed after.
    let tasks: [Option<ProcessRef>; MAX_PROCESSES] = PROCESSES.lock().clone();
    let rows: Vec<_> = tasks
        .iter()
        .flatten()
        .map(|e| {
            let end = *e.end.lock();
            let t = e.process.lock();
            (
                t.pid,
                t.name,
                t.class,
                t.thread,
                t.space.stats(),
                t.space.sharing(),
                end.map(End::code),
            )
        })
        .collect();
    for (pid, name, class, thread, stats, (shared, cow), exit) in rows {
        let info = thread::info(thread);
        let misses = info.map_or(0, |i| i.4.deadline_misses);
        let state = match exit {
            Some(KILLED) => alloc::string::String::from("killed"),
            Some(code) => alloc::format!("exited {code}"),
            None => info.map_or(alloc::string::String::from("gone"), |i| {
                alloc::format!("{:?}", i.3)
            }),
        };
        println!(
            "  {:>3} {:<15} {:<14} {:>4} {:>9} {:>6} {:>10} {:>7} {:>4} {:>7}  {}",
            pid,
            name,
            class.name(),
            thread::asid_of(thread),
            stats.sections,
            stats.pages,
            stats.l2_tables,
            shared,
            cow,
            misses,
            state
        );
    }
}

/// A user program embedded in the kernel by `cargo xtask`, by name.
pub fn program(name: &str) -> Option<&'static [u8]> {
    crate::user_images::USER_IMAGES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, elf)| *elf)
}
