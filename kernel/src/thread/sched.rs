//! The scheduler proper and the thread API (see the module docs of `task`).

pub use super::ready::ThreadId;
use super::ready::{PRIORITIES, ReadyQueue};
use super::sleepers::SleepQueue;
use super::sync;
use crate::mm::zones::{PageSource, Zone};
use crate::sync::IrqLock;
use crate::time::{self, Instant};
use crate::{irq, println};
use alloc::boxed::Box;
use arch::mmu::asid::{AsidTag, Asids};
use arch::mmu::descriptor::Attrs;
use arch::mmu::pmap::Size;
use arch::trap::TrapFrame;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};

/// Most threads that can exist at once (waiter sets are 64-bit masks).
pub const MAX_THREADS: usize = 64;
/// Priority of the idle thread: the lowest.
pub const IDLE_PRIORITY: u8 = (PRIORITIES - 1) as u8;
/// Round-robin time slice between threads of equal priority.
pub const SLICE_NS: u64 = 10_000_000;
/// Kernel stack size of a thread.
pub const STACK_SIZE: u32 = 16 * 1024;
/// Where thread stacks are mapped: one 32 KiB slot per thread, the stack in
/// its upper half, so at least 16 KiB below each stack is unmapped.
const STACK_WINDOW: u32 = 0xBF00_0000;
const STACK_SLOT: u32 = 32 * 1024;
/// Mutexes one thread may hold at once.
pub(crate) const MAX_HELD: usize = 8;

/// What a thread is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// In the ready queue.
    Ready,
    /// On the CPU.
    Running,
    /// Waiting for a time.
    Sleeping,
    /// Waiting on a mutex, a semaphore or a join.
    Blocked,
    /// Finished; waiting to be joined.
    Exited,
}

/// Why a thread operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadError {
    /// [`MAX_THREADS`] threads exist already.
    TooManyThreads,
    /// No memory for the control block or the stack.
    NoMemory,
    /// Priority above [`IDLE_PRIORITY`] (the idle level is reserved).
    BadPriority,
    /// No such thread, or it was joined already.
    NoSuchThread,
    /// Someone else is joining it, or a thread tried to join itself.
    NotJoinable,
}

/// Timing record of a thread, for the status dump and tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timing {
    /// Times it was switched in.
    pub switches: u32,
    /// Wake-ups from a timed sleep.
    pub wakeups: u32,
    /// Largest lateness of a wake-up (ns past the requested time).
    pub max_lateness: u64,
    /// Releases of a [`Periodic`] loop that came after their deadline.
    pub deadline_misses: u32,
}

/// A thread control block.
pub struct Tcb {
    name: &'static str,
    pub(crate) base_prio: u8,
    pub(crate) prio: u8,
    pub(crate) state: State,
    frame: *mut TrapFrame,
    /// Stack slot, or None for the boot thread (on the boot stack).
    stack: Option<(u32, u32)>,
    /// Its stack's frames were lent by its creator ([`spawn_frame_on`]):
    /// unmapped, not freed, when it ends, and handed back by the join.
    lent_stack: bool,
    /// A lent stack, unmapped, waiting for the join to take it back.
    returned: Option<u32>,
    slice_end: Instant,
    /// Slice time it has left when next picked (less than a full slice
    /// after a preemption).
    slice_left: u64,
    joiner: Option<ThreadId>,
    pub(crate) blocked_on: Option<*const sync::MutexCore>,
    pub(crate) held: [Option<*const sync::MutexCore>; MAX_HELD],
    timing: Timing,
    /// The user address space this thread runs in (isolated tasks).
    space: Option<Space>,
    /// The task (process or kernel-bound task) this thread belongs to.
    pid: Option<u16>,
    /// User threads: TPIDRURO, loaded when the thread is switched in.
    tls: u32,
    /// The highest priority lent by IPC clients (see `crate::ipc`);
    /// [`NO_DONATION`] when none.
    pub(crate) donated: u8,
    /// Its `thread_exit` code, for `join_code`.
    exit_code: i32,
    /// It has used IPC: its end has IPC state to undo (`ipc::thread_ended`).
    pub(crate) in_ipc: bool,
    /// The IPC fast path's last handle look-up (per thread, so a new
    /// thread, perhaps of another process, starts without one).
    pub(crate) ipc_handle: crate::ipc::ResolvedHandle,
    /// Blocked in a kernel-mode wait that gives up when the thread is
    /// doomed ([`Sched::block_current_until`]): [`doom`] wakes it. Cleared
    /// when that wait ends ([`Sched::end_interruptible`]).
    interruptible: bool,
    /// Waiting for a notification at the user boundary (see
    /// `object::notify`'s parked waits): the signal that wakes it writes
    /// the bits into its saved registers; [`doom`] takes it off the
    /// notification's waiters.
    pub(crate) parked_on: Option<*const crate::object::notify::Notification>,
    /// FPEXC as it is switched in (`crate::vfp::switch_in`): EN for a hard
    /// task's thread, which gets the floating-point unit eagerly, else 0.
    fpexc: u32,
    /// In an IRQ's tail with IRQs enabled (`switch_after_preemption_point`):
    /// an IRQ taken then switches in one masked stretch, so IRQs nest at
    /// most two deep on this thread's kernel stack.
    in_irq_tail: bool,
}

impl Tcb {
    /// Whether it runs in user mode (a thread of an isolated process).
    #[inline(always)]
    pub(crate) fn is_user(&self) -> bool {
        self.space.is_some()
    }

    /// The task it belongs to.
    #[inline(always)]
    pub(crate) fn pid(&self) -> Option<u16> {
        self.pid
    }

    /// Its saved frame (while it does not run: for a user thread stopped
    /// at the user boundary, its user registers).
    #[inline(always)]
    pub(crate) fn frame(&self) -> *mut TrapFrame {
        self.frame
    }
}

/// [`Tcb::donated`] of a thread no IPC client lends a priority to.
pub(crate) const NO_DONATION: u8 = PRIORITIES as u8;

/// A user address space as the scheduler needs it: its L1 table and ASID.
#[derive(Clone, Copy, Debug)]
pub struct Space {
    /// Physical address of the process's L1 table (TTBCR.N = 2: 4 KiB).
    pub ttbr0: u32,
    /// Its ASID and generation.
    pub tag: AsidTag,
}

/// The scheduler.
pub struct Sched {
    threads: [Option<NonNull<Tcb>>; MAX_THREADS],
    ready: ReadyQueue<MAX_THREADS>,
    current: ThreadId,
    sleepers: SleepQueue<MAX_THREADS>,
    /// Exited threads the reaper has not finished with (bit per thread id):
    /// their stacks, and their tasks' memory, are still to be given back.
    exited: u64,
    /// Bumped each time a thread slot's control block is freed, so a
    /// [`ReapJob`] taken before that cannot act on the slot's next thread.
    gens: [u16; MAX_THREADS],
    /// The reaper thread.
    reaper: Option<ThreadId>,
    /// The reaper is working on a job (and keeps that job's priority).
    reaper_busy: bool,
    /// The running thread asked to go behind its equals (yield).
    yielding: bool,
    /// Something changed that may call for another thread (set in IRQs).
    pub(crate) need_resched: bool,
    /// TTBR0 and ASID loaded now, in one word ([`loaded`]: the table is
    /// 4 KiB aligned, the ASID 8 bits), so a switch compares one word;
    /// [`RELOAD`] after a TLB flush.
    active: u32,
    /// The empty L1 table TTBR0 holds while a kernel thread runs.
    null_ttbr0: u32,
    /// The ASID allocator.
    asids: Asids,
    /// The deadline the event timer is armed for (None: nothing armed), so
    /// that a deadline no earlier than it is not programmed (see
    /// [`Sched::program_timer_for`]).
    timer_at: Option<Instant>,
    /// A ready thread, not in the ready queue, that the next reschedule
    /// switches to (see [`Sched::hand_off`]).
    handoff: Option<ThreadId>,
    /// Endpoints and the IPC state of every thread (see `crate::ipc`),
    /// under this lock because every IPC step is a scheduling step.
    /// (A static of its own, reached only through here: a few KiB, too
    /// big for the boot stack the scheduler is built on.)
    pub(crate) ipc: &'static mut crate::ipc::IpcState,
}

// SAFETY: the TCB pointers are owned by the scheduler (zone objects) and only
// used under the SCHED lock.
unsafe impl Send for Sched {}

/// The scheduler, once [`init`] has run.
pub static SCHED: IrqLock<Option<Sched>> = IrqLock::new(None);

/// Set once [`init`] has installed the scheduler.
static STARTED: AtomicBool = AtomicBool::new(false);

/// Whether the scheduler runs (false during boot, before [`init`]).
pub fn started() -> bool {
    STARTED.load(Ordering::Acquire)
}

/// The running thread's index, readable without the scheduler lock: a
/// thread that reads it always finds itself (the switch stores it before
/// the thread runs).
static CURRENT: AtomicU16 = AtomicU16::new(0);

