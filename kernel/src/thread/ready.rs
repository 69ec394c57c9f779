//! The scheduler's ready queue: which runnable thread runs next.
//!
//! Scheduling is fixed-priority and preemptive with [`PRIORITIES`] levels,
//! where **0 is the highest priority and 31 the lowest**. Within one level
//! threads run round-robin in FIFO order. The design aims at constant time for
//! everything the scheduler does on an interrupt path, with no allocation:
//!
//! * Each level is a circular doubly linked list threaded through an array of
//!   `Link` nodes, one per thread, owned by the queue and indexed by
//!   [`ThreadId`]. Because the links are intrusive (a thread has exactly one
//!   slot), insert, remove-from-anywhere, pick and rotate are all O(1), and a
//!   thread can never be queued twice. Making each list circular means only the
//!   head is stored: the tail is `head.prev`, and rotating a level (time-slice
//!   expiry, yield) is a single head move.
//! * A `u32` bitmap records the non-empty levels. Level `p` is bit `31 - p`, so
//!   the highest non-empty priority is `bitmap.leading_zeros()`, which is one
//!   `CLZ` instruction on ARMv7-A.
//!
//! Whether the running thread stays in the queue is the scheduler's choice;
//! both styles work: keep it queued and [`ReadyQueue::rotate`] its level when
//! its slice ends, or [`ReadyQueue::pop_highest`] it to run and
//! [`ReadyQueue::push_front`] it back when preempted (it keeps its place at
//! the head of its level) or [`ReadyQueue::push_back`] it when its slice ends.
//!
//! Bad input (an index past the table, a priority past 31, queueing a queued
//! thread, removing one that is not queued) returns a [`QueueError`] and leaves
//! the queue unchanged; nothing here panics on caller input.

use core::fmt;

/// Number of priority levels: 0 is the highest priority, 31 the lowest.
pub const PRIORITIES: usize = 32;

/// Marks "no thread" in a link or a level head. Never a valid index.
const NIL: u16 = u16::MAX;

/// A thread's index into the kernel's fixed-capacity thread table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(pub u16);

impl ThreadId {
    /// Makes the id of the thread at table slot `index`.
    pub const fn new(index: u16) -> Self {
        Self(index)
    }

    /// The thread's slot in the thread table.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// Why a ready-queue operation was refused. The queue is left unchanged.
///
/// When several apply, the first in this order is reported: `BadId`,
/// `BadPriority`, then `AlreadyQueued` / `NotQueued`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The thread is already in the queue (at any priority); remove it first.
    AlreadyQueued,
    /// The thread is not in the queue.
    NotQueued,
    /// The priority is not below [`PRIORITIES`].
    BadPriority,
    /// The thread index is not below the queue's capacity `N`.
    BadId,
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AlreadyQueued => "thread is already queued",
            Self::NotQueued => "thread is not queued",
            Self::BadPriority => "priority out of range",
            Self::BadId => "thread id out of range",
        })
    }
}

impl core::error::Error for QueueError {}

/// One thread's place in the queue: its neighbours in its level's circular
/// list and the level it is on (`None` when not queued). Aligned to 8 so
/// that copying one is a load and a store pair, not a call to `memcpy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(align(8))]
struct Link {
    next: u16,
    prev: u16,
    prio: Option<u8>,
}

impl Link {
    const UNQUEUED: Link = Link {
        next: NIL,
        prev: NIL,
        prio: None,
    };
}

/// The ready queue for up to `N` threads (`N` at most 65535), ids `0..N`.
///
/// Equality compares contents: same threads, levels and order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadyQueue<const N: usize> {
    links: [Link; N],
    /// Head of each level's circular list, or `NIL` when the level is empty.
    heads: [u16; PRIORITIES],
    /// Bit `31 - p` is set exactly when level `p` is non-empty.
    bitmap: u32,
    len: usize,
}

/// The bitmap bit of priority `prio` (which must be below 32).
const fn bit(prio: u8) -> u32 {
    0x8000_0000 >> prio
}

