//! `cargo xtask image`: not implemented yet.
//!
//! The place for producing a bootable image of the kernel (for a board, from
//! the ELF that [`crate::cargo::build_kernel`] builds) for use outside
//! `cargo xtask run`.

use crate::{Error, Result};

/// Runs `cargo xtask image ARGS`.
pub fn image(_args: &[String]) -> Result<u8> {
    Err(Error::usage("`cargo xtask image` is not implemented yet"))
}
