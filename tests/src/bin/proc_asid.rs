//! A process switch changes TTBR0 and the ASID and flushes nothing: two
//! processes that yield to each other hundreds of times cause no full TLB
//! flush, each keeps its own ASID, and their data stays apart.

#![no_std]
#![no_main]

use kernel::process::{self, Class, Spec};
use kernel::thread;
use ktests::{check, finish, program, spec};

kernel::entry!(main);

/// Below the main thread (16), so that neither process runs before both
/// exist and the main thread's look at them, 1 ms into their 2 ms of
/// yielding and sleeping, does not depend on how long creating them took.
const PRIORITY: u8 = 20;

fn main() {
    let flushes = arch::mmu::full_flushes();
    let a = process::spawn_process(
        &Spec {
            priority: PRIORITY,
            ..spec("same-va-a", Class::SoftIsolated, 0x1111)
        },
        program("same_va"),
    )
    .unwrap();
    let b = process::spawn_process(
        &Spec {
            priority: PRIORITY,
            ..spec("same-va-b", Class::SoftIsolated, 0x2222)
        },
        program("same_va"),
    )
    .unwrap();
    thread::sleep(1_000_000);
    let ta = process::with_process(a, |t| t.thread).unwrap();
    let tb = process::with_process(b, |t| t.thread).unwrap();
    let (asid_a, asid_b) = (thread::asid_of(ta), thread::asid_of(tb));
    kernel::println!("ASIDs {asid_a} and {asid_b}");
    let switches_a = thread::info(ta).map_or(0, |i| i.4.switches);
    check("both have a non-zero ASID", asid_a != 0 && asid_b != 0);
    check("different ASIDs", asid_a != asid_b);
    check("a isolated", process::wait(a) == Ok(0));
    check("b isolated", process::wait(b) == Ok(0));
    kernel::println!(
        "full TLB flushes: {} -> {}",
        flushes,
        arch::mmu::full_flushes()
    );
    check("they were switched many times", switches_a >= 5);
    check(
        "no full TLB flush happened",
        arch::mmu::full_flushes() == flushes,
    );
    finish()
}
