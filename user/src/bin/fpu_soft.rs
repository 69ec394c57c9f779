//! A soft task's floating-point workout (`user::vfp_check`): 2000 rounds,
//! each yielding with d0-d31 and FPSCR loaded; exits with the number of
//! rounds in which its registers came back wrong.

#![no_std]
#![no_main]

user::main!(main);

fn main(arg: u32) -> i32 {
    user::vfp_check(u64::from(arg) | 0x5eed_0000_0000, 2000)
}
