//! Benchmark program (`cargo xtask bench`,
//! `wakeup_latency_hard_isolated_crash`): a soft isolated task that maps
//! `arg` KiB in one `mmap`, writes a word in every page, then reads NULL and
//! is killed for it. The image starts a new one each time one dies, beside a
//! hard periodic task whose wake-ups it measures. Exit code 1 if the `mmap`
//! failed, 99 if the fault did not happen.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE};

user::main!(main);

fn main(kib: u32) -> i32 {
    let len = kib * 1024;
    let Ok(p) = user::mmap(len, PROT_READ | PROT_WRITE) else {
        return 1;
    };
    for page in 0..len / 4096 {
        // SAFETY: p..p+len was just mapped read/write for us.
        unsafe { (p.add((page * 4096) as usize) as *mut u32).write_volatile(page) };
    }
    // SAFETY: deliberately faulting: NULL is never mapped.
    unsafe { core::hint::black_box(core::ptr::null::<u32>()).read_volatile() };
    99
}
