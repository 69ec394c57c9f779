//! Invoking cargo: building the kernel images and running the host tests.
//!
//! Every cargo command runs in the workspace root. Images are built in release
//! mode for [`TARGET`], with `KERNEL_BOARD=<board name>` in the environment so
//! that the kernel's build script picks the board; each board has its own
//! target directory, `<target>/<board>/` under the workspace's (`target/`, or
//! `$CARGO_TARGET_DIR`), so that switching boards rebuilds nothing.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::board::Board;
use crate::hardfloat;
use crate::{Error, Result};

/// The bare-metal target triple of every kernel image.
pub const TARGET: &str = "armv7a-none-eabi";

/// The environment variable that tells the kernel's build script the board.
pub const BOARD_ENV: &str = "KERNEL_BOARD";

/// Crates whose unit tests run on the host.
pub const HOST_TEST_PACKAGES: &[&str] = &["arch", "drivers", "kernel", "xtask"];

/// The workspace root (the parent of the xtask's own directory).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the xtask lives in a subdirectory of the workspace")
}

/// Cargo's target directory, as the cargo commands below see it.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        // Cargo resolves a relative path against its working directory, which
        // is the workspace root for every command started here.
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// The target directory of `board`'s builds: `<target>/<board>`.
pub fn board_target_dir(board: &Board) -> PathBuf {
    target_dir().join(board.name)
}

/// Where the release images of `board` for [`TARGET`] are.
pub fn image_dir(board: &Board) -> PathBuf {
    board_target_dir(board).join(TARGET).join("release")
}

/// A `cargo` command in the workspace root. Uses the cargo that started the
/// xtask (`$CARGO`) when there is one, so the pinned toolchain is kept.
fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(program);
    command.current_dir(workspace_root());
    command
}

/// Runs a cargo command with inherited stdio (so its errors are shown as
/// cargo prints them) and fails unless it succeeds.
fn run_build(mut command: Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| Error::new(1, format!("could not run cargo to build {what}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(
            1,
            format!("building {what} failed (cargo: {})", describe(status)),
        ))
    }
}

/// The cargo feature that builds the IRQs-off profiler into the kernel
/// (`kernel::irqsoff`): on for `test`, for the second of `bench`'s two runs,
/// and on request for `run` and `image`.
pub const IRQSOFF_FEATURE: &str = "kernel/irqsoff";

/// The cargo feature that lets a test make the N-th allocation fail
/// (`kernel::mm::inject`): on for the test images only.
pub const FAULT_INJECT_FEATURE: &str = "kernel/fault-inject";

/// The cargo feature that makes an image for QEMU (`kernel/qemu`): runs end
/// with a semihosting exit. On for `run`, `test` and `bench`; off for
/// `image`, whose images go to boards with no debugger attached.
pub const QEMU_FEATURE: &str = "kernel/qemu";

/// Who an image is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Target {
    /// QEMU, with the semihosting exit ([`QEMU_FEATURE`]).
    #[default]
    Qemu,
    /// A board: no semihosting; a panic resets the board.
    Board,
}

/// A release build for `board` of some binaries of `package`, with the
/// IRQs-off profiler when `irqsoff` says so, for `target`.
fn image_build(board: &Board, package: &str, irqsoff: bool, target: Target) -> Command {
    let mut command = image_build_in(board, package, irqsoff, target, &board_target_dir(board));
    command.env_remove(RAM_ENV);
    command
}

/// [`image_build`] with target directory `dir`.
fn image_build_in(
    board: &Board,
    package: &str,
    irqsoff: bool,
    target: Target,
    dir: &Path,
) -> Command {
    let mut command = cargo();
    command
        .env(BOARD_ENV, board.name)
        .env(USER_DIR_ENV, image_dir(board))
        .args([
            "build",
            "--release",
            "--target",
            TARGET,
            "--package",
            package,
        ]);
    let mut features = Vec::new();
    if irqsoff {
        features.push(IRQSOFF_FEATURE);
    }
    if target == Target::Qemu && package != "user" {
        features.push(QEMU_FEATURE);
    }
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    command.arg("--target-dir").arg(dir);
    command
}

