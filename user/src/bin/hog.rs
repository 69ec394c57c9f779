//! Maps a large block of memory, then ends in the way `arg` picks, for the
//! teardown tests: bits 0-15 are the MiB to map (one `mmap`), bits 16-23 the
//! milliseconds to sleep after mapping, bit 24 set means `exit(7)` instead of
//! reading NULL (a fault that kills it). Exit code 1: the `mmap` failed.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE, println};

user::main!(main);

fn main(arg: u32) -> i32 {
    let mib = arg & 0xFFFF;
    let nap_ms = (arg >> 16) & 0xFF;
    let Ok(p) = user::mmap(mib << 20, PROT_READ | PROT_WRITE) else {
        println!("hog: mmap of {mib} MiB failed");
        return 1;
    };
    // SAFETY: p is the start of the block just mapped read/write for us.
    unsafe { p.write_volatile(1) };
    if nap_ms > 0 {
        user::sleep_until(user::now() + nap_ms as u64 * 1_000_000);
    }
    if arg & 1 << 24 != 0 {
        return 7;
    }
    // SAFETY: deliberately faulting: NULL is never mapped.
    unsafe { core::hint::black_box(core::ptr::null::<u32>()).read_volatile() };
    99
}
