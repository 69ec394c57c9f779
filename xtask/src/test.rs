//! `cargo xtask test`: the host unit tests, then the QEMU integration tests on
//! each board.
//!
//! # Integration tests
//!
//! Each file `tests/src/bin/<name>.rs` (crate `ktests`) is a whole kernel
//! image. For each board, all of them are built (release, `KERNEL_BOARD` set,
//! in the board's own target directory) and then booted one QEMU each, several
//! at a time. The test's verdict is its exit status, which the kernel reports
//! through semihosting, and its console output.
//!
//! One more test per board, `uimage_boot`, is the harness's own: it boots the
//! demo kernel (built for QEMU, so that it can exit) from a U-Boot image
//! made the way `cargo xtask image` makes it and expects the
//! banner, the cooperating processes' results (the driver's interrupts, no
//! stale sample, the shared ring), `demo: every task met its releases`,
//! `demo: done` and exit status 0.
//!
//! # Directives
//!
//! A test source may carry directives in the `//!` lines at its top (before
//! the first line that is not a comment, a blank line or an inner attribute):
//!
//! - `//! expect-exit: N`: the exit status the run must end with (default
//!   0; the kernel uses 1 for a test failure, 101 for a panic, 102 for an
//!   unexpected exception or fault).
//! - `//! expect-output: TEXT`: TEXT (leading and trailing spaces removed)
//!   must appear in the console output. May be repeated; every TEXT must
//!   appear.
//! - `//! timeout: SECONDS`: QEMU is killed and the test fails after this many
//!   seconds (default 60).
//! - `//! icount: off`: run QEMU without instruction counting (tests run with
//!   `-icount` by default, see [`qemu::TEST_ICOUNT`]), for a test with no
//!   timing checks that uses a device QEMU cannot model under `-icount`.
//! - `//! image: board`: build the test as `cargo xtask image` builds for a
//!   board (without `kernel/qemu`: no semihosting exit) and boot it without
//!   semihosting and with `-no-reboot`, so a reset of the board ends QEMU
//!   with status 0 (the default is `image: qemu`).
//!
//! Other `//!` lines are ordinary documentation. A directive with a bad value,
//! or an unknown `expect-...:` key, makes the test fail with the reason.
//!
//! # Output
//!
//! One line per test, `test <board>/<name> ... ok` or
//! `test <board>/<name> ... FAILED (<reasons>)` followed by the captured
//! console output (QEMU's stdout and stderr) indented by four spaces (its
//! first and last 100 lines if it is longer than that); then a
//! summary line per part (`host: ...`, `qemu <board>: ...`) and finally
//! `N passed, M failed` over all parts.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use crate::board::Board;
use crate::cargo::{self, Target};
use crate::qemu::{self, Outcome};

/// The directives, as `cargo xtask help` shows them.
pub const DIRECTIVES_HELP: &str = "\
TEST DIRECTIVES: `//!` lines at the top of tests/src/bin/<name>.rs
    //! expect-exit: N          the exit status the test must end with
                                (default 0; the kernel exits with 1 on a test
                                failure, 101 on a panic, 102 on a fault)
    //! expect-output: TEXT     TEXT must appear in the console output
                                (repeatable: every TEXT must appear)
    //! timeout: SECONDS        kill QEMU and fail after SECONDS (default 60)
    //! icount: off             run QEMU without -icount (the default is on)
    //! image: board            build and boot it as an image for a board: no
                                semihosting, -no-reboot (a reset exits 0)
    A test passes when its exit status is the expected one and every expected
    output appeared. Other `//!` lines are plain documentation.
";

/// The default of `timeout:`.
const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// At most this many lines of a failed test's output are printed (half from
/// the start, half from the end).
const PRINTED_LINES: usize = 200;

/// Where the integration test sources are, relative to the workspace root.
const TEST_SOURCES: &str = "tests/src/bin";

