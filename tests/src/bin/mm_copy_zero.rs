//! The assembly behind every copy and every zeroed page (`arch::mem`): the
//! kernel's `memcpy` (eight words per `ldm`/`stm`, an unaligned-source
//! path, words, bytes), `zero` (128 bytes per iteration) and `repeat16`
//! (two 16-byte copies per `stm`), checked on the target against byte
//! loops for every alignment of source and destination and lengths around
//! each of their block sizes, with guard bytes on both sides untouched.
//! (Host tests cover only their Rust contracts.) Made to fail by dropping
//! one load of `memcpy`'s unaligned-source block loop: "memcpy copies
//! exactly" failed (the kernel itself still booted).

#![no_std]
#![no_main]

use ktests::{check, finish};

kernel::entry!(main);

const LEN: usize = 160;
const PAD: usize = 8;

/// A byte pattern that differs at every offset.
fn pattern(i: usize) -> u8 {
    (i as u8).wrapping_mul(31).wrapping_add(7)
}

fn main() {
    let mut src = [0u32; (LEN + 2 * PAD) / 4];
    let mut dst = [0u32; (LEN + 2 * PAD) / 4];
    // SAFETY: byte views of our own word arrays (word aligned).
    let (src, dst) = unsafe {
        (
            core::slice::from_raw_parts_mut(src.as_mut_ptr().cast::<u8>(), LEN + 2 * PAD),
            core::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<u8>(), LEN + 2 * PAD),
        )
    };
    for (i, b) in src.iter_mut().enumerate() {
        *b = pattern(i);
    }
    let mut copy_ok = true;
    for so in 0..4 {
        for d in 0..4 {
            for n in (0..40).chain(60..70).chain(LEN - 8..=LEN - PAD) {
                dst.fill(0xEE);
                let s = core::hint::black_box(&src[PAD + so..PAD + so + n]);
                // A length unknown at compile time: a call to `memcpy`.
                dst[PAD + d..PAD + d + n].copy_from_slice(s);
                let inside = (0..n).all(|i| dst[PAD + d + i] == pattern(PAD + so + i));
                let outside = dst[..PAD + d]
                    .iter()
                    .chain(&dst[PAD + d + n..])
                    .all(|&b| b == 0xEE);
                copy_ok &= inside && outside;
            }
        }
    }
    check("memcpy copies exactly, any alignment and length", copy_ok);

    let mut zero_ok = true;
    for n in [0usize, 128, 256, 1024] {
        let mut buf = [0xA5A5_A5A5u32; (1024 + 2 * 128) / 4];
        // SAFETY: a byte view of our own word array.
        let bytes =
            unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 1024 + 256) };
        arch::mem::zero(&mut bytes[128..128 + n]);
        zero_ok &= bytes[128..128 + n].iter().all(|&b| b == 0)
            && bytes[..128]
                .iter()
                .chain(&bytes[128 + n..])
                .all(|&b| b == 0xA5);
    }
    check("zero clears exactly its range", zero_ok);

    let mut repeat_ok = true;
    let item: [u32; 4] = [0x1111_2222, 0x3333_4444, 0x5555_6666, 0x7777_8888];
    for count in [1usize, 2, 3, 7, 8] {
        let mut buf = [9u32; 4 * 10];
        // SAFETY: `count` slots from word 4 on lie inside buf, apart from item.
        unsafe { arch::mem::repeat16(buf.as_mut_ptr().add(4).cast(), count, item.as_ptr().cast()) };
        repeat_ok &= (0..count).all(|k| buf[4 + 4 * k..8 + 4 * k] == item)
            && buf[..4]
                .iter()
                .chain(&buf[4 + 4 * count..])
                .all(|&w| w == 9);
    }
    check("repeat16 fills exactly its slots", repeat_ok);
    finish()
}
