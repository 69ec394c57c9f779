//! Zeroing memory at the speed of the store unit: pages, tables, sections.
//!
//! A byte loop (or `write_bytes`, which becomes `__aeabi_memclr`) spends
//! about three instructions per word; zeroing is the larger part of a
//! user's 4 KiB `mmap` and of a process's creation. [`zero`] stores 128
//! bytes per loop iteration with four `stm` of eight zeroed registers: six
//! instructions per 128 bytes, about 200 per 4 KiB page (3,000 before).
//! Every page, table and section the kernel zeroes goes through it.
//!
//! The contract (a whole number of [`ZERO_CHUNK`]s, word aligned) is
//! checked by [`zero`] itself, so the same function runs on the host, where
//! a plain fill stands in for the assembly loop, and is tested there.
//!
//! [`repeat16`] is the same idea for a 16-byte pattern (the boot's one pass
//! over the page descriptors): two copies per `stm` of eight registers.

/// What [`zero`] works in: its length must be a multiple of this (every
/// page, 1 KiB L2 table and section is).
pub const ZERO_CHUNK: usize = 128;

/// Zeroes `mem`: four `stm` of 32 bytes per iteration on ARM.
///
/// # Panics
///
/// If `mem` is not word aligned or its length is not a multiple of
/// [`ZERO_CHUNK`] (a kernel bug: every caller zeroes whole pages, tables or
/// sections).
#[inline]
pub fn zero(mem: &mut [u8]) {
    assert!(
        (mem.as_ptr() as usize).is_multiple_of(4) && mem.len().is_multiple_of(ZERO_CHUNK),
        "zero: {} bytes at {:p} are not whole {ZERO_CHUNK}-byte chunks, word aligned",
        mem.len(),
        mem.as_ptr()
    );
    if mem.is_empty() {
        return;
    }
    #[cfg(target_arch = "arm")]
    // SAFETY: `mem` is ours to write (a unique borrow), word aligned and a
    // non-zero multiple of 128 bytes long: what `rtk_zero_chunks` stores
    // into, and nothing else.
    unsafe {
        rtk_zero_chunks(mem.as_mut_ptr(), mem.as_mut_ptr().add(mem.len()));
    }
    #[cfg(not(target_arch = "arm"))]
    mem.fill(0);
}

/// Zeroes `len` bytes at `ptr`: [`zero`] for memory reached by address
/// (the linear map of a frame).
///
/// # Safety
///
/// `ptr..ptr + len` is memory the caller may write and nothing else
/// borrows meanwhile; the alignment and length of [`zero`] hold.
#[inline]
pub unsafe fn zero_raw(ptr: *mut u8, len: usize) {
    // SAFETY: the caller's duties above.
    zero(unsafe { core::slice::from_raw_parts_mut(ptr, len) });
}

/// Copies the 16 bytes at `item` into each of the `count` 16-byte slots
/// from `dst` on: `stm` of two copies at a time on ARM (1.5 instructions
/// per copy), a copy loop on the host.
///
/// # Safety
///
/// `item` is 16 readable bytes and `dst..dst + 16 * count` writable memory
/// that does not overlap them, both word aligned, and nothing else borrows
/// that memory meanwhile. The slots then hold byte copies of `item`: the
/// caller's type must be one a byte copy of a valid value keeps valid (any
/// `Copy` type, as with `ptr::copy_nonoverlapping`).
#[inline]
pub unsafe fn repeat16(dst: *mut u8, count: usize, item: *const u8) {
    debug_assert!((dst as usize).is_multiple_of(4) && (item as usize).is_multiple_of(4));
    if count == 0 {
        return;
    }
    #[cfg(target_arch = "arm")]
    // SAFETY: the caller's duties above are what `rtk_repeat16` needs.
    unsafe {
        rtk_repeat16(dst, dst.add(16 * count), item);
    }
    #[cfg(not(target_arch = "arm"))]
    for k in 0..count {
        // SAFETY: slot k is inside the caller's writable range, which does
        // not overlap `item`.
        unsafe { core::ptr::copy_nonoverlapping(item, dst.add(16 * k), 16) };
    }
}

