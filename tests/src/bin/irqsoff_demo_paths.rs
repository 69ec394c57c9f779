//! The IRQs-off windows of paths the demo takes and the benchmarks do not,
//! with the demo's programs, priorities, grants and periods (as in
//! `cargo xtask run`), in two runs:
//!
//! 1. the private timer's interrupt waking a periodic task (a hard
//!    isolated process, hard and soft kernel-bound tasks) that outranks
//!    the running one while two soft processes keep the CPU busy in user
//!    mode: every window that an IRQ's trap opens, and the IRQ tail's
//!    second one, must stay within [`BOUND`];
//! 2. the cooperating processes: a hard control loop calling a user-space
//!    driver's soft server, the general IPC path's `call` with a handle
//!    moved (the driver gives the logger its ring) and a plain `reply`
//!    (the driver's last answer): every window the IPC code opens must
//!    stay within [`BOUND`]. (The driver's own interrupt, its line
//!    signalling a notification whose waiter is switched to at once, is
//!    printed but not bounded: see "IRQs-off profiler" in the README.)
//!
//! [`BOUND`] is the budget of "IRQs-off profiler" in the README, profiler
//! included.
//!
//! expect-output: check the periodic tasks and the workers ended well ... ok
//! expect-output: check the IRQ windows beside periodic tasks are within the bound ... ok
//! expect-output: check the driver handled every interrupt of its line ... ok
//! expect-output: check the IPC windows of the cooperating processes are within the bound ... ok

#![no_std]
#![no_main]

extern crate alloc;

use kernel::demo::{Cooperating, start_cooperating};
use kernel::irqsoff::{self, Record, Site};
use kernel::object::irqline;
use kernel::process::{self, Class, Spec};
use kernel::thread::Periodic;
use kernel::{println, time};
use ktests::{check, finish, program};

kernel::entry!(main);

/// The IRQs-off budget, in instructions.
const BOUND: u64 = 500;
/// The driver's sample rate and the control loop's releases (2 ms apart),
/// as in the demo.
const CONTROL_RELEASES: u32 = 125;
/// How long the demo's periodic tasks and workers run, in ms.
const RUN_MS: u32 = 200;

fn spec(name: &'static str, class: Class, priority: u8, arg: u32) -> Spec<'static> {
    Spec {
        priority,
        arg,
        ..ktests::spec(name, class, arg)
    }
}

/// The demo's kernel-bound periodic job: every `period_ms`, fill 64 KiB.
fn kernel_job(mem: &'static mut [u8], period_ms: u64) {
    let end = time::now() + (RUN_MS as u64 + 100) * 1_000_000;
    let mut p = Periodic::new(period_ms * 1_000_000);
    let mut n = 0u8;
    while p.next_release() < end {
        p.wait();
        mem[..64 * 1024].fill(n);
        n = n.wrapping_add(1);
    }
}

/// Prints a run's longest windows per site; returns the longest of those
/// `counted` picks.
fn longest(what: &str, r: &Record, counted: impl Fn(Site, Site) -> bool) -> u64 {
    println!("{what}: {} windows; the longest per site:", r.count);
    let mut longest = 0;
    for w in r.worst.iter().flatten() {
        let counts = counted(w.start, w.end);
        println!(
            "  {:5}  {} -> {}{}",
            w.insns(),
            w.start,
            w.end,
            if counts { "" } else { " (not bounded here)" }
        );
        if counts {
            longest = longest.max(w.insns());
        }
    }
    longest
}

fn in_file(s: Site, path: &str) -> bool {
    matches!(s, Site::Code(l) if l.file().ends_with(path))
}

/// Run 1: the periodic tasks and the two workers.
fn periodic_run() {
    irqsoff::reset();
    let mut pids = alloc::vec::Vec::new();
    pids.push(
        process::spawn_process(
            &spec("hard-periodic", Class::HardIsolated, 3, RUN_MS / 2 + 50),
            program("hard_periodic"),
        )
        .expect("hard isolated task admitted"),
    );
    for name in ["soft-mapper", "soft-mapper-2"] {
        let s = Spec {
            budget: 1 << 20,
            ..spec(name, Class::SoftIsolated, 20, RUN_MS + 100)
        };
        pids.push(process::spawn_process(&s, program("worker")).expect("worker"));
    }
    let hard_k = Spec {
        budget: 1 << 20,
        ..spec("hard-kernel", Class::HardKernel, 4, 0)
    };
    pids.push(
        process::spawn_kernel_task(&hard_k, |m| kernel_job(m, 3)).expect("hard kernel-bound task"),
    );
    let soft_k = Spec {
        budget: 64 << 10,
        ..spec("soft-kernel", Class::SoftKernel, 8, 0)
    };
    pids.push(
        process::spawn_kernel_task(&soft_k, |m| kernel_job(m, 4)).expect("soft kernel-bound task"),
    );
    let ok = pids.iter().all(|&pid| process::wait(pid) == Ok(0));
    let r = irqsoff::record();
    // The IRQ's trap windows, and the second window of an IRQ's tail.
    let irq = longest("periodic tasks", &r, |start, _| {
        start == Site::TrapEntry(arch::trap::TrapKind::Irq) || in_file(start, "thread/sched.rs")
    });
    check("the periodic tasks and the workers ended well", ok);
    check(
        "the IRQ windows beside periodic tasks are within the bound",
        r.count > 0 && irq <= BOUND,
    );
}

/// Run 2: the driver, the control loop and the logger.
fn cooperating_run() {
    irqsoff::reset();
    let Cooperating {
        control,
        driver,
        logger,
        irq,
    } = start_cooperating(CONTROL_RELEASES);
    let control_code = process::wait(control);
    let logger_code = process::wait(logger);
    let handled = process::wait(driver);
    let r = irqsoff::record();
    let delivered = irqline::delivered(irq);
    println!(
        "control {control_code:?}, logger {logger_code:?}, driver {handled:?} ({delivered} delivered)"
    );
    let ipc = longest("cooperating processes", &r, |start, _| {
        in_file(start, "ipc/endpoint.rs")
    });
    check(
        "the driver handled every interrupt of its line",
        control_code == Ok(0)
            && logger_code == Ok(0)
            && handled == Ok(delivered as i32)
            && delivered >= CONTROL_RELEASES,
    );
    check(
        "the IPC windows of the cooperating processes are within the bound",
        ipc > 0 && ipc <= BOUND,
    );
}

fn main() {
    periodic_run();
    cooperating_run();
    finish()
}
