//! Kernel-bound tasks: a hard one gets its memory as 1 MiB sections in the
//! kernel's space, a soft one as 4 KiB pages; both run privileged and their
//! memory returns when they end.

#![no_std]
#![no_main]

use arch::mmu::pmap::Size;
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use kernel::process::{self, Class, Spec};
use ktests::{check, finish};

kernel::entry!(main);

static HARD_SIZE: AtomicU32 = AtomicU32::new(0);
static SOFT_SIZE: AtomicU32 = AtomicU32::new(0);
static HARD_MODE: AtomicU32 = AtomicU32::new(0);

fn granule_of(mem: &[u8]) -> u32 {
    match kernel::mm::extract(mem.as_ptr() as u32).map(|t| t.size) {
        Some(Size::Section) => 1 << 20,
        Some(Size::Page) => 4096,
        _ => 0,
    }
}

fn hard_body(mem: &'static mut [u8]) {
    mem.fill(0x5A);
    HARD_SIZE.store(granule_of(mem), SeqCst);
    HARD_MODE.store(arch::cpu::mode(), SeqCst);
}

fn soft_body(mem: &'static mut [u8]) {
    mem.fill(0xA5);
    SOFT_SIZE.store(granule_of(mem), SeqCst);
}

fn main() {
    let free = kernel::mm::stats().free_pages;
    let spec = |name, class, budget| Spec {
        name,
        class,
        priority: 20, // below main (16): main inspects them before they run
        budget,
        devices: &[],
        handles: &[],
        arg: 0,
        threads: 0,
    };
    let h = process::spawn_kernel_task(&spec("hard-kernel", Class::HardKernel, 2 << 20), hard_body)
        .unwrap();
    let sections = process::with_process(h, |t| t.space.stats().sections);
    check(
        "hard kernel-bound memory is 2 sections",
        sections == Some(2),
    );
    check("hard: reached through 1 MiB sections", {
        process::wait(h).unwrap();
        HARD_SIZE.load(SeqCst) == 1 << 20
    });
    check("hard: ran privileged (SVC)", HARD_MODE.load(SeqCst) == 0x13);
    let s = process::spawn_kernel_task(&spec("soft-kernel", Class::SoftKernel, 40_000), soft_body)
        .unwrap();
    let pages = process::with_process(s, |t| t.space.stats().pages);
    check(
        "soft kernel-bound memory is 10 pages (40000 bytes rounded)",
        pages == Some(10),
    );
    process::wait(s).unwrap();
    check(
        "soft: reached through 4 KiB pages",
        SOFT_SIZE.load(SeqCst) == 4096,
    );
    check(
        "all their memory came back",
        kernel::mm::stats().free_pages == free,
    );
    let huge = process::spawn_kernel_task(&spec("too-big", Class::HardKernel, 1 << 30), hard_body);
    check("a budget beyond the task window is refused", huge.is_err());
    check(
        "and leaves nothing allocated",
        kernel::mm::stats().free_pages == free,
    );
    finish()
}
