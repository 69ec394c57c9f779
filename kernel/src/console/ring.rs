//! The console's output ring: a fixed-capacity byte FIFO with counters.
//!
//! Pure logic, no locking and no hardware: the console keeps one [`Ring`]
//! behind its lock, writers [`push`](Ring::push) into it and the UART side
//! takes from it ([`readable`](Ring::readable) then
//! [`consume`](Ring::consume), or [`pop`](Ring::pop)). Nothing here allocates or waits; a push that
//! does not fit is either cut short ([`Ring::push`]) or refused whole
//! ([`Ring::push_whole`]), and what the caller gives up on is counted with
//! [`Ring::count_dropped`]. The counters obey `queued = sent + len()`, so
//! every byte offered is either still queued, sent, or counted as dropped.

/// How many bytes went through a ring, since it was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes accepted into the ring.
    pub queued: u64,
    /// Bytes taken out of it (handed to the UART).
    pub sent: u64,
    /// Bytes a writer gave up on because the ring was full.
    pub dropped: u64,
}

/// A byte FIFO of `N` bytes.
pub struct Ring<const N: usize> {
    buf: [u8; N],
    /// Index of the oldest byte.
    head: usize,
    /// Bytes held.
    len: usize,
    stats: Stats,
}

impl<const N: usize> Default for Ring<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Ring<N> {
    const NONEMPTY: () = assert!(N > 0, "a ring needs room for a byte");

    /// An empty ring.
    pub const fn new() -> Self {
        let () = Self::NONEMPTY;
        Self {
            buf: [0; N],
            head: 0,
            len: 0,
            stats: Stats {
                queued: 0,
                sent: 0,
                dropped: 0,
            },
        }
    }

    /// Bytes it can hold.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Bytes it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room left, in bytes.
    pub fn free(&self) -> usize {
        N - self.len
    }

