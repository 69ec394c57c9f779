//! The kernel's memory: RAM bring-up, the kernel address space, ioremap.
//!
//! [`init`] turns the boot record into a frame allocator over all RAM (minus
//! the image, the boot tables and the page descriptors), adopts the boot
//! translation table as the kernel's pmap (TTBR1 half: 0x4000_0000 and up),
//! moves the console to ioremap and removes the boot stub's early UART
//! mapping. Everything else reaches these through the functions below, which
//! take [`MM`] for the duration of one operation.
//!
//! [`MM`] is a sleeping lock with priority inheritance
//! ([`thread::sync::Mutex`](crate::thread::sync::Mutex)), not an IRQ-masking
//! one: a page map (600-700 instructions) runs with interrupts enabled, and
//! a hard thread that needs the lock while a soft one holds it lends the
//! holder its priority for that one bounded operation. So the rules of a
//! `Mutex` apply to every function here (and to the kernel heap, which
//! calls them): thread context only. **Interrupt handlers never call
//! `kernel::mm` or allocate**, and nothing calls them under the scheduler
//! lock or another `IrqLock`; both are kernel bugs that panic at once (see
//! `thread::sync`). Before the scheduler starts the lock is uncontended and
//! works without it.

use super::frames::{FrameAllocator, FrameError, MAX_ORDER, PAGE_SIZE, PageDesc};
use super::l2pool::{self, L2Pool};
use crate::boot::BootInfo;
use crate::layout::phys_to_virt;
use crate::layout::{EARLY_UART_VBASE, IOREMAP_END, IOREMAP_START, KTASK_END, KTASK_START};
use crate::thread::sync::Mutex;
use crate::{BOARD, println};
use arch::mmu::descriptor::{Attrs, L1Entry};
use arch::mmu::ioremap::{IoError, IoRemap};
use arch::mmu::pmap::{Pmap, PmapError, PmapStats, Size, TableSource, Translation};
use core::mem::MaybeUninit;

/// Highest virtual address (exclusive) the kernel pmap manages: the last MiB
/// (high vectors) is left alone.
const KERNEL_SPACE_END: u32 = 0xFFF0_0000;

/// Everything [`MM`] guards.
pub struct Mm {
    /// The physical page allocator and reverse map.
    pub frames: FrameAllocator<'static>,
    l2: L2Pool,
    kpmap: Pmap<4096>,
}

/// The memory manager, behind one sleeping lock (see the module docs).
pub static MM: Mutex<Option<Mm>> = Mutex::new(None);

/// The ioremap window (taken before [`MM`] when both are needed; sleeping
/// too).
static IO: Mutex<IoRemap> = Mutex::new(IoRemap::new(IOREMAP_START..IOREMAP_END));

/// The kernel pmap's live-entry counters (8 KiB: kept out of the stack).
static mut KERNEL_L2_LIVE: [u16; 4096] = [0; 4096];

/// Free pages that process memory (see [`alloc_task_frames`]) never takes:
/// 256 KiB kept for the kernel heap's growth, thread stacks and TCBs, so
/// that processes filling RAM cannot make a kernel allocation fail.
pub const KERNEL_RESERVE_PAGES: usize = 64;

/// A [`TableSource`] over the L2 pool and the frames it draws from.
pub struct Tables<'a> {
    frames: &'a mut FrameAllocator<'static>,
    l2: &'a mut L2Pool,
    /// Free pages a new pool frame may not dip into (process tables).
    floor: usize,
}

impl TableSource for Tables<'_> {
    fn alloc_l2(&mut self) -> Option<u32> {
        if self.l2.free_slots() == 0 && self.frames.free_pages() <= self.floor {
            return None;
        }
        self.l2.alloc(self.frames)
    }
    fn free_l2(&mut self, phys: u32) {
        self.l2.free(phys, self.frames)
    }
    fn table_ptr(&self, phys: u32) -> *mut u32 {
        phys_to_virt(phys) as *mut u32
    }
}

impl Tables<'_> {
    /// [`Mm::note_unmapped`] through a table source (for
    /// [`Pmap::unmap_pages`], which lends it back for each frame).
    #[inline]
    pub fn note_unmapped(&mut self, pa: u32) {
        self.frames.map_count_one(pa, false);
    }
}

impl Mm {
    /// Records in the reverse map that a translation now points at RAM frame
    /// `pa` (counted on its block's first page); device memory is ignored.
    #[inline]
    pub fn note_mapped(&mut self, pa: u32) {
        let _ = self.frames.map_inc_block(pa);
    }

