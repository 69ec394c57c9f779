//! The demo's logger (soft isolated, two threads): its first thread serves
//! log records on its first grant (an endpoint) and prints them; its second
//! waits on its second grant (the alarm notification the driver signals)
//! and counts alarms.
//!
//! The driver's first call moves a read-only handle to its sample ring (a
//! memory object; layout in `demo_driver.rs`), which the logger maps
//! read-only; every record of the control loop, `[release, sample, output,
//! sequence number]`, is then checked against the ring's entry for that
//! sequence number: the sample the control loop got over IPC must be the
//! one the driver wrote into the shared memory.
//!
//! A record whose first word is `u32::MAX` ends the process, the waiting
//! thread with it. Exit code: records that did not match the ring (or were
//! not checked: no ring), or 90 + the step that failed.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use user::{Handle, PROT_READ, PROT_WRITE, println};

user::main!(main);

const LOG: Handle = Handle::granted(0);
const ALARM: Handle = Handle::granted(1);
/// The first word of the driver's call that moves its ring's handle.
const RING_TAG: u32 = 0x5249_4E47;

static ALARMS: AtomicU32 = AtomicU32::new(0);

/// The second thread: counts the driver's alarm signals, forever (it ends
/// with the process).
extern "C" fn alarm_watch(_: u32) -> ! {
    loop {
        match user::notify_wait(ALARM) {
            Ok(bits) if bits != 0 => {
                ALARMS.fetch_add(1, Relaxed);
            }
            _ => {}
        }
    }
}

fn main(_: u32) -> i32 {
    let Ok(stack) = user::mmap(8192, PROT_READ | PROT_WRITE) else {
        return 91;
    };
    // SAFETY: the top of the memory just mapped.
    if user::thread_create(alarm_watch, unsafe { stack.add(8192) }, 0, 14).is_err() {
        return 92;
    }
    let Ok(mut m) = user::recv(LOG, &mut [], 0) else {
        return 93;
    };
    // The driver's ring: its address and entries, once it is mapped.
    let mut ring: Option<(*const u32, u32)> = None;
    let (mut records, mut bad) = (0, 0);
    while m.words[0] != u32::MAX {
        if let (RING_TAG, Some(h)) = (m.words[0], m.handle) {
            ring = match user::mem_map(h, PROT_READ) {
                Ok(p) => Some((p as *const u32, m.words[1])),
                Err(_) => return 95,
            };
            println!(
                "logger: the driver's sample ring mapped read-only ({} entries)",
                m.words[1]
            );
        } else {
            records += 1;
            let [release, sample, output, seq] = m.words;
            // SAFETY: the ring is our read-only mapping of 1 + n words.
            let entry = ring.map(|(p, n)| unsafe { p.add(1 + (seq % n) as usize).read_volatile() });
            let in_ring = entry == Some(seq << 16 | sample);
            bad += u32::from(!in_ring);
            println!(
                "logger: release {release:3}  sample {sample:4} (#{seq:3}, {})  output {:5}  (alarms so far {})",
                if in_ring {
                    "in the ring"
                } else {
                    "NOT in the ring"
                },
                output as i32,
                ALARMS.load(Relaxed)
            );
        }
        m = match user::reply_recv(LOG, [0; 4], &mut [], 0, 0) {
            Ok(m) => m,
            Err(_) => return 94,
        };
    }
    let _ = user::reply([records, bad, 0, 0], &[]);
    println!(
        "logger: {records} records, {} matched the shared ring, {} alarm wake-ups",
        records - bad,
        ALARMS.load(Relaxed)
    );
    bad as i32
}
