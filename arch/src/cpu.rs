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
pub fn interrupts_disable() -> bool {
    #[cfg(target_arch = "arm")]
    {
        let was = aarch32_cpu::register::Cpsr::read().raw_value() & (1 << 7) == 0;
        aarch32_cpu::interrupt::disable();
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
pub fn interrupts_enable() {
    #[cfg(target_arch = "arm")]
    // SAFETY: callers enable IRQs only where a handler may run (not inside a
    // critical section); the kernel's handlers save all state they touch.
    unsafe {
        aarch32_cpu::interrupt::enable()
    };
}

/// Waits for an interrupt (WFI). Returns after any interrupt, even a masked one.
pub fn wait_for_interrupt() {
    #[cfg(target_arch = "arm")]
    aarch32_cpu::asm::wfi();
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
