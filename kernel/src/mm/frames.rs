//! Physical page allocator: a binary buddy system over 4 KiB pages.
//!
//! A block of order `k` is `2^k` pages aligned to `4 KiB << k` in *physical*
//! address, so a 1 MiB block can back a section mapping even when RAM does not
//! start on a 1 MiB boundary. Every run-time operation is bounded by
//! [`MAX_ORDER`], never by the amount of RAM: `alloc` finds a non-empty free
//! list in a bitmap and splits at most `MAX_ORDER` times, `free` merges at most
//! `MAX_ORDER` times and each merge unlinks the buddy from a doubly-linked list
//! in O(1). Only the boot-time calls visit each page: `with_free_ranges`, the
//! one the kernel boots with, writes each descriptor once (and a block's
//! first page once more, when the block goes on its free list), so boot time
//! grows with RAM by one store pass; `new` and `add_free_range` (a pass to
//! reset, one to check, one to mark) remain for tests and later additions.
//!
//! Single pages have a fast path: a freed page goes on a bounded cache of
//! single free pages ([`CACHE_PAGES`]; Linux's per-cpu page lists do the
//! same) instead of being merged with its buddy, and a one-page allocation
//! takes the most recently cached page, so a page that is freed and taken
//! again, the common pattern (a process's page, a stack, an L2 frame), costs
//! neither the split of a large block nor the merges back. The cache is
//! merged into the buddy lists when it is full (the page being freed goes
//! there instead), when a larger block is wanted and none is free
//! ([`alloc`](FrameAllocator::alloc) drains it and tries again, so a cached
//! page never makes an allocation fail) and on [`drain_cache`]
//! (FrameAllocator::drain_cache). Cached pages count as free everywhere:
//! [`free_pages`](FrameAllocator::free_pages) and
//! [`free_blocks`](FrameAllocator::free_blocks)`(0)` include them.
//!
//! All metadata lives in a caller-provided array of [`PageDesc`], one per page,
//! which is also the kernel's physical-page reverse map. The free lists are
//! threaded through that array by page index, not through the free pages, so
//! the allocator never reads or writes the memory it manages: it needs no
//! mapping of free RAM, a stray pointer into free memory cannot corrupt it, and
//! it runs unchanged in host tests.

use core::mem::MaybeUninit;

/// log2 of [`PAGE_SIZE`].
pub const PAGE_SHIFT: u32 = 12;
/// Size of a page, the unit of allocation: 4 KiB.
pub const PAGE_SIZE: u32 = 1 << PAGE_SHIFT;
/// Largest block order: `2^8` pages = 1 MiB, an ARMv7 section.
pub const MAX_ORDER: u8 = 8;
/// Most single free pages kept unmerged in the page cache (128 KiB): enough
/// for what a process's creation or a burst of `mmap`s frees and takes
/// again, few enough that draining it (when a larger block is wanted and
/// none is free) stays short.
pub const CACHE_PAGES: u32 = 32;

const ORDERS: usize = MAX_ORDER as usize + 1;
/// End of a free list.
const NONE: u32 = u32::MAX;
/// Number of page frames in the 32-bit physical address space.
const PFN_LIMIT: u32 = 1 << (32 - PAGE_SHIFT);

/// What a page is, as recorded in its [`PageDesc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageState {
    /// Never handed to the allocator (kernel image, descriptor array, holes).
    Reserved,
    /// First page of a free block of `2^order` pages.
    Free {
        /// Order of the block.
        order: u8,
    },
    /// First page of an allocated block of `2^order` pages.
    Allocated {
        /// Order the block was allocated with (and must be freed with).
        order: u8,
    },
    /// Any other page of a free or allocated block; [`FrameAllocator::block_of`]
    /// finds the block's first page.
    Tail,
    /// A free page alone in the page cache (see the module docs): free and
    /// allocatable, but not merged with its buddy until the cache drains.
    Cached,
}

/// Descriptor of one physical page: 16 bytes (two `u32` list links, two `u16`
/// fields, a 2-byte state), i.e. 0.4 % of the RAM it describes.
///
/// `owner` and `map_count` describe a whole allocated block and are kept on
/// its first page; they are changed through [`FrameAllocator::set_owner`],
/// [`FrameAllocator::map_inc`] and [`FrameAllocator::map_dec`], so the list
/// links and the state can only be changed by the allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageDesc {
    /// Next/previous free block of the same order (page indices), or `NONE`.
    next: u32,
    prev: u32,
    owner: u16,
    map_count: u16,
    state: PageState,
}

const _: () = assert!(size_of::<PageDesc>() <= 16);

impl PageDesc {
    /// A descriptor of a reserved page, for filling the array given to
    /// [`FrameAllocator::new`] (which resets every entry anyway).
    pub const fn new() -> Self {
        PageDesc {
            next: NONE,
            prev: NONE,
            owner: 0,
            map_count: 0,
            state: PageState::Reserved,
        }
    }

    /// The page's state.
    pub fn state(&self) -> PageState {
        self.state
    }

    /// Owner of the block this page heads (0 = kernel); 0 unless allocated.
    pub fn owner(&self) -> u16 {
        self.owner
    }

    /// How many translation-table entries map the block this page heads.
    pub fn map_count(&self) -> u16 {
        self.map_count
    }
}

impl Default for PageDesc {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a frame-allocator call failed. A failed call changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// No free block of the requested order or larger.
    OutOfMemory,
    /// Order above [`MAX_ORDER`].
    BadOrder,
    /// Address not page-aligned (`new`, `add_free_range`, `free`).
    Misaligned,
    /// Address outside the managed range.
    NotManaged,
    /// `new`: the region does not fit the 32-bit physical address space;
    /// `add_free_range`: `start > end`.
    BadRange,
    /// `add_free_range`: a page of the range is already free or allocated.
    NotReserved,
    /// `free` of a page that is free (the head of a free block or inside one).
    DoubleFree,
    /// The page is inside an allocated block but is not its first page.
    NotAllocated,
    /// The page is reserved: it was never handed to the allocator.
    Reserved,
    /// `free` with an order other than the one the block was allocated with.
    WrongOrder,
    /// `free` of a block that translation tables still map (`map_count != 0`).
    StillMapped,
    /// `map_inc` past `u16::MAX`.
    MapCountOverflow,
    /// `map_dec` of a block whose count is already 0.
    MapCountUnderflow,
}

