//! The Rust side of the set-up: the targets and components
//! `rust-toolchain.toml` names.
//!
//! rustup installs them when it installs the pinned toolchain, but not when the
//! toolchain is already there without them (auto-install off, a linked
//! toolchain): then the first build fails with "can't find crate for `core`",
//! or `.ci/run` finds no `cargo fmt`. Every command that builds an image calls
//! [`ensure_installed`] first, which adds what is missing with rustup (saying
//! so). A missing target it cannot add stops the command, naming the fix; a
//! missing component only warns, since no image needs one to build.

use crate::{EXIT_USAGE, Error, Result};
use std::path::Path;
use std::process::Command;

/// The target every kernel image and user program is built for.
pub const TARGET: &str = "armv7a-none-eabi";

/// Makes sure the pinned toolchain has the targets and components
/// `rust-toolchain.toml` lists.
pub fn ensure_installed() -> Result<()> {
    let pinned = std::fs::read_to_string(workspace_root().join("rust-toolchain.toml"))
        .map(|text| (list(&text, "targets"), list(&text, "components")))
        .unwrap_or_else(|_| (vec![TARGET.to_string()], Vec::new()));
    let (mut targets, components) = pinned;
    if !targets.iter().any(|t| t == TARGET) {
        targets.push(TARGET.to_string());
    }
    for target in &targets {
        ensure_target(target)?;
    }
    ensure_components(&components);
    Ok(())
}

fn ensure_target(target: &str) -> Result<()> {
    if target_installed(target) {
        return Ok(());
    }
    eprintln!("the Rust target {target} is missing: installing it with rustup ...");
    let added = rustup(&["target", "add", target]);
    if added && target_installed(target) {
        return Ok(());
    }
    Err(Error::new(
        EXIT_USAGE,
        format!(
            "the Rust target {target} is not installed and rustup could not add it; \
             run `rustup target add {target}` in this directory and try again"
        ),
    ))
}

/// Adds the components rustup does not list as installed; warns (and goes
/// on) when it cannot. Without rustup there is nothing to ask: skipped.
fn ensure_components(components: &[String]) {
    let Ok(out) = Command::new("rustup")
        .args(["component", "list", "--installed"])
        .current_dir(workspace_root())
        .output()
    else {
        return;
    };
    let installed = String::from_utf8_lossy(&out.stdout).into_owned();
    for c in components {
        // Listed as `rustfmt-x86_64-unknown-linux-gnu`, `rust-src`, ...
        let present = installed
            .lines()
            .any(|l| l == c || l.starts_with(&format!("{c}-")) && !l.starts_with("rust-std"));
        if present {
            continue;
        }
        eprintln!("the Rust component {c} is missing: installing it with rustup ...");
        if !rustup(&["component", "add", c]) {
            eprintln!(
                "warning: rustup could not add the component {c}; \
                 run `rustup component add {c}` in this directory"
            );
        }
    }
}

/// The strings of the `key = [ ... ]` line of a TOML file (the one shape
/// `rust-toolchain.toml` uses; a full TOML parser is not needed for it).
fn list(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .find(|l| l.split('=').next().map(str::trim) == Some(key))
        .and_then(|l| l.split_once('='))
        .map(|(_, v)| {
            v.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn rustup(args: &[&str]) -> bool {
    Command::new("rustup")
        .args(args)
        .current_dir(workspace_root())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the sysroot of the toolchain cargo uses here holds the target.
fn target_installed(target: &str) -> bool {
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
        .join(target)
        .join("lib")
        .is_dir()
}

fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
}

#[cfg(test)]
mod tests {
    use super::list;

    #[test]
    fn reads_the_lists_of_rust_toolchain_toml() {
        let text = "[toolchain]\nchannel = \"1.95.0\"\n\
                    components = [\"rustfmt\", \"clippy\", \"rust-src\"]\n\
                    targets = [\"armv7a-none-eabi\"]\n";
        assert_eq!(list(text, "components"), ["rustfmt", "clippy", "rust-src"]);
        assert_eq!(list(text, "targets"), ["armv7a-none-eabi"]);
        assert!(list(text, "profile").is_empty());
        assert!(list("", "targets").is_empty());
    }
}
