//! `cargo xtask`: the build, run, test and bench driver of the kernel.
//!
//! This program is the one place that knows how to invoke cargo (to build the
//! bare-metal kernel images and to run the host unit tests) and QEMU (to boot
//! those images). Everything else in the workspace is plain Rust crates; the
//! commands people and CI type are `cargo xtask run`, `cargo xtask test`,
//! `cargo xtask image`, `cargo xtask bench` and `cargo xtask soak` (`cargo xtask help` lists
//! them). The boards come from the kernel's own board table, included below,
//! so that a new board needs no change here: every command takes
//! `--board NAME`, and `test` runs every board by default.
//!
//! Modules: [`cli`] parses the command line, [`cargo`] builds images and runs
//! the host tests, [`qemu`] finds, installs and starts QEMU, [`run`] and
//! [`test`](mod@test) and [`image`] implement the commands of the same name
//! (`image` also makes the uImage that `test` boots), [`soak`] the long
//! abuse runs, and
//! [`bench`](mod@bench) is the placeholder for the command still to come.

// The board table is pure `core` data shared with the kernel and its build
// script; the xtask reads only a few fields of it.
#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../../kernel/src/board/mod.rs"]
mod board;

mod args;
mod bench;
mod cargo;
mod cli;
mod hardfloat;
mod image;
mod miri;
mod qemu;
mod run;
mod soak;
mod test;
mod toolchain;

#[cfg(test)]
mod abi_table;

use std::fmt;
use std::process::ExitCode;

/// Exit status for a usage error (bad command line, unknown board, missing
/// tool, command not implemented).
pub const EXIT_USAGE: u8 = 2;

/// Why a command stopped early: the message to print and the exit status.
#[derive(Debug)]
pub struct Error {
    /// Exit status of the xtask.
    pub status: u8,
    /// Printed as `error: <message>` on stderr.
    pub message: String,
}

impl Error {
    /// An error that ends the xtask with `status`.
    pub fn new(status: u8, message: impl Into<String>) -> Self {
        Error {
            status,
            message: message.into(),
        }
    }

    /// A usage error (exit status 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(EXIT_USAGE, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The result of a command: the exit status of the xtask, or an error.
pub type Result<T> = std::result::Result<T, Error>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::parse(&args).and_then(dispatch) {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.status)
        }
    }
}

/// Runs one command and returns the exit status of the xtask.
fn dispatch(command: cli::Command) -> Result<u8> {
    match command {
        cli::Command::Help => {
            print!("{}", cli::usage());
            return Ok(0);
        }
        cli::Command::Run { .. }
        | cli::Command::Test(_)
        | cli::Command::Bench(_)
        | cli::Command::Soak(_)
        | cli::Command::Image { .. } => toolchain::ensure_installed()?,
    }
    match command {
        cli::Command::Help => unreachable!("handled above"),
        cli::Command::Run {
            board,
            gdb,
            irqsoff,
        } => run::run(board, gdb, irqsoff),
        cli::Command::Test(options) => test::test(&options),
        cli::Command::Bench(args) => bench::bench(&args),
        cli::Command::Image { board, irqsoff } => image::image(board, irqsoff),
        cli::Command::Soak(options) => soak::soak(&options),
    }
}
