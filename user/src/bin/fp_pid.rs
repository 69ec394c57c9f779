//! A soft task running a PID control law in compiler-generated floating
//! point (`user::control`): 3000 periods in `f32` and as many in `f64`,
//! yielding after each, so its d0-d31 must survive every switch. Exits 0
//! when both results have exactly the bits the host computed, else prints
//! them and exits 1 (`f32` wrong), 2 (`f64`) or 3 (both).
//!
//! build: hard-float

#![no_std]
#![no_main]

user::main!(main);

fn main(_arg: u32) -> i32 {
    user::pid_check("fp_pid", user::yield_now)
}
