//! The memory manager's lock does not mask IRQs and lends priority: a
//! low-priority thread holds `MM` for 3 ms (spinning inside `mm::with`);
//! a high-priority thread released 1 ms in wakes on time all the same (with
//! an IRQ-masking lock it would wake 2 ms late), then needs the memory
//! manager itself, so the holder runs at its priority until it lets go: a
//! middle-priority thread that spins from 1.5 ms to 8 ms does not delay it
//! (without priority inheritance the high thread would wait until 8 ms).

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use kernel::{thread, time};
use ktests::{check, finish};

kernel::entry!(main);

const MS: u64 = 1_000_000;
static BASE: AtomicU64 = AtomicU64::new(0);
static H_LATE: AtomicU64 = AtomicU64::new(u64::MAX);
static H_GOT_MM: AtomicU64 = AtomicU64::new(u64::MAX);
static L_HELD: AtomicU64 = AtomicU64::new(0);

fn spin_until(t: u64) {
    while time::now() < t {}
}

fn main() {
    let base = time::now() + 2 * MS;
    BASE.store(base, SeqCst);
    let h = thread::spawn("high", 2, || {
        let base = BASE.load(SeqCst);
        thread::sleep_until(base + MS);
        H_LATE.store(time::now() - (base + MS), SeqCst);
        let _ = kernel::mm::stats();
        H_GOT_MM.store(time::now() - base, SeqCst);
    })
    .unwrap();
    let m = thread::spawn("middle", 10, || {
        let base = BASE.load(SeqCst);
        thread::sleep_until(base + 3 * MS / 2);
        spin_until(base + 8 * MS);
    })
    .unwrap();
    let l = thread::spawn("low", 20, || {
        let base = BASE.load(SeqCst);
        thread::sleep_until(base);
        kernel::mm::with(|_| {
            L_HELD.store(time::now() - base, SeqCst);
            spin_until(base + 3 * MS);
        });
    })
    .unwrap();
    for t in [h, m, l] {
        thread::join(t).unwrap();
    }
    let (late, got, held) = (
        H_LATE.load(SeqCst),
        H_GOT_MM.load(SeqCst),
        L_HELD.load(SeqCst),
    );
    kernel::println!(
        "low took MM at +{} us; high woke {} us late, got MM at +{} us",
        held / 1000,
        late / 1000,
        got / 1000
    );
    check("the low thread held MM from the start", held < MS / 2);
    check(
        "the high thread woke on time while MM was held (< 100 us late)",
        late < MS / 10,
    );
    check(
        "it got MM when the holder let go, at its priority (before 4 ms)",
        (3 * MS..4 * MS).contains(&got),
    );
    finish()
}
