//! A hard isolated process granted a shared memory object (grant 0, whole
//! sections): its `mem_map` returns the mapping made at admission. It
//! checks word 0 holds the kernel's pattern, writes word 1 (read-write
//! grant) and the last word, and that `mem_create` is refused (a hard
//! process allocates nothing after admission). Then it unmaps the object
//! (a second unmap is `Inval`), maps it again 100 times (the same address,
//! its words kept: the range and record stayed, nothing is allocated) and
//! exits. Exit code: 0, or the step that failed.

#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};
use user::abi::Errno;
use user::{Handle, PROT_READ, PROT_WRITE};

user::main!(main);

fn main(_: u32) -> i32 {
    let Ok(p) = user::mem_map(Handle::granted(0), PROT_READ | PROT_WRITE) else {
        return 1;
    };
    let p = p as *mut u32;
    if user::mem_map(Handle::granted(0), PROT_READ).map(|q| q as *mut u32) != Ok(p) {
        return 2;
    }
    if user::mem_create(4096, 0).err() != Some(Errno::Perm) {
        return 3;
    }
    // SAFETY: the granted object is mapped read-write here, 1 MiB.
    unsafe {
        if read_volatile(p) != 0x00C0_FFEE {
            return 4;
        }
        write_volatile(p.add(1), 0x0000_BEEF);
        write_volatile(p.add((1 << 18) - 1), 0x0000_F00D);
    }
    for _ in 0..100 {
        if user::mem_unmap(p.cast()).is_err() {
            return 5;
        }
        if user::mem_unmap(p.cast()).err() != Some(Errno::Inval) {
            return 6;
        }
        if user::mem_map(Handle::granted(0), PROT_READ | PROT_WRITE) != Ok(p.cast()) {
            return 7;
        }
    }
    // SAFETY: mapped read-write again, 1 MiB.
    if unsafe { read_volatile(p.add(1)) } != 0x0000_BEEF {
        return 8;
    }
    0
}
