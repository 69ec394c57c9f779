//! A kernel panic prints its message and location and ends the run with
//! status 101, which the harness expects here.
//! expect-exit: 101
//! expect-output: *** KERNEL PANIC: deliberate panic 42
//! expect-output: at tests/src/bin/panic_exits_nonzero.rs:

#![no_std]
#![no_main]

kernel::entry!(main);

fn main() {
    let n = core::hint::black_box(42);
    panic!("deliberate panic {n}");
}
