//! pmap: map, unmap, protect and translate in one translation table.
//!
//! The hardware layer of the memory manager (Phoenix-RTOS's `pmap`): it knows
//! the short-descriptor formats and the TLB rules, and nothing about who owns
//! memory. A [`Pmap`] manages a range of one L1 table: the kernel's (TTBR1,
//! global mappings) or a process's (TTBR0, non-global, tagged with its ASID).
//!
//! Granularities: 16 MiB supersections and 1 MiB sections live in the L1
//! table (a one-level walk: what hard real-time tasks use); 64 KiB large pages
//! and 4 KiB small pages live in 1 KiB coarse L2 tables, which come from a
//! [`TableSource`] on demand and go back to it when their last entry is
//! unmapped. A live-entry count per L1 slot makes that O(1).
//!
//! Every operation refuses misaligned, out-of-range and overlapping requests
//! with a [`PmapError`] and changes nothing when it fails. TLB maintenance is
//! by MVA (and ASID for non-global mappings); a new mapping needs none because
//! ARMv7 TLBs never cache a fault entry, only a barrier. The TLB and cache
//! operations compile to nothing on the host, where the tables are plain
//! memory and this module is unit-tested against a model.

use super::descriptor::{
    Attrs, L1Entry, L2Entry, LARGE_PAGE_SIZE, PAGE_SIZE, SECTION_SIZE, SUPERSECTION_SIZE, l1_index,
    l2_index,
};
use core::ops::Range;

/// An L1 table entry's L2 table address bits.
const L2_TABLE_MASK: u32 = !(super::descriptor::L2_TABLE_SIZE - 1);
/// An L1 section entry's supersection bit.
const SUPERSECTION_BIT: u32 = 1 << 18;

/// A mapping granularity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// 4 KiB small page (L2).
    Page,
    /// 64 KiB large page (16 identical L2 entries).
    LargePage,
    /// 1 MiB section (L1).
    Section,
    /// 16 MiB supersection (16 identical L1 entries).
    Supersection,
}

impl Size {
    /// Bytes mapped.
    pub const fn bytes(self) -> u32 {
        match self {
            Size::Page => PAGE_SIZE,
            Size::LargePage => LARGE_PAGE_SIZE,
            Size::Section => SECTION_SIZE,
            Size::Supersection => SUPERSECTION_SIZE,
        }
    }
    /// Whether the mapping is made in an L2 table.
    pub const fn is_l2(self) -> bool {
        matches!(self, Size::Page | Size::LargePage)
    }
    /// Hardware entries one mapping of this size occupies.
    const fn copies(self) -> usize {
        match self {
            Size::Page | Size::Section => 1,
            Size::LargePage | Size::Supersection => 16,
        }
    }
}

/// Why a pmap operation was refused. Nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PmapError {
    /// The virtual or physical address is not aligned to the mapping size.
    Misaligned,
    /// The virtual address lies outside the range this pmap manages.
    OutOfRange,
    /// Something is already mapped there (at any granularity).
    AlreadyMapped,
    /// Nothing is mapped there.
    NotMapped,
    /// What is mapped there has another granularity than the request.
    WrongSize,
    /// No memory for an L2 table.
    NoTable,
    /// The attributes cannot be encoded (e.g. a domain above 15).
    BadAttrs,
}

/// What [`Pmap::locate`] finds: a mapping's size and where it is.
struct Located {
    size: Size,
    /// The entry (the first of a large page's or supersection's copies).
    raw: u32,
    /// The physical address the looked-up `va` maps to.
    phys: u32,
    /// The L2 table holding the entry (null for an L1 mapping) and its
    /// physical address.
    l2: *mut u32,
    l2_phys: u32,
}

/// A translation: what one virtual address maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Physical address of the virtual address asked about (offset included).
    pub phys: u32,
    /// Granularity of the mapping that covers it.
    pub size: Size,
    /// Its attributes.
    pub attrs: Attrs,
}

/// Where L2 tables come from, and how the kernel reaches table memory.
pub trait TableSource {
    /// A new L2 table (1 KiB, 1 KiB aligned, zeroed): its physical address.
    fn alloc_l2(&mut self) -> Option<u32>;
    /// Returns an L2 table that maps nothing any more: every entry is a
    /// fault entry, zero (the pmap frees a table only when its last entry
    /// has been unmapped, and unmapping writes 0), so a source may hand it
    /// out again without zeroing it.
    fn free_l2(&mut self, phys: u32);
    /// A pointer through which the kernel reads and writes the table memory at
    /// `phys` (the linear map on the target).
    fn table_ptr(&self, phys: u32) -> *mut u32;
}

/// Usage counters of one pmap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PmapStats {
    /// Sections mapped (a supersection counts 16).
    pub sections: u32,
    /// Small pages mapped (a large page counts 16).
    pub pages: u32,
    /// L2 tables in use.
    pub l2_tables: u32,
}

/// One translation table's mappings over a range of virtual addresses.
///
/// The per-slot live-entry counts live outside the struct (N u16s: 8 KiB for
/// the kernel's table) so that a pmap is small enough to move freely.
pub struct Pmap<const N: usize> {
    l1: *mut u32,
    range: Range<u32>,
    global: bool,
    /// Live entries in the L2 table of each L1 slot (0 when it has none).
    l2_live: *mut [u16; N],
    stats: PmapStats,
}

