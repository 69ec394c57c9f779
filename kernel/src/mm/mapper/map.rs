//! Mapping and unmapping a space's own memory: anonymous memory (`mmap`,
//! `munmap`, `mprotect`), image segments and stacks ([`AddressSpace::map_region`]),
//! devices, cache maintenance on a range, and the bounded teardown.

use super::{
    AddressSpace, Backing, MapError, PAGE, RUN, Region, SECTION, USER_END, USER_START,
    kernel_attrs, user_attrs, zero_section,
};
use crate::layout::phys_to_virt;
use crate::syscall::abi::{PROT_EXEC, PROT_READ, PROT_WRITE};
use arch::mmu::descriptor::{Access, Attrs, MemType};
use arch::mmu::pmap::{PmapError, Size};

/// Why a `cache_clean` / `cache_invalidate` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOpError {
    /// Zero length, a range that wraps, or an invalidate not on whole lines.
    Invalid,
    /// The range is not (wholly) in one of the caller's memory regions.
    NotOwned,
}

/// Pages of a memory object's run that count as one step of
/// [`AddressSpace::teardown_steps`]: in the trace a page of a run costs
/// about 60 instructions to unmap and uncount, a single-page step about
/// 280, so four pages a step keep a batch of steps within what it took
/// page by page.
const PAGES_PER_STEP: u32 = 4;

impl AddressSpace {
    /// One frame (page or 1 MiB block) for this space: from the reserve for
    /// hard spaces (never the allocator after admission), else allocated.
    fn take_frame(&mut self) -> Result<u32, MapError> {
        if self.kind.hard {
            return self.reserve.pop().ok_or(MapError::NoMemory);
        }
        Ok(crate::mm::alloc_task_frames_owned(0, self.owner + 1)?)
    }

    /// Maps one granule; `own` says `pa` is a frame the space took for itself
    /// (the first page of an allocated block), not device memory.
    #[inline]
    pub(super) fn map_one(
        &mut self,
        va: u32,
        pa: u32,
        attrs: Attrs,
        own: bool,
    ) -> Result<(), MapError> {
        let size = self.kind.size();
        match self.pmap.as_mut() {
            Some(p) => {
                crate::mm::prepare_l2(p, va, size);
                crate::mm::with(|mm| {
                    p.map(va, pa, size, attrs, &mut mm.task_tables())?;
                    if own {
                        mm.note_mapped_head(pa);
                    } else {
                        mm.note_mapped(pa);
                    }
                    Ok::<_, PmapError>(())
                })?
            }
            None => {
                crate::mm::map(va, pa, size, attrs)?;
                match size {
                    Size::Section => self.kstats.sections += 1,
                    _ => self.kstats.pages += 1,
                }
            }
        }
        Ok(())
    }

    /// Maps the frames `pas` at `va`, `va + 4 KiB`, ... in a soft isolated
    /// space: a run in one L2 table ([`Pmap::map_pages`](arch::mmu::pmap::Pmap::map_pages)),
    /// under one hold of the memory manager's lock, each frame counted in
    /// the reverse map. All or nothing.
    pub(super) fn map_run(&mut self, va: u32, pas: &[u32], attrs: Attrs) -> Result<(), MapError> {
        let p = self.pmap.as_mut().ok_or(MapError::ClassViolation)?;
        crate::mm::prepare_l2(p, va, Size::Page);
        crate::mm::with(|mm| {
            p.map_pages(va, pas, attrs, &mut mm.task_tables())?;
            mm.note_run(pas, true);
            Ok::<_, PmapError>(())
        })?;
        Ok(())
    }

    /// Unmaps the `n` pages at `va` that [`Self::map_run`] mapped (one L2
    /// table), each frame's reverse-map count going down, under one hold of
    /// the memory manager's lock with one TLB pass; false (nothing changed)
    /// if they are not all mapped as small pages.
    pub(super) fn unmap_run(&mut self, va: u32, n: u32) -> bool {
        let Some(p) = self.pmap.as_mut() else {
            return false;
        };
        crate::mm::with(|mm| {
            p.unmap_pages(va, n as usize, &mut mm.tables(), |t, pa| {
                t.note_unmapped(pa)
            })
            .is_ok()
        })
    }

