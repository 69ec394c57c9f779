//! Cache maintenance (calls 48-49) for the fuzzer, with their oracles.
//!
//! `cache_clean` and `cache_invalidate` take a range that must lie in one
//! of the caller's own memory regions: the oracle knows the fuzzer's text,
//! stack and `mmap` regions exactly; the rest of its image (rodata, data
//! and bss: regions whose boundary it does not know) may answer `Ok` or
//! `Fault` when a range falls there, as may a `PROT_NONE` mapping (whether
//! its pages can be found is the kernel's business). An invalidate drops
//! dirty lines on silicon, so it is never aimed where the fuzzer keeps
//! data it needs (stack, data, bss): such ranges are moved to NULL (a
//! `Fault`). Under QEMU there are no caches to check, so only the answers
//! are.

use super::{Fuzzer, Want};
use crate::abi::{self, Errno};

/// The cache line (the PL310's and the Cortex-A9's L1's).
const LINE: u32 = 32;

impl Fuzzer {
    /// A range for a cache call: part of a mapping, of the text or stack,
    /// the image's rest, or hostile values.
    fn cache_range(&mut self) -> (u32, u32) {
        let g = self.g;
        let sub = |f: &mut Fuzzer, start: u32, len: u32| {
            let a = start + f.rng.below(len);
            (a, 1 + f.rng.below(start + len - a))
        };
        match (self.rng.below(8), self.random_map()) {
            (0 | 1, Some(m)) => sub(self, m.addr, m.len),
            (2, Some(m)) => (m.addr, m.len + self.rng.below(2) * g),
            (3, _) => sub(self, self.image_start, self.text_end - self.image_start),
            (4, _) => sub(self, self.stack_start, self.stack_end - self.stack_start),
            (5, _) => sub(self, self.text_end, self.image_end - self.text_end),
            _ => (self.hostile_addr(), self.hostile_len()),
        }
    }

    /// `cache_clean(addr, len)` / `cache_invalidate(addr, len)`: `Inval`
    /// for an empty or wrapping range or (invalidate) one not on 32-byte
    /// lines, `Fault` unless it lies in one of the fuzzer's regions, else
    /// 0 (see the module docs for the ranges it cannot tell).
    fn cache_op(&mut self, invalidate: bool) {
        let (mut addr, mut len) = self.cache_range();
        if invalidate && !self.rng.one_in(4) {
            addr &= !(LINE - 1);
            len = len.next_multiple_of(LINE).max(LINE);
        }
        let end = addr.checked_add(len).filter(|_| len > 0);
        let within = |a: u32, l: u32| end.is_some_and(|e| addr >= a && e <= a + l);
        let image_rest = within(self.text_end, self.image_end - self.text_end);
        let stack = within(self.stack_start, self.stack_end - self.stack_start);
        if invalidate && (stack || image_rest) {
            addr = 0; // see the module docs
        }
        let end = addr.checked_add(len).filter(|_| len > 0);
        let within = |a: u32, l: u32| end.is_some_and(|e| addr >= a && e <= a + l);
        let map = self
            .maps
            .iter()
            .flatten()
            .find(|m| within(m.addr, m.len))
            .copied();
        let misaligned = invalidate && !(addr.is_multiple_of(LINE) && len.is_multiple_of(LINE));
        let want = if end.is_none() || misaligned {
            Want::Error(Errno::Inval)
        } else if let Some(m) = map {
            if m.prot == 0 {
                Want::SuccessOr(Errno::Fault)
            } else {
                Want::Value(0)
            }
        } else if within(self.image_start, self.text_end - self.image_start)
            || within(self.stack_start, self.stack_end - self.stack_start)
        {
            Want::Value(0)
        } else if within(self.text_end, self.image_end - self.text_end) {
            Want::SuccessOr(Errno::Fault)
        } else {
            Want::Error(Errno::Fault)
        };
        let nr = if invalidate {
            abi::CACHE_INVALIDATE
        } else {
            abi::CACHE_CLEAN
        };
        let junk = self.rng.bits();
        self.expect(nr, [addr, len, junk, 0], want);
    }

    /// See [`Fuzzer::cache_op`].
    pub(super) fn cache_clean(&mut self) {
        self.cache_op(false);
    }

    /// See [`Fuzzer::cache_op`].
    pub(super) fn cache_invalidate(&mut self) {
        self.cache_op(true);
    }
}
