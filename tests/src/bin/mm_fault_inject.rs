//! Every allocation of process creation (soft and hard, from ELF), of
//! `mmap` (soft and hard), of kernel-thread creation, of kernel-bound task
//! creation (soft and hard) and of the system calls that create or bind
//! kernel objects (`endpoint_create`, `notify_create`, `handle_dup`,
//! `irq_bind`, `mem_create` plain and DMA, `mem_map`, `thread_create`,
//! issued by the user program `inject_calls`) made to fail in turn (kernel
//! feature `fault-inject`, `kernel::mm::inject`): each attempt must fail
//! with its exact error (`NoMemory`, `NoMem`), or succeed if the failed
//! allocation was one it can do without (then it is undone), and leave
//! every counter as it was: free pages and blocks per order, L2 frames and
//! tables, the kernel pmap's counters, heap bytes mapped and in use,
//! threads, control blocks and TCB-zone slabs, processes, memory objects,
//! the calling process's handle slots. No panic on the way (the run would
//! end with 101).
//!
//! First each operation runs once with the allocations only counted (K of
//! them), then for N = 1..=K with the N-th failing. Each operation is
//! walked twice: in a warm kernel, and under pressure, with every free heap
//! byte and every free L2 table held (`pressure::hold_heap`, `hold_l2`), so
//! that its first heap allocation must grow the heap's window and its
//! first new table must refill the pool: those allocations are walked too
//! (checked: the counted run grew the heap, refilled the pool).
//! timeout: 120

#![no_std]
#![no_main]

use kernel::handle::Rights;
use kernel::mm::inject::{self, Report, Site};
use kernel::mm::mapper::MapError;
use kernel::mm::pressure;
use kernel::object::notify::Notification;
use kernel::object::{KRef, Object};
use kernel::process::{self, Class, Grant, ProcError, Spec};
use kernel::syscall::abi::{Errno, PROT_READ, PROT_WRITE};
use kernel::thread::{self, ThreadError, ThreadId};
use kernel::{print, println};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

/// Everything a failed creation could leave behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counters {
    mem: kernel::mm::MemStats,
    heap: (usize, usize),
    /// Threads and processes that exist.
    threads: usize,
    processes: usize,
    /// The TCB zone: blocks in use, slabs.
    tcbs: (usize, usize),
    /// Memory objects alive.
    objects: usize,
    /// Handles held by the process whose call is walked (0 for none).
    handles: usize,
}

fn counters(caller: Option<u16>) -> Counters {
    Counters {
        mem: kernel::mm::stats(),
        heap: kernel::mm::heap::usage(),
        threads: (0..thread::MAX_THREADS)
            .filter(|&i| thread::info(ThreadId::new(i as u16)).is_some())
            .count(),
        processes: (0..process::MAX_PROCESSES as u16)
            .filter(|&pid| process::with_process(pid, |_| ()).is_some())
            .count(),
        tcbs: thread::tcb_zone(),
        objects: kernel::mm::object::live_objects(),
        handles: caller
            .and_then(|pid| process::with_process(pid, |p| p.handles.len()))
            .unwrap_or(0),
    }
}

/// How an attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Error {
    Proc(ProcError),
    Map(MapError),
    Thread(ThreadError),
    Call(Errno),
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
    /// A system call of `inject_calls` (its command number).
    Call(u32),
}

impl Op {
    /// Whether `e` is the error a failed allocation must give: out of
    /// memory, said the way the operation says it (a process whose first
    /// thread could not be made says so; a hard process or kernel-bound
    /// task whose reserve could not be taken says its budget is
    /// unavailable).
    fn expects(self, e: Error) -> bool {
        use ProcError::*;
        match (self, e) {
            (Op::Thread, Error::Thread(ThreadError::NoMemory)) => true,
            (Op::Call(_), Error::Call(Errno::NoMem)) => true,
            (Op::Thread | Op::Call(_), _) => false,
            (Op::KernelHard | Op::SpawnHard, Error::Proc(BudgetUnavailable { .. })) => true,
            (Op::MmapSoft(_), Error::Map(MapError::NoMemory)) => true,
            (_, Error::Proc(NoMemory | Process(ThreadError::NoMemory))) => true,
            _ => false,
        }
    }
}

