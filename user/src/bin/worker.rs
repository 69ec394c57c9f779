//! A soft isolated task for the demo: for `arg` milliseconds it maps a
//! buffer, fills it, checks it, unmaps it and sleeps a little; then reports.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE, println};

user::main!(main);

const LEN: u32 = 32 * 1024;

fn main(ms: u32) -> i32 {
    let end = user::now() + ms as u64 * 1_000_000;
    let mut rounds = 0u32;
    while user::now() < end {
        let Ok(p) = user::mmap(LEN, PROT_READ | PROT_WRITE) else {
            return 1;
        };
        let words = (LEN / 4) as usize;
        // SAFETY: p..p+LEN was just mapped read/write for us.
        let buf = unsafe { core::slice::from_raw_parts_mut(p as *mut u32, words) };
        for (i, w) in buf.iter_mut().enumerate() {
            *w = i as u32 ^ rounds;
        }
        if buf.iter().enumerate().any(|(i, &w)| w != i as u32 ^ rounds) {
            return 2;
        }
        if user::munmap(p, LEN).is_err() {
            return 3;
        }
        rounds += 1;
        user::sleep_until(user::now() + 1_000_000);
    }
    println!("worker: {rounds} rounds of map, fill, check, unmap in {ms} ms");
    0
}