    /// [`Mm::note_mapped`] for the first page of an allocated block (a frame
    /// a task took for itself: a soft task's page, a hard task's section):
    /// counted there, without looking for the block.
    pub fn note_mapped_head(&mut self, pa: u32) {
        let counted = self.frames.map_inc(pa);
        debug_assert!(counted.is_ok(), "{pa:#x} heads no allocated block");
    }

    /// The reverse of [`Mm::note_mapped`], after an unmap.
    #[inline]
    pub fn note_unmapped(&mut self, pa: u32) {
        let _ = self.frames.map_dec_block(pa);
    }

    /// [`Mm::note_mapped`] (`up`) or [`Mm::note_unmapped`] for each frame
    /// of a run mapped or unmapped at once.
    #[inline]
    pub fn note_run(&mut self, pas: &[u32], up: bool) {
        self.frames.map_count_run(pas, up);
    }

    /// The kernel pmap and a table source, borrowed together.
    pub fn kernel_space(&mut self) -> (&mut Pmap<4096>, Tables<'_>) {
        (
            &mut self.kpmap,
            Tables {
                frames: &mut self.frames,
                l2: &mut self.l2,
                floor: 0,
            },
        )
    }

    /// A table source alone (for process pmaps: unmap, protect, extract).
    pub fn tables(&mut self) -> Tables<'_> {
        Tables {
            frames: &mut self.frames,
            l2: &mut self.l2,
            floor: 0,
        }
    }

    /// The table source for maps in process pmaps: a new table never takes
    /// one of the last [`KERNEL_RESERVE_PAGES`] free pages.
    pub fn task_tables(&mut self) -> Tables<'_> {
        Tables {
            frames: &mut self.frames,
            l2: &mut self.l2,
            floor: KERNEL_RESERVE_PAGES,
        }
    }
}

/// Runs `f` with the memory manager locked.
#[cfg_attr(feature = "irqsoff", track_caller)]
pub fn with<R>(f: impl FnOnce(&mut Mm) -> R) -> R {
    let mut guard = MM.lock();
    let mm = guard.as_mut().expect("mm::init has run");
    let r = f(mm);
    // A pool frame prepared for a map that did not use it goes back (see
    // `prepare_table`).
    mm.l2.trim(&mut mm.frames);
    r
}

/// Brings up physical memory and the kernel address space (once, at boot).
pub fn init(info: &BootInfo) {
    let ram_end = info.ram_base + info.ram_size;
    let descs_len = FrameAllocator::descs_needed(info.ram_size);
    let descs_phys = info.kernel_phys_end;
    let descs_bytes = (descs_len * size_of::<PageDesc>()) as u32;
    let descs_end = (descs_phys + descs_bytes).next_multiple_of(PAGE_SIZE);
    assert!(
        descs_end < ram_end,
        "RAM too small for the page descriptors"
    );
    let ptr = phys_to_virt(descs_phys) as *mut MaybeUninit<PageDesc>;
    // SAFETY: [descs_phys, descs_end) is RAM past the image, mapped RW by the
    // linear map, used by nothing else and for as long as the kernel runs;
    // the allocator initialises every descriptor before reading any.
    let descs = unsafe { core::slice::from_raw_parts_mut(ptr, descs_len) };
    // One pass over the descriptors (boot time grows with RAM by that pass).
    let free = [
        (info.ram_base, info.kernel_phys_start),
        (descs_end, ram_end),
    ];
    let mut frames = FrameAllocator::with_free_ranges(info.ram_base, descs, &free)
        .expect("RAM below and above the image");

    println!(
        "mm: RAM {:#010x}-{:#010x} ({} MiB, {} pages)",
        info.ram_base,
        ram_end,
        info.ram_size >> 20,
        frames.total_pages()
    );
    println!(
        "mm: reserved: kernel image and boot tables {:#010x}-{:#010x}, page descriptors {:#010x}-{:#010x} ({} KiB)",
        info.kernel_phys_start,
        info.kernel_phys_end,
        descs_phys,
        descs_end,
        (descs_end - descs_phys) >> 10
    );
    print_free(&frames);

    let l1 = phys_to_virt(info.l1_phys) as *mut u32;
    let live = &raw mut KERNEL_L2_LIVE;
    // SAFETY: l1 is the live boot table (now the kernel's); from here on only
    // this pmap writes entries at or above KTASK_START; `live` is used by this
    // pmap alone and starts zeroed (.bss).
    let mut kpmap = unsafe { Pmap::<4096>::new(l1, live, KTASK_START..KERNEL_SPACE_END, true) };
    let mut l2 = L2Pool::new();
    kpmap.adopt(&Tables {
        frames: &mut frames,
        l2: &mut l2,
        floor: 0,
    });
    *MM.lock() = Some(Mm { frames, l2, kpmap });

    let uart = ioremap(BOARD.console.base, 0x1000).expect("ioremap of the console");
    // SAFETY: uart maps the console UART as device memory for good.
    unsafe { crate::console::init(uart) };
    with(|mm| {
        let (kpmap, mut tables) = mm.kernel_space();
        kpmap.unmap(EARLY_UART_VBASE, Size::Section, &mut tables)
    })
    .expect("the boot stub mapped the early console");
    println!("mm: console moved to ioremap; early mapping at {EARLY_UART_VBASE:#010x} removed");
    super::heap::init();
}

