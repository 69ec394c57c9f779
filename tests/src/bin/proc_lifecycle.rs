//! Process lifecycles in bulk: soft isolated processes that exit, that are
//! killed for each kind of fault (NULL read, write to text, executing the
//! stack, an undefined instruction) and that are killed holding 1 MiB;
//! hard isolated processes that exit after 100 fuzzer calls and that kill
//! themselves at once (see `user::fuzz`); and soft and hard processes
//! killed by another (a `supervisor` with a handle to them,
//! `process_kill`) while spinning, yielding, asleep, blocked or with a
//! second thread, before or after they first ran. Every exit status must be the
//! expected one, heap use back to the start the moment each `wait`
//! returns, and free pages and heap use identical at the end.
//!
//! Counts from the semihosting command line: `lifecycle.soft=N` and
//! `lifecycle.hard=N` (`cargo xtask soak` runs 10,000 and 1,000); the
//! defaults are the short run of `cargo xtask test`.
//! timeout: 120

#![no_std]
#![no_main]

use kernel::handle::Rights;
use kernel::process::{self, Class, Grant, KILLED, Spec};
use kernel::{println, time};
use ktests::{check, finish, param, program, spec};

kernel::entry!(main);

const DEFAULT_SOFT: u64 = 1000;
const DEFAULT_HARD: u64 = 100;
/// `user::fuzz`: its FATAL bit, and the calls field (hundreds).
const FATAL: u32 = 1 << 31;
const HUNDRED_CALLS: u32 = 1 << 24;
/// `hard_fuzz`'s budget.
const HARD_BUDGET: u32 = 3 << 20;

/// Lifecycle `i` of a soft process: (program, arg, budget, exit status).
fn soft(i: u32) -> (&'static str, u32, i32) {
    match i % 6 {
        0 | 1 => ("quiet", i % 100, (i % 100) as i32),
        2 => ("crash", (i / 6) % 4, KILLED),
        3 => ("hog", 1, KILLED),
        4 => ("hog", 1 | 1 << 24, 7),
        _ => ("fuzz", i & 0xFF_FFFF | HUNDRED_CALLS, 100),
    }
}

/// Lifecycle `i` of a hard process.
fn hard(i: u32) -> (&'static str, u32, i32) {
    match i % 2 {
        0 => ("hard_fuzz", i & 0xFF_FFFF | HUNDRED_CALLS, 100),
        _ => ("hard_fuzz", i & 0xFF_FFFF | FATAL, KILLED),
    }
}

