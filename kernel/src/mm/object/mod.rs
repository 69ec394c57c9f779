//! Memory objects, the seed's top layer: data that can be mapped into one
//! or more address spaces. An object is a list of frames (or one contiguous
//! block, for DMA) with counted references; every mapping of it is recorded,
//! so it can be revoked from all spaces at once, and its frames go back to
//! the page allocator when its last reference and its last mapping are gone
//! ([`book`] keeps these rules and is tested on the host against a model).
//!
//! Three kinds use it:
//! - **shared memory** (`mem_create`/`mem_map`): zeroed pages reached
//!   through a handle ([`MemObject`]); a mapping's rights never exceed the
//!   handle's;
//! - **program images**: the segments of an ELF, loaded once and found
//!   again by the next process spawned from the same image ([`image`]);
//!   read-only segments are mapped shared, writable ones copy-on-write;
//! - **DMA buffers**: one physically contiguous block, mapped
//!   non-cacheable, whose physical address its owner learns.
//!
//! The address-space side (a space's regions, the page tables) is the
//! mapper's, [`crate::mm::mapper`]; this module owns the objects and the
//! book. Revocation, which must reach every process that maps an object, is
//! `process::revoke`. Lock order: a process's lock, then [`BOOK`], then the
//! memory manager's.

pub mod book;

#[cfg(target_os = "none")]
pub use kernel_side::*;

#[cfg(target_os = "none")]
mod kernel_side {
    use super::book::{Book, BookError, Frames, Free, ObjId, PAGE};
    use crate::layout::phys_to_virt;
    use crate::mm::frames::FrameError;
    use crate::thread::sync::Mutex;
    use alloc::vec::Vec;

    /// Every memory object and mapping, behind one sleeping lock (taken
    /// after a task's and before the memory manager's).
    pub static BOOK: Mutex<Book> = Mutex::new(Book::new());

