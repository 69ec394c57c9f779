//! A process's handle table through its system calls: a user program granted
//! one notification at creation duplicates, closes and reuses handles and
//! checks every answer (bad, stale, closed, missing rights, full table); the
//! object outlives the process's handles to it while the kernel holds
//! one, and the process's end gives back every reference it had.
//! expect-output: handles: 0 wrong answers
//! expect-output: handles: table full after 32 handles

#![no_std]
#![no_main]

use kernel::handle::Rights;
use kernel::object::{KRef, Object};
use kernel::process::{self, Class, Grant, Spec};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    let notif = Object::new_notification().expect("heap room for a notification");
    let n = notif.notification().expect("a notification");
    check("one reference to start with", KRef::count(n) == 1);
    let free = kernel::mm::stats().free_pages;
    let grants = [Grant {
        object: &notif,
        rights: Rights::SIGNAL | Rights::WAIT | Rights::TRANSFER,
    }];
    let s = Spec {
        handles: &grants,
        ..spec("handle-probe", Class::SoftIsolated, 0)
    };
    let p = process::spawn_process(&s, program("handle_probe")).unwrap();
    check(
        "the probe got every answer right",
        process::wait(p) == Ok(0),
    );
    check(
        "its end gave back every reference it held",
        KRef::count(n) == 1,
    );
    check("no page leaked", kernel::mm::stats().free_pages == free);
    // A hard process's grants come with it too; too many is refused.
    let many = [Grant {
        object: &notif,
        rights: Rights::WAIT,
    }; kernel::object::MAX_HANDLES + 1];
    let s = Spec {
        handles: &many,
        ..spec("too-many", Class::SoftIsolated, 0)
    };
    check(
        "more grants than slots is refused",
        process::spawn_process(&s, program("quiet")) == Err(process::ProcError::TooMany),
    );
    check("and leaves no reference behind", KRef::count(n) == 1);
    finish()
}