/// The running thread, without the scheduler lock (see [`CURRENT`]).
pub(crate) fn current_unlocked() -> ThreadId {
    ThreadId::new(CURRENT.load(Ordering::Relaxed))
}

/// Set by boot once IRQs are enabled for good.
static BOOTED: AtomicBool = AtomicBool::new(false);

/// Boot is over: IRQs are on and the kernel's `main` is about to run. From
/// now on code that masks IRQs must be short (see `thread::sync::Mutex`).
pub fn boot_finished() {
    BOOTED.store(true, Ordering::Release);
}

/// Whether [`boot_finished`] was called.
pub fn booted() -> bool {
    BOOTED.load(Ordering::Acquire)
}

/// Thread ids in use (bit = index), claimed before the scheduler lock is
/// taken so that a new thread's stack can be mapped at its slot outside it;
/// released once its stack is unmapped and its control block freed.
static SLOTS: AtomicU64 = AtomicU64::new(0);

fn claim_slot() -> Result<ThreadId, ThreadError> {
    let mut cur = SLOTS.load(Ordering::Relaxed);
    loop {
        let free = !cur & (u64::MAX >> (64 - MAX_THREADS));
        if free == 0 {
            return Err(ThreadError::TooManyThreads);
        }
        let bit = free.trailing_zeros();
        match SLOTS.compare_exchange(cur, cur | 1 << bit, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => {
                DOOMED[bit as usize].store(false, Ordering::Relaxed);
                return Ok(ThreadId::new(bit as u16));
            }
            Err(now) => cur = now,
        }
    }
}

fn release_slot(id: ThreadId) {
    SLOTS.fetch_and(!(1 << id.index()), Ordering::AcqRel);
}

/// The TCB zone's page source: the frame allocator (outside the scheduler
/// lock, where it may be called).
struct Frames;

// SAFETY: pages come from the frame allocator, in the linear map, 4 KiB
// aligned, used by nothing else until given back.
unsafe impl PageSource for Frames {
    fn alloc_page(&mut self) -> Option<NonNull<u8>> {
        let phys = crate::mm::alloc_frames(0).ok()?;
        NonNull::new(crate::layout::phys_to_virt(phys) as *mut u8)
    }
    fn free_page(&mut self, page: NonNull<u8>) {
        let _ = crate::mm::free_frames(crate::layout::virt_to_phys(page.as_ptr() as u32), 0);
    }
}

/// The zone control blocks come from.
struct TcbZone(Option<Zone>);

// SAFETY: the zone's slabs are kernel memory reached only through this
// lock; nothing in it is tied to a thread.
unsafe impl Send for TcbZone {}

/// Control blocks are allocated and filled outside the scheduler lock, under
/// this one (a sleeping lock: the zone may take a page from the frame
/// allocator), so that a spawn holds the scheduler lock only to insert the
/// finished block and a join only to take it out.
static TCBS: sync::Mutex<TcbZone> = sync::Mutex::new(TcbZone(None));

/// A control block for a new thread, filled in and not yet visible.
fn alloc_tcb(tcb: Tcb) -> Result<NonNull<Tcb>, ThreadError> {
    let mut zone = TCBS.lock();
    let zone = zone.0.as_mut().expect("thread::init has run");
    let mem = zone
        .alloc(&mut Frames)
        .map_err(|_| ThreadError::NoMemory)?
        .cast::<Tcb>();
    TCB_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: the zone handed out an object sized and aligned for Tcb.
    unsafe { mem.as_ptr().write(tcb) };
    Ok(mem)
}

/// Gives back a control block no thread table refers to any more.
fn free_tcb(tcb: NonNull<Tcb>) {
    let mut zone = TCBS.lock();
    let zone = zone.0.as_mut().expect("thread::init has run");
    // SAFETY: tcb came from this zone and is no longer referenced.
    let _ = unsafe { zone.free(tcb.cast(), &mut Frames) };
}

/// The TCB zone: control blocks in use and slabs (pages) it holds (tests:
/// what a failed creation must leave as it was).
pub fn tcb_zone() -> (usize, usize) {
    let zone = TCBS.lock();
    let zone = zone.0.as_ref().expect("thread::init has run");
    (zone.in_use(), zone.slabs())
}

/// Control blocks taken from the zone since boot (monotonic): with
/// `mm::alloc_counts`, what a test reads to see that nothing was
/// allocated.
static TCB_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Control blocks taken from the zone since boot (never decreases).
pub fn tcb_allocations() -> u64 {
    TCB_ALLOCATIONS.load(Ordering::Relaxed)
}

/// Room for one control block, taken ahead of time ([`reserve_lent`]).
#[derive(Debug)]
pub struct TcbBlock(NonNull<Tcb>);

// SAFETY: plain zone memory with nothing in it yet, owned by whoever
// holds the block.
unsafe impl Send for TcbBlock {}

/// What a thread can be created with without allocating
/// ([`spawn_frame_on`]): the frames of a kernel stack and room for its
/// control block, both taken at a hard process's admission and back with
/// the process after each join ([`join_lent`]).
#[derive(Debug)]
pub struct Lent {
    /// Frames of [`alloc_stack_frames`].
    pub stack: u32,
    /// Room for the control block.
    pub tcb: TcbBlock,
}

/// Takes a kernel stack and room for a control block, for a thread to be
/// created later ([`spawn_frame_on`]).
pub fn reserve_lent() -> Result<Lent, ThreadError> {
    let stack = alloc_stack_frames()?;
    let mut zone = TCBS.lock();
    let zone = zone.0.as_mut().expect("thread::init has run");
    match zone.alloc(&mut Frames) {
        Ok(mem) => {
            TCB_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            Ok(Lent {
                stack,
                tcb: TcbBlock(mem.cast()),
            })
        }
        Err(_) => {
            free_stack_frames(stack);
            Err(ThreadError::NoMemory)
        }
    }
}

/// Gives back what [`reserve_lent`] took.
pub fn free_lent(lent: Lent) {
    free_stack_frames(lent.stack);
    free_tcb(lent.tcb.0);
}

impl Tcb {
    /// A fresh control block: ready, at `prio`, no stack or space yet.
    fn new(name: &'static str, prio: u8) -> Self {
        Tcb {
            name,
            base_prio: prio,
            prio,
            state: State::Ready,
            frame: core::ptr::null_mut(),
            stack: None,
            slice_end: 0,
            slice_left: SLICE_NS,
            joiner: None,
            blocked_on: None,
            held: [None; MAX_HELD],
            timing: Timing::default(),
            space: None,
            pid: None,
            tls: 0,
            lent_stack: false,
            returned: None,
            donated: NO_DONATION,
            exit_code: 0,
            in_ipc: false,
            ipc_handle: crate::ipc::ResolvedHandle::NONE,
            interruptible: false,
            parked_on: None,
            fpexc: 0,
            in_irq_tail: false,
        }
    }
}

/// [`Sched`]'s `active`: TTBR0's table and ASID in one word (the table
/// is 4 KiB aligned: TTBCR.N = 2).
#[inline(always)]
const fn loaded(ttbr0: u32, asid: u8) -> u32 {
    debug_assert!(ttbr0 & 0xFFF == 0);
    ttbr0 | asid as u32
}

/// An `active` no table and ASID give (its low 12 bits exceed an ASID):
/// the next switch loads TTBR0 and the ASID whatever they are.
const RELOAD: u32 = u32::MAX;

/// The kernel stack slot of thread `id`.
fn stack_base(id: ThreadId) -> u32 {
    STACK_WINDOW + id.index() as u32 * STACK_SLOT + (STACK_SLOT - STACK_SIZE)
}

/// Allocates a kernel stack and maps it at `base`; returns its physical
/// address. Called without the scheduler lock; on failure nothing stays.
fn map_stack(base: u32) -> Result<u32, ThreadError> {
    let phys = crate::mm::alloc_frames(2).map_err(|_| ThreadError::NoMemory)?;
    map_stack_at(base, phys).inspect_err(|_| {
        let _ = crate::mm::free_frames(phys, 2);
    })
}

/// Maps the 16 KiB of frames at `phys` as the kernel stack at `base`; on
/// failure nothing stays mapped (the frames stay the caller's).
fn map_stack_at(base: u32, phys: u32) -> Result<u32, ThreadError> {
    for page in 0..STACK_SIZE / 4096 {
        let (va, pa) = (base + page * 4096, phys + page * 4096);
        if crate::mm::map(va, pa, Size::Page, Attrs::KERNEL_DATA).is_err() {
            for undo in 0..page {
                let _ = crate::mm::unmap(base + undo * 4096, Size::Page);
            }
            return Err(ThreadError::NoMemory);
        }
    }
    Ok(phys)
}

/// Unmaps and frees a kernel stack (no thread runs on it any more).
fn unmap_stack(base: u32, phys: u32) {
    unmap_stack_only(base);
    let _ = crate::mm::free_frames(phys, 2);
}

