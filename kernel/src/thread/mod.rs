//! Threads and the fixed-priority preemptive scheduler.
//!
//! - 32 priorities, 0 highest; the next thread is found in O(1) by the
//!   [`ready`] queue's bitmap (one CLZ). Equal priorities share the CPU in
//!   time slices of [`SLICE_NS`]; a slice is only timed when another thread of
//!   the same priority is ready.
//! - Tickless: the private timer is programmed one-shot for the next event
//!   (earliest wake-up or slice end) after every scheduling decision.
//!   Sleepers wait in a [`sleepers`] min-heap keyed by wake time: a bounded
//!   O(log n) insert under the scheduler lock.
//! - A context switch is "return another thread's trap frame": threads enter
//!   the kernel by an interrupt or by `svc #0` ([`arch::trap::reschedule`]),
//!   their frame is saved on their own kernel stack, and the trap returns the
//!   frame of the thread chosen here.
//! - Thread control blocks come from a [`Zone`]; kernel stacks are 16 KiB,
//!   mapped in their own window with an unmapped guard page below each.
//! - Nothing is freed in a switch: an exited thread's stack is freed, with
//!   IRQs enabled, by the reaper thread (at the exited thread's priority,
//!   which also tears down the thread's task through the hook the task
//!   layer registers) or by [`join`], whichever comes first.
//! - FPU/VFP: the kernel and its threads are built soft-float and CPACR keeps
//!   the coprocessors disabled, so there is no FPU state to save and a stray
//!   VFP instruction is an undefined-instruction trap. Tasks that need the FPU
//!   will enable it lazily on that trap.
//!
//! All scheduler state is behind [`SCHED`], an IRQ-masking lock; the trap
//! path takes it too, so a thread changes its own state with IRQs masked and
//! then calls `reschedule()` before unmasking.

pub mod ready;
#[cfg(target_os = "none")]
mod sched;
pub mod sleepers;
#[cfg(target_os = "none")]
pub mod sync;

#[cfg(target_os = "none")]
pub use sched::*;
