//! Touches its stack below the page it starts on: a soft process's stack
//! pages other than the top one are mapped on first touch. With argument 0
//! it reads each of the three pages below (each must read zero), writes a
//! pattern there and reads it back; with 1 it first hands an untouched page
//! to the kernel (`write` of 16 bytes from it, which must succeed: the
//! kernel faults the page in as the process's own access would), then does
//! the same; with 2 it reads the guard page below the stack (and is
//! killed). Exit code 0, or the step that failed.

#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};

user::main!(main);

const PAGE: u32 = 4096;

fn main(arg: u32) -> i32 {
    let here = 0u32;
    let sp = core::ptr::addr_of!(here) as u32;
    // Three pages below the one the stack pointer is in: the stack is
    // 16 KiB and starts at the top of its highest page.
    let top_page = sp & !(PAGE - 1);
    if arg == 2 {
        // SAFETY: deliberately the unmapped guard page below the stack.
        let v = unsafe { read_volatile((top_page - 4 * PAGE + 64) as *const u32) };
        return 20 + v as i32;
    }
    if arg == 1 {
        // SAFETY: a page of this process's own stack region, below sp.
        let bytes = unsafe { core::slice::from_raw_parts((top_page - 2 * PAGE) as *const u8, 16) };
        if user::write(bytes) != Ok(16) {
            return 10;
        }
    }
    for k in 1..=3 {
        let p = (top_page - k * PAGE + 64) as *mut u32;
        // SAFETY: inside this process's stack region, far below sp (no
        // frame of ours lives there).
        unsafe {
            if read_volatile(p) != 0 {
                return k as i32;
            }
            write_volatile(p, 0xC0DE_0000 | k);
            if read_volatile(p) != 0xC0DE_0000 | k {
                return 4 + k as i32;
            }
        }
    }
    0
}