// SAFETY: a Pmap is the only writer of the table range it manages; moving it
// between contexts moves that ownership with it.
unsafe impl<const N: usize> Send for Pmap<N> {}

impl<const N: usize> Pmap<N> {
    /// Takes charge of `range` in the L1 table at `l1` (N entries, the first
    /// translating VA 0), keeping its counts in `l2_live`. Mappings are global
    /// (the kernel's) or not (a process's, matched by ASID). TLB entries are
    /// invalidated by MVA in every ASID: a process's ASID can change under it
    /// (generation rollover), so the pmap never relies on one.
    ///
    /// # Safety
    /// `l1` must point to a live, writable L1 table of N entries and `l2_live`
    /// to N zeroed counters, both used by nothing else while this pmap exists
    /// (other code may write L1 entries outside `range` only); entries already
    /// in `range` must be ones `src` could have made (L2 tables reachable
    /// through `src.table_ptr`): call [`Pmap::adopt`] to count them.
    pub unsafe fn new(
        l1: *mut u32,
        l2_live: *mut [u16; N],
        range: Range<u32>,
        global: bool,
    ) -> Self {
        assert!(N == 4096 || N == 1024 || N == 2048, "unsupported L1 size");
        Self {
            l1,
            range,
            global,
            l2_live,
            stats: PmapStats::default(),
        }
    }

    fn live(&mut self) -> &mut [u16; N] {
        // SAFETY: new()'s contract: l2_live is ours alone for our lifetime.
        unsafe { &mut *self.l2_live }
    }

    /// Counts the mappings already present in the range (the boot tables),
    /// so that unmapping them keeps the counters right.
    pub fn adopt(&mut self, src: &dyn TableSource) {
        let (first, last) = (l1_index(self.range.start), l1_index(self.range.end - 1));
        for i in first..=last.min(N - 1) {
            match L1Entry::decode(self.l1_get(i)) {
                Ok(L1Entry::Section { .. }) | Ok(L1Entry::Supersection { .. }) => {
                    self.stats.sections += 1
                }
                Ok(L1Entry::Table { l2_phys, .. }) => {
                    let l2 = src.table_ptr(l2_phys);
                    // SAFETY: new()'s contract: tables are reachable via src.
                    let live = (0..256).filter(|&j| unsafe { l2.add(j).read_volatile() } & 3 != 0);
                    let live = live.count() as u16;
                    self.live()[i] = live;
                    self.stats.pages += live as u32;
                    self.stats.l2_tables += 1;
                }
                _ => {}
            }
        }
    }

    /// Whether this pmap makes global (kernel) mappings.
    pub fn is_global(&self) -> bool {
        self.global
    }

    /// The virtual range this pmap manages.
    pub fn range(&self) -> Range<u32> {
        self.range.clone()
    }

    /// Usage counters.
    pub fn stats(&self) -> PmapStats {
        self.stats
    }

    fn l1_get(&self, i: usize) -> u32 {
        assert!(i < N);
        // SAFETY: i < N and new()'s contract makes l1 a live table of N entries.
        unsafe { self.l1.add(i).read_volatile() }
    }

    fn l1_set(&mut self, i: usize, v: u32) {
        assert!(i < N);
        // SAFETY: as in l1_get; we are the only writer of this range.
        unsafe { self.l1.add(i).write_volatile(v) }
    }

    /// The raw L1 entry that translates `va` (for tests and reports).
    pub fn l1_entry(&self, va: u32) -> L1Entry {
        L1Entry::decode(self.l1_get(l1_index(va))).unwrap_or(L1Entry::Fault)
    }

    #[inline]
    fn check(&self, va: u32, pa: u32, size: Size) -> Result<(), PmapError> {
        let mask = size.bytes() - 1;
        if va & mask != 0 || pa & mask != 0 {
            return Err(PmapError::Misaligned);
        }
        let end = va
            .checked_add(size.bytes() - 1)
            .ok_or(PmapError::OutOfRange)?;
        if va < self.range.start || end > self.range.end - 1 || l1_index(end) >= N {
            return Err(PmapError::OutOfRange);
        }
        Ok(())
    }

    fn attrs(&self, mut attrs: Attrs) -> Attrs {
        attrs.global = self.global;
        attrs
    }

