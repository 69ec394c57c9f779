//! Benchmark program (`cargo xtask bench`, `boot_to_first_task`): the first
//! task the benchmark image starts.
//!
//! Its very first instruction reads the low word of the Cortex-A9 global
//! timer's counter from the address in `r0` (the argument): the kernel maps
//! the timer into the process (device 0) before the task first runs, at an
//! address it predicts and checks. The value becomes the exit code, so the
//! program needs no memory of its own. There is no Rust entry (no
//! `user::main!`): `_start` is these four instructions.

#![no_std]
#![no_main]

// The user library: its panic handler (nothing here can panic).
use user as _;

core::arch::global_asm!(
    ".section .text.start, \"ax\"",
    ".global _start",
    ".type _start, %function",
    "_start:",
    // The first user instruction: counter low word, from the mapped timer.
    "    ldr r0, [r0]",
    "    mov r7, #{exit}",
    "    svc #0",
    "1:  b 1b",
    exit = const user::abi::EXIT,
);