/// Unmaps a kernel stack, keeping its frames.
fn unmap_stack_only(base: u32) {
    for page in 0..STACK_SIZE / 4096 {
        let _ = crate::mm::unmap(base + page * 4096, Size::Page);
    }
}

/// Frames for one kernel stack ([`STACK_SIZE`]), for a task to hold and
/// lend to its threads ([`spawn_frame_on`]): taken at admission, so that
/// creating a thread later allocates no stack.
pub fn alloc_stack_frames() -> Result<u32, ThreadError> {
    crate::mm::alloc_frames(2).map_err(|_| ThreadError::NoMemory)
}

/// Gives back frames of [`alloc_stack_frames`].
pub fn free_stack_frames(phys: u32) {
    let _ = crate::mm::free_frames(phys, 2);
}

impl Sched {
    /// The control block of `id`.
    #[inline(always)]
    pub fn tcb(&mut self, id: ThreadId) -> &mut Tcb {
        let p = self.threads[id.index()].expect("live thread id");
        // SAFETY: p is a zone object owned by this table; &mut self makes the
        // access exclusive.
        unsafe { &mut *p.as_ptr() }
    }

    /// The control block of `id`, not tied to a borrow of `self` (TCBs are
    /// zone objects, apart from the scheduler's own fields), so that a
    /// switch looks each one up once.
    ///
    /// # Safety
    /// No other reference to that control block may be live while the
    /// returned one is used.
    #[inline(always)]
    pub(crate) unsafe fn tcb_detached<'a>(&self, id: ThreadId) -> &'a mut Tcb {
        let p = self.threads[id.index()].expect("live thread id");
        // SAFETY: a live zone object (as in `tcb`); the caller keeps the
        // reference unique.
        unsafe { &mut *p.as_ptr() }
    }

    fn try_tcb(&mut self, id: ThreadId) -> Option<&mut Tcb> {
        let p = (*self.threads.get(id.index())?)?;
        // SAFETY: as in tcb().
        Some(unsafe { &mut *p.as_ptr() })
    }

    /// The running thread.
    pub fn current(&self) -> ThreadId {
        self.current
    }

    /// Installs control block `tcb` as thread `id` (a claimed slot).
    fn insert_tcb(&mut self, id: ThreadId, tcb: NonNull<Tcb>) -> Result<(), ThreadError> {
        let slot = &mut self.threads[id.index()];
        if slot.is_some() {
            return Err(ThreadError::TooManyThreads);
        }
        *slot = Some(tcb);
        Ok(())
    }

    /// Takes `id`'s control block out of the table, for the caller to free
    /// with [`free_tcb`] after releasing the lock.
    fn remove_tcb(&mut self, id: ThreadId) -> Option<NonNull<Tcb>> {
        self.exited &= !(1 << id.index());
        self.gens[id.index()] = self.gens[id.index()].wrapping_add(1);
        self.threads[id.index()].take()
    }

    /// Makes `id` ready (it must not be queued already).
    #[inline]
    pub(crate) fn make_ready(&mut self, id: ThreadId) {
        let t = self.tcb(id);
        t.state = State::Ready;
        let prio = t.prio;
        let _ = self.ready.push_back(id, prio);
        if prio < self.tcb(self.current).prio {
            self.need_resched = true;
        }
    }

    /// Changes the effective priority of `id`, re-queueing it if ready.
    pub(crate) fn set_prio(&mut self, id: ThreadId, prio: u8) {
        let t = self.tcb(id);
        if t.prio == prio {
            return;
        }
        t.prio = prio;
        if t.state == State::Ready {
            let _ = self.ready.remove(id);
            let _ = self.ready.push_back(id, prio);
        }
        if prio < self.tcb(self.current).prio {
            self.need_resched = true;
        }
    }

    /// Blocks the running thread (the caller then calls `reschedule()`).
    #[inline]
    pub(crate) fn block_current(&mut self) {
        let cur = self.current;
        self.tcb(cur).state = State::Blocked;
    }

    /// Blocks the running thread on some object until it is woken
    /// ([`Sched::wake_blocked`]) or, with `until`, until that time: it then
    /// waits in the sleep queue as well, and the timer wakes it. The caller
    /// then calls `reschedule()`.
    pub(crate) fn block_current_until(&mut self, until: Option<Instant>) {
        let cur = self.current;
        match until {
            Some(at) => self.insert_sleeper(cur, at),
            None => self.tcb(cur).state = State::Blocked,
        }
        // The waiter looks again when it runs (a notification wait checks
        // [`Sched::is_doomed`]): an ending process may wake it.
        self.tcb(cur).interruptible = true;
    }

    /// The running thread's wait of [`Sched::block_current_until`] is over
    /// (it no longer gives up when doomed).
    pub(crate) fn end_interruptible(&mut self) {
        let cur = self.current;
        self.tcb(cur).interruptible = false;
    }

    /// [`Sched::wake_blocked`] for a caller that switches at once, with IRQs
    /// masked throughout ([`trap_then_preempt`], or an interrupt handler,
    /// whose trap ends in [`after_irq`]): if `id` outranks the
    /// running thread and every ready one it is handed the CPU
    /// ([`Sched::hand_off`]) instead of queued.
    #[inline]
    pub(crate) fn wake_blocked_first(&mut self, id: ThreadId) {
        // SAFETY: the only reference to id's control block while used;
        // `cur`'s is another thread's (the running one is not blocked).
        let t = unsafe { self.tcb_detached(id) };
        if t.state == State::Sleeping {
            let _ = self.sleepers.remove(id);
        }
        let prio = t.prio;
        // SAFETY: as above; only read.
        let cur_prio = unsafe { self.tcb_detached(self.current) }.prio;
        if self.handoff.is_none() && prio < cur_prio && self.outranks_ready(prio) {
            t.state = State::Ready; // `hand_off`, with the block looked up once
            self.handoff = Some(id);
            self.need_resched = true;
        } else if let Some(h) = self.handoff
            && prio < self.tcb(h).prio
            && self.outranks_ready(prio)
        {
            // A hand-off pending from a timer IRQ's tail (`after_irq`)
            // that this thread outranks: it goes to the queue, this one
            // is handed the CPU.
            t.state = State::Ready;
            self.handoff = Some(id);
            self.make_ready(h);
        } else {
            self.make_ready(id);
        }
    }

    /// Thread `id`, blocked, stops being parked on a notification (see
    /// `object::notify`): its saved user frame, if it was parked, for the
    /// caller to write its result into.
    #[inline]
    pub(crate) fn unpark_frame(&mut self, id: ThreadId) -> Option<*mut TrapFrame> {
        let t = self.tcb(id);
        t.parked_on.take().map(|_| t.frame)
    }

    /// Makes `id`, blocked by [`Sched::block_current_until`], ready: out of
    /// the sleep queue first if it waited with a time-out.
    pub(crate) fn wake_blocked(&mut self, id: ThreadId) {
        if self.tcb(id).state == State::Sleeping {
            let _ = self.sleepers.remove(id);
        }
        self.make_ready(id);
    }

    /// Makes `id` (blocked, or ready and out of the queue) the thread the
    /// next reschedule (`svc #0`, [`on_reschedule`]) switches to, without
    /// queueing it: the caller has checked that it outranks every ready
    /// thread and the running one, and reschedules at once with IRQs masked
    /// throughout (as `wake_sleepers` does for a timer release: the pick the
    /// queue would make, minus its insert and unlink).
    #[inline]
    pub(crate) fn hand_off(&mut self, id: ThreadId) {
        debug_assert!(self.handoff.is_none(), "two hand-offs before a switch");
        self.tcb(id).state = State::Ready;
        self.handoff = Some(id);
    }

    /// Takes `id` out of the sleep queue (a timed wait ended early).
    #[inline]
    pub(crate) fn cancel_sleep(&mut self, id: ThreadId) {
        let _ = self.sleepers.remove(id);
    }

    /// The saved frame of `id`, a thread that is not running: for a user
    /// thread stopped at the user boundary, its user registers.
    #[inline(always)]
    pub(crate) fn frame_of(&mut self, id: ThreadId) -> *mut TrapFrame {
        self.tcb(id).frame
    }

    /// Whether `id` runs in user mode (a thread of an isolated process).
    #[inline(always)]
    pub(crate) fn is_user(&mut self, id: ThreadId) -> bool {
        self.tcb(id).space.is_some()
    }

    /// Whether `id`'s process has ended (see [`doom`]).
    #[inline(always)]
    pub(crate) fn is_doomed(&mut self, id: ThreadId) -> bool {
        DOOMED[id.index()].load(Ordering::Relaxed)
    }

    /// The task `id` belongs to.
    #[inline(always)]
    pub(crate) fn pid_of(&mut self, id: ThreadId) -> Option<u16> {
        self.tcb(id).pid
    }

    /// Whether a thread of priority `prio` would outrank every thread in
    /// the ready queue.
    #[inline]
    pub(crate) fn outranks_ready(&self, prio: u8) -> bool {
        self.ready.highest_priority().is_none_or(|p| prio < p)
    }

