//! How a run ends: on QEMU with a semihosting exit, on a board with the
//! board's safe end.
//!
//! An image built for QEMU (cargo feature `qemu`, which `cargo xtask run`,
//! `test` and `bench` set) ends every run with a semihosting exit, so QEMU
//! exits with the [`ExitCode`]. An image for a board (`cargo xtask image`)
//! has no debugger to exit to, so:
//!
//! - a panic or an unhandled kernel fault ([`fatal`]): the report has been
//!   printed; the **safe-state hook** runs ([`set_safe_state_hook`]: where a
//!   user drives outputs to a safe state: motors off, valves closed); then
//!   the board resets through its reset controller, or parks with the
//!   Cortex-A9 watchdog armed, as the board file's `fatal_end` says;
//! - `main` returning or a test's verdict ([`end`] with another code): the
//!   CPU parks (IRQs masked, WFI), after saying so on the console.
//!
//! The hook also runs in QEMU images, before the semihosting exit, so the
//! tests exercise it.

#[cfg(not(feature = "qemu"))]
use crate::board::FatalEnd;
use crate::board::SystemReset;
use crate::{BOARD, ExitCode, console};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The safe-state hook, as a `fn()` address (0: none).
static HOOK: AtomicUsize = AtomicUsize::new(0);
/// Set once the end has begun: a second fatal error (in the hook, or while
/// resetting) skips the hook instead of looping.
static ENDING: AtomicBool = AtomicBool::new(false);

/// Installs the function that puts the system's outputs into a safe state
/// (replacing any earlier one). It runs once, on the way to the end of a
/// panic or an unhandled kernel fault, with IRQs masked, on whatever stack
/// the failure happened: keep it short, make it touch only registers it
/// owns (an ioremap done beforehand), and never block. If it fails in turn,
/// the end goes on without it.
pub fn set_safe_state_hook(hook: fn()) {
    HOOK.store(hook as usize, Ordering::Release);
}

/// Ends the run after a fatal error (its report printed): the safe-state
/// hook, then the board's fatal end (or QEMU's exit with `code`).
pub fn fatal(code: ExitCode) -> ! {
    arch::cpu::interrupts_disable();
    if !ENDING.swap(true, Ordering::AcqRel) {
        let hook = HOOK.load(Ordering::Acquire);
        if hook != 0 {
            console::emergency_print(format_args!("rtk: calling the safe-state hook\n"));
            // SAFETY: HOOK only ever holds 0 or a `fn()` stored by
            // `set_safe_state_hook`.
            let hook: fn() = unsafe { core::mem::transmute::<usize, fn()>(hook) };
            hook();
        }
    } else {
        console::emergency_print(format_args!(
            "rtk: fatal error while ending: safe-state hook skipped\n"
        ));
    }
    end(code)
}

/// Ends the run with `code` after sending everything the console holds.
pub fn end(code: ExitCode) -> ! {
    console::flush();
    #[cfg(feature = "qemu")]
    {
        arch::debug::exit(code as i32)
    }
    #[cfg(not(feature = "qemu"))]
    board_end(code)
}

#[cfg(not(feature = "qemu"))]
fn board_end(code: ExitCode) -> ! {
    use crate::println;
    arch::cpu::interrupts_disable();
    match (code, BOARD.fatal_end) {
        (ExitCode::Success | ExitCode::Failure, _) => {
            println!(
                "rtk: run ended with status {}: parking the CPU",
                code as i32
            );
            console::flush();
            park()
        }
        (_, FatalEnd::Reset) => {
            println!("rtk: resetting the board");
            console::flush();
            reset();
            println!("rtk: the reset did not happen: parking with the watchdog armed");
            console::flush();
            watchdog_park(1000)
        }
        (_, FatalEnd::WatchdogPark { timeout_ms }) => {
            println!("rtk: parking with the watchdog armed ({timeout_ms} ms)");
            console::flush();
            watchdog_park(timeout_ms)
        }
    }
}

/// Mapped reset controller, set by [`init`].
static RESET_VA: AtomicUsize = AtomicUsize::new(0);

/// Maps the board's reset controller, so that the end never needs the
/// memory manager (whose lock a failure may hold). Boot calls it after
/// `mm::init`.
pub fn init() {
    let phys = match BOARD.reset {
        Some(SystemReset::ZynqSlcr { slcr }) => slcr,
        Some(SystemReset::VexpressCfg { sysregs } | SystemReset::RealviewResetCtl { sysregs }) => {
            sysregs
        }
        None => return,
    };
    if let Ok(va) = crate::mm::ioremap(phys, 0x1000) {
        RESET_VA.store(va, Ordering::Release);
    }
}

/// Resets the board through its reset controller; returns if it cannot.
pub fn reset() {
    let va = RESET_VA.load(Ordering::Acquire);
    if va == 0 {
        return;
    }
    match BOARD.reset {
        Some(SystemReset::ZynqSlcr { .. }) => {
            // SAFETY: `init` mapped the SLCR at va; the end of the run is
            // the only other user, and nothing runs after it.
            unsafe { drivers::zynq_slcr::ZynqSlcr::new(va) }.soft_reset()
        }
        Some(SystemReset::VexpressCfg { .. }) => {
            // SAFETY: `init` mapped the system registers at va.
            unsafe { drivers::versatile_sysregs::SysRegs::new(va) }.vexpress_reboot()
        }
        Some(SystemReset::RealviewResetCtl { .. }) => {
            // SAFETY: `init` mapped the system registers at va.
            unsafe { drivers::versatile_sysregs::SysRegs::new(va) }.realview_reset()
        }
        None => {}
    }
    // Give the reset a moment to take the CPU.
    for _ in 0..100_000 {
        core::hint::spin_loop();
    }
}

/// Masks IRQs and waits forever.
pub fn park() -> ! {
    arch::cpu::interrupts_disable();
    loop {
        arch::cpu::wait_for_interrupt();
    }
}

/// Arms the A9 watchdog for `timeout_ms` and parks: the watchdog resets the
/// board (where it is wired to: on Zynq the SLCR's reset logic).
pub fn watchdog_park(timeout_ms: u32) -> ! {
    crate::watchdog::force_arm(u64::from(timeout_ms) * 1_000_000);
    park()
}
