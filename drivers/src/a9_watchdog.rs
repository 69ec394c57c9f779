//! Cortex-A9 MPCore private watchdog (PERIPHBASE + 0x620).
//!
//! Register map and bits from the Cortex-A9 MPCore TRM (ARM DDI 0407),
//! 4.3 "Watchdog registers". In watchdog mode the counter counts down at
//! PERIPHCLK / (prescaler + 1) and, on reaching zero, asserts the CPU's
//! WDRESETREQ: the SoC resets (on Zynq-7000 the SLCR routes it to a system
//! or CPU reset, UG585 26.2.3). Writing the Load register reloads the
//! counter: that is the kick. Once in watchdog mode the only way back to
//! timer mode is the two-word sequence into the Disable register.
//!
//! QEMU models this block as a second private timer: the registers count
//! and reload, but reaching zero resets nothing, and the reset-status and
//! disable registers read as zero.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    /// Watchdog Control Register (TRM 4.3.3).
    WD_CONTROL [
        /// Divide PERIPHCLK by this value + 1.
        PRESCALER OFFSET(8) NUMBITS(8) [],
        /// Watchdog mode (a reset at zero) instead of timer mode.
        WD_MODE OFFSET(3) NUMBITS(1) [],
        /// Interrupt at zero (timer mode only).
        IT_ENABLE OFFSET(2) NUMBITS(1) [],
        /// Reload from Load at zero (timer mode only).
        AUTO_RELOAD OFFSET(1) NUMBITS(1) [],
        /// Count down.
        ENABLE OFFSET(0) NUMBITS(1) []
    ]
];

register_structs! {
    /// Watchdog register block (TRM table 4-5, offsets 0x20-0x34 from the
    /// private timer's base).
    pub WatchdogRegisters {
        (0x00 => load: ReadWrite<u32>),
        (0x04 => counter: ReadWrite<u32>),
        (0x08 => control: ReadWrite<u32, WD_CONTROL::Register>),
        (0x0C => int_status: ReadWrite<u32>),
        (0x10 => reset_status: ReadWrite<u32>),
        (0x14 => disable: WriteOnly<u32>),
        (0x18 => @END),
    }
}

/// The two words that take the watchdog out of watchdog mode, in order.
pub const DISABLE_SEQUENCE: [u32; 2] = [0x1234_5678, 0x8765_4321];

/// Prescaler and load value for a timeout: the load counts PERIPHCLK /
/// (prescaler + 1) ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout {
    /// Control.PRESCALER.
    pub prescaler: u8,
    /// The Load value.
    pub load: u32,
}

/// The smallest prescaler (finest grain) whose 32-bit load holds
/// `timeout_ns` at `clock_hz`; `None` if the timeout is 0 or longer than
/// 2^32 x 256 ticks.
pub fn timeout(clock_hz: u32, timeout_ns: u64) -> Option<Timeout> {
    let ticks = u128::from(timeout_ns) * u128::from(clock_hz) / 1_000_000_000;
    if ticks == 0 {
        return None;
    }
    (0..=255u8).find_map(|p| {
        let load = ticks / (u128::from(p) + 1);
        (load <= u128::from(u32::MAX) && load > 0).then_some(Timeout {
            prescaler: p,
            load: load as u32,
        })
    })
}

/// `ticks` of a counter armed with `prescaler` at `clock_hz`, in ns
/// (rounded down).
pub fn ticks_to_ns(clock_hz: u32, prescaler: u8, ticks: u32) -> u64 {
    let ns = u128::from(ticks) * (u128::from(prescaler) + 1) * 1_000_000_000
        / u128::from(clock_hz.max(1));
    ns as u64
}

/// The calling CPU's private watchdog.
pub struct A9Watchdog {
    regs: &'static WatchdogRegisters,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes; sharing the driver between
// contexts is serialised by its owner.
unsafe impl Send for A9Watchdog {}

impl A9Watchdog {
    /// Creates the driver for the watchdog registers mapped at `base`
    /// (PERIPHBASE + 0x620).
    ///
    /// # Safety
    /// `base` must be the virtual address of the A9 watchdog registers,
    /// mapped as device memory for as long as the driver lives, and this
    /// must be the only driver instance.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps the watchdog.
        let regs = unsafe { &*(base as *const WatchdogRegisters) };
        Self { regs }
    }

