//! The demo's sensor driver (soft isolated): serves "read" calls on its
//! first grant (an endpoint) with a sample of a simulated sensor (a
//! triangle wave over time) and the number of reads so far, and signals
//! bit 0 of its second grant (the logger's alarm notification) when a
//! sample goes past the alarm level. A call whose first word is `u32::MAX`
//! ends it. Exit code: 0, or 90 + the step that failed.

#![no_std]
#![no_main]

use user::Handle;

user::main!(main);

const SENSOR: Handle = Handle::granted(0);
const ALARM: Handle = Handle::granted(1);
/// Samples above this raise the alarm.
const ALARM_LEVEL: u32 = 900;

/// The simulated sensor: 0..1000..0 over 40 ms.
fn sample() -> u32 {
    let ms = (user::now() / 1_000_000) as u32 % 40;
    if ms < 20 { ms * 50 } else { (40 - ms) * 50 }
}

fn main(_: u32) -> i32 {
    let Ok(mut m) = user::recv(SENSOR, &mut [], 0) else {
        return 91;
    };
    let mut reads = 0u32;
    let mut alarms = 0u32;
    while m.words[0] != u32::MAX {
        reads += 1;
        let v = sample();
        if v > ALARM_LEVEL {
            alarms += 1;
            if user::notify_signal(ALARM, 1).is_err() {
                return 92;
            }
        }
        m = match user::reply_recv(SENSOR, [v, reads, 0, 0], &mut [], 0, 0) {
            Ok(m) => m,
            Err(_) => return 93,
        };
    }
    let _ = user::reply([0; 4], &[]);
    user::println!("driver: {reads} reads served, {alarms} alarms signalled");
    0
}
