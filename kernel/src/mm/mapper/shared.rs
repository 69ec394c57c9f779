//! The mapper's side of memory objects: a space's regions that show an
//! object ([`Backing::Shared`]), mapped and unmapped page by page, and the
//! copy-on-write fault that gives a space its own copy of a page.

use super::{AddressSpace, Backing, MapError, PAGE, RUN, Region, SECTION, user_attrs};
use crate::layout::phys_to_virt;
use crate::mm::object::book::{Book, MapId};
use crate::mm::object::{BOOK, give_back};
use crate::syscall::abi::{PROT_EXEC, PROT_READ, PROT_WRITE};
use arch::mmu::descriptor::{Attrs, MemType};

/// How a mapping of an object is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Share {
    /// The object's frames as they are (shared memory, read-only image
    /// segments): writes, where allowed, go to the object.
    Direct,
    /// Private copy-on-write: mapped read-only until the first write to a
    /// page, which copies it (writable image segments).
    CopyOnWrite,
    /// Non-cacheable (DMA buffers).
    Uncached,
}

impl AddressSpace {
    /// Maps object `id` (`pages` pages) with `prot` at `at` (or the first
    /// free range) as a [`Backing::Shared`] region; returns its address. On
    /// failure nothing stays mapped or recorded.
    pub fn map_object(
        &mut self,
        id: crate::mm::object::book::ObjId,
        pages: u32,
        prot: u32,
        share: Share,
        at: Option<u32>,
        image: bool,
    ) -> Result<u32, MapError> {
        self.map_in(&mut BOOK.lock(), id, pages, prot, share, at, image)
    }

    /// [`AddressSpace::map_object`] with the book held by the caller (the loader
    /// finds or records an image segment and maps it under one hold).
    #[allow(clippy::too_many_arguments)]
    fn map_in(
        &mut self,
        book: &mut Book,
        id: crate::mm::object::book::ObjId,
        pages: u32,
        prot: u32,
        share: Share,
        at: Option<u32>,
        image: bool,
    ) -> Result<u32, MapError> {
        if self.pmap.is_none() || (self.kind.hard && share == Share::CopyOnWrite) {
            return Err(MapError::ClassViolation);
        }
        // A hard process maps whole sections: only a contiguous,
        // section-aligned object will do.
        let g = self.kind.granule();
        let step = g / PAGE;
        if self.kind.hard {
            let fits = book.block(id).is_some_and(|(base, order)| {
                base.is_multiple_of(g) && (1u32 << order).is_multiple_of(step)
            });
            if !fits {
                return Err(MapError::ClassViolation);
            }
        }
        let mut attrs = user_attrs(prot)?;
        if share == Share::Uncached {
            attrs.mem = MemType::NormalUncached;
        }
        let shown = if share == Share::CopyOnWrite {
            user_attrs(prot & !PROT_WRITE)?
        } else {
            attrs
        };
        if self.regions.len() == self.regions.capacity() {
            return Err(MapError::TooMany);
        }
        let len = pages * PAGE;
        if !image {
            self.charge(len)?;
        }
        let va = match at {
            Some(va) => va,
            None => self.find_gap(len).ok_or(MapError::NoMemory)?,
        };
        // One hold of the book for the whole mapping (the memory
        // manager's lock, taken inside for each table edit, comes after it).
        let map = book
            .map(id, self.owner, va)
            .map_err(|_| MapError::NoMemory)?;
        // Several pages in runs; a lone page or a hard space's sections
        // one by one (a lone page costs no more than a single map).
        let r = if step == 1 && pages > 1 {
            self.map_shared_pages(book, map, va, pages, shown)
        } else {
            self.map_shared_granules(book, map, va, pages, shown)
        };
        if let Err(e) = r {
            let _ = book.unmap(map, &mut give_back);
            return Err(e);
        }
        if !image {
            self.objects += len;
        }
        self.add_region(Region {
            start: va,
            len,
            prot,
            backing: Backing::Shared {
                map,
                image,
                parked: false,
            },
        });
        Ok(va)
    }

