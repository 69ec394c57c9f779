//! Zone allocator: O(1) allocation of fixed-size kernel objects from 4 KiB slabs.
//!
//! A [`Zone`] serves objects of one size and alignment (L2 tables, mapping
//! entries, thread control blocks). Each slab is one page from a
//! [`PageSource`], with its header at the start of the page, so the slab of an
//! object is found by masking its address instead of searching. Free objects
//! are linked through their first two bytes (an object index); objects past a
//! bump index were never handed out and are not linked at all, so a new slab
//! costs O(1) too. Slabs with free objects sit on a doubly-linked list, so
//! alloc takes the first one and a free can unlink any slab in O(1).
//!
//! The header also holds a bitmap of allocated objects and the zone's identity
//! (a magic value, the zone's id and the page's own address), which let `free`
//! return an error for a double free, an interior pointer or another zone's
//! pointer instead of corrupting the free lists.
//!
//! Real-time tasks call [`Zone::reserve`] at admission and then use
//! [`Zone::alloc_reserved`] / [`Zone::free_reserved`], which take no page
//! source: the type system shows they never allocate or release pages.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering};

/// Size and alignment of a slab: one page.
pub const SLAB_SIZE: usize = 4096;

const OFFSET_MASK: usize = SLAB_SIZE - 1;
const MAGIC: u32 = 0x7A6F_6E65; // "zone"
/// End of a slab's free list.
const NO_OBJ: u16 = u16::MAX;

static NEXT_ZONE_ID: AtomicU32 = AtomicU32::new(1);

/// Where zones get their slab pages; the kernel implements it over the frame
/// allocator. A zone must be given the same source for its whole life.
///
/// # Safety
///
/// A page returned by `alloc_page` must be 4 KiB-aligned, readable and
/// writable for 4096 bytes, and used by nothing else until it is handed back
/// through `free_page`.
pub unsafe trait PageSource {
    /// A fresh 4 KiB page (its virtual address), or `None` when out of memory.
    fn alloc_page(&mut self) -> Option<NonNull<u8>>;
    /// Takes back a page that `alloc_page` returned.
    fn free_page(&mut self, page: NonNull<u8>);
}

/// Why a zone call failed. A failed call changes nothing (but see
/// [`ZoneError::Corrupted`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneError {
    /// `Zone::new` with an object size of 0.
    ZeroSize,
    /// `Zone::new` with an alignment that is not a power of two.
    BadAlign,
    /// `Zone::new`: not one object fits in a slab beside its header;
    /// `reserve`: the reservation would overflow.
    TooLarge,
    /// The page source had no page.
    OutOfPages,
    /// The page source returned a page that is not 4 KiB-aligned (it was given
    /// back).
    BadPage,
    /// The pointer is not in a slab of this zone.
    NotOurs,
    /// The pointer is in a slab of this zone but not at the start of an object.
    NotObject,
    /// The object is not allocated: freed twice, or never handed out.
    DoubleFree,
    /// `alloc_reserved` or `unreserve` beyond the current reservation.
    NotReserved,
    /// A free object's link was overwritten (a write after free); alloc
    /// refuses to follow it. The counters stay right, but `alloc` may already
    /// have added an empty slab.
    Corrupted,
}

/// Start of every slab page; the allocation bitmap (`u32` words) follows it.
#[repr(C)]
struct SlabHeader {
    magic: u32,
    zone_id: u32,
    /// The page's own address: a header copied elsewhere does not validate.
    page: usize,
    /// Links on the partial list (both) or the empty list (`next` only).
    next: Option<Slab>,
    prev: Option<Slab>,
    free_head: u16,
    /// Objects at or past `bump` have never been allocated.
    bump: u16,
    in_use: u16,
}

type Slab = NonNull<SlabHeader>;

/// Allocator of objects of one size and alignment.
///
/// Invariants: slabs on the partial list have objects both in use and free,
/// slabs on the empty list have none in use, full slabs are on no list, and
/// `capacity() - in_use() >= reserved()`.
///
/// Dropping a zone that still has slabs leaks their pages: free every object,
/// `unreserve` and [`Zone::shrink`] first.
pub struct Zone {
    id: u32,
    obj_size: usize,
    stride: usize,
    /// Offset of object 0 in a slab.
    first: usize,
    per_slab: usize,
    bitmap_words: usize,
    partial: Option<Slab>,
    empty: Option<Slab>,
    n_empty: usize,
    slabs: usize,
    in_use: usize,
    reserved: usize,
}

