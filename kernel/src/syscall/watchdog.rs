//! The watchdog calls (50-53) on a watchdog handle granted at creation:
//! `watchdog_start` and `watchdog_stop` need [`Rights::MANAGE`],
//! `watchdog_kick` and `watchdog_remaining` [`Rights::SIGNAL`] (so a
//! supervisor can start it and hand a task a handle that can only kick).
//! The handle is checked first (`BadHandle`), then the arguments. Each
//! call is a handle look-up and one or two register accesses: no
//! allocation, no wait, so hard tasks use them too.

use super::abi::Errno;
use crate::handle::{Handle, Rights};
use crate::object::{self, KRef, Object};
use crate::process;
use crate::watchdog::{Grant, WatchdogError};

impl From<WatchdogError> for Errno {
    fn from(e: WatchdogError) -> Self {
        match e {
            WatchdogError::BadTimeout | WatchdogError::NotArmed => Errno::Inval,
            WatchdogError::Busy => Errno::Busy,
            WatchdogError::NoMemory => Errno::NoMem,
            WatchdogError::Absent => Errno::NoSys,
        }
    }
}

/// The watchdog grant the caller's handle `h` names, with rights `need`.
fn grant(h: u32, need: Rights) -> Result<KRef<Grant>, Errno> {
    process::with_current(|t| {
        object::lookup(&t.handles, Handle::from_raw(h), need, Object::watchdog)
    })
    .ok_or(Errno::Perm)?
    .map_err(Errno::from)
}

/// `watchdog_start(h, timeout_ns)`: arms (or re-arms) the watchdog; the
/// board resets unless it is kicked within `timeout_ns` from now and from
/// every kick. `Inval` for 0 or a timeout the counter cannot hold.
pub fn start(h: u32, timeout_ns: u64) -> Result<u32, Errno> {
    grant(h, Rights::MANAGE)?.arm(timeout_ns)?;
    Ok(0)
}

/// `watchdog_kick(h)`: restarts the countdown; `Inval` if not started.
pub fn kick(h: u32) -> Result<u32, Errno> {
    grant(h, Rights::SIGNAL)?.kick()?;
    Ok(0)
}

/// `watchdog_stop(h)`: stops the watchdog (stopping a stopped one is 0).
pub fn stop(h: u32) -> Result<u32, Errno> {
    grant(h, Rights::MANAGE)?.disarm();
    Ok(0)
}

/// `watchdog_remaining(h) -> (0, µs)`: time left before the reset, in µs
/// (saturating; `r0` stays free for errors, as a raw count could look
/// like one); `Inval` if not started.
pub fn remaining_us(h: u32) -> Result<u32, Errno> {
    let ns = grant(h, Rights::SIGNAL)?.remaining_ns()?;
    Ok(u32::try_from(ns / 1000).unwrap_or(u32::MAX))
}
