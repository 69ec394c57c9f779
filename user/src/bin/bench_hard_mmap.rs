//! Benchmark program (`cargo xtask bench`, `hard_mmap_section`): times a hard
//! isolated task's `mmap` of one 1 MiB section from user mode, the whole
//! call, 1000 times (each mapping is unmapped again, untimed).
//!
//! Runs as a hard isolated task with a budget of two sections (its mailbox
//! and the one it maps), so it is linked in sections (`bench_hard_*`
//! programs link with `hard.ld`). A sample is the global-timer difference
//! (device 0, one load per read) between a read just before the inlined
//! `svc` sequence and one just after it returns, in ticks; the mailbox also
//! holds what two back-to-back reads differ by. It sleeps until the absolute
//! time `arg` (µs since boot) before measuring, so the kernel can keep the
//! mailbox past its exit. Exit code 0, or the step that failed (3: `mmap`,
//! 4: `munmap`).

#![no_std]
#![no_main]

use user::bench::Bench;
use user::{PROT_READ, PROT_WRITE};

user::main!(main);

/// Timed calls.
const SAMPLES: usize = 1000;
/// One section.
const LEN: u32 = 1 << 20;

fn main(start_us: u32) -> i32 {
    let b = match Bench::new() {
        Ok(b) => b,
        Err(code) => return code,
    };
    let empty = b.empty();
    user::sleep_until(u64::from(start_us) * 1000);
    for k in 0..SAMPLES {
        let t0 = b.now();
        let r = user::mmap(LEN, PROT_READ | PROT_WRITE);
        let t1 = b.now();
        let Ok(p) = r else { return 3 };
        b.record(k, t1.wrapping_sub(t0));
        if user::munmap(p, LEN).is_err() {
            return 4;
        }
    }
    b.finish(SAMPLES, empty, 0);
    0
}
