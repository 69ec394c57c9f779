//! The VFPv3-D32 / NEON register file of a thread, and the unit's switch.
//!
//! The kernel is soft-float: it never uses these registers, so a thread's
//! floating-point state only has to move when another floating-point thread
//! takes the unit. The kernel's policy (which threads, when) is in
//! `kernel::vfp`; this module is the mechanism: access to coprocessors 10
//! and 11 ([`init`]), FPEXC.EN ([`enable`], [`disable`]), and moving the 32
//! doubleword registers and FPSCR ([`save`], [`restore`]).
//!
//! With FPEXC.EN clear any VFP or NEON instruction takes the undefined
//! instruction exception: the kernel uses that to learn a thread's first
//! use.

/// The registers saved per thread: d0-d31 then FPSCR (the layout [`save`]
/// and [`restore`] use: two VSTM/VLDM of 16 doublewords, then a word).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VfpState {
    /// d0-d31 (q0-q15 for NEON).
    pub d: [u64; 32],
    /// Floating-point status and control.
    pub fpscr: u32,
    /// Keeps the size a multiple of 8.
    pub pad: u32,
}

const _: () = assert!(core::mem::size_of::<VfpState>() == 32 * 8 + 8);
const _: () = assert!(core::mem::offset_of!(VfpState, fpscr) == 256);

impl VfpState {
    /// All registers zero, FPSCR zero (round to nearest, no traps): what a
    /// thread sees at its first floating-point instruction.
    pub const ZERO: VfpState = VfpState {
        d: [0; 32],
        fpscr: 0,
        pad: 0,
    };
}

/// FPEXC.EN.
pub const FPEXC_EN: u32 = 1 << 30;

#[cfg(target_arch = "arm")]
mod imp {
    use super::{FPEXC_EN, VfpState};
    use aarch32_cpu::asm::isb;

    /// Grants PL0 and PL1 access to coprocessors 10 and 11 (CPACR) and
    /// leaves the unit disabled. Boot, once.
    pub fn init() {
        // SAFETY: CPACR only grants access to the coprocessors; FPEXC
        // written after it, disabling the unit.
        unsafe {
            core::arch::asm!(
                "mrc p15, 0, {t}, c1, c0, 2",
                "orr {t}, {t}, #(0xF << 20)",
                "mcr p15, 0, {t}, c1, c0, 2",
                t = out(reg) _,
                options(nostack)
            );
        }
        isb();
        disable();
    }

    /// The unit's ID registers: FPSID, MVFR0, MVFR1 (readable with the
    /// unit off once [`init`] has granted access).
    pub fn id() -> (u32, u32, u32) {
        let (fpsid, mvfr0, mvfr1): (u32, u32, u32);
        // SAFETY: reads three ID registers; no state changes.
        unsafe {
            core::arch::asm!(
                ".fpu neon",
                "vmrs {a}, fpsid",
                "vmrs {b}, mvfr0",
                "vmrs {c}, mvfr1",
                a = out(reg) fpsid,
                b = out(reg) mvfr0,
                c = out(reg) mvfr1,
                options(nostack, nomem)
            )
        };
        (fpsid, mvfr0, mvfr1)
    }

    /// Writes FPEXC: [`FPEXC_EN`] or 0. Inlined: it is on every context
    /// switch, with IRQs masked.
    #[inline(always)]
    pub fn set_fpexc(v: u32) {
        // SAFETY: FPEXC is writable at PL1 once CPACR grants access; only
        // the EN bit is set or cleared.
        unsafe { core::arch::asm!(".fpu neon", "vmsr fpexc, {}", in(reg) v, options(nostack)) };
    }

    /// Whether the unit is enabled.
    pub fn is_enabled() -> bool {
        let v: u32;
        // SAFETY: reads FPEXC.
        unsafe { core::arch::asm!(".fpu neon", "vmrs {}, fpexc", out(reg) v, options(nostack)) };
        v & FPEXC_EN != 0
    }

    /// Turns the unit on: floating-point instructions execute.
    #[inline(always)]
    pub fn enable() {
        set_fpexc(FPEXC_EN);
    }

    /// Turns the unit off: the next floating-point instruction traps.
    #[inline(always)]
    pub fn disable() {
        set_fpexc(0);
    }

    /// Stores the registers into `s`. The unit must be enabled.
    pub fn save(s: &mut VfpState) {
        // SAFETY: s is 264 writable bytes laid out as the stores expect.
        unsafe {
            core::arch::asm!(
                ".fpu neon",
                "vstmia {p}!, {{d0-d15}}",
                "vstmia {p}!, {{d16-d31}}",
                "vmrs {t}, fpscr",
                "str {t}, [{p}]",
                p = inout(reg) s as *mut VfpState => _,
                t = out(reg) _,
                options(nostack)
            )
        };
    }

    /// Loads the registers from `s`. The unit must be enabled.
    pub fn restore(s: &VfpState) {
        // SAFETY: s is 264 readable bytes laid out as the loads expect.
        unsafe {
            core::arch::asm!(
                ".fpu neon",
                "vldmia {p}!, {{d0-d15}}",
                "vldmia {p}!, {{d16-d31}}",
                "ldr {t}, [{p}]",
                "vmsr fpscr, {t}",
                p = inout(reg) s as *const VfpState => _,
                t = out(reg) _,
                options(nostack)
            )
        };
    }
}

#[cfg(target_arch = "arm")]
pub use imp::*;
