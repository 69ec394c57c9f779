//! The demo kernel that `cargo xtask run` boots: a self-check of what the
//! boot sequence promises, then one task of each real-time class running at
//! once (a hard isolated periodic process, a soft isolated process that maps
//! and unmaps memory, a hard and a soft kernel-bound periodic task) beside a
//! thread woken by a hardware timer interrupt, and three processes that
//! cooperate: a sensor driver, a hard control loop that calls it every 2 ms
//! and a two-thread logger (IPC on endpoints, a notification from the
//! driver to the logger); then the status tables.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use drivers::gic::Trigger;
use drivers::sp804::Sp804;
use kernel::handle::Rights;
use kernel::object::Object;
use kernel::process::{self, Class, Grant, Spec};
use kernel::sync::IrqLock;
use kernel::thread::{self, Periodic, sync::Semaphore};
use kernel::{BOARD, irq, println, time};

kernel::entry!(main);

const RUN_MS: u32 = 200;

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

static TICK: Semaphore = Semaphore::new(0);
static TICKS: AtomicU32 = AtomicU32::new(0);
static TIMER: IrqLock<Option<Sp804>> = IrqLock::new(None);

fn on_sp804(_irq: u32) {
    if let Some(t) = TIMER.lock().as_ref() {
        t.clear_interrupt();
    }
    TICK.give();
}

/// Starts a thread woken by the SP804 every 2 ms, if the board has one.
fn start_irq_thread() -> Option<thread::ThreadId> {
    let sp = BOARD.sp804?;
    let va = kernel::mm::ioremap(sp.base, 0x1000).expect("ioremap SP804");
    // SAFETY: va maps the SP804 registers; this is the only instance.
    *TIMER.lock() = Some(unsafe { Sp804::new(va) });
    irq::register(sp.irq, Trigger::Level, on_sp804).expect("SP804 IRQ");
    let t = thread::spawn("sp804-driven", 2, || {
        let end = time::now() + RUN_MS as u64 * 1_000_000;
        while time::now() < end {
            TICK.take();
            TICKS.fetch_add(1, Relaxed);
        }
    })
    .ok()?;
    TIMER.lock().as_ref()?.start_periodic(sp.clock_hz / 500);
    Some(t)
}

/// The cooperating processes: a logger (soft, two threads), a sensor
/// driver (soft) and a control loop (hard) that calls both. Returns their
/// pids: control first (it stops the other two when it is done).
fn start_cooperating(
    spec: &dyn Fn(&'static str, Class, u8, u32, u32) -> Spec<'static>,
) -> [u16; 3] {
    let sensor = Object::new_endpoint().expect("an endpoint");
    let log = Object::new_endpoint().expect("an endpoint");
    let alarm = Object::new_notification().expect("a notification");
    let grant = |object, rights| Grant { object, rights };
    let program = |name| process::program(name).expect("embedded by cargo xtask");
    let logger = process::spawn_process(
        &Spec {
            handles: &[grant(&log, Rights::RECEIVE), grant(&alarm, Rights::WAIT)],
            ..spec("logger", Class::SoftIsolated, 12, 0, 0)
        },
        program("demo_logger"),
    )
    .expect("logger");
    let driver = process::spawn_process(
        &Spec {
            handles: &[
                grant(&sensor, Rights::RECEIVE),
                grant(&alarm, Rights::SIGNAL),
            ],
            ..spec("driver", Class::SoftIsolated, 6, 0, 0)
        },
        program("demo_driver"),
    )
    .expect("driver");
    let control = process::spawn_process(
        &Spec {
            handles: &[grant(&sensor, Rights::SEND), grant(&log, Rights::SEND)],
            ..spec("control", Class::HardIsolated, 3, 0, RUN_MS / 2)
        },
        program("hard_demo_control"),
    )
    .expect("control loop admitted");
    [control, driver, logger]
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
            12,
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
    let irq_thread = start_irq_thread();
    let cooperating = start_cooperating(&spec);

    thread::sleep(RUN_MS as u64 * 1_000_000);
    println!("demo: tasks after {RUN_MS} ms");
    process::print_status();
    println!("demo: threads");
    thread::print_status();
    kernel::console::print_status();
    // The run's exit status is its tasks' results: a task that exited
    // non-zero (the hard isolated task exits with its late count, the
    // mapper with its error), a late kernel-bound release or a timer that
    // never woke its thread fails the demo.
    let mut failed = 0;
    for pid in [hard_iso, soft_iso, hard_k, soft_k]
        .into_iter()
        .chain(cooperating)
    {
        let code = process::wait(pid);
        println!("demo: task {pid} ended: {code:?}");
        failed += (code != Ok(0)) as u32;
    }
    for (name, late) in ["hard-kernel", "soft-kernel"].iter().zip(&KERNEL_LATE) {
        let late = late.load(Relaxed);
        println!("demo: {name}: {late} late releases");
        failed += (late != 0) as u32;
    }
    if let Some(t) = irq_thread {
        let _ = thread::join(t);
        let ticks = TICKS.load(Relaxed);
        println!("demo: {ticks} SP804 interrupts woke sp804-driven");
        failed += (ticks == 0) as u32;
        if let Some(t) = TIMER.lock().as_ref() {
            t.stop();
        }
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
