//! Exercises this process's handle table through the system calls: it is
//! created with one notification handle (grant 0, rights SIGNAL | WAIT |
//! TRANSFER). Duplicates, closes, reuses slots and fills the table, checking
//! every answer; the exit code is the number of wrong ones.

#![no_std]
#![no_main]

use user::abi::{self, Errno, RIGHT_SIGNAL, RIGHT_TRANSFER, RIGHT_WAIT};
use user::{Handle, handle_close, handle_dup, println};

user::main!(main);

static mut WRONG: i32 = 0;

fn expect<T: core::fmt::Debug + PartialEq>(what: &str, got: T, want: T) {
    if got != want {
        println!("handles: {what}: got {got:?}, want {want:?}");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
    }
}

fn main(_: u32) -> i32 {
    let g = Handle::granted(0);
    let signal_only = handle_dup(g, RIGHT_SIGNAL);
    expect("dup of the grant", signal_only.is_ok(), true);
    let h1 = signal_only.unwrap_or(Handle(0));
    expect("a new handle differs", h1 != g, true);
    expect(
        "dup without TRANSFER",
        handle_dup(h1, RIGHT_SIGNAL),
        Err(Errno::BadHandle),
    );
    expect(
        "dup with unknown rights",
        handle_dup(g, 1 << 20),
        Err(Errno::Inval),
    );
    expect("close", handle_close(h1), Ok(()));
    expect("close twice", handle_close(h1), Err(Errno::BadHandle));
    // The slot is reused under a new generation: the old value stays dead.
    let h2 = handle_dup(g, RIGHT_SIGNAL | RIGHT_TRANSFER).unwrap_or(Handle(0));
    expect("reused slot", h2.0 & 0xFF, h1.0 & 0xFF);
    expect("new generation", h2 != h1, true);
    expect("stale handle", handle_close(h1), Err(Errno::BadHandle));
    // Rights only shrink: a dup of h2 asking for WAIT does not get it, so
    // a dup of that asking for TRANSFER fails (it has none to pass on).
    let h3 = handle_dup(h2, RIGHT_WAIT | RIGHT_SIGNAL).unwrap_or(Handle(0));
    expect(
        "no rights gained",
        handle_dup(h3, RIGHT_SIGNAL),
        Err(Errno::BadHandle),
    );
    for bad in [0, 1, 0xFF, 0x1FF, 0x7FFF_FFFF, u32::MAX] {
        expect(
            "close of a made-up handle",
            handle_close(Handle(bad)),
            Err(Errno::BadHandle),
        );
    }
    let raw = user::syscall(abi::HANDLE_CLOSE, [0xDEAD_BEEF, 0, 0, 0]).0;
    expect(
        "raw close of garbage",
        Errno::check(raw),
        Err(Errno::BadHandle),
    );
    // Fill the table: g, h2 and h3 are in use.
    let mut made = 0;
    let full = loop {
        match handle_dup(g, RIGHT_WAIT) {
            Ok(_) => made += 1,
            Err(e) => break e,
        }
        if made > 1000 {
            break Errno::Inval;
        }
    };
    expect("a full table", full, Errno::NoMem);
    println!("handles: table full after {} handles", made + 3);
    expect("the grant still works", handle_close(g), Ok(()));
    expect("closed grant", handle_dup(g, 0), Err(Errno::BadHandle));
    // SAFETY: single-threaded.
    let wrong = unsafe { WRONG };
    println!("handles: {wrong} wrong answers");
    wrong
}
