//! The IRQs-off windows of a contended sleeping lock, and the preemption an
//! unlock owes a waiter it hands the mutex to.
//!
//! Main (priority 16) holds the mutex while a lower thread (20) blocks on
//! it, hands it over by unlocking (no preemption: the new owner is lower),
//! and locks it again at once: it blocks, lends the owner its priority and
//! switches straight to it (the owner then outranks every ready thread);
//! the owner resumes in its own `lock`, where IRQs come back on (the
//! blocking window). The owner unlocks: the mutex goes back to main, the
//! owner drops to 20 and is preempted at once, before its next statement,
//! main resuming in its `lock` (the hand-over window). Both windows must
//! stay within [`BOUND`] instructions, profiler included.
//!
//! expect-output: check the mutex went back and forth ... ok
//! expect-output: check an unlock that hands the mutex to a higher waiter preempts ... ok
//! expect-output: check the blocking lock's window is within the bound ... ok
//! expect-output: check the hand-over unlock's window is within the bound ... ok

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use kernel::irqsoff::{self, Site};
use kernel::println;
use kernel::thread::{self, sync::Mutex};
use ktests::{check, finish};

kernel::entry!(main);

/// Instructions a window may last (the IRQs-off budget's figure for a
/// contended lock, profiler hook included).
const BOUND: u64 = 480;
/// Hand-overs measured.
const ROUNDS: u32 = 20;

static LOCK: Mutex<u32> = Mutex::new(0);
/// The round the low thread is asked to do, and the last one it finished.
static GO: AtomicU32 = AtomicU32::new(0);
static DONE: AtomicU32 = AtomicU32::new(0);
/// Rounds where main got the mutex back only after the low thread ran on
/// past its unlock (it should have been preempted there).
static LATE: AtomicU32 = AtomicU32::new(0);

fn low() {
    for round in 1..=ROUNDS {
        while GO.load(SeqCst) < round {
            thread::sleep(50_000);
        }
        let mut g = LOCK.lock(); // blocks: main holds it
        *g += 1;
        drop(g); // hands it back to main, which preempts us here
        DONE.store(round, SeqCst);
    }
}

fn main() {
    let l = thread::spawn("low", 20, low).expect("low thread");
    let (mut block, mut handover) = (0u64, 0u64);
    for round in 1..=ROUNDS {
        let g = LOCK.lock();
        GO.store(round, SeqCst);
        // The low thread wakes and blocks on the mutex we hold.
        while thread::info(l).is_some_and(|(.., state, _)| state != thread::State::Blocked) {
            thread::sleep(20_000);
        }
        drop(g); // to the low thread, which does not preempt us
        irqsoff::reset();
        let line = line!() + 1;
        let g = LOCK.lock(); // blocks; the low thread runs at our priority
        if DONE.load(SeqCst) >= round {
            LATE.fetch_add(1, SeqCst);
        }
        drop(g);
        let r = irqsoff::record();
        let here = |s: Site| matches!(s, Site::Code(l) if l.file() == file!() && l.line() == line);
        for w in r.worst.iter().flatten() {
            if here(w.start) {
                block = block.max(w.insns());
            } else if here(w.end)
                && matches!(w.start, Site::Code(l) if l.file().ends_with("thread/sync.rs"))
            {
                handover = handover.max(w.insns());
            }
        }
        while DONE.load(SeqCst) < round {
            thread::sleep(20_000);
        }
    }
    thread::join(l).expect("join low");
    println!(
        "contended lock: longest blocking window {block}, hand-over window {handover} instructions"
    );
    check("the mutex went back and forth", *LOCK.lock() == ROUNDS);
    check(
        "an unlock that hands the mutex to a higher waiter preempts",
        LATE.load(SeqCst) == 0,
    );
    check(
        "the blocking lock's window is within the bound",
        block > 0 && block <= BOUND,
    );
    check(
        "the hand-over unlock's window is within the bound",
        handover > 0 && handover <= BOUND,
    );
    finish()
}
