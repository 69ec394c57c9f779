//! The command line: parsing by hand (no dependencies) and the help text.

use crate::board::{self, Board};
use crate::{Error, Result};

/// The board `run` (and later `bench` and `image`) use without `--board`.
/// This is the only board name the xtask knows by heart; `test` runs every
/// board of [`board::ALL`] by default.
pub const DEFAULT_BOARD: &str = "vexpress-a9";

/// A parsed command line.
#[derive(Debug)]
pub enum Command {
    /// `help`, `--help`, `-h` or no arguments.
    Help,
    /// `run [--board NAME] [--gdb]`.
    Run {
        /// The board to build for and emulate.
        board: &'static Board,
        /// Stop before the first instruction and wait for GDB.
        gdb: bool,
    },
    /// `test [--board NAME]... [--host] [--qemu] [FILTER]`.
    Test(TestOptions),
    /// `bench ...` (not implemented yet): its raw arguments.
    Bench(Vec<String>),
    /// `image ...` (not implemented yet): its raw arguments.
    Image(Vec<String>),
}

/// Options of `cargo xtask test`.
#[derive(Debug)]
pub struct TestOptions {
    /// Boards to run the QEMU tests on, in order (every board by default).
    pub boards: Vec<&'static Board>,
    /// Run the host unit tests.
    pub host: bool,
    /// Run the QEMU integration tests.
    pub qemu: bool,
    /// Only tests whose name contains this.
    pub filter: Option<String>,
}

/// Parses the arguments that follow `cargo xtask`.
pub fn parse(args: &[String]) -> Result<Command> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    match command.as_str() {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "run" => parse_run(rest),
        "test" => parse_test(rest),
        "bench" => Ok(Command::Bench(rest.to_vec())),
        "image" => Ok(Command::Image(rest.to_vec())),
        other => Err(Error::usage(format!(
            "unknown command '{other}'; run `cargo xtask help` for the list of commands"
        ))),
    }
}

fn parse_run(args: &[String]) -> Result<Command> {
    let mut board = None;
    let mut gdb = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if let Some(name) = board_option(arg, &mut args)? {
            if board.is_some() {
                return Err(Error::usage("`cargo xtask run` takes one --board"));
            }
            board = Some(lookup_board(&name)?);
            continue;
        }
        match arg.as_str() {
            "--gdb" => gdb = true,
            "-h" | "--help" => return Ok(Command::Help),
            _ => return Err(unknown_argument("run", arg)),
        }
    }
    let board = match board {
        Some(board) => board,
        None => lookup_board(DEFAULT_BOARD)?,
    };
    Ok(Command::Run { board, gdb })
}

fn parse_test(args: &[String]) -> Result<Command> {
    let mut options = TestOptions {
        boards: Vec::new(),
        host: false,
        qemu: false,
        filter: None,
    };
    let mut only_positional = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if !only_positional {
            if let Some(name) = board_option(arg, &mut args)? {
                let board = lookup_board(&name)?;
                if !options.boards.iter().any(|b| b.name == board.name) {
                    options.boards.push(board);
                }
                continue;
            }
            match arg.as_str() {
                "--host" => {
                    options.host = true;
                    continue;
                }
                "--qemu" => {
                    options.qemu = true;
                    continue;
                }
                "-h" | "--help" => return Ok(Command::Help),
                "--" => {
                    only_positional = true;
                    continue;
                }
                _ if arg.starts_with('-') => return Err(unknown_argument("test", arg)),
                _ => {}
            }
        }
        if options.filter.is_some() {
            return Err(Error::usage(format!(
                "`cargo xtask test` takes one FILTER; '{arg}' is a second one"
            )));
        }
        options.filter = Some(arg.clone());
    }
    if !options.host && !options.qemu {
        options.host = true;
        options.qemu = true;
    }
    if options.boards.is_empty() {
        options.boards = board::ALL.to_vec();
    }
    Ok(Command::Test(options))
}