fn print_free(frames: &FrameAllocator) {
    crate::print!(
        "mm: {} pages free; free blocks by order (4K<<n):",
        frames.free_pages()
    );
    for order in 0..=MAX_ORDER {
        crate::print!(" {order}:{}", frames.free_blocks(order));
    }
    println!();
}

/// Allocates `2^order` contiguous, naturally aligned physical pages.
pub fn alloc_frames(order: u8) -> Result<u32, FrameError> {
    with(|mm| mm.frames.alloc(order))
}

/// [`alloc_frames`] for process memory (a soft task's pages, a process's
/// tables, a hard task's reserve): refused with `OutOfMemory` when it would
/// leave fewer than [`KERNEL_RESERVE_PAGES`] pages free.
pub fn alloc_task_frames(order: u8) -> Result<u32, FrameError> {
    with(|mm| {
        let want = 1usize << order.min(MAX_ORDER);
        if mm.frames.free_pages() < want + KERNEL_RESERVE_PAGES {
            return Err(FrameError::OutOfMemory);
        }
        mm.frames.alloc(order)
    })
}

/// [`alloc_task_frames`] that also records `owner` on the block, under the
/// same hold of the lock (a process's page: one lock round trip, not two).
pub fn alloc_task_frames_owned(order: u8, owner: u16) -> Result<u32, FrameError> {
    with(|mm| {
        let want = 1usize << order.min(MAX_ORDER);
        if mm.frames.free_pages() < want + KERNEL_RESERVE_PAGES {
            return Err(FrameError::OutOfMemory);
        }
        let phys = mm.frames.alloc(order)?;
        mm.frames
            .set_owner(phys, owner)
            .expect("a block just allocated");
        Ok(phys)
    })
}

/// Monotonic allocation counters: successful frame allocations (every
/// order, L2 table and heap growth frames included) and heap allocations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocCounts {
    /// Blocks the frame allocator handed out since boot.
    pub frames: u64,
    /// Kernel heap allocations since boot.
    pub heap: u64,
}

/// The allocation counters now: equal readings before and after a stretch
/// of work mean nothing was allocated in it, even if freed again.
pub fn alloc_counts() -> AllocCounts {
    AllocCounts {
        frames: with(|mm| mm.frames.allocations()),
        heap: super::heap::allocations(),
    }
}

/// Free pages now (a snapshot: others may allocate right after).
pub fn free_pages() -> usize {
    with(|mm| mm.frames.free_pages())
}

/// Frees a block [`alloc_frames`] returned.
pub fn free_frames(phys: u32, order: u8) -> Result<(), FrameError> {
    with(|mm| mm.frames.free(phys, order))
}

/// The reverse-map entry of a physical page.
pub fn page_info(phys: u32) -> Option<PageDesc> {
    with(|mm| mm.frames.desc(phys).copied())
}

/// The part of the kernel's space that [`map`], [`unmap`] and [`protect`]
/// may change: the kernel-task area. The image, the linear map, the heap and
/// the ioremap window are only changed by their own code.
fn check_ktask(va: u32, size: Size) -> Result<(), PmapError> {
    match va.checked_add(size.bytes()) {
        Some(end) if va >= KTASK_START && end <= KTASK_END => Ok(()),
        _ => Err(PmapError::OutOfRange),
    }
}

