//! Small CPU queries and controls: program counter, stack pointer, interrupts.

/// The address of the instruction that called this function.
#[inline(never)]
pub fn caller_pc() -> usize {
    #[cfg(target_arch = "arm")]
    {
        let lr: usize;
        // SAFETY: reads the link register only; this function is never inlined,
        // so lr holds the return address into the caller.
        unsafe { core::arch::asm!("mov {}, lr", out(reg) lr, options(nomem, nostack)) };
        lr
    }
    #[cfg(not(target_arch = "arm"))]
    0
}

/// The current stack pointer.
#[inline(always)]
pub fn stack_pointer() -> usize {
    #[cfg(target_arch = "arm")]
    {
        let sp: usize;
        // SAFETY: reads sp only.
        unsafe { core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack)) };
        sp
    }
    #[cfg(not(target_arch = "arm"))]
    0
}

/// The processor mode bits of CPSR (0x13 = SVC, 0x10 = user, ...).
pub fn mode() -> u32 {
    #[cfg(target_arch = "arm")]
    {
        aarch32_cpu::register::Cpsr::read().raw_value() & 0x1F
    }
    #[cfg(not(target_arch = "arm"))]
    0x13
}

/// Masks IRQ and FIQ on this core; returns whether IRQs were enabled before.
///
/// With the `irqsoff` feature, a call that masks IRQs that were enabled
/// reports the transition to the [`irqs_off`] hook with its caller's
/// location (`#[track_caller]`: the caller of a `#[track_caller]` wrapper
/// such as the kernel's `IrqLock::lock`).
#[inline]
#[cfg_attr(feature = "irqsoff", track_caller)]
pub fn interrupts_disable() -> bool {
    #[cfg(target_arch = "arm")]
    {
        let was = irqs_enabled();
        aarch32_cpu::interrupt::disable();
        #[cfg(feature = "irqsoff")]
        if was {
            irqs_off::masked(irqs_off::Site::Code(core::panic::Location::caller()));
        }
        was
    }
    #[cfg(not(target_arch = "arm"))]
    false
}

/// Whether IRQs are unmasked on this core now (CPSR.I clear).
pub fn interrupts_enabled() -> bool {
    #[cfg(target_arch = "arm")]
    {
        aarch32_cpu::register::Cpsr::read().raw_value() & (1 << 7) == 0
    }
    #[cfg(not(target_arch = "arm"))]
    false
}

/// Unmasks IRQs on this core.
///
/// With the `irqsoff` feature, a call that unmasks masked IRQs reports the
/// transition to the [`irqs_off`] hook first, with its caller's location.
#[inline]
#[cfg_attr(feature = "irqsoff", track_caller)]
pub fn interrupts_enable() {
    #[cfg(all(target_arch = "arm", feature = "irqsoff"))]
    if !irqs_enabled() {
        irqs_off::unmasked(irqs_off::Site::Code(core::panic::Location::caller()));
    }
    #[cfg(target_arch = "arm")]
    // SAFETY: callers enable IRQs only where a handler may run (not inside a
    // critical section); the kernel's handlers save all state they touch.
    unsafe {
        aarch32_cpu::interrupt::enable()
    };
}

/// Whether IRQs are enabled on this core now (CPSR.I clear).
#[inline(always)]
pub fn irqs_enabled() -> bool {
    #[cfg(target_arch = "arm")]
    {
        aarch32_cpu::register::Cpsr::read().raw_value() & CPSR_I == 0
    }
    #[cfg(not(target_arch = "arm"))]
    false
}

/// The IRQ mask bit of CPSR (and of a trap frame's saved CPSR).
pub const CPSR_I: u32 = 1 << 7;

