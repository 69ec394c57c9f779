//! The bookkeeping of memory objects, without the hardware: which frames
//! each object holds, who holds the object (counted references), where it
//! is mapped (every mapping, so the reverse map of a frame is a walk over
//! them), and the private copies copy-on-write has made.
//!
//! The rules it keeps, tested on the host against a model:
//! - an object's frames are freed when its last reference *and* its last
//!   mapping are gone (a process may close its handle and keep the memory
//!   mapped, or unmap and keep the handle);
//! - a private copy belongs to one mapping and is freed with it;
//! - revoking an object lists every mapping of it; the caller unmaps each
//!   from its address space and then calls [`Book::unmap`];
//! - nothing is freed twice.
//!
//! Pure logic over physical addresses: the kernel (`super`) allocates and
//! frees frames and edits page tables; this only decides.

use alloc::vec::Vec;

/// Bytes per page.
pub const PAGE: u32 = 4096;

/// Names an object in a [`Book`] (an index; reused once the object is
/// gone).
pub type ObjId = u32;
/// Names a mapping in a [`Book`].
pub type MapId = u32;
/// Names an address space (the kernel uses the process id).
pub type SpaceId = u16;

/// What backs an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frames {
    /// One 4 KiB page (most segments of small programs): no list to
    /// allocate.
    One(u32),
    /// Separate 4 KiB pages (shared memory, program images).
    Pages(Vec<u32>),
    /// One physically contiguous block of `2^order` pages (DMA buffers).
    Block {
        /// Physical address of the first page.
        base: u32,
        /// Buddy order of the block.
        order: u8,
    },
}

impl Frames {
    /// Pages in the object.
    pub fn pages(&self) -> u32 {
        match self {
            Frames::One(_) => 1,
            Frames::Pages(v) => v.len() as u32,
            Frames::Block { order, .. } => 1 << order,
        }
    }

    /// The frame behind page `i`.
    pub fn frame(&self, i: u32) -> Option<u32> {
        match self {
            Frames::One(pa) => (i == 0).then_some(*pa),
            Frames::Pages(v) => v.get(i as usize).copied(),
            Frames::Block { base, order } => (i < 1 << order).then(|| base + i * PAGE),
        }
    }
}

/// What the caller must give back to the page allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Free {
    /// One page.
    Page(u32),
    /// A block of `2^order` pages.
    Block(u32, u8),
}

/// One object.
#[derive(Debug)]
struct Object {
    frames: Frames,
    /// Counted references (handles, a loader's hold).
    refs: u32,
    /// Live mappings of it.
    maps: u32,
    /// What it is a cached copy of (program images: which segment of which
    /// ELF), so a second loader finds it.
    key: Option<u64>,
}

/// One mapping of an object into an address space, page-for-page from the
/// object's start.
#[derive(Debug)]
struct Mapping {
    obj: ObjId,
    space: SpaceId,
    va: u32,
    /// Private copies made by copy-on-write, by page (empty until the
    /// first).
    private: Vec<Option<u32>>,
}

/// Why a bookkeeping call was refused (a kernel bug if it ever happens:
/// the kernel only names objects and mappings it holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookError {
    /// No such object or mapping.
    Unknown,
    /// The page index is past the object's end.
    OutOfRange,
    /// The page has a private copy already.
    Copied,
    /// The kernel heap had no room for the record.
    NoMemory,
}

/// Every memory object and every mapping of one.
#[derive(Debug, Default)]
pub struct Book {
    objects: Vec<Option<Object>>,
    mappings: Vec<Option<Mapping>>,
    /// Copy-on-write copies made since boot.
    copies: u64,
}

fn slot<T>(v: &mut Vec<Option<T>>, item: T) -> Result<u32, BookError> {
    if let Some(i) = v.iter().position(Option::is_none) {
        v[i] = Some(item);
        return Ok(i as u32);
    }
    // Grown in steps of at least 32 slots: the kernel heap reaches the
    // size a system needs soon, then stays there (slots are reused).
    v.try_reserve(v.len().max(32))
        .map_err(|_| BookError::NoMemory)?;
    v.push(Some(item));
    Ok(v.len() as u32 - 1)
}

impl Book {
    /// An empty book.
    pub const fn new() -> Self {
        Book {
            objects: Vec::new(),
            mappings: Vec::new(),
            copies: 0,
        }
    }

