//! Benchmark program (`cargo xtask bench`, `irq_to_user`): a user-space
//! driver of the SP804 (device 1, its IRQ line is handle 0) measures how long
//! its interrupt takes to reach it: 1000 times, it starts a one-shot of
//! [`TICKS`] timer ticks, reading the counter (device 0, the global timer)
//! just before the write that starts it, blocks in `wait` on the
//! notification the line is bound to, and reads the counter again on its
//! first instruction after `wait` returns; then clears the timer and acks
//! the line. The kernel subtracts the one-shot's length (in the mailbox's
//! period word, ns) from each pair: what is left runs from the expiry to
//! the driver's first instruction (the GIC, the kernel's IRQ entry, masking
//! the line, the signal, the switch to the driver's process, the return
//! from `wait`).
//!
//! The SP804 is written directly (Load 0x00, Control 0x08, IntClr 0x0C), so
//! that the counter read sits right before the Control write.

#![no_std]
#![no_main]

use user::bench::Bench;
use user::{Handle, irq_ack, irq_bind, notify_create, notify_wait};

user::main!(main);

/// Samples.
const ROUNDS: usize = 1000;
/// One-shot length in SP804 ticks (1 MHz): 50 µs.
const TICKS: u32 = 50;
/// SP804 Control: enabled, one-shot, 32-bit, interrupt on, no prescaler.
const ONE_SHOT: u32 = 0x80 | 0x20 | 0x02 | 0x01;

fn main(start_us: u32) -> i32 {
    let (b, empty) = match Bench::start(start_us) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let Ok(sp) = user::map_device(1) else {
        return 3;
    };
    let line = Handle::granted(0);
    let Ok(n) = notify_create() else {
        return 4;
    };
    if irq_bind(line, n, 1).is_err() {
        return 5;
    }
    // SAFETY: sp maps the SP804's registers (timer 1 at +0x00); only this
    // program drives it.
    let reg = |off: usize, v: u32| unsafe { sp.add(off / 4).write_volatile(v) };
    for k in 0..ROUNDS {
        reg(0x08, 0);
        reg(0x0C, 1);
        reg(0x00, TICKS);
        let before = b.now();
        reg(0x08, ONE_SHOT);
        if notify_wait(n) != Ok(1) {
            return 6;
        }
        let after = b.now();
        b.record(2 * k, before);
        b.record(2 * k + 1, after);
        reg(0x0C, 1);
        if irq_ack(line).is_err() {
            return 7;
        }
    }
    reg(0x08, 0);
    b.finish(2 * ROUNDS, empty, TICKS * 1000);
    0
}
