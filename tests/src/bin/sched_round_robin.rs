//! Two busy threads of equal priority share the CPU in time slices: the
//! running one changes several times and no turn lasts much longer than a
//! slice.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use kernel::{task, time};
use ktests::{check, finish};

kernel::entry!(main);

static LAST: AtomicU32 = AtomicU32::new(99);
static TURNS: AtomicU32 = AtomicU32::new(0);
static TURN_START: AtomicU64 = AtomicU64::new(0);
static LONGEST: AtomicU64 = AtomicU64::new(0);
static COUNT: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];

fn spin(me: u32, until: u64) {
    loop {
        if time::now() >= until {
            return;
        }
        if LAST.swap(me, SeqCst) != me {
            let now = time::now();
            let start = TURN_START.swap(now, SeqCst);
            if TURNS.fetch_add(1, SeqCst) > 0 {
                LONGEST.fetch_max(now.saturating_sub(start), SeqCst);
            }
        }
        COUNT[me as usize].fetch_add(1, SeqCst);
    }
}

fn main() {
    let until = time::now() + 80_000_000;
    let a = task::spawn("rr-a", 10, move || spin(0, until)).unwrap();
    let b = task::spawn("rr-b", 10, move || spin(1, until)).unwrap();
    task::join(a).unwrap();
    task::join(b).unwrap();
    let turns = TURNS.load(SeqCst);
    let longest = LONGEST.load(SeqCst);
    kernel::println!(
        "{turns} turns in 80 ms, longest full turn {} us",
        longest / 1000
    );
    check("both threads ran", COUNT.iter().all(|c| c.load(SeqCst) > 0));
    check("they alternated at least 4 times", turns >= 4);
    check(
        "no turn lasted more than 2.5 slices",
        longest <= task::SLICE_NS * 5 / 2,
    );
    finish()
}
