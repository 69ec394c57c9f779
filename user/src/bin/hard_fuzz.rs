//! The system-call fuzzer as a hard isolated process (1 MiB sections, all
//! memory reserved at admission): see `user::fuzz`. Its spawner must give
//! it a budget of [`BUDGET_SECTIONS`] MiB.

#![no_std]
#![no_main]

user::main!(main);

/// The budget (1 MiB sections) the spawner reserves for it.
const BUDGET_SECTIONS: u32 = 3;

fn main(arg: u32) -> i32 {
    user::fuzz::main(arg, true, BUDGET_SECTIONS)
}
