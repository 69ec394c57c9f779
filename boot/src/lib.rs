//! The boot stub: the kernel's first instructions, in ARM assembly.
//!
//! `start.s` runs at the physical load address with the MMU off, builds the boot
//! translation table (1 MiB sections for RAM, 4 KiB pages with W^X rights for the
//! kernel image), enables the MMU and caches, jumps to the higher half at
//! 0xC000_0000, sets every exception mode's stack, zeroes BSS and calls
//! `kernel_entry(&BootInfo)`, which the `kernel` crate defines.
//!
//! Dependencies: none. The stub reads only linker symbols (`linker.ld` and the
//! board's generated `board.ld`); this crate exists so the assembly is linked
//! into every kernel image that depends on it.

#![no_std]

#[cfg(all(target_arch = "arm", target_os = "none"))]
core::arch::global_asm!(include_str!("start.s"), options(raw));
