//! Memory limits hold, and running out of memory is an error, never a panic.
//!
//! 1. Budgets: a soft isolated process with no budget in its spec gets the
//!    default ([`DEFAULT_SOFT_BUDGET`], 4 MiB) and `NoMem` past it; a spec
//!    can set another.
//! 2. Frames drained from the task side: soft processes with huge budgets
//!    (`greedy`) map until `NoMem`. They cannot take the kernel's reserve
//!    ([`KERNEL_RESERVE_PAGES`]): the next spawn is refused with
//!    `NoMemory`, while the kernel still allocates (heap, a thread and its
//!    stack). Once they exit every frame is back and a spawn works.
//! 3. Kernel heap exhausted (every frame taken, then every heap byte): a
//!    process spawn, a kernel-bound task spawn and a thread spawn all fail
//!    with `NoMemory` instead of ending the kernel; with the memory back,
//!    spawns work again.
//!
//! timeout: 120

#![no_std]
#![no_main]

extern crate alloc;

use core::alloc::Layout;
use kernel::boot::phys_to_virt;
use kernel::mm::{KERNEL_RESERVE_PAGES, alloc_frames, free_frames, stats};
use kernel::process::{self, Class, DEFAULT_SOFT_BUDGET, ProcError, Spec};
use kernel::thread::{self, ThreadError};
use ktests::{check, finish, program};

kernel::entry!(main);

