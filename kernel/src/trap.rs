//! The kernel's side of exceptions: what to do with each trap.
//!
//! - IRQ: dispatch to the registered handler, then let the scheduler switch
//!   if that made a higher-priority thread ready.
//! - `svc #0` from a kernel thread: a reschedule request; from user mode: a
//!   system call. A kernel-mode `svc` with any other immediate (a stray
//!   semihosting call in an image without a debugger, say) is fatal, never
//!   a reschedule.
//! - An abort or undefined instruction in user mode kills that process only:
//!   the trap records why and switches away; the report is printed and the
//!   memory given back later, in thread context (see `process`).
//! - Everything else (a kernel-mode abort: in the kernel or a kernel-bound
//!   task, whose faults are kernel panics by class; FIQ; ...) is fatal: a decoded report (mode, pc, fault address and status in words,
//!   registers) and the run ends with [`ExitCode::Fault`](crate::ExitCode::Fault).
//!
//! IRQs stay masked for the whole trap (handlers do not nest), except in
//! system calls, which run on the thread's kernel stack with IRQs enabled.
//! The kill of a faulting process stays masked: it only records why and
//! switches away (the reaper does the rest with IRQs enabled).

use crate::ExitCode;
use crate::console::emergency_print;
use crate::process::Death;
use arch::cpu::mode_name;
use arch::trap::{TrapFrame, TrapKind, read_fault};

/// A system call: the SVC vector calls this straight from its entry code
/// when the `svc` came from user mode (`arch/src/trap.s`), without
/// `arch_trap` and [`kernel_trap`]'s decoding of the trap kind. With the
/// IRQs-off profiler it reports the trap's window as `arch_trap` does.
#[unsafe(no_mangle)]
extern "C" fn kernel_syscall(frame: *mut TrapFrame) -> *mut TrapFrame {
    // SAFETY: the entry code passes the frame it just built on this stack.
    let frame = unsafe { &mut *frame };
    #[cfg(feature = "irqsoff")]
    {
        arch::trap::trap_entered(frame, TrapKind::SupervisorCall as u32);
        let next = crate::syscall::handle(frame);
        // SAFETY: the kernel returns a live trap frame to resume.
        arch::trap::trap_leaving(unsafe { &*next });
        next
    }
    #[cfg(not(feature = "irqsoff"))]
    crate::syscall::handle_inlined(frame)
}

#[unsafe(no_mangle)]
fn kernel_trap(kind: TrapKind, frame: &mut TrapFrame) -> *mut TrapFrame {
    match kind {
        TrapKind::Irq => {
            crate::context::as_irq_handler(crate::irq::dispatch);
            crate::thread::after_irq(frame)
        }
        TrapKind::SupervisorCall
            if !frame.from_user() && svc_immediate(frame) == arch::trap::RESCHEDULE_SVC =>
        {
            crate::thread::on_reschedule(frame)
        }
        TrapKind::SupervisorCall if !frame.from_user() => {
            let imm = svc_immediate(frame);
            report(kind, frame);
            emergency_print(format_args!(
                "    svc #{imm:#x} from the kernel: not a reschedule (svc #0){}\n",
                if imm == arch::debug::SEMIHOSTING_SVC_IMM {
                    ": a semihosting call, in an image without a debugger"
                } else {
                    ""
                }
            ));
            crate::safe_end::fatal(ExitCode::Fault)
        }
        // (The entry code sends these to `kernel_syscall`.)
        TrapKind::SupervisorCall => crate::syscall::handle(frame),
        TrapKind::DataAbort | TrapKind::PrefetchAbort if frame.from_user() => {
            let f = read_fault(kind, frame);
            // A write to a copy-on-write page: copied, and the write retried;
            // the first touch of a stack page: mapped, and the access retried.
            if kind == TrapKind::DataAbort
                && match f.status.kind {
                    arch::fault::FaultKind::Permission(_) => {
                        f.status.write && crate::process::resolve_cow(f.addr)
                    }
                    arch::fault::FaultKind::Translation(_) => {
                        crate::process::resolve_untouched(f.addr)
                    }
                    _ => false,
                }
            {
                return frame;
            }
            let why = Death::Abort {
                kind,
                pc: f.pc,
                addr: f.addr,
                status: f.status,
            };
            crate::process::kill_current(frame, why)
        }
        // A soft task's floating-point instruction with the unit off (its
        // first, or its first since a switch): the unit is turned on for it
        // and the instruction retried.
        TrapKind::Undefined
            if frame.from_user() && crate::vfp::trap(crate::thread::current().index()) =>
        {
            frame
        }
        TrapKind::Undefined if frame.from_user() => {
            let why = Death::Undefined { pc: frame.pc };
            crate::process::kill_current(frame, why)
        }
        _ => {
            report(kind, frame);
            crate::safe_end::fatal(ExitCode::Fault)
        }
    }
}

/// The immediate of a kernel-mode `svc` (its instruction is kernel text).
fn svc_immediate(frame: &TrapFrame) -> u32 {
    // SAFETY: the frame comes from a privileged mode, whose code is the
    // kernel's own text, mapped and readable.
    unsafe { arch::trap::svc_immediate(frame) }
}

/// Prints a crash report for a trap.
pub fn report(kind: TrapKind, frame: &TrapFrame) {
    let p = |a: core::fmt::Arguments| emergency_print(a);
    p(format_args!(
        "\n*** UNHANDLED EXCEPTION: {} in {} mode\n",
        kind.name(),
        mode_name(frame.mode())
    ));
    match kind {
        TrapKind::DataAbort | TrapKind::PrefetchAbort | TrapKind::KernelStackOverflow => {
            let f = read_fault(kind, frame);
            p(format_args!("    pc   {:#010x}\n", f.pc));
            p(format_args!(
                "    addr {:#010x}: {} (FSR {:#x})\n",
                f.addr, f.status, f.fsr
            ));
        }
        _ => p(format_args!("    pc   {:#010x}\n", frame.pc)),
    }
    p(format_args!(
        "    sp   {:#010x}  lr {:#010x}  cpsr {:#010x}\n",
        frame.sp(),
        frame.lr(),
        frame.cpsr
    ));
    if let Some((name, pid)) = crate::thread::try_current() {
        match pid {
            Some(pid) => p(format_args!("    thread {name} of task {pid}\n")),
            None => p(format_args!("    thread {name}\n")),
        }
    }
    for (i, chunk) in frame.r.chunks(4).enumerate() {
        p(format_args!("   "));
        for (j, r) in chunk.iter().enumerate() {
            p(format_args!(" r{:<2} {:#010x}", i * 4 + j, r));
        }
        p(format_args!("\n"));
    }
}