/// What a test expects of its run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directives {
    /// `expect-exit:`.
    pub expect_exit: i32,
    /// Every `expect-output:`, in order.
    pub expect_output: Vec<String>,
    /// `timeout:`, in seconds.
    pub timeout_secs: u64,
    /// `icount:` (on by default).
    pub icount: bool,
    /// `image:` (QEMU by default).
    pub target: Target,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            expect_exit: 0,
            expect_output: Vec::new(),
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            icount: true,
            target: Target::Qemu,
        }
    }
}

/// Reads the directives from the `//!` lines at the top of a test source.
pub fn parse_directives(source: &str) -> Result<Directives, String> {
    let mut directives = Directives::default();
    for (index, line) in source.lines().enumerate() {
        let line = line.trim();
        let Some(doc) = line.strip_prefix("//!") else {
            if line.is_empty() || line.starts_with("//") || line.starts_with("#!") {
                continue;
            }
            break;
        };
        let Some((key, value)) = doc.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let bad = |what: &str| Err(format!("line {}: {key}: {what}", index + 1));
        match key {
            "expect-exit" => match value.parse::<u8>() {
                Ok(status) => directives.expect_exit = i32::from(status),
                Err(_) => return bad(&format!("'{value}' is not an exit status (0 to 255)")),
            },
            "expect-output" => {
                if value.is_empty() {
                    return bad("the text is empty");
                }
                directives.expect_output.push(value.to_string());
            }
            "timeout" => match value.parse::<u64>() {
                Ok(seconds) if seconds > 0 => directives.timeout_secs = seconds,
                _ => {
                    return bad(&format!(
                        "'{value}' is not a whole number of seconds above 0"
                    ));
                }
            },
            "icount" => match value {
                "on" => directives.icount = true,
                "off" => directives.icount = false,
                _ => return bad(&format!("'{value}' is not on or off")),
            },
            "image" => match value {
                "qemu" => directives.target = Target::Qemu,
                "board" => directives.target = Target::Board,
                _ => return bad(&format!("'{value}' is not qemu or board")),
            },
            _ if key.starts_with("expect-") => {
                return bad("unknown directive (known: expect-exit, expect-output, timeout)");
            }
            _ => {}
        }
    }
    Ok(directives)
}

/// One integration test.
#[derive(Clone, Debug)]
struct TestCase {
    /// The name it is reported under (after `<board>/`).
    name: String,
    /// What it boots.
    kind: Kind,
}

/// What a test boots.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// A binary of `ktests` named like the test; its source holds the
    /// directives.
    Binary {
        /// Its main source file.
        source: PathBuf,
    },
    /// The demo kernel from its U-Boot legacy image (`cargo xtask image`
    /// makes it), the way a board's boot loader gets it: QEMU's `-kernel`
    /// loads the uImage at its header's load address and enters it at the
    /// header's entry point, so this checks the header and the raw binary.
    UImageBoot,
}

/// The name of the [`Kind::UImageBoot`] test.
const UIMAGE_TEST: &str = "uimage_boot";

impl TestCase {
    fn binary(name: &str, source: PathBuf) -> Self {
        TestCase {
            name: name.to_string(),
            kind: Kind::Binary { source },
        }
    }

    fn uimage_boot() -> Self {
        TestCase {
            name: UIMAGE_TEST.to_string(),
            kind: Kind::UImageBoot,
        }
    }
}

/// What the uImage boot must show: the demo's banner and its end, and exit 0
/// (the demo exits 1 when one of its tasks exited non-zero or was late).
fn uimage_directives(board: &Board) -> Directives {
    Directives {
        expect_exit: 0,
        expect_output: vec![
            format!(
                "rtk {} (ARMv7-A real-time microkernel) on {}",
                env!("CARGO_PKG_VERSION"),
                board.name
            ),
            // The cooperating processes (the demo checks the figures and
            // exits 1 when they are wrong; these say it got that far): the
            // driver's interrupts, fresh samples for every control release,
            // the workers' text and the ring each one frame in two
            // processes.
            "control: 125 releases, 0 late, 0 stale samples".to_string(),
            "demo: both workers run one copy of their text".to_string(),
            "demo: the driver's sample ring is frame".to_string(),
            "in 2 processes; shared pages: driver".to_string(),
            "demo: driver, control loop and logger cooperated:".to_string(),
            "demo: every task met its releases".to_string(),
            "demo: done".to_string(),
        ],
        timeout_secs: DEFAULT_TIMEOUT_SECS,
        icount: true,
        target: Target::Qemu,
    }
}

