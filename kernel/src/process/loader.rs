//! Building a process from an ELF image (after seed 004): a fresh L1 table,
//! each PT_LOAD segment mapped with the rights its flags give (R+X text, R
//! rodata, R+W+XN data, .bss zeroed), and the stack placed one granule above
//! the highest segment, with that granule left unmapped as its guard.
//!
//! Hard isolated programs are laid out in 1 MiB sections (`user/hard.ld`);
//! their whole budget is reserved before anything is mapped, so admission
//! either takes everything the task will ever need or fails cleanly.
//!
//! An embedded program (one of the kernel's user images) never changes: it
//! is checked once, and later spawns of it take its [`Program`] from a
//! small cache instead of parsing and checking the ELF again.

use super::{Backing, PAGE, ProcError, Process, SECTION, SOFT_STACK, Spec};
use crate::layout::{USER_END, USER_START};
use crate::loader::elf::{ElfImage, Limits, Segment};
use crate::sync::IrqLock;
use crate::syscall::abi::{PROT_EXEC, PROT_READ, PROT_WRITE};

/// The most loadable segments a program may have.
const MAX_SEGMENTS: usize = 8;

/// A checked ELF program: its image and its loadable segments by address.
#[derive(Clone, Copy)]
pub(super) struct Program<'a> {
    image: ElfImage<'a>,
    segs: [Option<Segment>; MAX_SEGMENTS],
    /// Which embedded program it is (its index in the kernel's table of
    /// user images, plus one), if it is one: only those are shared between
    /// processes, since they live as long as the kernel and never change.
    /// An image built elsewhere (a buffer that could be freed and reused)
    /// is copied.
    key: Option<u64>,
}

impl<'a> Program<'a> {
    /// Checks `elf` (see [`ElfImage::parse`]) and sorts its segments.
    fn parse(elf: &'a [u8], key: Option<u64>) -> Result<Self, ProcError> {
        let limits = Limits {
            user_start: USER_START,
            user_end: USER_END,
            max_segments: MAX_SEGMENTS,
        };
        let image = ElfImage::parse(elf, &limits).map_err(ProcError::BadElf)?;
        let mut segs = [None; MAX_SEGMENTS];
        for (slot, seg) in segs.iter_mut().zip(image.segments()) {
            *slot = Some(seg);
        }
        segs.sort_by_key(|s| s.map_or(u32::MAX, |s| s.vaddr));
        Ok(Program { image, segs, key })
    }

    /// The segments, by address.
    fn segments(&self) -> impl Iterator<Item = Segment> + '_ {
        self.segs.iter().map_while(|s| *s)
    }
}

/// Embedded programs checked so far, by index modulo the cache's size.
static CHECKED: IrqLock<[Option<Program<'static>>; 8]> = IrqLock::new([None; 8]);

/// `elf` checked: from the cache if it is an embedded program checked
/// before, else parsed (and cached if embedded).
pub(super) fn program(elf: &[u8]) -> Result<Program<'_>, ProcError> {
    let at = elf.as_ptr();
    let Some((i, embedded)) = crate::user_images::USER_IMAGES
        .iter()
        .enumerate()
        .find(|(_, (_, e))| core::ptr::eq(e.as_ptr(), at) && e.len() == elf.len())
        .map(|(i, (_, e))| (i, *e))
    else {
        return Program::parse(elf, None);
    };
    let key = Some(i as u64 + 1);
    let slot = i % 8;
    if let Some(p) = CHECKED.lock()[slot].filter(|p| p.key == key) {
        return Ok(p);
    }
    let p = Program::parse(embedded, key)?;
    CHECKED.lock()[slot] = Some(p);
    Ok(p)
}

/// Lays out and maps the program; returns (entry, initial sp). On error the
/// caller tears the task down (everything made so far is recorded in it).
pub(super) fn build(
    t: &mut Process,
    program: &Program,
    spec: &Spec,
) -> Result<(u32, u32), ProcError> {
    let g = t.class.granule();
    // Segments as granule-aligned ranges, checked for sharing a granule
    // (a hard program must keep its segments in separate sections).
    // (The granule is a power of two: masks, not a division, round.)
    let range = |s: &Segment| {
        let start = s.vaddr & !(g - 1);
        let end = (s.vaddr + s.mem_size + (g - 1)) & !(g - 1);
        (start, end)
    };
    let mut ranges = program.segments().map(|s| range(&s));
    let mut last_end = 0;
    if ranges.any(|(start, end)| {
        let shares = start < last_end;
        last_end = end;
        shares
    }) {
        return Err(ProcError::ClassViolation);
    }
    let segs = || {
        program.segments().map(|s| {
            let (start, end) = range(&s);
            (start, end, s)
        })
    };
    let highest = segs().map(|(_, end, _)| end).max().unwrap_or(USER_START);
    let stack_len = if t.class.is_hard() {
        SECTION
    } else {
        SOFT_STACK
    };
    let stack_start = highest + g; // one unmapped granule below: the guard
    let stack_end = stack_start
        .checked_add(stack_len)
        .filter(|&e| e <= USER_END);
    let stack_end = stack_end.ok_or(ProcError::Invalid)?;

    if t.class.is_hard() {
        let image_sections: u32 = segs().map(|(s, e, _)| (e - s) / SECTION).sum();
        // Shared objects it is granted are mapped from its budget: a hard
        // process cannot hold more than it declared by being granted them.
        let budget = spec
            .budget
            .div_ceil(SECTION)
            .checked_sub(t.granted_sections())
            .ok_or(ProcError::NoMemory)?;
        // The L1 table's 8 KiB block is taken first, inside the admission.
        t.space.new_table()?;
        t.space.reserve(image_sections + 1 + budget)?;
    } else {
        t.space.new_table()?;
    }

    let key = program.key;
    for (i, (start, end, seg)) in segs().enumerate() {
        let data = seg.data(&program.image);
        let vaddr = seg.vaddr;
        let mut prot = 0;
        if seg.flags.read {
            prot |= PROT_READ;
        }
        if seg.flags.write {
            prot |= PROT_WRITE;
        }
        if seg.flags.execute {
            prot |= PROT_EXEC;
        }
        // Copy the part of the file bytes that falls in each granule.
        let fill = |off: u32, mem: &mut [u8]| {
            let gran = start + off;
            let lo = vaddr.max(gran);
            let hi = (vaddr + data.len() as u32).min(gran + mem.len() as u32);
            if lo < hi {
                let src = &data[(lo - vaddr) as usize..(hi - vaddr) as usize];
                mem[(lo - gran) as usize..(hi - gran) as usize].copy_from_slice(src);
            }
        };
        match key {
            Some(key) if !t.class.is_hard() => {
                let fill_page = |p: u32, mem: &mut [u8]| fill(p * PAGE, mem);
                t.space.map_image_segment(
                    key << 4 | i as u64,
                    start,
                    (end - start) / PAGE,
                    prot,
                    &fill_page,
                )?
            }
            _ => t
                .space
                .map_region(start, end - start, prot, Backing::Image, &fill)?,
        }
    }
    t.space.map_stack(stack_start, stack_len)?;
    t.space.mmap_above(stack_end.next_multiple_of(g.max(PAGE)));
    Ok((program.image.entry(), stack_end))
}
