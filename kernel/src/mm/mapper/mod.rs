//! The memory mapper, the seed's third layer: address spaces and their
//! regions. An [`AddressSpace`] is what one process maps: an isolated
//! process's own pmap (a 4 KiB L1 table, TTBCR.N = 2, covering 0..1 GiB),
//! or a kernel-bound process's window in the kernel's space, plus a region
//! list like Phoenix-RTOS's memory maps: each region has a start, a length,
//! rights and what backs it ([`Backing`]). The page tables themselves are
//! the record of which frame backs which page, so tearing a space down walks
//! its regions, unmaps every granule and frees the frames the pmap reports:
//! every page returns.
//!
//! Regions of anonymous memory, stacks, image segments and devices are
//! mapped in `map.rs`; regions that show a memory object (shared memory,
//! DMA buffers, shared program images, copy-on-write) in `shared.rs`: their
//! frames are the object's, kept by the book in [`crate::mm::object`].
//!
//! A hard space is *admitted*: everything it will ever map is taken from the
//! page allocator as 1 MiB blocks ([`AddressSpace::reserve`]) before it runs;
//! after that it maps sections from its own reserve, its table never needs a
//! second level, and nothing it does calls an allocator. The reserve is
//! zeroed at admission and a section `munmap` gives back is zeroed again then
//! (in the caller's time), so an `mmap` of a section costs a table write,
//! never a megabyte of stores. That write takes [`MM`](crate::mm::MM) (for
//! the reverse map) for a few hundred instructions.
//!
//! A soft isolated space holds at most its budget of anonymous memory and
//! mapped memory objects together, and gets [`MapError::NoMemory`] past it:
//! mapping shared memory is no way around the budget (a hard space's shared
//! objects are charged to its reserve at admission instead). Image segments
//! and the stack are not charged. Frames for process memory never take
//! the last [`KERNEL_RESERVE_PAGES`](crate::mm::KERNEL_RESERVE_PAGES).
//!
//! Lock order: the owning process's lock (which guards its space), then the
//! book, then the memory manager's.

mod map;
mod shared;

pub use map::CacheOpError;
pub use shared::Share;

use crate::layout::{KTASK_START, KTASK_WINDOW, USER_END, USER_START, phys_to_virt};
use crate::mm::frames::FrameError;
use crate::sync::IrqLock;
use crate::syscall::abi::{PROT_EXEC, PROT_READ, PROT_WRITE};
use alloc::vec::Vec;
use arch::mmu::descriptor::{Access, Attrs};
use arch::mmu::pmap::{Pmap, PmapError, PmapStats, Size};

/// Regions one space may have (image segments, stack, mappings, devices).
pub const MAX_REGIONS: usize = 16;
/// Where anonymous mappings and devices of isolated processes start.
const MMAP_BASE: u32 = 0x1000_0000;
const SECTION: u32 = 1 << 20;
const PAGE: u32 = 4096;
/// Pages of a memory object mapped or unmapped under one hold of the memory
/// manager's lock (one L2 table's run, one barrier or TLB pass): bounds that
/// hold to about what two single-page maps took, while a shared image's
/// pages cost a fraction of one map each.
const RUN: u32 = 16;

/// Why a mapping request was refused. A refused request changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The request breaks the space's rules (a 4 KiB mapping in a hard
    /// space, copy-on-write for a hard one, a device not granted, ...).
    ClassViolation,
    /// A hard space's reserve could not be taken: `needed` 1 MiB blocks.
    BudgetUnavailable {
        /// Sections the space needs.
        needed: u32,
    },
    /// Out of frames, out of the soft budget, or no free range.
    NoMemory,
    /// [`MAX_REGIONS`] regions.
    TooMany,
    /// An address, length or rights argument is invalid.
    Invalid,
    /// The range is (partly) mapped already.
    Exists,
}

impl From<FrameError> for MapError {
    fn from(_: FrameError) -> Self {
        MapError::NoMemory
    }
}

impl From<PmapError> for MapError {
    fn from(e: PmapError) -> Self {
        match e {
            PmapError::AlreadyMapped => MapError::Exists,
            PmapError::NoTable => MapError::NoMemory,
            _ => MapError::Invalid,
        }
    }
}

/// What kind of space: granularity and home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceKind {
    /// 1 MiB sections from a reserve taken at admission (else 4 KiB pages
    /// allocated on demand).
    pub hard: bool,
    /// Its own pmap, user mode (else a window in the kernel's space).
    pub isolated: bool,
}

