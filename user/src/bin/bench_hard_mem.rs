//! Benchmark program (`cargo xtask bench`, `mem_map_section`): times a hard
//! isolated process's `mem_map` of a shared 1 MiB object (grant 0), the
//! whole system call from user mode, 1000 times.
//!
//! The object was mapped at admission, charged to the process's reserved
//! budget; each sample is preceded by an untimed `mem_unmap`, which takes
//! the section out of the table but keeps its range and record, so every
//! timed `mem_map` writes one L1 entry and allocates nothing. It sleeps
//! until the absolute time `arg` (µs since boot) before it measures; the
//! exit code is 0, or the step that failed (1 clock, 2 mailbox, 3 the first
//! mem_map, 4 mem_unmap, 5 mem_map, 6 a different address).

#![no_std]
#![no_main]

use user::bench::Bench;
use user::{Handle, PROT_READ, PROT_WRITE};

user::main!(main);

/// Timed calls.
const SAMPLES: usize = 1000;
/// Untimed calls first.
const WARMUP: usize = 4;

fn main(start_us: u32) -> i32 {
    let (b, empty) = match Bench::start(start_us) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let object = Handle::granted(0);
    let Ok(at) = user::mem_map(object, PROT_READ | PROT_WRITE) else {
        return 3;
    };
    for k in 0..WARMUP + SAMPLES {
        if user::mem_unmap(at).is_err() {
            return 4;
        }
        let t0 = b.now();
        let r = user::mem_map(object, PROT_READ | PROT_WRITE);
        let t1 = b.now();
        match r {
            Ok(p) if p == at => {}
            Ok(_) => return 6,
            Err(_) => return 5,
        }
        if let Some(i) = k.checked_sub(WARMUP) {
            b.record(i, t1.wrapping_sub(t0));
        }
    }
    b.finish(SAMPLES, empty, 0);
    0
}
