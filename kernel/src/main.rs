//! The demo kernel that `cargo xtask run` boots: a self-check of what the
//! boot sequence promises, then one task of each real-time class running at
//! once (a hard isolated periodic process, two soft isolated processes of
//! one program that map and unmap memory, sharing their text, a hard and a
//! soft kernel-bound periodic task) beside
//! three processes that cooperate: a sensor driver that owns the board's
//! hardware timer and samples on its interrupt (in user space: the line
//! bound to a notification, acked after each sample), a hard control loop
//! that calls it every 2 ms, and a two-thread logger that the driver
//! signals (a notification) and shares its sample ring with (a memory
//! object, read-only); then the status tables, and checks of what the
//! processes did: their exit codes, the driver's interrupt count against
//! the kernel's, and the one frame of shared text and of the ring, each in
//! two processes.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use kernel::demo::{Cooperating, start_cooperating};
use kernel::mm::object;
use kernel::object::irqline;
use kernel::process::{self, Backing, Class, Spec};
use kernel::syscall::abi::PROT_EXEC;
use kernel::thread::{self, Periodic};
use kernel::{BOARD, println, time};

kernel::entry!(main);

const RUN_MS: u32 = 200;
/// The two workers' priority: below this thread's (16), since between
/// them they keep the CPU busy and it must print the tables on time.
const WORKER_PRIORITY: u8 = 20;

fn self_check() {
    println!("demo: self-check");
    let pc = arch::cpu::caller_pc() as u32;
    let sp = arch::cpu::stack_pointer() as u32;
    println!("    running at pc {pc:#010x}, sp {sp:#010x}");
    let low = arch::trap::probe_read(BOARD.ram_base as usize);
    println!(
        "    identity map removed: {}",
        if low.is_err() { "yes" } else { "NO" }
    );
    let text = kernel::boot::sym::text_start() as usize;
    let w = arch::trap::probe_write(text, 0);
    println!(
        "    kernel text write-protected: {}",
        if w.is_some() { "yes" } else { "NO" }
    );
    assert!(
        pc >= 0xC000_0000 && low.is_err() && w.is_some(),
        "self-check failed"
    );
}

/// Late releases of the hard and soft kernel-bound jobs (their task exit
/// code cannot carry it: a kernel-bound task's body returns nothing).
static KERNEL_LATE: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];

/// A kernel-bound periodic job: every `period` ms, fill its memory; a
/// release woken more than a period after its time counts as late (the
/// same rule as `hard_periodic`).
fn kernel_job(mem: &'static mut [u8], period_ms: u64, late: &AtomicU32) {
    let end = time::now() + (RUN_MS as u64 + 100) * 1_000_000;
    let period = period_ms * 1_000_000;
    let mut p = Periodic::new(period);
    let mut n = 0u8;
    while p.next_release() < end {
        let release = p.next_release();
        p.wait();
        if time::now() > release + period {
            late.fetch_add(1, Relaxed);
        }
        mem[..64 * 1024].fill(n);
        n = n.wrapping_add(1);
    }
}

fn hard_kernel(mem: &'static mut [u8]) {
    kernel_job(mem, 3, &KERNEL_LATE[0])
}

fn soft_kernel(mem: &'static mut [u8]) {
    kernel_job(mem, 4, &KERNEL_LATE[1])
}

/// The control loop's releases, 2 ms apart: it outlives the status table.
const CONTROL_RELEASES: u32 = RUN_MS / 2 + 25;

/// The physical frame at the start of the first region of `pid` that
/// maps a memory object: a program image's text (`text`), else shared
/// memory.
fn object_frame(pid: u16, text: bool) -> Option<u32> {
    process::with_process(pid, |p| {
        let start = p.space.regions().iter().find_map(|r| match r.backing {
            Backing::Shared { image, .. }
                if image == text && (!text || r.prot & PROT_EXEC != 0) =>
            {
                Some(r.start)
            }
            _ => None,
        })?;
        p.space.translate(start).map(|t| t.phys & !0xFFF)
    })
    .flatten()
}

/// Whether `frame` is mapped by exactly the processes `a` and `b` (the
/// reverse map of memory objects), and by how many.
fn shared_by(frame: Option<u32>, a: u16, b: u16) -> (bool, usize) {
    let users = frame.map(object::users_of).unwrap_or_default();
    let both = users.len() == 2 && [a, b].iter().all(|&p| users.iter().any(|u| u.0 == p));
    (both, users.len())
}

