//! Tasks of the four real-time classes, and the address spaces of isolated ones.
//!
//! | class | space | mode | granularity | memory |
//! | --- | --- | --- | --- | --- |
//! | hard kernel-bound | kernel (TTBR1) | SVC | 1 MiB sections | budget mapped at admission; a fault is a kernel panic |
//! | hard isolated | own (TTBR0) | user | 1 MiB sections, L1 only | budget reserved at admission; never allocates after |
//! | soft kernel-bound | kernel | SVC | 4 KiB pages | mapped at creation, more on request; a fault is a kernel panic |
//! | soft isolated | own | user | 4 KiB pages, L2 tables | on demand; a bad access kills only this process |
//!
//! A process is its threads (one at first; see `threads.rs`) in its own
//! address space: a 4 KiB L1 table
//! (TTBCR.N = 2, covering 0..1 GiB) plus a region list, like Phoenix-RTOS's
//! memory maps: each region has a start, a length, rights and what backs it.
//! The page tables themselves are the record of which frame backs which page,
//! so tearing a process down walks its regions, unmaps every granule and
//! frees the frames the pmap reports: every page returns.
//!
//! A task that ends is torn down later, in bounded steps with IRQs enabled,
//! by the reaper thread at its own priority or by its parent's `wait` (see
//! `end.rs`); nothing of it is freed in the trap that ended it.
//!
//! A hard isolated task is *admitted*: everything it will ever map (image,
//! stack, its declared budget of anonymous memory) is taken from the page
//! allocator as 1 MiB blocks when it is created, or creation fails and
//! nothing stays allocated. After that its `mmap` takes sections from its own
//! reserve, its table never needs a second level, and nothing it does calls
//! an allocator. The reserve is zeroed at admission and a section `munmap`
//! gives back is zeroed again then (in the caller's time), so an `mmap` of a
//! section costs a table write, never a megabyte of stores. That write
//! takes [`MM`](crate::mm::MM) (for the reverse map) for a few hundred
//! instructions: if another thread holds it, the hard task waits for that
//! one bounded operation, which runs at the hard task's priority meanwhile.
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

pub use shared::Share;

pub use end::{Death, End, die_in_syscall, exit_current, init, kill_current, wait};
pub use threads::{DEFAULT_SOFT_THREADS, Thread, thread_create, thread_exit, thread_join};

use crate::handle::Rights;
use crate::layout::{KTASK_START, USER_END, USER_START};
use crate::loader::elf::{ElfError, ElfImage, Limits};
use crate::mm::frames::FrameError;
use crate::object::{Handles, Object};
use crate::sync::IrqLock;
use crate::syscall::abi::{PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::thread::sync::Mutex;
use crate::thread::{self, MAX_THREADS, Space, ThreadError, ThreadId};
use crate::{layout::phys_to_virt, println};
use alloc::vec::Vec;
use arch::mmu::asid::AsidTag;
use arch::mmu::descriptor::{Access, Attrs, MemType};
use arch::mmu::pmap::{Pmap, PmapError, PmapStats, Size};
use arch::trap::TrapFrame;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// The most tasks that can exist at once.
pub const MAX_PROCESSES: usize = 32;
/// Regions one task may have (image segments, stack, mappings, devices).
pub const MAX_REGIONS: usize = 16;
/// Stack of a soft isolated process.
pub const SOFT_STACK: u32 = 16 * 1024;
/// Anonymous memory a soft isolated process may hold at once when its
/// [`Spec::budget`] is 0: enough for a typical service, small enough that a
/// few runaway processes cannot take all of RAM.
pub const DEFAULT_SOFT_BUDGET: u32 = 4 << 20;
/// Where anonymous mappings and devices of isolated processes start.
const MMAP_BASE: u32 = 0x1000_0000;
/// Each kernel-bound task's window in the kernel-task area.
const KTASK_WINDOW: u32 = 32 << 20;
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

/// A device a task may map into its own space (`map_device`): a soft
/// isolated task gets the 4 KiB pages that hold `[phys, phys + len)` and
/// nothing around them; a hard isolated task gets 1 MiB sections, so only
/// devices the board marks as owning their whole MiB
/// ([`Board::device_sections`](crate::board::Board::device_sections)) may be
/// granted to it ([`ProcError::DeviceShared`] otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    /// Physical address of its registers.
    pub phys: u32,
    /// Length of the register block.
    pub len: u32,
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

impl From<PmapError> for ProcError {
    fn from(e: PmapError) -> Self {
        match e {
            PmapError::AlreadyMapped => ProcError::Exists,
            PmapError::NoTable => ProcError::NoMemory,
            _ => ProcError::Invalid,
        }
    }
}

/// What backs a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    /// A program segment (frames owned by the task).
    Image,
    /// The stack (frames owned by the task).
    Stack,
    /// Anonymous memory from `mmap` (frames owned by the task).
    Anon,
    /// Device registers (not RAM: never freed).
    Device,
    /// A mapping of a memory object (`map` in the book): shared memory, a
    /// DMA buffer, or (`image`) a segment of a program image shared with
    /// other processes of the same ELF. The frames are the object's, freed
    /// by the book when its last user goes, never by the region.
    Shared {
        /// The mapping's name in the book.
        map: crate::mm::object::book::MapId,
        /// A program segment (not `mem_unmap`-able).
        image: bool,
    },
}

