//! A hard task running the PID law of `fp_pid` in compiler-generated
//! floating point, yielding after each period; the kernel gives it the
//! unit, with its registers, as it is switched in: it never traps.
//!
//! build: hard-float

#![no_std]
#![no_main]

user::main!(main);

fn main(_arg: u32) -> i32 {
    user::pid_check("hard_fp_pid", user::yield_now)
}
