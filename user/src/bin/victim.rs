//! Runs until another process ends it (`process_kill`), in the state `arg`
//! picks: 0 spinning in user code, 1 yielding in a loop, 2 asleep (a
//! deadline far away), 3 blocked in `notify_wait` on a notification it
//! made, 4 with a second thread (both spinning). Soft processes map 1 MiB
//! first (bit 8 of `arg`), so the kill tears that down too. It never exits
//! by itself: an exit status other than `KILLED` is a test failure (1: a
//! call failed, 2: the wait ended). `hard_victim` is its hard twin.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE};

user::main!(main);

extern "C" fn spin_thread(_: u32) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

fn main(arg: u32) -> i32 {
    if arg & 1 << 8 != 0 {
        let Ok(p) = user::mmap(1 << 20, PROT_READ | PROT_WRITE) else {
            return 1;
        };
        // SAFETY: the start of the block just mapped read/write.
        unsafe { p.write_volatile(1) };
    }
    match arg & 0xFF {
        1 => loop {
            user::yield_now();
        },
        2 => {
            user::sleep_until(u64::MAX / 2);
            2
        }
        3 => {
            let Ok(n) = user::notify_create() else {
                return 1;
            };
            let _ = user::notify_wait(n);
            2
        }
        4 => {
            let Ok(stack) = user::mmap(4096, PROT_READ | PROT_WRITE) else {
                return 1;
            };
            let prio = 20;
            if user::thread_create(spin_thread, stack.wrapping_add(4096), 0, prio).is_err() {
                return 1;
            }
            loop {
                core::hint::spin_loop();
            }
        }
        _ => loop {
            core::hint::spin_loop();
        },
    }
}
