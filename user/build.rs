//! Links each user program with its linker script: `hard_*` programs with
//! `hard.ld` (every segment in its own 1 MiB section, as hard isolated tasks
//! map only sections), the rest with `user.ld` (4 KiB pages).

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
        let script = if name.starts_with("hard_") {
            "hard.ld"
        } else {
            "user.ld"
        };
        println!(
            "cargo:rustc-link-arg-bin={name}=-T{}",
            dir.join(script).display()
        );
    }
}
