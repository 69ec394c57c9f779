//! An interrupt with no handler is logged and masked, not fatal: the kernel
//! keeps running and scheduling.
//! expect-output: irq: unexpected interrupt 85: no handler, masked

#![no_std]
#![no_main]

use kernel::{irq, thread};
use ktests::{check, finish};

kernel::entry!(main);

fn main() {
    let (_, unexpected_before) = irq::counters();
    irq::enable(85).unwrap();
    irq::trigger(85).unwrap();
    thread::sleep(1_000_000);
    let (_, unexpected) = irq::counters();
    check(
        "the unexpected interrupt was seen once",
        unexpected == unexpected_before + 1,
    );
    check("and masked at the distributor", !irq::is_enabled(85));
    irq::trigger(85).unwrap();
    thread::sleep(1_000_000);
    check(
        "a masked one is not delivered again",
        irq::counters().1 == unexpected,
    );
    check(
        "registering an ID beyond the GIC is an error",
        irq::register(4000, drivers::gic::Trigger::Edge, |_| {}).is_err(),
    );
    let t = thread::spawn("after", 10, || {}).unwrap();
    check("scheduling still works", thread::join(t).is_ok());
    finish()
}