/// Lists the integration tests in `dir`, sorted by name: every `<name>.rs`
/// and every `<name>/main.rs` (cargo's two forms of `src/bin` binaries).
fn discover(dir: &Path) -> io::Result<Vec<TestCase>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut cases = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let case = if path.is_dir() {
            let main = path.join("main.rs");
            let name = path.file_name().and_then(|n| n.to_str());
            match name {
                Some(name) if main.is_file() => TestCase::binary(name, main),
                _ => continue,
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            match path.file_stem().and_then(|n| n.to_str()) {
                Some(name) => TestCase::binary(name, path.clone()),
                None => continue,
            }
        } else {
            continue;
        };
        cases.push(case);
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cases)
}

/// Passed and failed counts of one part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    passed: usize,
    failed: usize,
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
    /// Run the host tests of the `unsafe` code under Miri (`--miri`).
    pub miri: bool,
    /// Only tests whose name contains this.
    pub filter: Option<String>,
}

/// Runs `cargo xtask test`; returns 1 if anything failed, else 0.
pub fn test(options: &TestOptions) -> crate::Result<u8> {
    let filter = options.filter.as_deref();
    let sources = cargo::workspace_root().join(TEST_SOURCES);
    let cases = if options.qemu {
        let mut cases = discover(&sources)
            .map_err(|e| crate::Error::new(1, format!("cannot list {}: {e}", sources.display())))?;
        cases.push(TestCase::uimage_boot());
        cases
    } else {
        Vec::new()
    };
    // Find (or install) QEMU before spending time on anything else.
    let qemu = if cases.is_empty() {
        None
    } else {
        Some(qemu::ensure_installed()?)
    };

    let mut parts: Vec<(String, Tally)> = Vec::new();
    if options.host {
        println!("== host unit tests");
        let host = cargo::host_tests(filter);
        parts.push((
            "host".to_string(),
            Tally {
                passed: host.passed,
                failed: host.failed,
            },
        ));
    }
    if options.miri {
        let (passed, failed) = crate::miri::run()?;
        parts.push(("miri".to_string(), Tally { passed, failed }));
    }
    if options.qemu {
        for board in &options.boards {
            let selected: Vec<TestCase> = cases
                .iter()
                .filter(|case| filter.is_none_or(|f| test_name(board, &case.name).contains(f)))
                .cloned()
                .collect();
            let tally = match &qemu {
                Some(qemu) if !selected.is_empty() => {
                    qemu_tests(board, &selected, qemu, filter.is_some())
                }
                _ => {
                    println!(
                        "\n== QEMU integration tests on {}: none selected",
                        board.name
                    );
                    Tally::default()
                }
            };
            parts.push((format!("qemu {}", board.name), tally));
        }
    }

    println!();
    let mut total = Tally::default();
    for (label, tally) in &parts {
        println!("{label}: {} passed, {} failed", tally.passed, tally.failed);
        total.passed += tally.passed;
        total.failed += tally.failed;
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    Ok(if total.failed > 0 { 1 } else { 0 })
}

/// The name a QEMU test is reported (and filtered) under.
fn test_name(board: &Board, name: &str) -> String {
    format!("{}/{name}", board.name)
}

/// Builds `cases` for `board` and runs them, several QEMUs at a time.
fn qemu_tests(board: &Board, cases: &[TestCase], qemu: &Path, only_these: bool) -> Tally {
    println!("\n== QEMU integration tests on {}", board.name);
    let names: Vec<String> = cases
        .iter()
        .filter(|case| matches!(case.kind, Kind::Binary { .. }))
        .map(|case| case.name.clone())
        .collect();
    // Images for a board are built second, over the QEMU build of the
    // same binaries that building every test made.
    let board_images: Vec<String> = cases
        .iter()
        .filter(|case| case_target(case) == Target::Board)
        .map(|case| case.name.clone())
        .collect();
    let built = if names.is_empty() {
        Ok(())
    } else {
        cargo::build_tests(board, only_these.then_some(&names[..]), Target::Qemu)
    }
    .and_then(|()| {
        if board_images.is_empty() {
            Ok(())
        } else {
            cargo::build_tests(board, Some(&board_images[..]), Target::Board)
        }
    });
    if let Err(error) = built {
        println!("error: {error}");
        return Tally {
            passed: 0,
            failed: 1,
        };
    }
    // The uImage is made before any test runs: its build prints.
    let uimage = cases
        .iter()
        .any(|case| case.kind == Kind::UImageBoot)
        .then(|| {
            // With the profiler, like the tests: the kernel library is
            // built once for both.
            cargo::build_kernel(board, true, Target::Qemu)
                .and_then(|elf| crate::image::write_images(board, &elf))
                .map(|images| images.uimage)
                .map_err(|e| e.message)
        });

    let jobs = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(cases.len());
    let plural = if cases.len() == 1 { "" } else { "s" };
    println!("running {} test{plural}, {jobs} at a time", cases.len());
    let next = AtomicUsize::new(0);
    let tally = Mutex::new(Tally::default());
    thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                while let Some(case) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (reasons, output) = run_one(board, case, qemu, uimage.as_ref());
                    let block = report(&test_name(board, &case.name), &reasons, output.as_deref());
                    {
                        // One write under the lock: blocks never interleave.
                        let mut out = io::stdout().lock();
                        let _ = out.write_all(block.as_bytes()).and_then(|()| out.flush());
                    }
                    let mut tally = tally.lock().unwrap_or_else(|e| e.into_inner());
                    if reasons.is_empty() {
                        tally.passed += 1;
                    } else {
                        tally.failed += 1;
                    }
                }
            });
        }
    });
    tally.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Who a test's image is for (its `image:` directive; QEMU if unreadable,