    /// Maps `size` bytes at `va` to `pa` with `attrs` (its `global` bit is
    /// set from the pmap: kernel global, process non-global).
    pub fn map<S: TableSource + ?Sized>(
        &mut self,
        va: u32,
        pa: u32,
        size: Size,
        attrs: Attrs,
        src: &mut S,
    ) -> Result<(), PmapError> {
        self.check(va, pa, size)?;
        let attrs = self.attrs(attrs);
        let i = l1_index(va);
        if !size.is_l2() {
            let entry = match size {
                Size::Section => L1Entry::section(pa, attrs),
                _ => L1Entry::supersection(pa, attrs),
            }
            .map_err(|_| PmapError::BadAttrs)?
            .encode();
            // One entry (a section) without the loops' set-up.
            if size.copies() == 1 {
                if self.l1_get(i) & 3 != 0 {
                    return Err(PmapError::AlreadyMapped);
                }
                self.l1_set(i, entry);
            } else {
                if (i..i + size.copies()).any(|k| self.l1_get(k) & 3 != 0) {
                    return Err(PmapError::AlreadyMapped);
                }
                for k in i..i + size.copies() {
                    self.l1_set(k, entry);
                }
            }
            self.stats.sections += size.copies() as u32;
            barrier();
            return Ok(());
        }
        let entry = match size {
            Size::Page => L2Entry::small(pa, attrs),
            _ => L2Entry::large(pa, attrs),
        }
        .map_err(|_| PmapError::BadAttrs)?;
        // The slot's type bits are enough: this pmap wrote the entry.
        let slot = self.l1_get(i);
        let l2 = match slot & 0b11 {
            0b01 => src.table_ptr(slot & L2_TABLE_MASK),
            0b00 => core::ptr::null_mut(),
            _ => return Err(PmapError::AlreadyMapped),
        };
        let j = l2_index(va);
        let n = size.copies();
        if !l2.is_null() {
            // SAFETY: l2 is the live table of this slot (256 entries); j + 16 <= 256
            // because large pages are 64 KiB aligned.
            let used = |k: usize| unsafe { l2.add(k).read_volatile() } & 3 != 0;
            if if n == 1 {
                used(j)
            } else {
                (j..j + n).any(used)
            } {
                return Err(PmapError::AlreadyMapped);
            }
        }
        let l2 = if l2.is_null() {
            let phys = src.alloc_l2().ok_or(PmapError::NoTable)?;
            let table = L1Entry::table(phys, attrs.domain).map_err(|_| PmapError::BadAttrs);
            let Ok(table) = table else {
                src.free_l2(phys);
                return Err(PmapError::BadAttrs);
            };
            let ptr = src.table_ptr(phys);
            // The table must be visible to the walker before the L1 entry is.
            barrier();
            self.l1_set(i, table.encode());
            self.stats.l2_tables += 1;
            ptr
        } else {
            l2
        };
        let raw = entry.encode();
        if n == 1 {
            // SAFETY: as above.
            unsafe { l2.add(j).write_volatile(raw) };
        } else {
            for k in j..j + n {
                // SAFETY: as above.
                unsafe { l2.add(k).write_volatile(raw) };
            }
        }
        self.live()[i] += n as u16;
        self.stats.pages += n as u32;
        barrier();
        Ok(())
    }

    /// Maps `pas.len()` small pages at `va`, `va + 4 KiB`, ..., page `k` to
    /// `pas[k]`, all with `attrs`: a run in one L2 table (it must not cross
    /// a 1 MiB boundary, else [`PmapError::OutOfRange`]). Equivalent to one
    /// [`Pmap::map`] of [`Size::Page`] per page, but the slot is looked up,
    /// the descriptor encoded and the barrier issued once for the run. All
    /// or nothing: if any page is taken or misaligned, nothing changes.
    pub fn map_pages<S: TableSource + ?Sized>(
        &mut self,
        va: u32,
        pas: &[u32],
        attrs: Attrs,
        src: &mut S,
    ) -> Result<(), PmapError> {
        let n = pas.len();
        if n == 0 {
            return Ok(());
        }
        let last = va.wrapping_add((n as u32 - 1) * PAGE_SIZE);
        self.check(va, 0, Size::Page)?;
        if n > 256 || last < va || l1_index(last) != l1_index(va) {
            return Err(PmapError::OutOfRange);
        }
        self.check(last, 0, Size::Page)?;
        if pas.iter().fold(0, |bits, pa| bits | pa) & (PAGE_SIZE - 1) != 0 {
            return Err(PmapError::Misaligned);
        }
        let attrs = self.attrs(attrs);
        // The attributes' bits once; each entry is then its frame | them.
        let bits = L2Entry::small(0, attrs)
            .map_err(|_| PmapError::BadAttrs)?
            .encode();
        let i = l1_index(va);
        let slot = self.l1_get(i);
        let l2 = match slot & 0b11 {
            0b01 => src.table_ptr(slot & L2_TABLE_MASK),
            0b00 => core::ptr::null_mut(),
            _ => return Err(PmapError::AlreadyMapped),
        };
        let j = l2_index(va);
        if !l2.is_null() {
            // SAFETY: l2 is the live table of this slot; j + n <= 256 as the
            // run stays in this slot.
            if (j..j + n).any(|k| unsafe { l2.add(k).read_volatile() } & 3 != 0) {
                return Err(PmapError::AlreadyMapped);
            }
        }
        let l2 = if l2.is_null() {
            let phys = src.alloc_l2().ok_or(PmapError::NoTable)?;
            let Ok(table) = L1Entry::table(phys, attrs.domain) else {
                src.free_l2(phys);
                return Err(PmapError::BadAttrs);
            };
            let ptr = src.table_ptr(phys);
            // The table must be visible to the walker before the L1 entry is.
            barrier();
            self.l1_set(i, table.encode());
            self.stats.l2_tables += 1;
            ptr
        } else {
            l2
        };
        for (k, &pa) in pas.iter().enumerate() {
            // SAFETY: as above.
            unsafe { l2.add(j + k).write_volatile(bits | pa) };
        }
        self.live()[i] += n as u16;
        self.stats.pages += n as u32;
        barrier();
        Ok(())
    }

