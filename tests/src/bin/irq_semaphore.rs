//! Interrupt handlers wake waiting threads through a semaphore: a software-
//! triggered SPI and a hardware timer (the board's SP804, or the Zynq's TTC)
//! each release a thread. On a board with neither the timer part is skipped,
//! and the output says so.
//!
//! Nothing here is timed, and QEMU's TTC model (hw/timer/cadence_ttc.c)
//! livelocks under `-icount` once its registers are read in mid-period (it
//! re-arms its timer for "now" forever while virtual time stands still), so:
//! icount: off

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use drivers::cadence_ttc::CadenceTtc;
use drivers::gic::Trigger;
use drivers::sp804::Sp804;
use kernel::sync::IrqLock;
use kernel::thread::{self, sync::Semaphore};
use kernel::{BOARD, irq};
use ktests::{check, finish};

kernel::entry!(main);

const SOFT_IRQ: u32 = 90;
static SOFT: Semaphore = Semaphore::new(0);
static SOFT_HANDLED: AtomicU32 = AtomicU32::new(0);
static TIMER: Semaphore = Semaphore::new(0);
static TIMER_TICKS: AtomicU32 = AtomicU32::new(0);
static HW_TIMER: IrqLock<Option<HwTimer>> = IrqLock::new(None);

/// The board's hardware timer.
enum HwTimer {
    Sp804(Sp804),
    Ttc(CadenceTtc),
}

impl HwTimer {
    /// Interrupts every `ticks` ticks; false if the timer cannot.
    fn start_periodic(&self, ticks: u32) -> bool {
        match self {
            HwTimer::Sp804(t) => {
                t.start_periodic(ticks);
                true
            }
            HwTimer::Ttc(t) => t.start_periodic(ticks).is_some(),
        }
    }

    fn clear_interrupt(&self) {
        match self {
            HwTimer::Sp804(t) => t.clear_interrupt(),
            HwTimer::Ttc(t) => {
                t.clear_interrupt();
            }
        }
    }

    fn stop(&self) {
        match self {
            HwTimer::Sp804(t) => t.stop(),
            HwTimer::Ttc(t) => t.stop(),
        }
    }
}

fn soft_handler(_irq: u32) {
    SOFT_HANDLED.fetch_add(1, SeqCst);
    SOFT.give();
}

fn timer_handler(_irq: u32) {
    if let Some(t) = HW_TIMER.lock().as_ref() {
        t.clear_interrupt();
    }
    TIMER.give();
}

fn main() {
    irq::register(SOFT_IRQ, Trigger::Edge, soft_handler).unwrap();
    let waiter = thread::spawn("soft-waiter", 6, || {
        for _ in 0..5 {
            SOFT.take();
        }
    })
    .unwrap();
    for _ in 0..5 {
        irq::trigger(SOFT_IRQ).unwrap();
        thread::sleep(200_000);
    }
    check(
        "waiter woken 5 times by the IRQ handler",
        thread::join(waiter).is_ok(),
    );
    check("handler ran 5 times", SOFT_HANDLED.load(SeqCst) == 5);
    check("nothing left in the semaphore", SOFT.count() == 0);

    // One interrupt every millisecond from the board's hardware timer.
    let (timer, timer_irq, ticks) = if let Some(sp) = BOARD.sp804 {
        let va = kernel::mm::ioremap(sp.base, 0x1000).unwrap();
        // SAFETY: va maps the SP804; the only instance.
        let t = HwTimer::Sp804(unsafe { Sp804::new(va) });
        (t, sp.irq, sp.clock_hz / 1000)
    } else if let Some(ttc) = BOARD.ttc {
        let va = kernel::mm::ioremap(ttc.base, 0x1000).unwrap();
        // SAFETY: va maps the TTC; the only instance for its first counter.
        let t = HwTimer::Ttc(unsafe { CadenceTtc::new(va) });
        (t, ttc.irq, ttc.clock_hz / 1000)
    } else {
        kernel::println!(
            "skipped: the hardware timer part ({} has no SP804 or TTC)",
            BOARD.name
        );
        finish()
    };
    *HW_TIMER.lock() = Some(timer);
    irq::register(timer_irq, Trigger::Level, timer_handler).unwrap();
    let ticker = thread::spawn("timer-waiter", 6, || {
        for _ in 0..10 {
            TIMER.take();
            TIMER_TICKS.fetch_add(1, SeqCst);
        }
    })
    .unwrap();
    let started = HW_TIMER.lock().as_ref().unwrap().start_periodic(ticks);
    check("the hardware timer runs at 1 kHz", started);
    if !started {
        finish()
    }
    check("timer thread woken 10 times", thread::join(ticker).is_ok());
    check("10 ticks counted", TIMER_TICKS.load(SeqCst) == 10);
    HW_TIMER.lock().as_ref().unwrap().stop();
    irq::unregister(timer_irq);
    finish()
}