    /// Whether a thread in the ready queue outranks priority `prio`.
    #[inline]
    pub(crate) fn ready_above(&self, prio: u8) -> bool {
        self.ready.highest_priority().is_some_and(|p| p < prio)
    }

    /// Lends `prio` (above its own) to ready thread `id`, the owner of the
    /// mutex the running thread is about to block on. When that makes it
    /// outrank every other ready thread it stays out of the queue and is
    /// handed the CPU by the coming switch ([`Sched::hand_off`]): returns
    /// true. Otherwise it is requeued at `prio`, as [`Sched::set_prio`]
    /// would.
    pub(crate) fn lift_ready(&mut self, id: ThreadId, prio: u8) -> bool {
        let _ = self.ready.remove(id);
        self.tcb(id).prio = prio;
        if self.outranks_ready(prio) {
            self.hand_off(id);
            return true;
        }
        let _ = self.ready.push_back(id, prio);
        false
    }

    /// Puts `id` to sleep until `at` (a timed wait: IPC timeouts too).
    pub(crate) fn insert_sleeper(&mut self, id: ThreadId, at: Instant) {
        let t = self.tcb(id);
        t.state = State::Sleeping;
        let prio = t.prio;
        // O(log n): a heap insert. It cannot fail: `id` is a live thread
        // (the running one), so its index fits and it is not asleep.
        let _ = self.sleepers.insert(id, at, prio);
    }

    /// Wakes the first sleeper due at `now` (of those due together, the
    /// highest priority). One per timer interrupt: the interrupt's masked
    /// window then stays one wake-up long however many threads share a
    /// release time, and the timer, programmed for the next sleeper's time,
    /// which has passed, fires again at once for the rest. The woken thread
    /// is returned instead of queued when it outranks the running thread and
    /// every ready one: the caller then switches to it at once, saving a
    /// queue insert and unlink.
    #[inline]
    fn wake_sleepers(&mut self, now: Instant) -> Option<ThreadId> {
        let (id, at) = self.sleepers.pop_due(now)?;
        // A timed IPC wait that ran out: the IPC layer takes it out of its
        // queue and tells it so.
        crate::ipc::on_timeout(self, id);
        let cur_prio = self.tcb(self.current).prio;
        let ready_prio = self.ready.highest_priority();
        let t = self.tcb(id);
        t.timing.wakeups += 1;
        t.timing.max_lateness = t.timing.max_lateness.max(now - at);
        let prio = t.prio;
        if prio < cur_prio && ready_prio.is_none_or(|p| prio < p) {
            t.state = State::Ready;
            return Some(id);
        }
        self.make_ready(id);
        None
    }

    /// Programs the event timer for whatever comes next.
    fn program_timer(&mut self) {
        let cur = self.current;
        let (prio, end) = (self.tcb(cur).prio, self.tcb(cur).slice_end);
        self.program_timer_for(prio, end);
    }

    /// [`program_timer`](Self::program_timer) for a running thread of
    /// priority `prio` whose slice ends at `end`.
    #[inline]
    fn program_timer_for(&mut self, prio: u8, end: Instant) {
        let mut next = self.sleepers.peek().map(|(_, at)| at);
        if self.ready.highest_priority() == Some(prio) {
            next = Some(next.map_or(end, |n| n.min(end)));
        }
        // Armed only for a deadline earlier than the one armed (or when
        // none is): an event armed for earlier than needed fires, finds
        // nothing due, and `after_irq` arms the next one then. So a switch
        // between equals, whose new slice ends later than the armed one,
        // programs nothing: at most one early event per slice instead of a
        // timer write per switch.
        if let Some(n) = next
            && self.timer_at.is_none_or(|armed| n < armed)
        {
            self.timer_at = next;
            time::set_event(next);
        }
    }

    /// Saves `frame` as the running thread's, picks the next thread, and
    /// returns its frame.
    /// `now`: the clock, read by the caller.
    #[inline]
    fn switch(&mut self, frame: *mut TrapFrame, now: Instant) -> *mut TrapFrame {
        self.switch_to(frame, now, None)
    }

    /// [`switch`](Self::switch), to `direct` if given: a ready thread not
    /// in the ready queue that outranks all that are (see `wake_sleepers`
    /// and [`Sched::hand_off`]).
    pub(crate) fn switch_to(
        &mut self,
        frame: *mut TrapFrame,
        now: Instant,
        direct: Option<ThreadId>,
    ) -> *mut TrapFrame {
        let cur = self.current;
        let yielding = core::mem::take(&mut self.yielding);
        self.need_resched = false;
        // SAFETY: the only reference to cur's control block; last used
        // before next's is looked up (they may be the same thread).
        let t = unsafe { self.tcb_detached(cur) };
        t.frame = frame;
        if t.state == State::Running {
            t.state = State::Ready;
            let prio = t.prio;
            let slice_over = now >= t.slice_end;
            let _ = if yielding || slice_over {
                t.slice_left = SLICE_NS;
                self.ready.push_back(cur, prio)
            } else {
                // Preempted: it keeps its place and the rest of its slice,
                // so being preempted often cannot starve its equals.
                t.slice_left = t.slice_end - now;
                self.ready.push_front(cur, prio)
            };
        } else {
            // Blocked, asleep or exited: a full slice when it runs again.
            // (An exited thread's stack is the reaper's or its joiner's to
            // free, with IRQs enabled: never here.)
            t.slice_left = SLICE_NS;
        }
        let next = match direct {
            Some(id) => id,
            None => {
                self.ready
                    .pop_highest()
                    .expect("the idle thread is always ready")
                    .0
            }
        };
        // SAFETY: the only reference to next's control block (cur's `t`
        // is not used any more).
        let t = unsafe { self.tcb_detached(next) };
        t.state = State::Running;
        if next != cur || now >= t.slice_end {
            t.slice_end = now + t.slice_left;
        }
        if next != cur {
            t.timing.switches += 1;
            arch::cpu::set_user_tls(t.tls);
        }
        self.current = next;
        CURRENT.store(next.index() as u16, Ordering::Relaxed);
        self.activate(t);
        self.program_timer_for(t.prio, t.slice_end);
        t.frame
    }

    /// Whether the running thread has blocked without a timeout (it is
    /// in no queue, and no timer waits for it).
    #[inline]
    pub(crate) fn current_blocked(&mut self) -> bool {
        let cur = self.current;
        self.tcb(cur).state == State::Blocked
    }

    /// The IPC fast path's switch (`crate::ipc`): the running thread has
    /// blocked in a call or a `reply_recv`, and `next`, blocked too, in no
    /// queue, outranks every ready thread. No ready-queue insert or unlink,
    /// no clock read, no timer write: `next` runs on what is left of the
    /// running thread's slice (one activity passing between two threads),
    /// so the armed event is still right. The caller has written `next`'s
    /// results into its saved frame.
    #[inline(always)]
    pub(crate) fn switch_ipc(&mut self, frame: *mut TrapFrame, next: ThreadId) -> *mut TrapFrame {
        let cur = self.current;
        // SAFETY: the only references to the two control blocks; `next` is
        // another thread (blocked, while cur runs).
        let (t, n) = unsafe { (self.tcb_detached(cur), self.tcb_detached(next)) };
        self.switch_ipc_to(frame, t, next, n)
    }

    /// [`Sched::switch_ipc`] for a caller that has the running thread's
    /// control block `t` and `next`'s, `n`, at hand already.
    #[inline(always)]
    pub(crate) fn switch_ipc_to(
        &mut self,
        frame: *mut TrapFrame,
        t: &mut Tcb,
        next: ThreadId,
        n: &mut Tcb,
    ) -> *mut TrapFrame {
        t.frame = frame;
        t.state = State::Blocked;
        t.slice_left = SLICE_NS;
        let slice_end = t.slice_end;
        n.state = State::Running;
        n.slice_end = slice_end;
        n.timing.switches += 1;
        arch::cpu::set_user_tls(n.tls);
        self.need_resched = false;
        self.current = next;
        CURRENT.store(next.index() as u16, Ordering::Relaxed);
        self.activate(n);
        n.frame
    }

    /// Loads thread `t`'s address space into TTBR0 (kernel threads get the
    /// empty table, so a stray low address faults in them too), and gives a
    /// user thread the floating-point unit as it should find it. No TLB
    /// flush: the ASID tells spaces apart, and only a generation rollover
    /// flushes. Inlined: it is half of every switch.
    #[inline(always)]
    fn activate(&mut self, t: &mut Tcb) {
        let want = match t.space.as_mut() {
            Some(sp) => {
                // The floating-point unit follows user threads (crate::vfp).
                // Kernel threads never use it: whatever it holds stays.
                crate::vfp::switch_in(t.fpexc);
                if self.asids.activate(&mut sp.tag) {
                    arch::mmu::tlb_invalidate_all();
                    self.active = RELOAD;
                }
                loaded(sp.ttbr0, sp.tag.asid)
            }
            None => loaded(self.null_ttbr0, 0),
        };
        if want != self.active {
            // SAFETY: the table is a live 4 KiB L1 table of user mappings
            // (a process's, or the empty one) and the ASID is current (just
            // checked); every switch resumes its thread through the trap
            // return's exception return, and the kernel touches no user
            // address before it (copies are done before the switch).
            unsafe { arch::mmu::switch_user_space_for_return(want & !0xFFF, want as u8) };
            self.active = want;
        }
    }

