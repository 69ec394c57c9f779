//! Floating point for tasks: who owns the VFP/NEON unit, and when its
//! registers move.
//!
//! The kernel itself is soft-float and never touches the unit. A thread
//! gets it in one of two ways:
//!
//! - **lazily** (soft tasks): every switch turns the unit off, so a soft
//!   thread's floating-point instruction after a switch traps (undefined
//!   instruction). The kernel turns the unit on for it, moves the registers
//!   if another thread's are in the unit, and retries the instruction. The
//!   thread's first such trap marks it a floating-point user and is counted
//!   ([`first_use_traps`]); the later ones too ([`switch_traps`]);
//! - **eagerly** (hard tasks, which must never fault): their threads get
//!   the unit, with their registers in it, as they are switched in.
//!
//! A thread that never uses floating point is never saved or restored.
//! Registers move lazily: they stay in the unit until another user takes
//! it (the owner says whose they are), so two floating-point tasks that
//! share the CPU with others pay only for switches between themselves
//! ([`saves`]).
//!
//! The switch hook ([`switch_in`]) runs with IRQs masked on every switch
//! to a user thread, so for a thread that is not eager it is four
//! instructions: a load of the FPEXC value kept in the incoming thread's
//! control block (0), its write to FPEXC, a compare and a branch not
//! taken.
//!
//! Everything that moves registers or changes the owner runs with IRQs
//! masked (the context switch, the trap path) on the one core; [`reset`]
//! masks only to release the slot's ownership, then zeroes its registers
//! with IRQs enabled. The hook is in `Sched::activate`, for user threads
//! only: kernel threads never use the unit, so a switch to one costs
//! nothing.

use arch::vfp::VfpState;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::Relaxed};

const THREADS: usize = crate::thread::MAX_THREADS;
const PROCS: usize = crate::layout::MAX_PROCESSES;
const NONE: usize = usize::MAX;

/// Each thread slot's saved registers.
struct States(UnsafeCell<[VfpState; THREADS]>);

// SAFETY: only touched with IRQs masked on the one core (see the module
// docs), one access at a time.
unsafe impl Sync for States {}

static STATES: States = States(UnsafeCell::new([VfpState::ZERO; THREADS]));
/// Whether each thread slot has used the unit.
static USER: [AtomicBool; THREADS] = [const { AtomicBool::new(false) }; THREADS];
/// The slot whose registers the unit holds (NONE: nobody's).
static OWNER: AtomicUsize = AtomicUsize::new(NONE);
/// Processes whose threads get the unit eagerly (hard tasks).
static EAGER: [AtomicBool; PROCS] = [const { AtomicBool::new(false) }; PROCS];
static FIRST_TRAPS: AtomicU32 = AtomicU32::new(0);
static SWITCH_TRAPS: AtomicU32 = AtomicU32::new(0);
static SAVES: AtomicU32 = AtomicU32::new(0);

/// Grants the coprocessors and turns the unit off (boot).
pub fn init() {
    arch::vfp::init();
    let (fpsid, mvfr0, mvfr1) = arch::vfp::id();
    // MVFR0[3:0]: 2 = 32 double registers; MVFR1[11:8]: NEON integer ops.
    let (d32, neon) = (mvfr0 & 0xF == 2, (mvfr1 >> 8) & 0xF != 0);
    crate::println!(
        "vfp: FPSID {fpsid:#010x}, {} double registers{}; for tasks: soft lazily, hard eagerly",
        if d32 { 32 } else { 16 },
        if neon { ", NEON" } else { "" }
    );
    if !(d32 && neon) {
        crate::println!("vfp: WARNING: hard-float programs (built +d32,+neon) would fault here");
    }
}

/// How many first-use traps made a thread a floating-point user since boot.
pub fn first_use_traps() -> u32 {
    FIRST_TRAPS.load(Relaxed)
}

/// How many traps gave the unit back to a floating-point user after a
/// switch had turned it off, since boot.
pub fn switch_traps() -> u32 {
    SWITCH_TRAPS.load(Relaxed)
}

