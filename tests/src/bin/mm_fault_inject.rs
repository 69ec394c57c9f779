//! Every allocation of process creation (soft and hard, from ELF), of
//! `mmap` (soft and hard), of kernel-thread creation and of kernel-bound
//! task creation (soft and hard) made to fail in turn (kernel feature
//! `fault-inject`, `kernel::mm::inject`): each attempt must return an error,
//! or succeed if the failed allocation was one it can do without (then it
//! is undone), and leave every counter as it was: free pages and blocks per
//! order, L2 frames and tables, the kernel pmap's counters, heap bytes
//! mapped and in use, threads and tasks in their tables. No panic on the way (the run would end with 101).
//!
//! First each operation runs once with the allocations only counted (K of
//! them), then for N = 1..=K with the N-th failing.
//! timeout: 120

#![no_std]
#![no_main]

use kernel::mm::inject::{self, Report};
use kernel::process::{self, Class, Spec};
use kernel::syscall::abi::{PROT_READ, PROT_WRITE};
use kernel::{println, thread};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

/// Everything a failed creation could leave behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counters {
    mem: kernel::mm::MemStats,
    heap: (usize, usize),
    /// Threads and tasks that exist.
    threads: usize,
    tasks: usize,
}

fn counters() -> Counters {
    Counters {
        mem: kernel::mm::stats(),
        heap: kernel::mm::heap::usage(),
        threads: (0..thread::MAX_THREADS)
            .filter(|&i| thread::info(thread::ThreadId::new(i as u16)).is_some())
            .count(),
        tasks: (0..process::MAX_PROCESSES as u16)
            .filter(|&pid| process::with_process(pid, |_| ()).is_some())
            .count(),
    }
}

/// The operations walked.
#[derive(Clone, Copy, Debug)]
enum Op {
    SpawnSoft,
    SpawnHard,
    /// mmap of 3 pages into an idle soft process (a new L2 table).
    MmapSoft(u16),
    /// mmap of a section into an idle hard process (from its reserve).
    MmapHard(u16),
    Thread,
    KernelSoft,
    KernelHard,
}

/// What a successful attempt made, to be undone.
enum Made {
    Process(u16),
    Mapping(u16, u32, u32),
    Thread(thread::ThreadId),
}

fn kbody(mem: &'static mut [u8]) {
    mem[0] = 1;
}

fn attempt(op: Op) -> Option<Made> {
    let rw = PROT_READ | PROT_WRITE;
    let low = |s: Spec<'static>| Spec { priority: 20, ..s };
    match op {
        Op::SpawnSoft => {
            let s = low(spec("quiet", Class::SoftIsolated, 0));
            process::spawn_process(&s, program("quiet"))
                .ok()
                .map(Made::Process)
        }
        Op::SpawnHard => {
            let s = Spec {
                budget: 3 << 20,
                ..low(spec("hard_fuzz", Class::HardIsolated, 0))
            };
            process::spawn_process(&s, program("hard_fuzz"))
                .ok()
                .map(Made::Process)
        }
        Op::MmapSoft(pid) | Op::MmapHard(pid) => {
            let len = if matches!(op, Op::MmapSoft(_)) {
                3 * 4096
            } else {
                1 << 20
            };
            let addr = process::with_process(pid, |t| t.space.mmap(len, rw))?.ok()?;
            Some(Made::Mapping(pid, addr, len))
        }
        Op::Thread => thread::spawn("short", 20, || {}).ok().map(Made::Thread),
        Op::KernelSoft | Op::KernelHard => {
            let (class, budget) = match op {
                Op::KernelSoft => (Class::SoftKernel, 16 * 1024),
                _ => (Class::HardKernel, 1 << 20),
            };
            let s = Spec {
                budget,
                ..low(spec("kbound", class, 0))
            };
            process::spawn_kernel_task(&s, kbody)
                .ok()
                .map(Made::Process)
        }
    }
}

fn undo(made: Made) -> bool {
    match made {
        Made::Process(pid) => process::wait(pid).is_ok(),
        Made::Mapping(pid, addr, len) => {
            process::with_process(pid, |t| t.space.munmap(addr, len)) == Some(Ok(()))
        }
        Made::Thread(t) => thread::join(t).is_ok(),
    }
}

/// Walks N over every allocation of `op`; true if nothing leaked, nothing
/// panicked and the count was stable. `expect_none` for an operation that
/// must not allocate at all.
fn walk(name: &str, op: Op, expect_none: bool) -> bool {
    let base = counters();
    inject::arm(0);
    let made = attempt(op);
    let Report { seen: total, .. } = inject::disarm();
    let mut ok = made.is_some_and(undo);
    if !ok {
        println!("{name}: fails without injection");
    }
    if counters() != base {
        println!(
            "{name}: the successful run left {:?} (was {base:?})",
            counters()
        );
        ok = false;
    }
    let (mut clean, mut tolerated) = (0, 0);
    for n in 1..=total {
        let before = counters();
        inject::arm(n);
        let made = attempt(op);
        let report = inject::disarm();
        if report.failed.is_none() {
            println!("{name}: allocation {n} of {total} never came");
            ok = false;
        }
        match made {
            None => clean += 1,
            Some(m) => {
                tolerated += 1;
                ok &= undo(m);
            }
        }
        let after = counters();
        if after != before {
            println!(
                "{name}: failing allocation {n} ({:?}) left {after:?}, was {before:?}",
                report.failed
            );
            ok = false;
        }
    }
    println!(
        "{name}: {total} allocations; with each failing: {clean} errors, {tolerated} done without it"
    );
    if expect_none {
        ok &= total == 0;
    } else {
        ok &= total > 0;
    }
    ok
}

fn main() {
    check(
        "the kernel is built with fault injection",
        inject::arm(0) && inject::disarm().failed.is_none(),
    );
    // Warm-up: the heap, the L2 pool and the TCB zone reach their steady
    // size (each operation once).
    for op in [
        Op::SpawnSoft,
        Op::SpawnHard,
        Op::Thread,
        Op::KernelSoft,
        Op::KernelHard,
    ] {
        if let Some(m) = attempt(op) {
            undo(m);
        }
    }
    check(
        "spawn of a soft isolated process",
        walk("spawn soft", Op::SpawnSoft, false),
    );
    check(
        "spawn of a hard isolated process",
        walk("spawn hard", Op::SpawnHard, false),
    );
    let idle = Spec {
        priority: 20,
        ..spec("quiet", Class::SoftIsolated, 0)
    };
    let soft = process::spawn_process(&idle, program("quiet")).unwrap();
    check("mmap (soft)", walk("mmap soft", Op::MmapSoft(soft), false));
    let idle_hard = Spec {
        priority: 20,
        budget: 3 << 20,
        ..spec("hard_fuzz", Class::HardIsolated, 0)
    };
    let hard = process::spawn_process(&idle_hard, program("hard_fuzz")).unwrap();
    check(
        "mmap (hard) allocates nothing",
        walk("mmap hard", Op::MmapHard(hard), true),
    );
    // They run (and end) once main blocks: before the walks that block.
    check(
        "the idle processes still run and exit",
        process::wait(soft) == Ok(0) && process::wait(hard) == Ok(0),
    );
    check("kernel thread creation", walk("thread", Op::Thread, false));
    check(
        "soft kernel-bound task creation",
        walk("kernel task soft", Op::KernelSoft, false),
    );
    check(
        "hard kernel-bound task creation",
        walk("kernel task hard", Op::KernelHard, false),
    );
    finish()
}
