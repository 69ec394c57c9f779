//! Benchmark program (`cargo xtask bench`, `process_create_exit`): exits at
//! once with code 0. A sample is creating a soft isolated process from this
//! image, running it to its exit and reclaiming it.

#![no_std]
#![no_main]

user::main!(main);

fn main(_: u32) -> i32 {
    0
}
