//! A kernel panic prints its message and location, calls the safe-state
//! hook and ends the run with status 101, which the harness expects here.
//! expect-exit: 101
//! expect-output: *** KERNEL PANIC: deliberate panic 42
//! expect-output: at tests/src/bin/panic_exits_nonzero.rs:
//! expect-output: rtk: calling the safe-state hook
//! expect-output: safe state: outputs off

#![no_std]
#![no_main]

kernel::entry!(main);

fn main() {
    kernel::safe_end::set_safe_state_hook(|| {
        kernel::console::emergency_print(format_args!("safe state: outputs off\n"))
    });
    let n = core::hint::black_box(42);
    panic!("deliberate panic {n}");
}