#[cfg(target_arch = "arm")]
unsafe extern "C" {
    /// Copies the 16 bytes at `item` into each 16-byte slot from `start`
    /// up to `end` (word aligned, `end - start` a non-zero multiple of 16).
    fn rtk_repeat16(start: *mut u8, end: *mut u8, item: *const u8);
}

// r0 = start, r1 = end, r2 = item. The pattern twice in r2-r9; one odd copy
// first, then two per `stm`.
#[cfg(target_arch = "arm")]
core::arch::global_asm!(
    ".section .text.rtk_repeat16, \"ax\"",
    ".global rtk_repeat16",
    ".type rtk_repeat16, %function",
    ".p2align 2",
    "rtk_repeat16:",
    "    push {{r4-r10, lr}}",
    "    ldm r2, {{r2-r5}}",
    "    mov r6, r2",
    "    mov r7, r3",
    "    mov r8, r4",
    "    mov r9, r5",
    "    sub r12, r1, r0",
    "    tst r12, #16",
    "    stmne r0!, {{r2-r5}}",
    "    cmp r0, r1",
    "    bhs 2f",
    "1:  stm r0!, {{r2-r9}}",
    "    cmp r0, r1",
    "    blo 1b",
    "2:  pop {{r4-r10, pc}}",
    ".size rtk_repeat16, . - rtk_repeat16",
);

#[cfg(target_arch = "arm")]
unsafe extern "C" {
    /// Stores zero from `start` up to `end` (word aligned, `end - start` a
    /// non-zero multiple of 128).
    fn rtk_zero_chunks(start: *mut u8, end: *mut u8);
}

// r0 = start, r1 = end. Eight zero registers (r2, r3, r4-r8, r12; r4-r8
// saved), four `stm` of 32 bytes, then compare and branch.
#[cfg(target_arch = "arm")]
core::arch::global_asm!(
    ".section .text.rtk_zero_chunks, \"ax\"",
    ".global rtk_zero_chunks",
    ".type rtk_zero_chunks, %function",
    ".p2align 2",
    "rtk_zero_chunks:",
    "    push {{r4-r8, lr}}",
    "    mov r2, #0",
    "    mov r3, #0",
    "    mov r4, #0",
    "    mov r5, #0",
    "    mov r6, #0",
    "    mov r7, #0",
    "    mov r8, #0",
    "    mov r12, #0",
    "1:  stm r0!, {{r2-r8, r12}}",
    "    stm r0!, {{r2-r8, r12}}",
    "    stm r0!, {{r2-r8, r12}}",
    "    stm r0!, {{r2-r8, r12}}",
    "    cmp r0, r1",
    "    blo 1b",
    "    pop {{r4-r8, pc}}",
    ".size rtk_zero_chunks, . - rtk_zero_chunks",
);