/// Writes `d` into every element of `descs`: the first by assignment, the
/// others as byte copies of it, two per store instruction
/// (`arch::mem::repeat16`).
fn fill(descs: &mut [MaybeUninit<PageDesc>], d: PageDesc) {
    const _: () = assert!(size_of::<PageDesc>() == 16 && align_of::<PageDesc>() >= 4);
    if let Some((first, rest)) = descs.split_first_mut() {
        let first = first.write(d);
        // SAFETY: `rest` is writable, ours (a unique borrow), word aligned
        // and does not overlap `first`; each element is 16 bytes, and a byte
        // copy of a valid `PageDesc` (a `Copy` type) is a valid `PageDesc`.
        unsafe {
            arch::mem::repeat16(
                rest.as_mut_ptr().cast(),
                rest.len(),
                (first as *const PageDesc).cast(),
            )
        };
    }
}

/// Buddy allocator over `[base, base + descs.len() * 4096)`.
pub struct FrameAllocator<'a> {
    descs: &'a mut [PageDesc],
    base_pfn: u32,
    /// First block (page index) of each order's free list, or `NONE`.
    heads: [u32; ORDERS],
    /// Bit `k` set iff `heads[k] != NONE`.
    nonempty: u16,
    free_blocks: [u32; ORDERS],
    used_blocks: [u32; ORDERS],
    free_pages: u32,
    /// First page (index) of the page cache, linked through `next`, or `NONE`.
    cache: u32,
    /// Pages in the page cache (at most [`CACHE_PAGES`]).
    cached: u32,
    /// Successful [`alloc`](Self::alloc) calls since creation (never goes
    /// down: a test compares it before and after a stretch of work to prove
    /// nothing was allocated, even if it was freed again).
    allocations: u64,
}

impl<'a> FrameAllocator<'a> {
    /// Manages `[base, base + descs.len() * 4096)`; every page starts Reserved.
    /// O(pages), boot time.
    pub fn new(base: u32, descs: &'a mut [PageDesc]) -> Result<Self, FrameError> {
        if !base.is_multiple_of(PAGE_SIZE) {
            return Err(FrameError::Misaligned);
        }
        let base_pfn = base >> PAGE_SHIFT;
        if descs.len() > (PFN_LIMIT - base_pfn) as usize {
            return Err(FrameError::BadRange);
        }
        descs.fill(PageDesc::new());
        Ok(FrameAllocator {
            descs,
            base_pfn,
            heads: [NONE; ORDERS],
            nonempty: 0,
            free_blocks: [0; ORDERS],
            used_blocks: [0; ORDERS],
            free_pages: 0,
            cache: NONE,
            cached: 0,
            allocations: 0,
        })
    }

    /// Manages `[base, base + descs.len() * 4096)` with the pages of the
    /// `free` ranges (`[start, end)`, page-aligned, ascending, disjoint)
    /// given to the allocator and every other page Reserved: the same
    /// allocator as [`new`](Self::new) followed by
    /// [`add_free_range`](Self::add_free_range) of each range, but each
    /// descriptor is written once, in one pass in address order (the
    /// first page of each free block once more, when it is put on its free
    /// list), and none is read first. Boot time: O(pages) stores.
    ///
    /// Errors: `Misaligned` (base or a range end not page-aligned),
    /// `BadRange` (the region does not fit the address space, or a range
    /// has `start > end`), `NotManaged` (a range outside the region),
    /// `NotReserved` (ranges not ascending or overlapping). Nothing is
    /// written on error.
    pub fn with_free_ranges(
        base: u32,
        descs: &'a mut [MaybeUninit<PageDesc>],
        free: &[(u32, u32)],
    ) -> Result<Self, FrameError> {
        if !base.is_multiple_of(PAGE_SIZE) {
            return Err(FrameError::Misaligned);
        }
        let base_pfn = base >> PAGE_SHIFT;
        let len = descs.len();
        if len > (PFN_LIMIT - base_pfn) as usize {
            return Err(FrameError::BadRange);
        }
        // The ranges as index spans, checked before anything is written.
        let span = |(start, end): (u32, u32)| -> Result<(usize, usize), FrameError> {
            if start > end {
                return Err(FrameError::BadRange);
            }
            if !start.is_multiple_of(PAGE_SIZE) || !end.is_multiple_of(PAGE_SIZE) {
                return Err(FrameError::Misaligned);
            }
            if start == end {
                return Ok((0, 0));
            }
            let first = (start >> PAGE_SHIFT).checked_sub(base_pfn);
            let last = (end >> PAGE_SHIFT).checked_sub(base_pfn);
            match (first, last) {
                (Some(f), Some(e)) if e as usize <= len => Ok((f as usize, e as usize)),
                _ => Err(FrameError::NotManaged),
            }
        };
        let mut at = 0;
        for &r in free {
            let (first, end) = span(r)?;
            if first == end {
                continue;
            }
            if first < at {
                return Err(FrameError::NotReserved);
            }
            at = end;
        }
        // The one pass: Reserved up to each range, Tail inside it (its block
        // heads are rewritten below).
        let tail = PageDesc {
            state: PageState::Tail,
            ..PageDesc::new()
        };
        let mut at = 0;
        for &r in free {
            let (first, end) = span(r)?;
            if first == end {
                continue;
            }
            fill(&mut descs[at..first], PageDesc::new());
            fill(&mut descs[first..end], tail);
            at = end;
        }
        fill(&mut descs[at..], PageDesc::new());
        // SAFETY: every element of `descs` was written just above (the spans
        // are ascending and inside it, the gaps and the rest filled), and
        // `MaybeUninit<PageDesc>` has `PageDesc`'s layout.
        let descs = unsafe { &mut *(descs as *mut [MaybeUninit<PageDesc>] as *mut [PageDesc]) };
        let mut fa = FrameAllocator {
            descs,
            base_pfn,
            heads: [NONE; ORDERS],
            nonempty: 0,
            free_blocks: [0; ORDERS],
            used_blocks: [0; ORDERS],
            free_pages: 0,
            cache: NONE,
            cached: 0,
            allocations: 0,
        };
        for &r in free {
            let (first, end) = span(r)?;
            fa.carve(first as u32, end as u32);
        }
        Ok(fa)
    }

    /// Number of descriptors needed to manage `bytes` of RAM (rounded up).
    pub const fn descs_needed(bytes: u32) -> usize {
        bytes.div_ceil(PAGE_SIZE) as usize
    }