    /// Maps pages `0..pages` of mapping `map` at `va` in a soft isolated
    /// space, in runs of at most [`RUN`] pages in one L2 table
    /// ([`Self::map_run`]: one hold of the memory manager's lock, one
    /// barrier, each frame counted in the reverse map). On failure nothing
    /// of it stays mapped.
    fn map_shared_pages(
        &mut self,
        book: &Book,
        map: MapId,
        va: u32,
        pages: u32,
        attrs: Attrs,
    ) -> Result<(), MapError> {
        let mut buf = [0u32; RUN as usize];
        let mut done = 0;
        while done < pages {
            let at = va + done * PAGE;
            let in_table = (SECTION - at % SECTION) / PAGE;
            let n = (pages - done).min(RUN).min(in_table);
            let r = if n == 1 {
                // A lone page (most segments of small programs) costs no
                // more than a single map.
                match book.frame_at(map, done) {
                    Some((pa, _)) => self.map_one(at, pa, attrs, false),
                    None => Err(MapError::Invalid),
                }
            } else {
                let pas = &mut buf[..n as usize];
                match book.frames_at(map, done, pas) {
                    Some(()) => self.map_run(at, pas, attrs),
                    None => Err(MapError::Invalid),
                }
            };
            if let Err(e) = r {
                self.unmap_shared(va, done);
                return Err(e);
            }
            self.shared_pages += n;
            done += n;
        }
        Ok(())
    }

    /// Maps mapping `map` at `va` granule by granule (a hard space's
    /// sections, a lone page). On failure nothing of it stays mapped.
    #[inline(always)]
    fn map_shared_granules(
        &mut self,
        book: &Book,
        map: MapId,
        va: u32,
        pages: u32,
        attrs: Attrs,
    ) -> Result<(), MapError> {
        let step = self.kind.granule() / PAGE;
        let mut done = 0;
        while done < pages {
            let r = match book.frame_at(map, done) {
                Some((pa, _)) => self.map_one(va + done * PAGE, pa, attrs, false),
                None => Err(MapError::Invalid),
            };
            if let Err(e) = r {
                for i in (0..done).step_by(step as usize) {
                    self.unmap_one(va + i * PAGE);
                }
                self.shared_pages -= done;
                return Err(e);
            }
            self.shared_pages += step;
            done += step;
        }
        Ok(())
    }

    /// Unmaps the `pages` pages of an object mapped at `va` in a soft
    /// isolated space (the object's frames: the book frees them, not the
    /// space), in runs within one L2 table ([`Self::unmap_run`]), a page at
    /// a time where a run is not whole.
    pub(super) fn unmap_shared(&mut self, va: u32, pages: u32) {
        let mut done = 0;
        while done < pages {
            let at = va + done * PAGE;
            let in_table = (SECTION - at % SECTION) / PAGE;
            let n = (pages - done).min(RUN).min(in_table);
            if n > 1 && self.unmap_run(at, n) {
                self.shared_pages -= n;
            } else {
                for k in 0..n {
                    if self.unmap_one(at + k * PAGE).is_some() {
                        self.shared_pages -= 1;
                    }
                }
            }
            done += n;
        }
    }

    /// Removes the region that shows mapping `map` (unmapped from the page
    /// tables, forgotten by the book); false if there is none.
    pub fn unmap_object(&mut self, map: MapId) -> bool {
        let Some(i) = self
            .regions
            .iter()
            .position(|r| matches!(r.backing, Backing::Shared { map: m, .. } if m == map))
        else {
            return false;
        };
        let r = self.regions.remove(i);
        if let Backing::Shared { image: false, .. } = r.backing {
            self.objects -= r.len;
        }
        let g = self.kind.granule();
        if g == PAGE {
            self.unmap_shared(r.start, r.len / PAGE);
        } else {
            for va in (r.start..r.start + r.len).step_by(g as usize) {
                self.unmap_release(va, r.backing);
            }
        }
        let _ = BOOK.lock().unmap(map, &mut give_back);
        true
    }

