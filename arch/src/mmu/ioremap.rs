//! ioremap: device registers mapped into a fixed window with 1 MiB sections.
//!
//! After BitThunder's `bt_ioremap()`: a device is reached through a section
//! of Device memory, kernel-only and execute-never, so an access to it is a
//! one-level table walk. The window is cut into 1 MiB slots; a slot remembers
//! which physical MiB it maps and how many ioremaps share it, so mapping a
//! second device in the same MiB (the GIC and the timers of an A9 share one)
//! reuses the mapping, and only the last iounmap removes it. Slots are found
//! by a scan of the window's fixed number of slots: bounded, and done only
//! when a driver starts.

use super::descriptor::{Attrs, SECTION_SIZE};
use super::pmap::{Pmap, PmapError, Size, TableSource};
use core::ops::Range;

/// Slots in the largest window this supports (the kernel's is 239 MiB).
pub const MAX_SLOTS: usize = 256;
/// Live ioremaps tracked at once (each `iounmap` must name one exactly).
pub const MAX_MAPPINGS: usize = 64;

/// Why an ioremap or iounmap was refused. Nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoError {
    /// Zero length, or the physical range wraps around 4 GiB.
    BadRange,
    /// No run of free slots long enough for the range.
    WindowFull,
    /// iounmap of an address and length that no live ioremap returned.
    NotMapped,
    /// [`MAX_MAPPINGS`] ioremaps are live already.
    TooMany,
    /// The pmap refused a section (it reports why).
    Pmap(PmapError),
}

#[derive(Clone, Copy, Default)]
struct Slot {
    /// Physical MiB number mapped here (valid while `refs > 0`).
    phys_mib: u32,
    /// ioremaps using this slot.
    refs: u16,
}

/// The ioremap window's bookkeeping.
pub struct IoRemap {
    window: Range<u32>,
    slots: [Slot; MAX_SLOTS],
    /// (virtual address, length) of every live ioremap.
    live: [Option<(u32, u32)>; MAX_MAPPINGS],
}

impl IoRemap {
    /// A window over `window` (1 MiB aligned, at most [`MAX_SLOTS`] MiB).
    pub const fn new(window: Range<u32>) -> Self {
        assert!(
            window.start.is_multiple_of(SECTION_SIZE) && window.end.is_multiple_of(SECTION_SIZE)
        );
        assert!(((window.end - window.start) / SECTION_SIZE) as usize <= MAX_SLOTS);
        Self {
            window,
            slots: [Slot {
                phys_mib: 0,
                refs: 0,
            }; MAX_SLOTS],
            live: [None; MAX_MAPPINGS],
        }
    }

    fn nslots(&self) -> usize {
        ((self.window.end - self.window.start) / SECTION_SIZE) as usize
    }

    fn mibs(phys: u32, len: u32) -> Result<(u32, usize), IoError> {
        let last = phys.checked_add(len.checked_sub(1).ok_or(IoError::BadRange)?);
        let last = last.ok_or(IoError::BadRange)?;
        Ok((phys >> 20, ((last >> 20) - (phys >> 20) + 1) as usize))
    }

    /// Maps `len` bytes of device registers at `phys`; returns the virtual
    /// address of `phys`.
    pub fn ioremap<const N: usize>(
        &mut self,
        phys: u32,
        len: u32,
        pmap: &mut Pmap<N>,
        src: &mut dyn TableSource,
    ) -> Result<u32, IoError> {
        let (first, n) = Self::mibs(phys, len)?;
        let handle = self
            .live
            .iter()
            .position(Option::is_none)
            .ok_or(IoError::TooMany)?;
        let total = self.nslots();
        let va =
            |s: usize| self.window.start + s as u32 * SECTION_SIZE + (phys & (SECTION_SIZE - 1));
        // Share: a run of live slots already mapping these MiBs in order.
        let shared = (0..total.saturating_sub(n - 1)).find(|&s| {
            (0..n).all(|k| {
                self.slots[s + k].refs > 0 && self.slots[s + k].phys_mib == first + k as u32
            })
        });
        if let Some(s) = shared {
            for k in 0..n {
                self.slots[s + k].refs += 1;
            }
            let v = va(s);
            self.live[handle] = Some((v, len));
            return Ok(v);
        }
        let free = (0..total.saturating_sub(n - 1))
            .find(|&s| (0..n).all(|k| self.slots[s + k].refs == 0))
            .ok_or(IoError::WindowFull)?;
        for k in 0..n {
            let slot_va = self.window.start + (free + k) as u32 * SECTION_SIZE;
            let pa = (first + k as u32) << 20;
            if let Err(e) = pmap.map(slot_va, pa, Size::Section, Attrs::DEVICE, src) {
                for j in 0..k {
                    let undo = self.window.start + (free + j) as u32 * SECTION_SIZE;
                    let _ = pmap.unmap(undo, Size::Section, src);
                    self.slots[free + j].refs = 0;
                }
                return Err(IoError::Pmap(e));
            }
            self.slots[free + k] = Slot {
                phys_mib: first + k as u32,
                refs: 1,
            };
        }
        let v = va(free);
        self.live[handle] = Some((v, len));
        Ok(v)
    }

