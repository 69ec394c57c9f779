//! The profiler's list of the longest windows, one per site: pure logic,
//! unit- and property-tested on the host.
//!
//! [`Worst::offer`] runs for every window the kernel makes, so the common
//! cases are cheap: when the list is full and the window is not longer than
//! its last entry, one compare; otherwise a search of the keys, which are
//! plain words in an array of their own.

/// The `N` longest windows offered since the last [`Worst::clear`], longest
/// first, at most one per key (its longest), each with an item (the
/// window's sites).
///
/// Offering windows one at a time keeps exactly the `N` largest per-key
/// maxima: once a key's entry falls off the end, every entry left is at
/// least as long, and the shortest entry never gets shorter, so the key can
/// only come back with a window longer than its old one.
pub struct Worst<T: Copy, const N: usize> {
    ticks: [u32; N],
    keys: [usize; N],
    items: [T; N],
    len: usize,
}

impl<T: Copy, const N: usize> Worst<T, N> {
    /// An empty list; `fill` only initialises the unused slots.
    pub const fn new(fill: T) -> Self {
        assert!(N > 0);
        Self {
            ticks: [0; N],
            keys: [0; N],
            items: [fill; N],
            len: 0,
        }
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Entries kept.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entry `i` (0 is the longest): its length, key and item.
    pub fn get(&self, i: usize) -> Option<(u32, usize, T)> {
        (i < self.len).then(|| (self.ticks[i], self.keys[i], self.items[i]))
    }

    /// Offers a window `ticks` long from the site `key`; `item` makes its
    /// item if it is kept. Returns whether it was.
    #[inline(always)]
    pub fn offer(&mut self, ticks: u32, key: usize, item: impl FnOnce() -> T) -> bool {
        let n = self.len;
        if n == N && self.ticks[N - 1] >= ticks {
            return false;
        }
        // `slot`: the entry the new one replaces (its key's, or the last),
        // or a new one at the end.
        let slot = match self.keys[..n].iter().position(|&k| k == key) {
            Some(j) if self.ticks[j] >= ticks => return false,
            Some(j) => j,
            None if n < N => {
                self.len += 1;
                n
            }
            None => N - 1,
        };
        let mut i = slot;
        while i > 0 && self.ticks[i - 1] < ticks {
            self.ticks[i] = self.ticks[i - 1];
            self.keys[i] = self.keys[i - 1];
            self.items[i] = self.items[i - 1];
            i -= 1;
        }
        self.ticks[i] = ticks;
        self.keys[i] = key;
        self.items[i] = item();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn entries<const N: usize>(w: &Worst<u32, N>) -> Vec<(u32, usize, u32)> {
        (0..w.len()).filter_map(|i| w.get(i)).collect()
    }

    #[test]
    fn keeps_the_longest_first() {
        let mut w = Worst::<u32, 3>::new(0);
        assert!(w.is_empty());
        assert!(w.offer(10, 1, || 100));
        assert!(w.offer(30, 2, || 200));
        assert!(w.offer(20, 3, || 300));
        assert_eq!(entries(&w), [(30, 2, 200), (20, 3, 300), (10, 1, 100)]);
        // Full: shorter than the last is refused, longer pushes it out.
        assert!(!w.offer(5, 4, || 400));
        assert!(!w.offer(10, 4, || 400));
        assert!(w.offer(25, 4, || 400));
        assert_eq!(entries(&w), [(30, 2, 200), (25, 4, 400), (20, 3, 300)]);
        w.clear();
        assert_eq!(w.len(), 0);
        assert_eq!(w.get(0), None);
    }

    #[test]
    fn one_entry_per_key() {
        let mut w = Worst::<u32, 3>::new(0);
        w.offer(10, 7, || 1);
        w.offer(20, 8, || 2);
        // A shorter or equal window of a kept key changes nothing.
        assert!(!w.offer(10, 7, || 3));
        assert!(!w.offer(5, 8, || 3));
        assert_eq!(w.len(), 2);
        // A longer one replaces its key's entry and moves up.
        assert!(w.offer(40, 7, || 4));
        assert_eq!(entries(&w), [(40, 7, 4), (20, 8, 2)]);
        // The same key many times never fills the list.
        for t in 41..100 {
            w.offer(t, 7, || t);
        }
        assert_eq!(entries(&w), [(99, 7, 99), (20, 8, 2)]);
    }

    proptest! {
        /// Against a model: the per-key maxima, the N largest of them.
        #[test]
        fn keeps_the_largest_per_key_maxima(
            windows in proptest::collection::vec((0u32..200, 0usize..12), 0..300)
        ) {
            let mut w = Worst::<u32, 5>::new(0);
            let mut max: BTreeMap<usize, u32> = BTreeMap::new();
            for &(ticks, key) in &windows {
                w.offer(ticks, key, || ticks);
                let m = max.entry(key).or_insert(ticks);
                *m = (*m).max(ticks);
            }
            let got = entries(&w);
            let mut want: Vec<u32> = max.values().copied().collect();
            want.sort_unstable_by(|a, b| b.cmp(a));
            want.truncate(5);
            // Longest first, the same lengths as the model's top five
            // (ties may keep either key), each its key's maximum, keys
            // distinct, and the item made from the kept window.
            let lengths: Vec<u32> = got.iter().map(|e| e.0).collect();
            prop_assert_eq!(lengths, want);
            for &(ticks, key, item) in &got {
                prop_assert_eq!(max[&key], ticks);
                prop_assert_eq!(item, ticks);
            }
            let mut keys: Vec<usize> = got.iter().map(|e| e.1).collect();
            keys.sort_unstable();
            keys.dedup();
            prop_assert_eq!(keys.len(), got.len());
        }
    }
}
