//! A hard task that owns the A9 private watchdog through handles granted
//! at creation: 0 = the watchdog with MANAGE and SIGNAL, 1 = the same with
//! SIGNAL only (kick, read), 2 = a notification (the wrong kind). `arg`
//! picks the part: 0 checks every call's errors, then starts a 20 ms
//! watchdog and kicks it every 5 ms for 200 ms (ten timeouts), then stops
//! it; 1 starts it, kicks it five times and stops kicking (a hung task),
//! then looks 40 ms later. The exit code is the number of wrong answers.

#![no_std]
#![no_main]

use user::{
    Errno, Handle, now, println, sleep_until, watchdog_kick, watchdog_remaining, watchdog_start,
    watchdog_stop,
};

user::main!(main);

const MS: u64 = 1_000_000;
const TIMEOUT: u64 = 20 * MS;

static mut WRONG: i32 = 0;

fn expect<T: core::fmt::Debug + PartialEq>(what: &str, got: T, want: T) {
    if got != want {
        println!("hard_watchdog: {what}: got {got:?}, want {want:?}");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
    }
}

/// Whether the time left (µs) after a kick or a start is within the
/// timeout and no more than 1 ms short of it.
fn fresh(left: Result<u32, Errno>) -> bool {
    left.is_ok_and(|us| (19_000..=20_000).contains(&us))
}

fn kicks(wd: Handle, n: u32) {
    let mut at = now();
    for i in 0..n {
        at += 5 * MS;
        sleep_until(at);
        expect(
            "kick through the kick-only handle",
            watchdog_kick(wd),
            Ok(()),
        );
        let left = watchdog_remaining(wd);
        if !fresh(left) {
            println!("hard_watchdog: kick {i}: {left:?} us left");
            expect("a kick restarts the countdown", false, true);
        }
    }
}

fn main(arg: u32) -> i32 {
    let (wd, kick_only, notification) =
        (Handle::granted(0), Handle::granted(1), Handle::granted(2));
    if arg == 0 {
        let bad = Handle(0x7777);
        expect(
            "start, not a handle",
            watchdog_start(bad, TIMEOUT),
            Err(Errno::BadHandle),
        );
        expect(
            "start, a notification",
            watchdog_start(notification, TIMEOUT),
            Err(Errno::BadHandle),
        );
        expect(
            "kick, a notification",
            watchdog_kick(notification),
            Err(Errno::BadHandle),
        );
        expect(
            "start without MANAGE",
            watchdog_start(kick_only, TIMEOUT),
            Err(Errno::BadHandle),
        );
        expect(
            "stop without MANAGE",
            watchdog_stop(kick_only),
            Err(Errno::BadHandle),
        );
        expect("kick before start", watchdog_kick(wd), Err(Errno::Inval));
        expect(
            "remaining before start",
            watchdog_remaining(kick_only),
            Err(Errno::Inval),
        );
        expect("stop before start", watchdog_stop(wd), Ok(()));
        expect(
            "start, no timeout",
            watchdog_start(wd, 0),
            Err(Errno::Inval),
        );
        expect(
            "start, 585 years",
            watchdog_start(wd, u64::MAX),
            Err(Errno::Inval),
        );
        expect(
            "kick after refused starts",
            watchdog_kick(wd),
            Err(Errno::Inval),
        );
        expect("start", watchdog_start(wd, TIMEOUT), Ok(()));
        expect(
            "started: 19-20 ms left",
            fresh(watchdog_remaining(wd)),
            true,
        );
        kicks(kick_only, 40);
        expect("stop", watchdog_stop(wd), Ok(()));
        expect(
            "kick after stop",
            watchdog_kick(kick_only),
            Err(Errno::Inval),
        );
    } else {
        expect("start", watchdog_start(wd, TIMEOUT), Ok(()));
        kicks(kick_only, 5);
        sleep_until(now() + 2 * TIMEOUT);
        // The count ran out: on silicon the board has reset by now.
        expect(
            "nothing left after two timeouts",
            watchdog_remaining(wd),
            Ok(0),
        );
    }
    // SAFETY: single-threaded.
    unsafe { WRONG }
}