/// How many times one thread's registers were saved to make room for
/// another's.
pub fn saves() -> u32 {
    SAVES.load(Relaxed)
}

/// Says whether process `pid`'s threads get the unit eagerly (its class is
/// hard). Before its first thread is created.
pub fn set_eager(pid: u16, eager: bool) {
    if let Some(e) = EAGER.get(pid as usize) {
        e.store(eager, Relaxed);
    }
}

/// A new thread takes slot `slot`, for process `pid` (if any): forgets the
/// slot's old state. Returns the FPEXC the thread is switched in with, for
/// its control block ([`switch_in`]): [`FPEXC_EN`](arch::vfp::FPEXC_EN) if
/// it gets the unit eagerly (its process is hard), else 0. Before the
/// thread can run.
pub fn reset(slot: usize, pid: Option<u16>) -> u32 {
    let eager = pid.is_some_and(|p| EAGER.get(p as usize).is_some_and(|e| e.load(Relaxed)));
    if slot >= THREADS {
        return 0;
    }
    let irqs = arch::cpu::interrupts_disable();
    if OWNER.load(Relaxed) == slot {
        OWNER.store(NONE, Relaxed);
    }
    if irqs {
        arch::cpu::interrupts_enable();
    }
    // With IRQs enabled (264 bytes): the slot is nobody's now and its
    // thread has not run, so no save or restore touches it.
    // SAFETY: slot < THREADS; only this element is written.
    unsafe { state(slot).write(VfpState::ZERO) };
    USER[slot].store(eager, Relaxed);
    if eager { arch::vfp::FPEXC_EN } else { 0 }
}

/// Slot `slot`'s saved registers (`slot` < THREADS), by pointer: each
/// element is touched by one party at a time (see [`reset`] and [`take`]).
fn state(slot: usize) -> *mut VfpState {
    STATES.0.get().cast::<VfpState>().wrapping_add(slot)
}

/// Turns the unit on for thread `slot`, with its registers in it. IRQs
/// masked.
fn take(slot: usize) {
    arch::vfp::enable();
    let owner = OWNER.load(Relaxed);
    if owner != slot && slot < THREADS {
        if owner < THREADS {
            // SAFETY: IRQs masked on the one core: the only access to the
            // owner's element now.
            arch::vfp::save(unsafe { &mut *state(owner) });
            SAVES.fetch_add(1, Relaxed);
        }
        // SAFETY: as above, for slot's element.
        arch::vfp::restore(unsafe { &*state(slot) });
        OWNER.store(slot, Relaxed);
    }
}

/// The context-switch hook: the thread just made current is about to run,
/// with `fpexc` (its control block's copy of what [`reset`] returned).
/// IRQs masked.
///
/// For a lazy thread, three instructions after the load: the unit goes off
/// whatever ran before, and the thread traps for it if it wants it.
#[inline(always)]
pub fn switch_in(fpexc: u32) {
    arch::vfp::set_fpexc(fpexc);
    if fpexc != 0 {
        take_eager();
    }
}

/// A hard task's thread is switched in: its registers go into the unit.
#[inline(never)]
fn take_eager() {
    take(crate::thread::current_unlocked().index())
}

/// An undefined instruction in user thread `slot`, with IRQs masked (the
/// trap path). If the unit is off the thread gets it (becoming a user if it
/// was not; both counted) and the instruction is to be retried (true).
/// False: the instruction is undefined with the unit on, a real error.
pub fn trap(slot: usize) -> bool {
    let Some(user) = USER.get(slot) else {
        return false;
    };
    if arch::vfp::is_enabled() {
        return false;
    }
    if user.load(Relaxed) {
        SWITCH_TRAPS.fetch_add(1, Relaxed);
    } else {
        user.store(true, Relaxed);
        FIRST_TRAPS.fetch_add(1, Relaxed);
    }
    take(slot);
    true
}
