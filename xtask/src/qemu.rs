//! Invoking QEMU: finding (or installing) `qemu-system-arm` and booting an
//! image, either on the user's terminal or with its output captured and a
//! time limit.
//!
//! The kernel ends a run with a semihosting exit, so QEMU's exit status is the
//! kernel's: 0 success, 1 test failure, 101 panic, 102 unexpected exception.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::board::Board;
use crate::cargo::Target;
use crate::{Error, Result};

/// The QEMU executable.
pub const QEMU: &str = "qemu-system-arm";

/// The Debian package that provides [`QEMU`].
const QEMU_PACKAGE: &str = "qemu-system-arm";

/// The CPU every board has.
const CPU: &str = "cortex-a9";

/// The TCP port of QEMU's GDB stub (`--gdb`).
pub const GDB_PORT: u16 = 1234;

/// How often a running test's QEMU is checked for exit.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// At most this much of a test's console output is kept (half from the
/// start, half from the end), so a kernel printing in a loop cannot fill the
/// host's memory before its timeout.
const OUTPUT_LIMIT: usize = 1 << 20;

/// Returns the path of `qemu-system-arm`, installing it with apt-get first if
/// it is missing and we may (root, or password-less sudo).
///
/// `run`, `test` and `bench` call this before they boot anything.
pub fn ensure_installed() -> Result<PathBuf> {
    if let Some(path) = find_in_path(QEMU) {
        return Ok(path);
    }
    if try_install()
        && let Some(path) = find_in_path(QEMU)
    {
        return Ok(path);
    }
    Err(Error::usage(format!(
        "{QEMU} is not installed. Install the package '{QEMU_PACKAGE}' \
         (Debian/Ubuntu: sudo apt-get install {QEMU_PACKAGE}) and run again."
    )))
}

/// Installs [`QEMU_PACKAGE`] with apt-get if that is possible without a
/// password. Returns whether it tried.
fn try_install() -> bool {
    if find_in_path("apt-get").is_none() {
        return false;
    }
    let root = is_root();
    if !root && !passwordless_sudo() {
        return false;
    }
    eprintln!("{QEMU} not found: installing the Debian package {QEMU_PACKAGE} with apt-get ...");
    for args in [&["update"][..], &["install", "-y", QEMU_PACKAGE]] {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            // sudo may reset the environment: pass the variable through env.
            let mut command = Command::new("sudo");
            command.args(["-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            command
        };
        command
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(args)
            .stdin(Stdio::null());
        // Keep our stdout for the command's own output.
        command.stdout(io::stderr());
        match command.status() {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!(
                    "apt-get {} failed ({})",
                    args.join(" "),
                    crate::cargo::describe(status)
                );
                return true;
            }
            Err(e) => {
                eprintln!("could not run apt-get: {e}");
                return true;
            }
        }
    }
    true
}

