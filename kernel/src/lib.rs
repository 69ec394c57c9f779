//! The kernel proper: boot sequence, console, memory management, tasks.
//!
//! This crate holds policy and bookkeeping, in safe code wherever it can: it has
//! no inline assembly and touches no device registers. It reaches the CPU
//! through `arch` and devices through `drivers`; the board it runs on is chosen
//! at build time (`KERNEL_BOARD`, see `build.rs`) from the data in [`board`].
//! Pure logic (allocators, queues, parsers) builds on the host and is
//! unit-tested there; the rest exists only for `target_os = "none"`.
//!
//! Dependency rule: `kernel` -> `arch`, `drivers`, `boot`; never the reverse.

#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod board;
#[cfg(target_os = "none")]
pub mod cache;
pub mod clocks;
pub mod console;
#[cfg(target_os = "none")]
pub mod context;
#[cfg(target_os = "none")]
pub mod demo;
pub mod handle;
pub mod ipc;
pub mod irqsoff;
pub mod layout;
pub mod loader;
pub mod mm;
pub mod object;
#[cfg(target_os = "none")]
pub mod process;
pub mod syscall;
pub mod thread;

#[cfg(target_os = "none")]
mod user_images {
    include!(concat!(env!("OUT_DIR"), "/user_images.rs"));
}

#[cfg(target_os = "none")]
pub mod boot;
#[cfg(target_os = "none")]
pub mod irq;
#[cfg(target_os = "none")]
mod panic;
#[cfg(target_os = "none")]
pub mod safe_end;
#[cfg(target_os = "none")]
pub mod sync;
#[cfg(target_os = "none")]
pub mod time;
#[cfg(target_os = "none")]
pub mod trap;
#[cfg(target_os = "none")]
pub mod vfp;
#[cfg(target_os = "none")]
pub mod watchdog;

#[cfg(target_os = "none")]
pub use boot::{BootInfo, exit};

/// The board this kernel was built for, with the RAM it was built for (the
/// board file's, unless the build overrode it with `KERNEL_RAM_MIB`; see
/// `kernel/build.rs`).
pub const BOARD: &board::Board = &board::Board {
    ram_size: parse_u32(env!("KERNEL_RAM_SIZE")),
    ..*match board::by_name(env!("KERNEL_BOARD_NAME")) {
        Some(b) => b,
        None => panic!("KERNEL_BOARD_NAME names no board"),
    }
};

/// A decimal number from the build script, at compile time.
const fn parse_u32(s: &str) -> u32 {
    let s = s.as_bytes();
    let mut n = 0u32;
    let mut i = 0;
    while i < s.len() {
        assert!(s[i].is_ascii_digit(), "not a decimal number");
        n = n * 10 + (s[i] - b'0') as u32;
        i += 1;
    }
    n
}

/// Exit statuses a run ends with (QEMU's exit status through semihosting,
/// in an image built for QEMU; see [`safe_end`] for a board).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ExitCode {
    /// The demo or test finished and everything it checked held.
    Success = 0,
    /// A test's check failed.
    Failure = 1,
    /// The kernel panicked.
    Panic = 101,
    /// An exception the kernel could not handle (kernel fault, undefined
    /// instruction, unexpected interrupt vector).
    Fault = 102,
}

/// Defines the function the kernel calls once it has booted.
///
/// A kernel image (the demo in `main.rs`, each integration test in `tests/`)
/// is `#![no_std] #![no_main]` plus `kernel::entry!(main);` with
/// `fn main()`. When `main` returns the run ends with [`ExitCode::Success`].
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __kernel_main() {
            let main: fn() = $main;
            main()
        }
    };
}