    pub(super) fn unmap_one(&mut self, va: u32) -> Option<u32> {
        let size = self.kind.size();
        match self.pmap.as_mut() {
            Some(p) => crate::mm::with(|mm| {
                let pa = p.unmap(va, size, &mut mm.tables()).ok()?;
                mm.note_unmapped(pa);
                Some(pa)
            }),
            None => {
                let pa = crate::mm::unmap(va, size).ok()?;
                match size {
                    Size::Section => self.kstats.sections -= 1,
                    _ => self.kstats.pages -= 1,
                }
                Some(pa)
            }
        }
    }

    /// Gives back the frame behind a granule of a RAM region.
    fn release_frame(&mut self, pa: u32) {
        if self.kind.hard {
            self.reserve.push(pa);
        } else {
            crate::mm::with(|mm| {
                let _ = mm.frames.set_owner(pa, 0);
                let _ = mm.frames.free(pa, 0);
            });
        }
    }

    /// Maps a new region of fresh zeroed memory at `start` (granule aligned)
    /// and fills it from `fill(offset_in_region, granule)`.
    /// On failure nothing of the region stays mapped or allocated.
    pub fn map_region(
        &mut self,
        start: u32,
        len: u32,
        prot: u32,
        backing: Backing,
        fill: &dyn Fn(u32, &mut [u8]),
    ) -> Result<(), MapError> {
        let g = self.kind.granule();
        if !start.is_multiple_of(g) || len == 0 || !len.is_multiple_of(g) {
            return Err(MapError::Invalid);
        }
        if self.regions.len() == self.regions.capacity() {
            return Err(MapError::TooMany);
        }
        let attrs = if self.kind.isolated {
            user_attrs(prot)?
        } else {
            kernel_attrs()
        };
        let mut done = 0;
        let result = loop {
            if done == len {
                break Ok(());
            }
            let pa = match self.take_frame() {
                Ok(pa) => pa,
                Err(e) => break Err(e),
            };
            // SAFETY: pa is a frame (page or 1 MiB block) we own, in the
            // linear map, not mapped anywhere else yet.
            let mem =
                unsafe { core::slice::from_raw_parts_mut(phys_to_virt(pa) as *mut u8, g as usize) };
            // A hard space's reserve is zero already (zeroed at admission and
            // on munmap): no megabyte of stores here. A soft space's fresh
            // page is zeroed now, with IRQs enabled and no lock but its own.
            if !self.kind.hard {
                arch::mem::zero(mem);
            }
            fill(done, mem);
            if prot & PROT_EXEC != 0 {
                // Code written through the data side: make it fetchable.
                arch::cache::sync_icache(mem.as_ptr() as usize, mem.len());
            }
            if let Err(e) = self.map_one(start + done, pa, attrs, true) {
                self.release_frame(pa);
                break Err(e);
            }
            done += g;
        };
        if let Err(e) = result {
            self.unmap_range(start, done, backing);
            return Err(e);
        }
        self.add_region(Region {
            start,
            len,
            prot,
            backing,
        });
        Ok(())
    }

    /// Maps a stack, `[start, start + len)`, read/write: a hard space's
    /// whole (it must never fault), a soft one's top granule only. The
    /// pages below are taken, zeroed and mapped when first touched
    /// ([`Self::fault_in`]), so a process pays for the stack it uses. If
    /// RAM is out then, the touch cannot be met and the process is killed,
    /// as for a copy-on-write fault.
    pub fn map_stack(&mut self, start: u32, len: u32) -> Result<(), MapError> {
        let g = self.kind.granule();
        let prot = PROT_READ | PROT_WRITE;
        if self.kind.hard || len == g {
            return self.map_region(start, len, prot, Backing::Stack, &|_, _| {});
        }
        if !start.is_multiple_of(g) || len == 0 || !len.is_multiple_of(g) {
            return Err(MapError::Invalid);
        }
        let top = start + len - g;
        // The untouched range below must be free: the region will cover it.
        if self
            .regions
            .iter()
            .any(|r| r.start < top && start < r.start + r.len)
        {
            return Err(MapError::Exists);
        }
        self.map_region(top, g, prot, Backing::Stack, &|_, _| {})?;
        if let Some(r) = self.regions.iter_mut().find(|r| r.start == top) {
            r.start = start;
            r.len = len;
        }
        Ok(())
    }

