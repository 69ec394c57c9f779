//! The frame allocator can be drained and refilled exactly: allocating 4 KiB
//! frames until `OutOfMemory` takes every free page (free counts 0, no block
//! of any order left, a map needing a new L2 table fails with `NoTable` and
//! changes nothing), and freeing them all restores the starting counters
//! (free pages and free blocks per order, so the buddies merged back). Then a
//! 1 MiB block is available and 1 MiB aligned, and bad frees (double free,
//! tail page, wrong order, misaligned, kernel image, unmanaged) are refused
//! without changing anything.
//!
//! The list of allocated frames is kept in the frames themselves (each holds
//! the address of the one allocated before it, through the linear map): the
//! heap grows from the same frames and cannot be used here.

#![no_std]
#![no_main]

use arch::mmu::descriptor::Attrs;
use arch::mmu::pmap::{PmapError, Size};
use kernel::boot::{phys_to_virt, sym, virt_to_phys};
use kernel::mm::frames::{FrameError, MAX_ORDER, PageState};
use kernel::mm::{alloc_frames, extract, free_frames, map, page_info, stats, unmap};
use ktests::{check, finish};

kernel::entry!(main);

/// End of the in-frame list: not 0, which is a frame on boards with RAM at
/// physical 0; frames are 4 KiB aligned, so 1 is none of them.
const END: u32 = 1;
/// MiBs (one page each) used to drain the L2 pool's free slots.
const POOL_VA: u32 = 0x6000_0000;

fn link(frame: u32) -> *mut u32 {
    phys_to_virt(frame) as *mut u32
}

fn main() {
    let start = stats();
    kernel::println!(
        "start: {} pages free, blocks by order {:?}",
        start.free_pages,
        start.free_blocks
    );
    check(
        "the list's end marker is no frame address",
        !END.is_multiple_of(0x1000),
    );

    // --- drain ---
    let mut head = END;
    let mut count = 0usize;
    let err = loop {
        match alloc_frames(0) {
            Ok(frame) => {
                // SAFETY: the frame was just allocated to us; the linear map
                // covers all RAM read/write.
                unsafe { link(frame).write_volatile(head) };
                head = frame;
                count += 1;
            }
            Err(e) => break e,
        }
    };
    let drained = stats();
    kernel::println!("allocated {count} frames, then {err:?}");
    check(
        "allocation ends with OutOfMemory",
        err == FrameError::OutOfMemory,
    );
    check(
        "every free page was allocated",
        count == start.free_pages && drained.free_pages == 0,
    );
    check(
        "no free block of any order is left",
        drained.free_blocks.iter().all(|&n| n == 0),
    );
    check(
        "order-0 blocks in use grew by the count",
        drained.used_blocks[0] == start.used_blocks[0] + count,
    );
    check(
        "larger orders fail too (OutOfMemory)",
        alloc_frames(3) == Err(FrameError::OutOfMemory)
            && alloc_frames(MAX_ORDER) == Err(FrameError::OutOfMemory),
    );
    check(
        "an order above MAX_ORDER is BadOrder",
        alloc_frames(MAX_ORDER + 1) == Err(FrameError::BadOrder),
    );

    // A map that needs a new L2 table fails cleanly: first use up the pool's
    // free slots (those need no frame), then one more MiB.
    let slots = drained.l2_frames * 4 - drained.l2_tables;
    let va = |i: usize| POOL_VA + ((i as u32) << 20);
    check(
        "the pool's free slots still serve maps",
        (0..slots).all(|i| {
            extract(va(i)).is_none() && map(va(i), head, Size::Page, Attrs::KERNEL_DATA).is_ok()
        }),
    );
    let full = stats();
    check(
        "a map needing a new L2 table fails with NoTable",
        extract(va(slots)).is_none()
            && map(va(slots), head, Size::Page, Attrs::KERNEL_DATA) == Err(PmapError::NoTable),
    );
    check(
        "the failed map changed nothing",
        stats() == full && extract(va(slots)).is_none(),
    );
    check(
        "unmap the pages in the pool's slots",
        (0..slots).all(|i| unmap(va(i), Size::Page) == Ok(head)),
    );

    // --- refill ---
    let mut freed = 0usize;
    let mut errors = 0usize;
    while head != END {
        // SAFETY: every frame on the list is ours and holds the next link.
        let next = unsafe { link(head).read_volatile() };
        if free_frames(head, 0).is_err() {
            errors += 1;
        }
        freed += 1;
        head = next;
    }
    check(
        "every frame on the list freed without error",
        freed == count && errors == 0,
    );
    let refilled = stats();
    if refilled != start {
        kernel::println!("start {start:?}\nend   {refilled:?}");
    }
    check(
        "free pages are exactly the starting count",
        refilled.free_pages == start.free_pages,
    );
    check(
        "free blocks per order are exactly the starting ones (merged back)",
        refilled.free_blocks == start.free_blocks,
    );
    check("every counter is the starting one", refilled == start);

    // --- a 1 MiB block and bad frees ---
    let mib = alloc_frames(8);
    check(
        "a 1 MiB block is available again and 1 MiB aligned",
        matches!(mib, Ok(p) if p.is_multiple_of(0x10_0000)),
    );
    let mib = mib.unwrap_or(0);
    check(
        "page_info: its first page is Allocated order 8, the next a tail",
        page_info(mib).map(|d| d.state()) == Some(PageState::Allocated { order: 8 })
            && page_info(mib + 0x1000).map(|d| d.state()) == Some(PageState::Tail),
    );
    let before = stats();
    check(
        "freeing a tail page of it is refused (NotAllocated)",
        free_frames(mib + 0x1000, 0) == Err(FrameError::NotAllocated),
    );
    check(
        "freeing it with the wrong order is refused (WrongOrder)",
        free_frames(mib, 7) == Err(FrameError::WrongOrder),
    );
    check(
        "a misaligned free is refused (Misaligned)",
        free_frames(mib + 4, 8) == Err(FrameError::Misaligned),
    );
    check(
        "the refused frees changed nothing",
        stats() == before
            && page_info(mib).map(|d| d.state()) == Some(PageState::Allocated { order: 8 }),
    );
    check("free the 1 MiB block", free_frames(mib, 8).is_ok());
    let after = stats();
    check(
        "double free is DoubleFree",
        free_frames(mib, 8) == Err(FrameError::DoubleFree),
    );
    check(
        "free of a page inside a free block is DoubleFree",
        free_frames(mib + 0x2000, 0) == Err(FrameError::DoubleFree),
    );
    let text = virt_to_phys(sym::text_start());
    check(
        "freeing a kernel-image page is refused (Reserved)",
        free_frames(text, 0) == Err(FrameError::Reserved)
            && page_info(text).map(|d| d.state()) == Some(PageState::Reserved),
    );
    // The first page past RAM (0x1000_0000 on a board with 256 MiB at 0).
    let ram_end = kernel::BOARD.ram_base + kernel::BOARD.ram_size;
    check(
        "freeing an unmanaged address is refused (NotManaged)",
        free_frames(ram_end, 0) == Err(FrameError::NotManaged),
    );
    check(
        "the refused frees changed nothing",
        stats() == after && after == start,
    );
    finish()
}
