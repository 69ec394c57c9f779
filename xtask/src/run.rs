//! `cargo xtask run`: build the demo kernel and boot it on the terminal.

use std::path::{Path, PathBuf};

use crate::board::Board;
use crate::{Result, cargo, qemu};

/// Builds the kernel for `board`, boots it with the console on this terminal
/// and returns QEMU's exit status (the kernel's). `irqsoff` builds the
/// IRQs-off profiler in.
pub fn run(board: &Board, gdb: bool, irqsoff: bool) -> Result<u8> {
    let qemu = qemu::ensure_installed()?;
    let elf = cargo::build_kernel(board, irqsoff, cargo::Target::Qemu)?;
    if gdb {
        println!(
            "QEMU waits for GDB on port {port}; attach with:\n    \
             gdb-multiarch {elf} -ex 'target remote :{port}'",
            port = qemu::GDB_PORT,
            elf = short_path(&elf).display(),
        );
    }
    eprintln!(
        "running: {}",
        qemu::display_command(&qemu, board, &elf, gdb)
    );
    let status = qemu::run_interactive(&qemu, board, &elf, gdb)?;
    Ok(exit_code(status))
}

/// `path` relative to the current directory when it is below it.
pub fn short_path(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|dir| path.strip_prefix(dir).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}

/// The xtask's exit status for QEMU's: the same, or 128 + N when QEMU was
/// killed by signal N (as a shell reports it).
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(1);
        }
    }
    1
}
