//! Benchmark program (`cargo xtask bench`, `process_create_exit_64k` and
//! `process_create_exit_64k_shared`): `bench_exit` with 64 KiB of
//! read-only data (a table, as a control program's coefficients or lookup
//! tables would be), so that loading its image is a realistic share of a
//! process's creation. Exits with code 0; with `arg` 1 it first waits on
//! its granted notification 0 (the instance that keeps the image loaded).

#![no_std]
#![no_main]

user::main!(main);

/// Words in the table: 64 KiB.
const WORDS: usize = 16 * 1024;

/// Non-zero (so in the image's read-only data, not in `.bss`).
const fn table() -> [u32; WORDS] {
    let mut t = [0; WORDS];
    let mut i = 0;
    while i < WORDS {
        t[i] = (i as u32).wrapping_mul(2_654_435_761) | 1;
        i += 1;
    }
    t
}

static TABLE: [u32; WORDS] = table();

fn main(arg: u32) -> i32 {
    if arg == 1 {
        let _ = user::notify_wait(user::Handle::granted(0));
    }
    // One read, so the table is linked in; every entry is odd.
    let word = core::hint::black_box(&TABLE)[arg as usize % WORDS];
    i32::from(word & 1 == 0)
}
