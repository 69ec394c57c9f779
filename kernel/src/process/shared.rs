//! A process's side of memory objects (the mapping itself is the mapper's,
//! [`crate::mm::mapper`]): a hard process's granted objects mapped at its
//! admission, and revocation, which walks the processes that map an object.

use super::{PAGE, ProcError, Process, Share, with_process};
use crate::handle::Rights;
use crate::mm::object::book::{MapId, SpaceId};
use crate::mm::object::{BOOK, MemObject};
use crate::syscall::abi::{PROT_READ, PROT_WRITE};
use alloc::vec::Vec;

impl Process {
    /// Sections of memory objects its handles let it map (a hard process
    /// maps them at admission, charged to its budget).
    pub(super) fn granted_sections(&self) -> u32 {
        self.handles
            .iter()
            .filter(|(_, rights)| rights.contains(Rights::MAP_READ))
            .filter_map(|(object, _)| object.memory())
            .map(|m| m.len().div_ceil(1 << 20))
            .sum()
    }

    /// Admission of a hard process: every memory object in its handle
    /// table with a map right is mapped now, as whole sections, with the
    /// rights its handle gives (its `mem_map` later returns this address:
    /// after admission it neither allocates nor faults).
    pub(super) fn map_granted_objects(&mut self) -> Result<(), ProcError> {
        let mut grants = Vec::new();
        grants
            .try_reserve(self.handles.len())
            .map_err(|_| ProcError::NoMemory)?;
        for (object, rights) in self.handles.iter() {
            if let Some(m) = object.memory()
                && rights.contains(Rights::MAP_READ)
            {
                let mut prot = PROT_READ;
                if rights.contains(Rights::MAP_WRITE) {
                    prot |= PROT_WRITE;
                }
                let share = if m.dma_phys().is_some() {
                    Share::Uncached
                } else {
                    Share::Direct
                };
                grants.push((m.id(), m.len() / PAGE, prot, share));
            }
        }
        for (id, pages, prot, share) in grants {
            self.space.map_object(id, pages, prot, share, None, false)?;
        }
        Ok(())
    }
}

/// Unmaps `object` from every address space that maps it (revocation):
/// each process finds the region gone, and a later access faults like any
/// unmapped address. Returns how many mappings went.
pub fn revoke(object: &MemObject) -> usize {
    let maps: Vec<(MapId, SpaceId, u32)> = {
        let book = BOOK.lock();
        let mut v = Vec::new();
        if v.try_reserve(book.mappings_of(object.id()).count())
            .is_err()
        {
            return 0;
        }
        v.extend(book.mappings_of(object.id()));
        v
    };
    let mut n = 0;
    for (m, space, _) in maps {
        if with_process(space, |t| t.space.unmap_object(m)) == Some(true) {
            n += 1;
        }
    }
    n
}