    /// Appends as much of `bytes` as fits; returns how many were taken (the
    /// rest is the caller's: to retry later or to count as dropped). At most
    /// two copies, whatever the length.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.free());
        let tail = (self.head + self.len) % N;
        let first = n.min(N - tail);
        self.buf[tail..tail + first].copy_from_slice(&bytes[..first]);
        self.buf[..n - first].copy_from_slice(&bytes[first..n]);
        self.len += n;
        self.stats.queued += n as u64;
        n
    }

    /// Appends all of `bytes` if they fit, else nothing; returns whether
    /// they went in.
    pub fn push_whole(&mut self, bytes: &[u8]) -> bool {
        if bytes.len() > self.free() {
            return false;
        }
        self.push(bytes);
        true
    }

    /// Takes the oldest byte.
    pub fn pop(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let b = self.buf[self.head];
        self.head = (self.head + 1) % N;
        self.len -= 1;
        self.stats.sent += 1;
        Some(b)
    }

    /// The oldest bytes, as many as lie contiguous in the buffer (all of
    /// them unless they wrap around its end): to hand to the UART, then
    /// [`consume`](Self::consume) what it took.
    pub fn readable(&self) -> &[u8] {
        let end = (self.head + self.len).min(N);
        &self.buf[self.head..end]
    }

    /// Forgets the `n` oldest bytes (sent); `n` is cut to [`len`](Self::len).
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.head = (self.head + n) % N;
        self.len -= n;
        self.stats.sent += n as u64;
    }

    /// Counts `n` bytes a writer gave up on.
    pub fn count_dropped(&mut self, n: usize) {
        self.stats.dropped += n as u64;
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    fn drain<const N: usize>(r: &mut Ring<N>) -> Vec<u8> {
        core::iter::from_fn(|| r.pop()).collect()
    }

    #[test]
    fn fifo_order_and_counters() {
        let mut r = Ring::<8>::new();
        assert!(r.is_empty() && r.capacity() == 8 && r.free() == 8);
        assert_eq!(r.push(b"abc"), 3);
        assert_eq!(r.pop(), Some(b'a'));
        assert_eq!(r.push(b"de"), 2);
        assert_eq!(drain(&mut r), b"bcde");
        assert_eq!(r.pop(), None);
        let s = r.stats();
        assert_eq!((s.queued, s.sent, s.dropped), (5, 5, 0));
    }

    #[test]
    fn wraps_around_the_end() {
        let mut r = Ring::<8>::new();
        r.push(b"012345");
        for _ in 0..5 {
            r.pop();
        }
        // head at 5: this push writes 3 bytes at the end and 4 at the start.
        assert_eq!(r.push(b"6789abc"), 7);
        assert_eq!(r.len(), 8);
        assert_eq!(drain(&mut r), b"56789abc");
        // Wrap again from a different head.
        assert_eq!(r.push(b"xyz"), 3);
        assert_eq!(drain(&mut r), b"xyz");
    }

    #[test]
    fn readable_stops_at_the_wrap_and_consume_moves_on() {
        let mut r = Ring::<8>::new();
        assert_eq!(r.readable(), b"");
        r.push(b"012345");
        r.consume(5);
        r.push(b"6789");
        assert_eq!(r.readable(), b"567");
        r.consume(2);
        assert_eq!(r.readable(), b"7");
        r.consume(1);
        assert_eq!(r.readable(), b"89");
        r.consume(100);
        assert!(r.is_empty());
        let s = r.stats();
        assert_eq!((s.queued, s.sent), (10, 10));
    }

    #[test]
    fn full_ring_takes_nothing_more() {
        let mut r = Ring::<4>::new();
        assert_eq!(r.push(b"abcd"), 4);
        assert_eq!(r.free(), 0);
        assert_eq!(r.push(b"e"), 0);
        assert!(!r.push_whole(b"e"));
        assert!(r.push_whole(b""));
        assert_eq!(drain(&mut r), b"abcd");
    }

    #[test]
    fn partial_push_takes_what_fits() {
        let mut r = Ring::<8>::new();
        r.push(b"12345");
        assert_eq!(r.push(b"abcdef"), 3);
        r.count_dropped(3);
        assert_eq!(drain(&mut r), b"12345abc");
        let s = r.stats();
        assert_eq!((s.queued, s.sent, s.dropped), (8, 8, 3));
    }

    #[test]
    fn whole_push_is_all_or_nothing() {
        let mut r = Ring::<8>::new();
        assert!(r.push_whole(b"12345"));
        assert!(!r.push_whole(b"abcd"));
        assert_eq!(r.len(), 5);
        assert!(r.push_whole(b"abc"));
        assert_eq!(drain(&mut r), b"12345abc");
    }

    #[derive(Clone, Debug)]
    enum Op {
        Push(Vec<u8>),
        PushWhole(Vec<u8>),
        Pop(usize),
        Consume(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let bytes = proptest::collection::vec(any::<u8>(), 0..20);
        prop_oneof![
            3 => bytes.clone().prop_map(Op::Push),
            2 => bytes.prop_map(Op::PushWhole),
            2 => (0usize..8).prop_map(Op::Pop),
            2 => (0usize..20).prop_map(Op::Consume),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Any mix of pushes (both kinds, the rest of a partial one counted
        /// as dropped), pops and consumes agrees with a VecDeque: same bytes
        /// out in the same order, same counters, `queued = sent + len`.
        #[test]
        fn agrees_with_model(ops in proptest::collection::vec(op(), 0..200)) {
            const N: usize = 13;
            let mut r = Ring::<N>::new();
            let mut model = VecDeque::new();
            let mut want = Stats::default();
            for op in ops {
                match op {
                    Op::Push(bytes) => {
                        let n = r.push(&bytes);
                        prop_assert_eq!(n, bytes.len().min(N - model.len()));
                        model.extend(&bytes[..n]);
                        r.count_dropped(bytes.len() - n);
                        want.queued += n as u64;
                        want.dropped += (bytes.len() - n) as u64;
                    }
                    Op::PushWhole(bytes) => {
                        let fits = bytes.len() <= N - model.len();
                        prop_assert_eq!(r.push_whole(&bytes), fits);
                        if fits {
                            model.extend(&bytes);
                            want.queued += bytes.len() as u64;
                        }
                    }
                    Op::Pop(k) => {
                        for _ in 0..k {
                            let b = model.pop_front();
                            prop_assert_eq!(r.pop(), b);
                            want.sent += b.is_some() as u64;
                        }
                    }
                    Op::Consume(k) => {
                        let seen = r.readable().to_vec();
                        prop_assert!(!seen.is_empty() || model.is_empty());
                        let front: Vec<u8> = model.iter().copied().take(seen.len()).collect();
                        prop_assert_eq!(&front, &seen);
                        let n = k.min(seen.len());
                        r.consume(n);
                        model.drain(..n);
                        want.sent += n as u64;
                    }
                }
                prop_assert_eq!(r.len(), model.len());
                prop_assert_eq!(r.stats(), want);
                prop_assert_eq!(want.queued, want.sent + r.len() as u64);
            }
        }
    }
}
