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

    /// A long random mix of pushes (both kinds) and pops against a VecDeque
    /// model: same bytes out, same counters, `queued = sent + len` always.
    #[test]
    fn matches_a_simple_model() {
        let mut r = Ring::<13>::new();
        let mut model = VecDeque::new();
        let (mut queued, mut sent, mut dropped) = (0u64, 0u64, 0u64);
        let mut seed = 0x2545_F491_u32;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for step in 0..20_000u32 {
            let len = (rand() % 9) as usize;
            let bytes: Vec<u8> = (0..len).map(|i| (step as usize + i) as u8).collect();
            match rand() % 3 {
                0 => {
                    let n = r.push(&bytes);
                    let fits = len.min(13 - model.len());
                    assert_eq!(n, fits);
                    model.extend(&bytes[..n]);
                    queued += n as u64;
                    r.count_dropped(len - n);
                    dropped += (len - n) as u64;
                }
                1 => {
                    let ok = r.push_whole(&bytes);
                    assert_eq!(ok, len <= 13 - model.len());
                    if ok {
                        model.extend(&bytes);
                        queued += len as u64;
                    }
                }
                2 if step % 2 == 0 => {
                    for _ in 0..rand() % 7 {
                        let b = model.pop_front();
                        assert_eq!(r.pop(), b);
                        sent += b.is_some() as u64;
                    }
                }
                _ => {
                    let front: Vec<u8> = model.iter().copied().collect();
                    let seen = r.readable().to_vec();
                    assert!(!seen.is_empty() || model.is_empty());
                    assert_eq!(&front[..seen.len()], &seen[..]);
                    let n = (rand() as usize % 9).min(seen.len());
                    r.consume(n);
                    model.drain(..n);
                    sent += n as u64;
                }
            }
            assert_eq!(r.len(), model.len());
            let s = r.stats();
            assert_eq!((s.queued, s.sent, s.dropped), (queued, sent, dropped));
            assert_eq!(s.queued, s.sent + r.len() as u64);
        }
    }
}
