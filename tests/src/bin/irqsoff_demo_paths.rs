//! The IRQs-off windows of the paths the demo's cooperating processes take
//! and the benchmarks do not: a user-space driver's timer interrupt (its
//! line signals a notification, whose waiter is switched to), a hard
//! client's calls to the driver's soft server, the general IPC path's
//! `call` with a handle moved (the driver gives the logger its ring) and a
//! plain `reply` (the driver's last answer to the control loop). The three
//! processes run as in `cargo xtask run` (same programs, priorities,
//! grants), and every window of the run must stay within [`BOUND`]
//! instructions, profiler included: the budget of "IRQs-off profiler" in
//! the README.
//!
//! expect-output: check the driver handled every interrupt of its line ... ok
//! expect-output: check every IRQs-off window of the cooperating processes is within the bound ... ok

#![no_std]
#![no_main]

use kernel::handle::Rights;
use kernel::object::{Object, irqline};
use kernel::process::{self, Class, Device, Grant, Spec};
use kernel::{BOARD, irqsoff, println};
use ktests::{check, finish, program};

kernel::entry!(main);

/// The IRQs-off budget, in instructions.
const BOUND: u64 = 500;
/// The driver's sample rate and the control loop's releases (2 ms apart),
/// as in the demo.
const SAMPLE_HZ: u32 = 1000;
const CONTROL_RELEASES: u32 = 125;

fn spec(name: &'static str, class: Class, priority: u8, arg: u32) -> Spec<'static> {
    Spec {
        priority,
        arg,
        ..ktests::spec(name, class, arg)
    }
}

fn main() {
    let sensor = Object::new_endpoint().expect("an endpoint");
    let log = Object::new_endpoint().expect("an endpoint");
    let alarm = Object::new_notification().expect("a notification");
    let grant = |object, rights| Grant { object, rights };
    let timer = BOARD.user_timer().expect("every board has a timer to give");
    let line = Object::new_irq(timer.irq).expect("the timer's line is free");
    let devices = [Device {
        phys: timer.base,
        len: timer.len,
    }];
    irqsoff::reset();
    let logger = process::spawn_process(
        &Spec {
            handles: &[grant(&log, Rights::RECEIVE), grant(&alarm, Rights::WAIT)],
            ..spec("logger", Class::SoftIsolated, 12, 0)
        },
        program("demo_logger"),
    )
    .expect("logger");
    let driver = process::spawn_process(
        &Spec {
            handles: &[
                grant(&sensor, Rights::RECEIVE),
                grant(&alarm, Rights::SIGNAL),
                grant(&line, Rights::ACK),
                grant(&log, Rights::SEND),
            ],
            devices: &devices,
            ..spec(
                "driver",
                Class::SoftIsolated,
                6,
                timer.driver_arg(SAMPLE_HZ),
            )
        },
        program("demo_driver"),
    )
    .expect("driver");
    let control = process::spawn_process(
        &Spec {
            handles: &[grant(&sensor, Rights::SEND), grant(&log, Rights::SEND)],
            ..spec("control", Class::HardIsolated, 3, CONTROL_RELEASES)
        },
        program("hard_demo_control"),
    )
    .expect("control loop admitted");
    let control_code = process::wait(control);
    let logger_code = process::wait(logger);
    let handled = process::wait(driver);
    let r = irqsoff::record();
    let delivered = irqline::delivered(timer.irq);
    println!(
        "control {control_code:?}, logger {logger_code:?}, driver {handled:?} ({delivered} delivered)"
    );
    println!("{} windows; the longest per site:", r.count);
    let mut longest = 0;
    for w in r.worst.iter().flatten() {
        println!("  {:5}  {} -> {}", w.insns(), w.start, w.end);
        longest = longest.max(w.insns());
    }
    check(
        "the driver handled every interrupt of its line",
        control_code == Ok(0)
            && logger_code == Ok(0)
            && handled == Ok(delivered as i32)
            && delivered >= CONTROL_RELEASES,
    );
    check(
        "every IRQs-off window of the cooperating processes is within the bound",
        r.count > 0 && longest <= BOUND,
    );
    finish()
}
