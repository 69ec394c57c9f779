//! A periodic thread wakes N times at the absolute times it asked for: never
//! early, close to the release, and without drift over the run.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use kernel::{task, time};
use ktests::{check, finish};

kernel::entry!(main);

const N: usize = 25;
const PERIOD: u64 = 2_000_000;
static RELEASE: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];
static WOKE: [AtomicU64; N] = [const { AtomicU64::new(0) }; N];

fn main() {
    let t = task::spawn("periodic", 8, || {
        let mut p = task::Periodic::new(PERIOD);
        for i in 0..N {
            RELEASE[i].store(p.next_release(), SeqCst);
            p.wait();
            WOKE[i].store(time::now(), SeqCst);
        }
    })
    .unwrap();
    let (.., timing) = task::info(t).unwrap();
    task::join(t).unwrap();
    let first = RELEASE[0].load(SeqCst);
    let mut early = 0;
    let mut worst = 0;
    for i in 0..N {
        let (rel, woke) = (RELEASE[i].load(SeqCst), WOKE[i].load(SeqCst));
        if woke < rel {
            early += 1;
        }
        worst = worst.max(woke.saturating_sub(rel));
        if rel != first + i as u64 * PERIOD {
            early += 1000; // releases must be exactly one period apart
        }
    }
    kernel::println!("worst lateness {} us over {N} releases", worst / 1000);
    check(
        "releases are exact multiples of the period (no drift)",
        early < 1000,
    );
    check("never woke before its release", early == 0);
    check(
        "each wake-up within 1.5 ms of its release",
        worst < 1_500_000,
    );
    check(
        "timing record counted no misses yet at start",
        timing.deadline_misses == 0,
    );
    finish()
}
