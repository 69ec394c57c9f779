//! The IRQs-off profiler (`kernel::irqsoff`) measures what it should: IRQs
//! masked on purpose for a known number of instructions (a block of exactly
//! `ROUNDS x 1000` instructions) show up as a window of that length, plus at
//! most `MARGIN` instructions of locking and hook cost, at this file's line;
//! the same block run with IRQs enabled is not a window; nested locks make
//! one window, at the outer lock; an explicit `interrupts_disable` and an
//! interrupt handler (the trap path) are measured too; `reset` forgets.
//!
//! expect-output: check the profiler is built in ... ok
//! expect-output: check an IrqLock window is measured to within the margin ... ok
//! expect-output: check the IrqLock window's site is this file and line ... ok
//! expect-output: check IRQs enabled: no long window ... ok
//! expect-output: check nested locks: one window at the outer lock ... ok
//! expect-output: check an explicit interrupts_disable is measured at its line ... ok
//! expect-output: check an IRQ handler's window starts at trap entry ... ok
//! expect-output: check reset forgets every window ... ok

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering};
use drivers::a9_timer::{GLOBAL_TIMER_IRQ, GlobalTimer};
use drivers::gic::Trigger;
use kernel::irqsoff::{self, Site, Window};
use kernel::sync::IrqLock;
use kernel::{BOARD, irq, println, time};
use ktests::{check, finish};

kernel::entry!(main);

/// Rounds of [`block`]: 20,000 instructions, far above any window the
/// kernel makes by itself here.
const ROUNDS: u32 = 20;
/// Instructions in [`block`] of [`ROUNDS`].
const INSNS: u64 = ROUNDS as u64 * 1000;
/// What a window may exceed its masked code by: taking and releasing the
/// lock and the profiler's own hook calls (a few dozen instructions).
const MARGIN: u64 = 150;

static LOCK: IrqLock<u32> = IrqLock::new(0);
static INNER: IrqLock<u32> = IrqLock::new(0);

/// Runs exactly `rounds x 1000` instructions: per round 998 `nop`s, a
/// `subs` and a `bne`.
#[inline(always)]
fn block(rounds: u32) {
    // SAFETY: touches only the register it declares; no memory, no stack.
    unsafe {
        core::arch::asm!(
            "2:",
            ".rept 998",
            "nop",
            ".endr",
            "subs {n}, {n}, #1",
            "bne 2b",
            n = inout(reg) rounds => _,
            options(nomem, nostack),
        )
    };
}

/// Whether `w` starts at line `line` of this file.
fn at_line(w: &Window, line: u32) -> bool {
    matches!(w.start, Site::Code(l) if l.file() == file!() && l.line() == line)
}

/// Whether `w` is INSNS long, give or take the margin.
fn measured(w: &Window, insns: u64) -> bool {
    w.insns() >= insns && w.insns() <= insns + MARGIN
}

fn show(what: &str, w: Option<Window>) {
    match w {
        Some(w) => println!(
            "{what}: longest window {} instructions ({} ns), {} -> {}",
            w.insns(),
            w.ns(),
            w.start,
            w.end
        ),
        None => println!("{what}: no window"),
    }
}

fn main() {
    check("the profiler is built in", irqsoff::ENABLED);

    // 1. An IrqLock held over the block.
    irqsoff::reset();
    let here = line!() + 1;
    let guard = LOCK.lock();
    block(ROUNDS);
    drop(guard);
    let w = irqsoff::max();
    show("IrqLock", w);
    check(
        "an IrqLock window is measured to within the margin",
        w.is_some_and(|w| measured(&w, INSNS)),
    );
    check(
        "the IrqLock window's site is this file and line",
        w.is_some_and(|w| at_line(&w, here)),
    );

    // 2. The same block with IRQs enabled is no window.
    irqsoff::reset();
    block(ROUNDS * 2);
    let w = irqsoff::max();
    show("IRQs enabled", w);
    check(
        "IRQs enabled: no long window",
        w.is_none_or(|w| w.insns() < INSNS / 4),
    );

    // 3. Nested locks: one window, at the outer lock.
    irqsoff::reset();
    let outer_line = line!() + 1;
    let outer = LOCK.lock();
    block(ROUNDS / 2);
    let inner = INNER.lock();
    block(ROUNDS / 2);
    drop(inner);
    drop(outer);
    let w = irqsoff::max();
    show("nested", w);
    check(
        "nested locks: one window at the outer lock",
        w.is_some_and(|w| measured(&w, INSNS) && at_line(&w, outer_line)),
    );

    // 4. An explicit interrupts_disable.
    irqsoff::reset();
    let disable_line = line!() + 1;
    let on = arch::cpu::interrupts_disable();
    block(ROUNDS);
    if on {
        arch::cpu::interrupts_enable();
    }
    let w = irqsoff::max();
    show("interrupts_disable", w);
    check(
        "an explicit interrupts_disable is measured at its line",
        w.is_some_and(|w| measured(&w, INSNS) && at_line(&w, disable_line)),
    );

    // 5. The trap path: an interrupt handler that runs the block.
    irqsoff::reset();
    irq_handler_window();
    let w = irqsoff::max();
    show("IRQ handler", w);
    check(
        "an IRQ handler's window starts at trap entry",
        w.is_some_and(|w| {
            w.start == Site::TrapEntry(arch::trap::TrapKind::Irq)
                && w.insns() >= INSNS
                && w.insns() <= INSNS + 2000
        }),
    );

    // 6. reset forgets.
    irqsoff::reset();
    let r = irqsoff::record();
    check(
        "reset forgets every window",
        r.count == 0 && r.worst[0].is_none(),
    );

    // What the profiler saw over a few scheduler ticks, for the log.
    block(ROUNDS);
    irqsoff::print_worst();
    finish()
}

/// A second view of the global timer, for its comparator.
static GTIMER: IrqLock<Option<GlobalTimer>> = IrqLock::new(None);
static FIRED: AtomicBool = AtomicBool::new(false);

fn on_comparator(_irq: u32) {
    if let Some(t) = GTIMER.lock().as_ref() {
        t.disable_compare();
        t.clear_interrupt();
    }
    block(ROUNDS);
    FIRED.store(true, Ordering::Release);
}

/// Arms the global timer's comparator a little ahead and waits (IRQs
/// enabled) for its handler, which runs the block.
fn irq_handler_window() {
    let va = kernel::mm::ioremap(BOARD.global_timer_base(), 0x100).expect("ioremap");
    // SAFETY: va maps the A9 global timer. The kernel's instances only read
    // its counter; this one alone uses the comparator, its interrupt enable
    // and its event flag (under GTIMER's lock or in its handler).
    let t = unsafe { GlobalTimer::new(va) };
    t.disable_compare();
    t.clear_interrupt();
    t.set_auto_increment(0);
    t.enable_compare_irq();
    *GTIMER.lock() = Some(t);
    irq::register(GLOBAL_TIMER_IRQ, Trigger::Level, on_comparator).expect("global timer IRQ");
    FIRED.store(false, Ordering::Relaxed);
    {
        let guard = GTIMER.lock();
        if let Some(t) = guard.as_ref() {
            t.set_compare(time::ticks() + 5000);
        }
    }
    while !FIRED.load(Ordering::Acquire) {
        core::hint::spin_loop();
    }
    irq::unregister(GLOBAL_TIMER_IRQ);
    if let Some(t) = GTIMER.lock().take() {
        t.disable_compare_irq();
    }
    kernel::mm::iounmap(va, 0x100).expect("iounmap");
}
