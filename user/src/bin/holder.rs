//! Keeps one mmap'd page mapped for a while: maps 4 KiB, writes `arg` in
//! every word, then for about 20 ms reads it back every 100 us (so the
//! mapping stays mapped and in use while other processes run), and unmaps.
//! Exit code 0 when its page kept its value, 1 if it changed, 2 if mmap
//! failed.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE};

user::main!(main);

const LEN: u32 = 4096;

fn main(arg: u32) -> i32 {
    let Ok(p) = user::mmap(LEN, PROT_READ | PROT_WRITE) else {
        return 2;
    };
    let words = (LEN / 4) as usize;
    // SAFETY: p..p+LEN was just mapped read/write for us.
    let page = unsafe { core::slice::from_raw_parts_mut(p as *mut u32, words) };
    for w in page.iter_mut() {
        *w = arg;
    }
    user::println!("holder: {arg:#x} in the page at {p:p}");
    let mut kept = true;
    for _ in 0..200 {
        user::sleep_until(user::now() + 100_000);
        // SAFETY: still mapped: we unmap it only below.
        kept &= unsafe { (p as *const u32).read_volatile() } == arg;
    }
    kept &= page.iter().all(|&w| w == arg);
    if user::munmap(p, LEN).is_err() {
        return 3;
    }
    if kept { 0 } else { 1 }
}
