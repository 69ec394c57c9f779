//! The sleeping memory-manager and heap locks under contention: four
//! threads of one priority (sharing the CPU in time slices, so each is
//! often preempted while it holds `MM` or the heap lock) map, unmap,
//! allocate and free in a loop for 60 ms, while a higher-priority thread
//! released every millisecond allocates from the heap and the frame
//! allocator (so it often finds a lock held and must wait, lending its
//! priority). Everything completes, the high thread is never late by more
//! than a few hundred microseconds, and every counter returns to its
//! starting value.
//!
//! timeout: 20

#![no_std]
#![no_main]

extern crate alloc;

use arch::mmu::descriptor::Attrs;
use arch::mmu::pmap::Size;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use kernel::mm::{alloc_frames, free_frames, map, stats, unmap};
use kernel::{thread, time};
use ktests::{check, finish};

kernel::entry!(main);

const MS: u64 = 1_000_000;
const VA: u32 = 0x6000_0000;
static ROUNDS: AtomicU32 = AtomicU32::new(0);
static ERRORS: AtomicU32 = AtomicU32::new(0);
static HIGH_ROUNDS: AtomicU32 = AtomicU32::new(0);
static HIGH_LATE: AtomicU64 = AtomicU64::new(0);

fn worker(k: u32, until: u64) {
    // Each worker has its own 4 MiB of the kernel-task area.
    let base = VA + k * (4 << 20);
    let mut n = 0u32;
    while time::now() < until {
        let Ok(pa) = alloc_frames(0) else {
            ERRORS.fetch_add(1, SeqCst);
            continue;
        };
        let va = base + (n % 1024) * 4096;
        let v: alloc::vec::Vec<u32> = alloc::vec![k; 64 + (n % 200) as usize];
        if map(va, pa, Size::Page, Attrs::KERNEL_DATA).is_err()
            || unmap(va, Size::Page) != Ok(pa)
            || free_frames(pa, 0).is_err()
            || v.iter().any(|&x| x != k)
        {
            ERRORS.fetch_add(1, SeqCst);
        }
        n += 1;
        ROUNDS.fetch_add(1, SeqCst);
    }
}

fn main() {
    let start = stats();
    let heap_start = kernel::mm::heap::usage();
    let until = time::now() + 60 * MS;
    let high = thread::spawn("high", 3, move || {
        let mut p = thread::Periodic::new(MS);
        while p.next_release() < until {
            p.wait();
            HIGH_LATE.fetch_max(time::now() - (p.next_release() - MS), SeqCst);
            let b = alloc::boxed::Box::new([7u8; 256]);
            let f = alloc_frames(0);
            if b.iter().any(|&x| x != 7) || f.and_then(|pa| free_frames(pa, 0)).is_err() {
                ERRORS.fetch_add(1, SeqCst);
            }
            HIGH_ROUNDS.fetch_add(1, SeqCst);
        }
    })
    .unwrap();
    let workers: [_; 4] = core::array::from_fn(|k| {
        thread::spawn("worker", 10, move || worker(k as u32, until)).unwrap()
    });
    for t in workers {
        thread::join(t).unwrap();
    }
    thread::join(high).unwrap();
    let late = HIGH_LATE.load(SeqCst);
    kernel::println!(
        "{} worker rounds, {} high rounds, high at most {} us late, {} errors",
        ROUNDS.load(SeqCst),
        HIGH_ROUNDS.load(SeqCst),
        late / 1000,
        ERRORS.load(SeqCst)
    );
    check("no operation failed", ERRORS.load(SeqCst) == 0);
    check(
        "the workers ran and the high thread met its releases",
        ROUNDS.load(SeqCst) > 100 && HIGH_ROUNDS.load(SeqCst) >= 55,
    );
    check("the high thread was never 200 us late", late < 200_000);
    let grown = (kernel::mm::heap::usage().0 - heap_start.0) / 4096;
    let end = stats();
    check(
        "every frame came back (the heap keeps what it grew)",
        end.free_pages + grown == start.free_pages,
    );
    check(
        "the heap holds what it held at the start",
        kernel::mm::heap::usage().1 == heap_start.1,
    );
    finish()
}
