//! A periodic thread wakes N times at the absolute times it asked for: never
//! early, close to the release, and without drift over the run (each observed
//! wake-up is checked against the first release plus a whole number of
//! periods); its timing record counts no miss while it keeps up, and counts
//! the one release it overruns on purpose at the end.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use kernel::thread::sync::Semaphore;
use kernel::{thread, time};
use ktests::{check, finish};

kernel::entry!(main);

const N: usize = 25;
const PERIOD: u64 = 2_000_000;
/// Largest lateness accepted for a wake-up. Measured under the suite's QEMU
/// (-icount shift=4,sleep=off, deterministic): 10.9 us on every board
/// (printed as "worst lateness"); the margin is 4x, so a wake-up 40 us late
/// (a lost timer event, a slow path in the wake-up) fails.
const TOLERANCE: u64 = 40_000;
static START: AtomicU64 = AtomicU64::new(0);
static RELEASE: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];
static WOKE: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];
static OVERRUN_ON_TIME: AtomicBool = AtomicBool::new(true);
static OVERRUN_DONE: AtomicBool = AtomicBool::new(false);
/// The thread has made its N releases and waits for main to read its record.
static KEPT_UP: Semaphore = Semaphore::new(0);
/// Main has read it: the thread goes on to overrun one release.
static GO_ON: Semaphore = Semaphore::new(0);

fn main() {
    let t = thread::spawn("periodic", 8, || {
        START.store(time::now(), SeqCst);
        let mut p = thread::Periodic::new(PERIOD);
        for i in 0..N {
            RELEASE[i].store(p.next_release(), SeqCst);
            p.wait();
            WOKE[i].store(time::now(), SeqCst);
        }
        KEPT_UP.give();
        GO_ON.take();
        // Overrun: work past the next release, then wait for it.
        let late = p.next_release() + PERIOD / 2;
        while time::now() < late {}
        OVERRUN_ON_TIME.store(p.wait(), SeqCst);
        OVERRUN_DONE.store(true, SeqCst);
    })
    .unwrap();
    KEPT_UP.take();
    let (.., kept_up) = thread::info(t).unwrap();
    GO_ON.give();
    // Still alive after its overrun (joining would remove its record).
    while !OVERRUN_DONE.load(SeqCst) {
        thread::sleep(PERIOD);
    }
    let (.., overran) = thread::info(t).unwrap();
    thread::join(t).unwrap();

    let start = START.load(SeqCst);
    let first = RELEASE[0].load(SeqCst);
    let mut early = 0;
    let mut drift = 0;
    let mut worst = 0;
    for i in 0..N {
        let woke = WOKE[i].load(SeqCst);
        // Where the i-th wake-up belongs, from the first release alone.
        let due = first + i as u64 * PERIOD;
        if woke < due {
            early += 1;
        }
        if RELEASE[i].load(SeqCst) != due {
            drift += 1;
        }
        worst = worst.max(woke.saturating_sub(due));
    }
    kernel::println!("worst lateness {} ns over {N} releases", worst);
    check(
        "the first release is one period after the start",
        first >= start + PERIOD && first < start + PERIOD + TOLERANCE,
    );
    check(
        "releases are exact multiples of the period (no drift)",
        drift == 0,
    );
    check("never woke before its release", early == 0);
    check(
        "each observed wake-up within 40 us of first release + i periods",
        worst < TOLERANCE,
    );
    kernel::println!(
        "after {N} releases: {} wake-ups, {} misses; after the overrun: {} misses",
        kept_up.wakeups,
        kept_up.deadline_misses,
        overran.deadline_misses
    );
    check(
        "its timing record counted N wake-ups and no miss while it kept up",
        kept_up.wakeups as usize >= N && kept_up.deadline_misses == 0,
    );
    check(
        "the overrun release is reported and counted as one miss",
        !OVERRUN_ON_TIME.load(SeqCst) && overran.deadline_misses == 1,
    );
    finish()
}
