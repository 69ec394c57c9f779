//! ASIDs recycled by generation, so a process switch never flushes the TLB.
//!
//! Each address space remembers the ASID it was given and the generation it
//! was given in. Activating a space whose generation is current costs
//! nothing; a stale one gets the next free ASID. When the 255 usable ASIDs
//! (0 is reserved for "no user space") run out, the generation advances and
//! the whole TLB is flushed once: every space then gets a fresh ASID when it
//! next runs. With fewer than 255 live processes that never happens.

/// ASID and generation an address space holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AsidTag {
    /// The ASID (1..=255; 0 = none yet).
    pub asid: u8,
    /// The generation it belongs to (0 = none yet).
    pub generation: u32,
}

/// The allocator.
#[derive(Debug)]
pub struct Asids {
    generation: u32,
    next: u16,
}

impl Default for Asids {
    fn default() -> Self {
        Self::new()
    }
}

impl Asids {
    /// Generation 1, nothing handed out.
    pub const fn new() -> Self {
        Self {
            generation: 1,
            next: 1,
        }
    }

    /// Makes `tag` valid for the current generation. Returns true when the
    /// caller must flush the whole TLB first (a new generation began).
    pub fn activate(&mut self, tag: &mut AsidTag) -> bool {
        // A tag of the current generation has an ASID: generations start
        // at 1 here and at 0 ("none yet") in a fresh tag, and a tag gets a
        // generation only with an ASID (below). One compare per switch.
        if tag.generation == self.generation {
            debug_assert!(tag.asid != 0);
            return false;
        }
        let mut rollover = false;
        if self.next > 255 {
            self.generation += 1;
            self.next = 1;
            rollover = true;
        }
        *tag = AsidTag {
            asid: self.next as u8,
            generation: self.generation,
        };
        self.next += 1;
        rollover
    }

    /// The current generation.
    pub fn generation(&self) -> u32 {
        self.generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_tags_are_kept_and_unique() {
        let mut a = Asids::new();
        let mut tags = [AsidTag::default(); 10];
        for t in tags.iter_mut() {
            assert!(!a.activate(t));
        }
        let before = tags;
        for t in tags.iter_mut() {
            assert!(!a.activate(t), "a current tag costs nothing");
        }
        assert_eq!(tags, before);
        let mut asids: Vec<u8> = tags.iter().map(|t| t.asid).collect();
        asids.sort();
        asids.dedup();
        assert_eq!(asids.len(), 10);
        assert!(asids.iter().all(|&x| x != 0));
    }

    #[test]
    fn rollover_flushes_once_and_reassigns() {
        let mut a = Asids::new();
        let mut tags = vec![AsidTag::default(); 300];
        let flushes = tags
            .iter_mut()
            .map(|t| a.activate(t))
            .filter(|&f| f)
            .count();
        assert_eq!(flushes, 1, "255 ASIDs, then one new generation");
        assert_eq!(a.generation(), 2);
        // Tags of the new generation are unique among themselves.
        let mut current: Vec<u8> = tags
            .iter()
            .filter(|t| t.generation == 2)
            .map(|t| t.asid)
            .collect();
        let n = current.len();
        current.sort();
        current.dedup();
        assert_eq!(current.len(), n);
        // A stale tag gets a new ASID when it runs again.
        let mut old = tags[0];
        assert_eq!(old.generation, 1);
        a.activate(&mut old);
        assert_eq!(old.generation, 2);
    }
}
