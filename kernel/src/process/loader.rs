//! Building a process from an ELF image (after seed 004): a fresh L1 table,
//! each PT_LOAD segment mapped with the rights its flags give (R+X text, R
//! rodata, R+W+XN data, .bss zeroed), and the stack placed one granule above
//! the highest segment, with that granule left unmapped as its guard.
//!
//! Hard isolated programs are laid out in 1 MiB sections (`user/hard.ld`);
//! their whole budget is reserved before anything is mapped, so admission
//! either takes everything the task will ever need or fails cleanly.

use super::{Backing, PAGE, ProcError, Process, SECTION, SOFT_STACK, Spec};
use crate::layout::{USER_END, USER_START};
use crate::loader::elf::ElfImage;
use crate::syscall::abi::{PROT_EXEC, PROT_READ, PROT_WRITE};
use alloc::vec::Vec;

/// Lays out and maps the program; returns (entry, initial sp). On error the
/// caller tears the task down (everything made so far is recorded in it).
pub(super) fn build(
    t: &mut Process,
    image: &ElfImage,
    spec: &Spec,
) -> Result<(u32, u32), ProcError> {
    let g = t.class.granule();
    // Segments as granule-aligned ranges, checked for sharing a granule
    // (a hard program must keep its segments in separate sections).
    let mut segs = Vec::new();
    segs.try_reserve_exact(image.segments().count())
        .map_err(|_| ProcError::NoMemory)?;
    segs.extend(image.segments().map(|s| {
        let start = s.vaddr & !(g - 1);
        let end = (s.vaddr + s.mem_size).next_multiple_of(g);
        (start, end, s)
    }));
    segs.sort_by_key(|(start, ..)| *start);
    if segs.windows(2).any(|w| w[0].1 > w[1].0) {
        return Err(ProcError::ClassViolation);
    }
    let highest = segs
        .iter()
        .map(|(_, end, _)| *end)
        .max()
        .unwrap_or(USER_START);
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
        let image_sections: u32 = segs.iter().map(|(s, e, _)| (e - s) / SECTION).sum();
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

    let key = image_key(image, spec);
    for (i, (start, end, seg)) in segs.iter().enumerate() {
        let data = seg.data(image);
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
        let start = *start;
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
    Ok((image.entry(), stack_end))
}

/// Which embedded program `image` is (its index in the kernel's table of
/// user images), if it is one: only those are shared between processes,
/// since they live as long as the kernel and never change. An image built
/// elsewhere (a buffer that could be freed and reused) is copied.
fn image_key(image: &ElfImage, _spec: &Spec) -> Option<u64> {
    let at = image.bytes().as_ptr();
    crate::user_images::USER_IMAGES
        .iter()
        .position(|(_, elf)| core::ptr::eq(elf.as_ptr(), at) && elf.len() == image.bytes().len())
        .map(|i| i as u64 + 1)
}