// SAFETY: a zone exclusively owns its slab pages (the raw pointers only link
// them); moving it to another CPU moves that ownership along.
unsafe impl Send for Zone {}

impl Zone {
    /// A zone of objects of `obj_size` bytes aligned to `align`. Objects are
    /// padded to a multiple of `align` and to at least 2 bytes.
    pub fn new(obj_size: usize, align: usize) -> Result<Zone, ZoneError> {
        if obj_size == 0 {
            return Err(ZoneError::ZeroSize);
        }
        if !align.is_power_of_two() {
            return Err(ZoneError::BadAlign);
        }
        if obj_size > SLAB_SIZE || align > SLAB_SIZE {
            return Err(ZoneError::TooLarge);
        }
        let stride = obj_size.max(2).next_multiple_of(align);
        let hdr = size_of::<SlabHeader>();
        // The bitmap's size depends on the object count and vice versa: start
        // with the count ignoring the bitmap and lower it until all fits.
        let mut per_slab = (SLAB_SIZE - hdr) / stride;
        let first = loop {
            if per_slab == 0 {
                return Err(ZoneError::TooLarge);
            }
            let first = (hdr + per_slab.div_ceil(32) * 4).next_multiple_of(align);
            if first + per_slab * stride <= SLAB_SIZE {
                break first;
            }
            per_slab -= 1;
        };
        Ok(Zone {
            id: NEXT_ZONE_ID.fetch_add(1, Ordering::Relaxed),
            obj_size,
            stride,
            first,
            per_slab,
            bitmap_words: per_slab.div_ceil(32),
            partial: None,
            empty: None,
            n_empty: 0,
            slabs: 0,
            in_use: 0,
            reserved: 0,
        })
    }

    /// Allocates an object (contents unspecified). Takes a page from `src`
    /// only when no free object is left outside the reservation.
    pub fn alloc(&mut self, src: &mut dyn PageSource) -> Result<NonNull<u8>, ZoneError> {
        #[cfg(all(feature = "fault-inject", target_os = "none"))]
        if crate::mm::inject::should_fail(crate::mm::inject::Site::Zone) {
            return Err(ZoneError::OutOfPages);
        }
        if self.capacity() - self.in_use <= self.reserved {
            let s = self.new_slab(src)?;
            // SAFETY: `s` was just initialised and is on no list.
            unsafe { self.push_empty(s) };
        }
        self.take()
    }

    /// Allocates an object out of the reservation; never touches the page
    /// source.
    pub fn alloc_reserved(&mut self) -> Result<NonNull<u8>, ZoneError> {
        if self.reserved == 0 {
            return Err(ZoneError::NotReserved);
        }
        let obj = self.take()?;
        self.reserved -= 1;
        Ok(obj)
    }

    /// Frees an object. If that empties its slab, the page goes back to `src`
    /// unless the reservation needs it or it would be the only cached empty
    /// slab: keeping one empty slab stops an alloc/free pair at a slab
    /// boundary from calling the page allocator every time, for at most one
    /// idle page per zone.
    ///
    /// # Safety
    ///
    /// The 4 KiB page containing `obj` must be readable, initialised memory
    /// (in the kernel: any page of the direct-mapped RAM). Anything else wrong
    /// with `obj` (another zone's object, an interior pointer, a double free)
    /// is detected and returned as an error.
    pub unsafe fn free(
        &mut self,
        obj: NonNull<u8>,
        src: &mut dyn PageSource,
    ) -> Result<(), ZoneError> {
        // SAFETY: forwarded from the caller.
        let Some(s) = (unsafe { self.put(obj) })? else {
            return Ok(());
        };
        let spare = self.capacity() - self.in_use - self.per_slab >= self.reserved;
        if spare && self.n_empty > 0 {
            self.release(s, src);
        } else {
            // SAFETY: `put` returned `s` emptied and on no list.
            unsafe { self.push_empty(s) };
        }
        Ok(())
    }

    /// Frees an object and adds its slot to the reservation; never touches
    /// the page source.
    ///
    /// # Safety
    ///
    /// As for [`Zone::free`].
    pub unsafe fn free_reserved(&mut self, obj: NonNull<u8>) -> Result<(), ZoneError> {
        // SAFETY: forwarded from the caller.
        let emptied = unsafe { self.put(obj) }?;
        if let Some(s) = emptied {
            // SAFETY: `put` returned `s` emptied and on no list.
            unsafe { self.push_empty(s) };
        }
        self.reserved += 1;
        Ok(())
    }