// `memcpy` (and the EABI's `__aeabi_memcpy`, `__aeabi_memcpy4`,
// `__aeabi_memcpy8`, which the compiler calls for struct moves and slice
// copies), in place of compiler_builtins' weak ones, whose aligned loop
// takes four instructions per word and whose misaligned one more: here the
// destination is brought to a word boundary with byte copies, then eight
// words at a time go through r3-r10 (`ldm`/`stm`, or eight `ldr` when the
// source is not word aligned: the boot stub clears SCTLR.A, so `ldr` may be
// unaligned on Normal memory), then words, then the last bytes.
// r0 = dst (returned as is), r1 = src, r2 = n; r12 is the destination
// cursor (r4-r10 saved around the block loops).
#[cfg(target_arch = "arm")]
core::arch::global_asm!(
    ".section .text.rtk_memcpy, \"ax\"",
    ".global memcpy",
    ".global __aeabi_memcpy",
    ".global __aeabi_memcpy4",
    ".global __aeabi_memcpy8",
    ".type memcpy, %function",
    ".type __aeabi_memcpy, %function",
    ".type __aeabi_memcpy4, %function",
    ".type __aeabi_memcpy8, %function",
    ".p2align 2",
    "memcpy:",
    "__aeabi_memcpy:",
    "__aeabi_memcpy4:",
    "__aeabi_memcpy8:",
    "    mov r12, r0",
    "0:  tst r12, #3",
    "    beq 1f",
    "    cmp r2, #0",
    "    bxeq lr",
    "    ldrb r3, [r1], #1",
    "    strb r3, [r12], #1",
    "    sub r2, r2, #1",
    "    b 0b",
    "1:  cmp r2, #32",
    "    blo 3f",
    "    push {{r4-r10}}",
    "    tst r1, #3",
    "    bne 4f",
    "2:  ldm r1!, {{r3-r10}}",
    "    stm r12!, {{r3-r10}}",
    "    sub r2, r2, #32",
    "    cmp r2, #32",
    "    bhs 2b",
    "    b 5f",
    "4:  ldr r3, [r1], #4",
    "    ldr r4, [r1], #4",
    "    ldr r5, [r1], #4",
    "    ldr r6, [r1], #4",
    "    ldr r7, [r1], #4",
    "    ldr r8, [r1], #4",
    "    ldr r9, [r1], #4",
    "    ldr r10, [r1], #4",
    "    stm r12!, {{r3-r10}}",
    "    sub r2, r2, #32",
    "    cmp r2, #32",
    "    bhs 4b",
    "5:  pop {{r4-r10}}",
    "3:  cmp r2, #4",
    "    blo 6f",
    "    ldr r3, [r1], #4",
    "    str r3, [r12], #4",
    "    sub r2, r2, #4",
    "    b 3b",
    "6:  cmp r2, #0",
    "    bxeq lr",
    "7:  ldrb r3, [r1], #1",
    "    strb r3, [r12], #1",
    "    subs r2, r2, #1",
    "    bne 7b",
    "    bx lr",
    ".size memcpy, . - memcpy",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroes_exactly_the_range() {
        let mut buf = [0xA5u8; 4096 + 2 * 128];
        zero(&mut buf[128..128 + 4096]);
        assert!(buf[..128].iter().all(|&b| b == 0xA5));
        assert!(buf[128..128 + 4096].iter().all(|&b| b == 0));
        assert!(buf[128 + 4096..].iter().all(|&b| b == 0xA5));
        zero(&mut buf[..0]);
    }

    #[test]
    fn repeats_a_pattern_into_exactly_the_slots() {
        let item: [u32; 4] = [1, 2, 3, 4];
        for count in [0usize, 1, 2, 5] {
            let mut buf = [9u32; 4 * 7];
            // SAFETY: `count` slots from word 4 on are inside buf, which
            // does not overlap item.
            unsafe { repeat16(buf.as_mut_ptr().add(4).cast(), count, item.as_ptr().cast()) };
            assert!(buf[..4].iter().all(|&w| w == 9));
            for k in 0..count {
                assert_eq!(buf[4 + 4 * k..8 + 4 * k], item);
            }
            assert!(buf[4 + 4 * count..].iter().all(|&w| w == 9));
        }
    }

    #[test]
    #[should_panic(expected = "not whole 128-byte chunks")]
    fn refuses_a_partial_chunk() {
        let mut buf = [1u32; 64];
        // SAFETY: a view of our own array.
        let bytes = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 256) };
        zero(&mut bytes[..200]);
    }

    #[test]
    #[should_panic(expected = "word aligned")]
    fn refuses_an_unaligned_start() {
        let mut buf = [1u32; 64];
        // SAFETY: a view of our own array.
        let bytes = unsafe { core::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), 256) };
        zero(&mut bytes[1..129]);
    }
}
