//! Dead tasks give back every frame, whoever reclaims them: a process killed
//! while it holds 16 MiB is reclaimed by the reaper thread before anyone
//! waits for it, or by its parent's `wait` when that comes first; `exit`
//! with 16 MiB mapped, a kernel-bound task's end and exited kernel threads
//! (their stacks) likewise. `wait` returns the exit status (KILLED for a
//! fault) only once every frame is back.
//! expect-output: killed: data abort at pc
//! expect-output: address 0x00000000: translation fault, page, read

#![no_std]
#![no_main]

use kernel::process::{self, Class, KILLED, Spec};
use kernel::{println, thread, time};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

const MIB: u32 = 16;
const EXIT: u32 = 1 << 24;

fn free() -> usize {
    kernel::mm::stats().free_pages
}

/// Polls (sleeping 1 ms) until the free page count is `want`, for up to 2 s.
fn settles_at(want: usize) -> bool {
    let t0 = time::now();
    while free() != want {
        if time::now() - t0 > 2_000_000_000 {
            println!("free pages {} (want {want})", free());
            return false;
        }
        thread::sleep(1_000_000);
    }
    true
}

fn hog(priority: u8, arg: u32) -> u16 {
    let s = Spec {
        priority,
        // Above the 4 MiB default: the hog maps 16 MiB.
        budget: 32 << 20,
        ..spec("hog", Class::SoftIsolated, arg)
    };
    process::spawn_process(&s, program("hog")).unwrap()
}

fn kbody(mem: &'static mut [u8]) {
    mem.fill(0x3C);
}

fn main() {
    let warm =
        process::spawn_process(&spec("warm-up", Class::SoftIsolated, 0), program("quiet")).unwrap();
    process::wait(warm).unwrap();
    let base = free();

    // Above main (16): it dies and is reclaimed before main looks.
    let p = hog(10, MIB);
    check(
        "the reaper gave back every frame before any wait",
        settles_at(base),
    );
    check("then wait returns KILLED", process::wait(p) == Ok(KILLED));
    check("and every frame is still back", free() == base);

    // Below main: main is already waiting when it dies, so `wait` runs
    // first (the reaper would run at the process's priority, below main).
    let p = hog(20, MIB);
    check(
        "wait (first) returns KILLED",
        process::wait(p) == Ok(KILLED),
    );
    check("every frame back when wait returns", free() == base);

    // The same for exit with 16 MiB mapped, both ways round.
    let p = hog(10, MIB | EXIT);
    check("the reaper reclaims an exited process", settles_at(base));
    check("wait returns its exit code", process::wait(p) == Ok(7));
    let p = hog(20, MIB | EXIT);
    check(
        "wait (first) returns the exit code",
        process::wait(p) == Ok(7),
    );
    check("every frame back after exit", free() == base);

    // A soft kernel-bound task with 1 MiB of pages.
    let k = Spec {
        priority: 12,
        budget: 1 << 20,
        ..spec("kbound", Class::SoftKernel, 0)
    };
    let t = process::spawn_kernel_task(&k, kbody).unwrap();
    check("a kernel-bound task's memory comes back", settles_at(base));
    check("and wait returns 0", process::wait(t) == Ok(0));

    // Kernel threads that end without being joined yet: the reaper frees
    // their stacks (their control blocks stay, in a zone page that has
    // room); join frees the control block.
    let threads: [_; 4] = core::array::from_fn(|_| thread::spawn("short", 12, || {}).unwrap());
    check(
        "the reaper frees exited threads' stacks before any join",
        settles_at(base),
    );
    for t in threads {
        thread::join(t).unwrap();
    }
    check("join then frees the rest", free() == base);
    let t = thread::spawn("short", 20, || {}).unwrap();
    thread::join(t).unwrap();
    check("join (first) frees the stack", free() == base);
    finish()
}
