//! Traps: the frame every exception saves, the vector table, and fault probes.
//!
//! The assembly in `trap.s` saves a [`TrapFrame`] on the interrupted thread's
//! SVC stack and calls [`arch_trap`](self) (ARM only), which either completes an
//! armed [`probe`] or hands the trap to the kernel's `kernel_trap`, whose return
//! value is the frame to resume (the same one, or another thread's). A system
//! call (`svc` from user mode) goes from the entry code straight to the
//! kernel's `kernel_syscall` (same contract), the commonest trap without the
//! decoding of its kind.

/// Registers saved on every exception, in memory order (lowest address first).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    /// r0-r12 of the interrupted code.
    pub r: [u32; 13],
    /// User-mode sp (banked; meaningful when the trap came from user mode).
    pub sp_usr: u32,
    /// User-mode lr.
    pub lr_usr: u32,
    /// SVC-mode lr of the interrupted code (meaningful when it ran in SVC mode).
    pub lr_svc: u32,
    /// Where execution resumes: the faulting instruction for aborts and
    /// undefined instructions, the next instruction for SVC and IRQ.
    pub pc: u32,
    /// Saved CPSR of the interrupted code.
    pub cpsr: u32,
}

const _: () = assert!(core::mem::size_of::<TrapFrame>() == 18 * 4);

impl TrapFrame {
    /// Processor mode the trap interrupted (CPSR.M).
    #[inline]
    pub fn mode(&self) -> u32 {
        self.cpsr & 0x1F
    }
    /// Whether the trap came from user mode.
    #[inline]
    pub fn from_user(&self) -> bool {
        self.mode() == 0x10
    }
    /// The interrupted code's stack pointer: the user sp, or for SVC mode the
    /// SVC sp just above this frame.
    pub fn sp(&self) -> u32 {
        if self.from_user() {
            self.sp_usr
        } else {
            self as *const Self as u32 + core::mem::size_of::<Self>() as u32
        }
    }
    /// The interrupted code's link register.
    pub fn lr(&self) -> u32 {
        if self.from_user() {
            self.lr_usr
        } else {
            self.lr_svc
        }
    }

    /// The first frame of a kernel thread: resuming it calls
    /// `start(arg0, arg1)` in SVC mode with IRQs enabled, on the stack just
    /// above the frame.
    pub fn kernel_thread(start: usize, arg0: usize, arg1: usize) -> Self {
        let mut f = Self::default();
        f.r[0] = arg0 as u32;
        f.r[1] = arg1 as u32;
        f.pc = start as u32;
        f.cpsr = 0x13; // SVC mode, ARM state, IRQ and FIQ unmasked
        f
    }

    /// The first frame of a user thread: resuming it enters `entry` in user
    /// mode (ARM state, or Thumb if bit 0 is set) with `sp` and `r0 = arg`.
    pub fn user_thread(entry: u32, sp: u32, arg: u32) -> Self {
        let mut f = Self::default();
        f.r[0] = arg;
        f.sp_usr = sp;
        f.pc = entry & !1;
        f.cpsr = 0x10 | if entry & 1 != 0 { 1 << 5 } else { 0 };
        f
    }
}

/// Which exception vector was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum TrapKind {
    /// Reset vector (only reachable by a jump to the vector table).
    Reset = 0,
    /// Undefined instruction.
    Undefined = 1,
    /// Supervisor call (`svc`).
    SupervisorCall = 2,
    /// Prefetch abort: an instruction fetch faulted.
    PrefetchAbort = 3,
    /// Data abort: a load or store faulted.
    DataAbort = 4,
    /// The unused vector (HYP traps on cores with virtualization).
    Unused = 5,
    /// IRQ.
    Irq = 6,
    /// FIQ.
    Fiq = 7,
    /// A data abort in SVC mode just below the stack pointer: the kernel
    /// stack ran into its guard page (the frame is on the emergency stack).
    KernelStackOverflow = 8,
}

