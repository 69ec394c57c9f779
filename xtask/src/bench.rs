//! `cargo xtask bench`: not implemented yet.
//!
//! The place for the benchmark driver: it will build benchmark images like
//! [`crate::cargo::build_tests`] does for the tests, boot them with
//! [`crate::qemu`] (after [`crate::qemu::ensure_installed`]) and report their
//! numbers.

use crate::{Error, Result};

/// Runs `cargo xtask bench ARGS`.
pub fn bench(_args: &[String]) -> Result<u8> {
    Err(Error::usage("`cargo xtask bench` is not implemented yet"))
}
