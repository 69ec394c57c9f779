//! The rule that lets `kernel::mm` run under a sleeping lock: interrupt
//! handlers never call it. A handler that does is a kernel bug, named by a
//! panic at once (not a deadlock or a silent IRQs-masked section).
//! expect-exit: 101
//! expect-output: *** KERNEL PANIC: kernel bug: a sleeping lock (Mutex) taken in an interrupt handler

#![no_std]
#![no_main]

use drivers::gic::Trigger;
use kernel::irq;

kernel::entry!(main);

/// An SPI the boards leave unused (as in irq_semaphore).
const SOFT_IRQ: u32 = 90;

fn bad_handler(_irq: u32) {
    let _ = kernel::mm::stats();
}

fn main() {
    let _ = kernel::mm::stats(); // from a thread: fine
    irq::register(SOFT_IRQ, Trigger::Edge, bad_handler).unwrap();
    irq::trigger(SOFT_IRQ).unwrap();
    kernel::thread::sleep(1_000_000);
    kernel::println!("the handler's mm call was not refused");
}