/// which `run_one` then reports).
fn case_target(case: &TestCase) -> Target {
    match &case.kind {
        Kind::Binary { source } => std::fs::read_to_string(source)
            .ok()
            .and_then(|text| parse_directives(&text).ok())
            .map_or(Target::Qemu, |d| d.target),
        Kind::UImageBoot => Target::Qemu,
    }
}

/// Runs one test; returns why it failed (empty if it passed) and its output
/// (`None` if QEMU did not run). `uimage` is the uImage (or why there is
/// none) when a [`Kind::UImageBoot`] test was selected.
fn run_one(
    board: &Board,
    case: &TestCase,
    qemu: &Path,
    uimage: Option<&std::result::Result<PathBuf, String>>,
) -> (Vec<String>, Option<String>) {
    let (directives, elf) = match &case.kind {
        Kind::Binary { source } => {
            let directives = match std::fs::read_to_string(source) {
                Ok(text) => match parse_directives(&text) {
                    Ok(directives) => directives,
                    Err(e) => return (vec![format!("bad directive, {e}")], None),
                },
                Err(e) => {
                    return (vec![format!("cannot read {}: {e}", source.display())], None);
                }
            };
            match cargo::existing_image(board, &case.name) {
                Ok(elf) => (directives, elf),
                Err(e) => return (vec![e.message], None),
            }
        }
        Kind::UImageBoot => match uimage {
            Some(Ok(path)) => (uimage_directives(board), path.clone()),
            Some(Err(e)) => return (vec![format!("no uImage: {e}")], None),
            None => return (vec!["no uImage was made".to_string()], None),
        },
    };
    let timeout = Duration::from_secs(directives.timeout_secs);
    match qemu::run_captured(
        qemu,
        board,
        &elf,
        directives.target,
        directives.icount,
        timeout,
    ) {
        Ok(outcome) => {
            let end = End::of(&outcome);
            (
                judge(&directives, &end, &outcome.output),
                Some(outcome.output),
            )
        }
        Err(e) => (vec![format!("could not run {}: {e}", qemu.display())], None),
    }
}

