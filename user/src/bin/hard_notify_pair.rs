//! (Linked for hard processes, with `hard.ld`; soft ones run it too.)
//! One side of a notification test between two processes, chosen by `arg`:
//! 0 the waiter (grants: 0 = events with WAIT, 1 = done with SIGNAL), 1 the
//! signaller (0 = events with SIGNAL, 1 = done with WAIT). The waiter runs
//! at the higher priority. The exit code is the number of wrong answers.

#![no_std]
#![no_main]

use user::{Errno, Handle, notify_poll, notify_signal, notify_wait, notify_wait_until, println};

user::main!(main);

static mut WRONG: i32 = 0;

fn expect<T: core::fmt::Debug + PartialEq>(what: &str, got: T, want: T) {
    if got != want {
        println!("notify: {what}: got {got:?}, want {want:?}");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
    }
}

const MS: u64 = 1_000_000;

fn waiter(events: Handle, done: Handle) {
    expect("nothing pending yet", notify_poll(events), Ok(0));
    // Blocks: the signaller (lower priority) runs and signals bit 0, which
    // wakes us at once.
    expect("first wait", notify_wait(events), Ok(1));
    expect("bits were cleared", notify_poll(events), Ok(0));
    // Meanwhile the signaller sends bits 1 and 2: they merge.
    user::sleep_until(user::now() + 2 * MS);
    expect("merged bits", notify_wait(events), Ok(6));
    let t0 = user::now();
    expect(
        "a wait that times out",
        notify_wait_until(events, t0 + MS),
        Ok(0),
    );
    let waited = user::now() - t0;
    expect("it waited until the deadline", waited >= MS, true);
    expect("but not much longer", waited < 3 * MS, true);
    expect(
        "signal without the SIGNAL right",
        notify_signal(events, 1),
        Err(Errno::BadHandle),
    );
    expect(
        "wait without the WAIT right",
        notify_wait(done),
        Err(Errno::BadHandle),
    );
    expect(
        "a notification handle used with the wrong rights",
        notify_poll(done),
        Err(Errno::BadHandle),
    );
    expect("tell the signaller", notify_signal(done, 0x80), Ok(()));
}

fn signaller(events: Handle, done: Handle) {
    expect("signal 1", notify_signal(events, 1), Ok(()));
    expect("signal 2", notify_signal(events, 2), Ok(()));
    expect("signal 4", notify_signal(events, 4), Ok(()));
    expect("signal of no bits", notify_signal(events, 0), Ok(()));
    expect(
        "poll without the WAIT right",
        notify_poll(events),
        Err(Errno::BadHandle),
    );
    expect("the waiter's answer", notify_wait(done), Ok(0x80));
}

fn main(arg: u32) -> i32 {
    let (events, done) = (Handle::granted(0), Handle::granted(1));
    if arg == 0 {
        waiter(events, done);
    } else {
        signaller(events, done);
    }
    // SAFETY: single-threaded.
    let wrong = unsafe { WRONG };
    println!(
        "notify {}: {wrong} wrong answers",
        ["waiter", "signaller"][arg as usize & 1]
    );
    wrong
}
