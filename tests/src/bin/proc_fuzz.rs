//! The system-call fuzzer (`user::fuzz`) as soft and hard isolated
//! processes, beside a bystander process: no kernel fault (the run would
//! end with 102), every answer the exact one the fuzzer's oracle expects,
//! fresh memory zero (checked by the fuzzer), the bystander's memory
//! unchanged (checked from the kernel and by the bystander), kernel text
//! and rodata checksums unchanged, and free pages and heap use back to the
//! start after the last exit.
//!
//! Runs of [`RUN_CALLS`] calls each, with seeds drawn from one master seed
//! (printed); every third run is hard isolated, every fourth ends with a
//! fatal call (the fuzzer kills itself on purpose) and the next run
//! restarts it. Parameters from the semihosting command line:
//! `fuzz.seed=S` and `fuzz.calls=N` (`cargo xtask soak` sets them; the
//! defaults are the short run of `cargo xtask test`).
//! timeout: 120

#![no_std]
#![no_main]

use kernel::layout::phys_to_virt;
use kernel::process::{self, Backing, Class, KILLED, Spec};
use kernel::{println, time};
use ktests::{check, finish, image_checksum, param, program, spec};

kernel::entry!(main);

/// Calls per fuzzer run (a multiple of 100, at most 12,700).
const RUN_CALLS: u32 = 1000;
/// The short run's calls.
const DEFAULT_CALLS: u64 = 20_000;
/// The short run's master seed (a soak picks a new one each time).
const DEFAULT_SEED: u64 = 0x5EED;
/// The hard fuzzer's budget: `BUDGET_SECTIONS` of `user/src/bin/hard_fuzz.rs`.
const HARD_BUDGET: u32 = 3 << 20;
/// `user::fuzz::FATAL` and its exit codes.
const FATAL: u32 = 1 << 31;
const WRONG_BASE: i32 = 1_000_000;
const FATAL_SURVIVED: i32 = 77;

/// splitmix64 step: the seed of run `i`.
fn run_seed(master: u64, i: u64) -> u32 {
    let mut z = master.wrapping_add((i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as u32 & 0x00FF_FFFF
}

/// The bystander's patterned memory (its second anonymous region) as a
/// checksum, read through the kernel's linear map; and its flag page.
fn holder_view(pid: u16) -> Option<(u32, u32)> {
    process::with_process(pid, |t| {
        let mut anon = t
            .space
            .regions()
            .iter()
            .filter(|r| r.backing == Backing::Anon);
        let (flag, data) = (*anon.next()?, *anon.next()?);
        let mut h = 0x811C_9DC5u32;
        for va in (data.start..data.start + data.len).step_by(4096) {
            let phys = t.space.translate(va)?.phys;
            let page = phys_to_virt(phys);
            h ^= ktests::checksum(page, page + 4096);
            h = h.wrapping_mul(0x0100_0193);
        }
        Some((h, flag.start))
    })
    .flatten()
}

/// Sets the bystander's flag (its first word), through the linear map.
fn stop_holder(pid: u16, flag: u32) -> bool {
    process::with_process(pid, |t| {
        let phys = t.space.translate(flag)?.phys;
        // SAFETY: the flag page is the bystander's RW anonymous memory,
        // mapped while it lives (it is waiting for this store).
        unsafe { (phys_to_virt(phys) as *mut u32).write_volatile(1) };
        Some(())
    })
    .flatten()
    .is_some()
}

/// One fuzzer run: spawn, wait, check the exit code.
fn run(i: u64, master: u64) -> (bool, u32) {
    let seed = run_seed(master, i);
    let hard = i % 3 == 2;
    let fatal = i % 4 == 3;
    let arg = seed | (RUN_CALLS / 100) << 24 | if fatal { FATAL } else { 0 };
    let s = Spec {
        priority: 14,
        budget: if hard { HARD_BUDGET } else { 0 },
        ..spec(
            if hard { "hard_fuzz" } else { "fuzz" },
            if hard {
                Class::HardIsolated
            } else {
                Class::SoftIsolated
            },
            arg,
        )
    };
    let p = match process::spawn_process(&s, program(s.name)) {
        Ok(p) => p,
        Err(e) => {
            println!("fuzz run {i} (seed {seed:#08x}): spawn failed: {e:?}");
            return (false, 0);
        }
    };
    let code = process::wait(p);
    let want = if fatal { KILLED } else { RUN_CALLS as i32 };
    if code != Ok(want) {
        let why = match code {
            Ok(c) if c > WRONG_BASE => "wrong answers",
            Ok(FATAL_SURVIVED) => "the fatal call did not kill it",
            Ok(KILLED) => "killed unexpectedly",
            _ => "unexpected end",
        };
        println!(
            "fuzz run {i} ({} seed {seed:#08x}): {why}: {code:?}, want {want}",
            s.name
        );
        return (false, 0);
    }
    (true, RUN_CALLS + fatal as u32)
}

fn main() {
    let master = param("fuzz.seed").unwrap_or(DEFAULT_SEED);
    let target = param("fuzz.calls").unwrap_or(DEFAULT_CALLS);
    println!("fuzz: master seed {master:#x}, {target} calls, {RUN_CALLS} per run");

    // A run of each class first: the heap and the L2 pool reach the size
    // they keep, so the baseline below is the steady state.
    let mut ok = run(0, master).0 & run(2, master).0;
    let free = kernel::mm::free_pages();
    let heap = kernel::mm::heap::usage().1;
    let holder = process::spawn_process(
        &Spec {
            priority: 12,
            ..spec("fuzz_holder", Class::SoftIsolated, master as u32)
        },
        program("fuzz_holder"),
    )
    .unwrap();
    let image = image_checksum();
    let view = holder_view(holder);
    check("the bystander mapped its memory", view.is_some());

    let t0 = time::now();
    let (mut calls, mut runs, mut failed) = (0u64, 0u64, 0u64);
    let mut i = 0;
    while calls < target {
        let (good, n) = run(i, master);
        ok &= good;
        failed += !good as u64;
        calls += n as u64;
        runs += 1;
        i += 1;
        if failed > 10 {
            break;
        }
    }
    let ms = (time::now() - t0) / 1_000_000;
    println!("fuzz: ran {calls} calls in {runs} runs ({failed} failed), {ms} ms of guest time");

    check(
        "every run gave the oracle's answers and ended as planned",
        ok,
    );
    check(
        "the bystander's memory is unchanged (kernel view)",
        view.is_some() && holder_view(holder) == view,
    );
    let stopped = view.is_some_and(|(_, flag)| stop_holder(holder, flag));
    check(
        "the bystander's memory is unchanged (its own check)",
        stopped && process::wait(holder) == Ok(0),
    );
    check(
        "kernel text and rodata checksums unchanged",
        image_checksum() == image,
    );
    let (free_now, heap_now) = (kernel::mm::free_pages(), kernel::mm::heap::usage().1);
    println!("fuzz: free pages {free} -> {free_now}, heap bytes in use {heap} -> {heap_now}");
    check(
        "free pages back to the start after the last exit",
        free_now == free,
    );
    check("heap use back to the start", heap_now == heap);
    finish()
}
