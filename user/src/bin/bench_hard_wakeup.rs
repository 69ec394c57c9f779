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
//! low words in its mailbox (protocol in `bench_syscall.rs`, with the period
//! in word 3); the kernel turns them into lateness past each release.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE};

user::main!(main);

/// Releases.
const RELEASES: usize = 1000;
/// Period in ns.
const PERIOD_NS: u64 = 1_000_000;
/// Mailbox size and layout (see `bench_syscall.rs`).
const MAILBOX_LEN: u32 = 8192;
const MAGIC: u32 = u32::from_le_bytes(*b"BNCH");
const DATA: usize = 8;

fn main(start_us: u32) -> i32 {
    let Ok(timer) = user::map_device(0) else {
        return 1;
    };
    let Ok(mailbox) = user::mmap(MAILBOX_LEN, PROT_READ | PROT_WRITE) else {
        return 2;
    };
    let mailbox = mailbox.cast::<u32>();
    // SAFETY: `timer` maps the global timer's registers; offset 0 is the
    // counter's low word, a side-effect-free read.
    let now = || unsafe { timer.read_volatile() };
    let empty = (0..16)
        .map(|_| {
            let a = now();
            let b = now();
            b.wrapping_sub(a)
        })
        .min()
        .unwrap_or(0);
    let mut release = u64::from(start_us) * 1000;
    for k in 0..RELEASES {
        release += PERIOD_NS;
        user::sleep_until(release);
        let woke = now();
        // SAFETY: DATA + RELEASES words fit in the mailbox.
        unsafe { mailbox.add(DATA + k).write_volatile(woke) };
    }
    let header = [MAGIC, RELEASES as u32, empty, PERIOD_NS as u32];
    for (i, v) in header.into_iter().enumerate() {
        // SAFETY: the header's first words, inside the mailbox.
        unsafe { mailbox.add(i).write_volatile(v) };
    }
    0
}
