//! The kernel's side of exceptions: what to do with each trap.
//!
//! - IRQ: dispatch to the registered handler, then let the scheduler switch
//!   if that made a higher-priority thread ready.
//! - `svc #0` from a kernel thread: a reschedule request.
//! - Everything else (aborts, undefined instructions, FIQ, ...) is fatal for
//!   now: a decoded report (mode, pc, fault address and status in words,
//!   registers) and the run ends with [`ExitCode::Fault`](crate::ExitCode::Fault).
//!
//! IRQs stay masked for the whole trap: handlers do not nest.

use crate::console::emergency_print;
use crate::{ExitCode, exit};
use arch::cpu::mode_name;
use arch::trap::{TrapFrame, TrapKind, read_fault};
use core::sync::atomic::{AtomicBool, Ordering};

static IN_TRAP: AtomicBool = AtomicBool::new(false);

/// Whether the CPU is in the trap path (an interrupt handler, say), where
/// nothing may block or call `reschedule()`.
pub fn in_trap() -> bool {
    IN_TRAP.load(Ordering::Relaxed)
}

#[unsafe(no_mangle)]
fn kernel_trap(kind: TrapKind, frame: &mut TrapFrame) -> *mut TrapFrame {
    match kind {
        TrapKind::Irq => {
            IN_TRAP.store(true, Ordering::Relaxed);
            crate::irq::dispatch();
            IN_TRAP.store(false, Ordering::Relaxed);
            crate::task::after_irq(frame)
        }
        TrapKind::SupervisorCall if !frame.from_user() => crate::task::on_reschedule(frame),
        _ => {
            report(kind, frame);
            exit(ExitCode::Fault)
        }
    }
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
    for (i, chunk) in frame.r.chunks(4).enumerate() {
        p(format_args!("   "));
        for (j, r) in chunk.iter().enumerate() {
            p(format_args!(" r{:<2} {:#010x}", i * 4 + j, r));
        }
        p(format_args!("\n"));
    }
}
