//! A user-space driver of the board's hardware timer (an SP804 or a Zynq
//! TTC), through an IRQ line bound to a notification.
//!
//! Grants: device 0 = the timer's registers (one 4 KiB page), handle 0 = the
//! timer's IRQ line (ACK), handle 1 = a client's notification (SIGNAL),
//! told of each tick (bit `count % 32` for the count-th, so that ticks the
//! client has not yet seen do not merge). `arg` as `user::timer` reads it
//! (period 1 ms); with bit 29 set it binds, starts the timer and then dies
//! of a fault without ever acking (the dead-owner test).
//!
//! Handles [`TICKS`] interrupts (wait, clear the device, ack), checks that a
//! line left unacked stays masked, and exits with the number it counted.

#![no_std]
#![no_main]

use user::timer::Timer;
use user::{Handle, irq_ack, irq_bind, notify_create, notify_poll, notify_signal, notify_wait};
use user::{now, println, sleep_until};

user::main!(main);

/// Interrupts to handle.
const TICKS: i32 = 20;
const MS: u64 = 1_000_000;

fn main(arg: u32) -> i32 {
    let (line, client) = (Handle::granted(0), Handle::granted(1));
    let Ok(regs) = user::map_device(0) else {
        println!("timer_driver: map_device refused");
        return -1;
    };
    // SAFETY: regs maps the timer's registers (granted page), and this
    // process is their only driver.
    let (timer, ticks) = unsafe { Timer::from_arg(regs, arg) };
    let Ok(events) = notify_create() else {
        return -2;
    };
    if irq_bind(line, events, 1 << 3).is_err() {
        println!("timer_driver: irq_bind refused");
        return -3;
    }
    if !timer.start(ticks) {
        return -4;
    }
    if arg & 2 << 28 != 0 {
        // Die with the line bound, unacked and the device interrupting.
        let _ = notify_wait(events);
        // SAFETY: deliberately a fault: the first 64 KiB are never mapped.
        unsafe { (0x10 as *const u32).read_volatile() };
    }
    let t0 = now();
    let mut count = 0;
    while count < TICKS {
        match notify_wait(events) {
            Ok(bits) if bits == 1 << 3 => {}
            other => {
                println!("timer_driver: wait gave {other:?}");
                return -5;
            }
        }
        count += 1;
        timer.clear();
        let _ = notify_signal(client, 1 << (count % 32));
        if count < TICKS && irq_ack(line).is_err() {
            return -6;
        }
    }
    let took = now() - t0;
    // Not acked: the line stays masked at the GIC however often the timer
    // fires meanwhile, so nothing is signalled.
    sleep_until(now() + 5 * MS);
    let quiet = notify_poll(events) == Ok(0);
    // The ack unmasks it: the next period's interrupt comes through.
    let _ = irq_ack(line);
    let again = notify_wait(events) == Ok(1 << 3);
    timer.stop();
    println!(
        "timer_driver: {count} interrupts in {} us; masked until acked: {quiet}; after ack: {again}",
        took / 1000
    );
    if !quiet || !again {
        return -7;
    }
    // One interrupt per period, not a storm: 20 of them take at least 19
    // periods, or about half that without -icount, where QEMU delivers
    // the periods a slow host missed in a burst.
    if took < (TICKS as u64 / 2) * MS {
        return -8;
    }
    count
}