impl<const N: usize> ReadyQueue<N> {
    /// Makes an empty queue.
    pub const fn new() -> Self {
        const { assert!(N <= NIL as usize, "ReadyQueue holds at most 65535 threads") };
        Self {
            links: [Link::UNQUEUED; N],
            heads: [NIL; PRIORITIES],
            bitmap: 0,
            len: 0,
        }
    }

    /// Queues `id` at the tail of level `prio` (a thread that became ready or
    /// used up its time slice).
    #[inline]
    pub fn push_back(&mut self, id: ThreadId, prio: u8) -> Result<(), QueueError> {
        self.insert(id, prio, false)
    }

    /// Queues `id` at the head of level `prio`, so it runs before the others
    /// of that level (a preempted thread keeps its turn).
    #[inline]
    pub fn push_front(&mut self, id: ThreadId, prio: u8) -> Result<(), QueueError> {
        self.insert(id, prio, true)
    }

    /// Takes `id` out of the queue wherever it is (it blocked, exited or is
    /// changing priority) and returns the priority it was queued at.
    pub fn remove(&mut self, id: ThreadId) -> Result<u8, QueueError> {
        let i = Self::check_id(id)?;
        let prio = self.links[i].prio.ok_or(QueueError::NotQueued)?;
        self.unlink(i, prio);
        Ok(prio)
    }

    /// Whether `id` is queued (false for an id past the capacity).
    pub fn contains(&self, id: ThreadId) -> bool {
        self.priority_of(id).is_some()
    }

    /// The priority `id` is queued at, or `None` if it is not queued.
    pub fn priority_of(&self, id: ThreadId) -> Option<u8> {
        self.links.get(id.index())?.prio
    }

    /// The thread that should run next and its priority, without removing it:
    /// the head of the highest-priority non-empty level.
    pub fn highest(&self) -> Option<(ThreadId, u8)> {
        let prio = self.highest_priority()?;
        Some((ThreadId(self.heads[prio as usize]), prio))
    }

    /// Removes and returns the thread [`highest`](Self::highest) would return.
    #[inline]
    pub fn pop_highest(&mut self) -> Option<(ThreadId, u8)> {
        let (id, prio) = self.highest()?;
        self.unlink(id.index(), prio);
        Some((id, prio))
    }

    /// Moves the head of level `prio` to its tail (time-slice expiry or
    /// yield) and returns the level's new head, or `None` if it is empty.
    pub fn rotate(&mut self, prio: u8) -> Result<Option<ThreadId>, QueueError> {
        let p = Self::check_prio(prio)?;
        let head = self.heads[p];
        if head == NIL {
            return Ok(None);
        }
        let next = self.links[head as usize].next;
        self.heads[p] = next;
        Ok(Some(ThreadId(next)))
    }

    /// The highest priority (lowest number) with a queued thread.
    #[inline]
    pub fn highest_priority(&self) -> Option<u8> {
        if self.bitmap == 0 {
            None
        } else {
            // Level p is bit 31 - p, so the count of leading zeros is p.
            Some(self.bitmap.leading_zeros() as u8)
        }
    }

