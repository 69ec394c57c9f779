//! A thread parked in a notification wait (no deadline: it blocks at the
//! user boundary) while its process ends or its notification goes; `arg`
//! picks which:
//! - 0: grant 0 is a notification (`WAIT`). A second thread waits on it;
//!   the first sleeps 2 ms and exits the process with 0 while the second
//!   still waits.
//! - 1: a notification of its own; a second thread waits on it, the first
//!   sleeps 2 ms, closes the only handle and joins the waiter, which must
//!   have woken with `BadHandle`. Exit code: 0, or what went wrong.

#![no_std]
#![no_main]

use user::{Errno, Handle, notify_wait, println};

user::main!(main);

static mut STACK: [u64; 512] = [0; 512];

/// Waits on handle `h`; exits 0 for `BadHandle`, 2 if it got bits, 3 for
/// any other error.
extern "C" fn waiter(h: u32) -> ! {
    let code = match notify_wait(Handle(h)) {
        Err(Errno::BadHandle) => 0,
        Ok(bits) => {
            println!("parked_waiter: woke with bits {bits:#x}");
            2
        }
        Err(e) => {
            println!("parked_waiter: woke with {e:?}");
            3
        }
    };
    user::thread_exit(code)
}

fn main(arg: u32) -> i32 {
    let h = if arg == 0 {
        Handle::granted(0)
    } else {
        match user::notify_create() {
            Ok(h) => h,
            Err(_) => return 10,
        }
    };
    // SAFETY: only the address is taken; the thread is the stack's only user.
    let top = unsafe { (&raw mut STACK).add(1) } as *mut u8;
    let Ok(t) = user::thread_create(waiter, top, h.0, 10) else {
        return 11;
    };
    // The waiter runs and parks meanwhile.
    user::sleep_until(user::now() + 2_000_000);
    if arg == 0 {
        return 0; // the process ends with its waiter parked
    }
    if user::handle_close(h).is_err() {
        return 12;
    }
    user::thread_join(t).unwrap_or(13)
}
