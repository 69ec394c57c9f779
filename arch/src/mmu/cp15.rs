//! Translation registers and TLB maintenance.
//!
//! `aarch32-cpu` covers most CP15 registers; the few it lacks (TTBCR, TTBR1 and
//! the by-MVA / by-ASID TLB operations) are declared here through its own
//! `SysReg` trait, so every coprocessor access still goes through one crate.
//!
//! Ordering rule used throughout (ARM ARM B3.10.1): a translation-table write
//! is followed by DSB (the walker sees it), then the TLB operation, then DSB
//! (the invalidation is complete) and ISB (later instructions use it).

use aarch32_cpu::asm::{dsb, isb};
use aarch32_cpu::register::{BpIAll, SysReg, SysRegRead, SysRegWrite, TlbIAll};

macro_rules! cp15_reg {
    ($(#[$doc:meta])* $name:ident, $crn:expr, $op1:expr, $crm:expr, $op2:expr) => {
        $(#[$doc])*
        struct $name;
        impl SysReg for $name {
            const CP: u32 = 15;
            const CRN: u32 = $crn;
            const OP1: u32 = $op1;
            const CRM: u32 = $crm;
            const OP2: u32 = $op2;
        }
        impl SysRegWrite for $name {}
        impl SysRegRead for $name {}
    };
}

cp15_reg!(/** Translation Table Base Control Register. */ Ttbcr, 2, 0, 0, 2);
cp15_reg!(/** Translation Table Base Register 0. */ Ttbr0, 2, 0, 0, 0);
cp15_reg!(/** Translation Table Base Register 1. */ Ttbr1, 2, 0, 0, 1);
cp15_reg!(/** TLB invalidate by MVA and ASID (unified). */ TlbIMva, 8, 0, 7, 1);
cp15_reg!(/** TLB invalidate by ASID match (unified). */ TlbIAsid, 8, 0, 7, 2);
cp15_reg!(/** TLB invalidate by MVA, all ASIDs (unified). */ TlbIMvaA, 8, 0, 7, 3);

/// Table-walk attributes ORed into a TTBR: inner and outer write-back
/// write-allocate (IRGN = 0b01, RGN = 0b01), matching how the tables are mapped.
pub const TTBR_WALK_ATTRS: u32 = 0x48;

/// Physical address of the table TTBR0 points at.
pub fn ttbr0() -> u32 {
    Ttbr0::read_raw() & !0x3F
}

/// Physical address of the table TTBR1 points at (the kernel's L1 table).
pub fn ttbr1() -> u32 {
    Ttbr1::read_raw() & !0x3F
}

/// Current TTBCR value.
pub fn ttbcr() -> u32 {
    Ttbcr::read_raw()
}

static FULL_FLUSHES: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// How many times the whole TLB has been invalidated since boot (process
/// switches must not add to it: they change ASID instead).
pub fn full_flushes() -> u32 {
    FULL_FLUSHES.load(core::sync::atomic::Ordering::Relaxed)
}

/// Invalidates the whole unified TLB and the branch predictor, then waits.
pub fn tlb_invalidate_all() {
    FULL_FLUSHES.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    dsb();
    TlbIAll::write();
    BpIAll::write();
    dsb();
    isb();
}

/// Invalidates the TLB entries for one page of `va` in every ASID (use for
/// global, kernel mappings).
pub fn tlb_invalidate_va(va: u32) {
    dsb();
    // SAFETY: a TLB invalidate operation only drops cached translations.
    unsafe { TlbIMvaA::write_raw(va & !0xFFF) };
    BpIAll::write();
    dsb();
    isb();
}

/// [`tlb_invalidate_va`] for `n` consecutive pages from `va`: one
/// invalidate by MVA per page, the barriers and the branch predictor's
/// invalidate once for the run.
pub fn tlb_invalidate_pages(va: u32, n: u32) {
    dsb();
    for k in 0..n {
        // SAFETY: a TLB invalidate operation only drops cached translations.
        unsafe { TlbIMvaA::write_raw((va & !0xFFF).wrapping_add(k << 12)) };
    }
    BpIAll::write();
    dsb();
    isb();
}

/// Invalidates the TLB entry for `va` tagged with `asid` (non-global mappings).
pub fn tlb_invalidate_va_asid(va: u32, asid: u8) {
    dsb();
    // SAFETY: a TLB invalidate operation only drops cached translations.
    unsafe { TlbIMva::write_raw((va & !0xFFF) | asid as u32) };
    BpIAll::write();
    dsb();
    isb();
}

/// Invalidates every non-global TLB entry tagged with `asid`.
pub fn tlb_invalidate_asid(asid: u8) {
    dsb();
    // SAFETY: a TLB invalidate operation only drops cached translations.
    unsafe { TlbIAsid::write_raw(asid as u32) };
    dsb();
    isb();
}

/// Makes prior translation-table writes visible to the table walker.
pub fn table_write_barrier() {
    dsb();
}

/// Sets TTBCR.N: addresses below `2^(32 - n)` translate through TTBR0.
///
/// # Safety
/// TTBR1 must already map everything the kernel uses at or above that boundary.
pub unsafe fn set_ttbcr_n(n: u32) {
    // SAFETY: the caller guarantees TTBR1 maps the kernel half.
    unsafe { Ttbcr::write_raw(n & 7) };
    isb();
}

cp15_reg!(/** Context ID register: the current ASID in bits 7:0. */ Contextidr, 13, 0, 0, 1);

/// Switches the user half of the address space: TTBR0 to the table at
/// `ttbr0_phys` and the current ASID to `asid`, with no TLB flush.
///
/// Follows the ARM ARM sequence for changing ASID and TTBR together (B3.10.4):
/// go through the reserved ASID 0, which no user mapping carries, so no walk
/// can ever pair the new table with the old ASID or the reverse.
///
/// # Safety
/// `ttbr0_phys` must be a valid L1 table for TTBCR.N (4 KiB aligned for
/// N = 2) mapping only non-global user memory, and `asid` must not be in use
/// by another table in the current ASID generation.
#[inline(always)]
pub unsafe fn switch_user_space(ttbr0_phys: u32, asid: u8) {
    // SAFETY: ASID 0 is reserved; the caller guarantees the table and ASID.
    unsafe {
        Contextidr::write_raw(0);
        isb();
        Ttbr0::write_raw(ttbr0_phys | TTBR_WALK_ATTRS);
        isb();
        // Cortex-A9 erratum 754322 (r2p*, r3p*: faulty MMU translations
        // after an ASID switch): a DSB before the new ASID goes in.
        dsb();
        Contextidr::write_raw(asid as u32);
    }
    isb();
}

/// [`switch_user_space`] for a caller that leaves through an exception
/// return (the scheduler's switch, resumed by the trap return's `rfe`)
/// before anything uses a user address: without the final ISB.
///
/// Why that is enough: a CP15 write is guaranteed seen by later
/// instructions after a context synchronization event, and an exception
/// return is one, as an ISB is (ARMv7 ARM, DDI 0406C: "Synchronization of
/// changes to system control registers", and the glossary's "context
/// synchronization operation"). Until then the kernel runs on
/// its own mappings, global and in TTBR1's half, which neither TTBR0 nor
/// the ASID affects; and a speculative walk of TTBR0 meanwhile pairs the
/// new table (already synchronized by the second ISB) with ASID 0 or the
/// new ASID, as the sequence allows anyway. The two inner ISBs stay: the
/// sequence needs them for the TTBR0 write to be seen only under the
/// reserved ASID.
///
/// # Safety
/// As [`switch_user_space`]; and the caller must not touch a user address
/// before the exception return.
#[inline(always)]
pub unsafe fn switch_user_space_for_return(ttbr0_phys: u32, asid: u8) {
    // SAFETY: as in switch_user_space.
    unsafe {
        Contextidr::write_raw(0);
        isb();
        Ttbr0::write_raw(ttbr0_phys | TTBR_WALK_ATTRS);
        isb();
        // Cortex-A9 erratum 754322, as in switch_user_space.
        dsb();
        Contextidr::write_raw(asid as u32);
    }
}

/// The current ASID.
pub fn current_asid() -> u8 {
    Contextidr::read_raw() as u8
}

/// Points TTBR0 at a new translation table.
///
/// # Safety
/// `phys` must be the physical address of a valid L1 table, aligned as TTBCR.N
/// requires, that maps whatever TTBR0 covers and the code now running.
pub unsafe fn set_ttbr0(phys: u32) {
    // SAFETY: the caller guarantees the table is valid.
    unsafe { Ttbr0::write_raw(phys | TTBR_WALK_ATTRS) };
    isb();
}