    /// Reserves `n` more objects, taking pages from `src` now so that
    /// `alloc_reserved` never needs one. O(n / objects_per_slab). On failure
    /// the pages taken are given back and the reservation is unchanged.
    pub fn reserve(&mut self, n: usize, src: &mut dyn PageSource) -> Result<(), ZoneError> {
        let want = self.reserved.checked_add(n).ok_or(ZoneError::TooLarge)?;
        let mut added = 0;
        while self.capacity() - self.in_use < want {
            match self.new_slab(src) {
                Ok(s) => {
                    // SAFETY: `s` was just initialised and is on no list.
                    unsafe { self.push_empty(s) };
                    added += 1;
                }
                Err(e) => {
                    // The slabs just added are the first `added` empty ones.
                    for _ in 0..added {
                        if let Some(s) = self.pop_empty() {
                            self.release(s, src);
                        }
                    }
                    return Err(e);
                }
            }
        }
        self.reserved = want;
        Ok(())
    }

    /// Gives back `n` reserved objects (their slabs stay until [`Zone::shrink`]
    /// or later frees release them).
    pub fn unreserve(&mut self, n: usize) -> Result<(), ZoneError> {
        self.reserved = self.reserved.checked_sub(n).ok_or(ZoneError::NotReserved)?;
        Ok(())
    }

    /// Returns every empty slab the reservation does not need to `src`;
    /// returns how many. O(empty slabs), not for real-time paths.
    pub fn shrink(&mut self, src: &mut dyn PageSource) -> usize {
        let mut n = 0;
        while self.capacity() - self.in_use - self.reserved >= self.per_slab {
            let Some(s) = self.pop_empty() else { break };
            self.release(s, src);
            n += 1;
        }
        n
    }

    /// Objects currently allocated.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    /// Slab pages held.
    pub fn slabs(&self) -> usize {
        self.slabs
    }

    /// Objects the held slabs can hold (`slabs() * objects_per_slab()`).
    pub fn capacity(&self) -> usize {
        self.slabs * self.per_slab
    }

    /// Objects reserved and not yet taken with `alloc_reserved`.
    pub fn reserved(&self) -> usize {
        self.reserved
    }

    /// Objects per slab.
    pub fn objects_per_slab(&self) -> usize {
        self.per_slab
    }

    /// Object size requested at creation.
    pub fn object_size(&self) -> usize {
        self.obj_size
    }

    /// Takes a free object; the caller made sure one exists.
    fn take(&mut self) -> Result<NonNull<u8>, ZoneError> {
        let s = match self.partial {
            Some(s) => s,
            None => {
                let s = self.pop_empty().ok_or(ZoneError::OutOfPages)?;
                // SAFETY: `pop_empty` unlinked `s`; it is ours and on no list.
                unsafe {
                    // All its objects are free: restart its free list from
                    // scratch, which also drops any link scribbled after free.
                    let h = header(s);
                    h.free_head = NO_OBJ;
                    h.bump = 0;
                    self.push_partial(s);
                }
                s
            }
        };
        // SAFETY: slabs on the partial list are ours; the header, the bitmap
        // and a free object's link are disjoint parts of the page, and no
        // other reference into this slab is alive.
        unsafe {
            let h = header(s);
            let map = bitmap(s, self.bitmap_words);
            let idx = if h.free_head == NO_OBJ {
                h.bump += 1;
                h.bump - 1
            } else {
                let idx = h.free_head;
                let next = self.link(s, idx);
                let valid = next == NO_OBJ || (next < h.bump && next != idx && !bit(map, next));
                if !valid {
                    return Err(ZoneError::Corrupted);
                }
                h.free_head = next;
                idx
            };
            map[usize::from(idx) / 32] |= 1 << (idx % 32);
            h.in_use += 1;
            self.in_use += 1;
            if usize::from(h.in_use) == self.per_slab {
                // A full slab leaves the partial list; it is the head.
                self.partial = h.next;
                if let Some(n) = h.next {
                    header(n).prev = None;
                }
            }
            Ok(self.object(s, idx))
        }
    }

