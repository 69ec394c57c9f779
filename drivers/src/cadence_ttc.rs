//! Cadence triple timer counter (TTC), as in the Xilinx Zynq-7000.
//!
//! Register map and bits from the Zynq-7000 SoC Technical Reference Manual
//! (Xilinx UG585), chapter 8.5 "Triple Timer Counter" and appendix B.32. A
//! TTC holds three 16-bit counters whose registers interleave: counter `n`
//! (0, 1, 2) has each register at the counter-0 offset + 4 n, so a driver for
//! one counter is made at the TTC's base + 4 n. The driver runs its counter
//! in interval mode (counting up from 0 to the Interval register, then
//! restarting and raising the interval interrupt), with the prescaler chosen
//! to fit the period into 16 bits.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    /// Clock_Control (UG585 B.32).
    CLOCK_CONTROL [
        /// External clock edge (with C_SRC).
        EX_E OFFSET(6) NUMBITS(1) [],
        /// Clock source: the TTC's pclk, or the external clock input.
        C_SRC OFFSET(5) NUMBITS(1) [Pclk = 0, External = 1],
        /// Prescale: the clock is divided by 2^(PS_V + 1).
        PS_V OFFSET(1) NUMBITS(4) [],
        /// Prescaler enable.
        PS_EN OFFSET(0) NUMBITS(1) []
    ],
    /// Counter_Control (UG585 B.32); resets to 0x21 (disabled, wave off).
    COUNTER_CONTROL [
        /// Waveform output polarity.
        WAVE_POL OFFSET(6) NUMBITS(1) [],
        /// Waveform output disable (active low enable).
        WAVE_EN OFFSET(5) NUMBITS(1) [],
        /// Reset the counter to 0 and restart; clears itself.
        RST OFFSET(4) NUMBITS(1) [],
        /// Match mode: interrupt when the counter equals a Match register.
        MATCH OFFSET(3) NUMBITS(1) [],
        /// Count down instead of up.
        DEC OFFSET(2) NUMBITS(1) [],
        /// Interval mode: count between 0 and the Interval register.
        INT OFFSET(1) NUMBITS(1) [],
        /// Counter disabled (stopped).
        DIS OFFSET(0) NUMBITS(1) []
    ],
    /// Interrupt_Register and Interrupt_Enable (UG585 B.32).
    INTERRUPT [
        /// Event timer overflow.
        EV OFFSET(5) NUMBITS(1) [],
        /// Counter overflow.
        OV OFFSET(4) NUMBITS(1) [],
        /// Match 3.
        M3 OFFSET(3) NUMBITS(1) [],
        /// Match 2.
        M2 OFFSET(2) NUMBITS(1) [],
        /// Match 1.
        M1 OFFSET(1) NUMBITS(1) [],
        /// Interval: the counter passed the Interval register.
        IV OFFSET(0) NUMBITS(1) []
    ]
];

register_structs! {
    /// The registers of one TTC counter (counter 0's offsets, UG585 B.32;
    /// the other counters' are 4 and 8 bytes further on).
    pub TtcCounterRegisters {
        (0x00 => clock_control: ReadWrite<u32, CLOCK_CONTROL::Register>),
        (0x04 => _reserved0),
        (0x0C => counter_control: ReadWrite<u32, COUNTER_CONTROL::Register>),
        (0x10 => _reserved1),
        (0x18 => counter_value: ReadOnly<u32>),
        (0x1C => _reserved2),
        (0x24 => interval: ReadWrite<u32>),
        (0x28 => _reserved3),
        (0x54 => interrupt: ReadOnly<u32, INTERRUPT::Register>),
        (0x58 => _reserved4),
        (0x60 => interrupt_enable: ReadWrite<u32, INTERRUPT::Register>),
        (0x64 => @END),
    }
}

/// How a counter divides its clock to make a period: the prescaler (`None`
/// for off, `Some(v)` for a division by 2^(v + 1)) and the Interval value
/// (the period is `Interval + 1` prescaled ticks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divisors {
    /// Clock_Control.PS_V, if the prescaler is on.
    pub prescale: Option<u8>,
    /// Interval register value.
    pub interval: u16,
    /// The period these give, in clock ticks (close to the one asked for:
    /// rounded down to a multiple of the prescaler's division).
    pub ticks: u32,
}

/// The divisors for a period of `ticks` clock ticks with the smallest
/// prescaler that fits it in 16 bits, or `None` if `ticks` is 0 or over
/// 2^16 * 2^16 (the largest prescaler).
pub fn divisors(ticks: u32) -> Option<Divisors> {
    if ticks == 0 {
        return None;
    }
    if ticks <= 1 << 16 {
        return Some(Divisors {
            prescale: None,
            interval: (ticks - 1) as u16,
            ticks,
        });
    }
    (0..16u8).find_map(|v| {
        let shift = u32::from(v) + 1;
        let counts = ticks >> shift;
        (1..=1 << 16).contains(&counts).then(|| Divisors {
            prescale: Some(v),
            interval: (counts - 1) as u16,
            ticks: counts << shift,
        })
    })
}

/// One counter of a Cadence TTC.
pub struct CadenceTtc {
    regs: &'static TtcCounterRegisters,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes; sharing the driver between
// contexts is serialised by its owner.
unsafe impl Send for CadenceTtc {}

impl CadenceTtc {
    /// Creates the driver for the counter whose registers start at `base`
    /// (the TTC's base + 4 n for counter n).
    ///
    /// # Safety
    /// `base` must be the virtual address of a TTC counter's registers,
    /// mapped as device memory (0x64 bytes from `base`) for as long as the
    /// driver lives, and this must be the only driver for that counter.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps a TTC counter.
        let regs = unsafe { &*(base as *const TtcCounterRegisters) };
        Self { regs }
    }

