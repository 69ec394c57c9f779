//! An unexpected kernel data abort prints a decoded report (mode, pc, address,
//! the fault status in words) and ends the run with status 102.
//! expect-exit: 102
//! expect-output: *** UNHANDLED EXCEPTION: data abort in SVC mode
//! expect-output: addr 0x00000040: translation fault, section, write
//! expect-output: r0

#![no_std]
#![no_main]

kernel::entry!(main);

fn main() {
    let p = core::hint::black_box(0x40usize) as *mut u32;
    // SAFETY: deliberately not safe: this write must fault and end the run.
    unsafe { p.write_volatile(1) };
    kernel::println!("not reached");
}