    /// Number of queued threads.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no thread is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn check_id(id: ThreadId) -> Result<usize, QueueError> {
        if id.index() < N {
            Ok(id.index())
        } else {
            Err(QueueError::BadId)
        }
    }

    fn check_prio(prio: u8) -> Result<usize, QueueError> {
        if (prio as usize) < PRIORITIES {
            Ok(prio as usize)
        } else {
            Err(QueueError::BadPriority)
        }
    }

    #[inline]
    fn insert(&mut self, id: ThreadId, prio: u8, at_front: bool) -> Result<(), QueueError> {
        let i = Self::check_id(id)?;
        let p = Self::check_prio(prio)?;
        if self.links[i].prio.is_some() {
            return Err(QueueError::AlreadyQueued);
        }
        let head = self.heads[p];
        if head == NIL {
            // Alone in the level: a one-element circle.
            self.links[i] = Link {
                next: id.0,
                prev: id.0,
                prio: Some(prio),
            };
            self.heads[p] = id.0;
            self.bitmap |= bit(prio);
        } else {
            // Splice in between the tail and the head; that is both the new
            // tail and, if the head then moves back to it, the new head.
            let tail = self.links[head as usize].prev;
            self.links[i] = Link {
                next: head,
                prev: tail,
                prio: Some(prio),
            };
            self.links[tail as usize].next = id.0;
            self.links[head as usize].prev = id.0;
            if at_front {
                self.heads[p] = id.0;
            }
        }
        self.len += 1;
        Ok(())
    }

    /// Unlinks queued thread `i` from level `prio`.
    #[inline]
    fn unlink(&mut self, i: usize, prio: u8) {
        let p = prio as usize;
        let Link { next, prev, .. } = self.links[i];
        if next as usize == i {
            // It was alone: the level empties.
            self.heads[p] = NIL;
            self.bitmap &= !bit(prio);
        } else {
            self.links[prev as usize].next = next;
            self.links[next as usize].prev = prev;
            if self.heads[p] as usize == i {
                self.heads[p] = next;
            }
        }
        self.links[i] = Link::UNQUEUED;
        self.len -= 1;
    }
}