/// One lifecycle: spawn, wait, check the exit status; then (with `heap`,
/// the baseline) that heap use is back to it the moment `wait` returns.
fn cycle(class: Class, (name, arg, want): (&'static str, u32, i32), heap: Option<usize>) -> bool {
    // At the fuzz test's priority (14), where `wait` once returned before a
    // reaper step had let go of the process's entry (see `process::wait`).
    let s = Spec {
        priority: 14,
        budget: if class == Class::HardIsolated {
            HARD_BUDGET
        } else {
            0
        },
        ..spec(name, class, arg)
    };
    let got = process::spawn_process(&s, program(name)).and_then(process::wait);
    if got != Ok(want) {
        println!("lifecycle: {name} arg {arg:#x}: {got:?}, want {want}");
    }
    let used = kernel::mm::heap::usage().1;
    let heap_back = heap.is_none_or(|h| h == used);
    if !heap_back {
        println!(
            "lifecycle: {name} arg {arg:#x}: heap bytes in use {used} after wait, {} before",
            heap.unwrap_or(0)
        );
    }
    got == Ok(want) && heap_back
}

/// A killed lifecycle: a `victim` of `class` in state `i % modes` (see
/// `user/src/bin/victim.rs`) is ended by a `supervisor` holding a handle
/// to it (granted with `MANAGE`, and one without, and one to itself); the
/// supervisor must get every answer right and exit 0, the victim's status must be `KILLED`;
/// then, as for every cycle, heap use is back to `heap`.
fn kill_cycle(class: Class, i: u32, heap: Option<usize>) -> bool {
    let hard = class == Class::HardIsolated;
    let mode = if hard { i % 3 } else { (i % 5) | 1 << 8 };
    // Both below this thread's priority (16), so neither runs before it
    // waits: the victim spins.
    let v = Spec {
        priority: 20,
        budget: if hard { HARD_BUDGET } else { 0 },
        threads: if hard { 0 } else { 1 },
        ..spec(if hard { "hard_victim" } else { "victim" }, class, mode)
    };
    let victim = match process::spawn_process(&v, program(v.name)) {
        Ok(pid) => pid,
        Err(e) => {
            println!("lifecycle: {} (mode {mode:#x}) not created: {e:?}", v.name);
            return false;
        }
    };
    let Ok(handle) = process::process_object(victim) else {
        println!("lifecycle: no process object for the victim");
        return false;
    };
    let grants = [
        Grant {
            object: &handle,
            rights: Rights::MANAGE,
        },
        Grant {
            object: &handle,
            rights: Rights::TRANSFER,
        },
    ];
    // Every other time it sleeps first, so the victim has run (spinning,
    // asleep, blocked) when the kill comes; else it has not started.
    let nap_us = if i.is_multiple_of(2) { 500 } else { 0 };
    let s = Spec {
        priority: 18,
        handles: &grants,
        ..spec("supervisor", Class::SoftIsolated, nap_us)
    };
    // A handle to itself in its next slot (2): its kill must be `Inval`.
    // It has not run yet (below this thread's priority).
    let sup = process::spawn_process(&s, program("supervisor")).and_then(|pid| {
        let own = process::process_object(pid)?;
        process::with_process(pid, |p| p.handles.insert(own, Rights::MANAGE).is_ok())
            .filter(|&inserted| inserted)
            .ok_or(process::ProcError::Invalid)?;
        process::wait(pid)
    });
    drop(handle);
    // A supervisor that failed may have left it running: the kernel ends
    // it then (and the cycle fails), so the run goes on.
    let late = process::kill_pid(victim);
    let got = process::wait(victim);
    let used = kernel::mm::heap::usage().1;
    let heap_back = heap.is_none_or(|h| h == used);
    let ok = sup == Ok(0) && !late && got == Ok(KILLED) && heap_back;
    if !ok {
        println!(
            "lifecycle: kill of victim mode {mode:#x}: supervisor {sup:?}, victim {got:?} \
             (the kernel had to kill it: {late}), heap bytes in use {used} (want {heap:?})"
        );
    }
    ok
}

fn main() {
    let n_soft = param("lifecycle.soft").unwrap_or(DEFAULT_SOFT) as u32;
    let n_hard = param("lifecycle.hard").unwrap_or(DEFAULT_HARD) as u32;
    // One of each first: the heap and the L2 pool reach their steady size.
    let mut ok = (0..6).all(|i| cycle(Class::SoftIsolated, soft(i), None))
        & (0..2).all(|i| cycle(Class::HardIsolated, hard(i), None))
        & (0..10).all(|i| kill_cycle(Class::SoftIsolated, i, None))
        & (0..6).all(|i| kill_cycle(Class::HardIsolated, i, None));
    let free = kernel::mm::free_pages();
    let heap = kernel::mm::heap::usage().1;
    let t0 = time::now();
    let mut bad = 0;
    for i in 0..n_soft.max(n_hard) {
        if i < n_soft && !cycle(Class::SoftIsolated, soft(i), Some(heap)) {
            bad += 1;
        }
        if i < n_hard && !cycle(Class::HardIsolated, hard(i), Some(heap)) {
            bad += 1;
        }
        // Every fifth soft and every second hard lifecycle, one more: a
        // process killed by another.
        if i < n_soft && i % 5 == 0 && !kill_cycle(Class::SoftIsolated, i / 5, Some(heap)) {
            bad += 1;
        }
        if i < n_hard && i % 2 == 0 && !kill_cycle(Class::HardIsolated, i / 2, Some(heap)) {
            bad += 1;
        }
    }
    ok &= bad == 0;
    let ms = (time::now() - t0) / 1_000_000;
    let (free_now, heap_now) = (kernel::mm::free_pages(), kernel::mm::heap::usage().1);
    let (k_soft, k_hard) = (n_soft.div_ceil(5), n_hard.div_ceil(2));
    println!(
        "lifecycle: {n_soft} soft and {n_hard} hard, plus {k_soft} soft and {k_hard} hard \
         killed by a supervisor, in {ms} ms of guest time, {bad} wrong; \
         free pages {free} -> {free_now}, heap bytes in use {heap} -> {heap_now}"
    );
    check("every process ended with the expected status", ok);
    check("free pages identical at the end", free_now == free);
    check("heap use identical at the end", heap_now == heap);
    // Only isolated processes can be named by a process handle: a
    // kernel-bound task has no user thread to end at a boundary.
    let k = Spec {
        priority: 20,
        ..spec("kernel-task", Class::SoftKernel, 0)
    };
    let kt = process::spawn_kernel_task(&k, |_| {}).expect("a kernel-bound task");
    let refused = process::process_object(kt).map(drop);
    let _ = process::wait(kt);
    check(
        "no process object for a kernel-bound task (ClassViolation)",
        refused == Err(process::ProcError::ClassViolation),
    );
    check(
        "no process object for a pid that names nothing (NoSuchTask)",
        process::process_object(kt).map(drop) == Err(process::ProcError::NoSuchTask),
    );
    finish()
}
