//! Benchmark program (`cargo xtask bench`, `notify_wake`): two copies, in two
//! soft isolated processes, share a notification (grant 0). The copy granted
//! it with WAIT (it can `poll` it) is the waiter, at the higher priority;
//! the other, granted SIGNAL only, signals 1000 times. Each signal switches
//! at once to the waiter, which records the counter on its first instruction
//! after `wait` returns and waits again, which switches back.
//!
//! The signaller stores the counter read just before each `signal`, the
//! waiter the read just after each `wait`; the kernel pairs them: one sample
//! is one wake-up across processes (the kernel's signal, the switch with its
//! TTBR0 and ASID change, the return from the waiter's `wait`).

#![no_std]
#![no_main]

use user::bench::Bench;
use user::{Handle, notify_poll, notify_signal, notify_wait};

user::main!(main);

/// Wake-ups measured.
const ROUNDS: usize = 1000;

fn main(start_us: u32) -> i32 {
    let (b, empty) = match Bench::start(start_us) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let h = Handle::granted(0);
    if notify_poll(h).is_ok() {
        for k in 0..ROUNDS {
            if notify_wait(h).is_err() {
                return 3;
            }
            let after = b.now();
            b.record(k, after);
        }
    } else {
        for k in 0..ROUNDS {
            let before = b.now();
            if notify_signal(h, 1).is_err() {
                return 4;
            }
            b.record(k, before);
        }
    }
    b.finish(ROUNDS, empty, 0);
    0
}
