//! The kernel pmap maps 4 KiB pages, 64 KiB large pages, 1 MiB sections and
//! 16 MiB supersections: data written through a new mapping lands in its
//! frame (read back through the linear map), `extract` reports the frame and
//! the size, an unmapped page faults (translation fault), a page made
//! read-only with `protect` refuses writes (permission fault) but still reads,
//! and misaligned, overlapping, wrong-size and out-of-range requests are
//! refused and change nothing. At the end every frame and L2 table is back:
//! the memory counters are as at start.

#![no_std]
#![no_main]

use arch::fault::{FaultKind, Level};
use arch::mmu::descriptor::{Access, Attrs};
use arch::mmu::pmap::{PmapError, Size};
use arch::trap::{Fault, probe_read, probe_write};
use kernel::boot::phys_to_virt;
use kernel::mm::{alloc_frames, extract, free_frames, map, protect, stats, unmap};
use ktests::{check, finish};

kernel::entry!(main);

/// Two 4 KiB pages here share one L2 table (MiB 0x400).
const PAGE_VA: u32 = 0x4000_0000;
/// A 64 KiB large page, in a MiB of its own.
const LARGE_VA: u32 = 0x4011_0000;
/// A 1 MiB section.
const SECTION_VA: u32 = 0x4020_0000;
/// A MiB that nothing maps.
const FREE_VA: u32 = 0x4030_0000;
/// A 16 MiB supersection.
const SUPER_VA: u32 = 0x4100_0000;

fn pattern(i: u32) -> u32 {
    0xA5A5_0000 ^ i.wrapping_mul(0x9E37_79B9)
}

/// Writes `pattern(k)` at `va + k * stride` for `k < n`.
fn fill(va: u32, stride: u32, n: u32) {
    for k in 0..n {
        // SAFETY: the caller mapped [va, va + n * stride) RW for this test.
        unsafe { ((va + k * stride) as *mut u32).write_volatile(pattern(k)) };
    }
}

/// Whether `pattern(k)` is at `va + k * stride` for every `k < n`.
fn holds(va: u32, stride: u32, n: u32) -> bool {
    // SAFETY: the caller passes a mapped, readable range (the linear map).
    (0..n).all(|k| unsafe { ((va + k * stride) as *const u32).read_volatile() } == pattern(k))
}

fn is_fault(r: Option<Fault>, addr: u32, kind: FaultKind, write: bool) -> bool {
    matches!(r, Some(f) if f.addr == addr && f.status.kind == kind && f.status.write == write)
}

fn read_fault(addr: u32, kind: FaultKind) -> bool {
    is_fault(probe_read(addr as usize).err(), addr, kind, false)
}

