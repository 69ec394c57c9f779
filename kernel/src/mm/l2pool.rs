//! L2 translation tables: 1 KiB each, packed four to a 4 KiB frame.
//!
//! As in seed 002's VMM, a frame holds four coarse tables. Free slots form a
//! doubly-linked list threaded through the free slots themselves (in the
//! linear map), so allocation is a pop and a free is a push, both O(1). Which
//! slots of a frame are in use is kept in the frame's reverse-map entry
//! (`owner = OWNER_L2 | mask`): when the fourth slot comes free, the other
//! three are unlinked in O(1) and the frame goes back to the page allocator,
//! so unmapping everything returns every page.
//!
//! **Zeroing.** A table must be all fault entries (zero) when handed out, and
//! all of this runs under the MM lock, where zeroing 1 KiB costs about a
//! thousand instructions that a waiting hard thread would pay. So free slots are kept zeroed: a
//! table comes back only when its last entry has been unmapped, so it is
//! zero already (the [`TableSource`](arch::mmu::pmap::TableSource) contract),
//! and a frame zeroed before it joins the pool ([`L2Pool::add_zeroed_frame`],
//! done with IRQs enabled by `space.rs`) gives four zeroed slots. A free slot
//! is then zero except its two link words, which `alloc` clears. Only the
//! slots of a frame that `alloc` itself had to take from the page allocator
//! are marked dirty (word [`MARK`]) and zeroed whole when handed out.

use super::frames::FrameAllocator;
use crate::layout::phys_to_virt;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Reverse-map owner of a frame split into L2 tables; the low four bits say
/// which of its slots are in use.
pub const OWNER_L2: u16 = 0xFFF0;
const SLOT: u32 = 1024;
// Not 0: on boards with RAM at 0 a slot may well sit at physical 0.
const NIL: u32 = 1;
/// The word of a free slot, after its two links, that says whether the rest
/// of the slot is zero (0) or unknown ([`DIRTY`]).
const MARK: usize = 2;
/// [`MARK`] of a slot whose contents are unknown.
const DIRTY: u32 = 1;

/// The pool's free slots, readable without the MM lock (the kernel has one
/// pool): a hint, exact whenever nobody holds the lock.
static FREE_HINT: AtomicUsize = AtomicUsize::new(0);

/// [`L2Pool::free_slots`] without the lock (see [`FREE_HINT`]).
pub fn free_slots_hint() -> usize {
    FREE_HINT.load(Ordering::Relaxed)
}

/// The pool of free L2 table slots.
pub struct L2Pool {
    head: u32,
    free_slots: usize,
    frames: usize,
    /// A frame [`L2Pool::add_zeroed_frame`] added ahead of a map that
    /// needed a table, none of whose tables is in use yet ([`NIL`]: none).
    /// If the map failed or did not need it after all, [`L2Pool::trim`]
    /// gives it back, so that the pool never keeps a whole free frame.
    spare: u32,
    /// The spare was added in the current hold of the MM lock: it is kept
    /// past that hold's end, for the map in the next one.
    spare_new: bool,
}

fn link(slot: u32) -> *mut [u32; 2] {
    phys_to_virt(slot) as *mut [u32; 2]
}

fn words(slot: u32) -> *mut u32 {
    phys_to_virt(slot) as *mut u32
}

impl L2Pool {
    /// An empty pool.
    pub const fn new() -> Self {
        Self {
            head: NIL,
            free_slots: 0,
            frames: 0,
            spare: NIL,
            spare_new: false,
        }
    }

    /// Frames the pool holds.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Tables in use.
    pub fn tables(&self) -> usize {
        self.frames * 4 - self.free_slots
    }

    /// Free tables, ready to hand out.
    pub fn free_slots(&self) -> usize {
        self.free_slots
    }

    fn push(&mut self, slot: u32) {
        // SAFETY: slot is a free 1 KiB slot of a pool frame, mapped by the
        // linear map; free slots hold only their list links.
        unsafe {
            link(slot).write([self.head, NIL]);
            if self.head != NIL {
                (*link(self.head))[1] = slot;
            }
        }
        self.head = slot;
        self.free_slots += 1;
        FREE_HINT.store(self.free_slots, Ordering::Relaxed);
    }

