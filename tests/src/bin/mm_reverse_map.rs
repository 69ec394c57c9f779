//! The reverse map (physical page -> descriptor): mapping a frame counts in
//! its descriptor, a frame still mapped cannot be freed, and a process's
//! frames name the process as their owner.

#![no_std]
#![no_main]

use arch::mmu::descriptor::Attrs;
use arch::mmu::pmap::Size;
use kernel::mm::frames::FrameError;
use kernel::mm::{alloc_frames, free_frames, map, page_info, unmap};
use kernel::process::{self, Class};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    let f = alloc_frames(0).unwrap();
    check(
        "a fresh frame maps nowhere",
        page_info(f).map(|d| d.map_count()) == Some(0),
    );
    map(0x4800_0000, f, Size::Page, Attrs::KERNEL_DATA).unwrap();
    map(0x4800_1000, f, Size::Page, Attrs::KERNEL_RODATA).unwrap();
    check(
        "two mappings counted",
        page_info(f).map(|d| d.map_count()) == Some(2),
    );
    check(
        "freeing it while mapped is refused",
        free_frames(f, 0) == Err(FrameError::StillMapped),
    );
    unmap(0x4800_0000, Size::Page).unwrap();
    unmap(0x4800_1000, Size::Page).unwrap();
    check(
        "unmapping uncounts",
        page_info(f).map(|d| d.map_count()) == Some(0),
    );
    check("then it frees", free_frames(f, 0).is_ok());

    // Below main's priority: it runs once main waits, so main looks first.
    let low = process::Spec {
        priority: 20,
        ..spec("mapper", Class::SoftIsolated, 50)
    };
    let p = process::spawn_process(&low, program("mapper")).unwrap();
    let text = process::with_process(p, |t| t.space.translate(0x0001_0000))
        .flatten()
        .unwrap();
    let desc = page_info(text.phys & !0xFFF).unwrap();
    // Text is the image's memory object (shared with any other process of
    // the same program): owned by no process; its stack is its own.
    check("a text page is owned by no process", desc.owner() == 0);
    check("and mapped once", desc.map_count() == 1);
    let stack = process::with_process(p, |t| {
        let r = t
            .space
            .regions()
            .iter()
            .find(|r| r.backing == process::Backing::Stack)?;
        // Its top page: the only one mapped before the process runs.
        t.space.translate(r.start + r.len - 4096)
    })
    .flatten()
    .unwrap();
    let sdesc = page_info(stack.phys & !0xFFF).unwrap();
    check(
        "a process's stack page is owned by it (pid + 1)",
        sdesc.owner() == p + 1 && sdesc.map_count() == 1,
    );
    process::wait(p).unwrap();
    check(
        "after exit its text page is mapped nowhere and its stack page owned by none",
        page_info(text.phys & !0xFFF).map(|d| d.map_count()) == Some(0)
            && page_info(stack.phys & !0xFFF).map(|d| d.owner()) == Some(0),
    );
    finish()
}
