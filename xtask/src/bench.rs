//! `cargo xtask bench [--board NAME]`: boot the benchmark image under QEMU with
//! instruction counting and report what it measured.
//!
//! The image is `kernel/src/bin/bench.rs`. QEMU runs it with
//! `-icount shift=4,sleep=off`: each guest instruction takes 16 ns of virtual
//! time and an idle CPU skips to the next timer deadline, so the run does not
//! depend on the host and repeats exactly. The image measures with the
//! Cortex-A9 global timer, converts to guest instructions and prints one
//! `BENCH ...` line per record on the console (the format is documented in
//! that file and parsed by [`parse`]); it ends through semihosting with
//! status 0.
//!
//! Some figures are measured in user mode: the image starts the `bench_*`
//! programs of `user/src/bin/` as processes and reads what they leave behind.
//!
//! The image is built and booted three times ([`Profiler`]):
//!
//! 1. without the IRQs-off profiler: its figures are the performance table,
//!    the JSON's `metrics` and the histograms;
//! 2. with it (kernel feature `irqsoff`), whose hook runs on every IRQ mask
//!    and unmask and so adds to every figure: this run gives, per workload,
//!    the longest stretch IRQs stayed masked (`irqs_off_max`, instructions)
//!    and where, and its own figures only to show what the profiler costs;
//! 3. built for the other of 256 and 512 MiB of RAM than the board's
//!    (`KERNEL_RAM_MIB`, in its own target directory), without the
//!    profiler: a boot-only run for `boot_to_first_task_<MiB>m`, merged
//!    into the first run's figures.
//!
//! With `--compare FILE` it then prints the figures beside those of a JSON
//! file it wrote before ([`saved_metrics`], [`compare_table`]).
//!
//! This command checks each run (exit status, the calibration of ticks
//! against a block of known length, every metric present with enough
//! samples, the build it expected, an `irqsoff` record per workload in the
//! profiled run), prints three tables (metrics; IRQs-off per workload; the
//! profiler's cost per metric), and writes into `<target dir>/bench/`:
//!
//! - `<board>.json` (see [`json`]): `board`, `unit`, `metrics` (min, median,
//!   max, samples of each, unprofiled), `boot_to_first_task_from`,
//!   `image_bytes` (text, rodata, data, bss of the unprofiled image), then
//!   from the profiled run `irqs_off_max` (per workload: max, site, end,
//!   windows) and `profiled_metrics` (min, median, max, samples of each);
//! - `<board>-<metric>.svg`: a latency histogram per `wakeup_latency_*`
//!   metric (unprofiled).

use std::fmt::Write as _;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::board::Board;
use crate::{Error, Result, args as board_args, cargo, qemu};

/// QEMU's instruction counting: one instruction per 2^4 ns, no real-time
/// sleeping. The image assumes the same shift (`ICOUNT_SHIFT` in bench.rs).
const ICOUNT: &str = "shift=4,sleep=off";

/// The icount shift in [`ICOUNT`].
const ICOUNT_SHIFT: u32 = 4;

/// QEMU is killed after this long (the whole command must stay under five
/// minutes; a run takes seconds).
const TIMEOUT: Duration = Duration::from_secs(240);

/// The version of the image's line protocol (`BENCH begin version=`).
const PROTOCOL_VERSION: u64 = 3;

/// Fewest samples a repeatable metric may have.
const MIN_SAMPLES: u64 = 1000;

/// Metrics that happen once per run (one sample).
pub const SINGLE: &[&str] = &["boot_to_first_task_256m", "boot_to_first_task_512m"];

/// The RAM sizes `boot_to_first_task_<MiB>m` is measured at: the board's own
/// in the main run, each other one in a boot-only run of an image built for
/// it.
pub const BOOT_RAM_MIB: &[u32] = &[256, 512];

/// The name of the boot metric of an image built for `ram_mib` MiB.
pub fn boot_metric(ram_mib: u32) -> String {
    format!("boot_to_first_task_{ram_mib}m")
}

/// Most the calibration block may be off, in instructions, before the run is
/// refused as not instruction-counted.
const CALIBRATION_SLACK: f64 = 2.0;

/// The metrics the image must report, in the order of the table and the
/// JSON file (the image may report them in another order).
pub const METRICS: &[&str] = &[
    "frame_alloc",
    "frame_free",
    "frame_alloc_1m",
    "map_page",
    "unmap_page",
    "map_section",
    "unmap_section",
    "ioremap",
    "heap_alloc_64",
    "zone_alloc",
    "null_syscall",
    "thread_switch",
    "process_switch",
    "yield_process_roundtrip",
    "ipc_call_reply",
    "ipc_call_one_way",
    "ipc_call_reply_4k",
    "irq_latency",
    "wakeup_latency_hard_isolated_idle",
    "wakeup_latency_soft_isolated_idle",
    "wakeup_latency_hard_kernel_idle",
    "wakeup_latency_soft_kernel_idle",
    "wakeup_latency_hard_isolated_loaded",
    "wakeup_latency_soft_isolated_loaded",
    "wakeup_latency_hard_kernel_loaded",
    "wakeup_latency_soft_kernel_loaded",
    "wakeup_latency_hard_isolated_crash",
    "boot_to_first_task_256m",
    "boot_to_first_task_512m",
    "process_create_exit",
    "notify_wake",
    "irq_to_user",
    "process_create_exit_shared",
    "process_create_exit_64k",
    "process_create_exit_64k_shared",
    "cow_fault",
    "mem_map_4k",
    "hard_mmap_section",
    "mem_map_section",
    "user_mmap_touch_munmap_4k",
    "user_mprotect",
];

/// Metrics an image reports only on boards with the device they need
/// (`irq_to_user`: an SP804); their absence is not an error.
pub const BOARD_SPECIFIC: &[&str] = &["irq_to_user"];

/// The workloads the image reports an `irqsoff` record for (the IRQs-off
/// profiler's longest window while each ran), in the order of the table.
pub const IRQSOFF_WORKLOADS: &[&str] = &[
    "frames",
    "mappings",
    "mm_masked",
    "ioremap",
    "objects",
    "thread_switch",
    "irq_latency",
    "null_syscall",
    "process_switch",
    "user_mm",
    "ipc_call_reply",
    "ipc_call_reply_4k",
    "process_create_exit",
    "notify_wake",
    "irq_to_user",
    "process_create_exit_shared",
    "mem_objects",
    "wakeup_latency_hard_isolated_idle",
    "wakeup_latency_soft_isolated_idle",
    "wakeup_latency_hard_kernel_idle",
    "wakeup_latency_soft_kernel_idle",
    "hard_mmap_section",
    "mem_map_section",
    "wakeup_latency_hard_isolated_crash",
    "wakeup_latency_hard_isolated_loaded",
    "wakeup_latency_soft_isolated_loaded",
    "wakeup_latency_hard_kernel_loaded",
    "wakeup_latency_soft_kernel_loaded",
];