/// Makes sure the L2 pool has a free table before a map that needs a new
/// one, so that the map, which runs whole under [`MM`], does not zero a
/// table there (keeping the lock's hold time, which a hard thread may wait
/// for, short). When the pool is empty this takes a frame, zeroes
/// it with IRQs enabled and no lock held (nothing else can reach the frame
/// yet: it is in no table and no list), and gives it to the pool as four
/// zeroed tables; if the pool got a free table meanwhile, the frame goes
/// back. If the map that follows takes none of the four (it failed, or
/// needed no table after all), the frame goes back at the end of that
/// hold of [`MM`] ([`with`]), so the pool never keeps a whole free frame
/// (`mm_fault_inject` found one kept when a map failed). `needs` says, under the lock, whether the map needs a new table.
///
/// It does nothing when IRQs are masked (boot): there zeroing 4 KiB here
/// would only lengthen the masked section, and the map zeroes just the 1 KiB
/// it needs. If another thread
/// takes the table before the map runs, the map takes a frame itself and
/// zeroes the table under the lock, as every map did before.
fn prepare_table(needs: impl FnOnce(&mut Mm) -> bool) {
    // The common case, without the lock: the pool has a table.
    if l2pool::free_slots_hint() > 0 {
        return;
    }
    if !arch::cpu::interrupts_disable() {
        return;
    }
    arch::cpu::interrupts_enable();
    let frame = with(|mm| {
        if mm.l2.free_slots() > 0 || !needs(mm) {
            return None;
        }
        mm.frames.alloc(0).ok()
    });
    let Some(frame) = frame else { return };
    // SAFETY: a frame just taken from the page allocator, in the linear map,
    // ours alone until the pool gets it below.
    unsafe { arch::mem::zero_raw(phys_to_virt(frame) as *mut u8, PAGE_SIZE as usize) };
    with(|mm| {
        if mm.l2.free_slots() == 0 {
            mm.l2.add_zeroed_frame(frame, &mut mm.frames);
        } else {
            let _ = mm.frames.free(frame, 0);
        }
    });
}

/// [`prepare_table`] for a map of a `size` granule at `va` in `pmap`, a
/// process's table that only its owner changes (so reading its L1 entry
/// needs no lock): call it before the map, outside [`MM`].
pub fn prepare_l2<const N: usize>(pmap: &Pmap<N>, va: u32, size: Size) {
    if size.is_l2() && pmap.l1_entry(va) == L1Entry::Fault {
        prepare_table(|mm| mm.frames.free_pages() > KERNEL_RESERVE_PAGES);
    }
}

/// Maps `pa` at `va` in the kernel-task area of the kernel's address space
/// (global mappings); a RAM frame's reverse-map count goes up.
pub fn map(va: u32, pa: u32, size: Size, attrs: Attrs) -> Result<(), PmapError> {
    check_ktask(va, size)?;
    if size.is_l2() {
        prepare_table(|mm| mm.kpmap.l1_entry(va) == L1Entry::Fault);
    }
    with(|mm| {
        let (kpmap, mut t) = mm.kernel_space();
        kpmap.map(va, pa, size, attrs, &mut t)?;
        mm.note_mapped(pa);
        Ok(())
    })
}

/// Unmaps the `size` mapping at `va` in the kernel-task area; returns its
/// physical address.
pub fn unmap(va: u32, size: Size) -> Result<u32, PmapError> {
    check_ktask(va, size)?;
    with(|mm| {
        let (kpmap, mut t) = mm.kernel_space();
        let pa = kpmap.unmap(va, size, &mut t)?;
        mm.note_unmapped(pa);
        Ok(pa)
    })
}

/// Changes the attributes of a mapping in the kernel-task area.
pub fn protect(va: u32, size: Size, attrs: Attrs) -> Result<(), PmapError> {
    check_ktask(va, size)?;
    with(|mm| {
        let (kpmap, mut t) = mm.kernel_space();
        kpmap.protect(va, size, attrs, &mut t)
    })
}

/// Translates a kernel virtual address.
pub fn extract(va: u32) -> Option<Translation> {
    with(|mm| {
        let (kpmap, t) = mm.kernel_space();
        kpmap.extract(va, &t)
    })
}

/// Maps `len` bytes of device registers at physical `phys` into the ioremap
/// window (Device, kernel-only, XN, 1 MiB sections, shared per MiB); returns
/// the virtual address of `phys`.
pub fn ioremap(phys: u32, len: u32) -> Result<usize, IoError> {
    let va = ioremap_quiet(phys, len)?;
    println!("ioremap: {phys:#010x} (+{len:#x}) -> {va:#010x}");
    Ok(va)
}