impl TrapKind {
    /// Converts the vector number the entry code passes.
    #[inline]
    pub fn from_u32(k: u32) -> Self {
        match k {
            0 => Self::Reset,
            1 => Self::Undefined,
            2 => Self::SupervisorCall,
            3 => Self::PrefetchAbort,
            4 => Self::DataAbort,
            6 => Self::Irq,
            7 => Self::Fiq,
            8 => Self::KernelStackOverflow,
            _ => Self::Unused,
        }
    }
    /// Human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Undefined => "undefined instruction",
            Self::SupervisorCall => "supervisor call",
            Self::PrefetchAbort => "prefetch abort",
            Self::DataAbort => "data abort",
            Self::Unused => "unused vector",
            Self::Irq => "IRQ",
            Self::Fiq => "FIQ",
            Self::KernelStackOverflow => "kernel stack overflow",
        }
    }
}

/// A decoded memory fault: what the fault registers said when it happened.
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    /// Data or prefetch abort.
    pub kind: TrapKind,
    /// Address of the faulting instruction.
    pub pc: u32,
    /// Faulting address (DFAR for data aborts, IFAR for prefetch aborts).
    pub addr: u32,
    /// Raw DFSR/IFSR.
    pub fsr: u32,
    /// Decoded status.
    pub status: crate::fault::FaultStatus,
    /// Mode the fault came from.
    pub mode: u32,
}

/// The value of `r0` in the frame a kernel thread's `svc #0` saves when the
/// thread yields (`reschedule_yield`); any other `reschedule` saves 0.
pub const RESCHEDULE_YIELD: u32 = 1;
/// The value of `r0` in the frame a kernel thread's `svc #0` saves when the
/// thread asks to sleep (`reschedule_sleep`); `r1` and `r2` hold the low and
/// high words of the wake-up time.
pub const RESCHEDULE_SLEEP: u32 = 2;

#[cfg(target_arch = "arm")]
mod imp {
    use super::{Fault, TrapFrame, TrapKind};
    use crate::fault::FaultStatus;
    use aarch32_cpu::register::{Dfar, Dfsr, Ifar, Ifsr, Vbar};
    use core::sync::atomic::{AtomicBool, Ordering};

    core::arch::global_asm!(include_str!("trap.s"), options(raw));

    unsafe extern "C" {
        static __vectors: u8;
    }

    unsafe extern "Rust" {
        /// Defined by the kernel: handles a trap, returns the frame to resume.
        safe fn kernel_trap(kind: TrapKind, frame: &mut TrapFrame) -> *mut TrapFrame;
    }

    /// Points VBAR at this crate's vector table.
    pub fn install_vectors() {
        // SAFETY: __vectors is the 32-byte aligned table in trap.s, mapped
        // executable with the rest of the kernel text.
        unsafe { Vbar::write(Vbar(&raw const __vectors as u32)) };
        aarch32_cpu::asm::isb();
    }

    /// Reads the fault registers for an abort the frame describes.
    #[inline]
    pub fn read_fault(kind: TrapKind, frame: &TrapFrame) -> Fault {
        let data = matches!(kind, TrapKind::DataAbort | TrapKind::KernelStackOverflow);
        let (addr, fsr, status) = if data {
            let fsr = Dfsr::read().raw_value();
            (Dfar::read().0, fsr, FaultStatus::from_dfsr(fsr))
        } else {
            let fsr = Ifsr::read().raw_value();
            (Ifar::read().0, fsr, FaultStatus::from_ifsr(fsr))
        };
        Fault {
            kind,
            pc: frame.pc,
            addr,
            fsr,
            status,
            mode: frame.mode(),
        }
    }

    static PROBE_ARMED: AtomicBool = AtomicBool::new(false);
    static mut PROBE_FAULT: Option<Fault> = None;