/// Recognises `--board NAME` and `--board=NAME`; returns the name.
fn board_option<'a>(
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
fn board_names() -> String {
    board::ALL
        .iter()
        .map(|b| b.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_argument(command: &str, arg: &str) -> Error {
    Error::usage(format!(
        "unknown argument '{arg}' for `cargo xtask {command}`; run `cargo xtask help` for usage"
    ))
}

/// The text printed by `cargo xtask help`.
pub fn usage() -> String {
    format!(
        "\
cargo xtask: build, run and test the kernel (run from anywhere in the workspace)

USAGE:
    cargo xtask run [--board NAME] [--gdb]
        Build the demo kernel for board NAME (default: {default}) and boot it
        in qemu-system-arm with the console on this terminal. Exits with the
        kernel's exit status (0 success, 1 test failure, 101 panic,
        102 unexpected exception or fault).
        --gdb          freeze the CPU at start and wait for GDB on tcp::1234

    cargo xtask test [--board NAME]... [--host] [--qemu] [FILTER]
        Run the host unit tests (cargo test -p arch -p drivers -p kernel -p xtask)
        and boot each integration test tests/src/bin/<name>.rs in QEMU, several
        at a time. Prints one line per test, then `N passed, M failed`; exits
        with 1 if any test failed.
        --board NAME   QEMU tests on this board only (repeatable; default: all)
        --host         only the host unit tests
        --qemu         only the QEMU integration tests
        FILTER         only tests whose name contains FILTER (QEMU test names
                       are <board>/<name>; FILTER is also given to cargo test)

    cargo xtask bench          (not implemented yet)
    cargo xtask image          (not implemented yet)
    cargo xtask help           this text

BOARDS: {boards}

{directives}",
        default = DEFAULT_BOARD,
        boards = board_names(),
        directives = crate::test::DIRECTIVES_HELP,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&args)
    }

    fn test_options(line: &str) -> TestOptions {
        match parse_str(line) {
            Ok(Command::Test(options)) => options,
            other => panic!("`{line}` parsed as {other:?}"),
        }
    }

    fn names(boards: &[&Board]) -> Vec<&'static str> {
        boards.iter().map(|b| b.name).collect()
    }

    #[test]
    fn help_forms() {
        for line in ["", "help", "--help", "-h", "run --help", "test -h"] {
            assert!(matches!(parse_str(line), Ok(Command::Help)), "{line}");
        }
    }

    #[test]
    fn run_defaults_to_the_default_board() {
        match parse_str("run") {
            Ok(Command::Run { board, gdb }) => {
                assert_eq!(board.name, DEFAULT_BOARD);
                assert!(!gdb);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn run_with_board_and_gdb() {
        let first = board::ALL[0].name;
        for line in [
            format!("run --gdb --board {first}"),
            format!("run --board={first} --gdb"),
        ] {
            match parse_str(&line) {
                Ok(Command::Run { board, gdb }) => {
                    assert_eq!(board.name, first);
                    assert!(gdb);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn run_rejects_extra_arguments() {
        let err = parse_str("run foo").unwrap_err();
        assert_eq!(err.status, 2);
        assert!(err.message.contains("'foo'"));
        let first = board::ALL[0].name;
        assert!(parse_str(&format!("run --board {first} --board {first}")).is_err());
    }

    #[test]
    fn unknown_board_lists_the_known_ones() {
        let err = parse_str("run --board nosuch").unwrap_err();
        assert_eq!(err.status, 2);
        assert_eq!(
            err.message,
            format!("unknown board 'nosuch'; known boards: {}", board_names())
        );
        assert!(parse_str("test --board=nosuch").is_err());
    }

    #[test]
    fn board_needs_a_value() {
        assert_eq!(parse_str("test --board").unwrap_err().status, 2);
    }

    #[test]
    fn test_defaults_to_everything() {
        let options = test_options("test");
        assert!(options.host && options.qemu);
        assert_eq!(options.filter, None);
        assert_eq!(names(&options.boards), names(board::ALL));
    }

    #[test]
    fn test_parts_and_filter() {
        let options = test_options("test --host sched");
        assert!(options.host && !options.qemu);
        assert_eq!(options.filter.as_deref(), Some("sched"));

        let options = test_options("test ipc --qemu");
        assert!(!options.host && options.qemu);
        assert_eq!(options.filter.as_deref(), Some("ipc"));

        let options = test_options("test --qemu --host");
        assert!(options.host && options.qemu);

        let options = test_options("test -- --odd");
        assert_eq!(options.filter.as_deref(), Some("--odd"));
    }

    #[test]
    fn test_board_is_repeatable_without_duplicates() {
        let first = board::ALL[0].name;
        let options = test_options(&format!("test --board {first} --board={first}"));
        assert_eq!(names(&options.boards), vec![first]);
    }

    #[test]
    fn test_rejects_two_filters_and_unknown_options() {
        assert_eq!(parse_str("test a b").unwrap_err().status, 2);
        assert_eq!(parse_str("test --verbose").unwrap_err().status, 2);
    }

    #[test]
    fn unknown_command() {
        let err = parse_str("frobnicate").unwrap_err();
        assert_eq!(err.status, 2);
        assert!(err.message.contains("'frobnicate'"));
    }

    #[test]
    fn bench_and_image_keep_their_arguments() {
        assert!(matches!(parse_str("bench x"), Ok(Command::Bench(a)) if a == ["x"]));
        assert!(matches!(parse_str("image"), Ok(Command::Image(a)) if a.is_empty()));
    }

    #[test]
    fn usage_mentions_every_command_and_board() {
        let text = usage();
        for word in [
            "xtask run",
            "xtask test",
            "xtask bench",
            "xtask image",
            "xtask help",
        ] {
            assert!(text.contains(word), "{word}");
        }
        for board in board::ALL {
            assert!(text.contains(board.name));
        }
        assert!(text.contains("expect-exit"));
    }
}