    /// Hands the pages of `[start, end)` to the allocator, coalescing them
    /// (and any free neighbours from earlier calls) into the largest aligned
    /// blocks. Boot time, O(pages in range). Both ends must be page-aligned
    /// and inside the managed range, and every page must still be Reserved.
    pub fn add_free_range(&mut self, start: u32, end: u32) -> Result<(), FrameError> {
        if start > end {
            return Err(FrameError::BadRange);
        }
        if !start.is_multiple_of(PAGE_SIZE) || !end.is_multiple_of(PAGE_SIZE) {
            return Err(FrameError::Misaligned);
        }
        if start == end {
            return Ok(());
        }
        let (Some(first), Some(last)) = (self.index(start), self.index(end - 1)) else {
            return Err(FrameError::NotManaged);
        };
        let pages = &mut self.descs[first..=last];
        if pages.iter().any(|d| d.state != PageState::Reserved) {
            return Err(FrameError::NotReserved);
        }
        // Interior pages must never look like block heads (see `block_of`).
        for d in pages {
            d.state = PageState::Tail;
        }
        self.carve(first as u32, last as u32 + 1);
        Ok(())
    }

    /// Puts the pages `[i, end)` (indices, all Tail) on the free lists as
    /// the largest aligned blocks, merged with free neighbours.
    fn carve(&mut self, mut i: u32, end: u32) {
        while i < end {
            let pfn = self.base_pfn + i;
            let mut order = pfn.trailing_zeros().min(MAX_ORDER.into()) as u8;
            while i + (1 << order) > end {
                order -= 1;
            }
            self.free_pages += 1 << order;
            self.insert_free(i, order);
            i += 1 << order;
        }
    }

    /// Allocates a block of `2^order` pages, aligned to `4 KiB << order`, and
    /// returns its physical address. The block's owner and map count are 0.
    /// One page comes from the page cache when it has one; a larger block
    /// that no free list has drains the cache first (its pages may merge
    /// into one).
    #[inline]
    pub fn alloc(&mut self, order: u8) -> Result<u32, FrameError> {
        #[cfg(all(feature = "fault-inject", target_os = "none"))]
        if crate::mm::inject::should_fail(crate::mm::inject::Site::Frames) {
            return Err(FrameError::OutOfMemory);
        }
        if order == 0 && self.cache != NONE {
            let i = self.cache;
            let d = &mut self.descs[i as usize];
            self.cache = d.next;
            *d = PageDesc {
                state: PageState::Allocated { order: 0 },
                ..PageDesc::new()
            };
            self.cached -= 1;
            self.used_blocks[0] += 1;
            self.free_pages -= 1;
            self.allocations += 1;
            return Ok(self.phys(i));
        }
        self.alloc_buddy(order)
    }

    /// [`alloc`](Self::alloc) from the buddy lists.
    fn alloc_buddy(&mut self, order: u8) -> Result<u32, FrameError> {
        if order > MAX_ORDER {
            return Err(FrameError::BadOrder);
        }
        let mut larger = self.nonempty >> order;
        if larger == 0 && self.cached != 0 {
            self.drain_cache();
            larger = self.nonempty >> order;
        }
        if larger == 0 {
            return Err(FrameError::OutOfMemory);
        }
        let k = order + larger.trailing_zeros() as u8;
        let i = self.heads[usize::from(k)];
        self.unlink(i, k);
        if k > order {
            self.split(i, k, order);
        }
        self.descs[i as usize] = PageDesc {
            state: PageState::Allocated { order },
            ..PageDesc::new()
        };
        self.used_blocks[usize::from(order)] += 1;
        self.free_pages -= 1 << order;
        self.allocations += 1;
        Ok(self.phys(i))
    }

    /// Frees the block at `phys` allocated with `order`, merging it with its
    /// free buddies; a single page goes on the page cache instead while it
    /// has room. Detects double frees, interior and reserved pages, wrong
    /// orders and still-mapped blocks; on error nothing changes.
    #[inline]
    pub fn free(&mut self, phys: u32, order: u8) -> Result<(), FrameError> {
        if order > MAX_ORDER {
            return Err(FrameError::BadOrder);
        }
        let i = self.index(phys).ok_or(FrameError::NotManaged)?;
        if !phys.is_multiple_of(PAGE_SIZE) {
            return Err(FrameError::Misaligned);
        }
        let d = self.descs[i];
        match d.state {
            PageState::Allocated { order: o } if o == order => {}
            PageState::Allocated { .. } => return Err(FrameError::WrongOrder),
            PageState::Free { .. } | PageState::Cached => return Err(FrameError::DoubleFree),
            PageState::Reserved => return Err(FrameError::Reserved),
            PageState::Tail => {
                return Err(match self.block_of(phys) {
                    Some((_, PageState::Free { .. })) => FrameError::DoubleFree,
                    _ => FrameError::NotAllocated,
                });
            }
        }
        if d.map_count != 0 {
            return Err(FrameError::StillMapped);
        }
        self.used_blocks[usize::from(order)] -= 1;
        self.free_pages += 1 << order;
        if order == 0 && self.cached < CACHE_PAGES {
            self.descs[i] = PageDesc {
                next: self.cache,
                state: PageState::Cached,
                ..PageDesc::new()
            };
            self.cache = i as u32;
            self.cached += 1;
        } else {
            self.insert_free(i as u32, order);
        }
        Ok(())
    }

    /// Merges every page of the page cache into the buddy lists (with its
    /// free buddies), leaving the cache empty: afterwards the free lists are
    /// those of an allocator without a cache, a function of which pages are
    /// free alone. O([`CACHE_PAGES`] × [`MAX_ORDER`]).
    pub fn drain_cache(&mut self) {
        while self.cache != NONE {
            let i = self.cache;
            self.cache = self.descs[i as usize].next;
            self.descs[i as usize].state = PageState::Tail;
            self.cached -= 1;
            self.insert_free(i, 0);
        }
    }

    /// Pages in the page cache now.
    pub fn cached_pages(&self) -> usize {
        self.cached as usize
    }

    /// Descriptor of the page holding `phys` (any address in the page).
    pub fn desc(&self, phys: u32) -> Option<&PageDesc> {
        self.index(phys).map(|i| &self.descs[i])
    }