    /// Records a new object over `frames` with one reference (the
    /// creator's). On error the frames are still the caller's.
    pub fn create(
        &mut self,
        frames: Frames,
        key: Option<u64>,
    ) -> Result<ObjId, (BookError, Frames)> {
        if self.objects.iter().all(Option::is_some)
            && self
                .objects
                .try_reserve(self.objects.len().max(32))
                .is_err()
        {
            return Err((BookError::NoMemory, frames));
        }
        let obj = Object {
            frames,
            refs: 1,
            maps: 0,
            key,
        };
        slot(&mut self.objects, obj).map_err(|e| (e, Frames::Pages(Vec::new())))
    }

    fn obj(&self, id: ObjId) -> Result<&Object, BookError> {
        self.objects
            .get(id as usize)
            .and_then(Option::as_ref)
            .ok_or(BookError::Unknown)
    }

    fn obj_mut(&mut self, id: ObjId) -> Result<&mut Object, BookError> {
        self.objects
            .get_mut(id as usize)
            .and_then(Option::as_mut)
            .ok_or(BookError::Unknown)
    }

    fn map_ref(&self, m: MapId) -> Result<&Mapping, BookError> {
        self.mappings
            .get(m as usize)
            .and_then(Option::as_ref)
            .ok_or(BookError::Unknown)
    }

    /// The live object cached under `key`, with one more reference for the
    /// caller.
    pub fn find(&mut self, key: u64) -> Option<ObjId> {
        let i = self
            .objects
            .iter()
            .position(|o| o.as_ref().is_some_and(|o| o.key == Some(key)))?;
        self.objects[i].as_mut()?.refs += 1;
        Some(i as u32)
    }

    /// The live object cached under `key`, without taking a reference (the
    /// caller maps it under the same hold).
    pub fn live(&self, key: u64) -> Option<ObjId> {
        self.objects
            .iter()
            .position(|o| o.as_ref().is_some_and(|o| o.key == Some(key)))
            .map(|i| i as u32)
    }

    /// One more reference to `id`.
    pub fn acquire(&mut self, id: ObjId) -> Result<(), BookError> {
        self.obj_mut(id)?.refs += 1;
        Ok(())
    }

    /// Drops a reference; frees the object's frames (through `free`) if it
    /// was the last reference and no mapping is left.
    pub fn release(&mut self, id: ObjId, free: &mut dyn FnMut(Free)) -> Result<(), BookError> {
        let o = self.obj_mut(id)?;
        o.refs = o.refs.checked_sub(1).ok_or(BookError::Unknown)?;
        self.collect(id, free);
        Ok(())
    }

    /// Frees object `id` if nothing refers to it any more.
    fn collect(&mut self, id: ObjId, free: &mut dyn FnMut(Free)) {
        let dead = matches!(self.obj(id), Ok(o) if o.refs == 0 && o.maps == 0);
        if !dead {
            return;
        }
        if let Some(o) = self.objects[id as usize].take() {
            match o.frames {
                Frames::One(pa) => free(Free::Page(pa)),
                Frames::Pages(v) => v.into_iter().for_each(|pa| free(Free::Page(pa))),
                Frames::Block { base, order } => free(Free::Block(base, order)),
            }
        }
    }

    /// Records a mapping of object `id` at `va` of `space`.
    pub fn map(&mut self, id: ObjId, space: SpaceId, va: u32) -> Result<MapId, BookError> {
        self.obj(id)?;
        let m = slot(
            &mut self.mappings,
            Mapping {
                obj: id,
                space,
                va,
                private: Vec::new(),
            },
        )?;
        self.obj_mut(id)?.maps += 1;
        Ok(m)
    }

    /// Forgets mapping `m` (the caller has taken it out of the page tables):
    /// its private copies are freed, and the object's frames too if that
    /// was its last user.
    pub fn unmap(&mut self, m: MapId, free: &mut dyn FnMut(Free)) -> Result<(), BookError> {
        let map = self
            .mappings
            .get_mut(m as usize)
            .and_then(Option::take)
            .ok_or(BookError::Unknown)?;
        map.private
            .iter()
            .flatten()
            .for_each(|&pa| free(Free::Page(pa)));
        let o = self.obj_mut(map.obj)?;
        o.maps -= 1;
        self.collect(map.obj, free);
        Ok(())
    }

    /// The object a mapping shows, where, and in which space.
    pub fn mapping(&self, m: MapId) -> Option<(ObjId, SpaceId, u32)> {
        let map = self.map_ref(m).ok()?;
        Some((map.obj, map.space, map.va))
    }

