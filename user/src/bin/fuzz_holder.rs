//! The bystander of the fuzz test: maps a flag page and then [`DATA_LEN`]
//! bytes it fills with a pattern made from `arg`, sleeps in 1 ms steps
//! until its spawner sets the flag's first word, then checks the pattern.
//! Exit code 0 when its memory kept the pattern, 1 if it changed, 2 if an
//! mmap failed.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE};

user::main!(main);

/// Bytes of patterned memory (after the flag page).
const DATA_LEN: u32 = 64 * 1024;

fn pattern(arg: u32, i: usize) -> u32 {
    arg ^ (i as u32).wrapping_mul(0x9E37_79B9)
}

fn main(arg: u32) -> i32 {
    let rw = PROT_READ | PROT_WRITE;
    let (Ok(flag), Ok(data)) = (user::mmap(4096, rw), user::mmap(DATA_LEN, rw)) else {
        return 2;
    };
    let words = (DATA_LEN / 4) as usize;
    // SAFETY: data..data+DATA_LEN was just mapped read/write for us.
    let data = unsafe { core::slice::from_raw_parts_mut(data as *mut u32, words) };
    for (i, w) in data.iter_mut().enumerate() {
        *w = pattern(arg, i);
    }
    // SAFETY: the flag page is mapped read/write for us until we exit.
    while unsafe { (flag as *const u32).read_volatile() } == 0 {
        user::sleep_until(user::now() + 1_000_000);
    }
    let kept = data.iter().enumerate().all(|(i, &w)| w == pattern(arg, i));
    if kept { 0 } else { 1 }
}