    /// The block containing `phys`: its first page's address and state
    /// (`Free` or `Allocated`), or `None` for reserved or unmanaged pages.
    ///
    /// The block starts at the page's aligned start for one of the orders
    /// (only a block's first page carries its state), so it tries those:
    /// the page itself and the 1 MiB block first, the two common cases (a
    /// page allocated alone, a page inside a section-sized block: found in
    /// one or two steps), then the orders between. O(MAX_ORDER) at most.
    #[inline]
    pub fn block_of(&self, phys: u32) -> Option<(u32, PageState)> {
        let h = self.block_index(phys)?;
        Some((self.phys(h as u32), self.descs[h].state))
    }

    /// [`block_of`](Self::block_of) as the index of the block's first page.
    #[inline]
    fn block_index(&self, phys: u32) -> Option<usize> {
        let i = self.index(phys)?;
        // Order 0: the page itself.
        match self.descs[i].state {
            PageState::Free { .. } | PageState::Allocated { .. } | PageState::Cached => {
                return Some(i);
            }
            PageState::Reserved => return None,
            PageState::Tail => {}
        }
        let pfn = self.base_pfn + i as u32;
        let at = |k: u8| -> Option<usize> {
            let head = pfn & !((1 << k) - 1);
            let h = head.checked_sub(self.base_pfn)? as usize;
            match self.descs[h].state {
                PageState::Free { order } | PageState::Allocated { order }
                    if pfn - head < 1 << order =>
                {
                    Some(h)
                }
                _ => None,
            }
        };
        at(MAX_ORDER).or_else(|| (1..MAX_ORDER).find_map(at))
    }

    /// The reverse-map step of a map: counts one more translation-table
    /// entry mapping the allocated block that holds `phys` (any page of
    /// it), found and changed in one lookup. Returns the new count, or
    /// `None` (nothing changed) when `phys` is in no allocated block (device
    /// memory, reserved or free pages) or the count is at `u16::MAX`.
    #[inline]
    pub fn map_inc_block(&mut self, phys: u32) -> Option<u16> {
        let d = self.allocated_block(phys)?;
        d.map_count = d.map_count.checked_add(1)?;
        Some(d.map_count)
    }

    /// The reverse of [`map_inc_block`](Self::map_inc_block), after an
    /// unmap; `None` (nothing changed) also when the count is 0.
    #[inline]
    pub fn map_dec_block(&mut self, phys: u32) -> Option<u16> {
        let d = self.allocated_block(phys)?;
        d.map_count = d.map_count.checked_sub(1)?;
        Some(d.map_count)
    }

    /// [`map_inc_block`](Self::map_inc_block) (`up`) or
    /// [`map_dec_block`](Self::map_dec_block) for each frame of `pas` (a
    /// run mapped or unmapped at once): a frame that heads an allocated
    /// block (a memory object's page) is counted in place; any other is
    /// looked up as those do.
    pub fn map_count_run(&mut self, pas: &[u32], up: bool) {
        for &pa in pas {
            self.map_count_one(pa, up);
        }
    }

    /// One frame of [`map_count_run`](Self::map_count_run).
    #[inline]
    pub fn map_count_one(&mut self, pa: u32, up: bool) {
        match self.index(pa) {
            Some(i) if matches!(self.descs[i].state, PageState::Allocated { .. }) => {
                let d = &mut self.descs[i];
                let n = if up {
                    d.map_count.checked_add(1)
                } else {
                    d.map_count.checked_sub(1)
                };
                d.map_count = n.unwrap_or(d.map_count);
            }
            _ => {
                let _ = if up {
                    self.map_inc_block(pa)
                } else {
                    self.map_dec_block(pa)
                };
            }
        }
    }

    #[inline]
    fn allocated_block(&mut self, phys: u32) -> Option<&mut PageDesc> {
        let h = self.block_index(phys)?;
        let d = &mut self.descs[h];
        matches!(d.state, PageState::Allocated { .. }).then_some(d)
    }

    /// Sets the owner of the allocated block whose first page holds `phys`.
    pub fn set_owner(&mut self, phys: u32, owner: u16) -> Result<(), FrameError> {
        self.allocated_head(phys)?.owner = owner;
        Ok(())
    }

    /// Counts one more translation-table entry mapping the allocated block
    /// whose first page holds `phys`; returns the new count.
    pub fn map_inc(&mut self, phys: u32) -> Result<u16, FrameError> {
        let d = self.allocated_head(phys)?;
        d.map_count = d
            .map_count
            .checked_add(1)
            .ok_or(FrameError::MapCountOverflow)?;
        Ok(d.map_count)
    }

    /// Counts one translation-table entry fewer; returns the new count.
    pub fn map_dec(&mut self, phys: u32) -> Result<u16, FrameError> {
        let d = self.allocated_head(phys)?;
        d.map_count = d
            .map_count
            .checked_sub(1)
            .ok_or(FrameError::MapCountUnderflow)?;
        Ok(d.map_count)
    }

    /// Successful allocations since creation (monotonic).
    pub fn allocations(&self) -> u64 {
        self.allocations
    }

    /// Total free pages.
    pub fn free_pages(&self) -> usize {
        self.free_pages as usize
    }

    /// Number of free blocks of `order` (0 for a bad order): those on its
    /// free list, and for order 0 also the pages in the page cache.
    pub fn free_blocks(&self, order: u8) -> usize {
        let cached = if order == 0 { self.cached } else { 0 };
        self.free_blocks
            .get(usize::from(order))
            .map_or(0, |&n| (n + cached) as usize)
    }

    /// Number of allocated blocks of `order` (0 for a bad order).
    pub fn used_blocks(&self, order: u8) -> usize {
        self.used_blocks
            .get(usize::from(order))
            .map_or(0, |&n| n as usize)
    }

    /// Number of pages managed (reserved, free or allocated).
    pub fn total_pages(&self) -> usize {
        self.descs.len()
    }

    fn index(&self, phys: u32) -> Option<usize> {
        let i = (phys >> PAGE_SHIFT).checked_sub(self.base_pfn)? as usize;
        (i < self.descs.len()).then_some(i)
    }

    fn phys(&self, i: u32) -> u32 {
        (self.base_pfn + i) << PAGE_SHIFT
    }

    fn allocated_head(&mut self, phys: u32) -> Result<&mut PageDesc, FrameError> {
        let i = self.index(phys).ok_or(FrameError::NotManaged)?;
        let d = &mut self.descs[i];
        match d.state {
            PageState::Allocated { .. } => Ok(d),
            _ => Err(FrameError::NotAllocated),
        }
    }

