//! A hard isolated task that maps from its reserved budget: `arg` sections
//! succeed, the next is refused (budget exhausted), and unmapping gives the
//! section back to the budget, not to the kernel.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE, println};

user::main!(main);

fn main(budget_sections: u32) -> i32 {
    let mut got = [core::ptr::null_mut(); 8];
    for slot in got.iter_mut().take(budget_sections as usize) {
        match user::mmap(4096, PROT_READ | PROT_WRITE) {
            // SAFETY: p maps a whole fresh section for us.
            Ok(p) => unsafe {
                p.add(0xF_FFFC).cast::<u32>().write_volatile(0xABCD);
                *slot = p;
            },
            Err(_) => return 1,
        }
    }
    if user::mmap(4096, PROT_READ | PROT_WRITE) != Err(user::Errno::NoMem) {
        return 2;
    }
    if user::munmap(got[0], 1 << 20).is_err() {
        return 3;
    }
    if user::mmap(1, PROT_READ).is_err() {
        return 4;
    }
    println!("hard_mapper: {budget_sections} sections from the budget, then refused, then reused");
    0
}
