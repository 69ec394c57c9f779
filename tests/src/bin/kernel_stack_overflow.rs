//! A kernel stack that overflows runs into its unmapped guard page, and the
//! kernel reports the overflow (from its emergency stack) instead of faulting
//! forever.
//! expect-exit: 102
//! expect-output: *** UNHANDLED EXCEPTION: kernel stack overflow in SVC mode
//! expect-output: translation fault, page, write

#![no_std]
#![no_main]

kernel::entry!(main);

#[inline(never)]
fn recurse(n: u32) -> u32 {
    let buf = core::hint::black_box([n; 64]);
    if n == 0 {
        buf[3]
    } else {
        recurse(n - 1).wrapping_add(buf[n as usize % 64])
    }
}

fn main() {
    kernel::println!("sum {}", recurse(core::hint::black_box(100_000)));
}
