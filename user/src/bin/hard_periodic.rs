//! A hard isolated periodic task: `arg` releases (default 50) of a 2 ms
//! period at absolute times, a little work each, then its count of late
//! releases as the exit code.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

user::main!(main);

const PERIOD: u64 = 2_000_000;
static WORK: [AtomicU32; 256] = [const { AtomicU32::new(0) }; 256];

fn main(arg: u32) -> i32 {
    let releases = if arg == 0 { 50 } else { arg };
    let mut next = user::now() + PERIOD;
    let mut late = 0;
    for i in 0..releases {
        user::sleep_until(next);
        if user::now() > next + PERIOD {
            late += 1;
        }
        for (j, w) in WORK.iter().enumerate() {
            w.fetch_add(i ^ j as u32, Relaxed);
        }
        next += PERIOD;
    }
    user::println!("hard_periodic: {releases} releases, {late} late");
    late
}
