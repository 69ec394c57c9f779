//! `victim` as a hard isolated process (its segments in 1 MiB sections):
//! runs until another process ends it, spinning (`arg` 0), yielding (1) or
//! asleep (2). Exit code 2: the sleep ended (it never should).

#![no_std]
#![no_main]

user::main!(main);

fn main(arg: u32) -> i32 {
    match arg {
        1 => loop {
            user::yield_now();
        },
        2 => {
            user::sleep_until(u64::MAX / 2);
            2
        }
        _ => loop {
            core::hint::spin_loop();
        },
    }
}