/// A range of a task's address space.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    /// First address (granule aligned).
    pub start: u32,
    /// Length (a granule multiple).
    pub len: u32,
    /// `PROT_*` rights.
    pub prot: u32,
    /// What backs it.
    pub backing: Backing,
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
    /// Hard processes: what each thread it may create needs (kernel stack,
    /// control block, thread object), taken at admission and lent to each.
    thread_reserve: Vec<threads::Reserved>,
    /// Isolated tasks: the address space (pmap over the task's L1 table).
    space: Option<Pmap<1024>>,
    /// Physical address of the 8 KiB block holding the L1 table (first 4 KiB)
    /// and the pmap's counters (second).
    l1_block: u32,
    /// Kernel-bound tasks: their window in the kernel's space.
    window: u32,
    /// Sorted by start, disjoint.
    regions: Vec<Region>,
    /// Hard tasks: reserved 1 MiB blocks not mapped yet.
    reserve: Vec<u32>,
    /// Lowest address for mmap / devices (isolated tasks: above the stack).
    next_va: u32,
    devices: Vec<(Device, Option<u32>)>,
    /// Kernel-bound tasks: what they map (the kernel pmap counts for all).
    kstats: PmapStats,
    /// Soft isolated tasks: most anonymous memory they may hold at once.
    budget: u32,
    /// Anonymous memory held now.
    anon: u32,
    /// Pages it maps from memory objects (shared image text, shared memory).
    shared_pages: u32,
    /// Copy-on-write faults taken (each made one private copy).
    cow_faults: u32,
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
    let done = with_current(|t| t.cow_fault(va)).unwrap_or(false);
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

fn user_attrs(prot: u32) -> Result<Attrs, ProcError> {
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0
        || prot & (PROT_WRITE | PROT_EXEC) == PROT_WRITE | PROT_EXEC
    {
        return Err(ProcError::Invalid);
    }
    let access = match (prot & PROT_READ != 0, prot & PROT_WRITE != 0) {
        (_, true) => Access::UserRw,
        (true, false) => Access::UserRo,
        (false, false) if prot & PROT_EXEC != 0 => Access::UserRo,
        (false, false) => Access::KernelRw, // PROT_NONE: no user access
    };
    Ok(Attrs::user(access, prot & PROT_EXEC == 0))
}

fn kernel_attrs() -> Attrs {
    Attrs::KERNEL_DATA
}

