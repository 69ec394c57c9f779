//! A hard process admitted for `arg` threads besides its first creates
//! that many (their stacks in a section of its reserved budget), and the
//! next is refused with `NoMem`; then it waits 20 ms (its threads parked)
//! before it exits, for the kernel to look at it. Exit code 0 when that
//! held.

#![no_std]
#![no_main]

use user::{Errno, PROT_READ, PROT_WRITE, println};

user::main!(hard);

extern "C" fn parked(_: u32) -> ! {
    loop {
        user::sleep_until(u64::MAX / 2);
    }
}

fn hard(admitted: u32) -> i32 {
    // One section of the reserved budget holds every thread's stack.
    let Ok(stacks) = user::mmap(1 << 20, PROT_READ | PROT_WRITE) else {
        return 20;
    };
    for i in 0..admitted {
        // SAFETY: 64 KiB slices of our own section.
        let top = unsafe { stacks.add((i as usize + 1) * 0x1_0000) };
        if user::thread_create(parked, top, i, 25).is_err() {
            return 21;
        }
    }
    // SAFETY: as above.
    let top = unsafe { stacks.add((admitted as usize + 1) * 0x1_0000) };
    if user::thread_create(parked, top, 0, 25) != Err(Errno::NoMem) {
        return 22;
    }
    println!("threads: {admitted} admitted threads created, the next refused (NoMem)");
    user::sleep_until(user::now() + 20_000_000);
    0
}
