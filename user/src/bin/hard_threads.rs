//! A hard process admitted for `arg` (at most 8) threads besides its first
//! creates that many, joins them and does it again (what they were lent
//! comes back for the next ones); then it creates that many (their stacks
//! in a section of its reserved budget) and parks them, and the next is
//! refused with `NoMem`; then it waits 20 ms (its threads parked)
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

extern "C" fn quick(i: u32) -> ! {
    user::thread_exit(100 + i as i32)
}

fn hard(admitted: u32) -> i32 {
    // One section of the reserved budget holds every thread's stack.
    let Ok(stacks) = user::mmap(1 << 20, PROT_READ | PROT_WRITE) else {
        return 20;
    };
    // Twice: as many threads as admitted, that end at once, joined (what
    // each was lent goes back to the reserve for the next).
    for _ in 0..2 {
        let mut handles = [user::Handle::granted(0); 8];
        for i in 0..admitted {
            // SAFETY: 64 KiB slices of our own section.
            let top = unsafe { stacks.add((i as usize + 1) * 0x1_0000) };
            match user::thread_create(quick, top, i, 25) {
                Ok(h) => handles[i as usize] = h,
                Err(_) => return 23,
            }
        }
        for i in 0..admitted {
            if user::thread_join(handles[i as usize]) != Ok(100 + i as i32) {
                return 24;
            }
        }
    }
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
