//! The demo's logger (soft isolated, two threads): its first thread serves
//! log records on its first grant (an endpoint) and prints them; its second
//! waits on its second grant (the alarm notification the driver signals)
//! and counts alarms. A record whose first word is `u32::MAX` ends the
//! process, the waiting thread with it. Exit code: 0, or 90 + the step
//! that failed.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use user::{Handle, PROT_READ, PROT_WRITE, println};

user::main!(main);

const LOG: Handle = Handle::granted(0);
const ALARM: Handle = Handle::granted(1);

static ALARMS: AtomicU32 = AtomicU32::new(0);

/// The second thread: counts the driver's alarm signals, forever (it ends
/// with the process).
extern "C" fn alarm_watch(_: u32) -> ! {
    loop {
        match user::notify_wait(ALARM) {
            Ok(bits) if bits != 0 => {
                ALARMS.fetch_add(1, Relaxed);
            }
            _ => {}
        }
    }
}

fn main(_: u32) -> i32 {
    let Ok(stack) = user::mmap(8192, PROT_READ | PROT_WRITE) else {
        return 91;
    };
    // SAFETY: the top of the memory just mapped.
    if user::thread_create(alarm_watch, unsafe { stack.add(8192) }, 0, 14).is_err() {
        return 92;
    }
    let Ok(mut m) = user::recv(LOG, &mut [], 0) else {
        return 93;
    };
    let mut records = 0;
    while m.words[0] != u32::MAX {
        records += 1;
        let [release, sample, output, late] = m.words;
        println!(
            "logger: release {release:3}  sample {sample:4}  output {:5}  late {late}  (alarms so far {})",
            output as i32,
            ALARMS.load(Relaxed)
        );
        m = match user::reply_recv(LOG, [0; 4], &mut [], 0, 0) {
            Ok(m) => m,
            Err(_) => return 94,
        };
    }
    let _ = user::reply([0; 4], &[]);
    println!(
        "logger: {records} records, {} alarm wake-ups",
        ALARMS.load(Relaxed)
    );
    0
}