    /// Drops one use of the mapping `ioremap(_, len)` returned as `va`; the
    /// last use unmaps its sections (and invalidates their TLB entries).
    /// Returns how many sections were unmapped.
    pub fn iounmap<const N: usize>(
        &mut self,
        va: u32,
        len: u32,
        pmap: &mut Pmap<N>,
        src: &mut dyn TableSource,
    ) -> Result<usize, IoError> {
        if !self.window.contains(&va) {
            return Err(IoError::NotMapped);
        }
        let handle = self.live.iter().position(|h| *h == Some((va, len)));
        let handle = handle.ok_or(IoError::NotMapped)?;
        let s = ((va - self.window.start) / SECTION_SIZE) as usize;
        let (_, n) = Self::mibs(va, len)?;
        if s + n > self.nslots() || (0..n).any(|k| self.slots[s + k].refs == 0) {
            return Err(IoError::NotMapped);
        }
        self.live[handle] = None;
        let mut removed = 0;
        for k in 0..n {
            let slot = &mut self.slots[s + k];
            slot.refs -= 1;
            if slot.refs == 0 {
                let slot_va = self.window.start + (s + k) as u32 * SECTION_SIZE;
                pmap.unmap(slot_va, Size::Section, src)
                    .map_err(IoError::Pmap)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Sections currently mapped in the window.
    pub fn mapped_sections(&self) -> usize {
        self.slots.iter().filter(|s| s.refs > 0).count()
    }

    /// Users of the slot holding `va` (0 if unmapped).
    pub fn refs(&self, va: u32) -> u16 {
        if !self.window.contains(&va) {
            return 0;
        }
        self.slots[((va - self.window.start) / SECTION_SIZE) as usize].refs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mmu::descriptor::MemType;

    struct NoTables;
    impl TableSource for NoTables {
        fn alloc_l2(&mut self) -> Option<u32> {
            None
        }
        fn free_l2(&mut self, _: u32) {}
        fn table_ptr(&self, _: u32) -> *mut u32 {
            core::ptr::null_mut()
        }
    }

    #[test]
    fn shares_and_unmaps_on_last_use() {
        let mut l1 = Box::new([0u32; 4096]);
        // SAFETY: l1 is a host table owned by this test.
        let mut p: Pmap<4096> = unsafe {
            Pmap::new(
                l1.as_mut_ptr(),
                crate::mmu::pmap::tests::counts(),
                0x4000_0000..0xFFF0_0000,
                true,
            )
        };
        let mut io = IoRemap::new(0xF000_0000..0xFEF0_0000);
        let a = io
            .ioremap(0x1E00_0100, 0x100, &mut p, &mut NoTables)
            .unwrap();
        assert_eq!(a, 0xF000_0100);
        let b = io
            .ioremap(0x1E00_1000, 0x1000, &mut p, &mut NoTables)
            .unwrap();
        assert_eq!(b, 0xF000_1000, "same MiB: shared slot");
        assert_eq!(io.refs(a), 2);
        let t = p.extract(b, &NoTables).unwrap();
        assert_eq!(
            (t.phys, t.size, t.attrs.mem, t.attrs.xn),
            (0x1E00_1000, Size::Section, MemType::Device, true)
        );
        assert!(!t.attrs.access.user_readable());
        let c = io
            .ioremap(0x100F_F000, 0x2000, &mut p, &mut NoTables)
            .unwrap();
        assert_eq!(c, 0xF01F_F000, "a range over two MiBs takes two slots");
        assert_eq!(io.mapped_sections(), 3);
        assert_eq!(io.iounmap(a, 0x100, &mut p, &mut NoTables), Ok(0));
        assert!(p.extract(a, &NoTables).is_some(), "still used by b");
        assert_eq!(io.iounmap(b, 0x1000, &mut p, &mut NoTables), Ok(1));
        assert!(p.extract(a, &NoTables).is_none());
        assert_eq!(
            io.iounmap(b, 0x1000, &mut p, &mut NoTables),
            Err(IoError::NotMapped)
        );
        assert_eq!(io.iounmap(c, 0x2000, &mut p, &mut NoTables), Ok(2));
        assert_eq!(io.mapped_sections(), 0);
        assert_eq!(p.stats().sections, 0);
        assert_eq!(
            io.ioremap(0, 0, &mut p, &mut NoTables),
            Err(IoError::BadRange)
        );
        assert_eq!(
            io.ioremap(0xFFFF_F000, 0x2000, &mut p, &mut NoTables),
            Err(IoError::BadRange)
        );
    }
}
