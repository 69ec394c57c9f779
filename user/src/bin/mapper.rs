//! A soft isolated task that maps, touches and unmaps memory in a loop: `arg`
//! rounds (0 means forever) of 64 KiB.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE, println};

user::main!(main);

const LEN: u32 = 64 * 1024;

fn main(rounds: u32) -> i32 {
    let mut n = 0u32;
    while rounds == 0 || n < rounds {
        let Ok(p) = user::mmap(LEN, PROT_READ | PROT_WRITE) else {
            println!("mapper: mmap failed");
            return 1;
        };
        for page in 0..LEN / 4096 {
            // SAFETY: p..p+LEN was just mapped read/write for us.
            unsafe {
                let w = p.add((page * 4096) as usize) as *mut u32;
                if w.read_volatile() != 0 {
                    println!("mapper: fresh memory was not zeroed");
                    return 2;
                }
                w.write_volatile(page ^ n);
            }
        }
        if user::munmap(p, LEN).is_err() {
            return 3;
        }
        n += 1;
        user::yield_now();
    }
    println!("mapper: {n} rounds of map, touch, unmap");
    0
}
