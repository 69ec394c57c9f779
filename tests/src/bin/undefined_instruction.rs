//! An undefined instruction in the kernel is reported with its pc and ends the
//! run with status 102.
//! expect-exit: 102
//! expect-output: *** UNHANDLED EXCEPTION: undefined instruction in SVC mode

#![no_std]
#![no_main]

kernel::entry!(main);

fn main() {
    // SAFETY: deliberately executes a permanently undefined encoding.
    unsafe { core::arch::asm!("udf #0") };
    kernel::println!("not reached");
}