    /// Called by the entry code with the frame it built; returns the frame
    /// to resume. With the `irqsoff` feature it reports the hardware's IRQ
    /// masking to the profiler hook: a window opens here if the interrupted
    /// code ran with IRQs enabled (the vector's few instructions before this
    /// call are not in it), and closes when the frame to resume runs with
    /// IRQs enabled (the exit code's few instructions after it are not).
    #[unsafe(no_mangle)]
    extern "C" fn arch_trap(frame: *mut TrapFrame, kind: u32) -> *mut TrapFrame {
        #[cfg(feature = "irqsoff")]
        {
            // SAFETY: the entry code passes the frame it just built.
            trap_entered(unsafe { &*frame }, kind);
            let next = trap(frame, kind);
            // SAFETY: the kernel returns a live trap frame to resume.
            trap_leaving(unsafe { &*next });
            next
        }
        #[cfg(not(feature = "irqsoff"))]
        trap(frame, kind)
    }

    /// For the IRQs-off profiler: a trap of `kind` (`TrapKind as u32`) was
    /// taken with `frame`; a window opens if the interrupted code had IRQs
    /// enabled. Called first thing by every trap handler the entry code
    /// calls ([`arch_trap`], the kernel's system-call entry).
    #[cfg(feature = "irqsoff")]
    #[inline(always)]
    pub fn trap_entered(frame: &TrapFrame, kind: u32) {
        use crate::cpu::{CPSR_I, irqs_off};
        if frame.cpsr & CPSR_I == 0 {
            irqs_off::masked(irqs_off::Site::TrapEntry(kind));
        }
    }

    /// For the IRQs-off profiler: the trap returns into `next`; the window
    /// closes if that code runs with IRQs enabled. Last thing of every trap
    /// handler (see [`trap_entered`]).
    #[cfg(feature = "irqsoff")]
    #[inline(always)]
    pub fn trap_leaving(next: &TrapFrame) {
        use crate::cpu::{CPSR_I, irqs_off};
        if next.cpsr & CPSR_I == 0 {
            irqs_off::unmasked(irqs_off::Site::TrapReturn);
        }
    }

    #[inline(always)]
    fn trap(frame: *mut TrapFrame, kind: u32) -> *mut TrapFrame {
        // SAFETY: the entry code passes the frame it just built on this stack.
        let frame = unsafe { &mut *frame };
        let kind = TrapKind::from_u32(kind);
        let abort = matches!(kind, TrapKind::DataAbort | TrapKind::PrefetchAbort);
        // (A stack overflow is never probed: it is always fatal.)
        if abort && !frame.from_user() && PROBE_ARMED.swap(false, Ordering::Relaxed) {
            let fault = read_fault(kind, frame);
            // SAFETY: only written here, with interrupts masked (exception
            // entry masks IRQs), and read by `probe` after the access.
            unsafe { PROBE_FAULT = Some(fault) };
            frame.pc = if kind == TrapKind::DataAbort {
                frame.pc + 4 // skip the load or store
            } else {
                frame.lr_svc // the probed call returns at once
            };
            return frame;
        }
        kernel_trap(kind, frame)
    }

    /// Runs `f`, which performs one memory access that may fault, and reports
    /// the fault instead of treating it as a kernel crash.
    ///
    /// A data abort skips the faulting load or store; a prefetch abort returns
    /// from the function that was called (so `f` must reach the probed code
    /// through a call). Used by tests that must prove an access faults.
    pub fn probe<R>(f: impl FnOnce() -> R) -> (R, Option<Fault>) {
        // SAFETY: PROBE_FAULT is written only by the trap handler while armed.
        unsafe { (&raw mut PROBE_FAULT).write_volatile(None) };
        PROBE_ARMED.store(true, Ordering::SeqCst);
        let r = f();
        PROBE_ARMED.store(false, Ordering::SeqCst);
        // The trap handler wrote PROBE_FAULT behind the compiler's back: the
        // volatile read keeps the compiler from reusing the None stored above.
        // SAFETY: the handler has finished with it (we are past the access).
        let fault = unsafe { (&raw mut PROBE_FAULT).read_volatile() };
        (r, fault)
    }