    fn unlink(&mut self, slot: u32) {
        // SAFETY: slot is on the free list, so its links are valid.
        unsafe {
            let [next, prev] = link(slot).read();
            if prev == NIL {
                self.head = next;
            } else {
                (*link(prev))[0] = next;
            }
            if next != NIL {
                (*link(next))[1] = prev;
            }
        }
        self.free_slots -= 1;
        FREE_HINT.store(self.free_slots, Ordering::Relaxed);
    }

    /// Adds `frame`, fresh from the page allocator and zeroed, as four free
    /// zeroed tables.
    pub fn add_zeroed_frame(&mut self, frame: u32, frames: &mut FrameAllocator) {
        if frames.set_owner(frame, OWNER_L2).is_err() {
            let _ = frames.free(frame, 0);
            return;
        }
        self.frames += 1;
        for k in (0..4).rev() {
            self.push(frame + k * SLOT); // MARK stays 0: the frame is zero
        }
        if self.spare == NIL {
            self.spare = frame;
            self.spare_new = true;
        }
    }

    /// Called at the end of every hold of the MM lock: gives back the spare
    /// frame (field `spare`) if none of its tables was taken by the end
    /// of the hold after the one that added it (the map it was prepared
    /// for failed, needed no table, or another table served it).
    #[inline]
    pub fn trim(&mut self, frames: &mut FrameAllocator) {
        if self.spare == NIL {
            return;
        }
        if core::mem::replace(&mut self.spare_new, false) {
            return;
        }
        let frame = core::mem::replace(&mut self.spare, NIL);
        for k in 0..4 {
            self.unlink(frame + k * SLOT);
        }
        let _ = frames.set_owner(frame, 0);
        frames
            .free(frame, 0)
            .expect("L2 pool frame was allocated by the pool");
        self.frames -= 1;
    }

    /// A zeroed L2 table, or None when no frame is left.
    pub fn alloc(&mut self, frames: &mut FrameAllocator) -> Option<u32> {
        #[cfg(all(feature = "fault-inject", target_os = "none"))]
        if crate::mm::inject::should_fail(crate::mm::inject::Site::L2) {
            return None;
        }
        if self.head == NIL {
            let frame = frames.alloc(0).ok()?;
            frames.set_owner(frame, OWNER_L2).ok()?;
            self.frames += 1;
            for k in (0..4).rev() {
                let slot = frame + k * SLOT;
                self.push(slot);
                // SAFETY: a free slot of our frame; words past its links are
                // ours to write.
                unsafe { words(slot).add(MARK).write(DIRTY) };
            }
        }
        let slot = self.head;
        self.unlink(slot);
        let frame = slot & !0xFFF;
        if frame == self.spare {
            self.spare = NIL;
        }
        let mask = frames.desc(frame)?.owner() | 1 << ((slot >> 10) & 3);
        frames.set_owner(frame, mask).ok()?;
        // SAFETY: the slot is ours now: every entry must become a fault. A
        // clean free slot is zero but for its links; a dirty one is zeroed.
        unsafe {
            if words(slot).add(MARK).read() == DIRTY {
                arch::mem::zero_raw(words(slot).cast(), 1024);
            } else {
                link(slot).write([0, 0]);
            }
        }
        Some(slot)
    }

    /// Returns a table, which must be all fault entries (zero): it stays
    /// zeroed on the free list. Tables not from the pool (the boot stub's)
    /// are kept.
    pub fn free(&mut self, slot: u32, frames: &mut FrameAllocator) {
        let frame = slot & !0xFFF;
        let Some(owner) = frames.desc(frame).map(|d| d.owner()) else {
            return;
        };
        let bit = 1 << ((slot >> 10) & 3);
        if owner & 0xFFF0 != OWNER_L2 || owner & bit == 0 {
            return; // a boot table, or not in use: nothing to give back
        }
        let mask = owner & !bit;
        if mask & 0xF == 0 {
            for k in 0..4 {
                let other = frame + k * SLOT;
                if other != slot {
                    self.unlink(other);
                }
            }
            let _ = frames.set_owner(frame, 0);
            frames
                .free(frame, 0)
                .expect("L2 pool frame was allocated by the pool");
            self.frames -= 1;
        } else {
            let _ = frames.set_owner(frame, mask);
            self.push(slot);
        }
    }
}