    /// A soft space's first touch of a stack page not mapped yet (a
    /// translation fault at `va`, or the kernel reaching it for a system
    /// call): a fresh zeroed page is mapped there with the region's rights.
    /// False if `va` is in no stack region, or no frame is left.
    pub fn fault_in(&mut self, va: u32) -> bool {
        if self.kind.hard {
            return false;
        }
        let Some(prot) = self
            .regions
            .iter()
            .find(|r| r.backing == Backing::Stack && va >= r.start && va - r.start < r.len)
            .map(|r| r.prot)
        else {
            return false;
        };
        let page = va & !(PAGE - 1);
        if self.translate(page).is_some() {
            // Another thread of the process touched it first.
            return true;
        }
        let Ok(attrs) = user_attrs(prot) else {
            return false;
        };
        let Ok(pa) = self.take_frame() else {
            return false;
        };
        // SAFETY: a fresh page of ours in the linear map, not mapped yet.
        unsafe { arch::mem::zero_raw(phys_to_virt(pa) as *mut u8, PAGE as usize) };
        if self.map_one(page, pa, attrs, true).is_err() {
            self.release_frame(pa);
            return false;
        }
        true
    }

    /// [`Self::translate`] for the kernel reaching into the space on a
    /// system call's behalf: an untouched stack page is faulted in first,
    /// as the process's own access would.
    #[inline]
    pub fn translate_touch(&mut self, va: u32) -> Option<arch::mmu::pmap::Translation> {
        match self.translate(va) {
            Some(t) => Some(t),
            None => self.touch(va),
        }
    }

    /// [`Self::translate_touch`]'s cold half: faults `va` in and translates.
    #[inline(never)]
    fn touch(&mut self, va: u32) -> Option<arch::mmu::pmap::Translation> {
        if self.fault_in(va) {
            self.translate(va)
        } else {
            None
        }
    }

    fn unmap_range(&mut self, start: u32, len: u32, backing: Backing) {
        let g = self.kind.granule();
        for va in (start..start + len).step_by(g as usize) {
            self.unmap_release(va, backing);
        }
    }

    /// Unmaps the granule at `va` and gives back the frame behind it (RAM
    /// regions): [`Self::unmap_one`] then [`Self::release_frame`], but for a
    /// soft isolated space's page both under one hold of the memory
    /// manager's lock (one round trip, not two).
    pub(super) fn unmap_release(&mut self, va: u32, backing: Backing) {
        let g = self.kind.granule();
        if let Backing::Shared { .. } = backing {
            // The object's frame: the book frees it, not the region.
            if self.unmap_one(va).is_some() {
                self.shared_pages -= g / PAGE;
            }
            return;
        }
        if backing != Backing::Device
            && !self.kind.hard
            && let Some(p) = self.pmap.as_mut()
        {
            let size = self.kind.size();
            crate::mm::with(|mm| {
                let Ok(pa) = p.unmap(va, size, &mut mm.tables()) else {
                    return;
                };
                mm.note_unmapped(pa);
                let frame = pa & !(g - 1);
                let _ = mm.frames.set_owner(frame, 0);
                let _ = mm.frames.free(frame, 0);
            });
            return;
        }
        if let Some(pa) = self.unmap_one(va)
            && backing != Backing::Device
        {
            self.release_frame(pa & !(g - 1));
        }
    }