/// Whether `after` differs from `before` only by heap growth that was
/// completed before a later allocation failed: the heap's window grew and
/// stays grown (the heap never shrinks; the new bytes are free in it),
/// which took exactly its pages, mapped in the kernel's space, and the L2
/// table those needed (from a new pool frame or a free slot). Nothing else
/// may change: not heap bytes in use, not anything else counted.
fn only_heap_grew(before: &Counters, after: &Counters) -> bool {
    let (b, a) = (&before.mem, &after.mem);
    if after.heap.0 <= before.heap.0 || after.heap.1 != before.heap.1 {
        return false;
    }
    let pages = (after.heap.0 - before.heap.0) / 4096;
    let tables = a.kernel.l2_tables.wrapping_sub(b.kernel.l2_tables) as usize;
    let pool_frames = a.l2_frames.wrapping_sub(b.l2_frames);
    let same = Counters {
        mem: *b,
        heap: before.heap,
        ..*after
    } == *before;
    same && tables <= 1
        && pool_frames <= tables
        && a.l2_tables == b.l2_tables + tables
        && a.kernel.pages as usize == b.kernel.pages as usize + pages
        && a.kernel.sections == b.kernel.sections
        && b.free_pages == a.free_pages + pages + pool_frames
        && a.total_pages == b.total_pages
}

// The commands of `user/src/bin/inject_calls.rs`.
const CMD_ENDPOINT: u32 = 1;
const CMD_NOTIFY: u32 = 2;
const CMD_DUP: u32 = 3;
const CMD_IRQ_BIND: u32 = 4;
const CMD_MEM: u32 = 5;
const CMD_DMA: u32 = 6;
const CMD_MEM_MAP: u32 = 7;
const CMD_THREAD: u32 = 8;
const CMD_UNDO: u32 = 30;
const CMD_EXIT: u32 = 31;

/// The process `inject_calls` and its two notifications.
struct Caller {
    pid: u16,
    thread: ThreadId,
    go: KRef<Notification>,
    done: KRef<Notification>,
}

impl Caller {
    /// Runs command `cmd` in the process; its answer.
    fn run(&self, cmd: u32) -> Result<(), Errno> {
        self.go.signal(1 << cmd);
        let bits = self.done.wait(Some(kernel::time::now() + 1_000_000_000));
        match bits {
            1 => Ok(()),
            0 => Err(Errno::TimedOut),
            b => Err(Errno::check(-(b.trailing_zeros() as i32) as u32).unwrap_err()),
        }
    }
}

/// What a successful attempt made, to be undone.
enum Made {
    Process(u16),
    Mapping(u16, u32, u32),
    Thread(ThreadId),
    InCaller,
}

fn kbody(mem: &'static mut [u8]) {
    mem[0] = 1;
}

fn attempt(op: Op, caller: &Caller) -> Result<Made, Error> {
    let rw = PROT_READ | PROT_WRITE;
    let low = |s: Spec<'static>| Spec { priority: 20, ..s };
    match op {
        Op::SpawnSoft => {
            let s = low(spec("quiet", Class::SoftIsolated, 0));
            process::spawn_process(&s, program("quiet"))
                .map(Made::Process)
                .map_err(Error::Proc)
        }
        Op::SpawnHard => {
            let s = Spec {
                budget: 3 << 20,
                ..low(spec("hard_fuzz", Class::HardIsolated, 0))
            };
            process::spawn_process(&s, program("hard_fuzz"))
                .map(Made::Process)
                .map_err(Error::Proc)
        }
        Op::MmapSoft(pid) | Op::MmapHard(pid) => {
            let len = if matches!(op, Op::MmapSoft(_)) {
                3 * 4096
            } else {
                1 << 20
            };
            let addr = process::with_process(pid, |t| t.space.mmap(len, rw))
                .unwrap_or(Err(MapError::Invalid))
                .map_err(Error::Map)?;
            Ok(Made::Mapping(pid, addr, len))
        }
        Op::Thread => thread::spawn("short", 20, || {})
            .map(Made::Thread)
            .map_err(Error::Thread),
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
                .map(Made::Process)
                .map_err(Error::Proc)
        }
        Op::Call(cmd) => caller
            .run(cmd)
            .map(|()| Made::InCaller)
            .map_err(Error::Call),
    }
}

fn undo(made: Made, caller: &Caller) -> bool {
    match made {
        Made::Process(pid) => process::wait(pid).is_ok(),
        Made::Mapping(pid, addr, len) => {
            process::with_process(pid, |t| t.space.munmap(addr, len)) == Some(Ok(()))
        }
        Made::Thread(t) => thread::join(t).is_ok(),
        Made::InCaller => caller.run(CMD_UNDO).is_ok(),
    }
}

/// Which allocators a walk's allocations asked, in order of failure.
#[derive(Default)]
struct Sites {
    frames: u64,
    l2: u64,
    zone: u64,
    heap: u64,
}

/// What a walk saw.
struct Walked {
    ok: bool,
    total: u64,
    sites: Sites,
    /// The counted run grew the heap's window, refilled the L2 pool.
    heap_grew: bool,
    pool_refilled: bool,
}

