//! The scheduler's sleeper queue: which sleeping thread wakes next.
//!
//! A fixed-capacity binary min-heap of `(wake time, arrival)` keys, one slot
//! per thread, with a position table indexed by [`ThreadId`] so that a
//! sleeper can also be removed from the middle. Every operation is bounded
//! by `log2(N)` sift steps (6 for the kernel's 64 threads) and allocates
//! nothing, so inserting a sleeper under the scheduler lock costs the same
//! however many threads sleep (the sorted list it replaces walked all of
//! them).
//!
//! Threads asking for the same wake time wake highest priority first (the
//! scheduler wakes one sleeper per timer interrupt, so the order matters),
//! and those of one priority in the order they went to sleep: each insert
//! takes a sequence number that breaks the remaining ties, so the heap
//! orders exactly like a stable list sorted by (time, priority).
//!
//! Bad input (an index past the table, inserting a queued thread, removing
//! one that is not queued) returns a [`SleepError`] and leaves the queue
//! unchanged; nothing here panics on caller input.

use super::ready::ThreadId;
use core::fmt;

/// Marks "not queued" in the position table.
const NIL: u16 = u16::MAX;

/// Why a sleeper-queue operation was refused. The queue is left unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SleepError {
    /// The thread index is not below the queue's capacity `N`.
    BadId,
    /// The thread is already asleep in the queue.
    AlreadyQueued,
    /// The thread is not in the queue.
    NotQueued,
}

impl fmt::Display for SleepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadId => "thread id out of range",
            Self::AlreadyQueued => "thread is already asleep",
            Self::NotQueued => "thread is not asleep",
        })
    }
}

impl core::error::Error for SleepError {}

#[derive(Clone, Copy, Debug)]
struct Entry {
    at: u64,
    /// The priority (0 highest) in the top byte, the arrival number below.
    seq: u64,
    id: u16,
}

impl Entry {
    const EMPTY: Entry = Entry {
        at: 0,
        seq: 0,
        id: NIL,
    };

    /// The heap's order: wake time, then priority and arrival. One `u128`
    /// rather than a tuple: compared in a single chain of word
    /// subtractions, a few instructions shorter on the timer interrupt's
    /// path.
    #[inline(always)]
    fn key(&self) -> u128 {
        u128::from(self.at) << 64 | u128::from(self.seq)
    }
}

/// Up to `N` sleeping threads (ids `0..N`), earliest wake time first.
pub struct SleepQueue<const N: usize> {
    heap: [Entry; N],
    len: usize,
    /// Heap index of each thread, or [`NIL`].
    pos: [u16; N],
    /// Next arrival number (ties between equal wake times).
    seq: u64,
}

impl<const N: usize> Default for SleepQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> SleepQueue<N> {
    const _FITS: () = assert!(N < NIL as usize);

    /// An empty queue.
    pub const fn new() -> Self {
        let () = Self::_FITS;
        Self {
            heap: [Entry::EMPTY; N],
            len: 0,
            pos: [NIL; N],
            seq: 0,
        }
    }

    /// Number of sleepers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nobody sleeps.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `id` is asleep here.
    pub fn contains(&self, id: ThreadId) -> bool {
        self.pos.get(id.index()).is_some_and(|&p| p != NIL)
    }

    /// Puts `id`, of priority `prio` (0 highest), to sleep until `at`:
    /// after every sleeper of a higher or the same priority queued for the
    /// same time, before those of a lower one.
    pub fn insert(&mut self, id: ThreadId, at: u64, prio: u8) -> Result<(), SleepError> {
        let i = id.index();
        match self.pos.get(i) {
            None => return Err(SleepError::BadId),
            Some(&p) if p != NIL => return Err(SleepError::AlreadyQueued),
            Some(_) => {}
        }
        let entry = Entry {
            at,
            seq: u64::from(prio) << 56 | self.seq,
            id: i as u16,
        };
        // 2^56 sleeps before the arrival number reaches the priority byte.
        self.seq = (self.seq + 1) & ((1 << 56) - 1);
        self.len += 1;
        self.sift_up(self.len - 1, entry);
        Ok(())
    }

    /// The next sleeper to wake and its wake time, without removing it.
    pub fn peek(&self) -> Option<(ThreadId, u64)> {
        (self.len > 0).then(|| (ThreadId::new(self.heap[0].id), self.heap[0].at))
    }

