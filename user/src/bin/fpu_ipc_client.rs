//! A soft task's floating-point workout across IPC (`user::vfp_check_across`):
//! 2000 rounds, each a call to its first granted endpoint (an FPU echo
//! server, `hard_fpu_ipc_server`) with d0-d31 and FPSCR loaded, then a call
//! with `u32::MAX` that ends the server. Exits with the number of rounds in
//! which its registers came back wrong (100 000 if a call failed).

#![no_std]
#![no_main]

/// The endpoint granted first.
const EP: user::Handle = user::Handle::granted(0);

user::main!(main);

fn main(arg: u32) -> i32 {
    let mut failed = false;
    let bad = user::vfp_check_across(u64::from(arg) | 0xca11_0000_0000, 2000, || {
        failed = user::call_words(EP, [1, 2, 3, 4]) != Ok([2, 3, 4, 5]);
        !failed
    });
    if failed || user::call_words(EP, [u32::MAX, 0, 0, 0]).is_err() {
        return 100_000;
    }
    bad
}
