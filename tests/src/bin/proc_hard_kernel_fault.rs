//! A fault in a hard kernel-bound task is a kernel panic with a full report
//! (such a task runs privileged in the kernel's space: nothing can contain
//! its fault), and the run ends with status 102.
//! expect-exit: 102
//! expect-output: *** UNHANDLED EXCEPTION: data abort in SVC mode
//! expect-output: translation fault, section, write
//! expect-output: thread hard-kernel of task 0

#![no_std]
#![no_main]

use kernel::process::{self, Class, Spec};

kernel::entry!(main);

fn body(mem: &'static mut [u8]) {
    let past_the_end = mem.as_mut_ptr().wrapping_add(mem.len() + (1 << 20));
    // SAFETY: deliberately not safe: writes past the task's memory.
    unsafe { core::hint::black_box(past_the_end).write_volatile(1) };
}

fn main() {
    let spec = Spec {
        name: "hard-kernel",
        class: Class::HardKernel,
        priority: 5,
        budget: 1 << 20,
        devices: &[],
        handles: &[],
        arg: 0,
        threads: 0,
    };
    let t = process::spawn_kernel_task(&spec, body).unwrap();
    let _ = process::wait(t);
    kernel::println!("not reached");
}