    /// Removes and returns the next sleeper if its wake time is `now` or
    /// earlier.
    pub fn pop_due(&mut self, now: u64) -> Option<(ThreadId, u64)> {
        let (id, at) = self.peek()?;
        if at > now {
            return None;
        }
        self.remove_at(0);
        Some((id, at))
    }

    /// Takes `id` out of the queue (a sleep cut short); returns the time it
    /// was to wake at.
    pub fn remove(&mut self, id: ThreadId) -> Result<u64, SleepError> {
        let p = *self.pos.get(id.index()).ok_or(SleepError::BadId)?;
        if p == NIL {
            return Err(SleepError::NotQueued);
        }
        let at = self.heap[p as usize].at;
        self.remove_at(p as usize);
        Ok(at)
    }

    fn remove_at(&mut self, i: usize) {
        let gone = self.heap[i].id as usize;
        self.pos[gone] = NIL;
        self.len -= 1;
        if i == self.len {
            return; // (slots from `len` on are stale, never read)
        }
        // The last entry fills the hole at `i`: it may belong above or
        // below it (nothing is above the root: a pop, on the timer
        // interrupt's path).
        let last = self.heap[self.len];
        if i == 0 || self.sift_up(i, last) == i {
            self.sift_down(i, last);
        }
    }

    /// Puts `e` at heap index `i` and records that in the position table.
    ///
    /// The sifts below move entries into a hole with this, one copy per
    /// level, instead of swapping, and it copies field by field: at
    /// opt-level "s" a swap of two entries compiles to calls of `memmove`
    /// and a whole-entry copy to one of `memcpy` (~95 and ~35 instructions
    /// a level, on the timer interrupt's path and the switch into a sleep,
    /// with IRQs masked).
    #[inline(always)]
    fn place(&mut self, i: usize, e: Entry) {
        self.pos[e.id as usize] = i as u16;
        let slot = &mut self.heap[i];
        slot.at = e.at;
        slot.seq = e.seq;
        slot.id = e.id;
    }

    /// Puts `e` into the hole at `i`, or above it where it belongs (its
    /// parents that come after it move down one level); returns where it
    /// ended.
    fn sift_up(&mut self, mut i: usize, e: Entry) -> usize {
        while i > 0 {
            let parent = (i - 1) / 2;
            let p = self.heap[parent];
            if e.key() >= p.key() {
                break;
            }
            self.place(i, p);
            i = parent;
        }
        self.place(i, e);
        i
    }

