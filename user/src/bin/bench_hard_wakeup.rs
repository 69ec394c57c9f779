//! Benchmark program (`cargo xtask bench`, `wakeup_latency_*_isolated_*`): a
//! periodic task, 1000 releases 1 ms apart at absolute times, that records
//! when each wake-up reaches user mode.
//!
//! The same image runs as a hard and as a soft isolated task, so only the
//! class differs; it is laid out in 1 MiB sections (`bench_hard_*` programs
//! link with `hard.ld`), as a hard task needs. Release `k` (from 1) is at
//! `arg` µs + `k` ms since boot; the task sleeps until it with `SLEEP_UNTIL`
//! and, first thing when the call returns, reads the Cortex-A9 global
//! timer's counter (device 0, mapped with `map_device`). It stores those
//! low words in its mailbox (protocol in `user/src/bench.rs`, with the period
//! in word 3); the kernel turns them into lateness past each release.

#![no_std]
#![no_main]

use user::bench::Bench;

user::main!(main);

/// Releases.
const RELEASES: usize = 1000;
/// Period in ns.
const PERIOD_NS: u64 = 1_000_000;

fn main(start_us: u32) -> i32 {
    let b = match Bench::new() {
        Ok(b) => b,
        Err(code) => return code,
    };
    let empty = b.empty();
    let mut release = u64::from(start_us) * 1000;
    for k in 0..RELEASES {
        release += PERIOD_NS;
        user::sleep_until(release);
        b.record(k, b.now());
    }
    b.finish(RELEASES, empty, PERIOD_NS as u32);
    0
}
