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
//!   users from their first switch-in, so they never trap (a hard task must
//!   not fault).
//!
//! A thread that never uses floating point is never saved or restored: the
//! unit is simply off while it runs. Between users the registers move
//! lazily: they stay in the unit until another user is switched in
//! ([`OWNER`] says whose they are), so two floating-point tasks that share
//! the CPU with non-floating-point ones pay only for switches between
//! themselves ([`saves`]).
//!
//! Everything here runs with IRQs masked (the context switch and the trap
//! path) on the one core.

use crate::sync::IrqCell;
use arch::vfp::VfpState;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

const THREADS: usize = crate::task::MAX_THREADS;
const PROCS: usize = crate::process::MAX_TASKS;
const NONE: usize = usize::MAX;

struct Unit {
    /// Each thread slot's saved registers and whether it uses the unit.
    state: [VfpState; THREADS],
    user: [bool; THREADS],
    /// The thread slot whose registers the unit holds (NONE: nobody's).
    owner: usize,
}

static UNIT: IrqCell<Unit> = IrqCell::new(Unit {
    state: [VfpState::ZERO; THREADS],
    user: [false; THREADS],
    owner: NONE,
});

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
    TRAPS.load(Ordering::Relaxed)
}

/// How many times one thread's registers were saved to make room for
/// another's.
pub fn saves() -> u32 {
    SAVES.load(Ordering::Relaxed)
}

/// Says whether process `pid`'s threads get the unit eagerly (its class is
/// hard). Before its first thread is created.
pub fn set_eager(pid: u16, eager: bool) {
    if let Some(e) = EAGER.get(pid as usize) {
        e.store(eager, Ordering::Relaxed);
    }
}

/// Forgets thread slot `slot`'s state (a new thread takes the slot).
pub fn reset(slot: usize) {
    let irqs = arch::cpu::interrupts_disable();
    UNIT.with(|u| {
        if slot < THREADS {
            u.user[slot] = false;
            u.state[slot] = VfpState::ZERO;
            if u.owner == slot {
                u.owner = NONE;
            }
        }
    });
    if irqs {
        arch::cpu::interrupts_enable();
    }
}

/// Gives the unit, with `slot`'s registers in it, to thread `slot`.
fn take(u: &mut Unit, slot: usize) {
    arch::vfp::enable();
    if u.owner != slot {
        if u.owner != NONE {
            arch::vfp::save(&mut u.state[u.owner]);
            SAVES.fetch_add(1, Ordering::Relaxed);
        }
        arch::vfp::restore(&u.state[slot]);
        u.owner = slot;
    }
}

/// The context-switch hook: thread `slot` of process `pid` is about to
/// run. IRQs masked.
pub fn switch_in(slot: usize, pid: Option<u16>) {
    UNIT.with(|u| {
        if slot >= THREADS {
            return;
        }
        if !u.user[slot]
            && pid.is_some_and(|p| {
                EAGER
                    .get(p as usize)
                    .is_some_and(|e| e.load(Ordering::Relaxed))
            })
        {
            u.user[slot] = true;
        }
        if u.user[slot] {
            take(u, slot);
        } else {
            arch::vfp::disable();
        }
    })
}

/// An undefined instruction in user thread `slot`: if it has not used the
/// unit yet, it becomes a user, the trap is counted and the instruction is
/// to be retried (true). False: the instruction is undefined with the unit
/// on, a real error.
pub fn first_use(slot: usize) -> bool {
    UNIT.with(|u| {
        if slot >= THREADS || u.user[slot] {
            return false;
        }
        u.user[slot] = true;
        TRAPS.fetch_add(1, Ordering::Relaxed);
        take(u, slot);
        true
    })
}
