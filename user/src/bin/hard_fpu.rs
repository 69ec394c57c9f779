//! A hard task's floating-point workout (`user::vfp_check`), the same as
//! `fpu_soft`: the kernel gives it the unit before it runs, so it never
//! takes a first-use trap.

#![no_std]
#![no_main]

user::main!(main);

fn main(arg: u32) -> i32 {
    user::vfp_check(u64::from(arg) | 0xc0de_0000_0000, 2000)
}
