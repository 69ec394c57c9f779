//! Threads of one process: they share its memory, keep their own TLS
//! pointer and are joined with their exit codes, those that read like
//! error codes included (four threads add into one shared counter). Exit code 0 when everything held, else the number of
//! the first check that failed.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use user::{Errno, PROT_READ, PROT_WRITE, println};

user::main!(main);

/// Shared by every thread of the process (its data segment).
static COUNTER: AtomicU32 = AtomicU32::new(0);
const ROUNDS: u32 = 1000;

extern "C" fn adder(id: u32) -> ! {
    user::set_tls(0x1000 + id);
    for _ in 0..ROUNDS {
        COUNTER.fetch_add(1, Ordering::Relaxed);
        // Lets the others in, so the increments interleave.
        if COUNTER.load(Ordering::Relaxed).is_multiple_of(97) {
            user::yield_now();
        }
    }
    // Another thread's set_tls must not have changed ours.
    let code = if user::tls() == 0x1000 + id {
        10 + id as i32
    } else {
        -1
    };
    user::thread_exit(code)
}

extern "C" fn quick(code: u32) -> ! {
    user::thread_exit(code as i32)
}

extern "C" fn parked(_: u32) -> ! {
    loop {
        user::sleep_until(u64::MAX / 2);
    }
}

fn soft() -> i32 {
    const N: u32 = 4;
    let Ok(stacks) = user::mmap(N * 4096, PROT_READ | PROT_WRITE) else {
        return 1;
    };
    user::set_tls(0xABCD);
    let mut tids = [user::Handle(0); N as usize];
    for (i, tid) in tids.iter_mut().enumerate() {
        // SAFETY: the top of the i-th 4 KiB page of our fresh mapping.
        let top = unsafe { stacks.add((i + 1) * 4096) };
        match user::thread_create(adder, top, i as u32, 10) {
            Ok(t) => *tid = t,
            Err(_) => return 2,
        }
    }
    for (i, &tid) in tids.iter().enumerate() {
        if user::thread_join(tid) != Ok(10 + i as i32) {
            return 3;
        }
    }
    if COUNTER.load(Ordering::Relaxed) != N * ROUNDS {
        return 4;
    }
    if user::tls() != 0xABCD {
        return 5;
    }
    // A joined thread's handle is used up.
    if user::thread_join(tids[0]) != Err(Errno::BadHandle) {
        return 6;
    }
    // Above the process's own priority (10): refused.
    // SAFETY: as above (the first page is free again).
    let top = unsafe { stacks.add(4096) };
    if user::thread_create(adder, top, 0, 3) != Err(Errno::Perm) {
        return 7;
    }
    if user::thread_create(adder, 0x10 as *mut u8, 0, 12) != Err(Errno::Fault) {
        return 8;
    }
    // An exit code that reads like an error code (-3, NoMem's) comes
    // back as a code: `thread_join` returns it apart from its status.
    match user::thread_create(quick, top, -3i32 as u32, 12) {
        Ok(t) if user::thread_join(t) == Ok(-3) => {}
        _ => return 10,
    }
    // A thread left running ends with the process.
    if user::thread_create(parked, top, 0, 12).is_err() {
        return 9;
    }
    println!(
        "threads: {N} threads added {} into shared memory, joined with their codes",
        COUNTER.load(Ordering::Relaxed)
    );
    0
}

fn main(_: u32) -> i32 {
    soft()
}
