//! Exits at once with its argument as the exit code (for create/exit cycles).

#![no_std]
#![no_main]

user::main!(main);

fn main(arg: u32) -> i32 {
    arg as i32
}
