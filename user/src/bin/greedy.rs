//! A soft isolated task that takes all the memory it can: it maps chunks of
//! anonymous memory, halving the chunk after each refusal down to one page,
//! until even a page is refused (`NoMem`). Then it holds what it got until
//! the clock reads `arg` milliseconds, and exits with the pages it held.
//! Started with a big budget, it drains the kernel's free frames.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE, println};

user::main!(main);

const FIRST_CHUNK: u32 = 64 << 20;

fn main(until_ms: u32) -> i32 {
    let mut chunk = FIRST_CHUNK;
    let mut pages = 0u32;
    loop {
        match user::mmap(chunk, PROT_READ | PROT_WRITE) {
            Ok(p) => {
                pages += chunk / 4096;
                // SAFETY: p..p+chunk was just mapped read/write for us.
                unsafe {
                    p.add(chunk as usize - 4)
                        .cast::<u32>()
                        .write_volatile(pages)
                };
            }
            Err(user::Errno::NoMem) if chunk > 4096 => chunk /= 2,
            Err(user::Errno::NoMem) => break,
            Err(_) => return -1,
        }
    }
    println!("greedy: {pages} pages, then NoMem");
    user::sleep_until(until_ms as u64 * 1_000_000);
    pages as i32
}
