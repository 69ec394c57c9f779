//! The system-call fuzzer as a soft isolated process (4 KiB pages, the
//! default 4 MiB budget): see `user::fuzz` for the argument, the calls and
//! the exit code. Spawned, and restarted when it kills itself, by the
//! `proc_fuzz` test and `cargo xtask soak`.

#![no_std]
#![no_main]

user::main!(main);

fn main(arg: u32) -> i32 {
    user::fuzz::main(arg, false, 0)
}