    /// Interrupts every `ticks` clock ticks (see [`divisors`]) until
    /// stopped; returns the period obtained, or `None` (and changes nothing)
    /// if no prescaler can make it.
    pub fn start_periodic(&self, ticks: u32) -> Option<u32> {
        let d = divisors(ticks)?;
        self.stop();
        self.clear_interrupt();
        self.regs.clock_control.write(match d.prescale {
            None => CLOCK_CONTROL::C_SRC::Pclk,
            Some(v) => {
                CLOCK_CONTROL::C_SRC::Pclk
                    + CLOCK_CONTROL::PS_EN::SET
                    + CLOCK_CONTROL::PS_V.val(v.into())
            }
        });
        self.regs.interval.set(u32::from(d.interval));
        self.regs.interrupt_enable.write(INTERRUPT::IV::SET);
        // Enabled (DIS clear), interval mode, counting up from 0.
        self.regs.counter_control.write(
            COUNTER_CONTROL::INT::SET + COUNTER_CONTROL::RST::SET + COUNTER_CONTROL::WAVE_EN::SET,
        );
        Some(d.ticks)
    }

    /// Restarts a counter that [`start_periodic`](Self::start_periodic)
    /// started: it counts its period again from 0, from now.
    pub fn restart(&self) {
        self.regs.counter_control.write(
            COUNTER_CONTROL::INT::SET + COUNTER_CONTROL::RST::SET + COUNTER_CONTROL::WAVE_EN::SET,
        );
    }

    /// Counts up from 0 at the undivided clock, wrapping at 2^16, with its
    /// interrupts off: a free-running clock to measure another against
    /// (ticks between two [`value`](Self::value)s, modulo 2^16).
    pub fn start_free_running(&self) {
        self.stop();
        self.regs.clock_control.write(CLOCK_CONTROL::C_SRC::Pclk);
        // Enabled (DIS clear), overflow mode (INT clear), counting up.
        self.regs
            .counter_control
            .write(COUNTER_CONTROL::RST::SET + COUNTER_CONTROL::WAVE_EN::SET);
    }

    /// Stops the counter, with its interrupts off.
    pub fn stop(&self) {
        self.regs
            .counter_control
            .write(COUNTER_CONTROL::DIS::SET + COUNTER_CONTROL::WAVE_EN::SET);
        self.regs.interrupt_enable.set(0);
    }

    /// Clears the interrupt: reading Interrupt_Register clears it. Returns
    /// whether the interval interrupt was pending.
    pub fn clear_interrupt(&self) -> bool {
        self.regs.interrupt.is_set(INTERRUPT::IV)
    }

    /// The counter's value now (prescaled ticks since the period started).
    pub fn value(&self) -> u16 {
        self.regs.counter_value.get() as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_periods_need_no_prescaler() {
        assert_eq!(
            divisors(1),
            Some(Divisors {
                prescale: None,
                interval: 0,
                ticks: 1
            })
        );
        assert_eq!(
            divisors(65_536).map(|d| (d.prescale, d.interval)),
            Some((None, 0xFFFF))
        );
        assert_eq!(divisors(0), None);
    }

    #[test]
    fn long_periods_take_the_smallest_prescaler() {
        // 1 kHz from QEMU's 133 MHz TTC clock: divide by 4.
        let d = divisors(133_000).unwrap();
        assert_eq!(
            (d.prescale, d.interval, d.ticks),
            (Some(1), 33_249, 133_000)
        );
        // From 111.1 MHz (CPU_1x of a 667 MHz Zynq): divide by 2, rounded.
        let d = divisors(111_111).unwrap();
        assert_eq!(
            (d.prescale, d.interval, d.ticks),
            (Some(0), 55_554, 111_110)
        );
        assert_eq!(divisors(65_537).unwrap().prescale, Some(0));
        let max = divisors(u32::MAX).unwrap();
        assert_eq!((max.prescale, max.interval), (Some(15), 0xFFFE));
        for ticks in [2, 1000, 65_536, 65_537, 1 << 20, 123_456_789] {
            let d = divisors(ticks).unwrap();
            let div = d.prescale.map_or(1, |v| 1u32 << (v + 1));
            assert_eq!(d.ticks, (u32::from(d.interval) + 1) * div, "{ticks}");
            assert!(d.ticks <= ticks && ticks - d.ticks < div, "{ticks}");
        }
    }

    use crate::fake::Fake;

    #[test]
    fn start_and_stop_program_the_counter() {
        let fake = Fake::new(0x64);
        // SAFETY: the fake block is as large as the register block and
        // outlives the driver.
        let ttc = unsafe { CadenceTtc::new(fake.base()) };
        assert_eq!(ttc.start_periodic(133_000), Some(133_000));
        assert_eq!(fake.word(0x00), 0b11); // PS_EN, PS_V = 1, pclk
        assert_eq!(fake.word(0x24), 33_249);
        assert_eq!(fake.word(0x60), 1); // interval interrupt on
        assert_eq!(fake.word(0x0C), 0x32); // WAVE_EN, RST, INT; DIS clear
        fake.set(0x0C, 0);
        ttc.restart();
        assert_eq!(fake.word(0x0C), 0x32); // the same, from 0 again
        ttc.stop();
        assert_eq!(fake.word(0x0C), 0x21);
        assert_eq!(fake.word(0x60), 0);
        assert_eq!(ttc.start_periodic(0), None);
        assert_eq!(fake.word(0x0C), 0x21);
    }
}