/// The environment variable that tells the kernel's build script where the
/// user programs to embed are (a directory with `programs.txt`).
pub const USER_DIR_ENV: &str = "RTK_USER_DIR";

/// The user programs: every `user/src/bin/*.rs`, sorted.
pub fn user_programs() -> Vec<String> {
    let dir = workspace_root().join("user/src/bin");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| {
                let p = e.ok()?.path();
                (p.extension()? == "rs").then(|| p.file_stem()?.to_str().map(String::from))?
            })
            .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Builds the user programs the kernel images embed (crate `user`, each
/// linked at user addresses by `user/build.rs`) and lists them in
/// `programs.txt` beside them, which the kernel's build script reads.
///
/// The hard-float programs (`//! build: hard-float`, [`hardfloat`]) are
/// built again with the VFP and NEON features in a target directory of
/// their own, checked to hold floating-point instructions, and listed by
/// their full path, which the kernel's build script embeds in place of the
/// soft-float build of the same name.
fn build_user_programs(board: &Board) -> Result<()> {
    let mut command = image_build(board, "user", false, Target::Board);
    command.arg("--bins");
    run_build(command, "the user programs")?;
    let names = user_programs();
    let hard = hardfloat::programs(&workspace_root().join("user/src/bin"), &names);
    let hard_dir = board_target_dir(board).join("hard-float");
    if !hard.is_empty() {
        let mut command = image_build_in(board, "user", false, Target::Board, &hard_dir);
        // Encoded flags win over RUSTFLAGS and every config file, and with
        // `--target` they reach only the target's crates, not build scripts.
        command
            .env_remove(RAM_ENV)
            .env("CARGO_ENCODED_RUSTFLAGS", hardfloat::RUSTFLAGS);
        for name in &hard {
            command.args(["--bin", name]);
        }
        run_build(command, "the hard-float user programs")?;
    }
    let mut lines = Vec::new();
    for name in &names {
        if !hard.contains(name) {
            lines.push(name.clone());
            continue;
        }
        let path = hard_dir.join(TARGET).join("release").join(name);
        let elf = std::fs::read(&path)
            .map_err(|e| Error::new(1, format!("could not read {}: {e}", path.display())))?;
        match hardfloat::vfp_instructions(&elf) {
            Ok(n) if n > 0 => lines.push(path.display().to_string()),
            Ok(_) => {
                return Err(Error::new(
                    1,
                    format!(
                        "the hard-float program {name} holds no VFP or NEON instruction: \
                         the compiler did not honour `{}`",
                        hardfloat::FEATURES
                    ),
                ));
            }
            Err(why) => return Err(Error::new(1, format!("{}: {why}", path.display()))),
        }
    }
    let list = lines.join("\n") + "\n";
    let path = image_dir(board).join("programs.txt");
    // Rewritten only when it changes: the kernel's build script watches it,
    // and a new timestamp would relink every image.
    if std::fs::read_to_string(&path).ok().as_deref() == Some(list.as_str()) {
        return Ok(());
    }
    std::fs::write(path, list)
        .map_err(|e| Error::new(1, format!("could not write the user program list: {e}")))
}

/// Builds the demo kernel for `board` (with the IRQs-off profiler if
/// `irqsoff`) for `target` and returns the path of its ELF.
pub fn build_kernel(board: &Board, irqsoff: bool, target: Target) -> Result<PathBuf> {
    build_kernel_bin(board, "kernel", irqsoff, target)
}

/// Builds the kernel crate's image `bin` (`kernel`, the demo, or `bench`)
/// for `board`, with the IRQs-off profiler if `irqsoff`, for `target`, and
/// returns the path of its ELF. The user programs it embeds are built
/// first.
pub fn build_kernel_bin(
    board: &Board,
    bin: &str,
    irqsoff: bool,
    target: Target,
) -> Result<PathBuf> {
    build_user_programs(board)?;
    let mut command = image_build(board, "kernel", irqsoff, target);
    command.args(["--bin", bin]);
    let what = if bin == "kernel" {
        format!("the kernel for {}", board.name)
    } else {
        format!("the {bin} image for {}", board.name)
    };
    run_build(command, &what)?;
    existing_image(board, bin)
}

/// The environment variable that makes the kernel's build script build for
/// another amount of RAM than the board file declares (whole MiB).
pub const RAM_ENV: &str = "KERNEL_RAM_MIB";

/// Builds the kernel binary `bin` for `board` with `ram_mib` MiB of RAM in
/// place of the board's ([`RAM_ENV`]), without the IRQs-off profiler, in a
/// target directory of its own (`<target>/<board>-<ram_mib>m`, so the
/// board's usual build stays as it was), embedding the user programs of the
/// board's usual build; returns its ELF.
pub fn build_kernel_bin_with_ram(board: &Board, bin: &str, ram_mib: u32) -> Result<PathBuf> {
    build_user_programs(board)?;
    let dir = target_dir().join(format!("{}-{ram_mib}m", board.name));
    let mut command = image_build_in(board, "kernel", false, Target::Qemu, &dir);
    command
        .env(RAM_ENV, ram_mib.to_string())
        .args(["--bin", bin]);
    run_build(
        command,
        &format!("the {bin} image for {} with {ram_mib} MiB", board.name),
    )?;
    let path = dir.join(TARGET).join("release").join(bin);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::new(1, format!("no image at {}", path.display())))
    }
}