    /// Gives back at most `*steps` granules (or reserve blocks, or
    /// [`PAGES_PER_STEP`] pages of a memory object's run) of the space's
    /// memory, highest region first, counting them off `*steps`;
    /// returns true once every region and reserve block is back (the table
    /// goes last, in [`Self::free_table`]). Each step is one unmap and one
    /// free, each a short hold of the memory manager's lock. The space
    /// records where it got to, so a later call continues, and a call after
    /// the end does nothing.
    pub fn teardown_steps(&mut self, steps: &mut u32) -> bool {
        let g = self.kind.granule();
        while let Some(r) = self.regions.last_mut() {
            if *steps == 0 {
                return false;
            }
            if let Backing::Shared { .. } = r.backing
                && g == PAGE
                && r.len > PAGE
            {
                // An object's pages go in runs: the top ones down to their
                // L2 table's start, at most RUN, PAGES_PER_STEP a step.
                let in_table = (r.start + r.len - 1) % SECTION / PAGE + 1;
                let run = (*steps)
                    .saturating_mul(PAGES_PER_STEP)
                    .min(RUN)
                    .min(r.len / PAGE)
                    .min(in_table);
                *steps -= run.div_ceil(PAGES_PER_STEP);
                r.len -= run * PAGE;
                let (va, backing, empty) = (r.start + r.len, r.backing, r.len == 0);
                if empty {
                    self.regions.pop();
                }
                self.unmap_shared(va, run);
                if let (true, Backing::Shared { map, .. }) = (empty, backing) {
                    let _ = crate::mm::object::BOOK
                        .lock()
                        .unmap(map, &mut crate::mm::object::give_back);
                }
                continue;
            }
            *steps -= 1;
            r.len = r.len.saturating_sub(g);
            let (va, backing, empty) = (r.start + r.len, r.backing, r.len == 0);
            if empty {
                self.regions.pop();
            }
            self.unmap_release(va, backing);
            if let (true, Backing::Shared { map, .. }) = (empty, backing) {
                let _ = crate::mm::object::BOOK
                    .lock()
                    .unmap(map, &mut crate::mm::object::give_back);
            }
        }
        while !self.reserve.is_empty() {
            if *steps == 0 {
                return false;
            }
            *steps -= 1;
            if let Some(block) = self.reserve.pop() {
                let _ = crate::mm::free_frames(block, 8);
            }
        }
        true
    }

    /// Frees the translation table, once [`Self::teardown_steps`] is done.
    pub fn free_table(&mut self) {
        if let Some(p) = self.pmap.take() {
            let s = p.stats();
            let empty = s.sections == 0 && s.pages == 0 && s.l2_tables == 0;
            if !(empty && super::keep_spare(self.l1_block)) {
                let _ = crate::mm::free_frames(self.l1_block, 1);
            }
        }
    }

    /// `mmap`: maps `len` bytes (rounded up to the granule) of zeroed memory.
    pub fn mmap(&mut self, len: u32, prot: u32) -> Result<u32, MapError> {
        let g = self.kind.granule();
        let len = len
            .checked_next_multiple_of(g)
            .filter(|&l| l > 0 && l <= USER_END - USER_START)
            .ok_or(MapError::Invalid)?;
        self.charge(len)?;
        if !self.kind.hard {
            // A request the free frames cannot meet fails at once, rather
            // than after zeroing and mapping what there is and undoing it.
            let left = crate::mm::free_pages().saturating_sub(crate::mm::KERNEL_RESERVE_PAGES);
            if (len / PAGE) as usize > left {
                return Err(MapError::NoMemory);
            }
        }
        let base = self.find_gap(len).ok_or(MapError::NoMemory)?;
        self.map_region(base, len, prot, Backing::Anon, &|_, _| {})?;
        self.anon += len;
        Ok(base)
    }

    /// `munmap`: removes a whole region `mmap` made.
    pub fn munmap(&mut self, addr: u32, len: u32) -> Result<(), MapError> {
        let g = self.kind.granule();
        let len = len.checked_next_multiple_of(g).ok_or(MapError::Invalid)?;
        let i = self
            .regions
            .iter()
            .position(|r| r.start == addr && r.len == len && r.backing == Backing::Anon)
            .ok_or(MapError::Invalid)?;
        let r = self.regions.remove(i);
        let kept = self.reserve.len();
        self.unmap_range(r.start, r.len, r.backing);
        // Sections back in a hard space's reserve are zeroed now, in the
        // caller's time, so that its next mmap need not.
        for &block in &self.reserve[kept..] {
            zero_section(block);
        }
        self.anon -= r.len;
        Ok(())
    }

