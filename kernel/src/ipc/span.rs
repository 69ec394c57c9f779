//! How a long message is cut for copying: pieces that each stay within
//! one 4 KiB page of the source and of the destination (so each side is
//! one translation) and within the copy buffer. Pure code, tested on the
//! host.

use crate::layout::{USER_END, USER_START};

const PAGE: u32 = 4096;

/// Whether `[va, va + len)` lies in the user half without wrapping.
pub fn in_user(va: u32, len: u32) -> bool {
    va.checked_add(len)
        .is_some_and(|end| va >= USER_START && end <= USER_END)
}

/// The pieces of a copy of `len` bytes from `src` to `dst`, as (offset,
/// length), each at most `chunk` bytes (`chunk` > 0) and within one page on
/// both sides, in order and covering the whole; `None` if either range
/// leaves user space (or wraps).
pub fn pieces(
    src: u32,
    dst: u32,
    len: u32,
    chunk: u32,
) -> Option<impl Iterator<Item = (u32, u32)>> {
    if !in_user(src, len) || !in_user(dst, len) || chunk == 0 {
        return None;
    }
    let mut off = 0;
    Some(core::iter::from_fn(move || {
        if off == len {
            return None;
        }
        let (s, d) = (src + off, dst + off);
        let n = (len - off)
            .min(PAGE - s % PAGE)
            .min(PAGE - d % PAGE)
            .min(chunk);
        let piece = (off, n);
        off += n;
        Some(piece)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn all(src: u32, dst: u32, len: u32, chunk: u32) -> Vec<(u32, u32)> {
        pieces(src, dst, len, chunk)
            .expect("in user space")
            .collect()
    }

    #[test]
    fn pieces_cover_the_message_in_order_within_pages() {
        for (src, dst, len) in [
            (0x1_0000, 0x2_0000, 4096),
            (0x1_0FFF, 0x2_0001, 4096),
            (0x1_0800, 0x2_0100, 3000),
            (0x1_0000, 0x2_0000, 1),
            (0x3FFF_F000, 0x1_0000, 4096),
        ] {
            let p = all(src, dst, len, 256);
            let mut at = 0;
            for &(off, n) in &p {
                assert_eq!(off, at, "in order, no gap");
                assert!(n > 0 && n <= 256);
                assert_eq!((src + off) / PAGE, (src + off + n - 1) / PAGE);
                assert_eq!((dst + off) / PAGE, (dst + off + n - 1) / PAGE);
                at += n;
            }
            assert_eq!(at, len, "the whole message");
        }
    }

    #[test]
    fn an_empty_message_has_no_pieces() {
        assert!(all(0x1_0000, 0x2_0000, 0, 256).is_empty());
    }

    #[test]
    fn ranges_outside_user_space_are_refused() {
        // Below user space, the kernel half, across the top, wrapping.
        assert!(pieces(0, 0x1_0000, 16, 256).is_none());
        assert!(pieces(0x1_0000, 0xC000_0000, 16, 256).is_none());
        assert!(pieces(USER_END - 8, 0x1_0000, 16, 256).is_none());
        assert!(pieces(0x1_0000, u32::MAX - 4, 16, 256).is_none());
        // Up to the very top is fine.
        assert!(pieces(USER_END - 16, 0x1_0000, 16, 256).is_some());
    }

    #[test]
    fn a_misaligned_4k_message_takes_one_piece_per_page_crossing() {
        // 4 KiB from one byte before a page boundary, to page-aligned
        // memory, in whole pages (chunk 4096): 1 + 4095 bytes.
        assert_eq!(all(0x1_0FFF, 0x2_0000, 4096, 4096), [(0, 1), (1, 4095)]);
    }
}
