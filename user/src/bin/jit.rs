//! Writes a function into fresh memory, turns it executable with
//! `mprotect` and calls it (the kernel must make the new code visible to
//! instruction fetch); also exercises `cache_clean` / `cache_invalidate`
//! on its own buffer and checks they refuse what is not its own. Exits with
//! the function's result (42) if every check held, 1 otherwise.

#![no_std]
#![no_main]

use user::abi::Errno;
use user::{PROT_EXEC, PROT_READ, PROT_WRITE, println};

user::main!(main);

fn main(_arg: u32) -> i32 {
    let Ok(buf) = user::mmap(4096, PROT_READ | PROT_WRITE) else {
        return 1;
    };
    // mov r0, #42 ; bx lr
    let code: [u32; 2] = [0xE3A0_002A, 0xE12F_FF1E];
    // SAFETY: buf is 4 KiB of our own writable memory.
    unsafe { core::ptr::copy_nonoverlapping(code.as_ptr(), buf as *mut u32, 2) };
    let mut wrong = 0;
    let mut want = |what: &str, got: Result<(), Errno>, ok: Result<(), Errno>| {
        if got != ok {
            println!("jit: {what}: got {got:?}, want {ok:?}");
            wrong += 1;
        }
    };
    want("clean own buffer", user::cache_clean(buf, 4096), Ok(()));
    want(
        "clean a few bytes",
        user::cache_clean(buf.wrapping_add(3), 5),
        Ok(()),
    );
    want(
        "invalidate own lines",
        user::cache_invalidate(buf.wrapping_add(64), 64),
        Ok(()),
    );
    want(
        "invalidate part of a line",
        user::cache_invalidate(buf.wrapping_add(4), 32),
        Err(Errno::Inval),
    );
    want(
        "clean nothing",
        user::cache_clean(buf, 0),
        Err(Errno::Inval),
    );
    want(
        "clean past the buffer",
        user::cache_clean(buf, 8192),
        Err(Errno::Fault),
    );
    want(
        "clean kernel memory",
        user::cache_clean(0xC000_0000 as *const u8, 64),
        Err(Errno::Fault),
    );
    want(
        "clean a wrapping range",
        user::cache_clean(buf, u32::MAX),
        Err(Errno::Inval),
    );
    if user::mprotect(buf, 4096, PROT_READ | PROT_EXEC).is_err() {
        println!("jit: mprotect to executable failed");
        return 1;
    }
    // SAFETY: buf now holds the function above, mapped executable.
    let f: extern "C" fn() -> i32 = unsafe { core::mem::transmute(buf) };
    let r = f();
    println!("jit: generated code returned {r}; {wrong} wrong answers");
    if wrong == 0 { r } else { 1 }
}
