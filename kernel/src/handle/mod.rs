//! Handles: a process's names for kernel objects, with rights.
//!
//! Each process owns a [`HandleTable`]: a small fixed array of slots, part of
//! the process itself (no allocation to insert, look up or close, so a hard
//! process's table is paid for when it is admitted). A slot holds a counted
//! reference to a kernel object (the kernel's [`Object`](crate::object::Object)
//! enum: notifications, IRQ lines, and the kinds IPC adds), the [`Rights`]
//! this process has on it, and a generation.
//!
//! A [`Handle`] is what user space sees: the slot's index and generation
//! packed in one word. It means nothing in another process (another table),
//! and a handle whose slot was closed and reused names nothing: the
//! generation no longer matches, and the look-up fails with
//! [`HandleError::Stale`] instead of reaching the new object. Handle values
//! are never 0 and always below 2^31, so they never read as an error code.
//!
//! Rights only shrink: a handle passed on ([`HandleTable::duplicate`], for
//! grants and transfers in messages) keeps at most the rights of the one it
//! came from, and only a handle with [`Rights::TRANSFER`] may be passed on.
//!
//! This module is pure logic over any object type `O` (the kernel uses
//! [`Object`](crate::object::Object)); it is unit-tested on the host.

use bitflags::bitflags;
use core::sync::atomic::{AtomicU32, Ordering};

/// Handles closed so far, in every table (each `close`, each non-empty
/// `clear`), saturating at `u32::MAX`. An entry leaves its slot only
/// through those two, and rights never change in place, so a look-up
/// remembered while this count reads the same still names the same object
/// with the same rights: the IPC fast path caches its handle to endpoint
/// look-up on that (`crate::ipc`). Once saturated (2^32 closes) nothing
/// may be cached any more: see [`closes`].
static CLOSES: AtomicU32 = AtomicU32::new(0);

/// The count of closes ([`CLOSES`]) to remember with a cached look-up, or
/// None when no look-up may be cached (the count has saturated, so it
/// would not change at the next close).
#[inline(always)]
pub fn closes() -> Option<u32> {
    let n = CLOSES.load(Ordering::Relaxed);
    (n != u32::MAX).then_some(n)
}

/// Whether a look-up remembered at count `n` (from [`closes`]) still holds.
#[inline(always)]
pub fn unchanged_since(n: u32) -> bool {
    CLOSES.load(Ordering::Relaxed) == n
}

/// Counts one close, before the entry leaves (so a cached look-up never
/// outlives the entry it read).
fn count_close() {
    let _ = CLOSES.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1));
}

bitflags! {
    /// What a handle allows its holder to do with the object. Which rights
    /// mean something depends on the object's kind; a call that needs a right
    /// the handle lacks fails like a bad handle (`Errno::BadHandle`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Rights: u32 {
        /// Endpoint: `call` / `send` on it.
        const SEND = 1 << 0;
        /// Endpoint: `recv` on it (be its server).
        const RECEIVE = 1 << 1;
        /// Notification: `signal` bits on it. Watchdog: kick it, read
        /// the time left.
        const SIGNAL = 1 << 2;
        /// Notification: `wait` / `poll` for its bits.
        const WAIT = 1 << 3;
        /// IRQ line: bind it to a notification and `ack` (unmask) it.
        const ACK = 1 << 4;
        /// Pass the handle on (in a message, or to a new process), with at
        /// most the same rights.
        const TRANSFER = 1 << 5;
        /// Reply capability: `reply` through it (IPC, one-shot).
        const REPLY = 1 << 6;
        /// Thread: control it (join, ...). Memory object: revoke it (unmap
        /// it from every process). Process: end it (`process_kill`).
        /// Watchdog: start and stop it.
        const MANAGE = 1 << 7;
        /// Memory object: map it readable (`mem_map` with `PROT_READ`).
        const MAP_READ = 1 << 8;
        /// Memory object: map it writable (`mem_map` with `PROT_WRITE`).
        const MAP_WRITE = 1 << 9;
    }
}

/// Rights values fit in the low 16 bits (so a call can take a handle in the
/// high half of a register if it wants).
const _: () = assert!(Rights::all().bits() <= 0xFFFF);

/// Bits of a [`Handle`] that hold the slot index.
const INDEX_BITS: u32 = 8;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
/// Largest generation: handles stay below 2^31 (never an error code, never
/// negative as an `i32`).
const GEN_MAX: u32 = (1 << (31 - INDEX_BITS)) - 1;