/// Walks N over every allocation of `op`; `ok` if nothing leaked, nothing
/// panicked, every failure gave the exact error and the count was stable.
/// Under `pressure` each attempt runs with the heap's free bytes and the
/// L2 pool's free tables held; a success under pressure (the counted run,
/// or one that did without the failed allocation) may leave the heap
/// grown, so only failures are compared there (the warm walk compares
/// successes).
fn walk(name: &str, op: Op, caller: &Caller, pressure: bool) -> Walked {
    let who = match op {
        Op::Call(_) => caller.thread,
        _ => thread::current(),
    };
    let target = matches!(op, Op::Call(_)).then_some(caller.pid);
    let hold = || {
        if pressure {
            pressure::hold_heap();
            pressure::hold_l2();
        }
    };
    let mut ok = true;
    // The counted run.
    let base = counters(target);
    hold();
    let held = counters(target);
    inject::arm_thread(who, 0);
    let made = attempt(op, caller);
    let Report { seen: total, .. } = inject::disarm();
    let grown = counters(target);
    pressure::release();
    match made {
        Ok(m) => ok &= undo(m, caller),
        Err(e) => {
            println!("{name}: fails without injection: {e:?}");
            ok = false;
        }
    }
    let heap_grew = grown.heap.0 > held.heap.0;
    let pool_refilled = grown.mem.l2_frames > held.mem.l2_frames;
    if pressure {
        println!("{name} (pressure): heap grew: {heap_grew}, L2 pool refilled: {pool_refilled}");
    } else if counters(target) != base {
        println!(
            "{name}: the successful run left {:?} (was {base:?})",
            counters(target)
        );
        ok = false;
    }
    let (mut clean, mut tolerated) = (0, 0);
    let mut sites = Sites::default();
    for n in 1..=total {
        let before_hold = counters(target);
        hold();
        let before = counters(target);
        inject::arm_thread(who, n);
        let made = attempt(op, caller);
        let report = inject::disarm();
        let after = counters(target);
        pressure::release();
        match report.failed {
            Some(Site::Frames) => sites.frames += 1,
            Some(Site::L2) => sites.l2 += 1,
            Some(Site::Zone) => sites.zone += 1,
            Some(Site::Heap) => sites.heap += 1,
            // Under pressure a growth an earlier failure left behind moves
            // the heap's top, and with it where the next growth needs a
            // new L2 table: a later attempt may need fewer allocations
            // than the counted run, succeed, and end the walk early.
            None if pressure && made.is_ok() => {
                println!("{name}: ended at allocation {n} of {total}: the heap's top has moved");
                if let Ok(m) = made {
                    ok &= undo(m, caller);
                }
                break;
            }
            None => {
                println!("{name}: allocation {n} of {total} never came");
                ok = false;
            }
        }
        match made {
            Err(e) => {
                clean += 1;
                if !op.expects(e) {
                    println!(
                        "{name}: failing allocation {n} ({:?}) gave {e:?}",
                        report.failed,
                    );
                    ok = false;
                }
                if after != before && !(pressure && only_heap_grew(&before, &after)) {
                    println!(
                        "{name}: failing allocation {n} ({:?}) left {after:?}, was {before:?}",
                        report.failed
                    );
                    ok = false;
                }
            }
            Ok(m) => {
                tolerated += 1;
                ok &= undo(m, caller);
                if !pressure && counters(target) != before_hold {
                    println!(
                        "{name}: failing allocation {n} ({:?}), done without it and undone, left {:?}, was {before_hold:?}",
                        report.failed,
                        counters(target)
                    );
                    ok = false;
                }
            }
        }
    }
    print!(
        "{name}{}: {total} allocations (frames {}, L2 {}, zone {}, heap {}); ",
        if pressure { " (pressure)" } else { "" },
        sites.frames,
        sites.l2,
        sites.zone,
        sites.heap
    );
    println!("with each failing: {clean} errors, {tolerated} done without it");
    Walked {
        ok,
        total,
        sites,
        heap_grew,
        pool_refilled,
    }
}

/// Walks `op` warm and under pressure: both clean; `allocates`: whether it
/// must allocate at all (warm). Under pressure an operation that allocates
/// from the heap must grow it, one that takes a new L2 table must refill the
/// pool, so it walks more allocations than warm.
fn walk_both(name: &str, op: Op, caller: &Caller, allocates: bool) -> bool {
    let warm = walk(name, op, caller, false);
    let mut ok = warm.ok && (warm.total > 0) == allocates;
    if !allocates {
        return ok;
    }
    let hot = walk(name, op, caller, true);
    ok &= hot.ok;
    if warm.sites.heap > 0 && !(hot.heap_grew && hot.total > warm.total) {
        println!("{name}: under pressure the heap's growth was not walked");
        ok = false;
    }
    if warm.sites.l2 > 0 && !hot.pool_refilled {
        println!("{name}: under pressure the pool's refill was not walked");
        ok = false;
    }
    ok
}

