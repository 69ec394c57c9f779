//! `cargo xtask soak`: the long runs of the abuse tests, with the same
//! checks as their short runs in `cargo xtask test`.
//!
//! Three parts (all by default, or the ones named):
//!
//! - `fuzz`: the QEMU test `proc_fuzz` (`user::fuzz` as soft and hard
//!   isolated processes beside a bystander) for `--calls` system calls from
//!   master seed `--seed` (random unless given); with `--duration`, boots
//!   again with the next seed until that many seconds have passed.
//! - `lifecycle`: the QEMU test `proc_lifecycle` with `--soft` soft and
//!   `--hard` hard isolated process lifecycles.
//! - `elf`: the host property test of the ELF parser
//!   (`kernel::loader::elf`, mutated valid images) for `--elf-cases` cases.
//!
//! The parameters reach the QEMU images on the semihosting command line
//! (`ktests::param`); the images are the ones `cargo xtask test` builds.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::args::{self, DEFAULT_BOARD};
use crate::board::Board;
use crate::cargo::Target;
use crate::{Error, Result, cargo, qemu};

/// `cargo xtask help`'s text for this command.
pub const HELP: &str = "\
cargo xtask soak [--board NAME] [--seed S] [--calls N] [--duration SECS]
                 [--soft N] [--hard N] [--elf-cases N] [PART]...
    The long abuse runs (README, \"Tests\"), with the checks of their short
    runs in `test`. PART is fuzz, lifecycle or elf (default: all three).
    fuzz       random system calls with hostile arguments from soft and
               hard isolated processes beside a bystander (proc_fuzz):
               no kernel fault, the oracle's exact error codes, fresh
               memory zero, the bystander's memory and the kernel's text
               and rodata unchanged, free pages and heap use back
    lifecycle  process lifecycles ending by exit and by each fault
               (proc_lifecycle): free pages and heap use identical
    elf        mutated ELF images (bit flips, truncations, field
               overwrites) into the kernel's parser on the host: no panic
    --board NAME      board for the QEMU parts (default: vexpress-a9)
    --seed S          fuzz master seed, decimal or 0x hex (default: random)
    --calls N         fuzz system calls per boot (default: 1000000)
    --duration SECS   boot the fuzzer again, next seed, until SECS passed
    --soft N          soft isolated lifecycles (default: 10000)
    --hard N          hard isolated lifecycles (default: 1000)
    --elf-cases N     ELF property-test cases (default: 1000000)
";

/// Options of `cargo xtask soak`.
#[derive(Debug)]
pub struct SoakOptions {
    /// The board of the QEMU parts.
    pub board: &'static Board,
    /// The fuzzer's master seed (`None`: from the clock).
    pub seed: Option<u64>,
    /// Fuzzer calls per boot.
    pub calls: u64,
    /// Keep booting the fuzzer (next seed) until this much time has passed.
    pub duration: Option<Duration>,
    /// Soft isolated lifecycles.
    pub soft: u64,
    /// Hard isolated lifecycles.
    pub hard: u64,
    /// ELF property-test cases.
    pub elf_cases: u64,
    /// Parts to run: fuzz, lifecycle, elf.
    pub parts: Vec<String>,
}

/// The parts, in the order they run.
const PARTS: [&str; 3] = ["fuzz", "lifecycle", "elf"];

/// Parses the arguments after `soak`.
pub fn parse(args: &[String]) -> Result<SoakOptions> {
    let (boards, rest) = args::take_boards(args)?;
    let board = match boards[..] {
        [] => args::lookup_board(DEFAULT_BOARD)?,
        [board] => board,
        _ => return Err(Error::usage("`cargo xtask soak` takes one --board")),
    };
    let mut options = SoakOptions {
        board,
        seed: None,
        calls: 1_000_000,
        duration: None,
        soft: 10_000,
        hard: 1_000,
        elf_cases: 1_000_000,
        parts: Vec::new(),
    };
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || -> Result<u64> {
            let text = match &inline {
                Some(v) => v.clone(),
                None => rest
                    .next()
                    .cloned()
                    .ok_or_else(|| Error::usage(format!("{name} needs a number")))?,
            };
            number(&text).ok_or_else(|| {
                Error::usage(format!(
                    "{name}: '{text}' is not a number (decimal or 0x hex)"
                ))
            })
        };
        match name {
            "--seed" => options.seed = Some(value()?),
            "--calls" => options.calls = value()?,
            "--duration" => options.duration = Some(Duration::from_secs(value()?)),
            "--soft" => options.soft = value()?,
            "--hard" => options.hard = value()?,
            "--elf-cases" => options.elf_cases = value()?,
            part if PARTS.contains(&part) => options.parts.push(part.to_string()),
            _ => {
                return Err(Error::usage(format!(
                    "unknown argument '{arg}' for `cargo xtask soak`; parts are {}; run `cargo xtask help`",
                    PARTS.join(", ")
                )));
            }
        }
    }
    if options.parts.is_empty() {
        options.parts = PARTS.iter().map(|p| p.to_string()).collect();
    }
    Ok(options)
}

