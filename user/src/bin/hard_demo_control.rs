//! The demo's control loop (hard isolated): every 2 ms for `arg` releases
//! it reads the sensor through the driver (a call on its first grant),
//! computes a proportional-integral output toward a set point, and every
//! 20th release sends a record to the logger (a call on its second grant).
//! Both servers run at its priority while they serve it (donation).
//!
//! The driver samples on its timer's interrupt, 1 ms apart: each release
//! must get a sample newer than the last one (its sequence number, the
//! driver's interrupt count, went up), else the data was stale. At the end
//! it stops both servers; the driver's last reply says how many reads it
//! served, which must be this loop's count. Exit code: late releases +
//! stale samples + 1 for a wrong read count, or 100 + the step that failed.

#![no_std]
#![no_main]

use user::Handle;

user::main!(main);

const SENSOR: Handle = Handle::granted(0);
const LOG: Handle = Handle::granted(1);
const PERIOD: u64 = 2_000_000;
const SET_POINT: i32 = 500;

fn main(arg: u32) -> i32 {
    let releases = if arg == 0 { 50 } else { arg };
    let mut next = user::now() + PERIOD;
    let (mut late, mut stale, mut integral) = (0, 0, 0i32);
    let (mut first, mut last) = (None, 0);
    for i in 0..releases {
        user::sleep_until(next);
        let woke = user::now();
        late += u32::from(woke > next + PERIOD);
        let Ok([sample, seq, _, _]) = user::call_words(SENSOR, [0; 4]) else {
            return 101;
        };
        stale += u32::from(seq <= last);
        first.get_or_insert(seq);
        last = seq;
        let error = SET_POINT - sample as i32;
        integral = (integral + error).clamp(-10_000, 10_000);
        let output = error / 2 + integral / 20;
        if i % 20 == 10 && user::call_words(LOG, [i, sample, output as u32, seq]).is_err() {
            return 102;
        }
        next += PERIOD;
    }
    let Ok([_, reads, _, _]) = user::call_words(SENSOR, [u32::MAX; 4]) else {
        return 103;
    };
    if user::call_words(LOG, [u32::MAX; 4]).is_err() {
        return 104;
    }
    user::println!(
        "control: {releases} releases, {late} late, {stale} stale samples (samples #{}..#{last}), {reads} reads served",
        first.unwrap_or(0)
    );
    (late + stale + u32::from(reads != releases)) as i32
}