    /// The frame page `i` of mapping `m` shows: its private copy if it has
    /// one, else the object's, and whether it is a private copy.
    pub fn frame_at(&self, m: MapId, i: u32) -> Option<(u32, bool)> {
        let map = self.map_ref(m).ok()?;
        if let Some(Some(pa)) = map.private.get(i as usize) {
            return Some((*pa, true));
        }
        self.obj(map.obj)
            .ok()?
            .frames
            .frame(i)
            .map(|pa| (pa, false))
    }

    /// [`Book::frame_at`] for pages `first..first + out.len()` of mapping
    /// `m`, written into `out` (a run the kernel maps at once): one lookup
    /// of the mapping and its object for the run. `None` (and `out` not to
    /// be used) if the mapping is unknown or the run passes the object's end.
    pub fn frames_at(&self, m: MapId, first: u32, out: &mut [u32]) -> Option<()> {
        let map = self.map_ref(m).ok()?;
        let frames = &self.obj(map.obj).ok()?.frames;
        let end = first.checked_add(out.len() as u32)?;
        if end > frames.pages() {
            return None;
        }
        // The object's frames for the run, matched once (not per page).
        match frames {
            Frames::One(pa) => out.fill(*pa),
            Frames::Pages(v) => out.copy_from_slice(&v[first as usize..end as usize]),
            Frames::Block { base, .. } => {
                for (k, o) in out.iter_mut().enumerate() {
                    *o = base + (first + k as u32) * PAGE;
                }
            }
        }
        // Then the mapping's private copies over them, if it has any.
        if let Some(private) = map.private.get(first as usize..end as usize) {
            for (o, copy) in out.iter_mut().zip(private) {
                if let Some(pa) = copy {
                    *o = *pa;
                }
            }
        }
        Some(())
    }

    /// Object `id`'s contiguous block (base, order), if it is one.
    pub fn block(&self, id: ObjId) -> Option<(u32, u8)> {
        match self.obj(id).ok()?.frames {
            Frames::Block { base, order } => Some((base, order)),
            Frames::One(_) | Frames::Pages(_) => None,
        }
    }

    /// Pages in object `id`.
    pub fn pages(&self, id: ObjId) -> Option<u32> {
        self.obj(id).ok().map(|o| o.frames.pages())
    }

    /// Records that page `i` of mapping `m` now shows `copy`, a private copy
    /// (copy-on-write); returns the object's frame it replaced.
    pub fn cow(&mut self, m: MapId, i: u32, copy: u32) -> Result<u32, BookError> {
        let (obj, _, _) = self.mapping(m).ok_or(BookError::Unknown)?;
        let pages = self.obj(obj)?.frames.pages();
        if i >= pages {
            return Err(BookError::OutOfRange);
        }
        let old = self
            .obj(obj)?
            .frames
            .frame(i)
            .ok_or(BookError::OutOfRange)?;
        let map = self.mappings[m as usize]
            .as_mut()
            .ok_or(BookError::Unknown)?;
        if map.private.is_empty() {
            map.private
                .try_reserve_exact(pages as usize)
                .map_err(|_| BookError::NoMemory)?;
            map.private.resize(pages as usize, None);
        }
        if map.private[i as usize].is_some() {
            return Err(BookError::Copied);
        }
        map.private[i as usize] = Some(copy);
        self.copies += 1;
        Ok(old)
    }

