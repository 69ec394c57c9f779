//! System calls from user mode: decoding, checking, dispatch.
//!
//! The ABI is in [`abi`]. Every pointer and length from user space is checked
//! against the caller's own page tables before use ([`copy_from_user`]): the
//! range must lie in the user half, not wrap, and every page of it must be
//! mapped readable by user mode as normal memory. The bytes are then read
//! through the kernel's linear map, never through the user address, so a bad
//! pointer is an error code and can never fault the kernel.

pub mod abi;

#[cfg(target_os = "none")]
mod dispatch;
#[cfg(target_os = "none")]
pub use dispatch::*;
#[cfg(target_os = "none")]
mod memory;
#[cfg(target_os = "none")]
mod watchdog;
