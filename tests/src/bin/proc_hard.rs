//! Hard isolated tasks: the table holds only section entries (checked by
//! walking it), nothing is allocated while the task runs (allocator counters
//! unchanged), `mmap` draws on the budget reserved at admission, a budget
//! that cannot be reserved is refused with nothing left allocated, a
//! mapped reserve section is counted in the reverse map (its block cannot
//! be freed), and requests that break a class's rules are refused.

#![no_std]
#![no_main]

use arch::mmu::descriptor::L1Entry;
use arch::mmu::pmap::Size;
use kernel::process::{self, Class, ProcError, Spec};
use kernel::thread;
use ktests::{check, finish, program};

kernel::entry!(main);

fn hard(name: &'static str, arg: u32, budget: u32) -> Spec<'static> {
    Spec {
        name,
        class: Class::HardIsolated,
        priority: 3,
        budget,
        devices: &[],
        handles: &[],
        arg,
        threads: 0,
    }
}

fn main() {
    let p =
        process::spawn_process(&hard("hard-churn", 40, 1 << 20), program("hard_churn")).unwrap();
    let entries: alloc::vec::Vec<L1Entry> =
        process::with_process(p, |t| t.space.l1_entries().collect()).unwrap();
    let sections = entries
        .iter()
        .filter(|e| matches!(e, L1Entry::Section { .. }))
        .count();
    let others = entries
        .iter()
        .filter(|e| !matches!(e, L1Entry::Section { .. } | L1Entry::Fault))
        .count();
    kernel::println!("hard task table: {sections} sections, {others} other entries");
    check("its table holds sections (image + stack)", sections >= 2);
    check("and nothing but sections: no second level", others == 0);
    check(
        "its counters show no L2 table",
        process::with_process(p, |t| t.space.stats().l2_tables) == Some(0),
    );
    check(
        "a 4 KiB mapping for a hard task is refused",
        process::map_granule(p, 0x2000_0000, Size::Page) == Err(ProcError::ClassViolation),
    );
    // Counters read before its first mmap (it waits 10 ms first; its
    // section is still in the reserve), after this thread's own allocations.
    let admitted = kernel::mm::alloc_counts();
    check(
        "its reserve is untouched when the counters are first read",
        process::with_process(p, |t| t.space.reserved_sections()) == Some(1),
    );
    // Monotonic counters: an allocation freed again still shows. The last
    // reading taken while it has not exited covers its whole run (it waits
    // a period after its last release before exiting).
    let mut polls = 0;
    let mut last = admitted;
    while process::with_process(p, |t| t.exit.is_none()).unwrap_or(false) {
        last = kernel::mm::alloc_counts();
        polls += 1;
        thread::sleep(1_000_000);
    }
    kernel::println!(
        "allocation counters at admission {admitted:?}, at its end {last:?} ({polls} readings)"
    );
    check(
        "no frame or heap allocation while it ran (mmap, munmap, mmap, munmap)",
        last == admitted && polls > 50,
    );
    check(
        "it met every release (woken within 40 us) and every mmap worked",
        process::wait(p) == Ok(0),
    );

    let free = kernel::mm::stats().free_pages;
    // A section mapped from the reserve is counted in the reverse map, so
    // its block cannot be freed while mapped.
    let c = process::spawn_process(&hard("counted", 2, 1 << 20), program("hard_periodic")).unwrap();
    let va = 0x2000_0000;
    let mapped = process::map_granule(c, va, Size::Section);
    let pa = process::with_process(c, |t| t.space.translate(va))
        .flatten()
        .map(|t| t.phys);
    kernel::println!("reserve section mapped: {mapped:?} at {pa:x?}");
    check(
        "a reserve section it maps counts one mapping",
        mapped.is_ok() && pa.and_then(kernel::mm::page_info).map(|d| d.map_count()) == Some(1),
    );
    check(
        "and its block cannot be freed while mapped",
        pa.map(|pa| kernel::mm::free_frames(pa, 8))
            == Some(Err(kernel::mm::frames::FrameError::StillMapped)),
    );
    check("it ends cleanly", process::wait(c) == Ok(0));
    check(
        "with every frame back",
        kernel::mm::stats().free_pages == free,
    );

    let too_big = process::spawn_process(&hard("greedy", 0, 1 << 30), program("hard_periodic"));
    kernel::println!("1 GiB budget: {too_big:?}");
    check(
        "an impossible budget is refused",
        matches!(too_big, Err(ProcError::BudgetUnavailable { .. })),
    );
    check(
        "and nothing stays allocated",
        kernel::mm::stats().free_pages == free,
    );

    let m =
        process::spawn_process(&hard("hard-mapper", 3, 3 << 20), program("hard_mapper")).unwrap();
    check(
        "mmap uses, exhausts and reuses the reserved budget",
        process::wait(m) == Ok(0),
    );
    check(
        "all its sections came back",
        kernel::mm::stats().free_pages == free,
    );

    let user_kernel = process::spawn_process(
        &Spec {
            class: Class::HardKernel,
            ..hard("bad", 0, 0)
        },
        program("quiet"),
    );
    check(
        "a user-mode hard kernel-bound task is refused",
        user_kernel == Err(ProcError::ClassViolation),
    );
    let kernel_isolated = process::spawn_kernel_task(&hard("bad", 0, 1 << 20), |_| {});
    check(
        "an isolated class cannot run kernel code",
        kernel_isolated == Err(ProcError::ClassViolation),
    );
    finish()
}

extern crate alloc;