    /// Ends thread `id` (the running one, about to be switched away from
    /// for good): its joiner wakes, and the reaper gets a job: its stack and,
    /// for a task's thread, the task's memory. O(1).
    ///
    /// Returns the joiner instead of queueing it when it outranks every
    /// ready thread and the dead one (so also the reaper, which comes at
    /// most at the dead thread's priority), else an idle reaper when it
    /// outranks every ready thread: the caller must switch to it at once or
    /// make it ready.
    fn retire(&mut self, id: ThreadId) -> Option<ThreadId> {
        let t = self.tcb(id);
        let in_ipc = t.in_ipc;
        t.state = State::Exited;
        t.space = None;
        let prio = t.base_prio;
        let mut direct = None;
        if let Some(j) = t.joiner {
            let jp = self.tcb(j).prio;
            if jp < prio && self.ready.highest_priority().is_none_or(|p| jp < p) {
                self.tcb(j).state = State::Ready;
                direct = Some(j);
            } else {
                self.make_ready(j);
            }
        }
        self.exited |= 1 << id.index();
        if in_ipc {
            crate::ipc::thread_ended(self, id);
        }
        // An idle reaper comes at the dead thread's priority; a busy one
        // keeps its job's priority and picks this one up after its step.
        if let Some(r) = self.reaper
            && !self.reaper_busy
        {
            if self.tcb(r).state == State::Blocked {
                let rt = self.tcb(r);
                rt.base_prio = prio;
                rt.prio = prio;
                if direct.is_none() && self.outranks_ready(prio) {
                    // The pick the ready queue would make, minus its
                    // insert and unlink (a killed process's trap switches
                    // straight to the reaper, with IRQs masked).
                    self.tcb(r).state = State::Ready;
                    direct = Some(r);
                } else {
                    self.make_ready(r);
                }
            } else if prio < self.tcb(r).prio {
                self.tcb(r).base_prio = prio;
                self.set_prio(r, prio);
            }
        }
        direct
    }

    /// The exited thread with the highest priority among those the reaper
    /// has not finished with (lowest id on a tie). At most MAX_THREADS steps.
    fn best_exited(&mut self) -> Option<ThreadId> {
        let mut best: Option<(u8, ThreadId)> = None;
        let mut m = self.exited;
        while m != 0 {
            let id = ThreadId::new(m.trailing_zeros() as u16);
            m &= m - 1;
            let p = self.tcb(id).base_prio;
            if best.is_none_or(|(bp, _)| p < bp) {
                best = Some((p, id));
            }
        }
        best.map(|(_, id)| id)
    }
}

/// Starts the scheduler: the code running now becomes thread "main" at
/// priority `main_prio`, and the idle thread is created. Called once by boot.
pub fn init(main_prio: u8) {
    let zone = Zone::new(size_of::<Tcb>(), align_of::<Tcb>()).expect("TCB zone");
    TCBS.lock().0 = Some(zone);
    let main = claim_slot().expect("the first thread id");
    let main_tcb = alloc_tcb(Tcb::new("main", main_prio)).expect("first TCB");
    // Split the address space: TTBR0 translates 0..1 GiB (per process, a
    // 4 KiB L1 table), TTBR1 the rest (the kernel's table). Until a process
    // runs, TTBR0 holds an empty table.
    let null_ttbr0 = crate::mm::alloc_frames(0).expect("a page for the empty L1 table");
    // SAFETY: a fresh frame in the linear map; zeroed, every entry faults.
    unsafe { arch::mem::zero_raw(crate::layout::phys_to_virt(null_ttbr0) as *mut u8, 4096) };
    // Order matters: first make TTBR1 (already the boot table) translate the
    // kernel half, and only then give TTBR0 the empty table; the other way
    // round, the kernel's own next instruction fetch would walk the empty
    // table whenever the TLB does not happen to hold it.
    // SAFETY: everything the kernel uses lies at or above 0x4000_0000, in
    // the boot table that TTBR1 holds; the empty table maps nothing.
    unsafe {
        arch::mmu::set_ttbcr_n(2);
        arch::mmu::switch_user_space(null_ttbr0, 0);
    }
    arch::mmu::tlb_invalidate_all();
    let mut s = Sched {
        threads: [None; MAX_THREADS],
        ready: ReadyQueue::new(),
        current: ThreadId::new(0),
        sleepers: SleepQueue::new(),
        exited: 0,
        gens: [0; MAX_THREADS],
        reaper: None,
        reaper_busy: false,
        yielding: false,
        need_resched: false,
        active: loaded(null_ttbr0, 0),
        null_ttbr0,
        asids: Asids::new(),
        timer_at: None,
        handoff: None,
        ipc: crate::ipc::IpcState::take(),
    };
    s.insert_tcb(main, main_tcb).expect("first TCB");
    s.tcb(main).state = State::Running;
    s.tcb(main).slice_end = SLICE_NS;
    s.current = main;
    CURRENT.store(main.index() as u16, Ordering::Relaxed);
    *SCHED.lock() = Some(s);
    STARTED.store(true, Ordering::Release);
    irq::register(
        drivers::a9_timer::PRIVATE_TIMER_IRQ,
        drivers::gic::Trigger::Edge,
        on_timer,
    )
    .expect("private timer IRQ");
    spawn("idle", IDLE_PRIORITY, idle).expect("idle thread");
    let reaper = spawn("reaper", IDLE_PRIORITY - 1, reaper).expect("reaper thread");
    with(|s| s.reaper = Some(reaper));
    println!(
        "sched: {} priorities, {} ms slices, tickless",
        PRIORITIES,
        SLICE_NS / 1_000_000
    );
}

fn idle() {
    loop {
        arch::cpu::wait_for_interrupt();
    }
}

/// The event timer fired; `after_irq` does the rest under the scheduler
/// lock it takes anyway (one lock per IRQ, one clock read per switch).
static TIMER_FIRED: AtomicBool = AtomicBool::new(false);

fn on_timer(_irq: u32) {
    time::clear_event();
    TIMER_FIRED.store(true, Ordering::Relaxed);
}

/// Runs `f` on the scheduler, locked.
#[inline]
#[cfg_attr(feature = "irqsoff", track_caller)]
pub fn with<R>(f: impl FnOnce(&mut Sched) -> R) -> R {
    f(SCHED.lock().as_mut().expect("thread::init has run"))
}

/// [`with`] for the trap path's fast paths, which run with IRQs masked
/// since the trap ([`IrqLock::lock_masked`]).
///
/// Only from a system call: a user thread exists only once [`init`] has
/// installed the scheduler, so there is no `None` to check for.
#[inline(always)]
pub(crate) fn with_masked<R>(f: impl FnOnce(&mut Sched) -> R) -> R {
    let mut guard = SCHED.lock_masked();
    debug_assert!(guard.is_some(), "thread::init has run");
    // SAFETY: a system call comes from a user thread, which runs only after
    // `init` stored the scheduler (it is never taken out again).
    f(unsafe { guard.as_mut().unwrap_unchecked() })
}

/// Called by the trap path after an IRQ: switches if a higher-priority thread
/// became ready or the slice ran out.
pub fn after_irq(frame: &mut TrapFrame) -> *mut TrapFrame {
    if TIMER_FIRED.load(Ordering::Relaxed) {
        return after_timer_irq(frame);
    }
    let mut guard = SCHED.lock();
    let Some(s) = guard.as_mut() else {
        return frame;
    };
    if !s.need_resched {
        return frame;
    }
    let now = time::now();
    // A thread this trap's interrupt handler handed the CPU (a
    // notification's waiter: see `Sched::wake_blocked_first`).
    let direct = s.handoff.take();
    s.switch_to(frame, now, direct) // programs the timer for the next thread
}