/// A process's name for one of its handle-table slots: `generation << 8 |
/// index`. Never 0 (generations start at 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handle(u32);

impl Handle {
    /// The handle as user space holds it.
    pub const fn raw(self) -> u32 {
        self.0
    }
    /// A handle value from user space (checked only when looked up).
    pub const fn from_raw(raw: u32) -> Self {
        Handle(raw)
    }
    /// The handle of the `i`-th grant a process was created with: grants fill
    /// slots 0, 1, ... of a fresh table, each at generation 1, so the
    /// program knows them without being told.
    pub const fn granted(i: u32) -> Self {
        Handle(1 << INDEX_BITS | i)
    }
    const fn new(index: usize, generation: u32) -> Self {
        Handle(generation << INDEX_BITS | index as u32)
    }
    const fn index(self) -> usize {
        (self.0 & INDEX_MASK) as usize
    }
    const fn generation(self) -> u32 {
        self.0 >> INDEX_BITS
    }
}

/// Why a handle operation failed. The system calls report the first three
/// as `Errno::BadHandle` and [`HandleError::Full`] as `Errno::NoMem`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleError {
    /// No such slot, or an empty one: never a handle of this process, or
    /// closed.
    Invalid,
    /// The slot was closed and reused since this handle was made.
    Stale,
    /// The handle lacks a right the operation needs (or names an object of
    /// another kind: see the callers).
    NoRight,
    /// Every slot of the table is taken.
    Full,
}

/// One slot: a generation, and the object and rights while in use.
struct Slot<O> {
    /// Bumped when the slot is closed, so old handles to it go stale.
    generation: u32,
    entry: Option<(O, Rights)>,
}

/// A process's handle table: `N` slots (at most 256), no allocation after
/// creation.
pub struct HandleTable<O, const N: usize> {
    slots: [Slot<O>; N],
    /// Slots in use, so that an empty table is known without a scan (a
    /// task's teardown asks at every step).
    used: usize,
}

impl<O, const N: usize> Default for HandleTable<O, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O, const N: usize> HandleTable<O, N> {
    const FITS: () = assert!(N <= 1 << INDEX_BITS, "a handle's index has 8 bits");

    /// An empty table.
    pub const fn new() -> Self {
        let () = Self::FITS;
        Self {
            slots: [const {
                Slot {
                    generation: 1,
                    entry: None,
                }
            }; N],
            used: 0,
        }
    }

    /// Puts `object` in the first free slot with `rights`; its handle.
    /// [`HandleError::Full`] (and the object handed back) when every slot
    /// is taken.
    pub fn insert(&mut self, object: O, rights: Rights) -> Result<Handle, (HandleError, O)> {
        let Some(i) = self.slots.iter().position(|s| s.entry.is_none()) else {
            return Err((HandleError::Full, object));
        };
        let slot = &mut self.slots[i];
        slot.entry = Some((object, rights));
        self.used += 1;
        Ok(Handle::new(i, slot.generation))
    }

    /// The slot `h` names, if it is in use and its generation matches.
    fn slot(&self, h: Handle) -> Result<&(O, Rights), HandleError> {
        let slot = self.slots.get(h.index()).ok_or(HandleError::Invalid)?;
        let entry = slot.entry.as_ref().ok_or(HandleError::Invalid)?;
        if slot.generation != h.generation() {
            return Err(HandleError::Stale);
        }
        Ok(entry)
    }

    /// The object `h` names, if the handle has every right in `need`.
    pub fn get(&self, h: Handle, need: Rights) -> Result<&O, HandleError> {
        let (object, rights) = self.slot(h)?;
        if !rights.contains(need) {
            return Err(HandleError::NoRight);
        }
        Ok(object)
    }

    /// The rights `h` carries.
    pub fn rights(&self, h: Handle) -> Result<Rights, HandleError> {
        self.slot(h).map(|(_, r)| *r)
    }

    /// Closes `h` and returns its object, so that the caller drops it (and
    /// perhaps the object's last reference) outside any lock of its own.
    /// The slot's old handles go stale.
    pub fn close(&mut self, h: Handle) -> Result<O, HandleError> {
        self.slot(h)?;
        count_close();
        let slot = &mut self.slots[h.index()];
        slot.generation = if slot.generation >= GEN_MAX {
            1
        } else {
            slot.generation + 1
        };
        let (object, _) = slot.entry.take().ok_or(HandleError::Invalid)?;
        self.used -= 1;
        Ok(object)
    }