/// Whether we run as root (`id -u` prints 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Whether `sudo -n true` works (sudo without a password prompt).
fn passwordless_sudo() -> bool {
    find_in_path("sudo").is_some()
        && Command::new("sudo")
            .args(["-n", "true"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
}

/// Looks `program` up in `$PATH` like a shell would.
fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// The arguments that boot `elf` on `board`, console on QEMU's stdio.
pub fn arguments(board: &Board, elf: &Path, gdb: bool) -> Vec<OsString> {
    arguments_for(board, elf, gdb, Target::Qemu, &[])
}

/// [`arguments`] for an image built for `target`, with a semihosting
/// command line. A board image runs without semihosting (as on a board with
/// no debugger) and with `-no-reboot`, so that its reset of the board ends
/// QEMU (status 0) instead of starting it again. Each of `cmdline` is one
/// `arg=` of `-semihosting-config` (no commas), which the image reads back
/// joined by spaces (the soak passes its parameters so).
pub fn arguments_for(
    board: &Board,
    elf: &Path,
    gdb: bool,
    target: Target,
    cmdline: &[String],
) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |arg: &OsStr| args.push(arg.to_os_string());
    push("-M".as_ref());
    push(board.qemu_machine.as_ref());
    push("-cpu".as_ref());
    push(CPU.as_ref());
    push("-m".as_ref());
    push(format!("{}M", board.ram_size.div_ceil(1 << 20)).as_ref());
    push("-display".as_ref());
    push("none".as_ref());
    push("-monitor".as_ref());
    push("none".as_ref());
    // The console is the qemu_serial_index-th UART: the ones before it go
    // nowhere.
    for _ in 0..board.qemu_serial_index {
        push("-serial".as_ref());
        push("null".as_ref());
    }
    push("-serial".as_ref());
    push("stdio".as_ref());
    match target {
        Target::Qemu => {
            push("-semihosting-config".as_ref());
            let mut semihosting = String::from("enable=on,target=native");
            for arg in cmdline {
                semihosting.push_str(",arg=");
                semihosting.push_str(arg);
            }
            push(semihosting.as_ref());
        }
        Target::Board => push("-no-reboot".as_ref()),
    }
    if gdb {
        push("-S".as_ref());
        push("-gdb".as_ref());
        push(format!("tcp::{GDB_PORT}").as_ref());
    }
    push("-kernel".as_ref());
    push(elf.as_os_str());
    args
}

/// The QEMU command that boots `elf` (built for `target`) on `board`.
fn command(
    qemu: &Path,
    board: &Board,
    elf: &Path,
    gdb: bool,
    target: Target,
    cmdline: &[String],
) -> Command {
    let mut command = Command::new(qemu);
    command
        .args(arguments_for(board, elf, gdb, target, cmdline))
        .env("QEMU_AUDIO_DRV", "none");
    command
}

/// The command line, for people to read (and copy).
pub fn display_command(qemu: &Path, board: &Board, elf: &Path, gdb: bool) -> String {
    let mut words = vec![qemu.display().to_string()];
    words.extend(
        arguments(board, elf, gdb)
            .iter()
            .map(|a| a.to_string_lossy().into_owned()),
    );
    words.extend(["-icount".into(), TEST_ICOUNT.into()]);
    words.join(" ")
}

/// Boots `elf` with QEMU's stdio inherited (the console is live on the
/// terminal) and waits for it.
pub fn run_interactive(qemu: &Path, board: &Board, elf: &Path, gdb: bool) -> Result<ExitStatus> {
    command(qemu, board, elf, gdb, Target::Qemu, &[])
        .args(["-icount", TEST_ICOUNT])
        .status()
        .map_err(|e| Error::new(1, format!("could not start {}: {e}", qemu.display())))
}

/// How a captured run ended.
#[derive(Debug)]
pub struct Outcome {
    /// QEMU's exit status, or `None` if it was killed at the time limit.
    pub status: Option<ExitStatus>,
    /// Its stdout and stderr, interleaved as written (possibly shortened, see
    /// [`OUTPUT_LIMIT`]).
    pub output: String,
}

/// Kills and reaps the child when dropped, so that no QEMU outlives the run
/// whatever happens to the thread watching it.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Instruction counting for `run` and `test`: virtual time advances 16 ns per
/// guest instruction and skips idle time (`sleep=off`), so the demo's timing
/// figures and the tests' timing checks depend on the kernel alone, not on
/// how busy the host is, and idle waits cost no wall-clock time.
pub const TEST_ICOUNT: &str = "shift=4,sleep=off";

/// Boots `elf` (built for `target`) on `board` with no input and, if
/// `icount`, instruction counting ([`TEST_ICOUNT`]), collecting its output,
/// and kills it after `timeout`.
pub fn run_captured(
    qemu: &Path,
    board: &Board,
    elf: &Path,
    target: Target,
    icount: bool,
    timeout: Duration,
) -> io::Result<Outcome> {
    run_captured_with(qemu, board, elf, target, icount, timeout, &[])
}

/// [`run_captured`] with a semihosting command line (see [`arguments_for`]).
pub fn run_captured_with(
    qemu: &Path,
    board: &Board,
    elf: &Path,
    target: Target,
    icount: bool,
    timeout: Duration,
    cmdline: &[String],
) -> io::Result<Outcome> {
    // One pipe for both stdout and stderr keeps their order.
    let (reader, writer) = io::pipe()?;
    let mut command = command(qemu, board, elf, false, target, cmdline);
    if icount {
        command.args(["-icount", TEST_ICOUNT]);
    }
    command
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let child = command.spawn();
    // The command holds our copies of the pipe's write end: without dropping
    // it the reader would never see the end of the output.
    drop(command);
    let mut child = Reaper(child?);
    let collector = thread::spawn(move || collect(reader));

    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.0.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            child.0.kill()?;
            child.0.wait()?;
            break None;
        }
        thread::sleep(POLL_INTERVAL);
    };
    drop(child);
    let output = collector
        .join()
        .unwrap_or_else(|_| String::from("(output lost)"));
    Ok(Outcome { status, output })
}

