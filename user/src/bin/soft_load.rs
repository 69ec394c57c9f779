//! A soft isolated process that loads the system in one of the ways a
//! misbehaving or merely busy soft task can, to show that a hard task does
//! not notice. `arg` = `what | ms << 8`: `what` picks the load, `ms` how long
//! the looping loads run (milliseconds of the monotonic clock).
//!
//! | what | load |
//! | ---: | --- |
//! | 1 | map 16 MiB, touch every page, then read NULL (killed) |
//! | 2 | print 200-character lines until the time is up |
//! | 3 | map 1 MiB at a time until `NoMem`, touch it all, exit with the MiB count |
//! | 4 | exit at once (for spawn/exit loops) |
//! | 5 | map, touch and unmap 16 KiB until the time is up |
//! | 6 | IPC server: answer calls on the endpoint of grant 0 (each reply is the call's words plus one) until a call's first word is `u32::MAX`; exits with the number served |
//! | 7 | IPC client: call the endpoint of grant 0 with short messages until the time is up, checking each reply, then stop the server; exits with the number of calls |

#![no_std]
#![no_main]

use user::{Errno, Handle, PROT_READ, PROT_WRITE};

user::main!(main);

const MIB: u32 = 1 << 20;
/// Loads 6 and 7: the endpoint (grant 0).
const EP: Handle = Handle::granted(0);

fn touch(p: *mut u8, len: u32) {
    for off in (0..len).step_by(4096) {
        // SAFETY: [p, p + len) was just mapped read/write for this process.
        unsafe { (p.add(off as usize) as *mut u32).write_volatile(off) };
    }
}

fn main(arg: u32) -> i32 {
    let until = user::now() + (arg >> 8) as u64 * 1_000_000;
    match arg & 0xFF {
        1 => {
            let Ok(p) = user::mmap(16 * MIB, PROT_READ | PROT_WRITE) else {
                return 2;
            };
            touch(p, 16 * MIB);
            // SAFETY: deliberately faulting: NULL is never mapped.
            unsafe { core::hint::black_box(core::ptr::null::<u32>()).read_volatile() };
            99
        }
        2 => {
            let line = [b'x'; 199];
            let mut lines = 0;
            while user::now() < until {
                let _ = user::write(&line);
                let _ = user::write(b"\n");
                lines += 1;
            }
            lines
        }
        3 => {
            let mut mibs = 0;
            loop {
                match user::mmap(MIB, PROT_READ | PROT_WRITE) {
                    Ok(p) => touch(p, MIB),
                    Err(Errno::NoMem) => return mibs,
                    Err(_) => return -1,
                }
                mibs += 1;
            }
        }
        4 => 0,
        5 => {
            let mut rounds = 0;
            while user::now() < until {
                let Ok(p) = user::mmap(16 * 1024, PROT_READ | PROT_WRITE) else {
                    return -1;
                };
                touch(p, 16 * 1024);
                if user::munmap(p, 16 * 1024).is_err() {
                    return -2;
                }
                rounds += 1;
            }
            rounds
        }
        6 => {
            let Ok(mut m) = user::recv(EP, &mut [], 0) else {
                return -1;
            };
            let mut served = 0;
            while m.words[0] != u32::MAX {
                served += 1;
                let answer = m.words.map(|w| w.wrapping_add(1));
                m = match user::reply_recv(EP, answer, &mut [], 0, 0) {
                    Ok(m) => m,
                    Err(_) => return -2,
                };
            }
            let _ = user::reply([0; 4], &[]);
            served
        }
        7 => {
            let mut calls: u32 = 0;
            while user::now() < until {
                let words = [calls, 1, 2, 3];
                match user::call_words(EP, words) {
                    Ok(r) if r == words.map(|w| w.wrapping_add(1)) => calls += 1,
                    _ => return -1,
                }
            }
            if user::call_words(EP, [u32::MAX; 4]).is_err() {
                return -2;
            }
            calls as i32
        }
        _ => -3,
    }
}