/// [`after_irq`] for the event timer's interrupt: wakes the sleepers due,
/// then switches or arms the timer again.
#[inline(always)]
fn after_timer_irq(frame: &mut TrapFrame) -> *mut TrapFrame {
    let mut guard = SCHED.lock();
    let Some(s) = guard.as_mut() else {
        return frame;
    };
    let now = time::now();
    // A hand-off is taken in the trap or call that made it, but one an
    // IRQ's tail left pending across its preemption point (below) may meet
    // a timer IRQ taken there: it is queued.
    if let Some(h) = s.handoff.take() {
        s.make_ready(h);
    }
    TIMER_FIRED.store(false, Ordering::Relaxed);
    s.timer_at = None; // the one-shot has fired: nothing is armed
    let sleeping = s.sleepers.len();
    let direct = s.wake_sleepers(now);
    // SAFETY: the running thread's control block, no other reference to
    // it live; last used in this function's next lines.
    let ct = unsafe { s.tcb_detached(s.current) };
    // (A wake-up that switches at once makes the slice moot.)
    if direct.is_none() && now >= ct.slice_end {
        s.need_resched = true;
    }
    if s.sleepers.len() != sleeping && !ct.in_irq_tail {
        // A sleeper woke, and the switch to it (if it outranks every ready
        // thread: a hand-off, as a notification's IRQ makes) or the event
        // timer's arming come after a preemption point: the wake (the
        // heap's pop) and the switch are two masked stretches, not one
        // (~650 instructions as one). An IRQ taken at the point takes the
        // hand-off itself.
        if let Some(t) = direct {
            s.handoff = Some(t);
            s.need_resched = true;
        }
        ct.in_irq_tail = true;
        drop(guard);
        return switch_after_preemption_point(frame, now);
    }
    if direct.is_some() || s.need_resched {
        s.switch_to(frame, now, direct) // programs the timer for the next thread
    } else {
        s.program_timer();
        frame
    }
}

/// The end of a timer IRQ that woke a sleeper: IRQs enabled for a moment
/// (nothing is half-done: the woken thread is queued, or is the pending
/// hand-off with `need_resched` set, which an IRQ taken now switches to
/// as it would its own; such an IRQ finds no event armed and arms one),
/// then the switch if still due, or the event timer armed. `now`: the
/// clock read before the point (a slice is accounted from it; an IRQ
/// taken at the point makes it a few µs old). IRQs are masked on entry
/// and on return.
#[inline(never)]
fn switch_after_preemption_point(frame: &mut TrapFrame, now: Instant) -> *mut TrapFrame {
    arch::cpu::interrupts_enable();
    arch::cpu::interrupts_disable();
    let mut guard = SCHED.lock_masked();
    let Some(s) = guard.as_mut() else {
        return frame;
    };
    // SAFETY: the running thread's control block, not otherwise referred
    // to here.
    unsafe { s.tcb_detached(s.current) }.in_irq_tail = false;
    let direct = s.handoff.take();
    if direct.is_some() || s.need_resched {
        s.switch_to(frame, now, direct)
    } else {
        s.program_timer();
        frame
    }
}

/// Called by the trap path for `svc #0` from a kernel thread.
pub fn on_reschedule(frame: &mut TrapFrame) -> *mut TrapFrame {
    let mut guard = SCHED.lock();
    match guard.as_mut() {
        Some(s) => {
            let now = time::now();
            match frame.r[0] {
                arch::trap::RESCHEDULE_YIELD => s.yielding = true,
                arch::trap::RESCHEDULE_SLEEP => {
                    let at = (frame.r[2] as u64) << 32 | frame.r[1] as u64;
                    let cur = s.current;
                    if at < now {
                        // A release already passed: a miss, and no sleep.
                        s.tcb(cur).timing.deadline_misses += 1;
                        return frame;
                    }
                    s.insert_sleeper(cur, at);
                }
                _ => {}
            }
            let direct = s.handoff.take();
            s.switch_to(frame, now, direct)
        }
        None => frame,
    }
}

/// The running thread's id.
pub fn current() -> ThreadId {
    with(|s| s.current)
}

extern "C" fn thread_start(closure: usize, _unused: usize) -> ! {
    // SAFETY: spawn() passed a Box<Box<dyn FnOnce()>> leaked into a usize.
    let f = unsafe { Box::from_raw(closure as *mut Box<dyn FnOnce() + Send>) };
    f();
    exit()
}

/// Creates a kernel thread running `f` at `prio` (0 highest, 30 lowest).
/// Spawning is not a preemption point: a new thread of higher priority
/// than the caller's runs at the next interrupt or when the caller blocks
/// (processes, by contrast, start at once: see `process::spawn_process`).
pub fn spawn<F: FnOnce() + Send + 'static>(
    name: &'static str,
    prio: u8,
    f: F,
) -> Result<ThreadId, ThreadError> {
    spawn_in(name, prio, None, f)
}

/// [`spawn`] for a thread of task `pid` (a kernel-bound task).
pub fn spawn_in<F: FnOnce() + Send + 'static>(
    name: &'static str,
    prio: u8,
    pid: Option<u16>,
    f: F,
) -> Result<ThreadId, ThreadError> {
    // Fallible boxes: a spawn when the heap is exhausted is NoMemory.
    let inner: Box<dyn FnOnce() + Send> =
        crate::mm::heap::try_box(f).map_err(|_| ThreadError::NoMemory)?;
    let closure = crate::mm::heap::try_box(inner).map_err(|_| ThreadError::NoMemory)?;
    let closure = Box::into_raw(closure);
    let start = thread_start as *const () as usize;
    let frame = TrapFrame::kernel_thread(start, closure as usize, 0);
    let r = spawn_frame(name, prio, frame, None, pid);
    if r.is_err() {
        // SAFETY: the closure was never handed to a thread.
        drop(unsafe { Box::from_raw(closure) });
    }
    r
}

/// Creates a thread that starts from `frame` (a kernel or a user frame), in
/// address space `space`, belonging to task `pid`. It gets its own 16 KiB
/// kernel stack with an unmapped guard below.
///
/// Everything that allocates (the stack, its mapping, a page for the TCB
/// zone) happens before the scheduler lock is taken; under it the thread is
/// only inserted and made ready.
pub fn spawn_frame(
    name: &'static str,
    prio: u8,
    frame: TrapFrame,
    space: Option<Space>,
    pid: Option<u16>,
) -> Result<ThreadId, ThreadError> {
    spawn_with(name, prio, frame, space, pid, None).map_err(|(e, _)| e)
}

/// [`spawn_frame`] on a kernel stack and in a control block the caller
/// lends ([`reserve_lent`]): nothing is allocated. When the thread ends
/// its stack is unmapped, not freed, and [`join_lent`] hands both back. On
/// failure they come back with the error.
pub fn spawn_frame_on(
    name: &'static str,
    prio: u8,
    frame: TrapFrame,
    space: Option<Space>,
    pid: Option<u16>,
    lent: Lent,
) -> Result<ThreadId, (ThreadError, Lent)> {
    spawn_with(name, prio, frame, space, pid, Some(lent))
        .map_err(|(e, lent)| (e, lent.expect("handed back")))
}

fn spawn_with(
    name: &'static str,
    prio: u8,
    frame: TrapFrame,
    space: Option<Space>,
    pid: Option<u16>,
    lent: Option<Lent>,
) -> Result<ThreadId, (ThreadError, Option<Lent>)> {
    if prio > IDLE_PRIORITY || (prio == IDLE_PRIORITY && name != "idle") {
        return Err((ThreadError::BadPriority, lent));
    }
    let id = match claim_slot() {
        Ok(id) => id,
        Err(e) => return Err((e, lent)),
    };
    let fpexc = crate::vfp::reset(id.index(), pid);
    let base = stack_base(id);
    let mapped = match &lent {
        Some(l) => map_stack_at(base, l.stack),
        None => map_stack(base),
    };
    let phys = match mapped {
        Ok(phys) => phys,
        Err(e) => {
            release_slot(id);
            return Err((e, lent));
        }
    };
    let top = base + STACK_SIZE;
    let at = (top as usize - size_of::<TrapFrame>()) as *mut TrapFrame;
    // SAFETY: `at` lies in the stack just mapped, owned by the new thread.
    unsafe { at.write(frame) };
    let mut tcb = Tcb::new(name, prio);
    tcb.frame = at;
    tcb.stack = Some((base, phys));
    tcb.lent_stack = lent.is_some();
    tcb.space = space;
    tcb.pid = pid;
    tcb.fpexc = fpexc;
    let block = match &lent {
        Some(l) => {
            // SAFETY: the block is zone memory sized and aligned for a
            // Tcb, lent to this thread alone.
            unsafe { l.tcb.0.as_ptr().write(tcb) };
            Ok(l.tcb.0)
        }
        None => alloc_tcb(tcb),
    };
    let r = block.and_then(|tcb| {
        // Under the scheduler lock only the insertion: O(1).
        let r = with(|s| {
            s.insert_tcb(id, tcb)?;
            s.make_ready(id);
            Ok(id)
        });
        if r.is_err() && lent.is_none() {
            free_tcb(tcb);
        }
        r
    });
    match r {
        Ok(id) => Ok(id),
        Err(e) => {
            match lent {
                Some(_) => unmap_stack_only(base),
                None => unmap_stack(base, phys),
            }
            release_slot(id);
            Err((e, lent))
        }
    }
}

/// Runs the scheduler now if a higher-priority thread is ready (after a
/// wake-up from thread context).
pub fn preempt_point() {
    let needed = with(|s| core::mem::take(&mut s.need_resched));
    if needed {
        arch::trap::reschedule();
    }
}