/// A decimal or `0x` hexadecimal number, `_` allowed between digits.
fn number(text: &str) -> Option<u64> {
    let text = text.replace('_', "");
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Runs `cargo xtask soak`; returns 1 if any part failed.
pub fn soak(options: &SoakOptions) -> Result<u8> {
    let wants = |part: &str| options.parts.iter().any(|p| p == part);
    let mut results: Vec<(String, bool)> = Vec::new();
    if wants("fuzz") || wants("lifecycle") {
        let qemu = qemu::ensure_installed()?;
        let names = ["proc_fuzz".to_string(), "proc_lifecycle".to_string()];
        cargo::build_tests(options.board, Some(&names), Target::Qemu)?;
        if wants("fuzz") {
            let mut seed = options.seed.unwrap_or_else(clock_seed);
            let t0 = Instant::now();
            loop {
                let cmdline = [
                    "rtk".to_string(),
                    format!("fuzz.seed={seed:#x}"),
                    format!("fuzz.calls={}", options.calls),
                ];
                let timeout = Duration::from_secs(120 + options.calls / 4_000);
                let what = format!("fuzz (seed {seed:#x}, {} calls)", options.calls);
                let ok = boot(&qemu, options.board, "proc_fuzz", &cmdline, timeout, &what)?;
                results.push((what, ok));
                seed = seed.wrapping_add(1);
                if !ok || options.duration.is_none_or(|d| t0.elapsed() >= d) {
                    break;
                }
            }
        }
        if wants("lifecycle") {
            let cmdline = [
                "rtk".to_string(),
                format!("lifecycle.soft={}", options.soft),
                format!("lifecycle.hard={}", options.hard),
            ];
            let timeout = Duration::from_secs(120 + options.soft / 50 + options.hard / 5);
            let what = format!("lifecycle ({} soft, {} hard)", options.soft, options.hard);
            let ok = boot(
                &qemu,
                options.board,
                "proc_lifecycle",
                &cmdline,
                timeout,
                &what,
            )?;
            results.push((what, ok));
        }
    }
    if wants("elf") {
        println!("== soak: elf ({} cases)", options.elf_cases);
        let t0 = Instant::now();
        let counts = cargo::host_tests_with(
            &["kernel"],
            Some("elf_mutations"),
            &[("RTK_ELF_FUZZ_CASES", options.elf_cases.to_string())],
        );
        let ok = counts.failed == 0 && counts.passed > 0;
        println!("soak: elf: {} in {:.0?}", verdict(ok), t0.elapsed());
        results.push((format!("elf ({} cases)", options.elf_cases), ok));
    }
    println!();
    for (what, ok) in &results {
        println!("soak {what}: {}", verdict(*ok));
    }
    let failed = results.iter().filter(|(_, ok)| !ok).count();
    println!("{} passed, {failed} failed", results.len() - failed);
    Ok(u8::from(failed > 0))
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "FAILED" }
}

/// A master seed from the clock (24 bits are enough: each run's seed is
/// derived from it).
fn clock_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ nanos >> 24) & 0xFF_FFFF
}

/// Console lines worth showing from a passing soak boot (the fuzzer's
/// writes leave `?` noise in front of some).
const SHOWN: [&str; 6] = [
    "check ",
    "fuzz: master",
    "fuzz: free",
    "fuzz: ran",
    "lifecycle:",
    "fuzz run",
];

/// Boots test image `name` with `cmdline`; prints its summary lines (all
/// of its output if it failed) and whether it passed.
fn boot(
    qemu: &Path,
    board: &Board,
    name: &str,
    cmdline: &[String],
    timeout: Duration,
    what: &str,
) -> Result<bool> {
    println!("== soak: {what} on {}", board.name);
    let elf = cargo::existing_image(board, name)?;
    let t0 = Instant::now();
    let outcome = qemu::run_captured_with(qemu, board, &elf, Target::Qemu, true, timeout, cmdline)
        .map_err(|e| Error::new(1, format!("could not run {}: {e}", qemu.display())))?;
    let elapsed = t0.elapsed();
    let ok = outcome.status.is_some_and(|s| s.success());
    for line in outcome.output.lines() {
        if let Some(at) = SHOWN.iter().filter_map(|key| line.find(key)).min() {
            println!("    {}", &line[at..]);
        }
    }
    if !ok {
        let why = match outcome.status {
            None => format!("timed out after {} s", timeout.as_secs()),
            Some(status) => format!("QEMU ended with {}", cargo::describe(status)),
        };
        println!("    {why}; its whole output:");
        for line in outcome.output.lines() {
            println!("    | {line}");
        }
    }
    println!(
        "soak: {what}: {} in {:.0?} (wall clock)",
        verdict(ok),
        elapsed
    );
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<SoakOptions> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&args)
    }

    #[test]
    fn defaults() {
        let o = parse_str("").unwrap();
        assert_eq!(o.board.name, DEFAULT_BOARD);
        assert_eq!((o.calls, o.soft, o.hard), (1_000_000, 10_000, 1_000));
        assert_eq!(o.seed, None);
        assert_eq!(o.parts, PARTS);
    }

    #[test]
    fn options_and_parts() {
        let o = parse_str("--seed 0x2a --calls=2_000_000 --duration 60 fuzz elf").unwrap();
        assert_eq!(o.seed, Some(42));
        assert_eq!(o.calls, 2_000_000);
        assert_eq!(o.duration, Some(Duration::from_secs(60)));
        assert_eq!(o.parts, ["fuzz", "elf"]);
    }

    #[test]
    fn bad_arguments() {
        for line in [
            "--calls",
            "--calls lots",
            "--seed=0xzz",
            "frob",
            "--board nosuch",
        ] {
            assert_eq!(parse_str(line).unwrap_err().status, 2, "{line}");
        }
    }
}
