//! The Rust side of the set-up: the bare-metal target and the components
//! `rust-toolchain.toml` names.
//!
//! rustup installs them when it installs the pinned toolchain, but not when the
//! toolchain is already there without them (auto-install off, a linked
//! toolchain): then the first build fails with "can't find crate for `core`".
//! Every command that builds an image calls [`ensure_installed`] first, which
//! adds what is missing with rustup (saying so) or stops naming the fix.

use crate::{EXIT_USAGE, Error, Result};
use std::path::Path;
use std::process::Command;

/// The target every kernel image and user program is built for.
pub const TARGET: &str = "armv7a-none-eabi";

/// Makes sure the pinned toolchain has [`TARGET`]'s standard library.
pub fn ensure_installed() -> Result<()> {
    if target_installed() {
        return Ok(());
    }
    eprintln!("the Rust target {TARGET} is missing: installing it with rustup ...");
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .current_dir(workspace_root())
        .status();
    match added {
        Ok(status) if status.success() && target_installed() => Ok(()),
        Ok(_) | Err(_) => Err(Error::new(
            EXIT_USAGE,
            format!(
                "the Rust target {TARGET} is not installed and rustup could not add it; \
                 run `rustup target add {TARGET}` in this directory and try again"
            ),
        )),
    }
}

/// Whether the sysroot of the toolchain cargo uses here holds the target.
fn target_installed() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc)
        .args(["--print", "sysroot"])
        .current_dir(workspace_root())
        .output()
    else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .join("lib")
        .is_dir()
}

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
}