/// Starts `inject_calls` with its grants; waits until it is ready.
fn start_caller(line: &Object) -> Caller {
    let go = Object::new_notification().expect("heap room");
    let done = Object::new_notification().expect("heap room");
    let grants = [
        Grant {
            object: &go,
            rights: Rights::WAIT | Rights::TRANSFER,
        },
        Grant {
            object: &done,
            rights: Rights::SIGNAL,
        },
        Grant {
            object: line,
            rights: Rights::ACK,
        },
    ];
    let s = Spec {
        priority: 20,
        handles: &grants,
        ..spec("inject_calls", Class::SoftIsolated, 0)
    };
    let pid = process::spawn_process(&s, program("inject_calls")).unwrap();
    let thread = process::with_process(pid, |p| p.thread).unwrap();
    let caller = Caller {
        pid,
        thread,
        go: go.notification().unwrap().clone(),
        done: done.notification().unwrap().clone(),
    };
    let ready = caller.done.wait(Some(kernel::time::now() + 1_000_000_000));
    check("inject_calls started", ready == 1);
    caller
}

fn main() {
    check(
        "the kernel is built with fault injection",
        inject::arm(0) && inject::disarm().failed.is_none(),
    );
    // An SPI nobody holds, for irq_bind (its device is left idle).
    let line = (40..96)
        .find_map(|irq| Object::new_irq(irq).ok())
        .expect("a free SPI");
    let caller = start_caller(&line);
    drop(line);
    // Warm-up: the heap, the L2 pool and the TCB zone reach their steady
    // size (each operation once).
    for op in [
        Op::SpawnSoft,
        Op::SpawnHard,
        Op::Thread,
        Op::KernelSoft,
        Op::KernelHard,
        Op::Call(CMD_ENDPOINT),
        Op::Call(CMD_THREAD),
    ] {
        if let Ok(m) = attempt(op, &caller) {
            undo(m, &caller);
        }
    }
    check(
        "spawn of a soft isolated process",
        walk_both("spawn soft", Op::SpawnSoft, &caller, true),
    );
    check(
        "spawn of a hard isolated process",
        walk_both("spawn hard", Op::SpawnHard, &caller, true),
    );
    let idle = Spec {
        priority: 20,
        ..spec("quiet", Class::SoftIsolated, 0)
    };
    let soft = process::spawn_process(&idle, program("quiet")).unwrap();
    check(
        "mmap (soft)",
        walk_both("mmap soft", Op::MmapSoft(soft), &caller, true),
    );
    let idle_hard = Spec {
        priority: 20,
        budget: 3 << 20,
        ..spec("hard_fuzz", Class::HardIsolated, 0)
    };
    let hard = process::spawn_process(&idle_hard, program("hard_fuzz")).unwrap();
    check(
        "mmap (hard) allocates nothing",
        walk_both("mmap hard", Op::MmapHard(hard), &caller, false),
    );
    // They run (and end) once main blocks: before the walks that block.
    check(
        "the idle processes still run and exit",
        process::wait(soft) == Ok(0) && process::wait(hard) == Ok(0),
    );
    check(
        "kernel thread creation",
        walk_both("thread", Op::Thread, &caller, true),
    );
    check(
        "soft kernel-bound task creation",
        walk_both("kernel task soft", Op::KernelSoft, &caller, true),
    );
    check(
        "hard kernel-bound task creation",
        walk_both("kernel task hard", Op::KernelHard, &caller, true),
    );
    for (name, cmd, allocates) in [
        ("endpoint_create", CMD_ENDPOINT, true),
        ("notify_create", CMD_NOTIFY, true),
        ("handle_dup", CMD_DUP, false),
        ("irq_bind", CMD_IRQ_BIND, false),
        ("mem_create", CMD_MEM, true),
        ("mem_create DMA", CMD_DMA, true),
        ("mem_map", CMD_MEM_MAP, true),
        ("thread_create", CMD_THREAD, true),
    ] {
        check(name, walk_both(name, Op::Call(cmd), &caller, allocates));
    }
    let _ = caller.run(CMD_EXIT);
    check(
        "inject_calls got every answer and exited",
        process::wait(caller.pid) == Ok(0),
    );
    finish()
}
