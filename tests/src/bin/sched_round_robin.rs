//! Two busy threads of equal priority share the CPU in time slices: the
//! running one changes several times and no turn lasts much longer than a
//! slice, even while a higher-priority 1 ms periodic thread keeps preempting
//! them (a preempted thread keeps the rest of its slice, not a fresh one).

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use kernel::{thread, time};
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
    let ticker = thread::spawn("ticker-1ms", 5, move || {
        let mut p = thread::Periodic::new(1_000_000);
        while p.next_release() < until {
            p.wait();
        }
    })
    .unwrap();
    let a = thread::spawn("rr-a", 10, move || spin(0, until)).unwrap();
    let b = thread::spawn("rr-b", 10, move || spin(1, until)).unwrap();
    thread::join(a).unwrap();
    thread::join(b).unwrap();
    thread::join(ticker).unwrap();
    let turns = TURNS.load(SeqCst);
    let longest = LONGEST.load(SeqCst);
    kernel::println!(
        "{turns} turns in 80 ms, longest full turn {} us",
        longest / 1000
    );
    let (ca, cb) = (COUNT[0].load(SeqCst) as u64, COUNT[1].load(SeqCst) as u64);
    kernel::println!("loop counts {ca} and {cb}");
    check("both threads ran", ca > 0 && cb > 0);
    check(
        "they shared the CPU fairly (each at least a third)",
        ca * 3 >= ca + cb && cb * 3 >= ca + cb,
    );
    check("they alternated at least 4 times", turns >= 4);
    check(
        "no turn lasted more than 2.5 slices",
        longest <= thread::SLICE_NS * 5 / 2,
    );
    finish()
}