/// Builds the integration test images (crate `ktests`) for `board`: the
/// binaries `names`, or all of them when `names` is `None`, for `target`.
/// Always with the IRQs-off profiler.
pub fn build_tests(board: &Board, names: Option<&[String]>, target: Target) -> Result<()> {
    build_user_programs(board)?;
    let mut command = image_build(board, "ktests", true, target);
    command.args(["--features", FAULT_INJECT_FEATURE]);
    match names {
        None => {
            command.arg("--bins");
        }
        Some(names) => {
            for name in names {
                command.args(["--bin", name]);
            }
        }
    }
    run_build(
        command,
        &format!("the integration tests for {}", board.name),
    )
}

/// The path of `board`'s image `name`, checked to exist.
pub fn existing_image(board: &Board, name: &str) -> Result<PathBuf> {
    let path = image_dir(board).join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::new(
            1,
            format!(
                "cargo succeeded but there is no image at {}",
                path.display()
            ),
        ))
    }
}

/// Counts from the host unit tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostTests {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed (plus one if cargo itself failed without a failing
    /// test to show for it, e.g. on a compile error).
    pub failed: usize,
}

/// Runs `cargo test` on the host for [`HOST_TEST_PACKAGES`], streaming its
/// output through and counting the tests from its `test result:` lines.
pub fn host_tests(filter: Option<&str>) -> HostTests {
    host_tests_with(HOST_TEST_PACKAGES, filter, &[])
}

/// [`host_tests`] of `packages` with extra environment variables (the
/// soak's long property tests read their case counts from them).
pub fn host_tests_with(
    packages: &[&str],
    filter: Option<&str>,
    env: &[(&str, String)],
) -> HostTests {
    let mut command = cargo();
    command.args(["test", "--no-fail-fast"]);
    command.envs(env.iter().map(|(k, v)| (k, v)));
    for package in packages {
        command.args(["--package", package]);
    }
    command.arg("--");
    if let Some(filter) = filter {
        command.arg(filter);
    }
    // The test binaries write to our pipe, not to the terminal: keep their
    // colours if we are on a terminal ourselves.
    let color = io::stdout().is_terminal();
    if color {
        command.args(["--color", "always"]);
    }
    command.stdout(Stdio::piped());

    let mut counts = HostTests::default();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("error: could not run cargo test: {e}");
            counts.failed = 1;
            return counts;
        }
    };
    if let Some(mut stdout) = child.stdout.take() {
        // Forward bytes as they come (libtest prints `test x ... ` before the
        // test finishes) and parse complete lines on the side.
        let mut out = io::stdout();
        let mut buffer = [0u8; 8192];
        let mut line = Vec::new();
        loop {
            let n = match stdout.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            // A closed stdout must not stop the counting.
            let _ = out.write_all(&buffer[..n]).and_then(|()| out.flush());
            for &byte in &buffer[..n] {
                if byte == b'\n' {
                    count_line(&line, &mut counts);
                    line.clear();
                } else {
                    line.push(byte);
                }
            }
        }
        count_line(&line, &mut counts);
    }
    let success = child.wait().is_ok_and(|status| status.success());
    if !success && counts.failed == 0 {
        counts.failed = 1;
    }
    counts
}