impl Process {
    /// A new, empty task; its region list is allocated fallibly (NoMemory).
    fn new(pid: u16, name: &'static str, class: Class) -> Result<Self, ProcError> {
        let mut regions = Vec::new();
        regions
            .try_reserve_exact(MAX_REGIONS)
            .map_err(|_| ProcError::NoMemory)?;
        Ok(Process {
            pid,
            name,
            class,
            thread: ThreadId::new(0),
            max_prio: 0,
            max_threads: 1,
            thread_reserve: Vec::new(),
            space: None,
            l1_block: 0,
            window: KTASK_START + pid as u32 * KTASK_WINDOW,
            regions,
            reserve: Vec::new(),
            next_va: MMAP_BASE,
            devices: Vec::new(),
            kstats: PmapStats::default(),
            budget: u32::MAX,
            anon: 0,
            shared_pages: 0,
            cow_faults: 0,
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

    /// Takes what `n` threads of a hard process need (admission: its
    /// `thread_create` then allocates nothing).
    fn reserve_threads(&mut self, n: u8) -> Result<(), ProcError> {
        self.thread_reserve
            .try_reserve_exact(n as usize)
            .map_err(|_| ProcError::NoMemory)?;
        for _ in 0..n {
            self.thread_reserve.push(threads::Reserved::take()?);
        }
        Ok(())
    }

    /// Hard processes: threads not yet created whose kernel stack (and
    /// control block and thread object) are reserved.
    pub fn reserved_thread_stacks(&self) -> usize {
        self.thread_reserve.len()
    }

    /// The task's regions, by address.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// Mapping counters: sections, pages, L2 tables.
    pub fn stats(&self) -> PmapStats {
        self.space.as_ref().map_or(self.kstats, |p| p.stats())
    }

    /// Hard tasks: 1 MiB blocks reserved and not yet mapped.
    pub fn reserved_sections(&self) -> usize {
        self.reserve.len()
    }

    /// The L1 entries of an isolated task's table (for tests and reports).
    pub fn l1_entries(&self) -> impl Iterator<Item = arch::mmu::descriptor::L1Entry> + '_ {
        (USER_START..USER_END)
            .step_by(SECTION as usize)
            .filter_map(|va| self.space.as_ref().map(|p| p.l1_entry(va)))
    }

    /// Translates a user address of this task.
    pub fn translate(&self, va: u32) -> Option<arch::mmu::pmap::Translation> {
        let p = self.space.as_ref()?;
        crate::mm::with(|mm| p.extract(va, &mm.tables()))
    }

    /// One frame (page or 1 MiB block) for this task: from the reserve for
    /// hard tasks (never the allocator after admission), else allocated.
    fn take_frame(&mut self) -> Result<u32, ProcError> {
        if self.class.is_hard() {
            return self.reserve.pop().ok_or(ProcError::NoMemory);
        }
        Ok(crate::mm::alloc_task_frames_owned(0, self.pid + 1)?)
    }

    /// Maps one granule; `own` says `pa` is a frame the task took for itself
    /// (the first page of an allocated block), not device memory.
    #[inline]
    fn map_one(&mut self, va: u32, pa: u32, attrs: Attrs, own: bool) -> Result<(), ProcError> {
        let size = self.class.size();
        match self.space.as_mut() {
            Some(p) => {
                crate::mm::prepare_l2(p, va, size);
                crate::mm::with(|mm| {
                    p.map(va, pa, size, attrs, &mut mm.task_tables())?;
                    if own {
                        mm.note_mapped_head(pa);
                    } else {
                        mm.note_mapped(pa);
                    }
                    Ok::<_, PmapError>(())
                })?
            }
            None => {
                crate::mm::map(va, pa, size, attrs)?;
                match size {
                    Size::Section => self.kstats.sections += 1,
                    _ => self.kstats.pages += 1,
                }
            }
        }
        Ok(())
    }

    fn unmap_one(&mut self, va: u32) -> Option<u32> {
        let size = self.class.size();
        match self.space.as_mut() {
            Some(p) => crate::mm::with(|mm| {
                let pa = p.unmap(va, size, &mut mm.tables()).ok()?;
                mm.note_unmapped(pa);
                Some(pa)
            }),
            None => {
                let pa = crate::mm::unmap(va, size).ok()?;
                match size {
                    Size::Section => self.kstats.sections -= 1,
                    _ => self.kstats.pages -= 1,
                }
                Some(pa)
            }
        }
    }

    /// Gives back the frame behind a granule of a RAM region.
    fn release_frame(&mut self, pa: u32) {
        if self.class.is_hard() {
            self.reserve.push(pa);
        } else {
            crate::mm::with(|mm| {
                let _ = mm.frames.set_owner(pa, 0);
                let _ = mm.frames.free(pa, 0);
            });
        }
    }

    /// Maps a new region of fresh zeroed memory at `start` (granule aligned)
    /// and fills it from `init(offset_in_region) -> bytes to copy there`.
    /// On failure nothing of the region stays mapped or allocated.
    fn map_region(
        &mut self,
        start: u32,
        len: u32,
        prot: u32,
        backing: Backing,
        fill: &dyn Fn(u32, &mut [u8]),
    ) -> Result<(), ProcError> {
        let g = self.class.granule();
        if !start.is_multiple_of(g) || len == 0 || !len.is_multiple_of(g) {
            return Err(ProcError::Invalid);
        }
        if self.regions.len() == self.regions.capacity() {
            return Err(ProcError::TooMany);
        }
        let attrs = if self.class.is_isolated() {
            user_attrs(prot)?
        } else {
            kernel_attrs()
        };
        let mut done = 0;
        let result = loop {
            if done == len {
                break Ok(());
            }
            let pa = match self.take_frame() {
                Ok(pa) => pa,
                Err(e) => break Err(e),
            };
            // SAFETY: pa is a frame (page or 1 MiB block) we own, in the
            // linear map, not mapped anywhere else yet.
            let mem =
                unsafe { core::slice::from_raw_parts_mut(phys_to_virt(pa) as *mut u8, g as usize) };
            // A hard task's reserve is zero already (zeroed at admission and
            // on munmap): no megabyte of stores here. A soft task's fresh
            // page is zeroed now, with IRQs enabled and no lock but its own.
            if !self.class.is_hard() {
                arch::mem::zero(mem);
            }
            fill(done, mem);
            if prot & PROT_EXEC != 0 {
                // Code written through the data side: make it fetchable.
                arch::cache::sync_icache(mem.as_ptr() as usize, mem.len());
            }
            if let Err(e) = self.map_one(start + done, pa, attrs, true) {
                self.release_frame(pa);
                break Err(e);
            }
            done += g;
        };
        if let Err(e) = result {
            self.unmap_range(start, done, backing);
            return Err(e);
        }
        self.add_region(Region {
            start,
            len,
            prot,
            backing,
        });
        Ok(())
    }

    fn unmap_range(&mut self, start: u32, len: u32, backing: Backing) {
        let g = self.class.granule();
        for va in (start..start + len).step_by(g as usize) {
            self.unmap_release(va, backing);
        }
    }

    /// Unmaps the granule at `va` and gives back the frame behind it (RAM
    /// regions): [`Process::unmap_one`] then [`Process::release_frame`], but for a
    /// soft isolated task's page both under one hold of the memory
    /// manager's lock (one round trip, not two).
    fn unmap_release(&mut self, va: u32, backing: Backing) {
        let g = self.class.granule();
        if let Backing::Shared { .. } = backing {
            // The object's frame: the book frees it, not the region.
            if self.unmap_one(va).is_some() {
                self.shared_pages -= g / PAGE;
            }
            return;
        }
        if backing != Backing::Device
            && !self.class.is_hard()
            && let Some(p) = self.space.as_mut()
        {
            let size = self.class.size();
            crate::mm::with(|mm| {
                let Ok(pa) = p.unmap(va, size, &mut mm.tables()) else {
                    return;
                };
                mm.note_unmapped(pa);
                let frame = pa & !(g - 1);
                let _ = mm.frames.set_owner(frame, 0);
                let _ = mm.frames.free(frame, 0);
            });
            return;
        }
        if let Some(pa) = self.unmap_one(va)
            && backing != Backing::Device
        {
            self.release_frame(pa & !(g - 1));
        }
    }

    /// Unmaps everything and frees every frame, table and reserve block.
    fn teardown(&mut self) {
        while !self.teardown_steps(u32::MAX) {}
    }

    /// Gives back at most `steps` granules (or reserve blocks) of what
    /// [`Process::teardown`] gives back, highest region first; returns true once
    /// everything is back. Each step is one unmap and one free, each a
    /// short hold of the memory manager's lock. The task records where it
    /// got to, so a later call (by anyone holding the task's lock)
    /// continues, and a call after the end does nothing.
    fn teardown_steps(&mut self, mut steps: u32) -> bool {
        // Handles first (a bounded table): an IRQ line the task owned is
        // masked and freed as its last reference goes.
        self.handles.clear(drop);
        // L2 ways holding its locked memory go back (nothing if none).
        crate::cache::unlock_hard(self.pid);
        let g = self.class.granule();
        while let Some(r) = self.regions.last_mut() {
            if steps == 0 {
                return false;
            }
            steps -= 1;
            r.len = r.len.saturating_sub(g);
            let (va, backing, empty) = (r.start + r.len, r.backing, r.len == 0);
            if empty {
                self.regions.pop();
            }
            self.unmap_release(va, backing);
            if let (true, Backing::Shared { map, .. }) = (empty, backing) {
                let _ = crate::mm::object::BOOK
                    .lock()
                    .unmap(map, &mut crate::mm::object::give_back);
            }
        }
        while !self.reserve.is_empty() {
            if steps == 0 {
                return false;
            }
            steps -= 1;
            if let Some(block) = self.reserve.pop() {
                let _ = crate::mm::free_frames(block, 8);
            }
        }
        while let Some(reserved) = self.thread_reserve.pop() {
            if steps == 0 {
                self.thread_reserve.push(reserved);
                return false;
            }
            steps -= 1;
            reserved.give_back();
        }
        if self.space.take().is_some() {
            let _ = crate::mm::free_frames(self.l1_block, 1);
        }
        true
    }

    /// Adds a region (there is room: callers check), keeping the list sorted
    /// by address so that [`Process::find_gap`] needs one pass.
    fn add_region(&mut self, r: Region) {
        match self.regions.last() {
            Some(last) if last.start > r.start => {
                let i = self.regions.partition_point(|q| q.start < r.start);
                self.regions.insert(i, r);
            }
            _ => self.regions.push(r),
        }
    }

    /// The lowest free, granule-aligned range of `len` bytes for `mmap` and
    /// devices: first fit among the regions, so unmapped ranges are reused.
    /// One pass over the regions (sorted, disjoint, granule aligned): bounded,
    /// no allocation.
    fn find_gap(&self, len: u32) -> Option<u32> {
        let (mut at, hi) = if self.class.is_isolated() {
            (self.next_va, USER_END)
        } else {
            (self.window, self.window + KTASK_WINDOW)
        };
        for r in &self.regions {
            if at.saturating_add(len) <= r.start {
                break;
            }
            at = at.max(r.start + r.len);
        }
        at.checked_add(len).filter(|&e| e <= hi).map(|_| at)
    }

    /// `mmap`: maps `len` bytes (rounded up to the granule) of zeroed memory.
    pub fn mmap(&mut self, len: u32, prot: u32) -> Result<u32, ProcError> {
        let g = self.class.granule();
        let len = len
            .checked_next_multiple_of(g)
            .filter(|&l| l > 0 && l <= USER_END - USER_START)
            .ok_or(ProcError::Invalid)?;
        if !self.class.is_hard() {
            if self.anon.saturating_add(len) > self.budget {
                return Err(ProcError::NoMemory);
            }
            // A request the free frames cannot meet fails at once, rather
            // than after zeroing and mapping what there is and undoing it.
            let left = crate::mm::free_pages().saturating_sub(crate::mm::KERNEL_RESERVE_PAGES);
            if (len / PAGE) as usize > left {
                return Err(ProcError::NoMemory);
            }
        }
        let base = self.find_gap(len).ok_or(ProcError::NoMemory)?;
        self.map_region(base, len, prot, Backing::Anon, &|_, _| {})?;
        self.anon += len;
        Ok(base)
    }

    /// `munmap`: removes a whole region `mmap` made.
    pub fn munmap(&mut self, addr: u32, len: u32) -> Result<(), ProcError> {
        let g = self.class.granule();
        let len = len.checked_next_multiple_of(g).ok_or(ProcError::Invalid)?;
        let i = self
            .regions
            .iter()
            .position(|r| r.start == addr && r.len == len && r.backing == Backing::Anon)
            .ok_or(ProcError::Invalid)?;
        let r = self.regions.remove(i);
        let kept = self.reserve.len();
        self.unmap_range(r.start, r.len, r.backing);
        // Sections back in a hard task's reserve are zeroed now, in the
        // caller's time, so that its next mmap need not.
        for &block in &self.reserve[kept..] {
            zero_section(block);
        }
        self.anon -= r.len;
        Ok(())
    }

    /// `mprotect`: new rights for a whole region.
    pub fn mprotect(&mut self, addr: u32, len: u32, prot: u32) -> Result<(), ProcError> {
        let g = self.class.granule();
        let len = len.checked_next_multiple_of(g).ok_or(ProcError::Invalid)?;
        let attrs = user_attrs(prot)?;
        let i = self
            .regions
            .iter()
            .position(|r| {
                r.start == addr
                    && r.len == len
                    && matches!(
                        r.backing,
                        Backing::Image
                            | Backing::Stack
                            | Backing::Anon
                            | Backing::Shared { image: true, .. }
                    )
            })
            .ok_or(ProcError::Invalid)?;
        if let Backing::Shared { map, .. } = self.regions[i].backing {
            // A segment of a shared image: pages still showing the image's
            // frames never become writable (a write copies them first).
            self.protect_image(map, addr, len, prot)?;
            self.regions[i].prot = prot;
            return Ok(());
        }
        let size = self.class.size();
        let space = self.space.as_mut().ok_or(ProcError::ClassViolation)?;
        for va in (addr..addr + len).step_by(g as usize) {
            crate::mm::with(|mm| {
                if prot & PROT_EXEC != 0 {
                    // Whatever the task wrote there while it was writable
                    // must reach instruction fetch: maintain through the
                    // linear map, which covers the frame whatever the user
                    // mapping's state.
                    if let Some(t) = space.extract(va, &mm.tables()) {
                        arch::cache::sync_icache(phys_to_virt(t.phys) as usize, g as usize);
                    }
                }
                space.protect(va, size, attrs, &mut mm.tables())
            })?;
        }
        self.regions[i].prot = prot;
        Ok(())
    }

    /// `cache_clean` (`invalidate` false) / `cache_invalidate`: maintains
    /// L1 and L2 over `[addr, addr + len)`, which must lie in one of the
    /// task's own memory regions (not a device's: device memory is not
    /// cached). An invalidate must cover whole 32-byte lines (it would
    /// otherwise drop the neighbours' data). Worked page by page through
    /// the linear map and the physical address, so a range never needs to
    /// be mapped contiguously.
    pub fn cache_op(&mut self, addr: u32, len: u32, invalidate: bool) -> Result<(), CacheOpError> {
        const LINE: u32 = drivers::pl310::LINE;
        let end = addr
            .checked_add(len)
            .filter(|_| len > 0)
            .ok_or(CacheOpError::Invalid)?;
        if invalidate && !(addr.is_multiple_of(LINE) && len.is_multiple_of(LINE)) {
            return Err(CacheOpError::Invalid);
        }
        self.regions
            .iter()
            .find(|r| r.start <= addr && end <= r.start + r.len && r.backing != Backing::Device)
            .ok_or(CacheOpError::NotOwned)?;
        let space = self.space.as_ref().ok_or(CacheOpError::NotOwned)?;
        let mut va = addr;
        while va < end {
            let n = (end.min((va | (PAGE - 1)) + 1)) - va;
            let t = crate::mm::with(|mm| space.extract(va, &mm.tables()))
                .ok_or(CacheOpError::NotOwned)?;
            let linear = phys_to_virt(t.phys) as usize;
            if invalidate {
                crate::cache::invalidate(linear, t.phys, n);
            } else {
                crate::cache::clean(linear, t.phys, n);
            }
            va += n;
        }
        Ok(())
    }

    /// `map_device`: maps the `index`-th granted device (once; a second call
    /// returns the same address). User-accessible Device memory, XN.
    pub fn map_device(&mut self, index: u32) -> Result<u32, ProcError> {
        let (dev, mapped) = *self
            .devices
            .get(index as usize)
            .ok_or(ProcError::ClassViolation)?;
        if let Some(va) = mapped {
            return Ok(va);
        }
        let g = self.class.granule();
        let first = dev.phys & !(g - 1);
        let end = (dev.phys + dev.len).next_multiple_of(g);
        if self.regions.len() == self.regions.capacity() {
            return Err(ProcError::TooMany);
        }
        let base = self.find_gap(end - first).ok_or(ProcError::NoMemory)?;
        let attrs = Attrs {
            access: Access::UserRw,
            mem: MemType::Device,
            xn: true,
            shareable: true,
            global: false,
            domain: 0,
        };
        let mut done = 0;
        while first + done < end {
            if let Err(e) = self.map_one(base + done, first + done, attrs, false) {
                self.unmap_range(base, done, Backing::Device);
                return Err(e);
            }
            done += g;
        }
        self.add_region(Region {
            start: base,
            len: done,
            prot: PROT_READ | PROT_WRITE,
            backing: Backing::Device,
        });
        let va = base + (dev.phys - first);
        self.devices[index as usize].1 = Some(va);
        Ok(va)
    }
}

/// Why a `cache_clean` / `cache_invalidate` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOpError {
    /// Zero length, a range that wraps, or an invalidate not on whole lines.
    Invalid,
    /// The range is not (wholly) in one of the caller's memory regions.
    NotOwned,
}

/// Zeroes a 1 MiB block of a hard task's reserve (IRQs enabled, through
/// the linear map).
fn zero_section(block: u32) {
    // SAFETY: a 1 MiB block of the reserve: RAM the task owns and has not
    // mapped, reached through the linear map.
    unsafe { arch::mem::zero_raw(phys_to_virt(block) as *mut u8, SECTION as usize) };
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
    t.devices
        .try_reserve_exact(spec.devices.len())
        .map_err(|_| ProcError::NoMemory)?;
    t.devices.extend(spec.devices.iter().map(|&d| (d, None)));
    if spec.class == Class::SoftIsolated {
        t.budget = match spec.budget {
            0 => DEFAULT_SOFT_BUDGET,
            b => b,
        };
    }
    if spec.class.is_hard()
        && let Err(e) = t.reserve_threads(t.max_threads - 1)
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
        ttbr0: t.l1_block,
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
        loader::reserve(&mut t, len / SECTION)?;
    }
    if let Err(e) = t.mmap(len, PROT_READ | PROT_WRITE) {
        t.teardown();
        return Err(e);
    }
    let base = t.regions[0].start;
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
        t.map_region(va, size.bytes(), prot, Backing::Anon, &|_, _| {})
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
                t.stats(),
                t.sharing(),
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
