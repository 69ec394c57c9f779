//! Benchmark program (`cargo xtask bench`, `null_syscall`): times the cheapest
//! system call, `GET_ID`, from user mode, 1000 times.
//!
//! It reads the clock itself: the Cortex-A9 global timer, granted as device 0
//! and mapped with `map_device`, whose counter's low word is one load away. A
//! sample is the counter difference between a read just before the inlined
//! `svc` sequence (argument registers, `r7`, `svc #0`) and one just after it
//! returns, in timer ticks; the mailbox also holds what two back-to-back reads
//! differ by, for the kernel to subtract.
//!
//! Samples go to the mailbox of `user::bench`. The program sleeps until the
//! absolute time `arg` (µs since boot) before it measures, which gives the
//! kernel time to keep the mailbox past the program's exit; the exit code is
//! 0, or the step that failed.

#![no_std]
#![no_main]

use user::abi;
use user::bench::Bench;

user::main!(main);

/// Timed calls.
const SAMPLES: usize = 1000;
/// Untimed calls first (nothing is cold under QEMU, but it costs nothing).
const WARMUP: usize = 16;

fn main(start_us: u32) -> i32 {
    let (b, empty) = match Bench::start(start_us) {
        Ok(v) => v,
        Err(code) => return code,
    };
    for k in 0..WARMUP + SAMPLES {
        let t0 = b.now();
        user::syscall(abi::GET_ID, [0; 4]);
        let t1 = b.now();
        if let Some(i) = k.checked_sub(WARMUP) {
            b.record(i, t1.wrapping_sub(t0));
        }
    }
    b.finish(SAMPLES, empty, 0);
    0
}
