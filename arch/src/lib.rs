//! The ARMv7-A layer: everything that knows it runs on a Cortex-A.
//!
//! Pure parts build and are unit-tested on the host: the short-descriptor
//! translation-table formats ([`mmu::descriptor`]), fault-status decoding
//! ([`fault`]) and the trap frame layout ([`trap::TrapFrame`]). The parts that
//! touch the CPU (CP15 through `aarch32-cpu`, TLB and cache maintenance,
//! exception vectors, semihosting exit) exist only when built for
//! `target_arch = "arm"`.
//!
//! Dependencies: `aarch32-cpu`, `semihosting` and `bitflags` only. Nothing in
//! this crate knows about the kernel's policies; it reaches the kernel through
//! two symbols the kernel defines: `kernel_trap`, and `kernel_syscall`, which
//! the SVC vector calls for a system call from user mode.

#![cfg_attr(not(test), no_std)]

pub mod cache;
pub mod cpu;
pub mod fault;
pub mod mem;
pub mod mmu;
pub mod trap;
pub mod vfp;

#[cfg(target_arch = "arm")]
pub mod debug;