    /// Validates and frees `obj`; returns its slab if that is now empty (and
    /// then on no list).
    ///
    /// # Safety
    ///
    /// As for [`Zone::free`].
    unsafe fn put(&mut self, obj: NonNull<u8>) -> Result<Option<Slab>, ZoneError> {
        let offset = obj.addr().get() & OFFSET_MASK;
        let s = NonNull::new(obj.as_ptr().map_addr(|a| a & !OFFSET_MASK))
            .ok_or(ZoneError::NotOurs)?
            .cast::<SlabHeader>();
        // SAFETY: the caller guarantees the page is readable and initialised;
        // a page start is aligned for `SlabHeader`, and every bit pattern is a
        // valid `SlabHeader` (integers and nullable pointers).
        let copy = unsafe { s.read() };
        if copy.magic != MAGIC || copy.zone_id != self.id || copy.page != s.addr().get() {
            return Err(ZoneError::NotOurs);
        }
        let rel = offset.checked_sub(self.first).ok_or(ZoneError::NotObject)?;
        if rel % self.stride != 0 || rel / self.stride >= self.per_slab {
            return Err(ZoneError::NotObject);
        }
        let idx = (rel / self.stride) as u16;
        // SAFETY: the identity check proved `s` is one of our slabs (our
        // headers are only ever written by this zone); no other reference into
        // it is alive.
        unsafe {
            let h = header(s);
            let map = bitmap(s, self.bitmap_words);
            if !bit(map, idx) {
                return Err(ZoneError::DoubleFree);
            }
            map[usize::from(idx) / 32] &= !(1 << (idx % 32));
            self.set_link(s, idx, h.free_head);
            h.free_head = idx;
            let was_full = usize::from(h.in_use) == self.per_slab;
            h.in_use -= 1;
            self.in_use -= 1;
            let empty = h.in_use == 0;
            match (was_full, empty) {
                (true, false) => self.push_partial(s),
                (false, true) => self.unlink_partial(s),
                _ => {}
            }
            Ok(empty.then_some(s))
        }
    }

    /// A new, empty slab (on no list) from `src`.
    fn new_slab(&mut self, src: &mut dyn PageSource) -> Result<Slab, ZoneError> {
        let page = src.alloc_page().ok_or(ZoneError::OutOfPages)?;
        if page.addr().get() & OFFSET_MASK != 0 {
            src.free_page(page);
            return Err(ZoneError::BadPage);
        }
        let s = page.cast::<SlabHeader>();
        // SAFETY: the `PageSource` contract gives us this page, 4 KiB-aligned
        // (checked) and writable; `new` sized header + bitmap to fit in it.
        unsafe {
            s.write(SlabHeader {
                magic: MAGIC,
                zone_id: self.id,
                page: page.addr().get(),
                next: None,
                prev: None,
                free_head: NO_OBJ,
                bump: 0,
                in_use: 0,
            });
            bitmap(s, self.bitmap_words).fill(0);
        }
        self.slabs += 1;
        Ok(s)
    }

    /// Returns an empty slab on no list to `src`.
    fn release(&mut self, s: Slab, src: &mut dyn PageSource) {
        // SAFETY: `s` is one of our slabs; clearing the magic makes stale
        // pointers into the page fail validation once it is reused.
        unsafe { header(s).magic = 0 };
        self.slabs -= 1;
        src.free_page(s.cast());
    }

    /// Unlinks the first empty slab.
    fn pop_empty(&mut self) -> Option<Slab> {
        let s = self.empty?;
        // SAFETY: slabs on the empty list are ours.
        self.empty = unsafe { header(s).next };
        self.n_empty -= 1;
        Some(s)
    }

    /// # Safety
    ///
    /// `s` must be one of this zone's slabs, empty and on no list.
    unsafe fn push_empty(&mut self, s: Slab) {
        // SAFETY: guaranteed by the caller.
        unsafe { header(s).next = self.empty };
        self.empty = Some(s);
        self.n_empty += 1;
    }

    /// # Safety
    ///
    /// `s` must be one of this zone's slabs and on no list.
    unsafe fn push_partial(&mut self, s: Slab) {
        // SAFETY: `s` and the old head are ours and distinct.
        unsafe {
            let h = header(s);
            h.prev = None;
            h.next = self.partial;
            if let Some(n) = self.partial {
                header(n).prev = Some(s);
            }
        }
        self.partial = Some(s);
    }

    /// # Safety
    ///
    /// `s` must be one of this zone's slabs, on the partial list.
    unsafe fn unlink_partial(&mut self, s: Slab) {
        // SAFETY: `s` and its neighbours are our slabs, all distinct.
        unsafe {
            let (prev, next) = (header(s).prev, header(s).next);
            match prev {
                Some(p) => header(p).next = next,
                None => self.partial = next,
            }
            if let Some(n) = next {
                header(n).prev = prev;
            }
        }
    }

