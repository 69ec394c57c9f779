//! The Cortex-A9 private watchdog, granted to one task at a time.
//!
//! A task that must prove it is alive claims the watchdog ([`claim`]),
//! arms it with a timeout ([`Grant::arm`]) and kicks it ([`Grant::kick`])
//! within every timeout: if it stops kicking, the board resets. Kernel-bound
//! tasks call this directly; the grant is a value, so whoever holds it is
//! the only one who can arm or kick. Dropping a grant releases the claim
//! but leaves an armed watchdog armed (so a task that dies still gets the
//! reset it asked for); [`Grant::disarm`] stops it.
//!
//! Isolated tasks reach it through a handle granted at creation
//! ([`Object::new_watchdog`](crate::object::Object::new_watchdog) holds the
//! grant) and the calls `watchdog_start`, `watchdog_kick`, `watchdog_stop`
//! and `watchdog_remaining` (50-53): the registers lie in the MPCore
//! private MiB with the GIC and the SCU, which no task may map.
//!
//! The board's fatal end also uses the watchdog ([`force_arm`]) to park
//! with a reset pending.
//!
//! Under QEMU the watchdog counts and reloads but never resets (see
//! `drivers::a9_watchdog`); [`reached_zero`] shows that its count ran out.

use crate::BOARD;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use drivers::a9_watchdog::{self, A9Watchdog};

/// Where the watchdog is mapped (0: not mapped). The driver is made on
/// each use: it is only a pointer to the registers.
static WATCHDOG_VA: AtomicUsize = AtomicUsize::new(0);
static CLAIMED: AtomicBool = AtomicBool::new(false);
/// The prescaler the watchdog is armed with, plus one (0: not armed).
static ARMED: AtomicU32 = AtomicU32::new(0);

/// Why the watchdog cannot be used as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchdogError {
    /// Another task holds the grant.
    Busy,
    /// The watchdog was not mapped at boot.
    Absent,
    /// The timeout is 0 or beyond what the 32-bit counter and 8-bit
    /// prescaler can count at PERIPHCLK (minutes).
    BadTimeout,
    /// A kick or a look at the counter while the watchdog is not armed.
    NotArmed,
    /// No kernel heap left for the handle's object.
    NoMemory,
}

/// Maps the watchdog (boot, after `mm::init`).
pub fn init() {
    if let Ok(va) = crate::mm::ioremap(BOARD.private_timer_base() + 0x20, 0x20) {
        WATCHDOG_VA.store(va, Ordering::Release);
    }
}

/// The driver, once [`init`] has mapped the registers.
fn mapped() -> Option<A9Watchdog> {
    let va = WATCHDOG_VA.load(Ordering::Acquire);
    // SAFETY: va maps this CPU's A9 watchdog (`init`); the drivers made
    // here are the only ones, and each access is one volatile read or write
    // (who may arm and kick is decided by the grant, not by the driver).
    (va != 0).then(|| unsafe { A9Watchdog::new(va) })
}

/// The right to arm and kick the watchdog.
#[derive(Debug)]
pub struct Grant(());

/// Claims the watchdog for the caller.
pub fn claim() -> Result<Grant, WatchdogError> {
    if mapped().is_none() {
        return Err(WatchdogError::Absent);
    }
    if CLAIMED.swap(true, Ordering::AcqRel) {
        return Err(WatchdogError::Busy);
    }
    Ok(Grant(()))
}

fn device() -> A9Watchdog {
    // A Grant exists only once the watchdog is mapped (see `claim`).
    mapped().expect("watchdog granted before init")
}

impl Grant {
    /// Arms the watchdog: the board resets unless kicked within
    /// `timeout_ns` from now and from every kick.
    pub fn arm(&self, timeout_ns: u64) -> Result<(), WatchdogError> {
        let t = a9_watchdog::timeout(crate::clocks::periph_hz(), timeout_ns)
            .ok_or(WatchdogError::BadTimeout)?;
        device().arm(t);
        ARMED.store(u32::from(t.prescaler) + 1, Ordering::Release);
        Ok(())
    }

    /// Restarts the countdown; [`WatchdogError::NotArmed`] if it is not
    /// running.
    pub fn kick(&self) -> Result<(), WatchdogError> {
        armed()?;
        device().kick();
        Ok(())
    }

    /// Ticks left before the reset (PERIPHCLK / (prescaler + 1) ticks).
    pub fn remaining(&self) -> u32 {
        device().counter()
    }

    /// Time left before the reset, in ns; [`WatchdogError::NotArmed`] if
    /// it is not running.
    pub fn remaining_ns(&self) -> Result<u64, WatchdogError> {
        let prescaler = armed()?;
        let ticks = device().counter();
        Ok(a9_watchdog::ticks_to_ns(
            crate::clocks::periph_hz(),
            prescaler,
            ticks,
        ))
    }

    /// Stops the watchdog.
    pub fn disarm(&self) {
        device().disarm();
        ARMED.store(0, Ordering::Release);
    }
}

/// The prescaler the watchdog runs with, if it is armed.
fn armed() -> Result<u8, WatchdogError> {
    match ARMED.load(Ordering::Acquire) {
        0 => Err(WatchdogError::NotArmed),
        p => Ok((p - 1) as u8),
    }
}

/// Whether the armed watchdog's count has run out (see
/// `A9Watchdog::reached_zero`): under QEMU, which never resets, what
/// stands for the reset; on silicon the board would have reset instead.
pub fn reached_zero() -> bool {
    mapped().is_some_and(|wd| wd.reached_zero())
}

impl Drop for Grant {
    fn drop(&mut self) {
        CLAIMED.store(false, Ordering::Release);
    }
}

/// Arms the watchdog whoever holds it (the fatal end of a board image).
pub fn force_arm(timeout_ns: u64) {
    if let (Some(wd), Some(t)) = (
        mapped(),
        a9_watchdog::timeout(crate::clocks::periph_hz(), timeout_ns),
    ) {
        wd.arm(t);
        ARMED.store(u32::from(t.prescaler) + 1, Ordering::Release);
    }
}