    /// Puts the block at index `i` on the free lists, merging it with its buddy
    /// as long as the buddy is a free block of the same order.
    fn insert_free(&mut self, mut i: u32, mut order: u8) {
        while order < MAX_ORDER {
            // Buddies are computed on the physical frame number, not the index,
            // so that blocks stay aligned in physical memory.
            let buddy_pfn = (self.base_pfn + i) ^ (1 << order);
            let Some(b) = buddy_pfn.checked_sub(self.base_pfn) else {
                break;
            };
            let buddy_free = self
                .descs
                .get(b as usize)
                .is_some_and(|d| d.state == PageState::Free { order });
            if !buddy_free {
                break;
            }
            self.unlink(b, order);
            self.descs[i.max(b) as usize].state = PageState::Tail;
            i = i.min(b);
            order += 1;
        }
        self.push(i, order);
    }

    fn push(&mut self, i: u32, order: u8) {
        let k = usize::from(order);
        let next = self.heads[k];
        self.descs[i as usize] = PageDesc {
            next,
            state: PageState::Free { order },
            ..PageDesc::new()
        };
        if next != NONE {
            self.descs[next as usize].prev = i;
        }
        self.heads[k] = i;
        self.nonempty |= 1 << k;
        self.free_blocks[k] += 1;
    }

    /// Splits the block at `i` of order `k` down to `order`: the upper half
    /// of each split goes on the next list down, which is empty (`k` is the
    /// lowest non-empty order at or above `order`): no neighbour to link.
    /// Out of line: the common allocation finds a block of its own order.
    #[inline(never)]
    fn split(&mut self, i: u32, mut k: u8, order: u8) {
        while k > order {
            k -= 1;
            self.push_alone(i + (1 << k), k);
        }
    }

    /// [`push`](Self::push) onto the empty list of `order`.
    #[inline]
    fn push_alone(&mut self, i: u32, order: u8) {
        let k = usize::from(order);
        debug_assert_eq!(self.heads[k], NONE, "order {order} list not empty");
        self.descs[i as usize] = PageDesc {
            state: PageState::Free { order },
            ..PageDesc::new()
        };
        self.heads[k] = i;
        self.nonempty |= 1 << k;
        self.free_blocks[k] = 1;
    }

    fn unlink(&mut self, i: u32, order: u8) {
        let k = usize::from(order);
        let PageDesc { next, prev, .. } = self.descs[i as usize];
        if prev == NONE {
            self.heads[k] = next;
        } else {
            self.descs[prev as usize].next = next;
        }
        if next != NONE {
            self.descs[next as usize].prev = prev;
        }
        if self.heads[k] == NONE {
            self.nonempty &= !(1 << k);
        }
        self.free_blocks[k] -= 1;
    }

