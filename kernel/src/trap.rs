//! The kernel's side of exceptions: what to do with each trap.
//!
//! For now every trap that reaches the kernel is fatal: it prints a decoded
//! report (mode, pc, fault address and status in words, registers) and ends the
//! run with [`ExitCode::Fault`](crate::ExitCode::Fault).

use crate::console::emergency_print;
use crate::{ExitCode, exit};
use arch::cpu::mode_name;
use arch::trap::{TrapFrame, TrapKind, read_fault};

#[unsafe(no_mangle)]
fn kernel_trap(kind: TrapKind, frame: &mut TrapFrame) -> *mut TrapFrame {
    report(kind, frame);
    exit(ExitCode::Fault)
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
