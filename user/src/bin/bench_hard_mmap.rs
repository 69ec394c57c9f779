//! Benchmark program (`cargo xtask bench`, `hard_mmap_section`): times a
//! hard isolated task's `mmap` of one section from user mode, the whole
//! system call, 1000 times.
//!
//! Each sample is the global timer's counter difference between a read just
//! before `mmap` and one just after it returns (see `user::bench`); each is
//! followed by an untimed `munmap`, which gives the section back to the
//! task's reserve and zeroes it there, so every timed `mmap` takes an
//! already-zeroed section. The program's budget is two sections: the
//! mailbox's and the measured one. It sleeps until the absolute time `arg`
//! (µs since boot) before it measures; the exit code is 0, or the step that
//! failed (1 clock, 2 mailbox, 3 mmap, 4 munmap).

#![no_std]
#![no_main]

use user::bench::Bench;
use user::{PROT_READ, PROT_WRITE};

user::main!(main);

/// Timed calls.
const SAMPLES: usize = 1000;
/// Untimed calls first.
const WARMUP: usize = 4;
const SECTION: u32 = 1 << 20;

fn main(start_us: u32) -> i32 {
    let (b, empty) = match Bench::start(start_us) {
        Ok(v) => v,
        Err(code) => return code,
    };
    for k in 0..WARMUP + SAMPLES {
        let t0 = b.now();
        let r = user::mmap(SECTION, PROT_READ | PROT_WRITE);
        let t1 = b.now();
        let Ok(p) = r else { return 3 };
        if let Some(i) = k.checked_sub(WARMUP) {
            b.record(i, t1.wrapping_sub(t0));
        }
        if user::munmap(p, SECTION).is_err() {
            return 4;
        }
    }
    b.finish(SAMPLES, empty, 0);
    0
}