    /// Removes the run of `n` small pages at `va` (in one L2 table, as
    /// [`Pmap::map_pages`] makes), calling `unmapped(src, frame)` for the
    /// frame each mapped. Equivalent to one [`Pmap::unmap`] of
    /// [`Size::Page`] per page, with one TLB maintenance pass for the run
    /// (an invalidate per page, the barriers once). All or nothing: if any
    /// page of the run is not a small page, nothing changes
    /// ([`PmapError::NotMapped`] or [`PmapError::WrongSize`]). The L2 table
    /// goes back to `src` if the run held its last entries.
    pub fn unmap_pages<S: TableSource + ?Sized>(
        &mut self,
        va: u32,
        n: usize,
        src: &mut S,
        mut unmapped: impl FnMut(&mut S, u32),
    ) -> Result<(), PmapError> {
        if n == 0 {
            return Ok(());
        }
        let last = va.wrapping_add((n as u32 - 1) * PAGE_SIZE);
        if va & (PAGE_SIZE - 1) != 0 || n > 256 || last < va || l1_index(last) != l1_index(va) {
            return Err(PmapError::OutOfRange);
        }
        let found = self.locate(va, src).ok_or(PmapError::NotMapped)?;
        if found.size != Size::Page {
            return Err(PmapError::WrongSize);
        }
        if !self.range.contains(&last) {
            return Err(PmapError::NotMapped);
        }
        let (l2, l2_phys) = (found.l2, found.l2_phys);
        let j = l2_index(va);
        // Small pages have bit 1 set: any entry without it is a fault
        // entry or a large page.
        let mut all = 0b10;
        for k in j..j + n {
            // SAFETY: l2 is this slot's live table; j + n <= 256.
            let e = unsafe { l2.add(k).read_volatile() };
            all &= e;
            if e & 0b11 == 0 {
                return Err(PmapError::NotMapped);
            }
        }
        if all == 0 {
            return Err(PmapError::WrongSize);
        }
        for k in j..j + n {
            // SAFETY: as above.
            let e = unsafe { l2.add(k).read_volatile() };
            // SAFETY: as above.
            unsafe { l2.add(k).write_volatile(0) };
            unmapped(src, e & !(PAGE_SIZE - 1));
        }
        let i = l1_index(va);
        self.live()[i] -= n as u16;
        self.stats.pages -= n as u32;
        let empty = self.live()[i] == 0;
        if empty {
            self.l1_set(i, 0);
            self.stats.l2_tables -= 1;
        }
        #[cfg(target_arch = "arm")]
        super::tlb_invalidate_pages(va, n as u32);
        if empty {
            src.free_l2(l2_phys);
        }
        Ok(())
    }

    /// Removes the `size` mapping at `va` and returns the physical address it
    /// mapped. An L2 table whose last entry goes is returned to `src`.
    pub fn unmap<S: TableSource + ?Sized>(
        &mut self,
        va: u32,
        size: Size,
        src: &mut S,
    ) -> Result<u32, PmapError> {
        let found = self.locate(va, src).ok_or(PmapError::NotMapped)?;
        if found.size != size || va & (size.bytes() - 1) != 0 {
            return Err(PmapError::WrongSize);
        }
        let i = l1_index(va);
        let n = size.copies();
        if !size.is_l2() {
            if n == 1 {
                self.l1_set(i, 0);
            } else {
                for k in i..i + n {
                    self.l1_set(k, 0);
                }
            }
            self.stats.sections -= n as u32;
            self.invalidate(va, size);
            return Ok(found.phys);
        }
        let (l2, l2_phys) = (found.l2, found.l2_phys);
        let j = l2_index(va);
        if n == 1 {
            // SAFETY: l2 is this slot's live table; j < 256.
            unsafe { l2.add(j).write_volatile(0) };
        } else {
            for k in j..j + n {
                // SAFETY: l2 is this slot's live table; k < 256.
                unsafe { l2.add(k).write_volatile(0) };
            }
        }
        self.live()[i] -= n as u16;
        self.stats.pages -= n as u32;
        if self.live()[i] == 0 {
            self.l1_set(i, 0);
            self.stats.l2_tables -= 1;
            self.invalidate(va, size);
            src.free_l2(l2_phys);
        } else {
            self.invalidate(va, size);
        }
        Ok(found.phys)
    }

    /// Changes the attributes of the `size` mapping at `va`. When the memory
    /// type changes, the old range is cleaned and invalidated from the data
    /// cache first, so no stale line outlives the old cacheability.
    pub fn protect<S: TableSource + ?Sized>(
        &mut self,
        va: u32,
        size: Size,
        attrs: Attrs,
        src: &mut S,
    ) -> Result<(), PmapError> {
        let found = self.locate(va, src).ok_or(PmapError::NotMapped)?;
        if found.size != size || va & (size.bytes() - 1) != 0 {
            return Err(PmapError::WrongSize);
        }
        let attrs = self.attrs(attrs);
        let pa = found.phys;
        let i = l1_index(va);
        let raw = match size {
            Size::Section => L1Entry::section(pa, attrs).map(|e| e.encode()),
            Size::Supersection => L1Entry::supersection(pa, attrs).map(|e| e.encode()),
            Size::Page => L2Entry::small(pa, attrs).map(|e| e.encode()),
            Size::LargePage => L2Entry::large(pa, attrs).map(|e| e.encode()),
        }
        .map_err(|_| PmapError::BadAttrs)?;
        // The memory type changes iff its TEX/C/B bits do (the same
        // layout on both sides).
        if (found.raw ^ raw) & mem_type_bits(size) != 0 {
            clean_invalidate_dcache(va, size.bytes());
        }
        if size.is_l2() {
            let l2 = found.l2;
            for k in l2_index(va)..l2_index(va) + size.copies() {
                // SAFETY: l2 is this slot's live table; k < 256.
                unsafe { l2.add(k).write_volatile(raw) };
            }
        } else {
            for k in i..i + size.copies() {
                self.l1_set(k, raw);
            }
        }
        self.invalidate(va, size);
        Ok(())
    }

