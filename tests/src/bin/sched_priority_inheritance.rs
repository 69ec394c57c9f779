//! Priority inheritance: a low-priority thread holding a mutex that a
//! high-priority thread wants runs at the high priority until it releases it,
//! so a busy middle-priority thread cannot starve the high one.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use kernel::thread::{self, sync::Mutex};
use kernel::time;
use ktests::{check, finish};

kernel::entry!(main);

static LOCK: Mutex<u32> = Mutex::new(0);
static L_HOLDS: AtomicBool = AtomicBool::new(false);
static L_PRIO_SEEN: AtomicU32 = AtomicU32::new(99);
static M_DONE: AtomicBool = AtomicBool::new(false);
static M_DONE_WHEN_H_GOT: AtomicBool = AtomicBool::new(true);
static H_GOT: AtomicBool = AtomicBool::new(false);
static L_PRIO_AFTER: AtomicU32 = AtomicU32::new(0);

fn main() {
    let l = thread::spawn("low", 20, || {
        let mut g = LOCK.lock();
        L_HOLDS.store(true, SeqCst);
        let me = thread::current();
        let end = time::now() + 6_000_000;
        while time::now() < end {
            let (_, _, prio, ..) = thread::info(me).unwrap();
            L_PRIO_SEEN.fetch_min(prio as u32, SeqCst);
        }
        *g += 1;
        drop(g);
        let (_, _, prio, ..) = thread::info(me).unwrap();
        L_PRIO_AFTER.store(prio as u32, SeqCst);
    })
    .unwrap();
    while !L_HOLDS.load(SeqCst) {
        thread::sleep(100_000);
    }
    let h = thread::spawn("high", 5, || {
        thread::sleep(2_000_000);
        let mut g = LOCK.lock();
        M_DONE_WHEN_H_GOT.store(M_DONE.load(SeqCst), SeqCst);
        H_GOT.store(true, SeqCst);
        *g += 10;
    })
    .unwrap();
    let m = thread::spawn("middle-busy", 10, || {
        let end = time::now() + 40_000_000;
        while time::now() < end {}
        M_DONE.store(true, SeqCst);
    })
    .unwrap();
    thread::join(h).unwrap();
    thread::join(m).unwrap();
    thread::join(l).unwrap();
    check("high got the mutex", H_GOT.load(SeqCst));
    check(
        "high got it before the middle thread finished (no starvation)",
        !M_DONE_WHEN_H_GOT.load(SeqCst),
    );
    check(
        "low ran at high's priority (5) while high waited",
        L_PRIO_SEEN.load(SeqCst) == 5,
    );
    check(
        "low is back at its own priority (20) after unlocking",
        L_PRIO_AFTER.load(SeqCst) == 20,
    );
    check("both critical sections ran", *LOCK.lock() == 11);
    check("the mutex is free at the end", LOCK.owner().is_none());
    finish()
}
