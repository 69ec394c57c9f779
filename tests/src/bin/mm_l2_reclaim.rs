//! L2 tables come and go with the pages they map: the first page mapped in an
//! empty MiB allocates one L2 table (with the pool's free slots used up first,
//! that takes a frame), the last page unmapped from it frees the table, clears
//! the L1 entry and gives the frame back, so the free page count returns
//! exactly to where it was. The L2 pool packs four 1 KiB tables into one
//! frame: four fresh MiBs cost one more pool frame, not four, and give it back
//! when their pages go.

#![no_std]
#![no_main]

use arch::fault::{FaultKind, Level};
use arch::mmu::descriptor::{Attrs, L1Entry};
use arch::mmu::pmap::Size;
use arch::trap::probe_read;
use kernel::mm::{MemStats, alloc_frames, extract, free_frames, map, stats, unmap};
use ktests::{check, finish};

kernel::entry!(main);

/// A MiB that nothing maps: three pages of it.
const SLOT_VA: u32 = 0x5000_0000;
/// Four more MiBs that nothing maps, one page in each.
const FRESH_VAS: [u32; 4] = [0x5010_0000, 0x5020_0000, 0x5030_0000, 0x5040_0000];
/// MiBs (one page each) that use up the pool's free slots.
const FILLER_VA: u32 = 0x5100_0000;

fn translation_fault(addr: u32, level: Level) -> bool {
    matches!(probe_read(addr as usize), Err(f) if f.addr == addr
        && f.status.kind == FaultKind::Translation(level))
}

/// The L1 entry that translates `va` in the kernel's table.
fn l1_entry(va: u32) -> L1Entry {
    kernel::mm::with(|mm| mm.kernel_space().0.l1_entry(va))
}

fn tables(s: &MemStats) -> (usize, u32) {
    (s.l2_tables, s.kernel.l2_tables)
}