    /// Address of object `idx` of slab `s`.
    fn object(&self, s: Slab, idx: u16) -> NonNull<u8> {
        debug_assert!(usize::from(idx) < self.per_slab);
        // SAFETY: `first + idx * stride < SLAB_SIZE` for `idx < per_slab`, so
        // the result stays inside the slab page.
        unsafe {
            s.cast::<u8>()
                .add(self.first + usize::from(idx) * self.stride)
        }
    }

    /// The free-list link stored in free object `idx`.
    ///
    /// # Safety
    ///
    /// `s` must be one of this zone's slabs and `idx < per_slab`.
    unsafe fn link(&self, s: Slab, idx: u16) -> u16 {
        // SAFETY: the object is inside our page and at least 2 bytes long;
        // unaligned because objects may be 1-aligned.
        unsafe { self.object(s, idx).cast::<u16>().read_unaligned() }
    }

    /// # Safety
    ///
    /// `s` must be one of this zone's slabs and object `idx` free.
    unsafe fn set_link(&self, s: Slab, idx: u16, next: u16) {
        // SAFETY: as for `link`; a free object belongs to the zone.
        unsafe { self.object(s, idx).cast::<u16>().write_unaligned(next) }
    }
}

/// # Safety
///
/// `s` must be a slab header this zone initialised and still owns, and no
/// other reference to that header may be alive while the result is.
unsafe fn header<'a>(s: Slab) -> &'a mut SlabHeader {
    // SAFETY: guaranteed by the caller.
    unsafe { &mut *s.as_ptr() }
}

/// The allocation bitmap that follows the header.
///
/// # Safety
///
/// As for [`header`], for the bitmap; `words` is the zone's bitmap length.
unsafe fn bitmap<'a>(s: Slab, words: usize) -> &'a mut [u32] {
    // SAFETY: `Zone::new` reserved `words` words after the header; the header
    // size is a multiple of its (>= 4-byte) alignment, so they are aligned.
    unsafe { core::slice::from_raw_parts_mut(s.as_ptr().add(1).cast::<u32>(), words) }
}

