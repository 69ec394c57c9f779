//! The command line: parsing by hand (no dependencies) and the help text.

use crate::args::{DEFAULT_BOARD, board_names, board_option, lookup_board, take_boards};
use crate::board::{self, Board};
use crate::test::TestOptions;
use crate::{Error, Result};

/// A parsed command line.
#[derive(Debug)]
pub enum Command {
    /// `help`, `--help`, `-h` or no arguments.
    Help,
    /// `run [--board NAME] [--gdb] [--irqsoff]`.
    Run {
        /// The board to build for and emulate.
        board: &'static Board,
        /// Stop before the first instruction and wait for GDB.
        gdb: bool,
        /// Build the IRQs-off profiler in (kernel feature `irqsoff`).
        irqsoff: bool,
    },
    /// `test [--board NAME]... [--host] [--qemu] [--miri] [FILTER]`.
    Test(TestOptions),
    /// `bench ...`: its raw arguments ([`take_boards`] picks out the
    /// `--board` options).
    Bench(Vec<String>),
    /// `soak ...` (see [`crate::soak`]).
    Soak(crate::soak::SoakOptions),
    /// `image [--board NAME] [--irqsoff]`.
    Image {
        /// The board to make boot files for.
        board: &'static Board,
        /// Build the IRQs-off profiler in (kernel feature `irqsoff`).
        irqsoff: bool,
    },
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
        "image" => parse_image(rest),
        "soak" if rest.iter().any(|a| a == "-h" || a == "--help") => Ok(Command::Help),
        "soak" => crate::soak::parse(rest).map(Command::Soak),
        other => Err(Error::usage(format!(
            "unknown command '{other}'; run `cargo xtask help` for the list of commands"
        ))),
    }
}

fn parse_run(args: &[String]) -> Result<Command> {
    let mut board = None;
    let mut gdb = false;
    let mut irqsoff = false;
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
            "--irqsoff" => irqsoff = true,
            "-h" | "--help" => return Ok(Command::Help),
            _ => return Err(unknown_argument("run", arg)),
        }
    }
    let board = match board {
        Some(board) => board,
        None => lookup_board(DEFAULT_BOARD)?,
    };
    Ok(Command::Run {
        board,
        gdb,
        irqsoff,
    })
}

fn parse_image(args: &[String]) -> Result<Command> {
    let (boards, rest) = take_boards(args)?;
    let mut irqsoff = false;
    for arg in &rest {
        match arg.as_str() {
            "--irqsoff" => irqsoff = true,
            "-h" | "--help" => return Ok(Command::Help),
            _ => return Err(unknown_argument("image", arg)),
        }
    }
    let board = match boards[..] {
        [] => lookup_board(DEFAULT_BOARD)?,
        [board] => board,
        _ => return Err(Error::usage("`cargo xtask image` takes one --board")),
    };
    Ok(Command::Image { board, irqsoff })
}