    /// `mem_map` in a hard space: object `id` was mapped at admission
    /// (charged to its reserved budget); this answers with its address,
    /// showing its sections again with `prot` and `share` if `mem_unmap`
    /// parked them: one L1 entry per section, no allocation (the region and
    /// the book's record stayed). [`MapError::ClassViolation`] if it was
    /// not granted at admission.
    pub fn show_object(
        &mut self,
        id: crate::mm::object::book::ObjId,
        prot: u32,
        share: Share,
    ) -> Result<u32, MapError> {
        let book = BOOK.lock();
        let i = self
            .regions
            .iter()
            .position(|r| match r.backing {
                Backing::Shared {
                    map, image: false, ..
                } => book.mapping(map).map(|m| m.0) == Some(id),
                _ => false,
            })
            .ok_or(MapError::ClassViolation)?;
        let r = self.regions[i];
        let Backing::Shared {
            map, parked: true, ..
        } = r.backing
        else {
            return Ok(r.start);
        };
        let mut attrs = user_attrs(prot)?;
        if share == Share::Uncached {
            attrs.mem = MemType::NormalUncached;
        }
        let g = self.kind.granule();
        let step = g / PAGE;
        let mut done = 0;
        while done < r.len / PAGE {
            let res = match book.frame_at(map, done) {
                Some((pa, _)) => self.map_one(r.start + done * PAGE, pa, attrs, false),
                None => Err(MapError::Invalid),
            };
            if let Err(e) = res {
                for k in (0..done).step_by(step as usize) {
                    self.unmap_release(r.start + k * PAGE, r.backing);
                }
                return Err(e);
            }
            self.shared_pages += step;
            done += step;
        }
        self.regions[i].backing = Backing::Shared {
            map,
            image: false,
            parked: false,
        };
        self.regions[i].prot = prot;
        Ok(r.start)
    }

    /// `mem_unmap`: removes the shared-memory mapping that starts at `addr`.
    /// A hard space keeps the range, the book's record and the charge
    /// (the region is parked), so that its next `mem_map` of the object
    /// allocates nothing ([`Self::show_object`]).
    pub fn mem_unmap(&mut self, addr: u32) -> Result<(), MapError> {
        let (i, map) = self
            .regions
            .iter()
            .enumerate()
            .find_map(|(i, r)| match r.backing {
                Backing::Shared {
                    map,
                    image: false,
                    parked: false,
                } if r.start == addr => Some((i, map)),
                _ => None,
            })
            .ok_or(MapError::Invalid)?;
        if self.kind.hard {
            let r = self.regions[i];
            let g = self.kind.granule();
            for va in (r.start..r.start + r.len).step_by(g as usize) {
                self.unmap_release(va, r.backing);
            }
            self.regions[i].backing = Backing::Shared {
                map,
                image: false,
                parked: true,
            };
            return Ok(());
        }
        self.unmap_object(map);
        Ok(())
    }

