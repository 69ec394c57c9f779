//! A kernel-mode `svc` with an immediate other than 0 (the reschedule) is a
//! fatal error with a report, never taken for a reschedule: before the
//! kernel decoded the immediate, an `svc #0x42` here would have switched
//! threads and returned, and the run would have ended with status 0.
//! expect-exit: 102
//! expect-output: *** UNHANDLED EXCEPTION: supervisor call in SVC mode
//! expect-output: svc #0x42 from the kernel: not a reschedule (svc #0)
//! expect-output: safe-state hook ran

#![no_std]
#![no_main]

kernel::entry!(main);

fn hook() {
    kernel::console::emergency_print(format_args!("safe-state hook ran\n"));
}

fn main() {
    kernel::safe_end::set_safe_state_hook(hook);
    // A reschedule still works.
    arch::trap::reschedule();
    kernel::println!("svc #0 rescheduled and came back");
    // SAFETY: traps into the kernel, which must end the run here.
    unsafe { core::arch::asm!("svc #0x42", out("lr") _) };
    kernel::println!("svc #0x42 returned: taken for a reschedule");
}