fn main() {
    let s0 = stats();
    kernel::println!(
        "start: {} pages free, pool {} frames / {} tables, kernel pmap {} tables",
        s0.free_pages,
        s0.l2_frames,
        s0.l2_tables,
        s0.kernel.l2_tables
    );
    check(
        "the test MiBs are unmapped",
        core::iter::once(SLOT_VA)
            .chain(FRESH_VAS)
            .chain((0..4).map(|i| FILLER_VA + (i << 20)))
            .all(|va| l1_entry(va) == L1Entry::Fault),
    );

    // --- one table: allocated with the first page, freed with the last ---
    let frames = [(); 3].map(|_| alloc_frames(0).expect("a frame"));
    check(
        "three frames allocated",
        stats().free_pages == s0.free_pages - 3,
    );
    // Use up the pool's free slots, so that the next table needs a frame.
    let fillers = s0.l2_frames * 4 - s0.l2_tables;
    let filler_va = |i: usize| FILLER_VA + ((i as u32) << 20);
    check(
        "fill the pool's free slots",
        (0..fillers).all(|i| map(filler_va(i), frames[0], Size::Page, Attrs::KERNEL_DATA).is_ok())
            && stats().l2_frames == s0.l2_frames,
    );
    let s1 = stats();
    let vas = [SLOT_VA, SLOT_VA + 0x1000, SLOT_VA + 0x5000];
    check(
        "map the first page",
        map(vas[0], frames[0], Size::Page, Attrs::KERNEL_DATA).is_ok(),
    );
    let s2 = stats();
    check(
        "an L2 table was allocated (pool and kernel pmap count +1)",
        tables(&s2) == (s1.l2_tables + 1, s1.kernel.l2_tables + 1),
    );
    check(
        "the table took a new pool frame",
        s2.l2_frames == s1.l2_frames + 1 && s2.free_pages == s1.free_pages - 1,
    );
    check(
        "the L1 entry of the MiB points to an L2 table",
        matches!(l1_entry(SLOT_VA), L1Entry::Table { l2_phys, .. } if l2_phys.is_multiple_of(1024)),
    );
    check(
        "map two more pages in the same MiB",
        map(vas[1], frames[1], Size::Page, Attrs::KERNEL_DATA).is_ok()
            && map(vas[2], frames[2], Size::Page, Attrs::KERNEL_DATA).is_ok(),
    );
    let s3 = stats();
    check(
        "they share the table (no new table, no new frame)",
        tables(&s3) == tables(&s2)
            && s3.free_pages == s2.free_pages
            && s3.kernel.pages == s1.kernel.pages + 3,
    );
    check(
        "unmap the first page: the table stays",
        unmap(vas[0], Size::Page) == Ok(frames[0])
            && tables(&stats()) == tables(&s2)
            && translation_fault(vas[0], Level::Second),
    );
    check(
        "unmap the second page: the table stays",
        unmap(vas[1], Size::Page) == Ok(frames[1])
            && tables(&stats()) == tables(&s2)
            && extract(vas[2]).is_some_and(|t| t.phys == frames[2]),
    );
    check(
        "unmap the last page",
        unmap(vas[2], Size::Page) == Ok(frames[2]),
    );
    let s4 = stats();
    check(
        "the L2 table was freed (pool and kernel pmap back)",
        tables(&s4) == tables(&s1) && s4.l2_frames == s1.l2_frames,
    );
    check(
        "the L1 entry is a fault entry again",
        l1_entry(SLOT_VA) == L1Entry::Fault
            && translation_fault(vas[2], Level::First)
            && translation_fault(vas[0], Level::First),
    );
    check(
        "free page count is back to its value before the first map",
        s4.free_pages == s1.free_pages && s4.kernel == s1.kernel,
    );
    check(
        "unmap the filler pages",
        (0..fillers).all(|i| unmap(filler_va(i), Size::Page) == Ok(frames[0])),
    );
    check(
        "free the three frames",
        frames.iter().all(|&f| free_frames(f, 0).is_ok()),
    );
    let s5 = stats();
    check(
        "free page count is exactly the starting one",
        s5.free_pages == s0.free_pages,
    );
    check("every counter is the starting one", s5 == s0);

    // --- four tables to a frame ---
    let frame = alloc_frames(0).expect("a frame");
    let s6 = stats();
    check(
        "map one page in each of four fresh MiBs",
        FRESH_VAS
            .iter()
            .all(|&va| map(va, frame, Size::Page, Attrs::KERNEL_DATA).is_ok()),
    );
    let s7 = stats();
    kernel::println!(
        "four tables: pool {} -> {} frames, {} -> {} tables",
        s6.l2_frames,
        s7.l2_frames,
        s6.l2_tables,
        s7.l2_tables
    );
    check(
        "four new tables in use",
        tables(&s7) == (s6.l2_tables + 4, s6.kernel.l2_tables + 4),
    );
    check(
        "they cost one pool frame only",
        s7.l2_frames == s6.l2_frames + 1 && s7.free_pages == s6.free_pages - 1,
    );
    let phys = FRESH_VAS.map(|va| match l1_entry(va) {
        L1Entry::Table { l2_phys, .. } => l2_phys,
        _ => 0,
    });
    check(
        "four distinct 1 KiB-aligned tables",
        phys.iter().all(|&p| p != 0 && p.is_multiple_of(1024))
            && (0..4).all(|i| (i + 1..4).all(|j| phys[i] != phys[j])),
    );
    check(
        "each fresh page reads through its own table",
        FRESH_VAS.iter().all(|&va| probe_read(va as usize).is_ok()),
    );
    check(
        "unmap the four pages",
        FRESH_VAS
            .iter()
            .all(|&va| unmap(va, Size::Page) == Ok(frame)),
    );
    let s8 = stats();
    check(
        "the pool frame went back",
        s8.l2_frames == s6.l2_frames && tables(&s8) == tables(&s6),
    );
    check(
        "and the four L1 entries are fault entries",
        FRESH_VAS.iter().all(|&va| l1_entry(va) == L1Entry::Fault),
    );
    check("free the frame", free_frames(frame, 0).is_ok());
    let end = stats();
    if end != s0 {
        kernel::println!("start {s0:?}\nend   {end:?}");
    }
    check("every counter is the starting one at the end", end == s0);
    finish()
}