impl<const N: usize> Default for ReadyQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;
    use std::vec::Vec;

    type Q = ReadyQueue<8>;

    fn t(i: u16) -> ThreadId {
        ThreadId(i)
    }

    /// The threads of level `prio`, head first, found by walking `next`
    /// links; also checks that `prev` links and recorded levels agree.
    fn level<const N: usize>(q: &ReadyQueue<N>, prio: u8) -> Vec<ThreadId> {
        let mut out = Vec::new();
        let head = q.heads[prio as usize];
        if head == NIL {
            return out;
        }
        let mut cur = head;
        loop {
            let link = q.links[cur as usize];
            assert_eq!(link.prio, Some(prio), "thread {cur} on the wrong level");
            assert_eq!(q.links[link.next as usize].prev, cur, "broken prev link");
            out.push(ThreadId(cur));
            cur = link.next;
            if cur == head {
                return out;
            }
            assert!(out.len() <= N, "level {prio} does not close its circle");
        }
    }

    #[test]
    fn empty_queue() {
        let q = Q::new();
        assert!(q.is_empty());
        assert_eq!(q.len(), 0);
        assert_eq!(q.highest(), None);
        assert_eq!(q.highest_priority(), None);
        assert!(!q.contains(t(0)));
        assert_eq!(Q::default(), q);
    }

    #[test]
    fn picks_highest_priority_which_is_lowest_number() {
        let mut q = Q::new();
        q.push_back(t(1), 31).unwrap();
        q.push_back(t(2), 5).unwrap();
        q.push_back(t(3), 0).unwrap();
        assert_eq!(q.highest(), Some((t(3), 0)));
        assert_eq!(q.pop_highest(), Some((t(3), 0)));
        assert_eq!(q.pop_highest(), Some((t(2), 5)));
        assert_eq!(q.pop_highest(), Some((t(1), 31)));
        assert_eq!(q.pop_highest(), None);
        assert_eq!(q.bitmap, 0);
    }

    #[test]
    fn fifo_within_a_level_and_push_front() {
        let mut q = Q::new();
        q.push_back(t(1), 7).unwrap();
        q.push_back(t(2), 7).unwrap();
        q.push_front(t(3), 7).unwrap();
        assert_eq!(level(&q, 7), [t(3), t(1), t(2)]);
        assert_eq!(q.pop_highest(), Some((t(3), 7)));
        assert_eq!(q.pop_highest(), Some((t(1), 7)));
    }

    #[test]
    fn rotate_round_robin() {
        let mut q = Q::new();
        for i in 0..3 {
            q.push_back(t(i), 4).unwrap();
        }
        assert_eq!(q.rotate(4), Ok(Some(t(1))));
        assert_eq!(level(&q, 4), [t(1), t(2), t(0)]);
        assert_eq!(q.rotate(4), Ok(Some(t(2))));
        assert_eq!(q.rotate(4), Ok(Some(t(0))));
        assert_eq!(q.rotate(9), Ok(None));
        assert_eq!(q.rotate(32), Err(QueueError::BadPriority));
    }

    #[test]
    fn remove_from_head_middle_tail_and_alone() {
        let mut q = Q::new();
        for i in 0..4 {
            q.push_back(t(i), 2).unwrap();
        }
        q.push_back(t(5), 3).unwrap();
        assert_eq!(q.remove(t(1)), Ok(2));
        assert_eq!(q.remove(t(0)), Ok(2));
        assert_eq!(q.remove(t(3)), Ok(2));
        assert_eq!(level(&q, 2), [t(2)]);
        assert_eq!(q.remove(t(2)), Ok(2));
        assert_eq!(q.highest(), Some((t(5), 3)));
        assert_eq!(q.bitmap, bit(3));
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn changing_priority_is_remove_then_push() {
        let mut q = Q::new();
        q.push_back(t(1), 10).unwrap();
        q.push_back(t(2), 20).unwrap();
        assert_eq!(q.push_back(t(2), 1), Err(QueueError::AlreadyQueued));
        q.remove(t(2)).unwrap();
        q.push_back(t(2), 1).unwrap();
        assert_eq!(q.priority_of(t(2)), Some(1));
        assert_eq!(q.highest(), Some((t(2), 1)));
    }

    #[test]
    fn errors_leave_queue_unchanged() {
        let mut q = Q::new();
        q.push_back(t(1), 3).unwrap();
        let before = q.clone();
        assert_eq!(q.push_back(t(8), 3), Err(QueueError::BadId));
        assert_eq!(q.push_front(t(u16::MAX), 3), Err(QueueError::BadId));
        assert_eq!(q.push_back(t(2), 32), Err(QueueError::BadPriority));
        assert_eq!(q.push_front(t(1), 4), Err(QueueError::AlreadyQueued));
        assert_eq!(q.remove(t(2)), Err(QueueError::NotQueued));
        assert_eq!(q.remove(t(8)), Err(QueueError::BadId));
        assert_eq!(q.rotate(200), Err(QueueError::BadPriority));
        assert!(!q.contains(t(8)));
        assert_eq!(q, before);
    }

    #[test]
    fn full_capacity_and_zero_capacity() {
        let mut q = ReadyQueue::<4>::new();
        for i in 0..4 {
            q.push_back(t(i), (i * 10) as u8).unwrap();
        }
        assert_eq!(q.len(), 4);
        assert_eq!(q.push_back(t(4), 0), Err(QueueError::BadId));
        let mut z = ReadyQueue::<0>::new();
        assert_eq!(z.push_back(t(0), 0), Err(QueueError::BadId));
        assert_eq!(z.pop_highest(), None);
    }

    #[test]
    fn usable_as_a_static() {
        static Q: ReadyQueue<64> = ReadyQueue::new();
        assert!(Q.is_empty());
    }

    /// Capacity used by the property test; ids up to `N + 1` are generated so
    /// that `BadId` comes up too, and priorities up to 33 for `BadPriority`.
    const N: usize = 6;

    #[derive(Clone, Copy, Debug)]
    enum Op {
        PushBack(u16, u8),
        PushFront(u16, u8),
        Remove(u16),
        Pop,
        Rotate(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few levels most of the time, so levels hold several threads.
        let prio = prop_oneof![6 => 0u8..4, 3 => 0u8..32, 1 => 32u8..=u8::MAX];
        let id = 0u16..(N as u16 + 2);
        prop_oneof![
            3 => (id.clone(), prio.clone()).prop_map(|(i, p)| Op::PushBack(i, p)),
            2 => (id.clone(), prio.clone()).prop_map(|(i, p)| Op::PushFront(i, p)),
            2 => id.prop_map(Op::Remove),
            1 => Just(Op::Pop),
            2 => prio.prop_map(Op::Rotate),
        ]
    }

    /// The obviously-correct model: one deque per level.
    type Model = [VecDeque<ThreadId>; PRIORITIES];

    fn model_find(m: &Model, id: ThreadId) -> Option<(usize, usize)> {
        m.iter()
            .enumerate()
            .find_map(|(p, d)| d.iter().position(|&x| x == id).map(|i| (p, i)))
    }

    fn model_push(m: &mut Model, i: u16, p: u8, front: bool) -> Result<(), QueueError> {
        if i as usize >= N {
            Err(QueueError::BadId)
        } else if p as usize >= PRIORITIES {
            Err(QueueError::BadPriority)
        } else if model_find(m, t(i)).is_some() {
            Err(QueueError::AlreadyQueued)
        } else {
            let d = &mut m[p as usize];
            if front {
                d.push_front(t(i))
            } else {
                d.push_back(t(i))
            }
            Ok(())
        }
    }

    fn check_against_model(q: &ReadyQueue<N>, m: &Model) {
        let mut bitmap = 0;
        for (p, d) in m.iter().enumerate() {
            let got = level(q, p as u8);
            assert_eq!(got, Vec::from_iter(d.iter().copied()), "level {p}");
            if !d.is_empty() {
                bitmap |= bit(p as u8);
            }
        }
        assert_eq!(q.bitmap, bitmap);
        let len: usize = m.iter().map(VecDeque::len).sum();
        assert_eq!(q.len(), len);
        assert_eq!(q.is_empty(), len == 0);
        let expect = m
            .iter()
            .enumerate()
            .find_map(|(p, d)| d.front().map(|&id| (id, p as u8)));
        assert_eq!(q.highest(), expect);
        assert_eq!(q.highest_priority(), expect.map(|(_, p)| p));
        for i in 0..N as u16 + 2 {
            assert_eq!(
                q.priority_of(t(i)),
                model_find(m, t(i)).map(|(p, _)| p as u8)
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn agrees_with_model(ops in proptest::collection::vec(op(), 0..80)) {
            let mut q = ReadyQueue::<N>::new();
            let mut m: Model = core::array::from_fn(|_| VecDeque::new());
            for op in ops {
                let before = q.clone();
                let failed = match op {
                    Op::PushBack(i, p) => {
                        let want = model_push(&mut m, i, p, false);
                        prop_assert_eq!(q.push_back(t(i), p), want);
                        want.is_err()
                    }
                    Op::PushFront(i, p) => {
                        let want = model_push(&mut m, i, p, true);
                        prop_assert_eq!(q.push_front(t(i), p), want);
                        want.is_err()
                    }
                    Op::Remove(i) => {
                        let want = if i as usize >= N {
                            Err(QueueError::BadId)
                        } else if let Some((p, at)) = model_find(&m, t(i)) {
                            m[p].remove(at);
                            Ok(p as u8)
                        } else {
                            Err(QueueError::NotQueued)
                        };
                        prop_assert_eq!(q.remove(t(i)), want);
                        want.is_err()
                    }
                    Op::Pop => {
                        let want = m
                            .iter_mut()
                            .enumerate()
                            .find_map(|(p, d)| d.pop_front().map(|id| (id, p as u8)));
                        prop_assert_eq!(q.pop_highest(), want);
                        false
                    }
                    Op::Rotate(p) => {
                        let want = if p as usize >= PRIORITIES {
                            Err(QueueError::BadPriority)
                        } else {
                            let d = &mut m[p as usize];
                            d.rotate_left(usize::from(!d.is_empty()));
                            Ok(d.front().copied())
                        };
                        prop_assert_eq!(q.rotate(p), want);
                        want.is_err()
                    }
                };
                if failed {
                    prop_assert_eq!(&q, &before, "an error changed the queue");
                }
                check_against_model(&q, &m);
            }
        }
    }
}
