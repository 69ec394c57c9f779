//! Integration tests: each `src/bin/*.rs` is a whole kernel image that
//! `cargo xtask test` boots under qemu-system-arm, one QEMU per image.
//!
//! A test passes when its run ends with the exit status it declares in a
//! `//! expect-exit: N` line (default 0) and its console output contains every
//! `//! expect-output: TEXT` line. An image checks several things with
//! [`check`] and ends with [`finish`], which exits non-zero if any check failed.
//! A check that needs a fault uses `arch::trap::probe*`, which turns the
//! expected abort into a value the check inspects: no fault means failure.

#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{ExitCode, println};

static FAILED: AtomicU32 = AtomicU32::new(0);

/// Records one check and prints `check NAME ... ok|FAILED`.
pub fn check(name: &str, ok: bool) {
    println!("check {name} ... {}", if ok { "ok" } else { "FAILED" });
    if !ok {
        FAILED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Ends the image: success if every check passed.
pub fn finish() -> ! {
    let failed = FAILED.load(Ordering::Relaxed);
    if failed == 0 {
        kernel::exit(ExitCode::Success)
    } else {
        println!("{failed} check(s) failed");
        kernel::exit(ExitCode::Failure)
    }
}

/// A task spec with the usual defaults: a user program `name` of `class`
/// at priority 10 with argument `arg`.
pub fn spec(
    name: &'static str,
    class: kernel::process::Class,
    arg: u32,
) -> kernel::process::Spec<'static> {
    kernel::process::Spec {
        name,
        class,
        priority: 10,
        budget: 0,
        devices: &[],
        handles: &[],
        arg,
        threads: 0,
    }
}

/// The embedded user program `name` (built by `cargo xtask`).
pub fn program(name: &str) -> &'static [u8] {
    kernel::process::program(name).unwrap_or_else(|| panic!("user program {name} not embedded"))
}
