//! Floating point for tasks: who owns the VFP/NEON unit, and when its
//! registers move.
//!
//! The kernel itself is soft-float and never touches the unit. A thread
//! gets it in one of two ways:
//!
//! - **soft (lazily)**: a soft isolated task starts with the unit off; its
//!   first floating-point instruction traps (undefined instruction), the
//!   kernel marks the thread as a floating-point user, gives it zeroed
//!   registers, counts the trap ([`first_use_traps`]) and retries the
//!   instruction;
//! - **hard (eagerly)**: a hard isolated task's threads are floating-point
//!   users from their creation, so they never trap (a hard task must not
//!   fault).
//!
//! A thread that never uses floating point is never saved or restored: the
//! unit is simply off while it runs. Between users the registers move
//! lazily: they stay in the unit until another user is switched in (the
//! owner says whose they are), so two floating-point tasks that share the
//! CPU with others pay only for switches between themselves ([`saves`]).
//! The switch hook costs a few loads when no floating-point thread is
//! involved: it runs with IRQs masked on every switch.
//!
//! Everything that changes the state runs with IRQs masked (the context
//! switch, the trap path, [`reset`]) on the one core.

use arch::vfp::VfpState;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::Relaxed};

const THREADS: usize = crate::task::MAX_THREADS;
const PROCS: usize = crate::process::MAX_TASKS;
const NONE: usize = usize::MAX;

/// Each thread slot's saved registers.
struct States(UnsafeCell<[VfpState; THREADS]>);

// SAFETY: only touched with IRQs masked on the one core (see the module
// docs), one access at a time.
unsafe impl Sync for States {}

static STATES: States = States(UnsafeCell::new([VfpState::ZERO; THREADS]));
/// Whether each thread slot uses the unit.
static USER: [AtomicBool; THREADS] = [const { AtomicBool::new(false) }; THREADS];
/// The slot whose registers the unit holds (NONE: nobody's).
static OWNER: AtomicUsize = AtomicUsize::new(NONE);
/// Whether the unit is on (FPEXC.EN as last written).
static ON: AtomicBool = AtomicBool::new(false);
/// Processes whose threads get the unit eagerly (hard tasks).
static EAGER: [AtomicBool; PROCS] = [const { AtomicBool::new(false) }; PROCS];
static TRAPS: AtomicU32 = AtomicU32::new(0);
static SAVES: AtomicU32 = AtomicU32::new(0);

/// Grants the coprocessors and turns the unit off (boot).
pub fn init() {
    arch::vfp::init();
}

/// How many first-use traps enabled the unit for a thread since boot.
pub fn first_use_traps() -> u32 {
    TRAPS.load(Relaxed)
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
/// slot's old state; the thread starts as a user if its process is eager.
/// Before the thread can run.
pub fn reset(slot: usize, pid: Option<u16>) {
    if slot >= THREADS {
        return;
    }
    let irqs = arch::cpu::interrupts_disable();
    if OWNER.load(Relaxed) == slot {
        OWNER.store(NONE, Relaxed);
    }
    // SAFETY: IRQs masked on the one core: the only access now.
    unsafe { (*STATES.0.get())[slot] = VfpState::ZERO };
    let eager = pid.is_some_and(|p| EAGER.get(p as usize).is_some_and(|e| e.load(Relaxed)));
    USER[slot].store(eager, Relaxed);
    if irqs {
        arch::cpu::interrupts_enable();
    }
}

/// Gives the unit, with `slot`'s registers in it, to thread `slot`. IRQs
/// masked.
fn take(slot: usize) {
    if !ON.load(Relaxed) {
        arch::vfp::enable();
        ON.store(true, Relaxed);
    }
    let owner = OWNER.load(Relaxed);
    if owner != slot {
        // SAFETY: IRQs masked on the one core: the only access now.
        let states = unsafe { &mut *STATES.0.get() };
        if owner != NONE {
            arch::vfp::save(&mut states[owner]);
            SAVES.fetch_add(1, Relaxed);
        }
        arch::vfp::restore(&states[slot]);
        OWNER.store(slot, Relaxed);
    }
}

/// The context-switch hook: thread `slot` is about to run. IRQs masked.
#[inline]
pub fn switch_in(slot: usize) {
    if USER.get(slot).is_some_and(|u| u.load(Relaxed)) {
        take(slot);
    } else if ON.load(Relaxed) {
        arch::vfp::disable();
        ON.store(false, Relaxed);
    }
}

/// An undefined instruction in user thread `slot`: if it has not used the
/// unit yet, it becomes a user, the trap is counted and the instruction is
/// to be retried (true). False: the instruction is undefined with the unit
/// on, a real error. IRQs masked (the trap path).
pub fn first_use(slot: usize) -> bool {
    let Some(user) = USER.get(slot) else {
        return false;
    };
    if user.load(Relaxed) {
        return false;
    }
    user.store(true, Relaxed);
    TRAPS.fetch_add(1, Relaxed);
    take(slot);
    true
}
