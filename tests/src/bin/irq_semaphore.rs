//! Interrupt handlers wake waiting threads through a semaphore: a software-
//! triggered SPI and the SP804 hardware timer each release a thread. On a
//! board without an SP804 (the Zynq) the timer part is skipped, and the
//! output says so.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use drivers::gic::Trigger;
use drivers::sp804::Sp804;
use kernel::sync::IrqLock;
use kernel::task::{self, sync::Semaphore};
use kernel::{BOARD, irq};
use ktests::{check, finish};

kernel::entry!(main);

const SOFT_IRQ: u32 = 90;
static SOFT: Semaphore = Semaphore::new(0);
static SOFT_HANDLED: AtomicU32 = AtomicU32::new(0);
static TIMER: Semaphore = Semaphore::new(0);
static TIMER_TICKS: AtomicU32 = AtomicU32::new(0);
static SP804: IrqLock<Option<Sp804>> = IrqLock::new(None);

fn soft_handler(_irq: u32) {
    SOFT_HANDLED.fetch_add(1, SeqCst);
    SOFT.give();
}

fn timer_handler(_irq: u32) {
    if let Some(t) = SP804.lock().as_ref() {
        t.clear_interrupt();
    }
    TIMER.give();
}

fn main() {
    irq::register(SOFT_IRQ, Trigger::Edge, soft_handler).unwrap();
    let waiter = task::spawn("soft-waiter", 6, || {
        for _ in 0..5 {
            SOFT.take();
        }
    })
    .unwrap();
    for _ in 0..5 {
        irq::trigger(SOFT_IRQ).unwrap();
        task::sleep(200_000);
    }
    check(
        "waiter woken 5 times by the IRQ handler",
        task::join(waiter).is_ok(),
    );
    check("handler ran 5 times", SOFT_HANDLED.load(SeqCst) == 5);
    check("nothing left in the semaphore", SOFT.count() == 0);

    let Some(sp) = BOARD.sp804 else {
        kernel::println!("skipped: the SP804 part ({} has no SP804)", BOARD.name);
        finish()
    };
    let va = kernel::mm::ioremap(sp.base, 0x1000).unwrap();
    // SAFETY: va maps the SP804; the only instance.
    *SP804.lock() = Some(unsafe { Sp804::new(va) });
    irq::register(sp.irq, Trigger::Level, timer_handler).unwrap();
    let ticker = task::spawn("timer-waiter", 6, || {
        for _ in 0..10 {
            TIMER.take();
            TIMER_TICKS.fetch_add(1, SeqCst);
        }
    })
    .unwrap();
    SP804
        .lock()
        .as_ref()
        .unwrap()
        .start_periodic(sp.clock_hz / 1000);
    check("timer thread woken 10 times", task::join(ticker).is_ok());
    check("10 ticks counted", TIMER_TICKS.load(SeqCst) == 10);
    SP804.lock().as_ref().unwrap().stop();
    irq::unregister(sp.irq);
    finish()
}