    /// Arms the watchdog: the board resets unless [`kick`](Self::kick) comes
    /// within `t` from now (and from every kick).
    pub fn arm(&self, t: Timeout) {
        // A fresh countdown: no event left from an earlier one.
        self.regs.int_status.set(1);
        self.regs.load.set(t.load);
        self.regs.control.write(
            WD_CONTROL::PRESCALER.val(t.prescaler.into())
                + WD_CONTROL::WD_MODE::SET
                + WD_CONTROL::ENABLE::SET,
        );
    }

    /// Restarts the countdown from the load value armed with.
    pub fn kick(&self) {
        self.regs.load.set(self.regs.load.get());
    }

    /// Takes the watchdog out of watchdog mode and stops it.
    pub fn disarm(&self) {
        for word in DISABLE_SEQUENCE {
            self.regs.disable.set(word);
        }
        self.regs.control.set(0);
    }

    /// The counter now (ticks left before the reset).
    pub fn counter(&self) -> u32 {
        self.regs.counter.get()
    }

    /// Whether the counter has reached zero since it was armed: the
    /// Interrupt Status event flag, which QEMU sets at zero in either mode
    /// (it has no watchdog mode), or the Reset Status flag. On silicon in
    /// watchdog mode zero resets the board at once, so this reads true
    /// only under QEMU, or after the reset (Reset Status survives it).
    pub fn reached_zero(&self) -> bool {
        self.regs.int_status.get() & 1 != 0 || self.regs.reset_status.get() & 1 != 0
    }

    /// Whether the last reset came from this watchdog (Reset Status bit 0,
    /// which survives the watchdog's own reset); clears the flag.
    pub fn take_reset_flag(&self) -> bool {
        let hit = self.regs.reset_status.get() & 1 != 0;
        if hit {
            self.regs.reset_status.set(1);
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;

    #[test]
    fn timeouts_pick_the_finest_prescaler() {
        // 1 s at 333.33 MHz fits 32 bits undivided.
        assert_eq!(
            timeout(333_333_333, 1_000_000_000),
            Some(Timeout {
                prescaler: 0,
                load: 333_333_333
            })
        );
        // 20 s does not: 6.67e9 ticks needs a division by 2.
        let t = timeout(333_333_333, 20_000_000_000).unwrap();
        assert_eq!(t.prescaler, 1);
        assert_eq!(t.load, 3_333_333_330);
        assert_eq!(timeout(100_000_000, 0), None);
        assert_eq!(timeout(100_000_000, 1), None, "under one tick");
        assert_eq!(timeout(u32::MAX, u64::MAX), None);
    }

    #[test]
    fn ticks_convert_back_to_ns() {
        assert_eq!(ticks_to_ns(100_000_000, 0, 5_000_000), 50_000_000);
        assert_eq!(ticks_to_ns(333_333_333, 1, 3_333_333_330), 20_000_000_000);
        let t = timeout(333_333_333, 20_000_000_000).unwrap();
        assert!(ticks_to_ns(333_333_333, t.prescaler, t.load) <= 20_000_000_000);
        assert_eq!(ticks_to_ns(0, 0, 7), 7_000_000_000, "no division by zero");
    }

    #[test]
    fn arm_kick_disarm_register_sequence() {
        let f = Fake::new(0x18);
        // SAFETY: f is a host block the size of the registers.
        let wd = unsafe { A9Watchdog::new(f.base()) };
        wd.arm(Timeout {
            prescaler: 3,
            load: 1000,
        });
        assert_eq!(f.word(0x00), 1000);
        assert_eq!(f.word(0x08), (3 << 8) | (1 << 3) | 1);
        // Arming clears the event flag (write one to clear).
        assert_eq!(f.word(0x0C), 1);
        f.set(0x0C, 0);
        assert!(!wd.reached_zero());
        f.set(0x0C, 1);
        assert!(wd.reached_zero());
        f.set(0x0C, 0);
        f.set(0x00, 1000);
        wd.kick();
        assert_eq!(f.word(0x00), 1000);
        wd.disarm();
        // The second disable word is the last written there.
        assert_eq!(f.word(0x14), DISABLE_SEQUENCE[1]);
        assert_eq!(f.word(0x08), 0);
        f.set(0x10, 1);
        assert!(wd.take_reset_flag());
        f.set(0x10, 0);
        assert!(!wd.take_reset_flag());
    }
}