    /// Puts `e` into the hole at `i`, or below it where it belongs (the
    /// lesser child of each level it passes moves up one).
    #[inline] // one caller, on the timer interrupt's path
    fn sift_down(&mut self, mut i: usize, e: Entry) {
        loop {
            let l = 2 * i + 1;
            if l >= self.len {
                break;
            }
            let r = l + 1;
            let least = if r < self.len && self.heap[r].key() < self.heap[l].key() {
                r
            } else {
                l
            };
            let child = self.heap[least];
            if child.key() >= e.key() {
                break;
            }
            self.place(i, child);
            i = least;
        }
        self.place(i, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const N: usize = 16;

    #[test]
    fn wakes_in_time_order() {
        let mut q = SleepQueue::<N>::new();
        for (id, at) in [(3, 30), (1, 10), (2, 20), (0, 40)] {
            q.insert(ThreadId::new(id), at, 0).unwrap();
        }
        assert_eq!(q.peek(), Some((ThreadId::new(1), 10)));
        assert_eq!(q.pop_due(9), None);
        assert_eq!(q.pop_due(25), Some((ThreadId::new(1), 10)));
        assert_eq!(q.pop_due(25), Some((ThreadId::new(2), 20)));
        assert_eq!(q.pop_due(25), None);
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn equal_times_wake_in_arrival_order() {
        let mut q = SleepQueue::<N>::new();
        for id in [5, 2, 9, 0, 7] {
            q.insert(ThreadId::new(id), 100, 0).unwrap();
        }
        let order: Vec<u16> = core::iter::from_fn(|| q.pop_due(100).map(|(t, _)| t.0)).collect();
        assert_eq!(order, [5, 2, 9, 0, 7]);
    }

    #[test]
    fn equal_times_wake_highest_priority_first() {
        let mut q = SleepQueue::<N>::new();
        for (id, prio) in [(5, 20), (2, 2), (9, 20), (0, 10), (7, 2)] {
            q.insert(ThreadId::new(id), 100, prio).unwrap();
        }
        q.insert(ThreadId::new(3), 99, 30).unwrap();
        let order: Vec<u16> = core::iter::from_fn(|| q.pop_due(100).map(|(t, _)| t.0)).collect();
        assert_eq!(order, [3, 2, 7, 0, 5, 9]);
    }

    #[test]
    fn bad_input_is_refused_and_changes_nothing() {
        let mut q = SleepQueue::<N>::new();
        assert_eq!(
            q.insert(ThreadId::new(N as u16), 1, 0),
            Err(SleepError::BadId)
        );
        q.insert(ThreadId::new(1), 5, 0).unwrap();
        assert_eq!(
            q.insert(ThreadId::new(1), 2, 0),
            Err(SleepError::AlreadyQueued)
        );
        assert_eq!(q.remove(ThreadId::new(2)), Err(SleepError::NotQueued));
        assert_eq!(q.remove(ThreadId::new(99)), Err(SleepError::BadId));
        assert_eq!(q.peek(), Some((ThreadId::new(1), 5)));
        assert_eq!(q.remove(ThreadId::new(1)), Ok(5));
        assert!(q.is_empty() && !q.contains(ThreadId::new(1)));
    }

    #[test]
    fn full_queue_holds_every_thread() {
        let mut q = SleepQueue::<N>::new();
        for id in 0..N as u16 {
            q.insert(ThreadId::new(id), 1000 - id as u64, 0).unwrap();
        }
        for id in (0..N as u16).rev() {
            assert_eq!(
                q.pop_due(u64::MAX),
                Some((ThreadId::new(id), 1000 - id as u64))
            );
        }
        assert!(q.is_empty());
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u16, u64, u8),
        Remove(u16),
        PopDue(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few distinct times, so ties are common.
        prop_oneof![
            (0..N as u16 + 2, 0..20u64, 0..4u8).prop_map(|(i, t, p)| Op::Insert(i, t, p)),
            (0..N as u16 + 2).prop_map(Op::Remove),
            (0..25u64).prop_map(Op::PopDue),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Against a model: a list kept sorted by (time, priority, arrival).
        #[test]
        fn behaves_like_a_stable_sorted_list(ops in proptest::collection::vec(op(), 0..200)) {
            let mut q = SleepQueue::<N>::new();
            let mut model: Vec<(u64, u8, u64, u16)> = Vec::new();
            let mut seq = 0u64;
            for op in ops {
                match op {
                    Op::Insert(i, at, prio) => {
                        let want = if i as usize >= N {
                            Err(SleepError::BadId)
                        } else if model.iter().any(|e| e.3 == i) {
                            Err(SleepError::AlreadyQueued)
                        } else {
                            model.push((at, prio, seq, i));
                            model.sort();
                            seq += 1;
                            Ok(())
                        };
                        prop_assert_eq!(q.insert(ThreadId::new(i), at, prio), want);
                    }
                    Op::Remove(i) => {
                        let want = if i as usize >= N {
                            Err(SleepError::BadId)
                        } else if let Some(k) = model.iter().position(|e| e.3 == i) {
                            Ok(model.remove(k).0)
                        } else {
                            Err(SleepError::NotQueued)
                        };
                        prop_assert_eq!(q.remove(ThreadId::new(i)), want);
                    }
                    Op::PopDue(now) => {
                        let want = match model.first() {
                            Some(&(at, _, _, i)) if at <= now => {
                                model.remove(0);
                                Some((ThreadId::new(i), at))
                            }
                            _ => None,
                        };
                        prop_assert_eq!(q.pop_due(now), want);
                    }
                }
                prop_assert_eq!(q.len(), model.len());
                prop_assert_eq!(q.peek(), model.first().map(|&(at, _, _, i)| (ThreadId::new(i), at)));
                for i in 0..N as u16 {
                    prop_assert_eq!(q.contains(ThreadId::new(i)), model.iter().any(|e| e.3 == i));
                }
            }
        }
    }
}
