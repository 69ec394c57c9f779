//! Threads of a process: four threads of a soft process share its memory
//! and TLS stays per thread, they are joined with their exit codes, bad
//! requests are refused with exact codes, and a thread left running ends
//! with the process (no thread slot or page is left behind). A hard
//! process creates exactly the threads it was admitted for, joins and
//! creates them again, and the next is refused; after its admission
//! nothing is allocated for it (counted: frames, heap, control blocks).
//! expect-output: threads: 4 threads added 4000 into shared memory
//! expect-output: threads: 3 admitted threads created, the next refused

#![no_std]
#![no_main]

use kernel::process::{self, Class, Spec};
use kernel::thread::{self, MAX_THREADS, ThreadId};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn live_threads() -> usize {
    (0..MAX_THREADS)
        .filter(|&i| thread::info(ThreadId::new(i as u16)).is_some())
        .count()
}

fn main() {
    let warm =
        process::spawn_process(&spec("warm-up", Class::SoftIsolated, 0), program("quiet")).unwrap();
    process::wait(warm).unwrap();
    let (free, threads) = (kernel::mm::stats().free_pages, live_threads());
    let p = process::spawn_process(&spec("threads", Class::SoftIsolated, 0), program("threads"))
        .unwrap();
    let code = process::wait(p);
    kernel::println!("soft threads program: {code:?}");
    check(
        "threads share memory, keep their TLS and join",
        code == Ok(0),
    );
    check(
        "the thread left running ended with the process",
        live_threads() == threads,
    );
    check("no page leaked", kernel::mm::stats().free_pages == free);

    // Below the main thread's priority: admitted, not yet running.
    let hard = Spec {
        class: Class::HardIsolated,
        budget: 1 << 20,
        threads: 3,
        priority: 20,
        ..spec("hard-threads", Class::HardIsolated, 3)
    };
    let p = process::spawn_process(&hard, program("hard_threads")).unwrap();
    let stacks = process::with_process(p, |t| t.reserved_thread_stacks());
    let admitted = kernel::mm::stats().free_pages;
    // Counted: frames (L2 tables and heap growth included), heap objects
    // and control blocks taken from here on, while it creates, joins and
    // creates again.
    let allocs = (kernel::mm::alloc_counts(), thread::tcb_allocations());
    check(
        "admission took a kernel stack for each thread it allows",
        stacks == Some(3),
    );
    // It runs, creates its three threads and parks them.
    thread::sleep(10_000_000);
    let after = kernel::mm::stats().free_pages;
    kernel::println!(
        "hard threads: {} pages taken by creating 3 threads",
        admitted - after
    );
    check("creating them took no page", admitted == after);
    let now = (kernel::mm::alloc_counts(), thread::tcb_allocations());
    kernel::println!("hard threads: allocations from admission {allocs:?}, after {now:?}");
    check(
        "nothing was allocated after admission (frames, heap, control blocks)",
        now == allocs,
    );
    let code = process::wait(p);
    kernel::println!("hard threads program: {code:?}");
    check(
        "a hard process creates its admitted threads, the next is refused",
        code == Ok(0),
    );
    check("its threads ended with it", live_threads() == threads);
    check("no page leaked", kernel::mm::stats().free_pages == free);
    finish()
}