    /// Test-only full consistency check: O(pages).
    #[cfg(test)]
    fn check(&self) {
        let mut free_pages = 0;
        for k in 0..ORDERS {
            let (mut i, mut prev, mut n) = (self.heads[k], NONE, 0);
            while i != NONE {
                let d = &self.descs[i as usize];
                assert_eq!(d.state, PageState::Free { order: k as u8 });
                assert_eq!(d.prev, prev);
                assert_eq!((self.base_pfn + i) % (1 << k), 0, "misaligned block");
                (prev, i, n) = (i, d.next, n + 1);
            }
            assert_eq!(n, self.free_blocks[k]);
            assert_eq!(self.nonempty & (1 << k) != 0, n != 0);
            free_pages += n << k;
        }
        let (mut i, mut n) = (self.cache, 0);
        while i != NONE {
            assert_eq!(self.descs[i as usize].state, PageState::Cached);
            (i, n) = (self.descs[i as usize].next, n + 1);
        }
        assert_eq!(n, self.cached);
        assert!(n <= CACHE_PAGES);
        free_pages += n;
        assert_eq!(free_pages, self.free_pages);
        for i in 0..self.descs.len() {
            let phys = self.phys(i as u32);
            let reserved = self.descs[i].state == PageState::Reserved;
            assert_eq!(self.block_of(phys).is_none(), reserved, "page {phys:#x}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// Not 1 MiB-aligned: the first 1 MiB block starts at 0x6020_0000.
    const BASE: u32 = 0x6010_3000;
    const PAGES: usize = 1024;

    fn page(n: u32) -> u32 {
        BASE + n * PAGE_SIZE
    }

    fn counts(fa: &FrameAllocator) -> Vec<usize> {
        (0..=MAX_ORDER).map(|k| fa.free_blocks(k)).collect()
    }

    #[test]
    fn allocation_counter_only_grows() {
        let mut descs = vec![PageDesc::new(); PAGES];
        let mut fa = FrameAllocator::new(BASE, &mut descs).unwrap();
        fa.add_free_range(page(0), page(PAGES as u32)).unwrap();
        assert_eq!(fa.allocations(), 0);
        let a = fa.alloc(0).unwrap();
        fa.free(a, 0).unwrap();
        let b = fa.alloc(3).unwrap();
        assert_eq!(fa.alloc(MAX_ORDER + 1), Err(FrameError::BadOrder));
        // A freed block still counts; a failed request does not.
        assert_eq!(fa.allocations(), 2);
        fa.free(b, 3).unwrap();
        assert_eq!(fa.allocations(), 2);
    }

    #[test]
    fn unaligned_base_and_holes() {
        let mut descs = vec![PageDesc::new(); PAGES];
        let mut fa = FrameAllocator::new(BASE, &mut descs).unwrap();
        // Two ranges with a hole of 3 pages between them, in the MiB at
        // 0x6020_0000; the MiB blocks at 0x6030_0000 and 0x6040_0000 remain.
        fa.add_free_range(page(0), page(500)).unwrap();
        fa.add_free_range(page(503), page(PAGES as u32)).unwrap();
        fa.check();
        assert_eq!(fa.free_pages(), PAGES - 3);
        let (mb, mb2) = (fa.alloc(8).unwrap(), fa.alloc(8).unwrap());
        assert_eq!(mb.min(mb2), 0x6030_0000);
        assert_eq!(mb.max(mb2), 0x6040_0000);
        assert_eq!(fa.alloc(8), Err(FrameError::OutOfMemory));
        fa.free(mb2, 8).unwrap();
        let l1 = fa.alloc(2).unwrap();
        assert_eq!(l1 % 0x4000, 0);
        assert_eq!(fa.free(page(500), 0), Err(FrameError::Reserved));
        assert_eq!(
            fa.add_free_range(page(10), page(11)),
            Err(FrameError::NotReserved)
        );
        fa.free(l1, 2).unwrap();
        fa.free(mb, 8).unwrap();
        fa.check();
        assert_eq!(fa.free_pages(), PAGES - 3);
        // Filling the hole later coalesces with the neighbours.
        fa.add_free_range(page(500), page(503)).unwrap();
        fa.check();
        let mut descs2 = vec![PageDesc::new(); PAGES];
        let mut whole = FrameAllocator::new(BASE, &mut descs2).unwrap();
        whole.add_free_range(page(0), page(PAGES as u32)).unwrap();
        assert_eq!(counts(&fa), counts(&whole));
    }

    #[test]
    fn bad_frees_are_errors() {
        let mut descs = vec![PageDesc::new(); 64];
        let mut fa = FrameAllocator::new(0x4000_0000, &mut descs).unwrap();
        fa.add_free_range(0x4000_0000, 0x4003_0000).unwrap();
        let a = fa.alloc(2).unwrap();
        let b = fa.alloc(0).unwrap();
        assert_eq!(fa.free(a, 1), Err(FrameError::WrongOrder));
        assert_eq!(fa.free(a + PAGE_SIZE, 0), Err(FrameError::NotAllocated));
        assert_eq!(fa.free(a + 1, 2), Err(FrameError::Misaligned));
        assert_eq!(fa.free(0x3FFF_F000, 0), Err(FrameError::NotManaged));
        assert_eq!(fa.free(0x4004_0000, 0), Err(FrameError::NotManaged));
        assert_eq!(fa.free(0x4003_0000, 0), Err(FrameError::Reserved));
        assert_eq!(fa.free(a, 9), Err(FrameError::BadOrder));
        assert_eq!(fa.map_inc(a), Ok(1));
        assert_eq!(fa.free(a, 2), Err(FrameError::StillMapped));
        assert_eq!(fa.map_dec(a), Ok(0));
        assert_eq!(fa.map_dec(a), Err(FrameError::MapCountUnderflow));
        fa.set_owner(a, 7).unwrap();
        assert_eq!(fa.desc(a + 5).map(|d| d.owner()), Some(7));
        assert_eq!(
            fa.block_of(a + 3 * PAGE_SIZE + 9),
            Some((a, PageState::Allocated { order: 2 }))
        );
        fa.free(a, 2).unwrap();
        assert_eq!(fa.free(a, 2), Err(FrameError::DoubleFree));
        // `a + 1 page` is now inside a free block.
        assert_eq!(fa.free(a + PAGE_SIZE, 0), Err(FrameError::DoubleFree));
        assert_eq!(fa.set_owner(a, 1), Err(FrameError::NotAllocated));
        fa.free(b, 0).unwrap();
        fa.check();
        assert_eq!(fa.free_pages(), 48);
        assert_eq!(fa.used_blocks(0) + fa.used_blocks(2), 0);
    }

    #[test]
    fn map_count_overflow_and_limits() {
        let mut descs = vec![PageDesc::new(); 2];
        let mut fa = FrameAllocator::new(0xFFFF_E000, &mut descs).unwrap();
        fa.add_free_range(0xFFFF_E000, 0xFFFF_F000).unwrap();
        let p = fa.alloc(0).unwrap();
        for _ in 0..u16::MAX {
            fa.map_inc(p).unwrap();
        }
        assert_eq!(fa.map_inc(p), Err(FrameError::MapCountOverflow));
        assert_eq!(fa.alloc(0), Err(FrameError::OutOfMemory));
        let mut three = [PageDesc::new(); 3];
        assert!(FrameAllocator::new(0xFFFF_E000, &mut three).is_err());
        assert!(FrameAllocator::new(0x1000_0800, &mut three).is_err());
        assert_eq!(FrameAllocator::descs_needed(0x1001), 2);
        assert_eq!(size_of::<PageDesc>(), 16);
    }

    /// Expected free-list lengths for a fully coalesced free set: the greedy
    /// split of each free run into the largest aligned blocks.
    fn canonical(free: &[bool]) -> Vec<usize> {
        let mut n = vec![0; ORDERS];
        let mut i = 0;
        while i < free.len() {
            if !free[i] {
                i += 1;
                continue;
            }
            let pfn = (BASE >> PAGE_SHIFT) as usize + i;
            let mut k = pfn.trailing_zeros().min(MAX_ORDER.into()) as usize;
            while i + (1 << k) > free.len() || !free[i..i + (1 << k)].iter().all(|&f| f) {
                k -= 1;
            }
            n[k] += 1;
            i += 1 << k;
        }
        n
    }

    #[derive(Clone, Debug)]
    enum Op {
        Alloc(u8),
        Free(usize),
        /// An address picked by `kind` (0 random, 1 live block with another
        /// order, 2 tail page of a live block, 3 freed block) and an order.
        BadFree(u8, usize, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => prop_oneof![3 => 0u8..=2, 1 => 0u8..=MAX_ORDER + 1].prop_map(Op::Alloc),
            3 => any::<usize>().prop_map(Op::Free),
            2 => (0u8..4, any::<usize>(), 0u8..=MAX_ORDER + 1)
                .prop_map(|(k, n, o)| Op::BadFree(k, n, o)),
        ]
    }

    /// Disjoint page ranges `[start, end)` with random gaps, in random order.
    fn ranges() -> impl Strategy<Value = Vec<(u32, u32)>> {
        prop::collection::vec((0u32..40, 1u32..400), 1..6)
            .prop_map(|v| {
                let mut at = 0;
                let mut out = Vec::new();
                for (gap, len) in v {
                    let start = (at + gap).min(PAGES as u32);
                    at = (start + len).min(PAGES as u32);
                    out.push((start, at));
                }
                out
            })
            .prop_shuffle()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn model(ranges in ranges(), ops in prop::collection::vec(op(), 1..150)) {
            let mut descs = vec![PageDesc::new(); PAGES];
            let mut fa = FrameAllocator::new(BASE, &mut descs).unwrap();
            let mut added = vec![false; PAGES];
            for &(s, e) in &ranges {
                fa.add_free_range(page(s), page(e)).unwrap();
                added[s as usize..e as usize].fill(true);
            }
            fa.check();
            let initial = counts(&fa);
            prop_assert_eq!(&initial, &canonical(&added));
            let total = added.iter().filter(|&&a| a).count();

            let mut used = vec![false; PAGES];
            let mut live: Vec<(u32, u8)> = Vec::new();
            let mut dead: Vec<(u32, u8)> = Vec::new();
            for op in ops {
                match op {
                    Op::Alloc(order) => match fa.alloc(order) {
                        Ok(p) => {
                            prop_assert_eq!(p % (PAGE_SIZE << order), 0);
                            let first = ((p - BASE) / PAGE_SIZE) as usize;
                            for i in first..first + (1 << order) {
                                prop_assert!(added[i] && !used[i], "overlap at page {}", i);
                                used[i] = true;
                            }
                            live.push((p, order));
                        }
                        Err(FrameError::BadOrder) => prop_assert!(order > MAX_ORDER),
                        Err(FrameError::OutOfMemory) => {
                            prop_assert!((order..=MAX_ORDER).all(|k| fa.free_blocks(k) == 0));
                        }
                        Err(e) => prop_assert!(false, "unexpected {:?}", e),
                    },
                    Op::Free(n) if !live.is_empty() => {
                        let (p, order) = live.swap_remove(n % live.len());
                        prop_assert_eq!(fa.free(p, order), Ok(()));
                        let first = ((p - BASE) / PAGE_SIZE) as usize;
                        used[first..first + (1 << order)].fill(false);
                        dead.push((p, order));
                    }
                    Op::Free(_) => {}
                    Op::BadFree(kind, n, order) => {
                        let (addr, order) = match kind {
                            1 if !live.is_empty() => {
                                let (p, o) = live[n % live.len()];
                                (p, if order == o { o + 1 } else { order })
                            }
                            2 if !live.is_empty() => {
                                let (p, o) = live[n % live.len()];
                                (p + (n % (1 << o)) as u32 * PAGE_SIZE, order)
                            }
                            3 if !dead.is_empty() => dead[n % dead.len()],
                            // Anywhere from 16 pages below to 16 pages above.
                            _ => (BASE - 0x10000 + (n % (PAGES * 4096 + 0x20000)) as u32, order),
                        };
                        if live.contains(&(addr, order)) {
                            continue; // that would be a valid free
                        }
                        let before = (descs_snapshot(&fa), counts(&fa), fa.free_pages());
                        prop_assert!(fa.free(addr, order).is_err());
                        prop_assert_eq!(before, (descs_snapshot(&fa), counts(&fa), fa.free_pages()));
                    }
                }
                let live_pages: usize = live.iter().map(|&(_, o)| 1usize << o).sum();
                prop_assert_eq!(fa.free_pages() + live_pages, total);
                for k in 0..=MAX_ORDER {
                    prop_assert_eq!(fa.used_blocks(k), live.iter().filter(|b| b.1 == k).count());
                }
            }
            fa.check();
            for (p, order) in live {
                prop_assert_eq!(fa.free(p, order), Ok(()));
            }
            fa.check();
            prop_assert_eq!(fa.free_pages(), total);
            prop_assert!(fa.cached_pages() <= CACHE_PAGES as usize);
            // Drained, the lists are those of an allocator without a cache.
            fa.drain_cache();
            fa.check();
            prop_assert_eq!(fa.cached_pages(), 0);
            prop_assert_eq!(counts(&fa), initial);
        }
    }

    #[test]
    fn page_cache_reuses_pages_and_drains_when_a_block_is_wanted() {
        let mut descs = vec![PageDesc::new(); PAGES];
        let mut fa = FrameAllocator::new(BASE, &mut descs).unwrap();
        fa.add_free_range(page(0), page(PAGES as u32)).unwrap();
        let total = fa.free_pages();
        let start = counts(&fa);
        // A freed page is cached, counted free, and the next page taken.
        let a = fa.alloc(0).unwrap();
        let singles = fa.free_blocks(0);
        fa.free(a, 0).unwrap();
        assert_eq!(fa.desc(a).unwrap().state(), PageState::Cached);
        assert_eq!((fa.cached_pages(), fa.free_pages()), (1, total));
        assert_eq!(fa.free_blocks(0), singles + 1);
        assert_eq!(fa.free(a, 0), Err(FrameError::DoubleFree));
        assert_eq!(fa.map_inc(a), Err(FrameError::NotAllocated));
        assert_eq!(fa.alloc(0), Ok(a));
        assert_eq!(fa.cached_pages(), 0);
        // The cache holds CACHE_PAGES; the next free goes to the lists.
        let pages: Vec<u32> = (0..CACHE_PAGES + 1).map(|_| fa.alloc(0).unwrap()).collect();
        fa.free(a, 0).unwrap();
        for &p in &pages {
            fa.free(p, 0).unwrap();
        }
        assert_eq!(fa.cached_pages(), CACHE_PAGES as usize);
        assert_eq!(fa.free_pages(), total);
        fa.check();
        // Take every 1 MiB block: what is left free is the cached pages
        // and what their allocation split off. Then 1 MiB blocks can only
        // come from merging the cache.
        let mut held = Vec::new();
        while let Ok(p) = fa.alloc(MAX_ORDER) {
            held.push(p);
        }
        fa.check();
        assert_eq!(fa.cached_pages(), 0, "drained when no block was left");
        assert_eq!(fa.free_pages(), total - (held.len() << MAX_ORDER));
        for p in held {
            fa.free(p, MAX_ORDER).unwrap();
        }
        fa.check();
        assert_eq!(counts(&fa), start);
    }

    /// [`FrameAllocator::with_free_ranges`] over `PAGES` pages at `BASE`.
    fn one_pass(ranges: &[(u32, u32)]) -> Result<(Vec<PageDesc>, Vec<usize>, usize), FrameError> {
        let mut mem = vec![MaybeUninit::<PageDesc>::uninit(); PAGES];
        let fa = FrameAllocator::with_free_ranges(BASE, &mut mem, ranges)?;
        fa.check();
        Ok((descs_snapshot(&fa), counts(&fa), fa.free_pages()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// One pass builds exactly what `new` and `add_free_range` build.
        #[test]
        fn one_pass_equals_range_by_range(mut ranges in ranges()) {
            ranges.sort_unstable();
            let mut descs = vec![PageDesc::new(); PAGES];
            let mut fa = FrameAllocator::new(BASE, &mut descs).unwrap();
            for &(s, e) in &ranges {
                fa.add_free_range(page(s), page(e)).unwrap();
            }
            let want = (descs_snapshot(&fa), counts(&fa), fa.free_pages());
            let byte_ranges: Vec<(u32, u32)> =
                ranges.iter().map(|&(s, e)| (page(s), page(e))).collect();
            prop_assert_eq!(one_pass(&byte_ranges).unwrap(), want);
        }
    }

    #[test]
    fn one_pass_refuses_bad_ranges() {
        let p = |a: u32, b: u32| (page(a), page(b));
        assert_eq!(
            one_pass(&[p(5, 9), p(2, 4)]).unwrap_err(),
            FrameError::NotReserved
        );
        assert_eq!(
            one_pass(&[p(2, 9), p(8, 12)]).unwrap_err(),
            FrameError::NotReserved
        );
        assert_eq!(one_pass(&[p(4, 2)]).unwrap_err(), FrameError::BadRange);
        assert_eq!(
            one_pass(&[(page(1) + 8, page(3))]).unwrap_err(),
            FrameError::Misaligned
        );
        assert_eq!(
            one_pass(&[p(0, PAGES as u32 + 1)]).unwrap_err(),
            FrameError::NotManaged
        );
        assert_eq!(
            one_pass(&[(BASE - PAGE_SIZE, page(1))]).unwrap_err(),
            FrameError::NotManaged
        );
        // Adjacent ranges and empty ones are fine: they coalesce like one
        // (same blocks; the lists may be linked in another order).
        let blocks = |r: &[(u32, u32)]| {
            let (descs, counts, free) = one_pass(r).unwrap();
            let states: Vec<PageState> = descs.iter().map(|d| d.state()).collect();
            (states, counts, free)
        };
        assert!(
            blocks(&[p(0, 300), p(300, 300), p(300, PAGES as u32)])
                == blocks(&[p(0, PAGES as u32)])
        );
        let mut mem = vec![MaybeUninit::<PageDesc>::uninit(); 4];
        assert_eq!(
            FrameAllocator::with_free_ranges(BASE + 1, &mut mem, &[]).err(),
            Some(FrameError::Misaligned)
        );
    }

    /// The walk `block_of` used to do: up from the page, order by order.
    fn block_by_walk(fa: &FrameAllocator, phys: u32) -> Option<(u32, PageState)> {
        let pfn = phys >> PAGE_SHIFT;
        for k in 0..=MAX_ORDER {
            let head = pfn & !((1 << k) - 1);
            let i = (head << PAGE_SHIFT).checked_sub(BASE)? >> PAGE_SHIFT;
            match fa.descs[i as usize].state {
                st @ (PageState::Free { order } | PageState::Allocated { order })
                    if pfn - head < 1 << order =>
                {
                    return Some((head << PAGE_SHIFT, st));
                }
                PageState::Reserved if k == 0 => return None,
                PageState::Cached if k == 0 => {
                    return Some((head << PAGE_SHIFT, PageState::Cached));
                }
                _ => {}
            }
        }
        None
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// `block_of` finds, for every page, the block the walk finds.
        #[test]
        fn block_of_equals_the_walk(
            ranges in ranges(),
            orders in prop::collection::vec(0u8..=MAX_ORDER, 0..40),
            frees in prop::collection::vec(any::<bool>(), 40),
        ) {
            let mut descs = vec![PageDesc::new(); PAGES];
            let mut fa = FrameAllocator::new(BASE, &mut descs).unwrap();
            for &(s, e) in &ranges {
                fa.add_free_range(page(s), page(e)).unwrap();
            }
            let live: Vec<(u32, u8)> =
                orders.iter().filter_map(|&o| fa.alloc(o).ok().map(|p| (p, o))).collect();
            for (&(p, o), &f) in live.iter().zip(&frees) {
                if f {
                    fa.free(p, o).unwrap();
                }
            }
            for i in 0..PAGES as u32 {
                prop_assert_eq!(fa.block_of(page(i) + 7), block_by_walk(&fa, page(i)));
            }
            // The one-lookup reverse-map counts change the count of the
            // block the walk finds, and only for allocated blocks.
            for i in 0..PAGES as u32 {
                let block = block_by_walk(&fa, page(i));
                let before = block.map(|(h, _)| fa.desc(h).unwrap().map_count());
                let up = fa.map_inc_block(page(i) + 7);
                match block {
                    Some((h, PageState::Allocated { .. })) => {
                        prop_assert_eq!(up, Some(before.unwrap() + 1));
                        prop_assert_eq!(fa.desc(h).unwrap().map_count(), before.unwrap() + 1);
                        prop_assert_eq!(fa.map_dec_block(page(i)), before);
                    }
                    _ => {
                        prop_assert_eq!(up, None);
                        prop_assert_eq!(fa.map_dec_block(page(i)), None);
                    }
                }
            }
            // A run counted at once is each page counted alone: every
            // page up, each allocated block's count rises by its pages in
            // the run; down again, every descriptor is as it was.
            let before = descs_snapshot(&fa);
            let run: Vec<u32> = (0..PAGES as u32).map(|i| page(i) + 7).collect();
            fa.map_count_run(&run, true);
            let mut want: Vec<u16> = before.iter().map(|d| d.map_count()).collect();
            for i in 0..PAGES as u32 {
                if let Some((h, PageState::Allocated { .. })) = block_by_walk(&fa, page(i)) {
                    want[fa.index(h).unwrap()] += 1;
                }
            }
            let got: Vec<u16> = descs_snapshot(&fa).iter().map(|d| d.map_count()).collect();
            prop_assert_eq!(got, want);
            fa.map_count_run(&run, false);
            prop_assert_eq!(descs_snapshot(&fa), before);
        }
    }

    fn descs_snapshot(fa: &FrameAllocator) -> Vec<PageDesc> {
        fa.descs.to_vec()
    }
}
#[cfg(test)]
mod boot_like {
    use super::*;
    #[test]
    fn vexpress_layout() {
        let n = FrameAllocator::descs_needed(256 << 20);
        let descs = std::vec![PageDesc::new(); n].leak();
        let mut f = FrameAllocator::new(0x6000_0000, descs).unwrap();
        f.add_free_range(0x6000_0000, 0x6010_0000).unwrap();
        f.add_free_range(0x6022_2000, 0x7000_0000).unwrap();
        std::println!("{}", f.free_pages());
    }
}
