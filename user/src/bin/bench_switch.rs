//! Benchmark program (`cargo xtask bench`, `process_switch`): two copies of it,
//! in two soft isolated processes of one priority, yield to each other 1000
//! times each.
//!
//! Each copy reads the Cortex-A9 global timer itself (device 0, mapped with
//! `map_device`) just before its inlined `YIELD` system call and just after
//! it returns, and stores the pair (before, after) of every round in its
//! mailbox (the protocol is in `bench_syscall.rs`). The kernel pairs one
//! copy's "before" with the other's next "after": one sample is one switch
//! from a process to the other, TTBR0 and ASID change included. Both copies
//! start at the absolute time `arg` (µs since boot), so that they alternate
//! from their first round.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE, abi};

user::main!(main);

/// Rounds (yields) per copy.
const ROUNDS: usize = 1000;
/// Mailbox size and layout (see `bench_syscall.rs`).
const MAILBOX_LEN: u32 = 8192;
const MAGIC: u32 = u32::from_le_bytes(*b"BNCH");
const DATA: usize = 8;

fn main(start_us: u32) -> i32 {
    let Ok(timer) = user::map_device(0) else {
        return 1;
    };
    let Ok(mailbox) = user::mmap(MAILBOX_LEN, PROT_READ | PROT_WRITE) else {
        return 2;
    };
    let mailbox = mailbox.cast::<u32>();
    // SAFETY: `timer` maps the global timer's registers; offset 0 is the
    // counter's low word, a side-effect-free read.
    let now = || unsafe { timer.read_volatile() };
    let empty = (0..16)
        .map(|_| {
            let a = now();
            let b = now();
            b.wrapping_sub(a)
        })
        .min()
        .unwrap_or(0);
    user::sleep_until(u64::from(start_us) * 1000);
    for k in 0..ROUNDS {
        let before = now();
        user::syscall(abi::YIELD, [0; 4]);
        let after = now();
        // SAFETY: DATA + 2 * ROUNDS words fit in the mailbox.
        unsafe {
            mailbox.add(DATA + 2 * k).write_volatile(before);
            mailbox.add(DATA + 2 * k + 1).write_volatile(after);
        }
    }
    for (i, v) in [MAGIC, 2 * ROUNDS as u32, empty, 0].into_iter().enumerate() {
        // SAFETY: the header's first words, inside the mailbox.
        unsafe { mailbox.add(i).write_volatile(v) };
    }
    0
}