/// The hook behind the kernel's IRQs-off profiler (feature `irqsoff`).
///
/// `arch` cannot read the kernel's clock, so it only reports transitions:
/// [`masked`] when IRQs go from enabled to masked, [`unmasked`] when they go
/// back, each with the [`Site`] that caused it. Only outermost transitions
/// are reported (a nested `interrupts_disable` finds IRQs masked already and
/// reports nothing). Exception entry masks IRQs in hardware: `arch_trap`
/// reports that as [`Site::TrapEntry`] when the interrupted code had IRQs
/// enabled, and the exception return into code with IRQs enabled as
/// [`Site::TrapReturn`]. The kernel installs a [`Hook`] with [`install`];
/// until then (and without the feature, where none of this exists) nothing
/// is reported. The hook runs with IRQs masked, on the one core.
#[cfg(feature = "irqsoff")]
pub mod irqs_off {
    use core::panic::Location;
    use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

    /// Where a transition happened.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Site {
        /// A call of `interrupts_disable`/`interrupts_enable` (through
        /// `#[track_caller]` wrappers: their caller).
        Code(&'static Location<'static>),
        /// Exception entry (the hardware masked IRQs); the trap kind as
        /// `TrapKind as u32`.
        TrapEntry(u32),
        /// The exception return (`rfe`) into code that runs with IRQs
        /// enabled.
        TrapReturn,
    }

    /// What the kernel runs on each transition.
    pub struct Hook {
        /// IRQs went from enabled to masked at this site (the clock is read
        /// after it returns).
        pub masked: fn(Site),
        /// IRQs are about to go from masked to enabled at this site, after
        /// a window of this many clock ticks (the clock was read before the
        /// call).
        pub unmasked: fn(Site, u32),
    }

    static HOOK: AtomicPtr<Hook> = AtomicPtr::new(core::ptr::null_mut());
    /// The clock register read at each transition (see [`install`]).
    static CLOCK: AtomicPtr<u32> = AtomicPtr::new(core::ptr::null_mut());
    /// The clock when the open window began.
    static START: AtomicU32 = AtomicU32::new(0);

    /// Installs `hook` (`None` removes it), with `clock` the address of a
    /// free-running counter register to time the windows with. From now on
    /// every outermost transition calls it. The counter is read right at
    /// each transition, inline (one load, the last thing on masking and the
    /// first on unmasking), so the hook's own call costs the windows as
    /// little as it can.
    ///
    /// # Safety
    /// `clock` must be a readable, aligned `u32` register, mapped for as
    /// long as the hook stays installed.
    pub unsafe fn install(hook: Option<&'static Hook>, clock: *const u32) {
        let p = hook.map_or(core::ptr::null_mut(), |h| h as *const Hook as *mut Hook);
        // Relaxed: one core, and the hook is installed before IRQs are
        // first enabled. The clock first: a hook is never seen without it.
        CLOCK.store(clock as *mut u32, Ordering::Relaxed);
        HOOK.store(p, Ordering::Relaxed);
    }

    #[inline(always)]
    fn hook() -> Option<&'static Hook> {
        let p = HOOK.load(Ordering::Relaxed);
        // SAFETY: HOOK is null or came from a `&'static Hook` in `install`.
        unsafe { p.as_ref() }
    }

    /// The counter (only with a hook installed).
    #[inline(always)]
    fn clock() -> u32 {
        // SAFETY: `install` was given a readable counter register with the
        // hook, which is set only after it.
        unsafe { CLOCK.load(Ordering::Relaxed).read_volatile() }
    }

    /// Reports that IRQs were just masked at `site`.
    #[inline(always)]
    pub fn masked(site: Site) {
        if let Some(h) = hook() {
            (h.masked)(site);
            // The clock last: the hook's work is not in the window.
            START.store(clock(), Ordering::Relaxed);
        }
    }

    /// Reports that IRQs are about to be unmasked at `site`.
    #[inline(always)]
    pub fn unmasked(site: Site) {
        if let Some(h) = hook() {
            // The clock first, for the same reason. Wrapping: a window is
            // far shorter than the counter's wrap.
            let ticks = clock().wrapping_sub(START.load(Ordering::Relaxed));
            (h.unmasked)(site, ticks)
        }
    }
}