    /// Why an object could not be made.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ObjectError {
        /// Not enough free frames (or heap for the record).
        NoMemory,
        /// A length of 0 or too large.
        Invalid,
    }

    impl From<FrameError> for ObjectError {
        fn from(_: FrameError) -> Self {
            ObjectError::NoMemory
        }
    }

    impl From<BookError> for ObjectError {
        fn from(_: BookError) -> Self {
            ObjectError::NoMemory
        }
    }

    /// Largest shared-memory object: 4 MiB.
    pub const MAX_OBJECT: u32 = 4 << 20;
    /// Largest DMA buffer (or section object): the page allocator's largest
    /// block, 1 MiB.
    pub const MAX_DMA: u32 = PAGE << crate::mm::frames::MAX_ORDER;

    /// Gives a frame (or block) the book says is free back to the page
    /// allocator.
    pub fn give_back(f: Free) {
        crate::mm::with(|mm| match f {
            Free::Page(pa) => {
                let _ = mm.frames.set_owner(pa, 0);
                let _ = mm.frames.free(pa, 0);
            }
            Free::Block(pa, order) => {
                let _ = mm.frames.set_owner(pa, 0);
                let _ = mm.frames.free(pa, order);
            }
        })
    }

    /// A counted hold on an object in [`BOOK`]: the kernel's side of a
    /// memory handle (shared memory, a DMA buffer) or of a loader's hold on
    /// an image segment. Dropping it drops the reference; the frames stay
    /// while the object is mapped anywhere.
    #[derive(Debug)]
    pub struct MemObject {
        id: ObjId,
        pages: u32,
        /// DMA buffers: the block's physical address.
        dma: Option<u32>,
    }

    impl MemObject {
        /// The object's name in the book.
        pub fn id(&self) -> ObjId {
            self.id
        }
        /// Its length in bytes.
        pub fn len(&self) -> u32 {
            self.pages * PAGE
        }
        /// Never: objects have at least one page.
        pub fn is_empty(&self) -> bool {
            self.pages == 0
        }
        /// DMA buffers: physical address of the first byte.
        pub fn dma_phys(&self) -> Option<u32> {
            self.dma
        }
        /// Mappings and references now (tests and reports).
        pub fn users(&self) -> (u32, u32) {
            BOOK.lock().users(self.id).unwrap_or((0, 0))
        }
    }

    impl Drop for MemObject {
        fn drop(&mut self) {
            let _ = BOOK.lock().release(self.id, &mut give_back);
        }
    }

    fn record(
        frames: Frames,
        key: Option<u64>,
        dma: Option<u32>,
    ) -> Result<MemObject, ObjectError> {
        let pages = frames.pages();
        match BOOK.lock().create(frames, key) {
            Ok(id) => Ok(MemObject { id, pages, dma }),
            Err((_, frames)) => {
                give_back_frames(frames);
                Err(ObjectError::NoMemory)
            }
        }
    }

    fn pages_of(len: u32) -> Result<u32, ObjectError> {
        match len.checked_next_multiple_of(PAGE) {
            Some(l) if l > 0 && l <= MAX_OBJECT => Ok(l / PAGE),
            _ => Err(ObjectError::Invalid),
        }
    }

    /// Allocates `pages` zeroed pages, each filled by `fill(index, page)`;
    /// all or nothing.
    fn alloc_pages(pages: u32, fill: &dyn Fn(u32, &mut [u8])) -> Result<Frames, ObjectError> {
        if pages == 1 {
            let pa = crate::mm::alloc_task_frames(0)?;
            // SAFETY: a fresh page, ours alone, in the linear map.
            let mem = unsafe {
                core::slice::from_raw_parts_mut(phys_to_virt(pa) as *mut u8, PAGE as usize)
            };
            arch::mem::zero(mem);
            fill(0, mem);
            return Ok(Frames::One(pa));
        }
        let mut v = Vec::new();
        v.try_reserve_exact(pages as usize)
            .map_err(|_| ObjectError::NoMemory)?;
        for i in 0..pages {
            match crate::mm::alloc_task_frames(0) {
                Ok(pa) => {
                    // SAFETY: a fresh page, ours alone, in the linear map.
                    let mem = unsafe {
                        core::slice::from_raw_parts_mut(phys_to_virt(pa) as *mut u8, PAGE as usize)
                    };
                    arch::mem::zero(mem);
                    fill(i, mem);
                    v.push(pa);
                }
                Err(e) => {
                    v.into_iter().for_each(|pa| give_back(Free::Page(pa)));
                    return Err(e.into());
                }
            }
        }
        Ok(Frames::Pages(v))
    }

    /// A new shared-memory object of `len` bytes (rounded up to pages),
    /// zeroed.
    pub fn create_shared(len: u32) -> Result<MemObject, ObjectError> {
        let pages = pages_of(len)?;
        let frames = alloc_pages(pages, &|_, _| {})?;
        record(frames, None, None)
    }

    /// A new DMA buffer: `len` bytes (rounded up to a power-of-two number
    /// of pages) physically contiguous and zeroed.
    pub fn create_dma(len: u32) -> Result<MemObject, ObjectError> {
        let pages = pages_of(len)?.next_power_of_two();
        if pages > MAX_DMA / PAGE {
            return Err(ObjectError::Invalid);
        }
        let order = pages.ilog2() as u8;
        let base = crate::mm::alloc_task_frames(order)?;
        // SAFETY: a fresh block, ours alone, in the linear map.
        unsafe { arch::mem::zero_raw(phys_to_virt(base) as *mut u8, (pages * PAGE) as usize) };
        record(Frames::Block { base, order }, None, Some(base))
    }

    /// A new shared-memory object of one whole 1 MiB section (the page
    /// allocator's largest block: `len` at most 1 MiB), contiguous and
    /// section-aligned, zeroed: the kind a hard process can be granted, mapped as
    /// sections at its admission.
    pub fn create_sections(len: u32) -> Result<MemObject, ObjectError> {
        const SECTION: u32 = 1 << 20;
        let sections = match len.checked_next_multiple_of(SECTION) {
            Some(l) if l > 0 && l <= MAX_DMA => (l / SECTION).next_power_of_two(),
            _ => return Err(ObjectError::Invalid),
        };
        let order = (sections * (SECTION / PAGE)).ilog2() as u8;
        let base = crate::mm::alloc_task_frames(order)?;
        // SAFETY: a fresh block, ours alone, in the linear map.
        unsafe {
            arch::mem::zero_raw(phys_to_virt(base) as *mut u8, (sections * SECTION) as usize)
        };
        record(Frames::Block { base, order }, None, None)
    }

    /// Gives back frames no object took.
    pub fn give_back_frames(frames: Frames) {
        match frames {
            Frames::One(pa) => give_back(Free::Page(pa)),
            Frames::Pages(v) => v.into_iter().for_each(|pa| give_back(Free::Page(pa))),
            Frames::Block { base, order } => give_back(Free::Block(base, order)),
        }
    }

    /// Frames for a new program-image segment (the loader records and maps
    /// them under one hold of the book: `AddressSpace::map_image_segment`): `pages`
    /// zeroed pages filled by `fill(page index, page)`.
    pub fn image_frames(pages: u32, fill: &dyn Fn(u32, &mut [u8])) -> Result<Frames, ObjectError> {
        alloc_pages(pages, fill)
    }

    /// The reverse map of one frame: every (process, address) mapping it
    /// through an object.
    pub fn users_of(pa: u32) -> Vec<(u16, u32)> {
        let book = BOOK.lock();
        let mut v = Vec::new();
        if v.try_reserve(8).is_ok() {
            v.extend(book.users_of(pa).take(8));
        }
        v
    }

    /// Objects alive now (tests: none left once every user is gone).
    pub fn live_objects() -> usize {
        BOOK.lock().objects()
    }
}
