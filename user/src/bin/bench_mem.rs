//! Benchmark program (`cargo xtask bench`, `cow_fault`, `mem_map_4k`):
//! memory objects from user mode.
//!
//! Data words `[0, SAMPLES)`: one sample is the first store to a page of
//! `.bss`, which the process shares copy-on-write with its image: the fault,
//! the kernel's copy of the page and the resumed store, from the counter
//! read just before the store to the one just after. `[SAMPLES, 2 *
//! SAMPLES)`: one `mem_map` of a 4 KiB shared-memory object (read/write),
//! removed again untimed. Exit code 0, or the step
//! that failed (1 clock, 2 mailbox, 3 mem_create, 4 mem_map, 5 mem_unmap).

#![no_std]
#![no_main]

use core::ptr::write_volatile;
use user::bench::Bench;
use user::{PROT_READ, PROT_WRITE};

user::main!(main);

/// Timed samples of each kind.
const SAMPLES: usize = 1000;
/// Untimed rounds first.
const WARMUP: usize = 4;
const PAGE_WORDS: usize = 1024;

/// One page per copy-on-write sample, in `.bss`.
static mut PAGES: [u32; (WARMUP + SAMPLES) * PAGE_WORDS] = [0; (WARMUP + SAMPLES) * PAGE_WORDS];

fn main(start_us: u32) -> i32 {
    let (b, empty) = match Bench::start(start_us) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let pages = &raw mut PAGES;
    for k in 0..WARMUP + SAMPLES {
        let t0 = b.now();
        // SAFETY: page k of our own .bss; one thread.
        unsafe { write_volatile(&mut (*pages)[k * PAGE_WORDS], k as u32 + 1) };
        let t1 = b.now();
        if let Some(i) = k.checked_sub(WARMUP) {
            b.record(i, t1.wrapping_sub(t0));
        }
    }
    for (n, len) in [(1, 4096u32)] {
        let Ok((h, _)) = user::mem_create(len, 0) else {
            return 3;
        };
        for k in 0..WARMUP + SAMPLES {
            let t0 = b.now();
            let r = user::mem_map(h, PROT_READ | PROT_WRITE);
            let t1 = b.now();
            let Ok(p) = r else {
                return 4;
            };
            if user::mem_unmap(p).is_err() {
                return 5;
            }
            if let Some(i) = k.checked_sub(WARMUP) {
                b.record(n * SAMPLES + i, t1.wrapping_sub(t0));
            }
        }
        let _ = user::handle_close(h);
    }
    b.finish(2 * SAMPLES, empty, 0);
    0
}
