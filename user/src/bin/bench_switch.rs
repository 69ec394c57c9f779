//! Benchmark program (`cargo xtask bench`, `process_switch`): two copies of it,
//! in two soft isolated processes of one priority, yield to each other 1000
//! times each.
//!
//! Each copy reads the Cortex-A9 global timer itself (device 0, mapped with
//! `map_device`) just before its inlined `YIELD` system call and just after
//! it returns, and stores the pair (before, after) of every round in its
//! mailbox (the protocol is in `user/src/bench.rs`). The kernel pairs one
//! copy's "before" with the other's next "after": one sample is one switch
//! from a process to the other, TTBR0 and ASID change included. Both copies
//! start at the absolute time `arg` (µs since boot), so that they alternate
//! from their first round.

#![no_std]
#![no_main]

use user::abi;
use user::bench::Bench;

user::main!(main);

/// Rounds (yields) per copy.
const ROUNDS: usize = 1000;

fn main(start_us: u32) -> i32 {
    let (b, empty) = match Bench::start(start_us) {
        Ok(v) => v,
        Err(code) => return code,
    };
    for k in 0..ROUNDS {
        let before = b.now();
        user::syscall(abi::YIELD, [0; 4]);
        let after = b.now();
        b.record(2 * k, before);
        b.record(2 * k + 1, after);
    }
    b.finish(2 * ROUNDS, empty, 0);
    0
}