fn main() {
    let start = stats();
    check(
        "test VAs are unmapped",
        [
            PAGE_VA,
            LARGE_VA,
            SECTION_VA,
            FREE_VA,
            SUPER_VA,
            SUPER_VA + 0xF0_0000,
        ]
        .iter()
        .all(|&va| extract(va).is_none()),
    );

    // --- 4 KiB pages ---
    let pa = alloc_frames(0).expect("a frame");
    let pa2 = alloc_frames(0).expect("a frame");
    check(
        "map a page RW",
        map(PAGE_VA, pa, Size::Page, Attrs::KERNEL_DATA).is_ok(),
    );
    fill(PAGE_VA, 4, 1024);
    check(
        "pattern written through the page is in the frame (linear map)",
        holds(phys_to_virt(pa), 4, 1024),
    );
    let t = extract(PAGE_VA + 0x124);
    check(
        "extract: frame + offset, Page, KERNEL_DATA",
        matches!(t, Some(t) if t.phys == pa + 0x124 && t.size == Size::Page
            && t.attrs == Attrs::KERNEL_DATA),
    );
    check(
        "map a second page in the same MiB",
        map(PAGE_VA + 0x1000, pa2, Size::Page, Attrs::KERNEL_DATA).is_ok(),
    );
    check(
        "a section over the MiB holding the pages is refused",
        map(
            PAGE_VA,
            kernel::BOARD.ram_base,
            Size::Section,
            Attrs::KERNEL_DATA,
        ) == Err(PmapError::AlreadyMapped)
            && extract(PAGE_VA).is_some_and(|t| t.phys == pa && t.size == Size::Page),
    );
    check(
        "unmap returns the frame",
        unmap(PAGE_VA, Size::Page) == Ok(pa),
    );
    check("extract after unmap is None", extract(PAGE_VA).is_none());
    check(
        "read of the unmapped page faults (translation, page)",
        read_fault(PAGE_VA + 8, FaultKind::Translation(Level::Second)),
    );
    check(
        "the other page of the MiB still reads",
        probe_read((PAGE_VA + 0x1000) as usize).is_ok(),
    );

    // Read-only: map RW, then protect to KERNEL_RODATA.
    check(
        "re-map the page RW",
        map(PAGE_VA, pa, Size::Page, Attrs::KERNEL_DATA).is_ok(),
    );
    // A write now, so that the TLB holds the RW translation protect must drop.
    check(
        "the re-mapped page takes a write",
        probe_write((PAGE_VA + 12) as usize, pattern(3)).is_none(),
    );
    check(
        "protect to KERNEL_RODATA",
        protect(PAGE_VA, Size::Page, Attrs::KERNEL_RODATA).is_ok(),
    );
    check(
        "extract shows KernelRo",
        matches!(extract(PAGE_VA), Some(t) if t.attrs == Attrs::KERNEL_RODATA && t.phys == pa),
    );
    check(
        "read-only page still reads the data",
        probe_read((PAGE_VA + 12) as usize).ok() == Some(pattern(3)),
    );
    check(
        "write to the read-only page faults (permission, page, write)",
        is_fault(
            probe_write((PAGE_VA + 12) as usize, 0xDEAD_BEEF),
            PAGE_VA + 12,
            FaultKind::Permission(Level::Second),
            true,
        ),
    );
    check(
        "the refused write left the frame unchanged",
        holds(phys_to_virt(pa), 4, 1024),
    );
    check(
        "protect back to KERNEL_DATA makes it writable again",
        protect(PAGE_VA, Size::Page, Attrs::kernel(Access::KernelRw, true)).is_ok()
            && probe_write((PAGE_VA + 12) as usize, 0x1234_5678).is_none()
            && probe_read(phys_to_virt(pa) as usize + 12).ok() == Some(0x1234_5678),
    );
    check(
        "unmap both pages",
        unmap(PAGE_VA, Size::Page) == Ok(pa) && unmap(PAGE_VA + 0x1000, Size::Page) == Ok(pa2),
    );
    check(
        "with its last page gone the MiB faults at the section level",
        read_fault(PAGE_VA + 0x1000, FaultKind::Translation(Level::First)),
    );
    check(
        "free the page frames",
        free_frames(pa, 0).is_ok() && free_frames(pa2, 0).is_ok(),
    );

    // --- 64 KiB large page ---
    let lp = alloc_frames(4).expect("16 frames");
    check(
        "alloc_frames(4) is 64 KiB aligned",
        lp.is_multiple_of(0x1_0000),
    );
    check(
        "map a large page",
        map(LARGE_VA, lp, Size::LargePage, Attrs::KERNEL_DATA).is_ok(),
    );
    // One word in each 4 KiB page, at a different offset in each.
    fill(LARGE_VA, 0x1004, 16);
    check(
        "pattern written through the large page is in the frames",
        holds(phys_to_virt(lp), 0x1004, 16),
    );
    check(
        "extract: LargePage, offset kept",
        matches!(extract(LARGE_VA + 0xF0F4), Some(t) if t.phys == lp + 0xF0F4
            && t.size == Size::LargePage && t.attrs == Attrs::KERNEL_DATA),
    );
    check(
        "unmap the large page as a Page is refused (WrongSize)",
        unmap(LARGE_VA, Size::Page) == Err(PmapError::WrongSize)
            && unmap(LARGE_VA + 0x1000, Size::LargePage) == Err(PmapError::WrongSize),
    );
    check(
        "unmap the large page",
        unmap(LARGE_VA, Size::LargePage) == Ok(lp),
    );
    check(
        "its last 4 KiB faults after unmap",
        read_fault(LARGE_VA + 0xF000, FaultKind::Translation(Level::First)),
    );
    check("free the large page frames", free_frames(lp, 4).is_ok());

    // --- 1 MiB section ---
    let sec = alloc_frames(8).expect("256 frames");
    check(
        "alloc_frames(8) is 1 MiB aligned",
        sec.is_multiple_of(0x10_0000),
    );
    check(
        "map a section",
        map(SECTION_VA, sec, Size::Section, Attrs::KERNEL_DATA).is_ok(),
    );
    fill(SECTION_VA, 0x1_0004, 16);
    check(
        "pattern written through the section is in the frames",
        holds(phys_to_virt(sec), 0x1_0004, 16),
    );
    check(
        "extract: Section, offset kept",
        matches!(extract(SECTION_VA + 0x8_0004), Some(t) if t.phys == sec + 0x8_0004
            && t.size == Size::Section && t.attrs == Attrs::KERNEL_DATA),
    );

    // --- refused requests change nothing ---
    let frame = alloc_frames(0).expect("a frame");
    let before = stats();
    let d = Attrs::KERNEL_DATA;
    check(
        "misaligned VA (page) is refused",
        map(FREE_VA + 0x800, frame, Size::Page, d) == Err(PmapError::Misaligned),
    );
    check(
        "misaligned PA (page) is refused",
        map(FREE_VA, frame + 0x800, Size::Page, d) == Err(PmapError::Misaligned),
    );
    check(
        "large page at a VA not 64 KiB aligned is refused",
        map(FREE_VA + 0x1000, lp, Size::LargePage, d) == Err(PmapError::Misaligned),
    );
    check(
        "section at a VA not 1 MiB aligned is refused",
        map(FREE_VA + 0x1_0000, sec, Size::Section, d) == Err(PmapError::Misaligned),
    );
    check(
        "map over the mapped section (same VA) is refused",
        map(SECTION_VA, frame & !0xF_FFFF, Size::Section, d) == Err(PmapError::AlreadyMapped),
    );
    check(
        "map a page inside the mapped section is refused",
        map(SECTION_VA + 0x4_0000, frame, Size::Page, d) == Err(PmapError::AlreadyMapped),
    );
    check(
        "map a large page inside the mapped section is refused",
        map(SECTION_VA + 0x4_0000, lp, Size::LargePage, d) == Err(PmapError::AlreadyMapped),
    );
    check(
        "unmap the section with the wrong size is refused",
        unmap(SECTION_VA, Size::Page) == Err(PmapError::WrongSize)
            && unmap(SECTION_VA + 0x4_0000, Size::Page) == Err(PmapError::WrongSize),
    );
    check(
        "protect the section with the wrong size is refused",
        protect(SECTION_VA, Size::Page, Attrs::KERNEL_RODATA) == Err(PmapError::WrongSize),
    );
    check(
        "unmap / protect of nothing is refused (NotMapped)",
        unmap(FREE_VA, Size::Page) == Err(PmapError::NotMapped)
            && unmap(FREE_VA, Size::Section) == Err(PmapError::NotMapped)
            && protect(FREE_VA, Size::Page, d) == Err(PmapError::NotMapped),
    );
    check(
        "a VA below the kernel's range (0x1000_0000) is refused",
        map(0x1000_0000, frame, Size::Page, d) == Err(PmapError::OutOfRange)
            && map(0x3FF0_0000, sec, Size::Section, d) == Err(PmapError::OutOfRange)
            && unmap(0x1000_0000, Size::Page).is_err()
            && extract(0x1000_0000).is_none(),
    );
    // The public API only changes the kernel-task area: the image, linear
    // map, heap and ioremap window are out of its reach.
    let text = kernel::boot::sym::text_start();
    check(
        "map over the kernel text is refused",
        map(text, frame, Size::Page, Attrs::KERNEL_TEXT) == Err(PmapError::OutOfRange),
    );
    check(
        "making kernel text writable is refused",
        kernel::mm::protect(text, Size::Page, Attrs::KERNEL_DATA) == Err(PmapError::OutOfRange)
            && arch::trap::probe_write(text as usize, 0).is_some(),
    );
    check("refused requests changed no counter", stats() == before);
    check(
        "refused requests left the section and FREE_VA as they were",
        matches!(extract(SECTION_VA), Some(t) if t.phys == sec && t.size == Size::Section)
            && extract(FREE_VA).is_none()
            && holds(SECTION_VA, 0x1_0004, 16)
            && read_fault(FREE_VA, FaultKind::Translation(Level::First)),
    );
    check("free the spare frame", free_frames(frame, 0).is_ok());

    // Touch the far end of the section, then unmap: the whole MiB must go.
    check(
        "section reads at +0x8_0000 before unmap",
        probe_read((SECTION_VA + 0x8_0004) as usize).is_ok(),
    );
    check(
        "unmap the section",
        unmap(SECTION_VA, Size::Section) == Ok(sec),
    );
    check(
        "the section faults after unmap (translation, section)",
        read_fault(SECTION_VA + 0x8_0004, FaultKind::Translation(Level::First))
            && read_fault(SECTION_VA, FaultKind::Translation(Level::First)),
    );
    check("free the section frames", free_frames(sec, 8).is_ok());

    // --- 16 MiB supersection: a read-only alias of the first 16 MiB of RAM ---
    let ram = kernel::BOARD.ram_base;
    let sections = stats().kernel.sections;
    check(
        "map a read-only supersection over RAM",
        map(SUPER_VA, ram, Size::Supersection, Attrs::KERNEL_RODATA).is_ok()
            && stats().kernel.sections == sections + 16,
    );
    let text = kernel::boot::sym::text_start();
    let text_off = kernel::boot::virt_to_phys(text) - ram;
    check(
        "extract: Supersection, offset kept",
        matches!(extract(SUPER_VA + text_off), Some(t) if t.phys == ram + text_off
            && t.size == Size::Supersection && t.attrs == Attrs::KERNEL_RODATA),
    );
    check(
        "the kernel text reads the same through the supersection",
        probe_read((SUPER_VA + text_off) as usize).ok() == probe_read(text as usize).ok(),
    );
    check(
        "write to the read-only supersection faults (permission, section)",
        is_fault(
            probe_write((SUPER_VA + text_off) as usize, 0),
            SUPER_VA + text_off,
            FaultKind::Permission(Level::First),
            true,
        ),
    );
    check(
        "map a page inside the supersection is refused",
        map(SUPER_VA + 0xF0_1000, ram, Size::Page, Attrs::KERNEL_DATA)
            == Err(PmapError::AlreadyMapped),
    );
    check(
        "unmap a part of the supersection is refused (WrongSize)",
        unmap(SUPER_VA, Size::Section) == Err(PmapError::WrongSize)
            && unmap(SUPER_VA + 0x10_0000, Size::Supersection) == Err(PmapError::WrongSize),
    );
    check(
        "unmap the supersection",
        unmap(SUPER_VA, Size::Supersection) == Ok(ram) && stats().kernel.sections == sections,
    );
    check(
        "its first and last MiB fault after unmap",
        read_fault(SUPER_VA + text_off, FaultKind::Translation(Level::First))
            && read_fault(SUPER_VA + 0xF0_0000, FaultKind::Translation(Level::First)),
    );

    let end = stats();
    if end != start {
        kernel::println!("start {start:?}\nend   {end:?}");
    }
    check(
        "memory counters are back to their starting values",
        end == start,
    );
    finish()
}
