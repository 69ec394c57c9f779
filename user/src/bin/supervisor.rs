//! Ends another process with `process_kill`: grant 0 is a handle to it with
//! `MANAGE`, grant 1 one without (`TRANSFER` only); the kernel puts a
//! handle to this process itself, with `MANAGE`, in slot 2. Sleeps `arg`
//! µs first (so the victim, of lower priority, runs), then checks every
//! answer: killing itself is `Inval`, the handle without `MANAGE` is
//! `BadHandle`, the kill returns 1, a second kill 0 (it has ended), a
//! closed handle `BadHandle`. Exit code 0 when all
//! were right, else the number of the first wrong step.

#![no_std]
#![no_main]

use user::{Errno, Handle};

user::main!(main);

fn main(arg: u32) -> i32 {
    let victim = Handle::granted(0);
    let weak = Handle::granted(1);
    if arg > 0 {
        user::sleep_until(user::now() + u64::from(arg) * 1000);
    }
    if user::process_kill(Handle::granted(2)) != Err(Errno::Inval) {
        return 5;
    }
    if user::process_kill(weak) != Err(Errno::BadHandle) {
        return 1;
    }
    if user::process_kill(victim) != Ok(1) {
        return 2;
    }
    if user::process_kill(victim) != Ok(0) {
        return 3;
    }
    if user::handle_close(victim).is_err() || user::process_kill(victim) != Err(Errno::BadHandle) {
        return 4;
    }
    0
}