/// Adds the counts of `line` if it is a libtest summary line.
fn count_line(line: &[u8], counts: &mut HostTests) {
    if let Some((passed, failed)) = parse_test_result(&String::from_utf8_lossy(line)) {
        counts.passed += passed;
        counts.failed += failed;
    }
}

/// Parses a libtest summary line, `test result: ok. 3 passed; 0 failed; ...`
/// or `test result: FAILED. 2 passed; 1 failed; ...` (colours allowed), into
/// `(passed, failed)`.
pub fn parse_test_result(line: &str) -> Option<(usize, usize)> {
    let line = strip_ansi(line);
    let rest = line.trim().strip_prefix("test result:")?;
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    let count = |word: &str| {
        tokens.windows(2).find_map(|pair| {
            let label = pair[1].trim_end_matches([';', ',', '.']);
            if label == word {
                pair[0].parse::<usize>().ok()
            } else {
                None
            }
        })
    };
    Some((count("passed")?, count("failed")?))
}

/// Removes ANSI escape sequences (`ESC [ ... letter`) from `text`.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters and intermediates, up to the final letter.
            Some('[') => {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            // Character set selection (`ESC ( B`, as terminfo's sgr0 has).
            Some('(' | ')') => {
                chars.next();
            }
            _ => {}
        }
    }
    out
}

/// Describes how a process ended: `exit status N` or `killed by signal N`.
pub fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    status.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ok_line() {
        let line = "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; \
                    3 filtered out; finished in 0.01s\n";
        assert_eq!(parse_test_result(line), Some((12, 0)));
    }

    #[test]
    fn parses_failed_line() {
        let line = "test result: FAILED. 7 passed; 2 failed; 0 ignored; 0 measured; \
                    0 filtered out; finished in 1.20s";
        assert_eq!(parse_test_result(line), Some((7, 2)));
    }

    #[test]
    fn parses_coloured_line() {
        let line = "test result: \x1b[32mok\x1b[0m. 4 passed; 0 failed; 0 ignored";
        assert_eq!(parse_test_result(line), Some((4, 0)));
        let line = "test result: \x1b[31mFAILED\x1b[0m. 1 passed; 3 failed; 0 ignored";
        assert_eq!(parse_test_result(line), Some((1, 3)));
        let line = "test result: \x1b[32mok\x1b(B\x1b[m. 2 passed; 0 failed; 0 ignored";
        assert_eq!(parse_test_result(line), Some((2, 0)));
    }

    #[test]
    fn ignores_other_lines() {
        for line in [
            "",
            "running 3 tests",
            "test mm::tests::map ... ok",
            "test result mentioned in prose: 3 passed; 0 failed",
            "test result: garbled",
            "   Doc-tests arch",
        ] {
            assert_eq!(parse_test_result(line), None, "{line}");
        }
    }

    #[test]
    fn strips_ansi() {
        assert_eq!(strip_ansi("a\x1b[1;31mb\x1b[0mc"), "abc");
        assert_eq!(strip_ansi("plain"), "plain");
        assert_eq!(strip_ansi("\x1b[32mok\x1b(B\x1b[m."), "ok.");
    }

    #[test]
    fn images_are_in_the_release_dir_for_the_target() {
        let dir = image_dir(crate::board::ALL[0]);
        assert!(dir.ends_with(Path::new(TARGET).join("release")));
    }
}
