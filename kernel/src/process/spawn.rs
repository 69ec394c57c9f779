//! Creating processes: an isolated one from an ELF image (built by
//! `loader.rs`), a kernel-bound one running a function in its window of the
//! kernel's space. Either is registered in the table before its first thread
//! can run; a failed creation leaves nothing allocated.

use super::table::{ProcessRef, free_slot, get, insert};
use super::{
    Backing, Class, DEFAULT_SOFT_BUDGET, DEFAULT_SOFT_THREADS, PROCESSES, ProcError, Process,
    SECTION, Spec,
};
use super::{end, loader, with_process};
use crate::layout::KTASK_WINDOW;
use crate::syscall::abi::{PROT_READ, PROT_WRITE};
use crate::thread::{self, Space, ThreadError, ThreadId};
use arch::mmu::asid::AsidTag;
use arch::mmu::pmap::Size;
use arch::trap::TrapFrame;
use core::sync::atomic::Ordering;

/// Registers a built process (`cell`, its only reference), then starts its
/// thread with `start`; the process is in the table before its thread can
/// run (it may look itself up at once). On failure it is torn down and
/// nothing stays allocated.
fn start(
    cell: ProcessRef,
    start: impl FnOnce(u16) -> Result<ThreadId, ThreadError>,
) -> Result<u16, ProcError> {
    let pid = match insert(cell.pid, cell) {
        Ok(pid) => pid,
        Err(mut t) => {
            teardown(&mut t);
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

/// Tears down a process being built (its only reference).
fn teardown(cell: &mut ProcessRef) {
    if let Some(t) = cell.get_mut() {
        t.teardown();
    }
}

/// Runs the creation step `f` on the process being built; on failure tears
/// it down (the cell goes with the caller's return).
fn step<R>(
    cell: &mut ProcessRef,
    f: impl FnOnce(&mut Process) -> Result<R, ProcError>,
) -> Result<R, ProcError> {
    let Some(t) = cell.get_mut() else {
        return Err(ProcError::NoMemory);
    };
    let r = f(t);
    if r.is_err() {
        t.teardown();
    }
    r
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
    let program = loader::program(elf)?;
    let pid = free_slot()?;
    check_devices(spec)?;
    let mut cell = ProcessRef::try_new(pid, spec.name, spec.class)?;
    let (entry, sp, ttbr0) = step(&mut cell, |t| {
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
        if spec.class.is_hard() {
            t.reserve_threads(t.max_threads - 1)?;
        }
        let (entry, sp) = loader::build(t, &program, spec)?;
        if spec.class.is_hard() {
            t.map_granted_objects()?;
        }
        Ok((entry, sp, t.space.ttbr0()))
    })?;
    let space = Space {
        ttbr0,
        tag: AsidTag::default(),
    };
    let frame = TrapFrame::user_thread(entry, sp, spec.arg);
    // A hard task's threads get the floating-point unit before they run:
    // they must never trap for it (kernel::vfp).
    crate::vfp::set_eager(pid, spec.class.is_hard());
    start(cell, |pid| {
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
    let g = spec.class.granule();
    let len = spec.budget.next_multiple_of(g).max(g);
    if len > KTASK_WINDOW {
        return Err(ProcError::Invalid);
    }
    let mut cell = ProcessRef::try_new(pid, spec.name, spec.class)?;
    let base = step(&mut cell, |t| {
        t.grant(spec.handles)?;
        if spec.class.is_hard() {
            t.space.reserve(len / SECTION)?;
        }
        Ok(t.space.mmap(len, PROT_READ | PROT_WRITE)?)
    })?;
    let frame_fn = move || {
        // SAFETY: [base, base + len) is this task's memory, mapped RW for as
        // long as the task exists, used by nothing else.
        let mem = unsafe { core::slice::from_raw_parts_mut(base as *mut u8, len as usize) };
        f(mem);
        end::end_kernel_task();
    };
    start(cell, |pid| {
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
