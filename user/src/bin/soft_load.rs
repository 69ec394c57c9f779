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

#![no_std]
#![no_main]

use user::{Errno, PROT_READ, PROT_WRITE};

user::main!(main);

const MIB: u32 = 1 << 20;

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
        _ => -3,
    }
}