/// Gives the CPU to the next ready thread of the same priority, if any.
pub fn yield_now() {
    // The trap path sets `yielding` from the saved r0 (no lock here).
    arch::trap::reschedule_yield();
}

/// Sleeps until the clock reads `at` (absolute, so periodic loops do not
/// drift). Returns at once if `at` has passed, and counts that as a
/// deadline miss: the caller asked to wait for a release it was late for.
pub fn sleep_until(at: Instant) {
    // One trap: the check, the sleep and the switch happen in
    // `on_reschedule` under one hold of the scheduler's lock, with IRQs
    // masked only from the trap's entry (no lock and clock read before it).
    arch::trap::reschedule_sleep(at);
}

/// Sleeps for `ns` nanoseconds.
pub fn sleep(ns: u64) {
    sleep_until(time::now() + ns);
}

/// Ends the running thread. Its stack is freed later, with IRQs enabled, by
/// the reaper or by its joiner, whichever comes first; its control block
/// when it is joined.
pub fn exit() -> ! {
    retire_current();
    arch::trap::reschedule();
    unreachable!("an exited thread was resumed");
}

/// Retires the running thread (see [`Sched::retire`]), IRQs masked only
/// under the lock: retiring and the caller's switch away are two short
/// windows, not one long one. An interrupt in between that switches away
/// does what that switch would (an exited thread is never resumed).
fn retire_current() {
    with(|s| {
        let cur = s.current;
        if let Some(j) = s.retire(cur) {
            s.make_ready(j); // alone at its level: same order as before
        }
    });
}

/// Waits until thread `id` has exited, then frees what is left of it: its
/// stack (unless the reaper has already) and its control block. The thread
/// of a task is joined by `process::wait`, which also gives back the task's
/// memory; joining it here instead leaves that memory to `wait` alone.
pub fn join(id: ThreadId) -> Result<(), ThreadError> {
    join_code(id).map(|_| ())
}

/// [`join`], returning the code the thread gave [`syscall_thread_exit`]
/// (0 if it ended otherwise).
pub fn join_code(id: ThreadId) -> Result<i32, ThreadError> {
    join_lent(id).map(|(code, lent)| {
        if let Some(lent) = lent {
            free_lent(lent);
        }
        code
    })
}

/// [`join_code`], handing back the stack and control block the thread
/// was lent ([`spawn_frame_on`]) instead of freeing them.
pub fn join_lent(id: ThreadId) -> Result<(i32, Option<Lent>), ThreadError> {
    let irqs = arch::cpu::interrupts_disable();
    let r = with(|s| {
        let cur = s.current;
        let t = s.try_tcb(id).ok_or(ThreadError::NoSuchThread)?;
        if id == cur || t.joiner.is_some_and(|j| j != cur) {
            return Err(ThreadError::NotJoinable);
        }
        // Ours from now on: a second joiner is refused.
        t.joiner = Some(cur);
        if t.state == State::Exited {
            return Ok(true);
        }
        s.block_current();
        Ok(false)
    });
    let r = match r {
        Ok(false) => {
            arch::trap::reschedule();
            Ok(())
        }
        other => other.map(|_| ()),
    };
    if irqs {
        arch::cpu::interrupts_enable();
    }
    if r.is_ok() {
        // If the reaper is freeing the stack right now, this waits for it
        // (lending it our priority), so every frame is back on return.
        free_stack(id, None);
        let (code, stack, tcb) = with(|s| {
            let (code, stack) = s
                .try_tcb(id)
                .map_or((0, None), |t| (t.exit_code, t.returned.take()));
            (code, stack, s.remove_tcb(id))
        });
        // A lent stack comes back unmapped (`returned`) with its block.
        let lent = match (stack, tcb) {
            (Some(stack), Some(tcb)) => Some(Lent {
                stack,
                tcb: TcbBlock(tcb),
            }),
            (_, Some(tcb)) => {
                free_tcb(tcb);
                None
            }
            _ => None,
        };
        // Only now may the slot (and its stack window) go to a new thread.
        release_slot(id);
        return Ok((code, lent));
    }
    r.map(|_| (0, None))
}

/// Serialises stack freeing between the reaper and joiners, so a joiner
/// never frees a control block (and lets its slot's stack window be
/// reused) while the reaper is still unmapping that slot's stack.
static STACK_FREE: sync::Mutex<()> = sync::Mutex::new(());

/// Frees exited thread `id`'s kernel stack if nobody has yet, with IRQs
/// enabled: each page's unmap and the block's free are one short step of
/// the memory manager each. `generation`: only if the slot still holds the thread
/// a [`ReapJob`] named.
fn free_stack(id: ThreadId, generation: Option<u16>) {
    let _serial = STACK_FREE.lock();
    let stack = with(|s| {
        if generation.is_some_and(|g| s.gens.get(id.index()) != Some(&g)) {
            return None;
        }
        let t = s.try_tcb(id)?;
        if t.state != State::Exited {
            return None;
        }
        t.stack.take().map(|st| (st, t.lent_stack))
    });
    match stack {
        Some(((base, phys), false)) => unmap_stack(base, phys),
        Some(((base, phys), true)) => {
            unmap_stack_only(base);
            // Unmapped: the frames are the joiner's to take back.
            with(|s| {
                if let Some(t) = s.try_tcb(id) {
                    t.returned = Some(phys);
                }
            });
        }
        None => {}
    }
}

/// Work for the reaper: an exited thread whose stack, and whose task's
/// memory if it belonged to a task, are to be given back.
#[derive(Clone, Copy, Debug)]
struct ReapJob {
    thread: ThreadId,
    generation: u16,
    pid: Option<u16>,
}

/// The task layer's teardown, one bounded batch per call (see
/// [`set_process_reaper`]).
static TASK_REAPER: spin::Once<fn(u16) -> bool> = spin::Once::new();

/// Registers the task layer's teardown with the reaper: `step(pid)` gives
/// back a bounded batch of ended task `pid`'s memory, with IRQs enabled, and
/// returns true once all of it is back (or there was nothing to do). The
/// reaper calls it when a task's thread has exited, at that thread's
/// priority, until it returns true; between calls it may turn to a job of
/// higher priority. Set once, at boot.
pub fn set_process_reaper(step: fn(u16) -> bool) {
    TASK_REAPER.call_once(|| step);
}

/// Waits for the highest-priority job and takes on its priority (so
/// teardown is paid at the dead thread's own level and delays nobody above
/// it). Runs on the reaper thread.
fn next_job() -> ReapJob {
    loop {
        let irqs = arch::cpu::interrupts_disable();
        let job = with(|s| {
            let me = s.current;
            let Some(id) = s.best_exited() else {
                s.reaper_busy = false;
                s.block_current();
                return None;
            };
            s.reaper_busy = true;
            let (prio, pid) = (s.tcb(id).base_prio, s.tcb(id).pid);
            s.tcb(me).base_prio = prio;
            s.set_prio(me, prio);
            if s.ready.highest_priority().is_some_and(|p| p < prio) {
                s.need_resched = true;
            }
            Some(ReapJob {
                thread: id,
                generation: s.gens[id.index()],
                pid,
            })
        });
        if job.is_none() {
            // retire() makes us ready, at the dead thread's priority.
            arch::trap::reschedule();
        }
        if irqs {
            arch::cpu::interrupts_enable();
        }
        if let Some(job) = job {
            preempt_point();
            return job;
        }
    }
}

/// The reaper thread: gives back what exited threads leave behind, one
/// bounded step at a time with IRQs enabled, each job at the priority of
/// the thread that left it.
fn reaper() {
    loop {
        let job = next_job();
        if let Some(pid) = job.pid
            && let Some(step) = TASK_REAPER.get()
            && !step(pid)
        {
            continue; // more to do: pick again, a higher job may be waiting
        }
        free_stack(job.thread, Some(job.generation));
        with(|s| {
            if s.gens[job.thread.index()] == job.generation {
                s.exited &= !(1 << job.thread.index());
            }
        });
    }
}

/// A periodic release: `wait()` sleeps until the next period boundary,
/// computed from the start time (no drift), and counts a deadline miss when
/// the job overran into the next period.
pub struct Periodic {
    next: Instant,
    period: u64,
}

impl Periodic {
    /// Releases every `period` ns, the first one `period` from now.
    pub fn new(period: u64) -> Self {
        Self {
            next: time::now() + period,
            period,
        }
    }

    /// The next release time.
    pub fn next_release(&self) -> Instant {
        self.next
    }

    /// Waits for the next release. Returns false (and counts a deadline miss)
    /// if that release had already passed.
    pub fn wait(&mut self) -> bool {
        let on_time = time::now() <= self.next;
        sleep_until(self.next); // counts the miss if the release has passed
        self.next += self.period;
        on_time
    }
}

/// A thread's name, priorities, state and timing record.
pub fn info(id: ThreadId) -> Option<(&'static str, u8, u8, State, Timing)> {
    with(|s| {
        s.try_tcb(id)
            .map(|t| (t.name, t.base_prio, t.prio, t.state, t.timing))
    })
}