    /// Handles a write fault at `va`: if it falls in a copy-on-write page
    /// not copied yet, copies the page into a fresh frame, maps that
    /// writable in its place and returns true (the write is retried).
    /// Bounded: one page allocated, 4 KiB copied, two table edits.
    pub fn cow_fault(&mut self, va: u32) -> bool {
        let Some((start, prot, map)) = self.regions.iter().find_map(|r| match r.backing {
            Backing::Shared {
                map, image: true, ..
            } if va >= r.start && va - r.start < r.len && r.prot & PROT_WRITE != 0 => {
                Some((r.start, r.prot, map))
            }
            _ => None,
        }) else {
            return false;
        };
        let page = (va - start) / PAGE;
        let old = match BOOK.lock().frame_at(map, page) {
            Some((old, false)) => old,
            // Another thread of this process faulted on the same page and
            // copied it while this one waited for the task's lock: the
            // write is retried (it was killed here before; found by the
            // fuzzer, two thread stacks sharing a page of .bss).
            Some((_, true)) => {
                return self
                    .translate(va)
                    .is_some_and(|t| t.attrs.access.user_writable());
            }
            None => return false,
        };
        let Ok(copy) = crate::mm::alloc_task_frames_owned(0, self.owner + 1) else {
            return false;
        };
        // SAFETY: `copy` is a fresh page of ours and `old` a frame of the
        // object, both in the linear map; the pages do not overlap.
        unsafe {
            core::ptr::copy_nonoverlapping(
                phys_to_virt(old) as *const u8,
                phys_to_virt(copy) as *mut u8,
                PAGE as usize,
            )
        };
        if BOOK.lock().cow(map, page, copy).is_err() {
            give_back(crate::mm::object::book::Free::Page(copy));
            return false;
        }
        let at = start + page * PAGE;
        let attrs: Attrs = match user_attrs(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) {
            Ok(a) => a,
            Err(_) => return false,
        };
        // The copy is the book's now (freed with the mapping); the page
        // table shows it in place of the object's frame.
        self.unmap_one(at);
        if self.map_one(at, copy, attrs, false).is_err() {
            return false;
        }
        self.cow_faults += 1;
        true
    }

    /// `mprotect` of an image segment (mapping `map` at `addr`): each page
    /// gets `prot`, less `PROT_WRITE` where it still shows the image's own
    /// frame, so a write there copies it first ([`AddressSpace::cow_fault`] goes by
    /// the region's rights).
    pub(super) fn protect_image(
        &mut self,
        map: MapId,
        addr: u32,
        len: u32,
        prot: u32,
    ) -> Result<(), MapError> {
        let full = user_attrs(prot)?;
        let shared = user_attrs(prot & !PROT_WRITE)?;
        let space = self.pmap.as_mut().ok_or(MapError::ClassViolation)?;
        let book = BOOK.lock();
        for (i, va) in (addr..addr + len).step_by(PAGE as usize).enumerate() {
            let copied = matches!(book.frame_at(map, i as u32), Some((_, true)));
            let attrs = if copied { full } else { shared };
            crate::mm::with(|mm| {
                space.protect(va, arch::mmu::pmap::Size::Page, attrs, &mut mm.tables())
            })?;
        }
        Ok(())
    }
}

impl AddressSpace {
    /// Maps one segment of a program image from the image's memory object,
    /// found by `key` if another process of the image has it, else made
    /// from `pages` pages filled by `fill`.
    pub fn map_image_segment(
        &mut self,
        key: u64,
        start: u32,
        pages: u32,
        prot: u32,
        fill: &dyn Fn(u32, &mut [u8]),
    ) -> Result<(), MapError> {
        let share = if prot & PROT_WRITE != 0 {
            Share::CopyOnWrite
        } else {
            Share::Direct
        };
        // One hold of the book throughout: a new segment's frames are
        // allocated and filled under it (the memory manager's lock comes
        // after the book's), so a second loader of the same image waits
        // and then finds it.
        let mut book = BOOK.lock();
        if let Some(id) = book.live(key) {
            return self
                .map_in(&mut book, id, pages, prot, share, Some(start), true)
                .map(|_| ());
        }
        // Code written through the data side must be made fetchable once,
        // when the object is filled; later mappers share synced frames.
        let fill_text = |i: u32, mem: &mut [u8]| {
            fill(i, mem);
            if prot & PROT_EXEC != 0 {
                arch::cache::sync_icache(mem.as_ptr() as usize, mem.len());
            }
        };
        let frames =
            crate::mm::object::image_frames(pages, &fill_text).map_err(|_| MapError::NoMemory)?;
        let id = match book.create(frames, Some(key)) {
            Ok(id) => id,
            Err((_, frames)) => {
                drop(book);
                crate::mm::object::give_back_frames(frames);
                return Err(MapError::NoMemory);
            }
        };
        let r = self.map_in(&mut book, id, pages, prot, share, Some(start), true);
        // The creator's reference goes: the mapping (if made) keeps it.
        let _ = book.release(id, &mut give_back);
        r.map(|_| ())
    }
}
