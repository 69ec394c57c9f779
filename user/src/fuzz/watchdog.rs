//! The watchdog calls (50-53) for the fuzzer, with their oracle.
//!
//! The kernel checks the handle before anything else, and the fuzzer is
//! granted no watchdog: whatever handle it passes (one of its
//! notifications, endpoints, threads or memory objects, a stale or random
//! one) and whatever timeout, each call must answer `BadHandle` and change
//! nothing. (`watchdog_user` tests the calls with a granted handle.)

use super::{Fuzzer, Want};
use crate::abi::{self, Errno};

impl Fuzzer {
    /// One watchdog call `nr` with a handle from `pick_handle` and hostile
    /// other arguments: `BadHandle`.
    fn watchdog_call(&mut self, nr: u32) {
        let h = self.pick_handle(|_, _| true);
        let timeout = self.rng.pick(&[0, 1, 1_000_000, u32::MAX]);
        let args = [
            h,
            timeout,
            self.rng.pick(&[0, 1, u32::MAX]),
            self.rng.bits(),
        ];
        self.expect(nr, args, Want::Error(Errno::BadHandle));
    }

    /// `watchdog_start(h, timeout)`: `BadHandle` (see the module docs).
    pub(super) fn watchdog_start(&mut self) {
        self.watchdog_call(abi::WATCHDOG_START);
    }

    /// `watchdog_kick(h)`: `BadHandle`.
    pub(super) fn watchdog_kick(&mut self) {
        self.watchdog_call(abi::WATCHDOG_KICK);
    }

    /// `watchdog_stop(h)`: `BadHandle`.
    pub(super) fn watchdog_stop(&mut self) {
        self.watchdog_call(abi::WATCHDOG_STOP);
    }

    /// `watchdog_remaining(h)`: `BadHandle`.
    pub(super) fn watchdog_remaining(&mut self) {
        self.watchdog_call(abi::WATCHDOG_REMAINING);
    }
}