/// Prints one line per thread: the scheduler's status dump.
pub fn print_status() {
    println!(
        "  id name           prio  state      switches  wakeups  max late(us)  deadline misses"
    );
    for i in 0..MAX_THREADS {
        let id = ThreadId::new(i as u16);
        if let Some((name, base, prio, state, t)) = info(id) {
            println!(
                "  {:>2} {:<14} {:>2}/{:<2} {:<10} {:>8} {:>8} {:>13} {:>16}",
                i,
                name,
                base,
                prio,
                alloc::format!("{state:?}"),
                t.switches,
                t.wakeups,
                t.max_lateness / 1000,
                t.deadline_misses
            );
        }
    }
}

/// The task the running thread belongs to.
pub fn current_pid() -> Option<u16> {
    with(|s| {
        let cur = s.current;
        s.tcb(cur).pid
    })
}

/// The ASID a thread's address space holds now (0: none).
pub fn asid_of(id: ThreadId) -> u8 {
    with(|s| {
        s.try_tcb(id)
            .and_then(|t| t.space)
            .map_or(0, |sp| sp.tag.asid)
    })
}

/// From the trap path: the running thread yields.
pub fn trap_yield(frame: &mut TrapFrame) -> *mut TrapFrame {
    with(|s| {
        let cur = s.current;
        if DOOMED[cur.index()].load(Ordering::Relaxed) {
            return frame as *mut TrapFrame; // it ends as the call returns
        }
        s.yielding = true;
        s.switch(frame, time::now())
    })
}

/// From the trap path: runs `f` under the scheduler lock (it may make
/// threads ready), then switches at once if that made one outrank the
/// running thread: the switch is the trap's return, not a second trap.
pub fn trap_then_preempt(frame: &mut TrapFrame, f: impl FnOnce(&mut Sched)) -> *mut TrapFrame {
    with(|s| {
        f(s);
        s.preempt_now(frame)
    })
}

impl Sched {
    /// The end of [`trap_then_preempt`], the lock held already: a switch if
    /// something made a thread outrank the running one, else `frame`.
    #[inline]
    pub(crate) fn preempt_now(&mut self, frame: &mut TrapFrame) -> *mut TrapFrame {
        if core::mem::take(&mut self.need_resched) {
            let direct = self.handoff.take();
            self.switch_to(frame, time::now(), direct)
        } else {
            frame as *mut TrapFrame
        }
    }
}

/// From the trap path: the running thread sleeps until `at` (a miss if that
/// has passed, as for [`sleep_until`]).
pub fn trap_sleep_until(frame: &mut TrapFrame, at: Instant) -> *mut TrapFrame {
    with(|s| {
        let cur = s.current;
        if DOOMED[cur.index()].load(Ordering::Relaxed) {
            return frame as *mut TrapFrame; // it ends as the call returns
        }
        let now = time::now();
        if at < now {
            s.tcb(cur).timing.deadline_misses += 1;
            return frame as *mut TrapFrame;
        }
        s.insert_sleeper(cur, at);
        s.switch(frame, now)
    })
}

/// From the trap path: the running thread has ended (its task is marked
/// ended; the reaper or its waiter tears it down later). Wakes its joiner
/// and the reaper and runs someone else; its address space is never loaded
/// again. Bounded: nothing here is proportional to the task's size.
pub fn trap_exit(frame: &mut TrapFrame) -> *mut TrapFrame {
    with(|s| {
        let cur = s.current;
        let direct = s.retire(cur);
        s.switch_to(frame, time::now(), direct)
    })
}

/// [`trap_exit`] for the `exit` system call, entered with IRQs enabled:
/// retires the thread, then switches away masked (see [`retire_current`]).
pub fn syscall_exit(frame: &mut TrapFrame) -> *mut TrapFrame {
    retire_current();
    arch::cpu::interrupts_disable(); // see syscall::handle: switch masked
    with(|s| s.switch_to(frame, time::now(), None))
}

/// The running thread's name and task, if the scheduler is not locked (for
/// crash reports, which must not wait).
pub fn try_current() -> Option<(&'static str, Option<u16>)> {
    let mut guard = SCHED.try_lock()?;
    let s = guard.as_mut()?;
    let cur = s.current;
    let t = s.try_tcb(cur)?;
    Some((t.name, t.pid))
}

/// The running thread's user address space, for a new thread of the same
/// process (same table, same ASID).
pub fn current_space() -> Option<Space> {
    with(|s| {
        let cur = s.current;
        s.tcb(cur).space
    })
}

/// Sets the running thread's TLS pointer: TPIDRURO now and whenever the
/// thread is switched in again.
pub fn set_tls(value: u32) {
    with(|s| {
        let cur = s.current;
        s.tcb(cur).tls = value;
        arch::cpu::set_user_tls(value);
    });
}

/// The id user mode sees for thread `id`: its index and the generation of
/// its slot, so an id kept after the thread was joined names nothing
/// (the slot's next thread has another generation).
pub fn user_tid(id: ThreadId) -> u32 {
    with(|s| (s.gens[id.index()] as u32) << 6 | id.index() as u32)
}

/// The live thread a [`user_tid`] names, if it still exists.
pub fn from_user_tid(tid: u32) -> Option<ThreadId> {
    const _: () = assert!(MAX_THREADS == 64);
    let (index, generation) = ((tid & 63) as usize, tid >> 6);
    with(|s| {
        (u32::from(s.gens[index]) == generation && s.threads[index].is_some())
            .then(|| ThreadId::new(index as u16))
    })
}

/// From the trap path: the running thread ends alone (`thread_exit`) with
/// `code` for its joiner; see [`syscall_exit`].
pub fn syscall_thread_exit(frame: &mut TrapFrame, code: i32) -> *mut TrapFrame {
    with(|s| {
        let cur = s.current;
        s.tcb(cur).exit_code = code;
    });
    syscall_exit(frame)
}

/// Whether the running thread's process has ended (see [`doom`]).
pub fn current_doomed() -> bool {
    DOOMED[current_unlocked().index()].load(Ordering::Relaxed)
}

/// Per thread slot: its process has ended and it is to end at its next
/// return to user mode (see [`doom`]). Set under the scheduler lock, read
/// without it (every system call's return looks), cleared when the slot
/// is claimed again.
static DOOMED: [AtomicBool; MAX_THREADS] = [const { AtomicBool::new(false) }; MAX_THREADS];

/// Ends the threads in `mask` but the running one: the other threads of a
/// process that has ended. A thread stopped at the user
/// boundary (ready, asleep or blocked in IPC, its saved frame a user frame)
/// is woken with that frame replaced by a call of `die` on its own kernel
/// stack, which ends it there. One inside a system call (a kernel frame) is
/// only marked: it ends as the call returns (`syscall::handle`); a wait
/// that would stop it at the boundary first (yield, sleep, an IPC wait)
/// sees the mark and returns at once, and a notification wait it is
/// blocked in gives up (it is woken here). So no thread is stopped while it
/// holds a kernel lock, and none returns to user mode. Bounded: one step
/// per thread. `ended`: the process, when it has just ended: the endpoints
/// it served close (`ipc::process_ended`), in the same hold of the
/// scheduler lock (this runs in the trap that kills it).
pub fn doom(mask: u64, die: extern "C" fn(usize, usize) -> !, ended: Option<u16>) {
    with(|s| {
        if let Some(pid) = ended {
            crate::ipc::process_ended(s, pid);
        }
        let cur = s.current;
        let mut m = mask & !(1 << cur.index());
        while m != 0 {
            let id = ThreadId::new(m.trailing_zeros() as u16);
            m &= m - 1;
            let Some(t) = s.try_tcb(id) else { continue };
            if t.state == State::Exited || DOOMED[id.index()].swap(true, Ordering::Relaxed) {
                continue;
            }
            // SAFETY: a thread that is not running has its saved frame on
            // its own kernel stack.
            let at_user = unsafe { (*t.frame).from_user() };
            if !at_user {
                // Inside a system call: it ends as the call returns. One
                // blocked in an interruptible wait is woken to get there.
                if t.interruptible && matches!(t.state, State::Blocked | State::Sleeping) {
                    s.wake_blocked(id);
                }
                continue;
            }
            // The user frame is the first one on its kernel stack: the
            // replacement runs `die` with the stack above it, i.e. empty.
            // SAFETY: as above; nothing else refers to the frame.
            unsafe { t.frame.write(TrapFrame::kernel_thread(die as usize, 0, 0)) };
            match t.state {
                State::Sleeping => {
                    let _ = s.sleepers.remove(id);
                    crate::ipc::cancel(s, id);
                    s.make_ready(id);
                }
                State::Blocked => {
                    crate::ipc::cancel(s, id);
                    crate::object::notify::unpark(s, id);
                    s.make_ready(id);
                }
                _ => {}
            }
        }
    });
}
