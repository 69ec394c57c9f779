//! Integration tests: each `src/bin/*.rs` is a whole kernel image that
//! `cargo xtask test` boots under qemu-system-arm.
//!
//! A test passes when its run ends with the exit status it declares
//! (`//! expect-exit: N`, default 0) and prints every `//! expect-output:` text.
//! This library holds the helpers the test images share.

#![no_std]