impl SpaceKind {
    /// The mapping granularity.
    pub const fn granule(self) -> u32 {
        if self.hard { SECTION } else { PAGE }
    }
    const fn size(self) -> Size {
        if self.hard { Size::Section } else { Size::Page }
    }
}

/// A device a process may map into its own space (`map_device`): a soft
/// isolated process gets the 4 KiB pages that hold `[phys, phys + len)` and
/// nothing around them; a hard isolated process gets 1 MiB sections, so only
/// devices the board marks as owning their whole MiB
/// ([`Board::device_sections`](crate::board::Board::device_sections)) may be
/// granted to it (checked when it is created).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Device {
    /// Physical address of its registers.
    pub phys: u32,
    /// Length of the register block.
    pub len: u32,
}

/// What backs a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    /// A program segment (frames owned by the space).
    Image,
    /// The stack (frames owned by the space).
    Stack,
    /// Anonymous memory from `mmap` (frames owned by the space).
    Anon,
    /// Device registers (not RAM: never freed).
    Device,
    /// A mapping of a memory object (`map` in the book): shared memory, a
    /// DMA buffer, or (`image`) a segment of a program image shared with
    /// other processes of the same ELF. The frames are the object's, freed
    /// by the book when its last user goes, never by the region.
    Shared {
        /// The mapping's name in the book.
        map: crate::mm::object::book::MapId,
        /// A program segment (not `mem_unmap`-able).
        image: bool,
        /// A hard space's shared-memory region that `mem_unmap` took out
        /// of the table: its range, its book record and its charge stay
        /// (so `mem_map` shows it again without allocating).
        parked: bool,
    },
}

/// A range of an address space.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    /// First address (granule aligned).
    pub start: u32,
    /// Length (a granule multiple).
    pub len: u32,
    /// `PROT_*` rights.
    pub prot: u32,
    /// What backs it.
    pub backing: Backing,
}

/// The memory one process maps: its pmap or kernel window, its regions,
/// a hard space's reserve, and what it is charged.
pub struct AddressSpace {
    /// The process it belongs to: frames it takes are owned by `owner + 1`
    /// in the reverse map, and the book names its mappings by it.
    owner: u16,
    kind: SpaceKind,
    /// Isolated spaces: the pmap over the L1 table (from [`Self::new_table`]).
    pmap: Option<Pmap<1024>>,
    /// Physical address of the 8 KiB block holding the L1 table (first 4 KiB)
    /// and the pmap's counters (second).
    l1_block: u32,
    /// Kernel-bound spaces: their window in the kernel's space.
    window: u32,
    /// Sorted by start, disjoint.
    regions: Vec<Region>,
    /// Hard spaces: reserved 1 MiB blocks not mapped yet.
    reserve: Vec<u32>,
    /// Lowest address for mmap / devices (isolated spaces: above the stack).
    next_va: u32,
    devices: Vec<(Device, Option<u32>)>,
    /// Kernel-bound spaces: what they map (the kernel pmap counts for all).
    kstats: PmapStats,
    /// Soft isolated spaces: most memory they may hold at once, anonymous
    /// and mapped memory objects together (a hard space's budget is its
    /// reserve, charged at admission).
    budget: u32,
    /// Anonymous memory held now.
    anon: u32,
    /// Memory objects mapped now (shared memory, DMA buffers; not image
    /// segments), charged to the budget like anonymous memory.
    objects: u32,
    /// Pages it maps from memory objects (shared image text, shared memory).
    shared_pages: u32,
    /// Copy-on-write faults taken (each made one private copy).
    cow_faults: u32,
}

/// Rights as user-mode attributes: W^X refused, `PROT_NONE` kernel-only.
fn user_attrs(prot: u32) -> Result<Attrs, MapError> {
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0
        || prot & (PROT_WRITE | PROT_EXEC) == PROT_WRITE | PROT_EXEC
    {
        return Err(MapError::Invalid);
    }
    let access = match (prot & PROT_READ != 0, prot & PROT_WRITE != 0) {
        (_, true) => Access::UserRw,
        (true, false) => Access::UserRo,
        (false, false) if prot & PROT_EXEC != 0 => Access::UserRo,
        (false, false) => Access::KernelRw, // PROT_NONE: no user access
    };
    Ok(Attrs::user(access, prot & PROT_EXEC == 0))
}

fn kernel_attrs() -> Attrs {
    Attrs::KERNEL_DATA
}

