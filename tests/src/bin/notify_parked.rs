//! A user thread waiting on a notification without a deadline parks at the
//! user boundary (`object::notify`). Its process ending takes it off the
//! notification (a later signal wakes nobody and its bits stay pending);
//! its notification going (a sibling closes the only handle) wakes it with
//! `BadHandle` (`parked_waiter` exits 0 only then).
//! expect-output: check a signal after the end wakes nobody ... ok

#![no_std]
#![no_main]

use kernel::handle::Rights;
use kernel::object::{KRef, Object};
use kernel::process::{self, Class, Grant, Spec};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    let events = Object::new_notification().expect("heap room");
    let n = events.notification().expect("a notification").clone();
    let free = kernel::mm::stats().free_pages;
    let grants = [Grant {
        object: &events,
        rights: Rights::WAIT,
    }];
    let ending = Spec {
        handles: &grants,
        ..spec("parked-ending", Class::SoftIsolated, 0)
    };
    let p = process::spawn_process(&ending, program("parked_waiter")).unwrap();
    check(
        "the process ended with its waiter parked",
        process::wait(p) == Ok(0),
    );
    check(
        "the parked waiter is off the notification",
        n.waiting() == 0,
    );
    check(
        "the process's reference is gone",
        KRef::count(&n) == 2, // `events` and `n`
    );
    n.signal(0x5);
    check("a signal after the end wakes nobody", n.poll() == 0x5);

    let closing = spec("parked-closing", Class::SoftIsolated, 1);
    let p = process::spawn_process(&closing, program("parked_waiter")).unwrap();
    check(
        "closing the last handle woke the parked waiter with BadHandle",
        process::wait(p) == Ok(0),
    );
    check("no page leaked", kernel::mm::stats().free_pages == free);
    finish()
}
