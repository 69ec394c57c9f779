//! ARM Versatile Express and RealView system registers (the motherboard's
//! "sysregs" at 0x1000_0000): the board reset and the 24 MHz counter.
//!
//! Offsets from the Motherboard Express µATX TRM (ARM DUI 0447) 4.3 and the
//! RealView Platform Baseboard Explore TRM (ARM DUI 0440) 4.3; QEMU models
//! both in hw/misc/arm_sysctl.c.
//!
//! - Versatile Express: a reboot is a write to the configuration bus,
//!   SYS_CFGCTRL = start | write | function 9 (reboot), site 0
//!   (motherboard), device 0.
//! - RealView PBX-A9: SYS_LOCK unlocked with 0xA05F, then SYS_RESETCTL
//!   written with the reset level (bits 7:4 on the board, QEMU resets on
//!   bit 2) as Linux's `realview_pbx_reset` does: 0xF0 then 0xF4.
//! - SYS_24MHZ counts at 24 MHz from power-on on both: a second clock to
//!   check the Cortex-A9 timers against.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

register_structs! {
    /// The system registers this driver uses.
    pub SysRegisters {
        (0x00 => _id),
        (0x20 => lock: WriteOnly<u32>),
        (0x24 => _reserved0),
        (0x40 => resetctl: WriteOnly<u32>),
        (0x44 => _reserved1),
        (0x5C => counter_24mhz: ReadOnly<u32>),
        (0x60 => _reserved2),
        (0xA0 => cfgdata: ReadWrite<u32>),
        (0xA4 => cfgctrl: ReadWrite<u32>),
        (0xA8 => cfgstat: ReadWrite<u32>),
        (0xAC => _reserved3),
        (0x100 => @END),
    }
}

/// The SYS_24MHZ counter's rate.
pub const COUNTER_HZ: u32 = 24_000_000;
/// SYS_LOCK unlock key.
pub const LOCK_KEY: u32 = 0xA05F;
/// SYS_CFGCTRL for a reboot: START (31), WRITE (30), FUNCTION 9 (25:20),
/// site 0, position 0, device 0.
pub const CFGCTRL_REBOOT: u32 = (1 << 31) | (1 << 30) | (9 << 20);
/// The two SYS_RESETCTL writes of a RealView reset.
pub const RESETCTL_SEQUENCE: [u32; 2] = [0xF0, 0xF4];

/// The system registers.
pub struct SysRegs {
    regs: &'static SysRegisters,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes; sharing the driver between
// contexts is serialised by its owner.
unsafe impl Send for SysRegs {}

impl SysRegs {
    /// Creates the driver for the system registers mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of a Versatile Express or
    /// RealView system register block, mapped as device memory for as long
    /// as the driver lives.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps the system registers.
        let regs = unsafe { &*(base as *const SysRegisters) };
        Self { regs }
    }

    /// SYS_24MHZ now.
    pub fn counter_24mhz(&self) -> u32 {
        self.regs.counter_24mhz.get()
    }

    /// Versatile Express: asks the motherboard to reboot. Returns only if
    /// it did not.
    pub fn vexpress_reboot(&self) {
        self.regs.cfgstat.set(0);
        self.regs.cfgdata.set(0);
        self.regs.cfgctrl.set(CFGCTRL_REBOOT);
    }

    /// RealView: resets the board. Returns only if it did not.
    pub fn realview_reset(&self) {
        self.regs.lock.set(LOCK_KEY);
        for level in RESETCTL_SEQUENCE {
            self.regs.resetctl.set(level);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;

    #[test]
    fn reset_sequences() {
        let f = Fake::new(0x100);
        // SAFETY: f is a host block the size of the registers.
        let s = unsafe { SysRegs::new(f.base()) };
        s.vexpress_reboot();
        assert_eq!(f.word(0xA4), 0xC090_0000);
        s.realview_reset();
        assert_eq!((f.word(0x20), f.word(0x40)), (0xA05F, 0xF4));
        f.set(0x5C, 1234);
        assert_eq!(s.counter_24mhz(), 1234);
    }
}
