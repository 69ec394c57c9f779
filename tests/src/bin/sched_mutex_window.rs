//! The IRQs-off window of a thread blocking on a contended sleeping lock:
//! `task::sync::Mutex::lock` on a held mutex keeps IRQs masked from the lock
//! through the switch until the owner, lent the caller's priority, runs
//! unmasked. It must stay within [`BOUND`] instructions, profiler included.
//!
//! Main (priority 16) holds the mutex while a lower thread (20) blocks on
//! it, hands it over by unlocking (no preemption: the new owner is lower),
//! and locks it again at once: it blocks, lends the owner its priority and
//! switches straight to it (the owner then outranks every ready thread). The
//! owner resumes in its own `lock`, where IRQs come back on.
//!
//! expect-output: check the mutex went back and forth ... ok
//! expect-output: check the blocking lock's window is within the bound ... ok

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use kernel::irqsoff::{self, Site};
use kernel::println;
use kernel::task::{self, sync::Mutex};
use ktests::{check, finish};

kernel::entry!(main);

/// Instructions the window may last (the IRQs-off budget's figure for a
/// contended lock, profiler hook included).
const BOUND: u64 = 480;
/// Hand-overs measured.
const ROUNDS: u32 = 20;

static LOCK: Mutex<u32> = Mutex::new(0);
/// The round the low thread is asked to do, and the last one it finished.
static GO: AtomicU32 = AtomicU32::new(0);
static DONE: AtomicU32 = AtomicU32::new(0);

fn low() {
    for round in 1..=ROUNDS {
        while GO.load(SeqCst) < round {
            task::sleep(50_000);
        }
        let mut g = LOCK.lock(); // blocks: main holds it
        *g += 1;
        drop(g);
        DONE.store(round, SeqCst);
    }
}

fn main() {
    let l = task::spawn("low", 20, low).expect("low thread");
    let mut block = 0u64;
    for round in 1..=ROUNDS {
        let g = LOCK.lock();
        GO.store(round, SeqCst);
        // The low thread wakes and blocks on the mutex we hold.
        while task::info(l).is_some_and(|(.., state, _)| state != task::State::Blocked) {
            task::sleep(20_000);
        }
        drop(g); // to the low thread, which does not preempt us
        irqsoff::reset();
        let line = line!() + 1;
        let g = LOCK.lock(); // blocks; the low thread runs at our priority
        drop(g);
        let r = irqsoff::record();
        let here = |s: Site| matches!(s, Site::Code(l) if l.file() == file!() && l.line() == line);
        for w in r.worst.iter().flatten().filter(|w| here(w.start)) {
            block = block.max(w.insns());
        }
        while DONE.load(SeqCst) < round {
            task::sleep(20_000);
        }
    }
    task::join(l).expect("join low");
    println!("contended lock: longest blocking window {block} instructions");
    check("the mutex went back and forth", *LOCK.lock() == ROUNDS);
    check(
        "the blocking lock's window is within the bound",
        block > 0 && block <= BOUND,
    );
    finish()
}
