//! The demo's control loop (hard isolated): every 2 ms for `arg` releases
//! it reads the sensor through the driver (a call on its first grant),
//! computes a proportional-integral output toward a set point, and every
//! 10th release sends a record to the logger (a call on its second grant).
//! Both servers run at its priority while they serve it (donation). At the
//! end it stops both. Exit code: its late releases, or 100 + the step that
//! failed.

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
    let (mut late, mut integral) = (0, 0i32);
    for i in 0..releases {
        user::sleep_until(next);
        let woke = user::now();
        let was_late = woke > next + PERIOD;
        late += u32::from(was_late);
        let Ok([sample, _, _, _]) = user::call_words(SENSOR, [0; 4]) else {
            return 101;
        };
        let error = SET_POINT - sample as i32;
        integral = (integral + error).clamp(-10_000, 10_000);
        let output = error / 2 + integral / 20;
        if i % 20 == 0 && user::call_words(LOG, [i, sample, output as u32, late]).is_err() {
            return 102;
        }
        next += PERIOD;
    }
    if user::call_words(SENSOR, [u32::MAX; 4]).is_err()
        || user::call_words(LOG, [u32::MAX; 4]).is_err()
    {
        return 103;
    }
    user::println!("control: {releases} releases, {late} late");
    late as i32
}