    /// Every mapping of object `id` (to revoke it: unmap each from its
    /// space, then [`Book::unmap`] it).
    pub fn mappings_of(&self, id: ObjId) -> impl Iterator<Item = (MapId, SpaceId, u32)> + '_ {
        self.mappings
            .iter()
            .enumerate()
            .filter_map(move |(m, map)| {
                let map = map.as_ref()?;
                (map.obj == id).then_some((m as u32, map.space, map.va))
            })
    }

    /// The reverse map of one frame: every (space, address) that maps it,
    /// object frames and private copies alike.
    pub fn users_of(&self, pa: u32) -> impl Iterator<Item = (SpaceId, u32)> + '_ {
        self.mappings.iter().flatten().filter_map(move |map| {
            let o = self.obj(map.obj).ok()?;
            (0..o.frames.pages()).find_map(|i| {
                let shown = match map.private.get(i as usize) {
                    Some(Some(c)) => *c,
                    _ => o.frames.frame(i)?,
                };
                (shown == pa).then_some((map.space, map.va + i * PAGE))
            })
        })
    }

    /// References and mappings of object `id`.
    pub fn users(&self, id: ObjId) -> Option<(u32, u32)> {
        self.obj(id).ok().map(|o| (o.refs, o.maps))
    }

    /// Objects alive now.
    pub fn objects(&self) -> usize {
        self.objects.iter().flatten().count()
    }

    /// Copy-on-write copies made since boot.
    pub fn copies(&self) -> u64 {
        self.copies
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    #[derive(Clone, Debug)]
    enum Op {
        Create(u8, bool),
        Acquire(u8),
        Release(u8),
        Map(u8, u8),
        Unmap(u8),
        Cow(u8, u8),
        Revoke(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1u8..5, any::<bool>()).prop_map(|(n, b)| Op::Create(n, b)),
            any::<u8>().prop_map(Op::Acquire),
            any::<u8>().prop_map(Op::Release),
            (any::<u8>(), 0u8..4).prop_map(|(o, s)| Op::Map(o, s)),
            any::<u8>().prop_map(Op::Unmap),
            (any::<u8>(), any::<u8>()).prop_map(|(m, i)| Op::Cow(m, i)),
            any::<u8>().prop_map(Op::Revoke),
        ]
    }

    /// The model: objects with their frames, references and mappings;
    /// mappings with their copies. A frame is live while its object has a
    /// reference or a mapping, a copy while its mapping exists.
    #[derive(Default)]
    struct Model {
        objs: BTreeMap<ObjId, (Vec<u32>, u32)>,
        maps: BTreeMap<MapId, (ObjId, BTreeMap<u32, u32>)>,
    }

    impl Model {
        fn live(&self) -> BTreeSet<u32> {
            let mut s = BTreeSet::new();
            for (id, (frames, refs)) in &self.objs {
                if *refs > 0 || self.maps.values().any(|(o, _)| o == id) {
                    s.extend(frames.iter().copied());
                }
            }
            for (_, copies) in self.maps.values() {
                s.extend(copies.values().copied());
            }
            s
        }
    }

    fn pick<K: Copy>(keys: impl Iterator<Item = K>, i: u8) -> Option<K> {
        let v: Vec<K> = keys.collect();
        (!v.is_empty()).then(|| v[i as usize % v.len()])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn frames_freed_exactly_when_the_last_user_goes(ops in proptest::collection::vec(op(), 1..80)) {
            let mut book = Book::new();
            let mut model = Model::default();
            let mut next_frame = 0x1000_0000u32;
            let mut allocated = BTreeSet::new();
            let mut freed = BTreeSet::new();
            let mut alloc = |n: u32, allocated: &mut BTreeSet<u32>| {
                let base = next_frame;
                next_frame += n * PAGE;
                for i in 0..n { allocated.insert(base + i * PAGE); }
                base
            };
            for op in ops {
                let mut got = Vec::new();
                let mut free = |f: Free| got.push(f);
                match op {
                    Op::Create(n, block) => {
                        let (frames, list) = if block {
                            let order = u32::from(n).ilog2() as u8;
                            let base = alloc(1 << order, &mut allocated);
                            (Frames::Block { base, order }, (0..1 << order).map(|i| base + i * PAGE).collect())
                        } else {
                            let list: Vec<u32> = (0..n).map(|_| alloc(1, &mut allocated)).collect();
                            let frames = if n == 1 { Frames::One(list[0]) } else { Frames::Pages(list.clone()) };
                            (frames, list)
                        };
                        let id = book.create(frames, None).unwrap();
                        prop_assert!(!model.objs.contains_key(&id));
                        model.objs.insert(id, (list, 1));
                    }
                    Op::Acquire(i) => {
                        if let Some(id) = pick(model.objs.iter().filter(|(_, v)| v.1 > 0).map(|(k, _)| *k), i) {
                            book.acquire(id).unwrap();
                            model.objs.get_mut(&id).unwrap().1 += 1;
                        }
                    }
                    Op::Release(i) => {
                        if let Some(id) = pick(model.objs.iter().filter(|(_, v)| v.1 > 0).map(|(k, _)| *k), i) {
                            book.release(id, &mut free).unwrap();
                            model.objs.get_mut(&id).unwrap().1 -= 1;
                        }
                    }
                    Op::Map(i, space) => {
                        // Only an object someone holds can be mapped.
                        if let Some(id) = pick(model.objs.iter().filter(|(_, v)| v.1 > 0).map(|(k, _)| *k), i) {
                            let m = book.map(id, u16::from(space), 0x10_0000).unwrap();
                            model.maps.insert(m, (id, BTreeMap::new()));
                        }
                    }
                    Op::Unmap(i) => {
                        if let Some(m) = pick(model.maps.keys().copied(), i) {
                            book.unmap(m, &mut free).unwrap();
                            model.maps.remove(&m);
                        }
                    }
                    Op::Cow(i, page) => {
                        if let Some(m) = pick(model.maps.keys().copied(), i) {
                            let (obj, copies) = model.maps.get_mut(&m).unwrap();
                            let frames = &model.objs[obj].0;
                            let p = u32::from(page) % frames.len() as u32;
                            let copy = alloc(1, &mut allocated);
                            let r = book.cow(m, p, copy);
                            match copies.entry(p) {
                                std::collections::btree_map::Entry::Occupied(_) => {
                                    prop_assert_eq!(r, Err(BookError::Copied));
                                    allocated.remove(&copy);
                                }
                                std::collections::btree_map::Entry::Vacant(v) => {
                                    prop_assert_eq!(r, Ok(frames[p as usize]));
                                    v.insert(copy);
                                    prop_assert_eq!(book.frame_at(m, p), Some((copy, true)));
                                    let users: Vec<_> = book.users_of(copy).collect();
                                    prop_assert_eq!(users.len(), 1);
                                }
                            }
                        }
                    }
                    Op::Revoke(i) => {
                        if let Some(id) = pick(model.objs.keys().copied(), i) {
                            let ms: Vec<_> = book.mappings_of(id).map(|(m, ..)| m).collect();
                            let want: BTreeSet<_> = model.maps.iter().filter(|(_, v)| v.0 == id).map(|(k, _)| *k).collect();
                            prop_assert_eq!(ms.iter().copied().collect::<BTreeSet<_>>(), want);
                            for m in ms {
                                book.unmap(m, &mut free).unwrap();
                                model.maps.remove(&m);
                            }
                        }
                    }
                }
                // A run read at once is each page read alone (what the
                // kernel maps a run from), and a run past the end is refused.
                for (&m, (obj, _)) in &model.maps {
                    let n = model.objs[obj].0.len();
                    let one: Vec<_> = (0..n as u32).map(|i| book.frame_at(m, i).unwrap().0).collect();
                    for first in 0..n {
                        let mut run = vec![0; n - first];
                        prop_assert_eq!(book.frames_at(m, first as u32, &mut run), Some(()));
                        prop_assert_eq!(&run[..], &one[first..]);
                    }
                    prop_assert_eq!(book.frames_at(m, 1, &mut vec![0; n]), None);
                }
                for f in got {
                    let pages = match f {
                        Free::Page(pa) => vec![pa],
                        Free::Block(base, order) => (0..1u32 << order).map(|i| base + i * PAGE).collect(),
                    };
                    for pa in pages {
                        prop_assert!(freed.insert(pa), "{pa:#x} freed twice");
                    }
                }
                // Objects whose last user went are gone from the model too.
                let dead: Vec<_> = model.objs.iter()
                    .filter(|(id, v)| v.1 == 0 && !model.maps.values().any(|(o, _)| o == *id))
                    .map(|(k, _)| *k).collect();
                for id in dead { model.objs.remove(&id); }
                let live = model.live();
                let expect: BTreeSet<_> = allocated.difference(&live).copied().collect();
                prop_assert_eq!(&freed, &expect);
                prop_assert_eq!(book.objects(), model.objs.len());
            }
        }
    }

    #[test]
    fn reverse_map_lists_every_mapping_of_a_shared_frame() {
        let mut book = Book::new();
        let id = book
            .create(Frames::Pages(vec![0x8000_0000, 0x8000_1000]), Some(7))
            .unwrap();
        let a = book.map(id, 1, 0x8000).unwrap();
        let _b = book.map(id, 2, 0x9000).unwrap();
        let users: Vec<_> = book.users_of(0x8000_1000).collect();
        assert_eq!(users, vec![(1, 0x9000), (2, 0xA000)]);
        assert_eq!(book.find(7), Some(id));
        assert_eq!(book.find(8), None);
        book.cow(a, 1, 0x9000_0000).unwrap();
        assert_eq!(
            book.users_of(0x8000_1000).collect::<Vec<_>>(),
            vec![(2, 0xA000)]
        );
        assert_eq!(book.copies(), 1);
    }
}