/// [`ioremap`] without its console line (the benchmark times this).
pub fn ioremap_quiet(phys: u32, len: u32) -> Result<usize, IoError> {
    let mut io = IO.lock();
    let va = with(|mm| {
        let (kpmap, mut t) = mm.kernel_space();
        io.ioremap(phys, len, kpmap, &mut t)
    })?;
    Ok(va as usize)
}

/// Drops one use of an ioremap; the last one unmaps the sections. Returns how
/// many sections were removed.
pub fn iounmap(va: usize, len: u32) -> Result<usize, IoError> {
    let mut io = IO.lock();
    with(|mm| {
        let (kpmap, mut t) = mm.kernel_space();
        io.iounmap(va as u32, len, kpmap, &mut t)
    })
}

/// Users of the ioremap slot holding `va`.
pub fn ioremap_refs(va: usize) -> u16 {
    IO.lock().refs(va as u32)
}

/// A snapshot of the memory counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemStats {
    /// Free 4 KiB pages.
    pub free_pages: usize,
    /// Pages managed.
    pub total_pages: usize,
    /// Free blocks per order.
    pub free_blocks: [usize; MAX_ORDER as usize + 1],
    /// Allocated blocks per order.
    pub used_blocks: [usize; MAX_ORDER as usize + 1],
    /// Frames holding L2 tables, and the tables in use.
    pub l2_frames: usize,
    /// L2 tables in use.
    pub l2_tables: usize,
    /// The kernel pmap's counters.
    pub kernel: PmapStats,
}

/// The memory counters now. The frame allocator's page cache is drained
/// first (a few thousand instructions at most, under the lock), so the
/// per-order counts are those of fully merged free lists: the same free
/// pages always read the same, however they were freed.
pub fn stats() -> MemStats {
    with(|mm| {
        mm.frames.drain_cache();
        let mut s = MemStats {
            free_pages: mm.frames.free_pages(),
            total_pages: mm.frames.total_pages(),
            free_blocks: [0; MAX_ORDER as usize + 1],
            used_blocks: [0; MAX_ORDER as usize + 1],
            l2_frames: mm.l2.frames(),
            l2_tables: mm.l2.tables(),
            kernel: mm.kpmap.stats(),
        };
        for o in 0..=MAX_ORDER {
            s.free_blocks[o as usize] = mm.frames.free_blocks(o);
            s.used_blocks[o as usize] = mm.frames.used_blocks(o);
        }
        s
    })
}

/// Fault injection: the L2 tables [`hold_free_l2`] took, chained through
/// their first word; [`HELD_END`] when empty.
#[cfg(feature = "fault-inject")]
static HELD_L2: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(HELD_END);

/// The end of the held chain: no table (tables are 1 KiB aligned; 0 is one
/// on boards with RAM at 0).
#[cfg(feature = "fault-inject")]
const HELD_END: u32 = 1;

/// Takes every free table of the L2 pool, so that the next new table must
/// refill it (`kernel::mm::inject`). Returns how many it took.
#[cfg(feature = "fault-inject")]
pub fn hold_free_l2() -> usize {
    use core::sync::atomic::Ordering::Relaxed;
    with(|mm| {
        let mut n = 0;
        while mm.l2.free_slots() > 0 {
            let Some(slot) = mm.l2.alloc(&mut mm.frames) else {
                break;
            };
            // SAFETY: a table just handed out, ours: its first word links
            // the chain (and is zeroed again before it goes back).
            unsafe { (phys_to_virt(slot) as *mut u32).write(HELD_L2.load(Relaxed)) };
            HELD_L2.store(slot, Relaxed);
            n += 1;
        }
        n
    })
}

/// Gives back the tables [`hold_free_l2`] took.
#[cfg(feature = "fault-inject")]
pub fn release_held_l2() {
    use core::sync::atomic::Ordering::Relaxed;
    with(|mm| {
        let mut slot = HELD_L2.swap(HELD_END, Relaxed);
        while slot != HELD_END {
            let word = phys_to_virt(slot) as *mut u32;
            // SAFETY: a held table: its first word is the chain's link, the
            // rest zero; with that word zeroed it is an empty table again,
            // which the pool takes back.
            let next = unsafe {
                let next = word.read();
                word.write(0);
                next
            };
            mm.l2.free(slot, &mut mm.frames);
            slot = next;
        }
    })
}