/// `cargo xtask bench --help`.
pub const HELP: &str = "\
cargo xtask bench [--board NAME] [--compare FILE]
    Build the benchmark image (kernel/src/bin/bench.rs) for board NAME
    (default: vexpress-a9) and boot it in qemu-system-arm with
    -icount shift=4,sleep=off (so every run repeats exactly), twice: built
    without the IRQs-off profiler, for the min, median and max of each
    metric in guest instructions; then with it, for the profiler's longest
    masked window per workload (irqs_off_max) and where it was, and what
    the profiler adds to each metric's median. boot_to_first_task is
    measured at 256 and 512 MiB of RAM: at the board's own in those runs,
    at the other in a third, boot-only run of an image built for it
    (KERNEL_RAM_MIB). Writes <target dir>/bench/<board>.json and
    <board>-<metric>.svg, a histogram of each wakeup_latency_* metric.
    --compare FILE: then prints each metric's median and max beside those
    of FILE, a JSON file this command wrote (say, a copy kept from an
    earlier version, such as xtask/baselines/*.json), with the change in
    per cent; a metric on one side only shows '-' on the other.
";

/// Metrics with a histogram (and an SVG).
fn has_histogram(name: &str) -> bool {
    name.starts_with("wakeup_latency_")
}

/// The two builds of the benchmark image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profiler {
    /// Without the IRQs-off profiler: the performance figures.
    Off,
    /// With it (kernel feature `irqsoff`): `irqs_off_max` per workload.
    On,
}

impl Profiler {
    /// Whether the kernel feature `irqsoff` is on.
    fn built_in(self) -> bool {
        self == Profiler::On
    }

    /// How the build is named in messages.
    fn describe(self) -> &'static str {
        match self {
            Profiler::Off => "without the IRQs-off profiler",
            Profiler::On => "with the IRQs-off profiler",
        }
    }
}

/// Runs `cargo xtask bench ARGS`.
pub fn bench(args: &[String]) -> Result<u8> {
    let Some(Args { board, compare }) = parse_args(args)? else {
        print!("{HELP}");
        return Ok(0);
    };
    // Read the saved figures first: a bad file fails before the runs.
    let saved = match &compare {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::new(1, format!("could not read {}: {e}", path.display())))?;
            let saved = saved_metrics(&text)
                .map_err(|e| Error::new(1, format!("{}: {e}", path.display())))?;
            Some(saved)
        }
        None => None,
    };
    let qemu = qemu::ensure_installed()?;
    let mut plain = measure(&qemu, board, Profiler::Off, None)?;
    let profiled = measure(&qemu, board, Profiler::On, None)?;
    for &mib in BOOT_RAM_MIB {
        if mib == board.ram_size >> 20 {
            continue;
        }
        let boot = measure(&qemu, board, Profiler::Off, Some(mib))?;
        plain.metrics.extend(boot.metrics);
    }
    print!("{}", plain.table());
    print!("{}", profiled.irqsoff_table());
    print!("{}", profiler_cost_table(&plain, &profiled));
    write_results(board, &plain, &profiled)?;
    if let (Some(saved), Some(path)) = (saved, compare) {
        print!(
            "{}",
            compare_table(&path.display().to_string(), &saved, &plain)
        );
    }
    Ok(0)
}

/// Builds the benchmark image for `board` with or without the profiler,
/// boots it, and returns its checked report. With `ram_mib`, the image is
/// built for that much RAM instead of the board's (without the profiler)
/// and measures only its boot.
fn measure(
    qemu: &Path,
    declared: &'static Board,
    profiler: Profiler,
    ram_mib: Option<u32>,
) -> Result<Report> {
    let (elf, board) = match ram_mib {
        None => (build(declared, profiler)?, *declared),
        Some(mib) => (
            cargo::build_kernel_bin_with_ram(declared, "bench", mib)?,
            Board {
                ram_size: mib << 20,
                ..*declared
            },
        ),
    };
    let board = &board;
    let mut args = qemu::arguments(board, &elf, false);
    args.push("-icount".into());
    args.push(ICOUNT.into());
    let shown: Vec<String> = args.iter().map(|a| a.to_string_lossy().into()).collect();
    eprintln!(
        "running ({}): {} {}",
        profiler.describe(),
        qemu.display(),
        shown.join(" ")
    );

    let started = Instant::now();
    let (status, output) = run(qemu, &args)?;
    let fail = |why: String| {
        eprintln!("--- console output ---\n{output}--- end of console output ---");
        Err(Error::new(
            1,
            format!("the benchmark {}: {why}", profiler.describe()),
        ))
    };
    match status {
        None => return fail(format!("did not end within {TIMEOUT:?}")),
        Some(s) if !s.success() => {
            return fail(format!("the image failed ({})", cargo::describe(s)));
        }
        Some(_) => {}
    }
    let report = match parse(&output).and_then(|r| r.check(board, profiler).map(|()| r)) {
        Ok(report) if report.boot_only != ram_mib.is_some() => {
            return fail(format!(
                "bad benchmark output: boot_only={} from an image built for {} MiB (the board \
                 declares {})",
                u8::from(report.boot_only),
                report.ram_mib,
                declared.ram_size >> 20
            ));
        }
        Ok(report) => report,
        Err(why) => return fail(format!("bad benchmark output: {why}")),
    };
    eprintln!(
        "(QEMU ran for {:.1} s, {})",
        started.elapsed().as_secs_f64(),
        profiler.describe()
    );
    Ok(report)
}

/// Writes the JSON file (both runs) and the unprofiled run's histograms
/// into `<target dir>/bench/`.
fn write_results(board: &Board, plain: &Report, profiled: &Report) -> Result<()> {
    let dir = cargo::target_dir().join("bench");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::new(1, format!("could not create {}: {e}", dir.display())))?;
    let path = dir.join(format!("{}.json", board.name));
    write(&path, &json(plain, profiled))?;
    println!("wrote {}", path.display());
    for m in plain.metrics.iter().filter(|m| has_histogram(&m.name)) {
        let hist = plain.histogram(&m.name).expect("checked");
        let path = dir.join(format!("{}-{}.svg", board.name, m.name));
        write(&path, &svg(&plain.board, m, hist))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The arguments of `bench`.
#[derive(Debug)]
struct Args {
    /// The board to measure.
    board: &'static Board,
    /// A saved JSON file to compare today's figures with (`--compare FILE`).
    compare: Option<PathBuf>,
}

/// Parses the arguments of `bench`: `None` asks for the help text.
fn parse_args(args: &[String]) -> Result<Option<Args>> {
    let (boards, rest) = board_args::take_boards(args)?;
    let mut compare = None;
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--compare" => match rest.next() {
                Some(file) if compare.is_none() => compare = Some(PathBuf::from(file)),
                Some(_) => return Err(Error::usage("`--compare` given twice")),
                None => return Err(Error::usage("`--compare` needs a FILE (a saved JSON)")),
            },
            _ => {
                return Err(Error::usage(format!(
                    "unknown argument '{arg}' for `cargo xtask bench`; run `cargo xtask bench \
                     --help` for usage"
                )));
            }
        }
    }
    let board = match boards[..] {
        [] => board_args::lookup_board(board_args::DEFAULT_BOARD)?,
        [board] => board,
        _ => return Err(Error::usage("`cargo xtask bench` takes one --board")),
    };
    Ok(Some(Args { board, compare }))
}

/// Builds the benchmark image for `board`, with the IRQs-off profiler or
/// without; returns its ELF (the same path for both builds: boot it before
/// the next build).
fn build(board: &Board, profiler: Profiler) -> Result<PathBuf> {
    cargo::build_kernel_bin(board, "bench", profiler.built_in(), cargo::Target::Qemu)
}

/// Runs QEMU with `args`, no input, and collects its stdout and stderr (in
/// one pipe, so in order). The status is `None` if it was killed at
/// [`TIMEOUT`].
fn run(qemu: &Path, args: &[std::ffi::OsString]) -> Result<(Option<ExitStatus>, String)> {
    let io_error = |e: io::Error| Error::new(1, format!("could not run {}: {e}", qemu.display()));
    let (mut reader, writer) = io::pipe().map_err(io_error)?;
    let mut command = Command::new(qemu);
    command
        .args(args)
        .env("QEMU_AUDIO_DRV", "none")
        .stdin(Stdio::null())
        .stdout(writer.try_clone().map_err(io_error)?)
        .stderr(writer);
    let mut child = command.spawn().map_err(io_error)?;
    // Our copies of the write end must go, or the reader never sees the end.
    drop(command);
    let collector = thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(io_error)? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let output = collector
        .join()
        .unwrap_or_else(|_| String::from("(output lost)"));
    Ok((status, output))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| Error::new(1, format!("could not write {}: {e}", path.display())))
}

/// One metric as the image reported it (instructions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metric {
    /// Its name, e.g. `frame_alloc`.
    pub name: String,
    /// Smallest sample.
    pub min: u64,
    /// Middle sample (the lower one of an even count).
    pub median: u64,
    /// Largest sample.
    pub max: u64,
    /// How many samples.
    pub samples: u64,
}

/// A histogram: bucket `k` counts samples in `[lo + k * width, lo + (k + 1) *
/// width)` instructions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    /// Start of the first bucket.
    pub lo: u64,
    /// Width of every bucket.
    pub width: u64,
    /// Samples per bucket.
    pub counts: Vec<u64>,
}

/// Sizes in bytes of the benchmark image's parts, as laid out (each padded
/// to whole 4 KiB pages).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImageBytes {
    /// Code.
    pub text: u64,
    /// Read-only data (with the unwind index).
    pub rodata: u64,
    /// Initialised data.
    pub data: u64,
    /// Zeroed data.
    pub bss: u64,
}

/// The calibration: a block of `insns` instructions took `ticks` global-timer
/// ticks (the measurement's own cost, `empty_ticks`, taken off).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calibration {
    /// Instructions in the block.
    pub insns: u64,
    /// Ticks the block took.
    pub ticks: u64,
    /// Ticks of an empty measurement.
    pub empty_ticks: u64,
}

/// The IRQs-off profiler's record of one workload: its longest window with
/// IRQs masked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IrqsOff {
    /// The workload (a group of metrics, or one metric's run).
    pub workload: String,
    /// The longest window, in instructions (0: none).
    pub max: u64,
    /// Where IRQs were masked (`file:line`, `trap-entry:KIND`; `none`).
    pub site: String,
    /// Where they came back on (`file:line`, `trap-return`; `none`).
    pub end: String,
    /// How many windows the workload had.
    pub windows: u64,
}

/// Everything a run reported.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// The board the image was built for.
    pub board: String,
    /// Global-timer frequency.
    pub clock_hz: u64,
    /// The icount shift the image assumed.
    pub icount_shift: u32,
    /// Whether the image had the IRQs-off profiler built in (`begin`'s
    /// `irqsoff=1`).
    pub profiled: bool,
    /// The RAM the image was built for, MiB (`begin`'s `ram_mib`).
    pub ram_mib: u32,
    /// Whether the image measured only its boot (`begin`'s `boot_only=1`:
    /// built for another RAM size than the board's).
    pub boot_only: bool,
    /// The calibration record.
    pub calibration: Option<Calibration>,
    /// The image's section sizes.
    pub image: Option<ImageBytes>,
    /// Metrics, in the order reported.
    pub metrics: Vec<Metric>,
    /// Histograms by metric name.
    pub histograms: Vec<(String, Histogram)>,
    /// The `boot` record: where `boot_to_first_task` counts from (`reset` or
    /// `timer_enable`) and the instructions from there to the image's `main`.
    pub boot: Option<(String, u64)>,
    /// The `masked` record: memory-manager calls, timed whole under the MM lock
    /// (name, instructions).
    pub masked: Vec<(String, u64)>,
    /// The `load` record: how often each load task was switched in.
    pub load: Vec<(String, u64)>,
    /// The `crash` record: processes killed during the crash run and what
    /// each mapped.
    pub crash: Vec<(String, u64)>,
    /// The `irqsoff` records, in the order reported (a profiled run only).
    pub irqsoff: Vec<IrqsOff>,
    /// The metric count of the `end` record, once seen.
    pub end: Option<u64>,
}

/// Splits the `key=value` fields of a record.
fn fields(words: &[&str]) -> std::result::Result<Vec<(String, String)>, String> {
    words
        .iter()
        .map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| format!("'{w}' is not key=value"))
        })
        .collect()
}

fn get<'a>(f: &'a [(String, String)], key: &str) -> std::result::Result<&'a str, String> {
    f.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| format!("no {key}="))
}

fn num(f: &[(String, String)], key: &str) -> std::result::Result<u64, String> {
    let v = get(f, key)?;
    v.parse()
        .map_err(|_| format!("{key}={v} is not a whole number"))
}

/// Parses the console output of a benchmark run: every line that starts with
/// `BENCH ` is a record (see kernel/src/bin/bench.rs); other lines are
/// ignored.
pub fn parse(output: &str) -> std::result::Result<Report, String> {
    let mut r = Report::default();
    let mut begun = false;
    for (n, line) in output.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        let Some(rest) = line.strip_prefix("BENCH ") else {
            continue;
        };
        let at = |e: String| format!("line {}: {e}: {line}", n + 1);
        let words: Vec<&str> = rest.split(' ').filter(|w| !w.is_empty()).collect();
        let Some((&kind, words)) = words.split_first() else {
            return Err(at("empty record".into()));
        };
        let f = fields(words).map_err(at)?;
        if kind != "begin" && !begun {
            return Err(at("record before `begin`".into()));
        }
        if r.end.is_some() {
            return Err(at("record after `end`".into()));
        }
        match kind {
            "begin" => {
                if begun {
                    return Err(at("second `begin`".into()));
                }
                let version = num(&f, "version").map_err(at)?;
                if version != PROTOCOL_VERSION {
                    return Err(at(format!(
                        "protocol version {version}, expected {PROTOCOL_VERSION}"
                    )));
                }
                r.board = get(&f, "board").map_err(at)?.to_string();
                r.clock_hz = num(&f, "clock_hz").map_err(at)?;
                r.icount_shift = num(&f, "icount_shift").map_err(at)? as u32;
                let flag = |key: &str| match get(&f, key).map_err(at)? {
                    "0" => Ok(false),
                    "1" => Ok(true),
                    other => Err(at(format!("{key}={other} is not 0 or 1"))),
                };
                r.profiled = flag("irqsoff")?;
                r.boot_only = flag("boot_only")?;
                r.ram_mib = num(&f, "ram_mib").map_err(at)? as u32;
                begun = true;
            }
            "calib" => {
                r.calibration = Some(Calibration {
                    insns: num(&f, "insns").map_err(at)?,
                    ticks: num(&f, "ticks").map_err(at)?,
                    empty_ticks: num(&f, "empty_ticks").map_err(at)?,
                });
            }
            "image" => {
                r.image = Some(ImageBytes {
                    text: num(&f, "text").map_err(at)?,
                    rodata: num(&f, "rodata").map_err(at)?,
                    data: num(&f, "data").map_err(at)?,
                    bss: num(&f, "bss").map_err(at)?,
                });
            }
            "metric" => {
                let m = Metric {
                    name: get(&f, "name").map_err(at)?.to_string(),
                    min: num(&f, "min").map_err(at)?,
                    median: num(&f, "median").map_err(at)?,
                    max: num(&f, "max").map_err(at)?,
                    samples: num(&f, "samples").map_err(at)?,
                };
                if !(m.min <= m.median && m.median <= m.max) {
                    return Err(at("min <= median <= max does not hold".into()));
                }
                if r.metrics.iter().any(|o| o.name == m.name) {
                    return Err(at(format!("{} reported twice", m.name)));
                }
                r.metrics.push(m);
            }
            "hist" => {
                let name = get(&f, "name").map_err(at)?.to_string();
                let counts = get(&f, "counts")
                    .map_err(at)?
                    .split(',')
                    .map(|c| c.parse::<u64>())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|_| at("counts= is not a list of whole numbers".into()))?;
                let width = num(&f, "width").map_err(at)?;
                if width == 0 {
                    return Err(at("width=0".into()));
                }
                let lo = num(&f, "lo").map_err(at)?;
                r.histograms.push((name, Histogram { lo, width, counts }));
            }
            "boot" => {
                let origin = get(&f, "origin").map_err(at)?;
                if origin != "reset" && origin != "timer_enable" {
                    return Err(at(format!("origin={origin} is not reset or timer_enable")));
                }
                r.boot = Some((origin.to_string(), num(&f, "main").map_err(at)?));
            }
            "irqsoff" => {
                let i = IrqsOff {
                    workload: get(&f, "workload").map_err(at)?.to_string(),
                    max: num(&f, "max").map_err(at)?,
                    site: get(&f, "site").map_err(at)?.to_string(),
                    end: get(&f, "end").map_err(at)?.to_string(),
                    windows: num(&f, "windows").map_err(at)?,
                };
                if r.irqsoff.iter().any(|o| o.workload == i.workload) {
                    return Err(at(format!("irqsoff of {} reported twice", i.workload)));
                }
                r.irqsoff.push(i);
            }
            "masked" | "load" | "crash" => {
                let list = f
                    .iter()
                    .map(|(k, v)| {
                        v.parse()
                            .map(|v| (k.clone(), v))
                            .map_err(|_| at(format!("{k}={v} is not a whole number")))
                    })
                    .collect::<std::result::Result<_, _>>()?;
                match kind {
                    "load" => r.load = list,
                    "crash" => r.crash = list,
                    _ => r.masked = list,
                }
            }
            "end" => r.end = Some(num(&f, "metrics").map_err(at)?),
            other => return Err(at(format!("unknown record `{other}`"))),
        }
    }
    if !begun {
        return Err("no `BENCH begin` line: the benchmark did not start".into());
    }
    if r.end.is_none() {
        return Err("no `BENCH end` line: the benchmark did not finish".into());
    }
    Ok(r)
}

impl Report {
    /// The histogram of metric `name`.
    pub fn histogram(&self, name: &str) -> Option<&Histogram> {
        self.histograms
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, h)| h)
    }

    /// Instructions per global-timer tick under icount (0.625 for a 100 MHz
    /// timer and 16 ns per instruction).
    pub fn insns_per_tick(&self) -> f64 {
        1e9 / (self.clock_hz as f64 * f64::from(1u32 << self.icount_shift))
    }

    /// The metrics in the order of [`METRICS`] (any others after them).
    pub fn ordered(&self) -> Vec<&Metric> {
        let rank = |m: &&Metric| {
            METRICS
                .iter()
                .position(|n| *n == m.name)
                .unwrap_or(METRICS.len())
        };
        let mut v: Vec<&Metric> = self.metrics.iter().collect();
        v.sort_by_key(rank);
        v
    }

    /// The metrics this run must report: every one of [`METRICS`] but the
    /// boot metrics of other RAM sizes than the image's, or, from a
    /// boot-only image, its boot metric alone.
    pub fn expected(&self) -> Vec<String> {
        let boot = boot_metric(self.ram_mib);
        METRICS
            .iter()
            .map(|n| n.to_string())
            .filter(|n| {
                if self.boot_only {
                    *n == boot
                } else {
                    !n.starts_with("boot_to_first_task_") || *n == boot
                }
            })
            .collect()
    }

    /// Checks that the run is complete and trustworthy: the right board,
    /// build (with the profiler or without, as `profiler` says) and icount
    /// setting, the tick ratio confirmed by the calibration block, every
    /// expected metric with enough samples (one for [`SINGLE`] ones), the
    /// `boot` record, a histogram that adds up for each latency metric, and
    /// an `irqsoff` record for each of [`IRQSOFF_WORKLOADS`] if profiled
    /// (none if not).
    pub fn check(&self, board: &Board, profiler: Profiler) -> std::result::Result<(), String> {
        if self.board != board.name {
            return Err(format!("the image says board {}", self.board));
        }
        if self.ram_mib != board.ram_size >> 20 {
            return Err(format!(
                "the image says {} MiB of RAM, QEMU had {}",
                self.ram_mib,
                board.ram_size >> 20
            ));
        }
        if self.profiled != profiler.built_in() {
            return Err(format!(
                "the image says irqsoff={}, but it was built {}",
                u8::from(self.profiled),
                profiler.describe()
            ));
        }
        if self.icount_shift != ICOUNT_SHIFT || self.clock_hz == 0 {
            return Err(format!(
                "the image assumes icount shift {} and a {} Hz clock",
                self.icount_shift, self.clock_hz
            ));
        }
        let c = self.calibration.ok_or("no calibration record")?;
        let measured = c.ticks as f64 * self.insns_per_tick();
        if (measured - c.insns as f64).abs() > CALIBRATION_SLACK {
            return Err(format!(
                "{} instructions took {} ticks, i.e. {measured:.1} instructions at {} per \
                 tick: is QEMU counting instructions (-icount {ICOUNT})?",
                c.insns,
                c.ticks,
                self.insns_per_tick()
            ));
        }
        if self.image.is_none() {
            return Err("no image record".into());
        }
        if self.end != Some(self.metrics.len() as u64) {
            return Err(format!(
                "`end` counts {:?} metrics, {} were reported",
                self.end,
                self.metrics.len()
            ));
        }
        let expected = self.expected();
        for name in &expected {
            let found = self.metrics.iter().find(|m| m.name == *name);
            if found.is_none() && BOARD_SPECIFIC.contains(&name.as_str()) {
                continue;
            }
            let m = found.ok_or_else(|| format!("metric {name} is missing"))?;
            let single = SINGLE.contains(&name.as_str());
            if (single && m.samples != 1) || (!single && m.samples < MIN_SAMPLES) {
                return Err(format!("{name} has {} samples", m.samples));
            }
        }
        if self.boot.is_none() {
            return Err("no boot record".into());
        }
        if self.profiled && !self.boot_only {
            for name in IRQSOFF_WORKLOADS {
                if !self.irqsoff.iter().any(|i| i.workload == *name) {
                    return Err(format!("no irqsoff record for {name}"));
                }
            }
        } else if let Some(i) = self.irqsoff.first() {
            return Err(format!(
                "an irqsoff record ({}) from an image without the profiler",
                i.workload
            ));
        }
        for m in &self.metrics {
            if !expected.contains(&m.name) {
                return Err(format!("unexpected metric {}", m.name));
            }
            if has_histogram(&m.name) {
                let h = self
                    .histogram(&m.name)
                    .ok_or_else(|| format!("no histogram for {}", m.name))?;
                if h.counts.iter().sum::<u64>() != m.samples {
                    return Err(format!("the histogram of {} does not add up", m.name));
                }
            }
        }
        Ok(())
    }

    /// The table printed after a run.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "benchmark on {} (QEMU -icount {ICOUNT}; figures are guest instructions; kernel {})",
            self.board,
            if self.profiled {
                Profiler::On.describe()
            } else {
                Profiler::Off.describe()
            }
        );
        let _ = writeln!(
            t,
            "{:<36} {:>8} {:>8} {:>8} {:>8}",
            "metric", "min", "median", "max", "samples"
        );
        for m in self.ordered() {
            let _ = writeln!(
                t,
                "{:<36} {:>8} {:>8} {:>8} {:>8}",
                m.name, m.min, m.median, m.max, m.samples
            );
        }
        if let Some(c) = self.calibration {
            let _ = writeln!(
                t,
                "calibration: {} instructions took {} ticks ({:.5} instructions per tick; \
                 expected {}); a measurement's own {} ticks are subtracted",
                c.insns,
                c.ticks,
                c.insns as f64 / c.ticks as f64,
                self.insns_per_tick(),
                c.empty_ticks
            );
        }
        if let Some((origin, main)) = &self.boot {
            let from = if origin == "reset" {
                "reset (QEMU's virtual clock at 0)"
            } else {
                "the global timer's start in time::init (no counter from reset on this board)"
            };
            let _ = writeln!(
                t,
                "boot_to_first_task counts from {from}; from there to the image's main: {main} \
                 instructions"
            );
        }
        if !self.masked.is_empty() {
            let calls: Vec<String> = self
                .masked
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = writeln!(
                t,
                "memory-manager calls, whole under the MM lock (IRQs enabled) (median instructions): {}",
                calls.join(", ")
            );
        }
        if !self.crash.is_empty() {
            let get = |k: &str| {
                self.crash
                    .iter()
                    .find(|(n, _)| n == k)
                    .map_or(0, |(_, v)| *v)
            };
            let _ = writeln!(
                t,
                "crash run: {} soft processes each mapped {} KiB and were killed for a NULL read",
                get("kills"),
                get("mapped_kib")
            );
        }
        if !self.load.is_empty() {
            let counts: Vec<String> = self
                .load
                .iter()
                .map(|(k, v)| format!("{} {v}", k.trim_end_matches("_switches")))
                .collect();
            let _ = writeln!(
                t,
                "load tasks, times switched in during the loaded runs: {}",
                counts.join(", ")
            );
        }
        if let Some(i) = self.image {
            let _ = writeln!(
                t,
                "benchmark image bytes: text {} rodata {} data {} bss {}",
                i.text, i.rodata, i.data, i.bss
            );
        }
        t
    }

    /// The IRQs-off table: per workload, the longest window with IRQs masked
    /// (instructions) and where it began and ended.
    pub fn irqsoff_table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "IRQs-off profiler (kernel feature irqsoff, a second run built with it): longest \
             window with IRQs masked per workload"
        );
        let _ = writeln!(
            t,
            "{:<36} {:>12} {:>8}  masked at -> enabled at",
            "workload", "irqs_off_max", "windows"
        );
        for i in self.irqsoff_ordered() {
            let _ = writeln!(
                t,
                "{:<36} {:>12} {:>8}  {} -> {}",
                i.workload, i.max, i.windows, i.site, i.end
            );
        }
        t
    }

    /// The `irqsoff` records in the order of [`IRQSOFF_WORKLOADS`] (any
    /// others after them).
    pub fn irqsoff_ordered(&self) -> Vec<&IrqsOff> {
        let rank = |i: &&IrqsOff| {
            IRQSOFF_WORKLOADS
                .iter()
                .position(|n| *n == i.workload)
                .unwrap_or(IRQSOFF_WORKLOADS.len())
        };
        let mut v: Vec<&IrqsOff> = self.irqsoff.iter().collect();
        v.sort_by_key(rank);
        v
    }
}

/// The profiler's cost: each metric's median in the run without the
/// profiler (`plain`) and in the one with it (`profiled`), and the
/// difference, in the order of [`METRICS`]; then what a measurement's own
/// reads cost in each.
pub fn profiler_cost_table(plain: &Report, profiled: &Report) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "what the IRQs-off profiler adds (median instructions, built without it and with it)"
    );
    let _ = writeln!(
        t,
        "{:<36} {:>8} {:>8} {:>8}",
        "metric", "without", "with", "added"
    );
    for m in plain.ordered() {
        let Some(p) = profiled.metrics.iter().find(|p| p.name == m.name) else {
            continue;
        };
        let added = i128::from(p.median) - i128::from(m.median);
        let _ = writeln!(
            t,
            "{:<36} {:>8} {:>8} {:>+8}",
            m.name, m.median, p.median, added
        );
    }
    if let (Some(a), Some(b)) = (plain.calibration, profiled.calibration) {
        let _ = writeln!(
            t,
            "a measurement's own cost (two back-to-back reads): {} ticks without, {} with",
            a.empty_ticks, b.empty_ticks
        );
    }
    t
}

/// The metrics of `r` as the body of a JSON object (one member per line,
/// indented by four), in the order of [`METRICS`].
fn json_metrics(j: &mut String, r: &Report) {
    let list = r.ordered();
    for (i, m) in list.iter().enumerate() {
        let comma = if i + 1 < list.len() { "," } else { "" };
        let _ = writeln!(
            j,
            "    {}: {{ \"min\": {}, \"median\": {}, \"max\": {}, \"samples\": {} }}{comma}",
            json_string(&m.name),
            m.min,
            m.median,
            m.max,
            m.samples
        );
    }
}

/// The JSON file, from the run without the profiler (`plain`) and the one
/// with it (`profiled`):
///
/// - `board`, `unit` (`"instructions"`);
/// - `metrics`: per metric `min`, `median`, `max`, `samples`, without the
///   profiler (the performance figures);
/// - `boot_to_first_task_from`: `reset` or `timer_enable`;
/// - `image_bytes`: `text`, `rodata`, `data`, `bss` of the image without the
///   profiler;
/// - `irqs_off_max`: per workload `max` (instructions), `site`, `end`,
///   `windows`, from the profiled run;
/// - `profiled_metrics`: as `metrics`, from the profiled run (the profiler's
///   hook inside every measured span: only to show its cost).
pub fn json(plain: &Report, profiled: &Report) -> String {
    let mut j = String::new();
    let _ = writeln!(j, "{{");
    let _ = writeln!(j, "  \"board\": {},", json_string(&plain.board));
    let _ = writeln!(j, "  \"unit\": \"instructions\",");
    let _ = writeln!(j, "  \"metrics\": {{");
    json_metrics(&mut j, plain);
    let _ = writeln!(j, "  }},");
    if let Some((origin, _)) = &plain.boot {
        let _ = writeln!(j, "  \"boot_to_first_task_from\": {},", json_string(origin));
    }
    let i = plain.image.unwrap_or_default();
    let _ = writeln!(
        j,
        "  \"image_bytes\": {{ \"text\": {}, \"rodata\": {}, \"data\": {}, \"bss\": {} }},",
        i.text, i.rodata, i.data, i.bss
    );
    let _ = writeln!(j, "  \"irqs_off_max\": {{");
    let list = profiled.irqsoff_ordered();
    for (n, i) in list.iter().enumerate() {
        let comma = if n + 1 < list.len() { "," } else { "" };
        let _ = writeln!(
            j,
            "    {}: {{ \"max\": {}, \"site\": {}, \"end\": {}, \"windows\": {} }}{comma}",
            json_string(&i.workload),
            i.max,
            json_string(&i.site),
            json_string(&i.end),
            i.windows
        );
    }
    let _ = writeln!(j, "  }},");
    let _ = writeln!(j, "  \"profiled_metrics\": {{");
    json_metrics(&mut j, profiled);
    let _ = writeln!(j, "  }}");
    let _ = writeln!(j, "}}");
    j
}

/// A figure of a saved JSON file: a metric's median and max.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Saved {
    /// Its median.
    pub median: u64,
    /// Its max.
    pub max: u64,
}

/// The `metrics` of a JSON file this command wrote (any version: only
/// `metrics.<name>.median` and `.max` are read), in the file's order.
pub fn saved_metrics(text: &str) -> std::result::Result<Vec<(String, Saved)>, String> {
    let root = Json::parse(text)?;
    let Some(Json::Object(metrics)) = root.get("metrics") else {
        return Err("no \"metrics\" object".into());
    };
    metrics
        .iter()
        .map(|(name, m)| {
            let field = |key: &str| match m.get(key) {
                Some(Json::Number(n)) if *n >= 0.0 && n.fract() == 0.0 => Ok(*n as u64),
                _ => Err(format!("metric {name} has no whole-number \"{key}\"")),
            };
            Ok((
                name.clone(),
                Saved {
                    median: field("median")?,
                    max: field("max")?,
                },
            ))
        })
        .collect()
}

/// `new` against `old` in per cent (`None` when `old` is 0).
fn change(old: u64, new: u64) -> Option<f64> {
    (old != 0).then(|| (new as f64 - old as f64) * 100.0 / old as f64)
}

/// The comparison `cargo xtask bench --compare FILE` prints: each metric's
/// median and max from the saved file (`old`) and from this run (`new`),
/// and the change in per cent. Metrics on one side only are listed with
/// `-` for the other; the order is [`METRICS`]', then the file's.
pub fn compare_table(file: &str, old: &[(String, Saved)], new: &Report) -> String {
    let mut names: Vec<&str> = METRICS.to_vec();
    for (n, _) in old {
        if !names.contains(&n.as_str()) {
            names.push(n);
        }
    }
    for m in &new.metrics {
        if !names.contains(&m.name.as_str()) {
            names.push(&m.name);
        }
    }
    let cell = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    let pct = |o: Option<u64>, n: Option<u64>| match (o, n) {
        (Some(o), Some(n)) => change(o, n).map_or("-".into(), |c| format!("{c:+.1}%")),
        _ => "-".to_string(),
    };
    let mut t = String::new();
    let _ = writeln!(
        t,
        "compared with {file} (old) (median and max, instructions)"
    );
    let _ = writeln!(
        t,
        "{:<36} {:>9} {:>9} {:>8} {:>9} {:>9} {:>8}",
        "metric", "old med", "new med", "change", "old max", "new max", "change"
    );
    for name in names {
        let o = old.iter().find(|(n, _)| n == name).map(|(_, s)| *s);
        let n = new.metrics.iter().find(|m| m.name == name);
        if o.is_none() && n.is_none() {
            continue;
        }
        let (om, ox) = (o.map(|s| s.median), o.map(|s| s.max));
        let (nm, nx) = (n.map(|m| m.median), n.map(|m| m.max));
        let _ = writeln!(
            t,
            "{:<36} {:>9} {:>9} {:>8} {:>9} {:>9} {:>8}",
            name,
            cell(om),
            cell(nm),
            pct(om, nm),
            cell(ox),
            cell(nx),
            pct(ox, nx)
        );
    }
    t
}

/// A JSON value, as far as [`saved_metrics`] needs one (a small parser, as
/// the xtask depends on std only).
#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses a whole document.
    fn parse(text: &str) -> std::result::Result<Json, String> {
        let mut p = JsonParser {
            s: text.as_bytes(),
            at: 0,
        };
        let v = p.value()?;
        p.space();
        if p.at != p.s.len() {
            return Err(p.error("text after the JSON value"));
        }
        Ok(v)
    }

    /// Member `key` of an object.
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    at: usize,
}

impl JsonParser<'_> {
    fn error(&self, what: &str) -> String {
        let line = self.s[..self.at.min(self.s.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("not JSON as expected, line {line}: {what}")
    }

    fn space(&mut self) {
        while self.at < self.s.len() && self.s[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.space();
        if self.s.get(self.at) == Some(&b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> std::result::Result<Json, String> {
        self.space();
        match self.s.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Ok(Json::Object(members));
                }
                loop {
                    self.space();
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return Err(self.error("no ':' after a key"));
                    }
                    members.push((key, self.value()?));
                    if self.eat(b'}') {
                        return Ok(Json::Object(members));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("no ',' or '}' in an object"));
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    if self.eat(b']') {
                        return Ok(Json::Array(items));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("no ',' or ']' in an array"));
                    }
                }
            }
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                while self.at < self.s.len()
                    && matches!(
                        self.s[self.at],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.at]).unwrap_or("");
                text.parse()
                    .map(Json::Number)
                    .map_err(|_| self.error("a bad number"))
            }
            _ => Err(self.error("a value expected")),
        }
    }

    fn word(&mut self, word: &str, v: Json) -> std::result::Result<Json, String> {
        if self.s[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(v)
        } else {
            Err(self.error("a value expected"))
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        if self.s.get(self.at) != Some(&b'"') {
            return Err(self.error("a string expected"));
        }
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.s.get(self.at) {
                None => return Err(self.error("an unterminated string")),
                Some(b'"') => {
                    self.at += 1;
                    return String::from_utf8(out).map_err(|_| self.error("a string not UTF-8"));
                }
                Some(b'\\') => {
                    let esc = *self
                        .s
                        .get(self.at + 1)
                        .ok_or_else(|| self.error("a bad escape"))?;
                    self.at += 2;
                    match esc {
                        b'"' | b'\\' | b'/' => out.push(esc),
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = self
                                .s
                                .get(self.at..self.at + 4)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .ok_or_else(|| self.error("a bad \\u escape"))?;
                            self.at += 4;
                            let c = char::from_u32(hex).unwrap_or('\u{fffd}');
                            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        _ => return Err(self.error("a bad escape")),
                    }
                }
                Some(&b) => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` with the XML special characters escaped.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A histogram as an SVG image: one bar per bucket on a logarithmic count
/// axis (so that a single late sample still shows), latency in instructions
/// along the bottom, the metric's name and figures on top.
pub fn svg(board: &str, m: &Metric, h: &Histogram) -> String {
    const W: f64 = 720.0;
    const H: f64 = 420.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 20.0;
    const TOP: f64 = 60.0;
    const BOTTOM: f64 = 70.0;
    const MIN_SLOTS: u64 = 10;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    // At least MIN_SLOTS bucket slots, the data centred, so that a narrow
    // histogram does not become two wall-to-wall bars.
    let len = h.counts.len() as u64;
    let pad = (MIN_SLOTS.saturating_sub(len) / 2).min(h.lo / h.width);
    let slots = len.max(MIN_SLOTS);
    let lo = h.lo - pad * h.width;
    let hi = lo + h.width * slots;
    // Decades of the count axis: from 10^0 to the first power of ten at or
    // above the largest count; bars start at 0.5 so a count of 1 shows.
    let peak = h.counts.iter().copied().max().unwrap_or(1).max(1);
    let mut decades = 0u32;
    while 10u64.pow(decades) < peak {
        decades += 1;
    }
    let decades = decades.max(1);
    let floor = 0.5f64.log10();
    let y_of = |count: f64| {
        let f = (count.log10() - floor) / (f64::from(decades) - floor);
        TOP + ph - f * ph
    };
    let x_of = |insns: u64| LEFT + (insns - lo) as f64 / (hi - lo) as f64 * pw;

    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(s, "<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>");
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"16\" \
         font-weight=\"bold\">{} ({})</text>",
        W / 2.0,
        xml(&m.name),
        xml(board)
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"42\" text-anchor=\"middle\">min {} · median {} · max {} \
         instructions · {} samples</text>",
        W / 2.0,
        m.min,
        m.median,
        m.max,
        m.samples
    );
    // Bars.
    let bar_w = pw / slots as f64;
    for (k, &c) in h.counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let x = x_of(h.lo + k as u64 * h.width);
        let y = y_of(c as f64);
        let _ = writeln!(
            s,
            "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{:.2}\" \
             fill=\"#4682b4\" stroke=\"white\" stroke-width=\"0.5\">\
             <title>{}..{} instructions: {c}</title></rect>",
            bar_w,
            TOP + ph - y,
            h.lo + k as u64 * h.width,
            h.lo + (k as u64 + 1) * h.width - 1
        );
    }
    // Axes.
    let (x0, y0) = (LEFT, TOP + ph);
    let _ = writeln!(
        s,
        "<path d=\"M{x0} {TOP} V{y0} H{}\" fill=\"none\" stroke=\"black\"/>",
        LEFT + pw
    );
    // Count axis: one tick per decade.
    for d in 0..=decades {
        let y = y_of(10f64.powi(d as i32));
        let _ = writeln!(
            s,
            "<path d=\"M{} {y:.2} H{x0}\" stroke=\"black\"/>\
             <text x=\"{}\" y=\"{:.2}\" text-anchor=\"end\">{}</text>",
            x0 - 5.0,
            x0 - 8.0,
            y + 4.0,
            10u64.pow(d)
        );
    }
    let _ = writeln!(
        s,
        "<text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">\
         samples per bucket (log scale)</text>",
        TOP + ph / 2.0
    );
    // Latency axis: about eight labelled ticks on bucket edges, and the right end unless a
    // tick is close to it already.
    let step = slots.div_ceil(8).max(1);
    let mut ticks: Vec<u64> = (0..=slots).step_by(step as usize).collect();
    if ticks.last().is_some_and(|&t| 2 * (slots - t) >= step) {
        ticks.push(slots);
    }
    for k in ticks {
        let v = lo + k * h.width;
        let x = x_of(v);
        let _ = writeln!(
            s,
            "<path d=\"M{x:.2} {y0} V{}\" stroke=\"black\"/>\
             <text x=\"{x:.2}\" y=\"{}\" text-anchor=\"middle\">{v}</text>",
            y0 + 5.0,
            y0 + 20.0
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">wake-up lateness, guest \
         instructions (bucket width {}; QEMU -icount {ICOUNT}: 16 ns each)</text>",
        LEFT + pw / 2.0,
        H - 20.0,
        h.width
    );
    let _ = writeln!(s, "</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board;

    fn vexpress() -> &'static Board {
        board::by_name("vexpress-a9").unwrap()
    }

    /// A complete, valid output of the profiled run, with console noise
    /// around it.
    fn sample_output() -> String {
        sample_run(true)
    }

    /// A complete, valid output of the run without the profiler: no
    /// `irqsoff` records, other figures (medians 10, a measurement's own cost
    /// 100 ticks).
    fn sample_output_plain() -> String {
        sample_run(false)
    }

    fn sample_run(profiled: bool) -> String {
        let mut o = format!(
            "rtk 0.1.0 booting\r\nioremap: 0x1e000200 (+0x100) -> 0xf0100200\r\n\
             BENCH begin version=3 board=vexpress-a9 clock_hz=100000000 icount_shift=4 \
             irqsoff={} ram_mib=256 boot_only=0\r\n\
             BENCH calib insns=20001 ticks=32003 empty_ticks={}\r\n\
             BENCH image text=86016 rodata=12288 data=4096 bss=12288\r\n",
            u8::from(profiled),
            if profiled { 116 } else { 100 }
        );
        let median = if profiled { 12 } else { 10 };
        o.push_str("BENCH boot origin=reset main=150000\r\n");
        for name in run_metrics().iter().rev() {
            let samples = if SINGLE.contains(name) { 1 } else { 1000 };
            o.push_str(&format!(
                "BENCH metric name={name} min=10 median={median} max=40 samples={samples}\r\n"
            ));
            if has_histogram(name) {
                o.push_str(&format!(
                    "BENCH hist name={name} lo=10 width=5 counts=990,0,5,0,0,0,5\r\n"
                ));
            }
        }
        o.push_str("BENCH masked map_new_table=1634 unmap_table=700\r\n");
        o.push_str("BENCH load mapper_switches=6000 busy_switches=3000\r\n");
        o.push_str("BENCH crash kills=3 mapped_kib=16384\r\n");
        for w in IRQSOFF_WORKLOADS.iter().rev().filter(|_| profiled) {
            o.push_str(&format!(
                "BENCH irqsoff workload={w} max=700 site=kernel/src/mm/space.rs:189 \
                 end=trap-return windows=12\r\n"
            ));
        }
        o.push_str(&format!(
            "BENCH end metrics={}\r\nbye\r\n",
            run_metrics().len()
        ));
        o
    }

    /// The metrics a full run at 256 MiB reports: all but the 512 MiB boot.
    fn run_metrics() -> Vec<&'static str> {
        METRICS
            .iter()
            .copied()
            .filter(|n| *n != "boot_to_first_task_512m")
            .collect()
    }

    #[test]
    fn parses_a_run() {
        let r = parse(&sample_output()).unwrap();
        assert_eq!(r.board, "vexpress-a9");
        assert_eq!(r.clock_hz, 100_000_000);
        assert_eq!(
            r.calibration,
            Some(Calibration {
                insns: 20001,
                ticks: 32003,
                empty_ticks: 116
            })
        );
        assert_eq!(
            r.image,
            Some(ImageBytes {
                text: 86016,
                rodata: 12288,
                data: 4096,
                bss: 12288
            })
        );
        assert_eq!(r.metrics.len(), run_metrics().len());
        assert_eq!(r.metrics[0].name, "user_mprotect", "as reported");
        assert_eq!(
            *r.ordered()[0],
            Metric {
                name: "frame_alloc".into(),
                min: 10,
                median: 12,
                max: 40,
                samples: 1000
            }
        );
        let h = r.histogram("wakeup_latency_hard_kernel_idle").unwrap();
        assert_eq!((h.lo, h.width), (10, 5));
        assert_eq!(h.counts, vec![990, 0, 5, 0, 0, 0, 5]);
        assert_eq!(
            r.masked,
            vec![("map_new_table".into(), 1634), ("unmap_table".into(), 700)]
        );
        assert_eq!(r.boot, Some(("reset".into(), 150000)));
        assert_eq!(
            r.load,
            vec![
                ("mapper_switches".into(), 6000),
                ("busy_switches".into(), 3000)
            ]
        );
        let t = r.table();
        assert!(t.contains("load tasks, times switched in during the loaded runs: mapper 6000"));
        assert!(t.contains("crash run: 3 soft processes each mapped 16384 KiB"));
        assert_eq!(r.irqsoff.len(), IRQSOFF_WORKLOADS.len());
        assert_eq!(
            r.irqsoff_ordered()[0],
            &IrqsOff {
                workload: "frames".into(),
                max: 700,
                site: "kernel/src/mm/space.rs:189".into(),
                end: "trap-return".into(),
                windows: 12
            }
        );
        let it = r.irqsoff_table();
        assert!(it.contains("irqs_off_max"));
        assert!(it.contains("kernel/src/mm/space.rs:189 -> trap-return"));
        assert!(t.contains("boot_to_first_task counts from reset"));
        assert!(t.contains("kernel with the IRQs-off profiler"));
        assert!(r.profiled);
        assert_eq!(r.check(vexpress(), Profiler::On), Ok(()));
        assert!((r.insns_per_tick() - 0.625).abs() < 1e-12);
    }

    #[test]
    fn refuses_broken_records() {
        let good = sample_output();
        for (from, to, why) in [
            ("min=10 median=12", "min=13 median=12", "min <= median"),
            ("max=40 samples", "max=x samples", "not a whole number"),
            ("version=3", "version=2", "protocol version"),
            ("boot_only=0", "boot_only=2", "boot_only=2 is not 0 or 1"),
            (" ram_mib=256", "", "no ram_mib="),
            ("irqsoff=1", "irqsoff=yes", "irqsoff=yes is not 0 or 1"),
            (" irqsoff=1", "", "no irqsoff="),
            ("counts=990,0,5", "counts=990,,5", "counts="),
            ("BENCH calib", "BENCH calibr", "unknown record"),
            ("BENCH end", "BENCH nope", "unknown record"),
            ("text=86016", "text86016", "not key=value"),
            ("origin=reset", "origin=later", "origin=later"),
            ("main=150000", "main=", "not a whole number"),
        ] {
            let bad = good.replacen(from, to, 1);
            let err = parse(&bad).unwrap_err();
            assert!(err.contains(why), "{to}: {err}");
        }
    }

    #[test]
    fn needs_begin_and_end() {
        let good = sample_output();
        let no_end: String = good
            .lines()
            .filter(|l| !l.starts_with("BENCH end"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(parse(&no_end).unwrap_err().contains("did not finish"));
        assert!(parse("hello\n").unwrap_err().contains("did not start"));
        let early = format!("BENCH metric name=a min=1 median=1 max=1 samples=1\n{good}");
        assert!(parse(&early).unwrap_err().contains("before `begin`"));
    }

    #[test]
    fn board_specific_metrics_may_be_absent() {
        let good = parse(&sample_output()).unwrap();
        let without = |name: &str| {
            let mut r = good.clone();
            r.metrics.retain(|m| m.name != name);
            r.end = Some(r.metrics.len() as u64);
            r.check(vexpress(), Profiler::On)
        };
        assert_eq!(without("irq_to_user"), Ok(()), "a board without an SP804");
        assert!(without("notify_wake").unwrap_err().contains("notify_wake"));
    }

    #[test]
    fn check_catches_bad_runs() {
        let good = parse(&sample_output()).unwrap();
        let mut r = good.clone();
        r.calibration.as_mut().unwrap().ticks = 20001; // no icount: 1 tick/insn
        assert!(
            r.check(vexpress(), Profiler::On)
                .unwrap_err()
                .contains("-icount")
        );
        let mut r = good.clone();
        r.metrics[3].samples = 999;
        assert!(
            r.check(vexpress(), Profiler::On)
                .unwrap_err()
                .contains("999 samples")
        );
        let mut r = good.clone();
        r.metrics.retain(|m| m.name != "frame_alloc");
        r.end = Some(r.metrics.len() as u64);
        assert!(
            r.check(vexpress(), Profiler::On)
                .unwrap_err()
                .contains("frame_alloc")
        );
        let mut r = good.clone();
        let boot = r
            .metrics
            .iter_mut()
            .find(|m| m.name == "boot_to_first_task_256m");
        boot.unwrap().samples = 2;
        assert!(
            r.check(vexpress(), Profiler::On)
                .unwrap_err()
                .contains("2 samples")
        );
        let mut r = good.clone();
        r.boot = None;
        assert!(
            r.check(vexpress(), Profiler::On)
                .unwrap_err()
                .contains("boot record")
        );
        let mut r = good.clone();
        r.irqsoff.retain(|i| i.workload != "frames");
        assert!(
            r.check(vexpress(), Profiler::On)
                .unwrap_err()
                .contains("irqsoff record for frames")
        );
        let mut r = good.clone();
        r.histograms[0].1.counts[0] -= 1;
        assert!(
            r.check(vexpress(), Profiler::On)
                .unwrap_err()
                .contains("add up")
        );
        let mut r = good.clone();
        r.end = Some(3);
        assert!(r.check(vexpress(), Profiler::On).is_err());
        let mut r = good;
        r.board = "other".into();
        assert!(r.check(vexpress(), Profiler::On).is_err());
    }

    #[test]
    fn checks_the_build_each_run_expects() {
        let plain = parse(&sample_output_plain()).unwrap();
        assert!(!plain.profiled);
        assert!(plain.irqsoff.is_empty());
        assert_eq!(plain.check(vexpress(), Profiler::Off), Ok(()));
        assert!(
            plain
                .check(vexpress(), Profiler::On)
                .unwrap_err()
                .contains("irqsoff=0, but it was built with the IRQs-off profiler")
        );
        let profiled = parse(&sample_output()).unwrap();
        assert!(
            profiled
                .check(vexpress(), Profiler::Off)
                .unwrap_err()
                .contains("irqsoff=1, but it was built without")
        );
        // An unprofiled image has no irqsoff records to give.
        let mut r = plain.clone();
        r.irqsoff.push(profiled.irqsoff[0].clone());
        assert!(
            r.check(vexpress(), Profiler::Off)
                .unwrap_err()
                .contains("without the profiler")
        );
        assert!(
            plain
                .table()
                .contains("kernel without the IRQs-off profiler)")
        );
    }

    #[test]
    fn cost_table_compares_medians() {
        let plain = parse(&sample_output_plain()).unwrap();
        let profiled = parse(&sample_output()).unwrap();
        let t = profiler_cost_table(&plain, &profiled);
        assert!(t.contains("what the IRQs-off profiler adds"));
        let lines: Vec<&str> = t.lines().collect();
        // Heading, column names, one line per metric in order, the reads.
        assert_eq!(lines.len(), 2 + run_metrics().len() + 1);
        assert_eq!(
            lines[2],
            format!("{:<36} {:>8} {:>8} {:>8}", "frame_alloc", 10, 12, "+2")
        );
        assert!(lines[3].starts_with("frame_free "));
        assert!(t.ends_with("own cost (two back-to-back reads): 100 ticks without, 116 with\n"));
        // A metric the profiled run lacks is left out; a faster one shows a minus.
        let mut fewer = profiled.clone();
        fewer.metrics.retain(|m| m.name != "frame_free");
        fewer.metrics[0].median = 7;
        let t = profiler_cost_table(&plain, &fewer);
        assert!(!t.contains("frame_free"));
        assert!(t.contains(&format!("{:>+8}", -3)));
    }

    #[test]
    fn json_has_every_metric_and_the_image() {
        let plain = parse(&sample_output_plain()).unwrap();
        let r = parse(&sample_output()).unwrap();
        let j = json(&plain, &r);
        assert!(j.starts_with("{\n  \"board\": \"vexpress-a9\",\n  \"unit\": \"instructions\","));
        // The performance figures are the unprofiled run's (median 10).
        assert!(j.contains(
            "\"metrics\": {\n    \"frame_alloc\": { \"min\": 10, \"median\": 10, \"max\": 40, \
             \"samples\": 1000 },"
        ));
        assert!(j.contains(
            "\"boot_to_first_task_256m\": { \"min\": 10, \"median\": 10, \"max\": 40, \
             \"samples\": 1 },"
        ));
        assert!(j.contains(
            "\"user_mprotect\": { \"min\": 10, \"median\": 10, \"max\": 40, \
             \"samples\": 1000 }\n  },\n  \"boot_to_first_task_from\": \"reset\","
        ));
        // The profiled run's, last (median 12).
        assert!(j.contains(
            "\"profiled_metrics\": {\n    \"frame_alloc\": { \"min\": 10, \"median\": 12, \
             \"max\": 40, \"samples\": 1000 },"
        ));
        assert!(j.ends_with(
            "\"user_mprotect\": { \"min\": 10, \"median\": 12, \"max\": 40, \
             \"samples\": 1000 }\n  }\n}\n"
        ));
        // In the order of METRICS, whatever the order of the report, in both.
        let (perf, prof) = j.split_at(j.find("\"profiled_metrics\"").unwrap());
        for part in [perf, prof] {
            let at = |name: &str| part.find(&format!("\"{name}\"")).unwrap();
            assert!(run_metrics().windows(2).all(|w| at(w[0]) < at(w[1])));
        }
        assert!(j.contains(
            "\"frames\": { \"max\": 700, \"site\": \"kernel/src/mm/space.rs:189\", \
             \"end\": \"trap-return\", \"windows\": 12 },"
        ));
        assert!(j.contains(
            "\"image_bytes\": { \"text\": 86016, \"rodata\": 12288, \"data\": 4096, \
             \"bss\": 12288 },"
        ));
        assert!(j.find("\"image_bytes\"") < j.find("\"irqs_off_max\""));
        assert_eq!(j.matches('{').count(), j.matches('}').count());
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }

    #[test]
    fn svg_draws_bars_axes_and_labels() {
        let r = parse(&sample_output()).unwrap();
        let m = r
            .metrics
            .iter()
            .find(|m| m.name == "wakeup_latency_soft_kernel_loaded")
            .unwrap();
        let s = svg(&r.board, m, r.histogram(&m.name).unwrap());
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(s.trim_end().ends_with("</svg>"));
        assert!(s.contains("wakeup_latency_soft_kernel_loaded (vexpress-a9)"));
        assert!(s.contains("guest instructions"));
        assert!(s.contains("log scale"));
        // One bar per non-empty bucket (plus the background rectangle).
        assert_eq!(s.matches("<rect").count(), 1 + 3);
        assert_eq!(s.matches("<title>").count(), 3);
        assert!(s.contains("<title>40..44 instructions: 5</title>"));
        assert_eq!(s.matches('<').count(), s.matches('>').count());
    }

    #[test]
    fn saved_figures_read_back_from_our_json() {
        let plain = parse(&sample_output_plain()).unwrap();
        let profiled = parse(&sample_output()).unwrap();
        let saved = saved_metrics(&json(&plain, &profiled)).unwrap();
        // Only `metrics` (median 10), not `profiled_metrics` (12).
        assert_eq!(saved.len(), run_metrics().len());
        assert_eq!(
            saved[0],
            (
                "frame_alloc".to_string(),
                Saved {
                    median: 10,
                    max: 40
                }
            )
        );
        assert!(saved.iter().all(|(_, s)| s.median == 10));
        // Escapes, nesting and other members are fine; broken files are not.
        let odd = "{\"x\": [1, -2.5e3, true, null, \"a\\\"\\u0041\"], \"metrics\": \
                   {\"m\\u00e9\": {\"median\": 7, \"max\": 9, \"extra\": {}}}}";
        assert_eq!(
            saved_metrics(odd).unwrap(),
            vec![("mé".to_string(), Saved { median: 7, max: 9 })]
        );
        for (bad, why) in [
            ("", "a value expected"),
            ("{\"metrics\": {}} x", "text after"),
            ("{\"metrics\": {\"a\": {\"median\": 1}}}", "\"max\""),
            (
                "{\"metrics\": {\"a\": {\"median\": 1.5, \"max\": 2}}}",
                "\"median\"",
            ),
            ("{\"board\": \"x\"}", "no \"metrics\""),
            ("{\"metrics\": {\"a\" {}}}", "no ':'"),
            ("{\"metrics\": [1,]}", "line 1"),
        ] {
            let err = saved_metrics(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn compare_lines_up_both_sides() {
        let mut new = parse(&sample_output_plain()).unwrap();
        new.metrics.retain(|m| m.name != "frame_free");
        new.metrics.push(Metric {
            name: "brand_new".into(),
            min: 1,
            median: 2,
            max: 3,
            samples: 1000,
        });
        let old = vec![
            ("frame_free".to_string(), Saved { median: 5, max: 6 }),
            (
                "frame_alloc".to_string(),
                Saved {
                    median: 20,
                    max: 40,
                },
            ),
            ("map_page".to_string(), Saved { median: 0, max: 30 }),
            ("gone_since".to_string(), Saved { median: 8, max: 9 }),
        ];
        let t = compare_table("old.json", &old, &new);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "compared with old.json (old) (median and max, instructions)"
        );
        let row = |name: &str| {
            let line = lines
                .iter()
                .find(|l| l.split_whitespace().next() == Some(name))
                .unwrap_or_else(|| panic!("no row for {name}"));
            line.split_whitespace().skip(1).collect::<Vec<_>>()
        };
        // Both sides: halved median, max unchanged.
        assert_eq!(
            row("frame_alloc"),
            ["20", "10", "-50.0%", "40", "40", "+0.0%"]
        );
        // One side only, either way; a zero old figure has no percentage.
        assert_eq!(row("frame_free"), ["5", "-", "-", "6", "-", "-"]);
        assert_eq!(row("brand_new"), ["-", "2", "-", "-", "3", "-"]);
        assert_eq!(row("gone_since"), ["8", "-", "-", "9", "-", "-"]);
        assert_eq!(row("map_page"), ["0", "10", "-", "30", "40", "+33.3%"]);
        // METRICS' order first, then the file's, then the run's own extras.
        let at = |name: &str| lines.iter().position(|l| l.starts_with(name)).unwrap();
        assert!(at("frame_alloc") < at("frame_free"));
        assert!(at("user_mprotect") < at("gone_since"));
        assert!(at("gone_since") < at("brand_new"));
        // A metric on neither side has no row.
        assert!(!t.contains("boot_to_first_task_512m"));
    }

    #[test]
    fn expected_metrics_follow_the_ram_and_the_run() {
        let mut r = parse(&sample_output_plain()).unwrap();
        assert!(
            r.expected()
                .contains(&"boot_to_first_task_256m".to_string())
        );
        assert!(
            !r.expected()
                .contains(&"boot_to_first_task_512m".to_string())
        );
        r.ram_mib = 512;
        assert!(
            r.expected()
                .contains(&"boot_to_first_task_512m".to_string())
        );
        assert!(
            !r.expected()
                .contains(&"boot_to_first_task_256m".to_string())
        );
        r.boot_only = true;
        assert_eq!(r.expected(), ["boot_to_first_task_512m"]);
        // A full run checked against a board of other RAM is refused.
        let r = parse(&sample_output_plain()).unwrap();
        let big = Board {
            ram_size: 512 << 20,
            ..*vexpress()
        };
        assert!(
            r.check(&big, Profiler::Off)
                .unwrap_err()
                .contains("256 MiB")
        );
        assert_eq!(r.check(vexpress(), Profiler::Off), Ok(()));
    }

    #[test]
    fn arguments() {
        let args =
            |line: &str| -> Vec<String> { line.split_whitespace().map(String::from).collect() };
        assert_eq!(
            parse_args(&args("")).unwrap().unwrap().board.name,
            board_args::DEFAULT_BOARD
        );
        assert_eq!(
            parse_args(&args("--board vexpress-a9"))
                .unwrap()
                .unwrap()
                .board
                .name,
            "vexpress-a9"
        );
        assert!(parse_args(&args("--board=vexpress-a9")).unwrap().is_some());
        assert!(parse_args(&args("--help")).unwrap().is_none());
        assert_eq!(parse_args(&args("--board")).unwrap_err().status, 2);
        assert_eq!(parse_args(&args("--board nosuch")).unwrap_err().status, 2);
        assert_eq!(parse_args(&args("fast")).unwrap_err().status, 2);
        let c = parse_args(&args("--compare base.json")).unwrap().unwrap();
        assert_eq!(c.compare, Some(PathBuf::from("base.json")));
        assert_eq!(c.board.name, board_args::DEFAULT_BOARD);
        assert!(
            parse_args(&args("--compare"))
                .unwrap_err()
                .message
                .contains("FILE")
        );
        assert_eq!(
            parse_args(&args("--compare a --compare b"))
                .unwrap_err()
                .status,
            2
        );
        if let [a, b, ..] = board::ALL {
            let two = format!("--board {} --board {}", a.name, b.name);
            assert_eq!(parse_args(&args(&two)).unwrap_err().status, 2);
        }
    }
}
