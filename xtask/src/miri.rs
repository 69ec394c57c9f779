//! `cargo xtask test --miri`: the host tests of the crates' `unsafe` code
//! under Miri, which reports undefined behaviour (dangling pointers, lost
//! provenance, aliasing violations, leaks) the ordinary run cannot see.
//!
//! Miri ships only with nightly toolchains, never with the pinned stable
//! one, so this runs `cargo miri` on the `nightly` toolchain. When that has
//! no Miri, it is installed with rustup (saying so); if that fails the
//! command stops and names the rustup command that fixes it.
//!
//! What runs ([`SUITES`]): the zone allocator's tests (its slabs and
//! intrusive free lists are raw pointers into pages) and the page-table
//! code of `arch::mmu::pmap` (raw table writes). Miri is slow (minutes), so the
//! property tests take fewer cases under it (`cfg!(miri)`), and it is not
//! part of the default `cargo xtask test`.

use std::process::{Command, Stdio};

use crate::{Error, Result, cargo};

/// The toolchain that has Miri.
const TOOLCHAIN: &str = "nightly";

/// (package, test filter, MIRIFLAGS) run under Miri. Isolation is off
/// because proptest reads the working directory; the pmap tests leak their
/// counter arrays on purpose (`counts()`), so leaks are not reported there
/// (they are for the zone allocator, whose pages must all come back).
const SUITES: &[(&str, &str, &str)] = &[
    ("kernel", "mm::zones", "-Zmiri-disable-isolation"),
    (
        "arch",
        "mmu::pmap",
        "-Zmiri-disable-isolation -Zmiri-ignore-leaks",
    ),
];

fn miri_works() -> bool {
    Command::new("rustup")
        .args(["run", TOOLCHAIN, "cargo", "miri", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn rustup(args: &[&str]) -> bool {
    Command::new("rustup")
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

/// Makes sure `cargo +nightly miri` runs, installing what is missing.
fn ensure_miri() -> Result<()> {
    if miri_works() {
        return Ok(());
    }
    eprintln!(
        "Miri is not installed (it ships only with nightly toolchains): installing it with rustup ..."
    );
    let toolchain_there = Command::new("rustup")
        .args(["run", TOOLCHAIN, "rustc", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let components = ["miri", "rust-src"];
    let installed = if toolchain_there {
        let mut args = vec!["component", "add", "--toolchain", TOOLCHAIN];
        args.extend(components);
        rustup(&args)
    } else {
        rustup(&[
            "toolchain",
            "install",
            TOOLCHAIN,
            "--profile",
            "minimal",
            "--component",
            "miri,rust-src",
        ])
    };
    if installed && miri_works() {
        return Ok(());
    }
    Err(Error::new(
        1,
        "Miri is not available and rustup could not install it (no network, or no \
         nightly with Miri for this host). Run `rustup toolchain install nightly \
         --component miri,rust-src` and try again; the pinned stable toolchain has no Miri",
    ))
}

/// Runs every suite under Miri; returns (passed, failed) suites.
pub fn run() -> Result<(usize, usize)> {
    ensure_miri()?;
    let (mut passed, mut failed) = (0, 0);
    for (package, filter, flags) in SUITES {
        println!("== miri: {package} {filter}");
        let status = Command::new("rustup")
            .args(["run", TOOLCHAIN, "cargo", "miri", "test", "--package"])
            .arg(package)
            .args(["--lib", "--", filter])
            .env("MIRIFLAGS", flags)
            .current_dir(cargo::workspace_root())
            .status()
            .map_err(|e| Error::new(1, format!("could not run cargo miri: {e}")))?;
        if status.success() {
            passed += 1;
        } else {
            println!(
                "miri: {package} {filter} FAILED ({})",
                cargo::describe(status)
            );
            failed += 1;
        }
    }
    Ok((passed, failed))
}