/// Waits for an interrupt (WFI). Returns after any interrupt, even a masked one.
pub fn wait_for_interrupt() {
    #[cfg(target_arch = "arm")]
    aarch32_cpu::asm::wfi();
}

/// The Main ID Register (MIDR): implementer, variant, part, revision.
pub fn midr() -> u32 {
    #[cfg(target_arch = "arm")]
    {
        let v: u32;
        // SAFETY: reads MIDR, no side effects.
        unsafe {
            core::arch::asm!("mrc p15, 0, {}, c0, c0, 0", out(reg) v, options(nomem, nostack))
        };
        v
    }
    #[cfg(not(target_arch = "arm"))]
    0x413F_C090
}

/// The Cortex-A9 Diagnostic Control Register (c15, c0, 1), where the boot
/// stub sets errata workaround bits. Only call on a Cortex-A9 ([`midr`]).
pub fn a9_diagnostic() -> u32 {
    #[cfg(target_arch = "arm")]
    {
        let v: u32;
        // SAFETY: reads the A9's diagnostic register, no side effects
        // (readable at PL1 in either security state).
        unsafe {
            core::arch::asm!("mrc p15, 0, {}, c15, c0, 1", out(reg) v, options(nomem, nostack))
        };
        v
    }
    #[cfg(not(target_arch = "arm"))]
    0
}

/// Whether a MIDR is a Cortex-A9's, and its revision as (variant,
/// revision): `Some((3, 0))` for r3p0.
pub fn a9_revision(midr: u32) -> Option<(u32, u32)> {
    (midr & 0xFF0F_FFF0 == 0x410F_C090).then_some(((midr >> 20) & 0xF, midr & 0xF))
}

/// Diagnostic Control Register bits the boot stub sets on a Cortex-A9 of
/// revision `(variant, revision)`: bit 4 for erratum 794072 on every
/// revision, bit 11 for 751472 up to r3p0.
pub fn a9_errata_bits((variant, revision): (u32, u32)) -> u32 {
    let mut bits = 1 << 4;
    if (variant << 4 | revision) <= 0x30 {
        bits |= 1 << 11;
    }
    bits
}

/// Name of a CPSR mode field, for reports.
pub fn mode_name(mode: u32) -> &'static str {
    match mode & 0x1F {
        0x10 => "user",
        0x11 => "FIQ",
        0x12 => "IRQ",
        0x13 => "SVC",
        0x16 => "monitor",
        0x17 => "abort",
        0x1A => "hyp",
        0x1B => "undefined",
        0x1F => "system",
        _ => "invalid",
    }
}

/// Sets TPIDRURO, the thread-ID register user mode may read but not write:
/// the running user thread's TLS pointer (the scheduler loads it on each
/// switch).
#[inline]
pub fn set_user_tls(value: u32) {
    #[cfg(target_arch = "arm")]
    // SAFETY: TPIDRURO is a plain software register (no effect on the
    // hardware); writing it only changes what user mode reads back.
    unsafe {
        aarch32_cpu::register::Tpidruro::write(aarch32_cpu::register::Tpidruro(value))
    };
    #[cfg(not(target_arch = "arm"))]
    let _ = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errata_bits_by_revision() {
        // Zynq-7000: r3p0.
        assert_eq!(a9_revision(0x413F_C090), Some((3, 0)));
        assert_eq!(a9_errata_bits((3, 0)), (1 << 4) | (1 << 11));
        assert_eq!(a9_errata_bits((2, 2)), (1 << 4) | (1 << 11));
        assert_eq!(a9_errata_bits((3, 1)), 1 << 4);
        assert_eq!(a9_errata_bits((4, 1)), 1 << 4);
        // Not an A9 (a Cortex-A15's MIDR).
        assert_eq!(a9_revision(0x412F_C0F1), None);
    }
}
