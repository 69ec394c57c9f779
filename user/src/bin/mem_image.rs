//! Two or more processes of this program share its text (one copy of the
//! frames) and each has its own `.data` and `.bss` (copy-on-write): each
//! checks it sees the initial values although another instance may have
//! written its own, writes its id, waits on notification grant 0, and
//! checks its values are still its own. Exit 0 when all held; 1 when the
//! initial values were wrong; 2 when they changed under it.

#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};
use user::Handle;

user::main!(main);

/// In `.data`: an initial value the program checks.
static mut DATA: [u32; 4] = [0x1234_5678, 1, 2, 3];
/// In `.bss`.
static mut BSS: [u32; 1200] = [0; 1200];

fn main(_arg: u32) -> i32 {
    let id = user::get_id();
    // SAFETY: one thread; volatile so the compiler neither caches nor
    // folds the statics' values.
    unsafe {
        let data = &raw mut DATA;
        let bss = &raw mut BSS;
        if read_volatile(&(*data)[0]) != 0x1234_5678 || read_volatile(&(*bss)[1100]) != 0 {
            return 1;
        }
        write_volatile(&mut (*data)[0], id);
        write_volatile(&mut (*bss)[1100], id + 100);
        let _ = user::notify_wait(Handle::granted(0));
        if read_volatile(&(*data)[0]) != id || read_volatile(&(*bss)[1100]) != id + 100 {
            return 2;
        }
    }
    0
}
