//! Processes of the four real-time classes: what each is, the table, spawning and ending.
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
//! class and spec, the process table (`table.rs`), spawning (`spawn.rs`;
//! `loader.rs` lays out an ELF image),
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

mod control;
mod end;
mod loader;
mod shared;
mod spawn;
mod table;
mod threads;

pub use crate::layout::MAX_PROCESSES;
pub use crate::mm::mapper::{
    AddressSpace, Backing, CacheOpError, Device, MAX_REGIONS, MapError, Region, Share,
};

pub use crate::object::thread::Thread;
pub use control::{kill_pid, process_kill, process_object};
pub use end::{Death, End, die_in_syscall, exit_current, kill_current, wait};
pub use shared::revoke;
pub use spawn::{map_granule, spawn_kernel_task, spawn_process, trust_shared_device_sections};
use table::{Entry, PROCESSES, ProcessRef, drop_own, get, with_own};
pub use table::{
    current_pid, peek_current, resolve_cow, resolve_untouched, with_current, with_process,
};
pub use threads::{DEFAULT_SOFT_THREADS, thread_create, thread_exit, thread_join};

use crate::handle::Rights;
use crate::loader::elf::ElfError;
use crate::mm::frames::FrameError;
use crate::mm::mapper::SpaceKind;
use crate::object::{Handles, Object};
use crate::println;
use crate::thread::{self, ThreadError, ThreadId};
use alloc::vec::Vec;
use arch::mmu::pmap::Size;

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
    /// Memory the task may map besides its image and stack: anonymous
    /// memory and memory objects together (hard: reserved at admission, the
    /// objects it is granted mapped from it, [`ProcError::NoMemory`] if they
    /// do not fit; soft kernel-bound: mapped at creation; soft isolated: an
    /// upper limit on what it holds at once, 0 = the default,
    /// [`DEFAULT_SOFT_BUDGET`]; there is no unlimited).
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
    /// Hard processes: what each thread it may create needs (kernel stack,
    /// control block, thread object), taken at admission and lent to each.
    thread_reserve: Vec<threads::Reserved>,
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

impl Process {
    /// A new, empty process over `space` (see [`ProcessRef::try_new`], which
    /// makes it in place).
    fn with_space(pid: u16, name: &'static str, class: Class, space: AddressSpace) -> Self {
        Process {
            pid,
            name,
            class,
            thread: ThreadId::new(0),
            max_prio: 0,
            max_threads: 1,
            thread_reserve: Vec::new(),
            space,
            handles: Handles::new(),
            exit: None,
        }
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
        // L2 ways holding its locked memory go back (nothing if none).
        crate::cache::unlock_hard(self.pid);
        if !self.space.teardown_steps(&mut steps) {
            return false;
        }
        while let Some(reserved) = self.thread_reserve.pop() {
            if steps == 0 {
                self.thread_reserve.push(reserved);
                return false;
            }
            steps -= 1;
            reserved.give_back();
        }
        self.space.free_table();
        true
    }
}

/// Locks `[va, va + len)` of hard process `pid` into free reserved L2
/// ways ([`crate::cache::lock_hard`] after translating it here): the range
/// must lie in one mapped 1 MiB section of normal memory of the process.
/// Returns the ways it took.
pub fn lock_l2(pid: u16, va: u32, len: u32) -> Result<u32, crate::cache::L2LockError> {
    use crate::cache::L2LockError;
    let pa = with_process(pid, |t| {
        if !t.class.is_hard() {
            return Err(L2LockError::NotHard);
        }
        let last = va.checked_add(len).filter(|_| len > 0);
        let last = last.ok_or(L2LockError::BadRange)? - 1;
        if va >> 20 != last >> 20 {
            return Err(L2LockError::BadRange);
        }
        let t = t.space.translate(va).ok_or(L2LockError::BadRange)?;
        if t.attrs.mem != arch::mmu::descriptor::MemType::Normal {
            return Err(L2LockError::BadRange);
        }
        Ok(t.phys)
    })
    .ok_or(L2LockError::NotHard)??;
    crate::cache::lock_hard(pid, pa, len)
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

/// Boot: the reaper, and the mapper's spare translation tables.
pub fn init() {
    end::init();
    crate::mm::mapper::init();
}

/// A user program embedded in the kernel by `cargo xtask`, by name.
pub fn program(name: &str) -> Option<&'static [u8]> {
    crate::user_images::USER_IMAGES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, elf)| *elf)
}
