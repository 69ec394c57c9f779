//! A soft isolated process that touches NULL, writes its own text, executes
//! its stack or runs an undefined instruction is killed with a report; the
//! rest keep running, and the free page count returns to its value from
//! before the process was created.
//! expect-output: killed: data abort at pc
//! expect-output: address 0x00000000: translation fault, page, read
//! expect-output: permission fault, page, write
//! expect-output: killed: prefetch abort
//! expect-output: killed: undefined instruction

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use kernel::process::{self, Class, KILLED};
use kernel::thread;
use ktests::{check, finish, program, spec};

kernel::entry!(main);

static TICKS: AtomicU32 = AtomicU32::new(0);
static STOP: AtomicBool = AtomicBool::new(false);

fn main() {
    let warm =
        process::spawn_process(&spec("warm-up", Class::SoftIsolated, 0), program("quiet")).unwrap();
    process::wait(warm).unwrap();
    let bystander = thread::spawn("bystander", 12, || {
        while !STOP.load(SeqCst) {
            TICKS.fetch_add(1, SeqCst);
            thread::sleep(200_000);
        }
    })
    .unwrap();
    let start_free = kernel::mm::stats().free_pages;
    let crashes = [
        (0, "NULL read"),
        (1, "write to its text"),
        (2, "executing its stack"),
        (3, "undefined instruction"),
    ];
    // With another process mapping and unmapping memory meanwhile:
    let other = process::spawn_process(&spec("mapper", Class::SoftIsolated, 30), program("mapper"))
        .unwrap();
    for (how, what) in crashes {
        let before = TICKS.load(SeqCst);
        let p = process::spawn_process(&spec("crash", Class::SoftIsolated, how), program("crash"))
            .unwrap();
        let code = process::wait(p);
        thread::sleep(1_000_000);
        check(&alloc_msg("killed for", what), code == Ok(KILLED));
        check(
            &alloc_msg("kernel thread kept running after", what),
            TICKS.load(SeqCst) > before,
        );
    }
    check(
        "the other process finished normally",
        process::wait(other) == Ok(0),
    );
    check(
        "every page is back",
        kernel::mm::stats().free_pages == start_free,
    );
    // One at a time, counting pages around each:
    for (how, what) in crashes {
        let free = kernel::mm::stats().free_pages;
        let p = process::spawn_process(&spec("crash", Class::SoftIsolated, how), program("crash"))
            .unwrap();
        check(
            &alloc_msg("killed again for", what),
            process::wait(p) == Ok(KILLED),
        );
        check(
            &alloc_msg("all pages back after", what),
            kernel::mm::stats().free_pages == free,
        );
    }
    STOP.store(true, SeqCst);
    thread::join(bystander).unwrap();
    finish()
}

fn alloc_msg(a: &str, b: &str) -> alloc::string::String {
    alloc::format!("{a} {b}")
}

extern crate alloc;