/// Empty translation-table blocks (8 KiB: L1 table and counters, all zero)
/// kept for new spaces, so that creating a process neither allocates nor
/// zeroes one: filled at boot ([`init`]), refilled by each space whose
/// teardown leaves its table empty (the pmap clears every entry and count
/// it unmaps, so an empty table is all zero again). At rest the spares are
/// always [`SPARE_TABLES`] blocks, so the free page count a test compares
/// before and after a process's life is not moved by them.
static SPARES: IrqLock<([u32; SPARE_TABLES], usize)> = IrqLock::new(([0; SPARE_TABLES], 0));
/// Spare translation-table blocks kept.
pub const SPARE_TABLES: usize = 4;

/// Boot: takes the spare translation-table blocks (zeroed).
pub fn init() {
    for _ in 0..SPARE_TABLES {
        let Ok(block) = crate::mm::alloc_task_frames(1) else {
            return;
        };
        // SAFETY: a fresh 8 KiB block in the linear map, ours alone.
        unsafe { arch::mem::zero_raw(phys_to_virt(block) as *mut u8, 8192) };
        if !keep_spare(block) {
            let _ = crate::mm::free_frames(block, 1);
        }
    }
}

/// Keeps an all-zero table block as a spare, if there is room.
fn keep_spare(block: u32) -> bool {
    let mut spares = SPARES.lock();
    let (blocks, n) = &mut *spares;
    if *n == SPARE_TABLES {
        return false;
    }
    blocks[*n] = block;
    *n += 1;
    true
}

/// The spare table blocks kept now, and whether every byte of them is zero
/// (tests: what a new space would get).
pub fn spare_tables() -> (usize, bool) {
    let (blocks, n) = *SPARES.lock();
    let zero = blocks[..n].iter().all(|&b| {
        let words = phys_to_virt(b) as *const u32;
        // SAFETY: a spare block: 8 KiB of RAM kept here, in the linear map.
        (0..2048).all(|i| unsafe { words.add(i).read_volatile() } == 0)
    });
    (n, zero)
}

/// A spare table block, if one is left.
fn take_spare() -> Option<u32> {
    let mut spares = SPARES.lock();
    let (blocks, n) = &mut *spares;
    *n = n.checked_sub(1)?;
    Some(blocks[*n])
}

/// Zeroes a 1 MiB block of a hard space's reserve (IRQs enabled, through
/// the linear map).
fn zero_section(block: u32) {
    // SAFETY: a 1 MiB block of the reserve: RAM the space owns and has not
    // mapped, reached through the linear map.
    unsafe { arch::mem::zero_raw(phys_to_virt(block) as *mut u8, SECTION as usize) };
}

impl AddressSpace {
    /// A new, empty space for process `owner`; its region list is allocated
    /// fallibly (NoMemory). An isolated one has no table until
    /// [`Self::new_table`].
    pub fn new(owner: u16, kind: SpaceKind) -> Result<Self, MapError> {
        let mut regions = Vec::new();
        regions
            .try_reserve_exact(MAX_REGIONS)
            .map_err(|_| MapError::NoMemory)?;
        Ok(AddressSpace {
            owner,
            kind,
            pmap: None,
            l1_block: 0,
            window: KTASK_START + owner as u32 * KTASK_WINDOW,
            regions,
            reserve: Vec::new(),
            next_va: MMAP_BASE,
            devices: Vec::new(),
            kstats: PmapStats::default(),
            budget: u32::MAX,
            anon: 0,
            objects: 0,
            shared_pages: 0,
            cow_faults: 0,
        })
    }

    /// What kind of space it is.
    pub fn kind(&self) -> SpaceKind {
        self.kind
    }

    /// An isolated space's translation table: an 8 KiB block holding its
    /// 4 KiB L1 table and the pmap's 2 KiB of per-slot counters.
    pub fn new_table(&mut self) -> Result<(), MapError> {
        let block = match take_spare() {
            Some(block) => block,
            None => {
                let block = crate::mm::alloc_task_frames(1)?;
                // SAFETY: a fresh 8 KiB block in the linear map, ours alone.
                unsafe { arch::mem::zero_raw(phys_to_virt(block) as *mut u8, 8192) };
                block
            }
        };
        let va = phys_to_virt(block);
        self.l1_block = block;
        let l1 = va as *mut u32;
        let live = (va + 4096) as *mut [u16; 1024];
        // SAFETY: l1 is the zeroed table and `live` the zeroed counters, owned
        // by this pmap until the space is torn down.
        self.pmap = Some(unsafe { Pmap::new(l1, live, USER_START..USER_END, false) });
        Ok(())
    }

    /// Physical address of the L1 table (TTBR0), 0 before [`Self::new_table`].
    pub fn ttbr0(&self) -> u32 {
        self.l1_block
    }