/// How a QEMU run ended, for [`judge`].
#[derive(Debug)]
enum End {
    /// QEMU exited with this status.
    Exit(i32),
    /// QEMU ended otherwise (a signal); the description.
    Other(String),
    /// QEMU was killed at the time limit.
    TimedOut,
}

impl End {
    fn of(outcome: &Outcome) -> End {
        match outcome.status {
            None => End::TimedOut,
            Some(status) => match status.code() {
                Some(code) => End::Exit(code),
                None => End::Other(cargo::describe(status)),
            },
        }
    }
}

/// Why a run does not meet `directives` (empty: it passed).
fn judge(directives: &Directives, end: &End, output: &str) -> Vec<String> {
    let mut reasons = Vec::new();
    match end {
        End::TimedOut => {
            reasons.push(format!("timed out after {} s", directives.timeout_secs));
            return reasons;
        }
        End::Exit(code) if *code == directives.expect_exit => {}
        End::Exit(code) => {
            reasons.push(format!(
                "exit status {code}, expected {}",
                directives.expect_exit
            ));
        }
        End::Other(how) => {
            reasons.push(format!(
                "{how}, expected exit status {}",
                directives.expect_exit
            ));
        }
    }
    for text in &directives.expect_output {
        if !output.contains(text.as_str()) {
            reasons.push(format!("missing output {text:?}"));
        }
    }
    reasons
}

