//! Board options shared by every command (`--board NAME`, the default board).
//!
//! Below the commands: `cli` and each command's own option parser use it, it
//! uses none of them.

use crate::board::{self, Board};
use crate::{Error, Result};

/// The board `run` and `image` (and `bench`) use without `--board`.
/// This is the only board name the xtask knows by heart; `test` runs every
/// board of [`board::ALL`] by default.
pub const DEFAULT_BOARD: &str = "vexpress-a9";

/// Takes every `--board NAME` (or `--board=NAME`) out of `args`: returns the
/// boards named, in order and without repeats, and the other arguments. For
/// commands that run on several boards (`test` has its own loop because of
/// `--`; `bench` can use this one). An empty list means "not said": the
/// command picks its default (one board, or [`board::ALL`]).
pub fn take_boards(args: &[String]) -> Result<(Vec<&'static Board>, Vec<String>)> {
    let mut boards: Vec<&'static Board> = Vec::new();
    let mut rest = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match board_option(arg, &mut args)? {
            Some(name) => {
                let board = lookup_board(&name)?;
                if !boards.iter().any(|b| b.name == board.name) {
                    boards.push(board);
                }
            }
            None => rest.push(arg.clone()),
        }
    }
    Ok((boards, rest))
}

/// Recognises `--board NAME` and `--board=NAME`; returns the name.
pub fn board_option<'a>(
    arg: &str,
    rest: &mut impl Iterator<Item = &'a String>,
) -> Result<Option<String>> {
    if arg == "--board" {
        match rest.next() {
            Some(name) => Ok(Some(name.clone())),
            None => Err(Error::usage("--board needs a board name")),
        }
    } else if let Some(name) = arg.strip_prefix("--board=") {
        Ok(Some(name.to_string()))
    } else {
        Ok(None)
    }
}

/// Finds a board by name, or the error that lists the known ones.
pub fn lookup_board(name: &str) -> Result<&'static Board> {
    board::by_name(name).ok_or_else(|| {
        Error::usage(format!(
            "unknown board '{name}'; known boards: {}",
            board_names()
        ))
    })
}

/// The names of all boards, comma-separated.
pub fn board_names() -> String {
    board::ALL
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}