    /// The immediate of the `svc` instruction a [`TrapKind::SupervisorCall`]
    /// frame returns past: 24 bits in ARM state, 8 in Thumb.
    ///
    /// # Safety
    /// The instruction before `frame.pc` must be mapped and readable by the
    /// kernel: true for a frame from a privileged mode (kernel text), not in
    /// general for one from user mode.
    pub unsafe fn svc_immediate(frame: &TrapFrame) -> u32 {
        if frame.cpsr & (1 << 5) != 0 {
            // SAFETY: the caller guarantees the instruction is readable.
            u32::from(unsafe { ((frame.pc - 2) as *const u16).read_volatile() }) & 0xFF
        } else {
            // SAFETY: as above.
            unsafe { ((frame.pc - 4) as *const u32).read_volatile() & 0x00FF_FFFF }
        }
    }

    /// The immediate of the `svc` that [`reschedule`] issues.
    pub const RESCHEDULE_SVC: u32 = 0;

    /// Enters the kernel's trap path with `svc #0` from SVC mode, so that the
    /// scheduler can save this thread's frame and resume another. Returns
    /// when this thread is resumed. IRQs may be masked: the saved CPSR (and so
    /// the mask) comes back with the thread.
    pub fn reschedule() {
        // SAFETY: svc from SVC mode overwrites lr_svc (declared clobbered); the
        // trap path saves and restores every other register.
        unsafe { core::arch::asm!("svc #0", in("r0") 0, out("lr") _, options(nostack)) };
    }

    /// [`reschedule`] that tells the scheduler the thread yields (goes
    /// behind its equals): `r0` of the saved frame is
    /// [`RESCHEDULE_YIELD`](super::RESCHEDULE_YIELD) (0 for a plain
    /// `reschedule`), so the scheduler learns it without a lock of its own
    /// before the call.
    pub fn reschedule_yield() {
        // SAFETY: as in `reschedule`.
        unsafe {
            core::arch::asm!("svc #0", in("r0") super::RESCHEDULE_YIELD, out("lr") _, options(nostack))
        };
    }

    /// [`reschedule`] that asks the scheduler to put the thread to sleep
    /// until `at` (its clock, absolute): `r0` of the saved frame is
    /// [`RESCHEDULE_SLEEP`](super::RESCHEDULE_SLEEP), `r1`/`r2` are `at`'s
    /// low and high words. The sleep and the switch are then one step under
    /// the scheduler's lock, with no lock taken before the call.
    pub fn reschedule_sleep(at: u64) {
        // SAFETY: as in `reschedule`; r0-r2 are only read by the trap path.
        unsafe {
            core::arch::asm!("svc #0", in("r0") super::RESCHEDULE_SLEEP,
                in("r1") at as u32, in("r2") (at >> 32) as u32, out("lr") _, options(nostack))
        };
    }

    /// Stores `value` at `addr`, reporting a fault instead of crashing.
    pub fn probe_write(addr: usize, value: u32) -> Option<Fault> {
        probe(|| {
            // SAFETY: a single store; if it faults the trap handler skips it.
            unsafe {
                core::arch::asm!("str {v}, [{a}]", a = in(reg) addr, v = in(reg) value,
                    options(nostack))
            };
        })
        .1
    }

    /// Loads a word from `addr`, reporting a fault instead of crashing.
    pub fn probe_read(addr: usize) -> Result<u32, Fault> {
        let (v, fault) = probe(|| {
            let v: u32;
            // SAFETY: a single load; if it faults the trap handler skips it.
            unsafe {
                core::arch::asm!("mov {v}, #0", "ldr {v}, [{a}]", a = in(reg) addr,
                    v = out(reg) v, options(nostack))
            };
            v
        });
        match fault {
            Some(f) => Err(f),
            None => Ok(v),
        }
    }

    /// Calls the code at `addr` as `extern "C" fn()`, reporting a prefetch
    /// abort instead of crashing.
    pub fn probe_exec(addr: usize) -> Option<Fault> {
        probe(|| {
            // SAFETY: the probe returns here if the fetch faults; if it does
            // not, the code at addr is expected to be a function that returns.
            unsafe {
                core::arch::asm!("blx {a}", a = in(reg) addr, out("r0") _, out("r1") _,
                    out("r2") _, out("r3") _, out("r12") _, out("lr") _)
            };
        })
        .1
    }
}

#[cfg(target_arch = "arm")]
pub use imp::*;
