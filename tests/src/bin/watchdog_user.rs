//! The A9 private watchdog for an isolated task, through a handle granted
//! at creation and the calls 50-53 (a hard task cannot map the MPCore
//! private MiB it lies in). `hard_watchdog` checks every call's errors
//! (wrong handle, wrong kind, missing right, zero or huge timeout, kick
//! while stopped), then kicks a 20 ms watchdog every 5 ms for 200 ms: the
//! count never runs out. Then, started again and no longer kicked, it runs
//! out within two timeouts. QEMU's watchdog has no watchdog mode and never
//! resets the board (hw/timer/arm_mptimer.c): running out shows as the
//! counter at 0 and the event flag set, where silicon would reset.
//!
//! expect-output: watchdog_user: kicked 200 ms, never ran out
//! expect-output: watchdog_user: not kicked, ran out

#![no_std]
#![no_main]

use kernel::handle::Rights;
use kernel::object::Object;
use kernel::println;
use kernel::process::{self, Class, Grant, Spec};
use kernel::watchdog::{self, WatchdogError};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn run(wd: &Object, notification: &Object, part: u32) -> Result<i32, process::ProcError> {
    let grants = [
        Grant {
            object: wd,
            rights: Rights::MANAGE | Rights::SIGNAL,
        },
        Grant {
            object: wd,
            rights: Rights::SIGNAL,
        },
        Grant {
            object: notification,
            rights: Rights::SIGNAL | Rights::WAIT,
        },
    ];
    let s = Spec {
        priority: 12,
        budget: 2 << 20,
        handles: &grants,
        ..spec("hard-watchdog", Class::HardIsolated, part)
    };
    let pid = process::spawn_process(&s, program("hard_watchdog"))?;
    process::wait(pid)
}

fn main() {
    let wd = Object::new_watchdog().expect("the watchdog is free");
    check(
        "a second claim is Busy while a process may be granted it",
        matches!(Object::new_watchdog(), Err(WatchdogError::Busy)),
    );
    let notification = Object::new_notification().expect("notification");

    let kicked = run(&wd, &notification, 0);
    let ran_out = watchdog::reached_zero();
    check(
        "every call answered as documented, kicks kept it fresh",
        kicked == Ok(0),
    );
    check("kicked every 5 ms, the 20 ms count never ran out", !ran_out);
    if kicked == Ok(0) && !ran_out {
        println!("watchdog_user: kicked 200 ms, never ran out");
    }

    let hung = run(&wd, &notification, 1);
    let ran_out = watchdog::reached_zero();
    check("not kicked, the task saw no time left", hung == Ok(0));
    check(
        "not kicked, the count ran out (silicon: the reset)",
        ran_out,
    );
    if hung == Ok(0) && ran_out {
        println!("watchdog_user: not kicked, ran out");
    }

    drop(wd);
    let again = watchdog::claim();
    check("the claim is free once the object is gone", again.is_ok());
    if let Ok(grant) = again {
        grant.disarm();
    }
    finish()
}