/// The block printed for one test: its line, and for a failure the output of
/// its run (if it ran) indented by four spaces.
fn report(name: &str, reasons: &[String], output: Option<&str>) -> String {
    if reasons.is_empty() {
        return format!("test {name} ... ok\n");
    }
    let mut block = format!("test {name} ... FAILED ({})\n", reasons.join("; "));
    let Some(output) = output else { return block };
    let lines: Vec<&str> = output
        .trim_end()
        .lines()
        .skip_while(|line| line.trim().is_empty())
        .collect();
    if lines.is_empty() {
        block.push_str("    (no output)\n");
    }
    let mut push = |line: &str| {
        block.push_str("    ");
        block.push_str(line.trim_end_matches('\r'));
        block.push('\n');
    };
    if lines.len() <= PRINTED_LINES {
        lines.iter().for_each(|line| push(line));
    } else {
        let half = PRINTED_LINES / 2;
        lines[..half].iter().for_each(|line| push(line));
        push(&format!(
            "[... {} lines left out ...]",
            lines.len() - 2 * half
        ));
        lines[lines.len() - half..]
            .iter()
            .for_each(|line| push(line));
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_directives_means_defaults() {
        let source = "#![no_std]\n#![no_main]\n\nuse ktests as _;\n";
        assert_eq!(parse_directives(source), Ok(Directives::default()));
        assert_eq!(Directives::default().expect_exit, 0);
        assert_eq!(Directives::default().timeout_secs, 60);
    }

    #[test]
    fn all_directives() {
        let source = "\
//! Checks that a panic is reported.
//!
//! expect-exit: 101
//! expect-output: panicked at
//!   expect-output:   boom  
//! timeout: 5
//! icount: off
//! image: board
#![no_std]
";
        let directives = parse_directives(source).unwrap();
        assert_eq!(directives.target, Target::Board);
        assert_eq!(Directives::default().target, Target::Qemu);
        assert_eq!(directives.expect_exit, 101);
        assert_eq!(directives.expect_output, vec!["panicked at", "boom"]);
        assert_eq!(directives.timeout_secs, 5);
        assert!(!directives.icount);
        assert!(Directives::default().icount);
    }

    #[test]
    fn only_the_top_counts() {
        let source = "\
// SPDX-License-Identifier: MIT

//! expect-exit: 1
#![no_std]
//! expect-output: still the header

fn main() {}
//! expect-exit: 7
";
        let directives = parse_directives(source).unwrap();
        assert_eq!(directives.expect_exit, 1);
        assert_eq!(directives.expect_output, vec!["still the header"]);
    }

    #[test]
    fn prose_is_not_a_directive() {
        let source = "//! Note: the timer runs at 1 MHz.\n//! See: arch::timer\n";
        assert_eq!(parse_directives(source), Ok(Directives::default()));
    }

    #[test]
    fn bad_directives() {
        for (source, wanted) in [
            (
                "//! expect-exit: lots",
                "line 1: expect-exit: 'lots' is not an exit status",
            ),
            ("//! expect-exit: 256", "line 1: expect-exit:"),
            ("\n//! timeout: 0", "line 2: timeout:"),
            ("//! timeout: 1.5", "line 1: timeout:"),
            (
                "//! icount: maybe",
                "line 1: icount: 'maybe' is not on or off",
            ),
            (
                "//! expect-output:   ",
                "line 1: expect-output: the text is empty",
            ),
            (
                "//! image: silicon",
                "line 1: image: 'silicon' is not qemu or board",
            ),
            (
                "//! expect-exitt: 1",
                "line 1: expect-exitt: unknown directive",
            ),
        ] {
            let error = parse_directives(source).unwrap_err();
            assert!(error.starts_with(wanted), "{source:?}: {error}");
        }
    }

    fn directives(exit: i32, outputs: &[&str]) -> Directives {
        Directives {
            expect_exit: exit,
            expect_output: outputs.iter().map(|s| s.to_string()).collect(),
            timeout_secs: 60,
            icount: true,
            target: Target::Qemu,
        }
    }

    #[test]
    fn judge_passes() {
        assert!(judge(&directives(0, &[]), &End::Exit(0), "").is_empty());
        let d = directives(101, &["panicked", "boom"]);
        assert!(judge(&d, &End::Exit(101), "x panicked at y: boom\n").is_empty());
    }

    #[test]
    fn judge_fails() {
        assert_eq!(
            judge(&directives(0, &[]), &End::Exit(1), ""),
            vec!["exit status 1, expected 0"]
        );
        assert_eq!(
            judge(
                &directives(0, &["hello", "world"]),
                &End::Exit(101),
                "hello"
            ),
            vec!["exit status 101, expected 0", "missing output \"world\""]
        );
        assert_eq!(
            judge(&directives(0, &["hello"]), &End::TimedOut, ""),
            vec!["timed out after 60 s"]
        );
        assert_eq!(
            judge(
                &directives(0, &[]),
                &End::Other("killed by signal 9".into()),
                ""
            ),
            vec!["killed by signal 9, expected exit status 0"]
        );
    }

    #[test]
    fn report_format() {
        assert_eq!(report("b/t", &[], Some("ignored")), "test b/t ... ok\n");
        let reasons = vec![
            "exit status 1, expected 0".to_string(),
            "missing output \"x\"".into(),
        ];
        assert_eq!(
            report("b/t", &reasons, Some("line one\r\n\nline three\r\n")),
            "test b/t ... FAILED (exit status 1, expected 0; missing output \"x\")\n    \
             line one\n    \n    line three\n"
        );
        assert_eq!(
            report("b/t", &["timed out after 60 s".to_string()], Some("")),
            "test b/t ... FAILED (timed out after 60 s)\n    (no output)\n"
        );
        let long: String = (0..1000).map(|i| format!("{i}\n")).collect();
        let block = report("b/t", &["x".to_string()], Some(&long));
        assert_eq!(block.lines().count(), 1 + PRINTED_LINES + 1);
        assert!(block.contains("    99\n    [... 800 lines left out ...]\n    900\n"));
        assert_eq!(
            report("b/t", &["bad directive".to_string()], None),
            "test b/t ... FAILED (bad directive)\n"
        );
    }

    #[test]
    fn discovers_sorted_tests() {
        let dir = std::env::temp_dir().join(format!("xtask-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("zeta")).unwrap();
        std::fs::create_dir_all(dir.join("not-a-test")).unwrap();
        for file in ["beta.rs", "alpha.rs", "zeta/main.rs", "notes.md"] {
            std::fs::write(dir.join(file), "").unwrap();
        }
        let names: Vec<String> = discover(&dir)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["alpha", "beta", "zeta"]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(discover(&dir).unwrap().is_empty());
    }
}
