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

/// Spawns the embedded program `prog` as process `name` of `class` at
/// priority 20 (below a test's main thread, so it runs only while main
/// waits), with `arg` in r0; a hard process gets a 4 MiB budget. Panics
/// (fails the test) if the spawn is refused.
pub fn spawn_at_20(name: &'static str, class: kernel::process::Class, prog: &str, arg: u32) -> u16 {
    let budget = if class == kernel::process::Class::HardIsolated {
        4 << 20
    } else {
        0
    };
    let s = kernel::process::Spec {
        priority: 20,
        budget,
        ..spec(name, class, arg)
    };
    kernel::process::spawn_process(&s, program(prog)).expect(name)
}

/// The embedded user program `name` (built by `cargo xtask`).
pub fn program(name: &str) -> &'static [u8] {
    kernel::process::program(name).unwrap_or_else(|| panic!("user program {name} not embedded"))
}

/// The number given as `name=N` (decimal, or hex with `0x`) on the
/// semihosting command line (QEMU's `-semihosting-config arg=...`, which
/// `cargo xtask soak` sets), if any: how a long run gets its parameters.
pub fn param(name: &str) -> Option<u64> {
    let mut buf = [0u8; 512];
    let line = arch::debug::command_line(&mut buf)?;
    line.split_ascii_whitespace().find_map(|word| {
        let value = word.strip_prefix(name)?.strip_prefix('=')?;
        match value.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => value.parse().ok(),
        }
    })
}

/// A checksum (FNV-1a over words) of `[start, end)` of the kernel's own
/// address space: kernel text and read-only data must never change.
pub fn checksum(start: u32, end: u32) -> u32 {
    let mut h = 0x811C_9DC5u32;
    for a in (start..end).step_by(4) {
        // SAFETY: the caller names a mapped, readable range of the kernel
        // image (text, rodata); reading it has no side effect.
        let w = unsafe { (a as *const u32).read_volatile() };
        h = (h ^ w).wrapping_mul(0x0100_0193);
    }
    h
}

/// Kernel text and read-only data, checksummed (see [`checksum`]).
pub fn image_checksum() -> (u32, u32) {
    use kernel::boot::sym;
    (
        checksum(sym::text_start(), sym::text_end()),
        checksum(sym::rodata_start(), sym::rodata_end()),
    )
}
