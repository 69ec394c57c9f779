//! L1 cache maintenance by virtual address (ARMv7-A CP15 c7 operations).
//!
//! The Cortex-A9's L1 data cache is PIPT and write-back; its instruction
//! cache is VIPT and does not snoop the data side. So code written through
//! the data side (the ELF loader copying text, a page turned executable)
//! must be cleaned from the D-cache to the point of unification, and the
//! I-cache and branch predictor invalidated, before it is executed
//! ([`sync_icache`]). The I-cache is invalidated whole (ICIALLU): with 8 KiB
//! ways and 4 KiB pages a by-address invalidate through the kernel's
//! mapping could miss an alias at the user's address.
//!
//! [`clean_dcache_poc`], [`invalidate_dcache_poc`] and [`flush_dcache_poc`]
//! work to the point of coherency, for memory a device reads or writes;
//! the outer (L2) cache needs its own maintenance after (clean) or before
//! (invalidate) them: `drivers::pl310`.
//!
//! Every operation takes an address range the caller has mapped (a
//! by-address operation on an unmapped address faults).

use core::sync::atomic::{AtomicU32, Ordering};

/// The A9's L1 line (CTR.DminLine = 8 words): a floor under the line size
/// read from CTR at run time, in case a model reports none.
#[cfg(target_arch = "arm")]
const MIN_LINE: u32 = 32;

static ICACHE_SYNCS: AtomicU32 = AtomicU32::new(0);

/// How many times [`sync_icache`] has run since boot (tests read it to
/// check that a loader or `mprotect` issued the maintenance).
pub fn icache_syncs() -> u32 {
    ICACHE_SYNCS.load(Ordering::Relaxed)
}

/// The lines `[start, start + len)` covers, as line-aligned addresses.
pub fn lines(start: usize, len: usize, line: usize) -> impl Iterator<Item = usize> {
    let first = start & !(line - 1);
    let end = start.saturating_add(len);
    (first..end).step_by(line)
}

#[cfg(target_arch = "arm")]
mod imp {
    use super::*;
    use aarch32_cpu::asm::{dsb, isb};

    /// The D-cache line size from CTR.DminLine (words, log2).
    fn dline() -> usize {
        let ctr: u32;
        // SAFETY: reads CTR, no side effects.
        unsafe {
            core::arch::asm!("mrc p15, 0, {}, c0, c0, 1", out(reg) ctr, options(nomem, nostack))
        };
        (4usize << ((ctr >> 16) & 0xF)).max(MIN_LINE as usize)
    }

    macro_rules! by_line {
        ($start:expr, $len:expr, $crm:literal, $op2:literal) => {{
            for a in lines($start, $len, dline()) {
                // SAFETY: a cache maintenance operation by address changes
                // no memory contents the program can see (clean writes
                // back, invalidate drops lines the caller asked to drop);
                // the caller mapped the range.
                unsafe {
                    core::arch::asm!(concat!("mcr p15, 0, {}, c7, ", $crm, ", ", $op2), in(reg) a,
                        options(nostack))
                };
            }
            dsb();
        }};
    }

    /// Makes code written at `[start, start + len)` through the data side
    /// visible to instruction fetch: clean D to PoU by line (DCCMVAU), then
    /// invalidate the whole I-cache (ICIALLU) and the branch predictor
    /// (BPIALL). Counted ([`icache_syncs`]).
    pub fn sync_icache(start: usize, len: usize) {
        ICACHE_SYNCS.fetch_add(1, Ordering::Relaxed);
        by_line!(start, len, "c11", "1");
        // SAFETY: invalidating the I-cache and branch predictor only drops
        // cached instructions and predictions.
        unsafe {
            core::arch::asm!(
                "mcr p15, 0, {z}, c7, c5, 0",
                "mcr p15, 0, {z}, c7, c5, 6",
                z = in(reg) 0,
                options(nostack)
            )
        };
        dsb();
        isb();
    }

    /// Cleans `[start, start + len)` from L1 to the point of coherency
    /// (DCCMVAC): dirty lines are written out; the lines stay valid.
    pub fn clean_dcache_poc(start: usize, len: usize) {
        by_line!(start, len, "c10", "1");
    }

    /// Invalidates `[start, start + len)` in L1 (DCIMVAC): later reads come
    /// from memory. Dirty data in the lines is lost: callers round the
    /// range to whole lines they own.
    pub fn invalidate_dcache_poc(start: usize, len: usize) {
        by_line!(start, len, "c6", "1");
    }

    /// Cleans and invalidates `[start, start + len)` in L1 (DCCIMVAC).
    pub fn flush_dcache_poc(start: usize, len: usize) {
        by_line!(start, len, "c14", "1");
    }

    /// L1 D-cache line size in bytes.
    pub fn dcache_line() -> usize {
        dline()
    }
}

#[cfg(target_arch = "arm")]
pub use imp::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_cover_the_range() {
        let v: Vec<usize> = lines(0x1010, 0x40, 32).collect();
        assert_eq!(v, [0x1000, 0x1020, 0x1040]);
        assert_eq!(lines(0x1000, 0, 32).count(), 0);
        assert_eq!(lines(0x1000, 1, 32).count(), 1);
        assert_eq!(lines(0x1000, 4096, 32).count(), 128);
    }
}
