//! The demo's sensor driver (soft isolated, two threads). It owns the
//! board's hardware timer (device 0, and its IRQ line: grant 2) as the
//! sample clock of a simulated sensor: each interrupt is one sample.
//!
//! - Its second thread waits for the interrupt (the line bound to a
//!   notification of its own), clears the timer, takes the sample (a
//!   triangle wave over the interrupt count), publishes it, writes it into
//!   a shared-memory ring, signals bit 0 of grant 1 (the logger's alarm
//!   notification) when it is past the alarm level, and acks the line.
//! - Its first thread serves "read" calls on grant 0 (an endpoint) and does
//!   nothing else (the rule for a hard client's soft server): each reply is
//!   the latest sample and its sequence number (the interrupt count).
//!
//! The ring (a memory object it creates) goes to the logger read-only: a
//! call on grant 3 (the logger's endpoint) moves a duplicate of the handle
//! with `MAP_READ` only. Ring layout, in words: `[0]` the sequence number
//! of the latest sample, then `RING` entries `seq << 16 | sample` at
//! `1 + seq % RING`.
//!
//! A call whose first word is `u32::MAX` ends it: the serving thread
//! signals the interrupt thread to stop the timer and end, joins it, and
//! replies `[interrupts handled, reads served]`. `arg`: the timer, as `user::timer` reads it.
//! Exit code: the interrupts it handled, or a negative step that failed.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::Relaxed, Ordering::Release};
use user::abi::RIGHT_MAP_READ;
use user::timer::Timer;
use user::{Handle, PROT_READ, PROT_WRITE, println};

user::main!(main);

const SENSOR: Handle = Handle::granted(0);
const ALARM: Handle = Handle::granted(1);
const LINE: Handle = Handle::granted(2);
const LOG: Handle = Handle::granted(3);
/// Samples above this raise the alarm.
const ALARM_LEVEL: u32 = 900;
/// Entries in the shared ring.
const RING: u32 = 1000;
/// The bit the IRQ line signals on the driver's own notification.
const IRQ_BIT: u32 = 1 << 4;
/// The bit the serving thread signals there to stop the interrupt thread.
const STOP_BIT: u32 = 1 << 5;
/// Told to the logger with the ring's handle.
const RING_TAG: u32 = 0x5249_4E47;

/// The latest sample, its sequence number (interrupts handled), alarms.
static SAMPLE: AtomicU32 = AtomicU32::new(0);
static SEQ: AtomicU32 = AtomicU32::new(0);
static ALARMS: AtomicU32 = AtomicU32::new(0);

/// The simulated sensor: 0..1000..0 over 50 samples.
fn sample(seq: u32) -> u32 {
    let i = seq % 50;
    if i < 25 { i * 40 } else { (50 - i) * 40 }
}

/// What the interrupt thread needs.
struct Irq {
    timer: Timer,
    events: Handle,
    ring: *mut u32,
}

/// The interrupt thread: one sample per interrupt until told to stop.
/// Ends with 0, or a negative step that failed.
extern "C" fn on_interrupts(irq: u32) -> ! {
    // SAFETY: `main` passes a pointer to its `Irq`, which outlives this
    // thread (main joins it).
    let irq = unsafe { &*(irq as *const Irq) };
    loop {
        let Ok(bits) = user::notify_wait(irq.events) else {
            user::thread_exit(-10)
        };
        if bits & IRQ_BIT != 0 {
            take_sample(irq);
        }
        if bits & STOP_BIT != 0 {
            // Stopped and cleared, nothing interrupts after this; one that
            // came meanwhile (its bit pending) was serviced by the stop.
            irq.timer.stop();
            if user::notify_poll(irq.events).is_ok_and(|b| b & IRQ_BIT != 0) {
                SEQ.fetch_add(1, Relaxed);
            }
            user::thread_exit(0);
        }
        if bits & IRQ_BIT != 0 && user::irq_ack(LINE).is_err() {
            user::thread_exit(-12);
        }
    }
}

/// Handles one interrupt: clears the timer, takes and publishes a sample,
/// raises the alarm if it is high.
fn take_sample(irq: &Irq) {
    irq.timer.clear();
    let seq = SEQ.load(Relaxed) + 1;
    let v = sample(seq);
    // SAFETY: the ring is our read-write mapping of 1 + RING words.
    unsafe {
        irq.ring
            .add(1 + (seq % RING) as usize)
            .write_volatile(seq << 16 | v);
        irq.ring.write_volatile(seq);
    }
    SAMPLE.store(v, Relaxed);
    SEQ.store(seq, Release);
    if v > ALARM_LEVEL {
        ALARMS.fetch_add(1, Relaxed);
        if user::notify_signal(ALARM, 1).is_err() {
            user::thread_exit(-11);
        }
    }
}

fn main(arg: u32) -> i32 {
    let Ok(regs) = user::map_device(0) else {
        return -1;
    };
    // SAFETY: regs maps the timer's registers (our granted page), and this
    // process is their only driver.
    let (timer, ticks) = unsafe { Timer::from_arg(regs, arg) };
    // The ring, and the logger's read-only handle to it.
    let Ok((mem, _)) = user::mem_create(4 * (1 + RING), 0) else {
        return -2;
    };
    let Ok(ring) = user::mem_map(mem, PROT_READ | PROT_WRITE) else {
        return -3;
    };
    let reader = user::handle_dup(mem, RIGHT_MAP_READ | user::abi::RIGHT_TRANSFER);
    let Ok(reader) = reader else {
        return -4;
    };
    if user::call_moving(LOG, [RING_TAG, RING, 0, 0], reader).is_err() {
        return -5;
    }
    let Ok(events) = user::notify_create() else {
        return -6;
    };
    let irq = Irq {
        timer,
        events,
        ring: ring as *mut u32,
    };
    if user::irq_bind(LINE, events, IRQ_BIT).is_err() || !irq.timer.start(ticks) {
        return -7;
    }
    let Ok(stack) = user::mmap(8192, PROT_READ | PROT_WRITE) else {
        return -8;
    };
    // SAFETY: the top of the stack just mapped; `irq` lives until the join.
    let irq_thread = user::thread_create(
        on_interrupts,
        unsafe { stack.add(8192) },
        &irq as *const Irq as u32,
        6,
    );
    let Ok(irq_thread) = irq_thread else {
        return -9;
    };

    let Ok(mut m) = user::recv(SENSOR, &mut [], 0) else {
        return -13;
    };
    let mut reads = 0u32;
    while m.words[0] != u32::MAX {
        reads += 1;
        let seq = SEQ.load(core::sync::atomic::Ordering::Acquire);
        let words = [SAMPLE.load(Relaxed), seq, 0, 0];
        m = match user::reply_recv(SENSOR, words, &mut [], 0, 0) {
            Ok(m) => m,
            Err(_) => return -14,
        };
    }
    if user::notify_signal(irq.events, STOP_BIT).is_err() {
        return -15;
    }
    let r = user::thread_join(irq_thread);
    let handled = SEQ.load(Relaxed);
    let _ = user::reply([handled, reads, 0, 0], &[]);
    println!(
        "driver: {handled} timer interrupts handled, {reads} reads served, {} alarms signalled",
        ALARMS.load(Relaxed)
    );
    match r {
        Ok(0) => handled as i32,
        Ok(e) => e,
        Err(_) => -16,
    }
}
