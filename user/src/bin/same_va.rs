//! Two copies of this program run at the same virtual addresses: each stores
//! its argument in the same static, lets the other run, and checks it still
//! sees its own value. Exit code 0 when isolated, 1 if the other wrote ours.

#![no_std]
#![no_main]

user::main!(main);

static mut VALUE: u32 = 0;

fn main(arg: u32) -> i32 {
    let p = &raw mut VALUE;
    // SAFETY: single-threaded; p is our own static.
    unsafe { p.write_volatile(arg) };
    for _ in 0..20 {
        user::yield_now();
        user::sleep_until(user::now() + 100_000);
    }
    // SAFETY: as above.
    let seen = unsafe { p.read_volatile() };
    user::println!(
        "same_va {}: VALUE at {:p} holds {seen:#x} (wrote {arg:#x})",
        user::get_id(),
        p
    );
    if seen == arg { 0 } else { 1 }
}
