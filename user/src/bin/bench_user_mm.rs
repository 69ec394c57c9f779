//! Benchmark program (`cargo xtask bench`, `user_mmap_touch_munmap_4k` and
//! `user_mprotect`): what a soft isolated task pays for its own memory
//! calls, timed from user mode.
//!
//! Data words `[0, SAMPLES)`: one sample is `mmap` of 4 KiB (read/write),
//! a store of one word into the new page and `munmap` of it, from the
//! counter read just before `mmap` to the one just after `munmap` returns.
//! Words `[SAMPLES, 2 * SAMPLES)`: one sample is one `mprotect` of a single
//! mapped page, alternately read-only and read/write (the page is written
//! after each read/write one, untimed, to show the rights hold). Both are
//! counter differences in ticks (see `user::bench`); the kernel takes off
//! what two back-to-back reads differ by. The program sleeps until the
//! absolute time `arg` (µs since boot) before it measures; the exit code is
//! 0, or the step that failed (1 clock, 2 mailbox, 3 mmap, 4 munmap,
//! 5 mprotect).

#![no_std]
#![no_main]

use user::bench::Bench;
use user::{PROT_READ, PROT_WRITE};

user::main!(main);

/// Timed calls of each kind.
const SAMPLES: usize = 1000;
/// Untimed rounds first.
const WARMUP: usize = 4;
const PAGE: u32 = 4096;

fn main(start_us: u32) -> i32 {
    let (b, empty) = match Bench::start(start_us) {
        Ok(v) => v,
        Err(code) => return code,
    };
    for k in 0..WARMUP + SAMPLES {
        let t0 = b.now();
        let Ok(p) = user::mmap(PAGE, PROT_READ | PROT_WRITE) else {
            return 3;
        };
        // SAFETY: p is a fresh read/write page of ours.
        unsafe { p.cast::<u32>().write_volatile(k as u32) };
        let r = user::munmap(p, PAGE);
        let t1 = b.now();
        if r.is_err() {
            return 4;
        }
        if let Some(i) = k.checked_sub(WARMUP) {
            b.record(i, t1.wrapping_sub(t0));
        }
    }
    let Ok(p) = user::mmap(PAGE, PROT_READ | PROT_WRITE) else {
        return 3;
    };
    for k in 0..WARMUP + SAMPLES {
        let prot = if k % 2 == 0 {
            PROT_READ
        } else {
            PROT_READ | PROT_WRITE
        };
        let t0 = b.now();
        let r = user::mprotect(p, PAGE, prot);
        let t1 = b.now();
        if r.is_err() {
            return 5;
        }
        if prot & PROT_WRITE != 0 {
            // SAFETY: the page is ours and read/write again.
            unsafe { p.cast::<u32>().write_volatile(k as u32) };
        }
        if let Some(i) = k.checked_sub(WARMUP) {
            b.record(SAMPLES + i, t1.wrapping_sub(t0));
        }
    }
    b.finish(2 * SAMPLES, empty, 0);
    0
}