    /// Reserves `sections` 1 MiB blocks for a hard space, zeroed here (at
    /// admission, in the creator's time, IRQs enabled) so that its own
    /// `mmap` never zeroes; on failure gives back what it took.
    pub fn reserve(&mut self, sections: u32) -> Result<(), MapError> {
        let mut blocks = Vec::new();
        blocks
            .try_reserve_exact(sections as usize)
            .map_err(|_| MapError::NoMemory)?;
        for _ in 0..sections {
            match crate::mm::alloc_task_frames(8) {
                Ok(b) => blocks.push(b),
                Err(_) => {
                    for b in blocks {
                        let _ = crate::mm::free_frames(b, 8);
                    }
                    return Err(MapError::BudgetUnavailable { needed: sections });
                }
            }
        }
        // Zeroed only once the whole budget is secured: a refused admission
        // costs no megabytes of stores.
        for &b in &blocks {
            zero_section(b);
        }
        self.reserve = blocks;
        Ok(())
    }

    /// Soft isolated spaces: the most memory held at once, anonymous and
    /// mapped memory objects together.
    pub fn set_budget(&mut self, budget: u32) {
        self.budget = budget;
    }

    /// Charges `len` more bytes to a soft space's budget, or refuses with
    /// [`MapError::NoMemory`] if that would pass it (a hard space's memory
    /// was charged to its reserve at admission).
    fn charge(&self, len: u32) -> Result<(), MapError> {
        let held = self.anon.saturating_add(self.objects);
        if !self.kind.hard && held.saturating_add(len) > self.budget {
            return Err(MapError::NoMemory);
        }
        Ok(())
    }

    /// Bytes charged to the budget now: anonymous memory and mapped memory
    /// objects.
    pub fn charged(&self) -> u32 {
        self.anon + self.objects
    }

    /// The devices this space may map ([`Self::map_device`] by index).
    pub fn grant_devices(&mut self, devices: &[Device]) -> Result<(), MapError> {
        self.devices
            .try_reserve_exact(devices.len())
            .map_err(|_| MapError::NoMemory)?;
        self.devices.extend(devices.iter().map(|&d| (d, None)));
        Ok(())
    }

    /// Anonymous mappings and devices go at or above `va` (isolated spaces:
    /// above the stack).
    pub fn mmap_above(&mut self, va: u32) {
        self.next_va = self.next_va.max(va);
    }

    /// The space's regions, by address.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// Mapping counters: sections, pages, L2 tables.
    pub fn stats(&self) -> PmapStats {
        self.pmap.as_ref().map_or(self.kstats, |p| p.stats())
    }

    /// Hard spaces: 1 MiB blocks reserved and not yet mapped.
    pub fn reserved_sections(&self) -> usize {
        self.reserve.len()
    }

    /// The L1 entries of an isolated space's table (for tests and reports).
    pub fn l1_entries(&self) -> impl Iterator<Item = arch::mmu::descriptor::L1Entry> + '_ {
        (USER_START..USER_END)
            .step_by(SECTION as usize)
            .filter_map(|va| self.pmap.as_ref().map(|p| p.l1_entry(va)))
    }

    /// Translates a user address of this space.
    #[inline]
    pub fn translate(&self, va: u32) -> Option<arch::mmu::pmap::Translation> {
        let p = self.pmap.as_ref()?;
        crate::mm::with(|mm| p.extract(va, &mm.tables()))
    }

    /// Pages mapped from memory objects, and copy-on-write faults taken.
    pub fn sharing(&self) -> (u32, u32) {
        (self.shared_pages, self.cow_faults)
    }

    /// Adds a region (there is room: callers check), keeping the list sorted
    /// by address so that [`Self::find_gap`] needs one pass.
    fn add_region(&mut self, r: Region) {
        match self.regions.last() {
            Some(last) if last.start > r.start => {
                let i = self.regions.partition_point(|q| q.start < r.start);
                self.regions.insert(i, r);
            }
            _ => self.regions.push(r),
        }
    }

    /// The lowest free, granule-aligned range of `len` bytes for `mmap` and
    /// devices: first fit among the regions, so unmapped ranges are reused.
    /// One pass over the regions (sorted, disjoint, granule aligned): bounded,
    /// no allocation.
    fn find_gap(&self, len: u32) -> Option<u32> {
        let (mut at, hi) = if self.kind.isolated {
            (self.next_va, USER_END)
        } else {
            (self.window, self.window + KTASK_WINDOW)
        };
        for r in &self.regions {
            if at.saturating_add(len) <= r.start {
                break;
            }
            at = at.max(r.start + r.len);
        }
        at.checked_add(len).filter(|&e| e <= hi).map(|_| at)
    }
}