fn soft(name: &'static str, budget: u32, arg: u32) -> Spec<'static> {
    Spec {
        name,
        class: Class::SoftIsolated,
        priority: 10,
        budget,
        devices: &[],
        handles: &[],
        arg,
        threads: 0,
    }
}

fn run(spec: &Spec, prog: &str) -> Result<i32, ProcError> {
    let pid = process::spawn_process(spec, program(prog))?;
    process::wait(pid)
}

fn budgets() {
    let default = run(&soft("probe-default", 0, 0), "budget_probe");
    kernel::println!("default budget: {default:?} MiB");
    check(
        "budget 0 means the default: NoMem past 4 MiB",
        DEFAULT_SOFT_BUDGET == 4 << 20 && default == Ok(4),
    );
    let two = run(&soft("probe-2", 2 << 20, 0), "budget_probe");
    let six = run(&soft("probe-6", 6 << 20, 0), "budget_probe");
    check(
        "a spec's budget is the limit (2 MiB, 6 MiB)",
        two == Ok(2) && six == Ok(6),
    );
}

fn task_side() {
    let start = stats();
    let heap_start = kernel::mm::heap::usage().0;
    let until_ms = (kernel::time::now() / 1_000_000) as u32 + 60_000;
    let mut hogs = [0u16; 8];
    let mut n = 0;
    let mut refused = None;
    while n < hogs.len() {
        match process::spawn_process(&soft("greedy", u32::MAX, until_ms), program("greedy")) {
            Ok(pid) => {
                hogs[n] = pid;
                n += 1;
                // The hog (priority 10) maps until NoMem before main (16)
                // runs again.
                thread::sleep(1_000_000);
            }
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let drained = stats();
    kernel::println!(
        "{n} hogs; then spawn: {refused:?}; {} pages free (kernel reserve {KERNEL_RESERVE_PAGES})",
        drained.free_pages
    );
    // Process memory stops at the reserve; the kernel itself may dip into
    // it (a refused spawn's thread stack and TCB come from there).
    check(
        "hogs drained the frames down to the kernel's reserve",
        drained.free_pages + 8 >= KERNEL_RESERVE_PAGES
            && drained.free_pages < KERNEL_RESERVE_PAGES + 16,
    );
    check(
        "the next spawn is refused with NoMemory",
        refused == Some(ProcError::NoMemory),
    );
    check(
        "and another spawn too (nothing half-made changed that)",
        process::spawn_process(&soft("late", 0, 0), program("hello")) == Err(ProcError::NoMemory)
            && stats().free_pages == drained.free_pages,
    );
    let v: alloc::vec::Vec<u8> = alloc::vec![7; 128 * 1024];
    check(
        "the kernel heap still grows (from the reserve)",
        v.iter().all(|&b| b == 7),
    );
    drop(v);
    let t = thread::spawn("still-alive", 8, || {});
    check(
        "a kernel thread still starts and ends",
        t.is_ok_and(|t| thread::join(t).is_ok()),
    );
    let mut total = 0;
    let mut all_ok = true;
    for &pid in &hogs[..n] {
        match process::wait(pid) {
            Ok(pages) if pages >= 0 => total += pages as usize,
            other => {
                kernel::println!("hog {pid}: {other:?}");
                all_ok = false;
            }
        }
    }
    kernel::println!("hogs held {total} pages");
    check(
        "every hog got NoMem, not killed, and exited",
        all_ok && n > 0,
    );
    // The kernel heap grew by the test's own Vec above and keeps its pages.
    let grown = (kernel::mm::heap::usage().0 - heap_start) / 4096;
    let end = stats();
    kernel::println!(
        "free pages: {} at start, {} now, heap grew by {grown} pages",
        start.free_pages,
        end.free_pages
    );
    check(
        "every frame the hogs held came back",
        end.free_pages + grown == start.free_pages,
    );
    check(
        "a spawn works again",
        run(&soft("after", 0, 5), "hello") == Ok(0),
    );
}

/// Takes every free frame (the list is kept in the frames) and then every
/// heap byte (the list is kept in the blocks); returns both lists.
fn take_everything() -> (u32, usize) {
    const END: u32 = 1;
    let mut frames = END;
    while let Ok(f) = alloc_frames(0) {
        // SAFETY: a frame just allocated to us, in the linear map.
        unsafe { (phys_to_virt(f) as *mut u32).write(frames) };
        frames = f;
    }
    let mut blocks = 0usize;
    let mut size = 64 * 1024;
    while size >= 8 {
        let layout = Layout::from_size_align(size, 4).expect("layout");
        // SAFETY: a non-zero size.
        let p = unsafe { alloc::alloc::alloc(layout) };
        if p.is_null() {
            size /= 2;
            continue;
        }
        // SAFETY: p holds at least 8 bytes: the next block and its size.
        unsafe { (p as *mut [usize; 2]).write([blocks, size]) };
        blocks = p as usize;
    }
    (frames, blocks)
}

fn give_back((mut frames, mut blocks): (u32, usize)) {
    while blocks != 0 {
        // SAFETY: every block on the list is ours and holds its link.
        let [next, size] = unsafe { (blocks as *const [usize; 2]).read() };
        let layout = Layout::from_size_align(size, 4).expect("layout");
        // SAFETY: allocated above with this layout.
        unsafe { alloc::alloc::dealloc(blocks as *mut u8, layout) };
        blocks = next;
    }
    while frames != 1 {
        // SAFETY: every frame on the list is ours and holds its link.
        let next = unsafe { (phys_to_virt(frames) as *const u32).read() };
        let _ = free_frames(frames, 0);
        frames = next;
    }
}

fn kernel_heap() {
    let taken = take_everything();
    let (heap_size, heap_used) = kernel::mm::heap::usage();
    kernel::println!(
        "all frames taken, heap full: {heap_used} of {heap_size} bytes, {} pages free",
        stats().free_pages
    );
    let p = process::spawn_process(&soft("no-heap", 0, 0), program("hello"));
    let k = process::spawn_kernel_task(
        &Spec {
            class: Class::SoftKernel,
            budget: 4096,
            ..soft("no-heap-k", 0, 0)
        },
        |_| {},
    );
    let t = thread::spawn("no-heap-t", 8, || {});
    kernel::println!("spawns: process {p:?}, kernel task {k:?}, thread {t:?}");
    check(
        "with the heap exhausted a process spawn is NoMemory",
        p == Err(ProcError::NoMemory),
    );
    check(
        "so is a kernel-bound task spawn",
        k == Err(ProcError::NoMemory),
    );
    check("and a thread spawn", t == Err(ThreadError::NoMemory));
    give_back(taken);
    check(
        "with the memory back a spawn works",
        run(&soft("after-heap", 0, 6), "hello") == Ok(0),
    );
}

fn main() {
    budgets();
    task_side();
    kernel_heap();
    finish()
}