    /// `mprotect`: new rights for a whole region.
    pub fn mprotect(&mut self, addr: u32, len: u32, prot: u32) -> Result<(), MapError> {
        let g = self.kind.granule();
        let len = len.checked_next_multiple_of(g).ok_or(MapError::Invalid)?;
        let attrs = user_attrs(prot)?;
        let i = self
            .regions
            .iter()
            .position(|r| {
                r.start == addr
                    && r.len == len
                    && matches!(
                        r.backing,
                        Backing::Image
                            | Backing::Stack
                            | Backing::Anon
                            | Backing::Shared { image: true, .. }
                    )
            })
            .ok_or(MapError::Invalid)?;
        if let Backing::Shared { map, .. } = self.regions[i].backing {
            // A segment of a shared image: pages still showing the image's
            // frames never become writable (a write copies them first).
            self.protect_image(map, addr, len, prot)?;
            self.regions[i].prot = prot;
            return Ok(());
        }
        let size = self.kind.size();
        let lazy = self.regions[i].backing == Backing::Stack && !self.kind.hard;
        let space = self.pmap.as_mut().ok_or(MapError::ClassViolation)?;
        for va in (addr..addr + len).step_by(g as usize) {
            crate::mm::with(|mm| {
                if prot & PROT_EXEC != 0 {
                    // Whatever the process wrote there while it was writable
                    // must reach instruction fetch: maintain through the
                    // linear map, which covers the frame whatever the user
                    // mapping's state.
                    if let Some(t) = space.extract(va, &mm.tables()) {
                        arch::cache::sync_icache(phys_to_virt(t.phys) as usize, g as usize);
                    }
                }
                match space.protect(va, size, attrs, &mut mm.tables()) {
                    // An untouched stack page gets the new rights when it
                    // is faulted in (from the region).
                    Err(PmapError::NotMapped) if lazy => Ok(()),
                    r => r,
                }
            })?;
        }
        self.regions[i].prot = prot;
        Ok(())
    }

    /// `cache_clean` (`invalidate` false) / `cache_invalidate`: maintains
    /// L1 and L2 over `[addr, addr + len)`, which must lie in one of the
    /// space's own memory regions (not a device's: device memory is not
    /// cached). An invalidate must cover whole 32-byte lines (it would
    /// otherwise drop the neighbours' data). Worked page by page through
    /// the linear map and the physical address, so a range never needs to
    /// be mapped contiguously.
    pub fn cache_op(&mut self, addr: u32, len: u32, invalidate: bool) -> Result<(), CacheOpError> {
        const LINE: u32 = drivers::pl310::LINE;
        let end = addr
            .checked_add(len)
            .filter(|_| len > 0)
            .ok_or(CacheOpError::Invalid)?;
        if invalidate && !(addr.is_multiple_of(LINE) && len.is_multiple_of(LINE)) {
            return Err(CacheOpError::Invalid);
        }
        let backing = self
            .regions
            .iter()
            .find(|r| r.start <= addr && end <= r.start + r.len && r.backing != Backing::Device)
            .ok_or(CacheOpError::NotOwned)?
            .backing;
        let space = self.pmap.as_ref().ok_or(CacheOpError::NotOwned)?;
        let mut va = addr;
        while va < end {
            let n = (end.min((va | (PAGE - 1)) + 1)) - va;
            let Some(t) = crate::mm::with(|mm| space.extract(va, &mm.tables())) else {
                // An untouched stack page: nothing of it is in any cache.
                if backing == Backing::Stack {
                    va += n;
                    continue;
                }
                return Err(CacheOpError::NotOwned);
            };
            let linear = phys_to_virt(t.phys) as usize;
            if invalidate {
                crate::cache::invalidate(linear, t.phys, n);
            } else {
                crate::cache::clean(linear, t.phys, n);
            }
            va += n;
        }
        Ok(())
    }

    /// `map_device`: maps the `index`-th granted device (once; a second call
    /// returns the same address). User-accessible Device memory, XN.
    pub fn map_device(&mut self, index: u32) -> Result<u32, MapError> {
        let (dev, mapped) = *self
            .devices
            .get(index as usize)
            .ok_or(MapError::ClassViolation)?;
        if let Some(va) = mapped {
            return Ok(va);
        }
        let g = self.kind.granule();
        let first = dev.phys & !(g - 1);
        let end = (dev.phys + dev.len).next_multiple_of(g);
        if self.regions.len() == self.regions.capacity() {
            return Err(MapError::TooMany);
        }
        let base = self.find_gap(end - first).ok_or(MapError::NoMemory)?;
        let attrs = Attrs {
            access: Access::UserRw,
            mem: MemType::Device,
            xn: true,
            shareable: true,
            global: false,
            domain: 0,
        };
        let mut done = 0;
        while first + done < end {
            if let Err(e) = self.map_one(base + done, first + done, attrs, false) {
                self.unmap_range(base, done, Backing::Device);
                return Err(e);
            }
            done += g;
        }
        self.add_region(Region {
            start: base,
            len: done,
            prot: PROT_READ | PROT_WRITE,
            backing: Backing::Device,
        });
        let va = base + (dev.phys - first);
        self.devices[index as usize].1 = Some(va);
        Ok(va)
    }
}