    /// Translates `va` (the software equivalent of a table walk).
    pub fn extract<S: TableSource + ?Sized>(&self, va: u32, src: &S) -> Option<Translation> {
        if !self.range.contains(&va) || l1_index(va) >= N {
            return None;
        }
        self.find(va, src)
    }

    /// Where the mapping of `va` is, from the entries' type bits alone (no
    /// attribute decoding: every entry in the range was written by this
    /// pmap's encoders, which `find` checks strictly): its size, the
    /// physical address `va` maps to, and for an L2 mapping its table.
    #[inline]
    fn locate<S: TableSource + ?Sized>(&self, va: u32, src: &S) -> Option<Located> {
        if !self.range.contains(&va) || l1_index(va) >= N {
            return None;
        }
        let raw = self.l1_get(l1_index(va));
        let at = |raw: u32, size: Size| {
            let mask = size.bytes() - 1;
            (raw & !mask) | (va & mask)
        };
        let l1 = |size| {
            Some(Located {
                size,
                raw,
                phys: at(raw, size),
                l2: core::ptr::null_mut(),
                l2_phys: 0,
            })
        };
        match raw & 0b11 {
            0b00 | 0b11 => None,
            0b10 if raw & SUPERSECTION_BIT != 0 => l1(Size::Supersection),
            0b10 => l1(Size::Section),
            _ => {
                let l2_phys = raw & L2_TABLE_MASK;
                let l2 = src.table_ptr(l2_phys);
                // SAFETY: l2 is a live table of 256 entries; the index is < 256.
                let e = unsafe { l2.add(l2_index(va)).read_volatile() };
                let size = match e & 0b11 {
                    0b00 => return None,
                    0b01 => Size::LargePage,
                    _ => Size::Page,
                };
                Some(Located {
                    size,
                    raw: e,
                    phys: at(e, size),
                    l2,
                    l2_phys,
                })
            }
        }
    }

    fn find<S: TableSource + ?Sized>(&self, va: u32, src: &S) -> Option<Translation> {
        if !self.range.contains(&va) || l1_index(va) >= N {
            return None;
        }
        let at = |base: u32, size: Size| base | (va & (size.bytes() - 1));
        match L1Entry::decode(self.l1_get(l1_index(va))).ok()? {
            L1Entry::Fault => None,
            L1Entry::Section { phys, attrs } => Some(Translation {
                phys: at(phys, Size::Section),
                size: Size::Section,
                attrs,
            }),
            L1Entry::Supersection { phys, attrs } => Some(Translation {
                phys: at(phys, Size::Supersection),
                size: Size::Supersection,
                attrs,
            }),
            L1Entry::Table { l2_phys, .. } => {
                let l2 = src.table_ptr(l2_phys);
                // SAFETY: l2 is a live table of 256 entries; the index is < 256.
                let raw = unsafe { l2.add(l2_index(va)).read_volatile() };
                match L2Entry::decode(raw).ok()? {
                    L2Entry::Fault => None,
                    L2Entry::Small { phys, attrs } => Some(Translation {
                        phys: at(phys, Size::Page),
                        size: Size::Page,
                        attrs,
                    }),
                    L2Entry::Large { phys, attrs } => Some(Translation {
                        phys: at(phys, Size::LargePage),
                        size: Size::LargePage,
                        attrs,
                    }),
                }
            }
        }
    }

    fn invalidate(&self, va: u32, size: Size) {
        #[cfg(target_arch = "arm")]
        {
            // One operation per mapping: the TLB holds a large page or a
            // (super)section as one entry, found by any address inside it.
            let _ = size;
            super::tlb_invalidate_va(va);
        }
        #[cfg(not(target_arch = "arm"))]
        let _ = (va, size);
    }
}

/// The bits of an entry of `size` that hold its memory type: TEX (bits
/// 12-14 in sections and large pages, 6-8 in small pages), C and B.
const fn mem_type_bits(size: Size) -> u32 {
    let tex = match size {
        Size::Page => 6,
        _ => 12,
    };
    (0b111 << tex) | 0b1100
}

#[inline]
fn barrier() {
    #[cfg(target_arch = "arm")]
    {
        aarch32_cpu::asm::dsb();
        aarch32_cpu::asm::isb();
    }
}