/// Reads `reader` to its end, keeping at most [`OUTPUT_LIMIT`] bytes.
fn collect(mut reader: impl Read) -> String {
    let half = OUTPUT_LIMIT / 2;
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let mut dropped = 0usize;
    let mut buffer = [0u8; 8192];
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let mut bytes = &buffer[..n];
        if head.len() < half {
            let take = bytes.len().min(half - head.len());
            head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        tail.extend_from_slice(bytes);
        if tail.len() > 2 * half {
            let excess = tail.len() - half;
            tail.drain(..excess);
            dropped += excess;
        }
    }
    if tail.len() > half {
        let excess = tail.len() - half;
        tail.drain(..excess);
        dropped += excess;
    }
    let mut text = String::from_utf8_lossy(&head).into_owned();
    if dropped > 0 {
        text.push_str(&format!("\n[... {dropped} bytes of output left out ...]\n"));
    }
    text.push_str(&String::from_utf8_lossy(&tail));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board;

    fn args_of(board: &Board, gdb: bool) -> Vec<String> {
        arguments(board, Path::new("/tmp/image"), gdb)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn arguments_for_every_board() {
        for board in board::ALL {
            let args = args_of(board, false);
            let joined = args.join(" ");
            assert!(joined.starts_with(&format!("-M {} -cpu cortex-a9 -m ", board.qemu_machine)));
            assert!(joined.contains("-display none -monitor none"));
            assert!(joined.contains("-semihosting-config enable=on,target=native"));
            assert!(joined.ends_with("-kernel /tmp/image"));
            assert!(!joined.contains("-nodefaults"));
            assert!(!joined.contains("-gdb"));
            let serials: Vec<&str> = args
                .windows(2)
                .filter(|w| w[0] == "-serial")
                .map(|w| w[1].as_str())
                .collect();
            assert_eq!(serials.len(), board.qemu_serial_index as usize + 1);
            assert_eq!(serials.last(), Some(&"stdio"));
            assert!(serials[..serials.len() - 1].iter().all(|s| *s == "null"));
        }
    }

    #[test]
    fn serial_index_and_memory() {
        let mut board = *board::ALL[0];
        board.ram_size = 512 << 20;
        board.qemu_serial_index = 1;
        let joined = args_of(&board, false).join(" ");
        assert!(joined.contains("-m 512M "));
        assert!(joined.contains("-serial null -serial stdio "));
        board.qemu_serial_index = 0;
        let joined = args_of(&board, false).join(" ");
        assert!(!joined.contains("-serial null"));
        assert!(joined.contains("-serial stdio "));
    }

    #[test]
    fn board_images_run_without_semihosting() {
        let args: Vec<String> =
            arguments_for(board::ALL[0], Path::new("/i"), false, Target::Board, &[])
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect();
        let joined = args.join(" ");
        assert!(!joined.contains("semihosting"));
        assert!(joined.contains("-no-reboot -kernel /i"));
        assert!(
            !args_of(board::ALL[0], false)
                .join(" ")
                .contains("-no-reboot")
        );
    }

    #[test]
    fn gdb_arguments() {
        let joined = args_of(board::ALL[0], true).join(" ");
        assert!(joined.contains("-S -gdb tcp::1234 -kernel"));
    }

    #[test]
    fn collect_keeps_small_output() {
        assert_eq!(collect(&b"hello\nworld\n"[..]), "hello\nworld\n");
    }

    #[test]
    fn collect_shortens_large_output() {
        let mut input = vec![b'a'; OUTPUT_LIMIT / 2];
        input.extend(std::iter::repeat_n(b'b', 3 * OUTPUT_LIMIT));
        input.extend_from_slice(b"THE END");
        let text = collect(&input[..]);
        assert!(text.len() < OUTPUT_LIMIT + 100);
        assert!(text.starts_with("aaaa"));
        assert!(text.ends_with("bbbTHE END"));
        let dropped = 3 * OUTPUT_LIMIT + 7 - OUTPUT_LIMIT / 2;
        assert!(text.contains(&format!("[... {dropped} bytes of output left out ...]")));
    }
}