fn bit(map: &[u32], idx: u16) -> bool {
    map[usize::from(idx) / 32] & (1 << (idx % 32)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::alloc::{Layout, alloc, dealloc};
    use std::vec::Vec;

    const PAGE: Layout = match Layout::from_size_align(4096, 4096) {
        Ok(l) => l,
        Err(_) => panic!(),
    };

    /// Host page source. Returned pages are kept (not deallocated) until the
    /// source is dropped, so tests may still probe stale pointers into them.
    struct Pages {
        live: Vec<NonNull<u8>>,
        returned: Vec<NonNull<u8>>,
        limit: usize,
        calls: usize,
    }

    impl Pages {
        fn new(limit: usize) -> Self {
            Pages {
                live: Vec::new(),
                returned: Vec::new(),
                limit,
                calls: 0,
            }
        }
    }

    // SAFETY: pages come from `alloc` with a 4096/4096 layout, are filled and
    // handed out once, and are only deallocated when the source is dropped.
    unsafe impl PageSource for Pages {
        fn alloc_page(&mut self) -> Option<NonNull<u8>> {
            self.calls += 1;
            if self.live.len() >= self.limit {
                return None;
            }
            // SAFETY: the layout has a non-zero size.
            let p = NonNull::new(unsafe { alloc(PAGE) })?;
            // SAFETY: `p` is a fresh 4096-byte allocation; garbage-fill it so
            // the zone cannot rely on zeroed pages.
            unsafe { p.write_bytes(0xA5, 4096) };
            self.live.push(p);
            Some(p)
        }

        fn free_page(&mut self, page: NonNull<u8>) {
            self.calls += 1;
            let i = self
                .live
                .iter()
                .position(|&p| p == page)
                .expect("foreign page");
            self.returned.push(self.live.swap_remove(i));
        }
    }

    impl Drop for Pages {
        fn drop(&mut self) {
            for &p in self.live.iter().chain(&self.returned) {
                // SAFETY: allocated in `alloc_page` with `PAGE`, freed once.
                unsafe { dealloc(p.as_ptr(), PAGE) };
            }
        }
    }

    #[test]
    fn new_checks_and_sizes() {
        assert_eq!(Zone::new(0, 8).err(), Some(ZoneError::ZeroSize));
        assert_eq!(Zone::new(8, 3).err(), Some(ZoneError::BadAlign));
        assert_eq!(Zone::new(4096, 8).err(), Some(ZoneError::TooLarge));
        assert_eq!(Zone::new(8, 4096).err(), Some(ZoneError::TooLarge));
        assert_eq!(Zone::new(4090, 1).err(), Some(ZoneError::TooLarge));
        assert_eq!(Zone::new(2048, 2048).unwrap().objects_per_slab(), 1);
        // 1 KiB L2 tables: the header costs one table per page.
        assert_eq!(Zone::new(1024, 1024).unwrap().objects_per_slab(), 3);
        assert_eq!(Zone::new(2048, 8).unwrap().objects_per_slab(), 1);
        assert!(Zone::new(1, 1).unwrap().objects_per_slab() > 1900);
        assert_eq!(Zone::new(64, 64).unwrap().objects_per_slab(), 63);
    }

    #[test]
    fn full_slabs_keep_header_and_objects_apart() {
        for (size, align) in [
            (1, 1),
            (2, 2),
            (3, 1),
            (24, 8),
            (64, 64),
            (100, 4),
            (1024, 1024),
        ] {
            let mut src = Pages::new(2);
            let mut z = Zone::new(size, align).unwrap();
            let n = 2 * z.objects_per_slab();
            let objs: Vec<_> = (0..n).map(|_| z.alloc(&mut src).unwrap()).collect();
            assert_eq!(z.alloc(&mut src), Err(ZoneError::OutOfPages));
            let meta = size_of::<SlabHeader>() + 4 * z.bitmap_words;
            for (i, o) in objs.iter().enumerate() {
                let off = o.addr().get() & OFFSET_MASK;
                assert!(off >= meta && off + size <= SLAB_SIZE && off.is_multiple_of(align));
                // SAFETY: `o` is a live object of `size` bytes.
                unsafe { o.write_bytes(i as u8, size) };
            }
            for (i, &o) in objs.iter().enumerate().rev() {
                // SAFETY: `o` is a live object of `size` bytes from `z`.
                unsafe {
                    let bytes = core::slice::from_raw_parts(o.as_ptr(), size);
                    assert!(bytes.iter().all(|&b| b == i as u8));
                    z.free(o, &mut src).unwrap();
                }
            }
            assert_eq!((z.in_use(), z.slabs()), (0, 1));
        }
    }

    #[test]
    fn bad_frees_and_page_return() {
        let mut src = Pages::new(100);
        let mut z = Zone::new(100, 16).unwrap();
        let mut other = Zone::new(100, 16).unwrap();
        let a = z.alloc(&mut src).unwrap();
        let b = z.alloc(&mut src).unwrap();
        let o = other.alloc(&mut src).unwrap();
        assert_eq!(a.addr().get() % 16, 0);
        // SAFETY: every pointer freed here points into a live page of `src`.
        unsafe {
            assert_eq!(z.free(o, &mut src), Err(ZoneError::NotOurs));
            assert_eq!(z.free(a.add(1), &mut src), Err(ZoneError::NotObject));
            let page = NonNull::new(a.as_ptr().map_addr(|x| x & !0xFFF)).unwrap();
            assert_eq!(z.free(page, &mut src), Err(ZoneError::NotObject));
            assert_eq!(z.free(page.add(4095), &mut src), Err(ZoneError::NotObject));
            z.free(a, &mut src).unwrap();
            assert_eq!(z.free(a, &mut src), Err(ZoneError::DoubleFree));
            assert_eq!((z.in_use(), z.slabs()), (1, 1));
            // Write after free: the link no longer points anywhere sane.
            a.cast::<u16>().write_unaligned(1); // `b`, which is allocated
            assert_eq!(z.alloc(&mut src), Err(ZoneError::Corrupted));
            a.cast::<u16>().write_unaligned(NO_OBJ);
            assert_eq!(z.alloc(&mut src), Ok(a));
            z.free(a, &mut src).unwrap();
            z.free(b, &mut src).unwrap();
            other.free(o, &mut src).unwrap();
        }
        // One empty slab per zone stays cached.
        assert_eq!((z.slabs(), src.live.len()), (1, 2));
        assert_eq!(z.shrink(&mut src) + other.shrink(&mut src), 2);
        assert_eq!(src.live.len(), 0);
        // A stale pointer into a returned page is refused.
        // SAFETY: `Pages` keeps returned pages allocated.
        assert_eq!(unsafe { z.free(b, &mut src) }, Err(ZoneError::NotOurs));
    }

    #[test]
    fn reservation_needs_no_pages() {
        let mut src = Pages::new(3);
        let mut z = Zone::new(1024, 1024).unwrap();
        assert_eq!(z.reserve(10, &mut src), Err(ZoneError::OutOfPages));
        assert_eq!((z.slabs(), src.live.len(), z.reserved()), (0, 0, 0));
        z.reserve(9, &mut src).unwrap();
        assert_eq!(z.slabs(), 3);
        assert_eq!(z.alloc(&mut src), Err(ZoneError::OutOfPages));
        let calls = src.calls;
        let objs: Vec<_> = (0..9).map(|_| z.alloc_reserved().unwrap()).collect();
        assert_eq!(z.alloc_reserved(), Err(ZoneError::NotReserved));
        for &o in &objs {
            // SAFETY: `o` came from `z`.
            unsafe { z.free_reserved(o).unwrap() };
        }
        assert_eq!(src.calls, calls);
        assert_eq!(z.reserved(), 9);
        assert_eq!(z.shrink(&mut src), 0);
        z.unreserve(9).unwrap();
        assert_eq!(z.unreserve(1), Err(ZoneError::NotReserved));
        assert_eq!(z.shrink(&mut src), 3);
        assert_eq!(src.live.len(), 0);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Alloc,
        AllocReserved,
        Free(usize),
        FreeReserved(usize),
        Reserve(usize),
        Unreserve(usize),
        Shrink,
        /// 0 stale pointer, 1 interior pointer, 2 other zone's object,
        /// 3 a page that is no slab.
        BadFree(u8, usize, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => Just(Op::Alloc),
            2 => Just(Op::AllocReserved),
            5 => any::<usize>().prop_map(Op::Free),
            1 => any::<usize>().prop_map(Op::FreeReserved),
            1 => (0usize..40).prop_map(Op::Reserve),
            1 => (0usize..40).prop_map(Op::Unreserve),
            1 => Just(Op::Shrink),
            2 => (0u8..4, any::<usize>(), any::<usize>()).prop_map(|(k, a, b)| Op::BadFree(k, a, b)),
        ]
    }

    fn sizes() -> impl Strategy<Value = (usize, usize)> {
        (
            prop_oneof![1usize..64, 64usize..2100],
            prop::sample::select(&[1usize, 2, 4, 8, 16, 64, 256, 1024][..]),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 2 } else { 128 }))]
        #[test]
        fn model((size, align) in sizes(), limit in 2usize..40,
                 ops in prop::collection::vec(op(), 1..200)) {
            let Ok(mut z) = Zone::new(size, align) else {
                prop_assert!(size.next_multiple_of(align) + 64 > 4096);
                return Ok(());
            };
            let mut src = Pages::new(limit);
            let mut other = Zone::new(8, 8).unwrap();
            let foreign = other.alloc(&mut src).ok();
            let no_slab = src.alloc_page();
            // (pointer, fill byte) of each live object; freed pointers.
            // Pointers, not addresses: a pointer rebuilt from an integer has
            // no provenance (Miri, `cargo xtask test --miri`).
            let mut live: Vec<(NonNull<u8>, u8)> = Vec::new();
            let mut dead: Vec<NonNull<u8>> = Vec::new();
            let mut reserved = 0;
            let mut tag = 0u8;
            let base_pages = src.live.len();
            let bitmap_words = z.bitmap_words;

            let alloc = |r: Result<NonNull<u8>, ZoneError>, live: &mut Vec<(NonNull<u8>, u8)>, tag: &mut u8| {
                let p = r?;
                let a = p.addr().get();
                assert_eq!(a % align, 0, "misaligned");
                assert!(a & OFFSET_MASK >= size_of::<SlabHeader>() + 4 * bitmap_words);
                for &(b, _) in live.iter() {
                    let b = b.addr().get();
                    assert!(a + size <= b || b + size <= a, "overlap");
                }
                *tag = tag.wrapping_add(1);
                // SAFETY: `p` is a fresh object of `size` bytes.
                unsafe { p.write_bytes(*tag, size) };
                live.push((p, *tag));
                Ok::<(), ZoneError>(())
            };
            let take = |live: &mut Vec<(NonNull<u8>, u8)>, n: usize| {
                let (p, t) = live.swap_remove(n % live.len());
                // SAFETY: `p` is a live object of `size` bytes.
                let bytes = unsafe { core::slice::from_raw_parts(p.as_ptr(), size) };
                assert!(bytes.iter().all(|&b| b == t), "object overwritten");
                p
            };

            for op in ops {
                let calls = src.calls;
                match op {
                    Op::Alloc => match alloc(z.alloc(&mut src), &mut live, &mut tag) {
                        Ok(()) => {}
                        Err(e) => {
                            prop_assert_eq!(e, ZoneError::OutOfPages);
                            prop_assert_eq!(src.live.len(), limit);
                        }
                    },
                    Op::AllocReserved => {
                        let r = alloc(z.alloc_reserved(), &mut live, &mut tag);
                        if reserved > 0 {
                            prop_assert_eq!(r, Ok(()));
                            reserved -= 1;
                        } else {
                            prop_assert_eq!(r, Err(ZoneError::NotReserved));
                        }
                        prop_assert_eq!(src.calls, calls);
                    }
                    Op::Free(n) if !live.is_empty() => {
                        let p = take(&mut live, n);
                        // SAFETY: `p` is a live object of `z`.
                        prop_assert_eq!(unsafe { z.free(p, &mut src) }, Ok(()));
                        dead.push(p);
                    }
                    Op::FreeReserved(n) if !live.is_empty() => {
                        let p = take(&mut live, n);
                        // SAFETY: `p` is a live object of `z`.
                        prop_assert_eq!(unsafe { z.free_reserved(p) }, Ok(()));
                        prop_assert_eq!(src.calls, calls);
                        reserved += 1;
                        dead.push(p);
                    }
                    Op::Free(_) | Op::FreeReserved(_) => {}
                    Op::Reserve(n) => {
                        let before = (z.slabs(), src.live.len());
                        match z.reserve(n, &mut src) {
                            Ok(()) => reserved += n,
                            Err(e) => {
                                prop_assert_eq!(e, ZoneError::OutOfPages);
                                prop_assert_eq!(before, (z.slabs(), src.live.len()));
                            }
                        }
                    }
                    Op::Unreserve(n) => {
                        let r = z.unreserve(n);
                        if n <= reserved {
                            prop_assert_eq!(r, Ok(()));
                            reserved -= n;
                        } else {
                            prop_assert_eq!(r, Err(ZoneError::NotReserved));
                        }
                    }
                    Op::Shrink => {
                        z.shrink(&mut src);
                        let spare = z.capacity() - z.in_use() - reserved;
                        prop_assert!(z.n_empty == 0 || spare < z.objects_per_slab());
                    }
                    Op::BadFree(kind, a, b) => {
                        let p = match kind {
                            0 if !dead.is_empty() => dead[a % dead.len()],
                            1 if !live.is_empty() => {
                                let base = live[a % live.len()].0;
                                let off = 1 + b % (size.next_multiple_of(align).max(2) - 1);
                                NonNull::new(base.as_ptr().map_addr(|x| x + off)).unwrap()
                            }
                            2 if foreign.is_some() => foreign.unwrap(),
                            _ => match no_slab {
                                Some(p) => NonNull::new(p.as_ptr().map_addr(|x| x + (a & 0xFFF))).unwrap(),
                                None => continue,
                            },
                        };
                        if live.iter().any(|&(x, _)| x == p) {
                            continue; // a stale address reallocated since
                        }
                        let before = (z.in_use(), z.slabs(), z.reserved(), src.calls);
                        // SAFETY: every candidate points into a page of `src`,
                        // which keeps even returned pages allocated.
                        let r = unsafe { z.free(p, &mut src) };
                        prop_assert!(r.is_err());
                        prop_assert_eq!(before, (z.in_use(), z.slabs(), z.reserved(), src.calls));
                    }
                }
                prop_assert_eq!(z.in_use(), live.len());
                prop_assert_eq!(z.reserved(), reserved);
                prop_assert_eq!(z.capacity(), z.slabs() * z.objects_per_slab());
                prop_assert!(z.capacity() - z.in_use() >= z.reserved());
                prop_assert_eq!(src.live.len(), base_pages + z.slabs());
            }
            while !live.is_empty() {
                let p = take(&mut live, 0);
                // SAFETY: `p` is a live object of `z`.
                prop_assert_eq!(unsafe { z.free(p, &mut src) }, Ok(()));
            }
            z.shrink(&mut src);
            prop_assert_eq!(z.slabs(), reserved.div_ceil(z.objects_per_slab()));
            z.unreserve(reserved).unwrap();
            z.shrink(&mut src);
            prop_assert_eq!((z.slabs(), src.live.len()), (0, base_pages));
        }
    }
}
