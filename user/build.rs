//! Links each user program with its linker script: `hard_*` and
//! `bench_hard_*` programs with `hard.ld` (every segment in its own 1 MiB
//! section, as hard isolated tasks map only sections), the rest with
//! `user.ld` (4 KiB pages). Debug info is stripped: every kernel image embeds
//! every program.

use std::{env, fs, path::PathBuf};

fn main() {
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=user.ld");
    println!("cargo:rerun-if-changed=hard.ld");
    println!("cargo:rerun-if-changed=src/bin");
    for entry in fs::read_dir(dir.join("src/bin")).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let script = if name.starts_with("hard_") || name.starts_with("bench_hard_") {
            "hard.ld"
        } else {
            "user.ld"
        };
        println!(
            "cargo:rustc-link-arg-bin={name}=-T{}",
            dir.join(script).display()
        );
        // Every kernel image embeds every program: drop their debug info.
        println!("cargo:rustc-link-arg-bin={name}=--strip-debug");
        // File offsets need only match addresses modulo 4 KiB (the loader's
        // page size): no 64 KiB padding between segments.
        println!("cargo:rustc-link-arg-bin={name}=-zmax-page-size=4096");
    }
}
