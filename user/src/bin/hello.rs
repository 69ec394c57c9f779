//! The smallest user program: prints, reports its id and the time, exits 0.

#![no_std]
#![no_main]

user::main!(main);

fn main(arg: u32) -> i32 {
    user::println!(
        "hello from user process {} (arg {arg}) at {} us",
        user::get_id(),
        user::now() / 1000
    );
    0
}