fn parse_test(args: &[String]) -> Result<Command> {
    let mut options = TestOptions {
        boards: Vec::new(),
        host: false,
        qemu: false,
        miri: false,
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
                "--miri" => {
                    options.miri = true;
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
    if !options.host && !options.qemu && !options.miri {
        options.host = true;
        options.qemu = true;
    }
    if options.boards.is_empty() {
        options.boards = board::ALL.to_vec();
    }
    Ok(Command::Test(options))
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
    cargo xtask run [--board NAME] [--gdb] [--irqsoff]
        Build the demo kernel for board NAME (default: {default}) and boot it
        in qemu-system-arm with the console on this terminal. Exits with the
        kernel's exit status (0 success, 1 test failure, 101 panic,
        102 unexpected exception or fault).
        --gdb          freeze the CPU at start and wait for GDB on tcp::1234
        --irqsoff      build the IRQs-off profiler in (kernel feature
                       `irqsoff`; `test` always does, `bench` in its
                       second run)

    cargo xtask test [--board NAME]... [--host] [--qemu] [--miri] [FILTER]
        Run the host unit tests (cargo test -p arch -p drivers -p kernel -p xtask)
        and boot each integration test tests/src/bin/<name>.rs in QEMU, several
        at a time, on every board, plus uimage_boot (the demo booted from the
        uImage of `cargo xtask image`). Prints one line per test, a summary
        per board, then `N passed, M failed`; exits with 1 if any failed.
        The images are built with the IRQs-off profiler (kernel feature
        `irqsoff`).
        --board NAME   QEMU tests on this board only (repeatable; default: all)
        --host         only the host unit tests
        --qemu         only the QEMU integration tests
        --miri         the host tests of the unsafe code (zone allocator,
                       page tables) under Miri, on the nightly toolchain
                       (installed with rustup if missing; minutes; not in
                       the default run)
        FILTER         only tests whose name contains FILTER (QEMU test names
                       are <board>/<name>; FILTER is also given to cargo test)

    cargo xtask image [--board NAME] [--irqsoff]
        Build the demo kernel for board NAME (default: {default}) and write
        the files a real board boots from to target/images/NAME/: kernel.elf
        (JTAG, U-Boot bootelf -p), kernel.bin (raw, for RAM base + 1 MiB) and
        uImage (U-Boot bootm). See README, \"Running on a Zynq board\".
        --irqsoff      build the IRQs-off profiler in

{bench}
{soak}
    cargo xtask help           this text

BOARDS: {boards}

{directives}",
        default = DEFAULT_BOARD,
        boards = board_names(),
        directives = crate::test::DIRECTIVES_HELP,
        bench = crate::bench::HELP
            .lines()
            .map(|line| format!("    {line}\n"))
            .collect::<String>(),
        soak = crate::soak::HELP
            .lines()
            .map(|line| format!("    {line}\n"))
            .collect::<String>(),
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
            Ok(Command::Run {
                board,
                gdb,
                irqsoff,
            }) => {
                assert_eq!(board.name, DEFAULT_BOARD);
                assert!(!gdb && !irqsoff);
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
                Ok(Command::Run { board, gdb, .. }) => {
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
    fn bench_keeps_its_arguments() {
        assert!(matches!(parse_str("bench x"), Ok(Command::Bench(a)) if a == ["x"]));
    }

    #[test]
    fn image_board() {
        match parse_str("image") {
            Ok(Command::Image { board, irqsoff }) => {
                assert_eq!(board.name, DEFAULT_BOARD);
                assert!(!irqsoff);
            }
            other => panic!("{other:?}"),
        }
        match parse_str("image --board xilinx-zynq-a9 --irqsoff") {
            Ok(Command::Image { board, irqsoff }) => {
                assert_eq!(board.name, "xilinx-zynq-a9");
                assert!(irqsoff);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_str("image --board nonsense").unwrap_err().status, 2);
        assert_eq!(parse_str("image extra").unwrap_err().status, 2);
        let two = "image --board vexpress-a9 --board xilinx-zynq-a9";
        assert_eq!(parse_str(two).unwrap_err().status, 2);
        assert!(matches!(parse_str("image --help"), Ok(Command::Help)));
    }

    #[test]
    fn take_boards_for_multi_board_commands() {
        let args: Vec<String> =
            "--board=xilinx-zynq-a9 -n 5 --board realview-pbx-a9 x --board xilinx-zynq-a9"
                .split_whitespace()
                .map(String::from)
                .collect();
        let (boards, rest) = take_boards(&args).unwrap();
        assert_eq!(names(&boards), ["xilinx-zynq-a9", "realview-pbx-a9"]);
        assert_eq!(rest, ["-n", "5", "x"]);
        let args = vec!["--board".to_string(), "nonsense".to_string()];
        let err = take_boards(&args).unwrap_err();
        assert_eq!(err.status, 2);
        assert!(err.message.starts_with("unknown board 'nonsense'"));
        assert!(take_boards(&["--board".to_string()]).is_err());
    }

    #[test]
    fn unknown_board_is_refused_by_every_command() {
        for line in [
            "run --board nonsense",
            "test --board nonsense",
            "test --qemu --board=nonsense",
            "image --board nonsense",
        ] {
            let err = parse_str(line).unwrap_err();
            assert_eq!(err.status, 2, "{line}");
            assert!(err.message.contains("unknown board 'nonsense'"), "{line}");
        }
    }

    #[test]
    fn usage_mentions_every_command_and_board() {
        let text = usage();
        for word in [
            "xtask run",
            "xtask test",
            "xtask bench",
            "xtask image",
            "xtask soak",
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
