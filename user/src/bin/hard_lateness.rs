//! A hard isolated periodic task that measures itself: `arg` releases
//! (default 200) of a 1 ms period at absolute times, and its exit code is the
//! worst lateness it saw, in nanoseconds: the clock read right after each
//! `sleep_until` returned, minus the release it asked for. This is the
//! lateness a control loop sees (wake-up, switch and return to user mode
//! included), not the scheduler's own record.

#![no_std]
#![no_main]

user::main!(main);

const PERIOD: u64 = 1_000_000;

fn main(arg: u32) -> i32 {
    let releases = if arg == 0 { 200 } else { arg };
    let mut next = user::now() + PERIOD;
    let mut worst = 0u64;
    for _ in 0..releases {
        user::sleep_until(next);
        worst = worst.max(user::now().saturating_sub(next));
        next += PERIOD;
    }
    worst.min(i32::MAX as u64) as i32
}
