//! The demo kernel that `cargo xtask run` boots: a self-check of what the
//! boot sequence promises, then real-time threads side by side (two periodic
//! threads and one woken by a hardware timer interrupt) and the scheduler's
//! status table.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use drivers::gic::Trigger;
use drivers::sp804::Sp804;
use kernel::task::{self, Periodic, sync::Semaphore};
use kernel::{BOARD, irq, println, time};

kernel::entry!(main);

const RUN_NS: u64 = 200_000_000;

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

fn periodic(name: &'static str, period_ns: u64, work_loops: u32) {
    let end = time::now() + RUN_NS;
    let mut p = Periodic::new(period_ns);
    let mut n = 0u32;
    while p.next_release() < end {
        p.wait();
        for i in 0..work_loops {
            core::hint::black_box(i);
        }
        n += 1;
    }
    println!(
        "demo: {name} ran {n} periods of {} ms",
        period_ns / 1_000_000
    );
}

static TICK: Semaphore = Semaphore::new(0);
static TICKS: AtomicU32 = AtomicU32::new(0);
static mut TIMER: Option<Sp804> = None;

fn on_sp804(_irq: u32) {
    // SAFETY: TIMER is set before this IRQ is enabled and never changed after.
    if let Some(t) = unsafe { (*(&raw const TIMER)).as_ref() } {
        t.clear_interrupt();
    }
    TICK.give();
}

fn main() {
    self_check();
    let sp804 = BOARD.sp804;
    match sp804 {
        Some(_) => println!(
            "demo: two periodic threads and one interrupt-driven thread for {} ms",
            RUN_NS / 1_000_000
        ),
        None => println!(
            "demo: two periodic threads for {} ms (this board has no SP804: no interrupt-driven thread)",
            RUN_NS / 1_000_000
        ),
    }
    if let Some(sp) = sp804 {
        let va = kernel::mm::ioremap(sp.base, 0x1000).expect("ioremap SP804");
        // SAFETY: va maps the SP804 registers; this is the only instance.
        unsafe { TIMER = Some(Sp804::new(va)) };
        irq::register(sp.irq, Trigger::Level, on_sp804).expect("SP804 IRQ");
    }

    let fast = task::spawn("periodic-5ms", 4, || {
        periodic("periodic-5ms", 5_000_000, 2000)
    })
    .unwrap();
    let slow = task::spawn("periodic-8ms", 6, || {
        periodic("periodic-8ms", 8_000_000, 5000)
    })
    .unwrap();
    let irq_thread = sp804.map(|sp| {
        let thread = task::spawn("sp804-driven", 2, || {
            let end = time::now() + RUN_NS;
            while time::now() < end {
                TICK.take();
                TICKS.fetch_add(1, Relaxed);
            }
        })
        .unwrap();
        // SAFETY: as above.
        unsafe {
            (*(&raw const TIMER))
                .as_ref()
                .unwrap()
                .start_periodic(sp.clock_hz / 500)
        };
        thread
    });
    task::sleep(RUN_NS + 5_000_000);
    println!("demo: status after {} ms", RUN_NS / 1_000_000);
    task::print_status();
    if irq_thread.is_some() {
        println!(
            "demo: {} SP804 interrupts woke sp804-driven",
            TICKS.load(Relaxed)
        );
        // SAFETY: as above.
        unsafe { (*(&raw const TIMER)).as_ref().unwrap().stop() };
    }
    for t in [Some(fast), Some(slow), irq_thread].into_iter().flatten() {
        let _ = task::join(t);
    }
    println!("demo: done");
}