/// What the status table shows of sharing, checked while the processes
/// live: the two workers run one copy of their program's text (one frame,
/// two mappings in the reverse map); the driver's sample ring is one frame
/// mapped by the driver and the logger, and both count shared pages; the
/// driver took copy-on-write faults (its `.data` and `.bss` are private
/// copies of its image's). Returns the failures.
fn check_sharing(c: &Cooperating, workers: [u16; 2]) -> u32 {
    let text = object_frame(workers[0], true);
    let (text_ok, text_users) = shared_by(text, workers[0], workers[1]);
    let text_ok = text_ok && text == object_frame(workers[1], true);
    println!(
        "demo: both workers run one copy of their text: frame {:#x} in {text_users} processes",
        text.unwrap_or(0)
    );
    let ring = object_frame(c.driver, false);
    let (ring_ok, ring_users) = shared_by(ring, c.driver, c.logger);
    let ring_ok = ring_ok && ring == object_frame(c.logger, false);
    let sharing = |pid| process::with_process(pid, |p| p.space.sharing()).unwrap_or((0, 0));
    let ((d_shared, d_cow), (l_shared, _)) = (sharing(c.driver), sharing(c.logger));
    println!(
        "demo: the driver's sample ring is frame {:#x} in {ring_users} processes; shared pages: driver {d_shared}, logger {l_shared}; driver copy-on-write faults {d_cow}",
        ring.unwrap_or(0),
    );
    let ok = text_ok && ring_ok && d_shared >= 1 && l_shared >= 1 && d_cow >= 1;
    if !ok {
        println!("demo: sharing is not as expected");
    }
    u32::from(!ok)
}

fn main() {
    self_check();
    println!("demo: the four task classes side by side for {RUN_MS} ms");
    let spec = |name, class, priority, budget, arg| Spec {
        name,
        class,
        priority,
        budget,
        devices: &[],
        handles: &[],
        arg,
        threads: 0,
    };
    let hard_iso = process::spawn_process(
        &spec("hard-periodic", Class::HardIsolated, 3, 0, RUN_MS / 2 + 50),
        process::program("hard_periodic").expect("embedded by cargo xtask"),
    )
    .expect("hard isolated task admitted");
    let soft_iso = process::spawn_process(
        &spec(
            "soft-mapper",
            Class::SoftIsolated,
            WORKER_PRIORITY,
            1 << 20,
            RUN_MS + 100,
        ),
        process::program("worker").expect("embedded by cargo xtask"),
    )
    .expect("soft isolated task");
    // A second process of the same program: its text is the first one's.
    let soft_iso2 = process::spawn_process(
        &spec(
            "soft-mapper-2",
            Class::SoftIsolated,
            WORKER_PRIORITY,
            1 << 20,
            RUN_MS + 100,
        ),
        process::program("worker").expect("embedded by cargo xtask"),
    )
    .expect("soft isolated task");
    let hard_k = process::spawn_kernel_task(
        &spec("hard-kernel", Class::HardKernel, 4, 1 << 20, 0),
        hard_kernel,
    )
    .expect("hard kernel-bound task admitted");
    let soft_k = process::spawn_kernel_task(
        &spec("soft-kernel", Class::SoftKernel, 8, 64 << 10, 0),
        soft_kernel,
    )
    .expect("soft kernel-bound task");
    let coop = start_cooperating(CONTROL_RELEASES);

    thread::sleep(RUN_MS as u64 * 1_000_000);
    println!("demo: tasks after {RUN_MS} ms");
    process::print_status();
    let mut failed = check_sharing(&coop, [soft_iso, soft_iso2]);
    println!("demo: threads");
    thread::print_status();
    kernel::console::print_status();
    // The run's exit status is its tasks' results: a task that exited
    // non-zero (the hard isolated task exits with its late count, the
    // mapper with its error, the control loop with its late releases and
    // stale samples, the logger with records not in the driver's ring),
    // a late kernel-bound release, or a driver whose count of interrupts
    // is not the kernel's fails the demo.
    for pid in [
        hard_iso,
        soft_iso,
        soft_iso2,
        hard_k,
        soft_k,
        coop.control,
        coop.logger,
    ] {
        let code = process::wait(pid);
        println!("demo: task {pid} ended: {code:?}");
        failed += (code != Ok(0)) as u32;
    }
    for (name, late) in ["hard-kernel", "soft-kernel"].iter().zip(&KERNEL_LATE) {
        let late = late.load(Relaxed);
        println!("demo: {name}: {late} late releases");
        failed += (late != 0) as u32;
    }
    // The driver exits with the interrupts it handled: every one the
    // kernel delivered on its line, at least one per control release.
    let handled = process::wait(coop.driver);
    let delivered = irqline::delivered(coop.irq);
    println!(
        "demo: task {} ended: {handled:?}; the kernel delivered {delivered} timer interrupts to it",
        coop.driver
    );
    let ok = handled == Ok(delivered as i32) && delivered >= CONTROL_RELEASES;
    failed += u32::from(!ok);
    if ok {
        println!(
            "demo: driver, control loop and logger cooperated: {delivered} interrupts, IPC, notifications, shared memory"
        );
    }
    if kernel::irqsoff::ENABLED {
        // `cargo xtask run --irqsoff`: where IRQs stayed masked longest.
        kernel::irqsoff::print_worst();
    }
    if failed != 0 {
        println!("demo: {failed} task(s) failed or were late");
        kernel::exit(kernel::ExitCode::Failure);
    }
    println!("demo: every task met its releases");
    println!("demo: done");
}