fn clean_invalidate_dcache(va: u32, len: u32) {
    #[cfg(target_arch = "arm")]
    {
        // Cortex-A9 L1 lines are 32 bytes.
        let mut a = va & !31;
        while a < va + len {
            aarch32_cpu::cache::clean_and_invalidate_data_cache_line_to_poc(a);
            a += 32;
        }
        aarch32_cpu::asm::dsb();
    }
    #[cfg(not(target_arch = "arm"))]
    let _ = (va, len);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::mmu::descriptor::{Access, MemType};
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::vec::Vec;

    /// Table memory on the host: fake physical addresses 0x8000_0000 + 1 KiB * n.
    /// Each table is boxed (its address stays put as more are added) and made
    /// of `Cell`s, so the pointer `table_ptr` hands out from `&self` may be
    /// written through (Miri checks this: `cargo xtask test --miri`).
    struct HostTables {
        #[expect(
            clippy::vec_box,
            reason = "a table's address must stay put when the Vec grows"
        )]
        mem: Vec<Box<[core::cell::Cell<u32>; 256]>>,
        free: Vec<usize>,
        live: usize,
        limit: usize,
    }

    impl HostTables {
        fn new(limit: usize) -> Self {
            Self {
                mem: Vec::new(),
                free: Vec::new(),
                live: 0,
                limit,
            }
        }
    }

    impl TableSource for HostTables {
        fn alloc_l2(&mut self) -> Option<u32> {
            if self.live == self.limit {
                return None;
            }
            self.live += 1;
            let n = self.free.pop().unwrap_or_else(|| {
                self.mem
                    .push(Box::new(core::array::from_fn(|_| core::cell::Cell::new(0))));
                self.mem.len() - 1
            });
            self.mem[n].iter().for_each(|e| e.set(0));
            Some(0x8000_0000 + n as u32 * 1024)
        }
        fn free_l2(&mut self, phys: u32) {
            let n = ((phys - 0x8000_0000) / 1024) as usize;
            assert!(
                self.mem[n].iter().all(|e| e.get() == 0),
                "freed a table still in use"
            );
            assert!(!self.free.contains(&n), "double free of an L2 table");
            self.free.push(n);
            self.live -= 1;
        }
        fn table_ptr(&self, phys: u32) -> *mut u32 {
            let n = ((phys - 0x8000_0000) / 1024) as usize;
            self.mem[n].as_ptr().cast::<u32>().cast_mut()
        }
    }

    /// `protect` tells a memory-type change by `mem_type_bits`: for every
    /// size and every pair of attributes, the masked bits differ exactly
    /// when the memory types do.
    #[test]
    fn mem_type_bits_tell_memory_types_apart() {
        let mems = [
            MemType::Normal,
            MemType::NormalUncached,
            MemType::Device,
            MemType::StronglyOrdered,
        ];
        let accesses = [Access::KernelRw, Access::UserRo, Access::KernelRo];
        let enc = |size: Size, a: Attrs| match size {
            Size::Section => L1Entry::section(0x6000_0000, a).unwrap().encode(),
            Size::Supersection => L1Entry::supersection(0x6000_0000, a).unwrap().encode(),
            Size::Page => L2Entry::small(0x6000_0000, a).unwrap().encode(),
            Size::LargePage => L2Entry::large(0x6000_0000, a).unwrap().encode(),
        };
        for size in [
            Size::Page,
            Size::LargePage,
            Size::Section,
            Size::Supersection,
        ] {
            for &m1 in &mems {
                for &m2 in &mems {
                    for &(acc, xn, sh) in &[(accesses[0], true, false), (accesses[1], false, true)]
                    {
                        let a = Attrs {
                            mem: m1,
                            ..Attrs::kernel(accesses[2], false)
                        };
                        let b = Attrs {
                            mem: m2,
                            access: acc,
                            xn,
                            shareable: sh,
                            ..a
                        };
                        let differ = (enc(size, a) ^ enc(size, b)) & mem_type_bits(size) != 0;
                        assert_eq!(differ, m1 != m2, "{size:?} {m1:?} {m2:?}");
                    }
                }
            }
        }
    }

    fn data() -> Attrs {
        Attrs::kernel(Access::KernelRw, true)
    }

    fn setup() -> (Box<[u32; 4096]>, HostTables) {
        (Box::new([0u32; 4096]), HostTables::new(64))
    }

    /// Zeroed counters for a test pmap (leaked: tests are short-lived).
    pub(crate) fn counts<const N: usize>() -> *mut [u16; N] {
        Box::leak(Box::new([0u16; N]))
    }

    #[test]
    fn map_extract_unmap_each_size() {
        let (mut l1, mut src) = setup();
        // SAFETY: l1 is a host table owned by this test.
        let mut p: Pmap<4096> =
            unsafe { Pmap::new(l1.as_mut_ptr(), counts(), 0x4000_0000..0xC000_0000, true) };
        let cases = [
            (0x4000_1000, 0x6000_2000, Size::Page),
            (0x4001_0000, 0x6003_0000, Size::LargePage),
            (0x4010_0000, 0x6010_0000, Size::Section),
            (0x4100_0000, 0x6100_0000, Size::Supersection),
        ];
        for (va, pa, size) in cases {
            p.map(va, pa, size, data(), &mut src).unwrap();
            let t = p.extract(va + 0x123, &src).unwrap();
            assert_eq!((t.phys, t.size), (pa + 0x123, size));
            assert!(t.attrs.global);
            let last = va + size.bytes() - 4;
            assert_eq!(p.extract(last, &src).unwrap().phys, pa + size.bytes() - 4);
        }
        assert_eq!(
            p.stats(),
            PmapStats {
                sections: 17,
                pages: 17,
                l2_tables: 1
            }
        );
        for (va, pa, size) in cases {
            assert_eq!(p.unmap(va, size, &mut src), Ok(pa));
            assert_eq!(p.extract(va, &src), None);
        }
        assert_eq!(p.stats(), PmapStats::default());
        assert_eq!(src.live, 0, "the L2 table went back when its last page did");
        assert!(l1.iter().all(|&e| e == 0));
    }

    #[test]
    fn refuses_bad_requests_without_change() {
        let (mut l1, mut src) = setup();
        // SAFETY: l1 is a host table owned by this test.
        let mut p: Pmap<4096> =
            unsafe { Pmap::new(l1.as_mut_ptr(), counts(), 0x4000_0000..0xC000_0000, true) };
        let e = |r: Result<(), PmapError>| r.unwrap_err();
        assert_eq!(
            e(p.map(0x4000_0800, 0x6000_0000, Size::Page, data(), &mut src)),
            PmapError::Misaligned
        );
        assert_eq!(
            e(p.map(0x4000_0000, 0x6000_0800, Size::Page, data(), &mut src)),
            PmapError::Misaligned
        );
        assert_eq!(
            e(p.map(0x4008_0000, 0x6000_0000, Size::Section, data(), &mut src)),
            PmapError::Misaligned
        );
        assert_eq!(
            e(p.map(0x3FF0_0000, 0x6000_0000, Size::Section, data(), &mut src)),
            PmapError::OutOfRange
        );
        assert_eq!(
            e(p.map(0xC000_0000, 0x6000_0000, Size::Page, data(), &mut src)),
            PmapError::OutOfRange
        );
        p.map(0x4000_0000, 0x6000_0000, Size::Section, data(), &mut src)
            .unwrap();
        let before = *l1;
        assert_eq!(
            e(p.map(0x4000_0000, 0x6000_0000, Size::Section, data(), &mut src)),
            PmapError::AlreadyMapped
        );
        assert_eq!(
            e(p.map(0x4000_1000, 0x6000_0000, Size::Page, data(), &mut src)),
            PmapError::AlreadyMapped
        );
        assert_eq!(
            e(p.map(
                0x4000_0000,
                0x6000_0000,
                Size::Supersection,
                data(),
                &mut src
            )),
            PmapError::AlreadyMapped
        );
        assert_eq!(
            p.unmap(0x4000_0000, Size::Page, &mut src),
            Err(PmapError::WrongSize)
        );
        assert_eq!(
            p.unmap(0x4020_0000, Size::Section, &mut src),
            Err(PmapError::NotMapped)
        );
        assert_eq!(*l1, before);
        p.map(0x4010_1000, 0x6000_0000, Size::Page, data(), &mut src)
            .unwrap();
        assert_eq!(
            e(p.map(0x4010_0000, 0x6000_0000, Size::LargePage, data(), &mut src)),
            PmapError::AlreadyMapped
        );
        assert_eq!(
            e(p.map(0x4010_0000, 0x6000_0000, Size::Section, data(), &mut src)),
            PmapError::AlreadyMapped
        );
        src.limit = src.live;
        assert_eq!(
            e(p.map(0x4030_0000, 0x6000_0000, Size::Page, data(), &mut src)),
            PmapError::NoTable
        );
    }

    #[test]
    fn protect_rewrites_attributes() {
        let (mut l1, mut src) = setup();
        // SAFETY: l1 is a host table owned by this test.
        let mut p: Pmap<1024> =
            unsafe { Pmap::new(l1.as_mut_ptr(), counts(), 0x0001_0000..0x4000_0000, false) };
        let rw = Attrs::user(Access::UserRw, true);
        let ro = Attrs::user(Access::UserRo, false);
        p.map(0x0001_0000, 0x6000_0000, Size::Page, rw, &mut src)
            .unwrap();
        assert!(
            !p.extract(0x0001_0000, &src).unwrap().attrs.global,
            "process mappings are nG"
        );
        p.protect(0x0001_0000, Size::Page, ro, &mut src).unwrap();
        let t = p.extract(0x0001_0000, &src).unwrap();
        assert_eq!(
            (t.phys, t.attrs.access, t.attrs.xn),
            (0x6000_0000, Access::UserRo, false)
        );
        let dev = Attrs {
            mem: MemType::Device,
            ..rw
        };
        p.protect(0x0001_0000, Size::Page, dev, &mut src).unwrap();
        assert_eq!(
            p.extract(0x0001_0000, &src).unwrap().attrs.mem,
            MemType::Device
        );
        assert_eq!(
            p.protect(0x0002_0000, Size::Page, ro, &mut src),
            Err(PmapError::NotMapped)
        );
        assert_eq!(
            p.protect(0x0001_0000, Size::Section, ro, &mut src),
            Err(PmapError::WrongSize)
        );
    }

    /// A run mapped with `map_pages` is entry for entry what one `map` per
    /// page makes, and `unmap_pages` takes it back as one `unmap` per page
    /// would; a run that is partly taken, crosses a MiB or holds a
    /// misaligned frame changes nothing.
    #[test]
    fn page_runs_match_single_pages() {
        let (mut l1a, mut a) = setup();
        let (mut l1b, mut b) = setup();
        let range = 0x0000_1000..0x4000_0000;
        // SAFETY: both tables are host tables owned by this test.
        let mut pa_: Pmap<4096> =
            unsafe { Pmap::new(l1a.as_mut_ptr(), counts(), range.clone(), false) };
        // SAFETY: as above.
        let mut pb: Pmap<4096> = unsafe { Pmap::new(l1b.as_mut_ptr(), counts(), range, false) };
        let user = Attrs::user(Access::UserRo, false);
        let frames = [0x6000_3000, 0x6123_0000, 0x6000_1000, 0x7fff_f000];
        let va = 0x0010_c000;
        pa_.map_pages(va, &frames, user, &mut a).unwrap();
        for (k, &f) in frames.iter().enumerate() {
            pb.map(va + k as u32 * 4096, f, Size::Page, user, &mut b)
                .unwrap();
        }
        let table = |p: &Pmap<4096>, s: &HostTables, va: u32| {
            (0..256u32)
                .map(|k| p.extract((va & !0xF_FFFF) + k * 4096, s))
                .collect::<Vec<_>>()
        };
        assert_eq!(table(&pa_, &a, va), table(&pb, &b, va));
        assert_eq!(pa_.stats(), pb.stats());
        // Refused without change: overlapping, crossing a MiB, misaligned.
        let before = (pa_.stats(), table(&pa_, &a, va));
        assert_eq!(
            pa_.map_pages(va + 3 * 4096, &[0x6000_0000; 2], user, &mut a),
            Err(PmapError::AlreadyMapped)
        );
        assert_eq!(
            pa_.map_pages(0x001f_f000, &[0x6000_0000; 2], user, &mut a),
            Err(PmapError::OutOfRange)
        );
        assert_eq!(
            pa_.map_pages(va + 4 * 4096, &[0x6000_0000, 0x6000_0800], user, &mut a),
            Err(PmapError::Misaligned)
        );
        assert_eq!(before, (pa_.stats(), table(&pa_, &a, va)));
        // Unmapping more than the run, or from before it, changes nothing.
        let mut out = Vec::new();
        let mut got = |_: &mut HostTables, pa| out.push(pa);
        assert_eq!(
            pa_.unmap_pages(va, 5, &mut a, &mut got),
            Err(PmapError::NotMapped)
        );
        assert_eq!(
            pa_.unmap_pages(va - 4096, 2, &mut a, &mut got),
            Err(PmapError::NotMapped)
        );
        assert_eq!(before, (pa_.stats(), table(&pa_, &a, va)));
        // Part of the run, then the rest: the table goes back with the last.
        pa_.unmap_pages(va + 2 * 4096, 2, &mut a, &mut got).unwrap();
        assert_eq!(a.live, 1);
        pa_.unmap_pages(va, 2, &mut a, &mut got).unwrap();
        assert_eq!(out, [&frames[2..], &frames[..2]].concat());
        assert_eq!(pa_.stats(), PmapStats::default());
        assert_eq!(a.live, 0, "the L2 table went back with the run's last page");
        assert!(l1a.iter().all(|&e| e == 0));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Map(u32, Size),
        Unmap(u32, Size),
    }

    fn op() -> impl Strategy<Value = Op> {
        let size = prop_oneof![
            Just(Size::Page),
            Just(Size::LargePage),
            Just(Size::Section),
            Just(Size::Supersection)
        ];
        // Addresses in a 64 MiB window so that operations collide often.
        (any::<bool>(), 0u32..(64 << 20) / 4096, size).prop_map(|(m, page, size)| {
            let va = (0x4000_0000 + page * 4096) & !(size.bytes() - 1);
            if m {
                Op::Map(va, size)
            } else {
                Op::Unmap(va, size)
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 256 }, failure_persistence: None, ..ProptestConfig::default() })]
        /// Against a model (a map from 4 KiB page to its mapping), random map
        /// and unmap sequences agree on every translation, never overlap, and
        /// return every L2 table once everything is unmapped.
        #[test]
        fn agrees_with_model(ops in proptest::collection::vec(op(), 1..120)) {
            let (mut l1, mut src) = setup();
            // SAFETY: l1 is a host table owned by this test.
            let mut p: Pmap<4096> = unsafe { Pmap::new(l1.as_mut_ptr(), counts(), 0x4000_0000..0xC000_0000, true) };
            let mut model: BTreeMap<u32, (u32, Size)> = BTreeMap::new(); // va -> (pa, size)
            let covers = |m: &BTreeMap<u32, (u32, Size)>, va: u32, len: u32| {
                m.iter().any(|(&v, &(_, s))| v < va + len && va < v + s.bytes())
            };
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Map(va, size) => {
                        let pa = 0x6000_0000 + ((n as u32 * 0x0100_0000) & 0x0F00_0000) + (va & 0x00FF_F000 & !(size.bytes() - 1));
                        let r = p.map(va, pa, size, data(), &mut src);
                        if covers(&model, va, size.bytes()) {
                            prop_assert_eq!(r, Err(PmapError::AlreadyMapped));
                        } else {
                            prop_assert_eq!(r, Ok(()));
                            model.insert(va, (pa, size));
                        }
                    }
                    Op::Unmap(va, size) => {
                        let r = p.unmap(va, size, &mut src);
                        match model.get(&va) {
                            Some(&(pa, s)) if s == size => {
                                prop_assert_eq!(r, Ok(pa));
                                model.remove(&va);
                            }
                            _ => prop_assert!(r.is_err()),
                        }
                    }
                }
                for (&va, &(pa, size)) in &model {
                    let t = p.extract(va + size.bytes() / 2, &src);
                    prop_assert_eq!(t.map(|t| (t.phys, t.size)), Some((pa + size.bytes() / 2, size)));
                    // The type-bit lookup unmap uses finds the same.
                    let l = p.locate(va + size.bytes() / 2, &src);
                    prop_assert_eq!(l.map(|l| (l.phys, l.size)), Some((pa + size.bytes() / 2, size)));
                }
            }
            let vas: Vec<_> = model.iter().map(|(&v, &(_, s))| (v, s)).collect();
            for (va, size) in vas {
                prop_assert!(p.unmap(va, size, &mut src).is_ok());
            }
            prop_assert_eq!(src.live, 0);
            prop_assert_eq!(p.stats(), PmapStats::default());
            prop_assert!(l1.iter().all(|&e| e == 0));
        }
    }
}
