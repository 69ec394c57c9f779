//! Benchmark program (`cargo xtask bench`, `null_syscall`): times the cheapest
//! system call, `GET_ID`, from user mode, 1000 times.
//!
//! It reads the clock itself: the Cortex-A9 global timer, granted as device 0
//! and mapped with `map_device`, whose counter's low word is one load away. A
//! sample is the counter difference between a read just before the inlined
//! `svc` sequence (argument registers, `r7`, `svc #0`) and one just after it
//! returns, in timer ticks; the mailbox also holds what two back-to-back reads
//! differ by, for the kernel to subtract.
//!
//! Mailbox protocol (shared by every `bench_*` program that reports samples;
//! the reader is `kernel/src/bin/bench.rs`): the program maps 8 KiB of
//! anonymous memory, its only `mmap`, and fills it with u32 words: `[0]`
//! magic `BNCH`, `[1]` number of data words, `[2]` the empty measurement in
//! ticks, `[3]` the period in ns (periodic programs, else 0), data from
//! `[8]`. It sleeps until the absolute time `arg` (µs since boot) before it
//! measures, which gives the kernel time to keep the mailbox past the
//! program's exit; the exit code is 0, or the step that failed.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE, abi};

user::main!(main);

/// Timed calls.
const SAMPLES: usize = 1000;
/// Untimed calls first (nothing is cold under QEMU, but it costs nothing).
const WARMUP: usize = 16;
/// Mailbox size and layout (see the module docs).
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
    for k in 0..WARMUP + SAMPLES {
        let t0 = now();
        user::syscall(abi::GET_ID, [0; 4]);
        let t1 = now();
        if let Some(i) = k.checked_sub(WARMUP) {
            // SAFETY: DATA + i < DATA + SAMPLES words, inside the mailbox.
            unsafe { mailbox.add(DATA + i).write_volatile(t1.wrapping_sub(t0)) };
        }
    }
    for (i, v) in [MAGIC, SAMPLES as u32, empty, 0].into_iter().enumerate() {
        // SAFETY: the header's first words, inside the mailbox.
        unsafe { mailbox.add(i).write_volatile(v) };
    }
    0
}