    /// Empties the table (the process is ending), handing each object to
    /// `drop_object` one at a time.
    pub fn clear(&mut self, mut drop_object: impl FnMut(O)) {
        if self.used == 0 {
            return;
        }
        count_close();
        self.used = 0;
        for slot in &mut self.slots {
            if let Some((o, _)) = slot.entry.take() {
                slot.generation = if slot.generation >= GEN_MAX {
                    1
                } else {
                    slot.generation + 1
                };
                drop_object(o);
            }
        }
    }

    /// Handles in use.
    pub fn len(&self) -> usize {
        self.used
    }

    /// Whether no handle is in use.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every object in the table with its rights, by slot.
    pub fn iter(&self) -> impl Iterator<Item = (&O, Rights)> {
        self.slots
            .iter()
            .filter_map(|s| s.entry.as_ref().map(|(o, r)| (o, *r)))
    }
}

impl<O: Clone, const N: usize> HandleTable<O, N> {
    /// A copy of `h`'s object, to be passed on (to another process, or
    /// another slot) with the rights `h` has restricted to `mask`. Needs
    /// [`Rights::TRANSFER`] on `h`. To move a handle, insert the copy where
    /// it goes and then [`close`](HandleTable::close) `h`: if the insert
    /// fails nothing has changed.
    pub fn duplicate(&self, h: Handle, mask: Rights) -> Result<(O, Rights), HandleError> {
        let (object, rights) = self.slot(h)?;
        if !rights.contains(Rights::TRANSFER) {
            return Err(HandleError::NoRight);
        }
        Ok((object.clone(), *rights & mask))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    type Table = HandleTable<Rc<&'static str>, 4>;

    #[test]
    fn insert_then_get_with_rights() {
        let mut t = Table::new();
        let h = t
            .insert(Rc::new("a"), Rights::SIGNAL | Rights::WAIT)
            .unwrap();
        assert_ne!(h.raw(), 0);
        assert_eq!(**t.get(h, Rights::SIGNAL).unwrap(), "a");
        assert_eq!(**t.get(h, Rights::SIGNAL | Rights::WAIT).unwrap(), "a");
        assert_eq!(**t.get(h, Rights::empty()).unwrap(), "a");
        assert_eq!(t.get(h, Rights::ACK).err(), Some(HandleError::NoRight));
        assert_eq!(
            t.get(h, Rights::SIGNAL | Rights::ACK).err(),
            Some(HandleError::NoRight)
        );
        assert_eq!(t.rights(h), Ok(Rights::SIGNAL | Rights::WAIT));
    }

    #[test]
    fn bad_values_are_invalid() {
        let mut t = Table::new();
        let h = t.insert(Rc::new("a"), Rights::all()).unwrap();
        for raw in [0, 1, 4, 255, u32::MAX, h.raw() + 1, h.raw() ^ 0x100] {
            let e = t.get(Handle::from_raw(raw), Rights::empty()).err();
            assert!(
                matches!(e, Some(HandleError::Invalid | HandleError::Stale)),
                "{raw:#x}: {e:?}"
            );
        }
    }

    #[test]
    fn full_table_hands_the_object_back() {
        let mut t = Table::new();
        for i in 0..4 {
            assert_eq!(t.insert(Rc::new("x"), Rights::empty()).unwrap().index(), i);
        }
        let (e, o) = t.insert(Rc::new("last"), Rights::empty()).unwrap_err();
        assert_eq!(e, HandleError::Full);
        assert_eq!(*o, "last");
        assert_eq!(t.len(), 4);
        let first = Handle::new(0, 1);
        t.close(first).unwrap();
        assert_eq!(t.len(), 3, "the count follows closes");
        assert!(t.insert(Rc::new("again"), Rights::empty()).is_ok());
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn close_and_clear_change_the_close_count() {
        // Other tests close too (in parallel): only "changed" is certain.
        let mut t = Table::new();
        let h = t.insert(Rc::new("a"), Rights::WAIT).unwrap();
        t.insert(Rc::new("b"), Rights::WAIT).unwrap();
        let n = closes().unwrap();
        assert!(unchanged_since(n));
        drop(t.close(h).unwrap());
        assert!(!unchanged_since(n), "a close must void cached look-ups");
        let n = closes().unwrap();
        t.clear(drop);
        assert!(!unchanged_since(n), "a clear must void cached look-ups");
    }

    #[test]
    fn close_returns_the_object_and_invalidates() {
        let mut t = Table::new();
        let obj = Rc::new("a");
        let h = t.insert(obj.clone(), Rights::WAIT).unwrap();
        assert_eq!(Rc::strong_count(&obj), 2);
        let got = t.close(h).unwrap();
        assert!(Rc::ptr_eq(&got, &obj));
        drop(got);
        assert_eq!(Rc::strong_count(&obj), 1, "the table let go of it");
        assert_eq!(t.get(h, Rights::empty()).err(), Some(HandleError::Invalid));
        assert_eq!(t.close(h).err(), Some(HandleError::Invalid));
        assert!(t.is_empty());
    }

    #[test]
    fn reused_slot_makes_old_handle_stale() {
        let mut t = Table::new();
        let old = t.insert(Rc::new("old"), Rights::all()).unwrap();
        t.close(old).unwrap();
        let new = t.insert(Rc::new("new"), Rights::all()).unwrap();
        assert_eq!(new.index(), old.index(), "the slot is reused");
        assert_ne!(new, old);
        assert_eq!(t.get(old, Rights::empty()).err(), Some(HandleError::Stale));
        assert_eq!(t.close(old).err(), Some(HandleError::Stale));
        assert_eq!(**t.get(new, Rights::empty()).unwrap(), "new");
    }

    #[test]
    fn generation_wraps_without_reaching_zero_or_sign_bit() {
        let mut t = HandleTable::<u8, 1>::new();
        t.slots[0].generation = GEN_MAX;
        let h = t.insert(1, Rights::empty()).unwrap();
        assert!(h.raw() < 1 << 31);
        t.close(h).unwrap();
        let h2 = t.insert(2, Rights::empty()).unwrap();
        assert_eq!(h2.generation(), 1);
        assert_ne!(h2.raw(), 0);
    }

    #[test]
    fn granted_handles_match_a_fresh_table() {
        let mut t = Table::new();
        for i in 0..3 {
            let h = t.insert(Rc::new("g"), Rights::empty()).unwrap();
            assert_eq!(h, Handle::granted(i));
        }
    }

    #[test]
    fn handles_mean_nothing_in_another_table() {
        let mut a = Table::new();
        let mut b = Table::new();
        let ha = a.insert(Rc::new("a"), Rights::all()).unwrap();
        assert_eq!(b.get(ha, Rights::empty()).err(), Some(HandleError::Invalid));
        // Even where b has something in the same slot, it is b's object.
        let hb = b.insert(Rc::new("b"), Rights::empty()).unwrap();
        assert_eq!(ha, hb);
        assert_eq!(**b.get(ha, Rights::empty()).unwrap(), "b");
        assert_eq!(b.get(ha, Rights::SIGNAL).err(), Some(HandleError::NoRight));
    }

    #[test]
    fn duplicate_needs_transfer_and_only_shrinks_rights() {
        let mut t = Table::new();
        let obj = Rc::new("o");
        let plain = t
            .insert(obj.clone(), Rights::SIGNAL | Rights::WAIT)
            .unwrap();
        assert_eq!(
            t.duplicate(plain, Rights::all()).err(),
            Some(HandleError::NoRight)
        );
        let h = t
            .insert(obj.clone(), Rights::SIGNAL | Rights::TRANSFER)
            .unwrap();
        let (copy, rights) = t.duplicate(h, Rights::SIGNAL | Rights::WAIT).unwrap();
        assert!(Rc::ptr_eq(&copy, &obj));
        assert_eq!(rights, Rights::SIGNAL, "WAIT was not h's to give");
        let (_, r) = t.duplicate(h, Rights::all()).unwrap();
        assert_eq!(r, Rights::SIGNAL | Rights::TRANSFER);
        // A move: insert the copy elsewhere, then close the original.
        let mut other = Table::new();
        let moved = other.insert(copy, rights).unwrap();
        t.close(h).unwrap();
        assert_eq!(**other.get(moved, Rights::SIGNAL).unwrap(), "o");
    }

    #[test]
    fn clear_hands_over_every_object_and_stales_handles() {
        let mut t = Table::new();
        let obj = Rc::new("o");
        let hs: Vec<_> = (0..3)
            .map(|_| t.insert(obj.clone(), Rights::all()).unwrap())
            .collect();
        let mut n = 0;
        t.clear(|o| {
            n += 1;
            drop(o)
        });
        assert_eq!(n, 3);
        assert!(t.is_empty());
        assert_eq!(Rc::strong_count(&obj), 1);
        for h in hs {
            assert!(t.get(h, Rights::empty()).is_err());
        }
    }
}
