//! Notifications between two processes: a high-priority waiter blocks, a
//! lower-priority signaller's signal wakes it at once, bits signalled while
//! it is away merge, a wait with a deadline returns 0 when it passes, and
//! handles without the right are refused. Then the kernel signals a soft
//! and a hard process waiting on one notification: the higher-priority
//! waiter gets the bits.
//! expect-output: notify waiter: 0 wrong answers
//! expect-output: notify signaller: 0 wrong answers

#![no_std]
#![no_main]

use kernel::handle::Rights;
use kernel::object::{KRef, Object};
use kernel::process::{self, Class, Grant, Spec};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    let events = Object::new_notification().expect("heap room");
    let done = Object::new_notification().expect("heap room");
    let free = kernel::mm::stats().free_pages;
    let waiter_grants = [
        Grant {
            object: &events,
            rights: Rights::WAIT,
        },
        Grant {
            object: &done,
            rights: Rights::SIGNAL,
        },
    ];
    let signaller_grants = [
        Grant {
            object: &events,
            rights: Rights::SIGNAL,
        },
        Grant {
            object: &done,
            rights: Rights::WAIT,
        },
    ];
    let w = Spec {
        priority: 5,
        handles: &waiter_grants,
        ..spec("waiter", Class::SoftIsolated, 0)
    };
    let s = Spec {
        priority: 10,
        handles: &signaller_grants,
        budget: 0,
        ..spec("signaller", Class::HardIsolated, 1)
    };
    let wp = process::spawn_process(&w, program("hard_notify_pair")).unwrap();
    let sp = process::spawn_process(&s, program("hard_notify_pair")).unwrap();
    check(
        "the waiter got every answer right",
        process::wait(wp) == Ok(0),
    );
    check(
        "the (hard) signaller got every answer right",
        process::wait(sp) == Ok(0),
    );
    let n = events.notification().expect("a notification");
    check(
        "both processes' references are gone",
        KRef::count(n) == 1 && KRef::count(done.notification().unwrap()) == 1,
    );
    check("no page leaked", kernel::mm::stats().free_pages == free);
    // The kernel signals; a kernel thread waits with a deadline.
    let n2 = n.clone();
    let t = kernel::thread::spawn("kwaiter", 3, move || {
        let got = n2.wait(None);
        kernel::println!("kwaiter got {got:#x}");
        assert_eq!(got, 0x30);
    })
    .unwrap();
    kernel::thread::sleep(1_000_000);
    check("the kernel thread waits", n.waiting() == 1);
    n.signal(0x30);
    check("signal woke it", n.waiting() == 0);
    check("and it ran", kernel::thread::join(t).is_ok());
    finish()
}
