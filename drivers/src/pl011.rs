//! ARM PrimeCell UART (PL011), as on Versatile Express and RealView boards.
//!
//! Register map and bits from the PL011 Technical Reference Manual (ARM DDI
//! 0183G), section 3.2 "Summary of registers". Transmit either polled
//! ([`SerialOut`]) or in bursts driven by the transmit interrupt
//! ([`BurstTx`]).
//!
//! The transmit interrupt (TRM 3.4.3, UARTTXINTR) is raised when the transmit
//! FIFO drains down through its trigger level, set here to half full: it
//! follows a level crossing, so a FIFO filled only up to the trigger level
//! never interrupts. [`BurstTx::fill_tx`] therefore fills to the brim (or
//! until the source runs out), as Linux's driver does when it primes the
//! transmitter. QEMU's model transmits instantly: FR never shows the FIFO
//! full or non-empty and the transmit interrupt stays raised from the first
//! write until cleared.

use crate::{BurstTx, SerialOut};
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    /// Flag register (TRM 3.3.3).
    FR [
        /// Transmit FIFO empty.
        TXFE OFFSET(7) NUMBITS(1) [],
        /// Transmit FIFO full.
        TXFF OFFSET(5) NUMBITS(1) [],
        /// UART busy transmitting.
        BUSY OFFSET(3) NUMBITS(1) []
    ],
    /// Line control register (TRM 3.3.7).
    LCR_H [
        /// Word length.
        WLEN OFFSET(5) NUMBITS(2) [EightBits = 0b11],
        /// Enable FIFOs.
        FEN OFFSET(4) NUMBITS(1) []
    ],
    /// Control register (TRM 3.3.8).
    CR [
        /// Receive enable.
        RXE OFFSET(9) NUMBITS(1) [],
        /// Transmit enable.
        TXE OFFSET(8) NUMBITS(1) [],
        /// UART enable.
        UARTEN OFFSET(0) NUMBITS(1) []
    ],
    /// Interrupt FIFO level select register (TRM 3.3.9).
    IFLS [
        /// Receive interrupt trigger level.
        RXIFLSEL OFFSET(3) NUMBITS(3) [OneEighth = 0, OneQuarter = 1, Half = 2],
        /// Transmit interrupt trigger level: raised when the FIFO drains to
        /// this fill level.
        TXIFLSEL OFFSET(0) NUMBITS(3) [OneEighth = 0, OneQuarter = 1, Half = 2]
    ],
    /// Interrupt mask set/clear register bits (TRM 3.3.10).
    INT [
        /// Receive timeout.
        RT OFFSET(6) NUMBITS(1) [],
        /// Transmit.
        TX OFFSET(5) NUMBITS(1) [],
        /// Receive.
        RX OFFSET(4) NUMBITS(1) []
    ]
];

register_structs! {
    /// PL011 register block.
    pub Pl011Registers {
        (0x000 => dr: ReadWrite<u32>),
        (0x004 => _reserved0),
        (0x018 => fr: ReadOnly<u32, FR::Register>),
        (0x01C => _reserved1),
        (0x024 => ibrd: ReadWrite<u32>),
        (0x028 => fbrd: ReadWrite<u32>),
        (0x02C => lcr_h: ReadWrite<u32, LCR_H::Register>),
        (0x030 => cr: ReadWrite<u32, CR::Register>),
        (0x034 => ifls: ReadWrite<u32, IFLS::Register>),
        (0x038 => imsc: ReadWrite<u32, INT::Register>),
        (0x03C => _reserved2),
        (0x044 => icr: WriteOnly<u32>),
        (0x048 => @END),
    }
}

/// A PL011 UART.
pub struct Pl011 {
    regs: &'static Pl011Registers,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes; sharing the driver between
// contexts is serialised by its owner (the console lock).
unsafe impl Send for Pl011 {}

impl Pl011 {
    /// Depth of the transmit FIFO: 16 bytes up to revision r1p4, 32 from
    /// r1p5. The smaller is assumed (writes stop at "FIFO full" anyway).
    pub const TX_FIFO_DEPTH: usize = 16;

    /// Creates the driver for the registers mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of a PL011's registers, mapped as
    /// device memory for as long as the driver lives, and this must be the only
    /// driver instance for that UART.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps a PL011 register block.
        let regs = unsafe { &*(base as *const Pl011Registers) };
        Self { regs }
    }

    /// Programs 8N1 at `baud` from a reference clock of `clock_hz`, FIFOs on,
    /// every interrupt masked and cleared, the transmit interrupt's trigger
    /// at half full.
    pub fn init(&self, clock_hz: u32, baud: u32) {
        self.flush();
        self.regs.cr.set(0);
        self.regs.imsc.set(0);
        self.regs.icr.set(0x7FF);
        self.regs
            .ifls
            .write(IFLS::RXIFLSEL::Half + IFLS::TXIFLSEL::Half);
        // Divisor = clock / (16 * baud), as 16.6 fixed point (TRM 3.3.6).
        let div64 = (clock_hz as u64 * 4).div_ceil(baud as u64);
        self.regs.ibrd.set((div64 >> 6) as u32);
        self.regs.fbrd.set((div64 & 0x3F) as u32);
        self.regs
            .lcr_h
            .write(LCR_H::WLEN::EightBits + LCR_H::FEN::SET);
        self.regs
            .cr
            .write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
    }
}

impl SerialOut for Pl011 {
    fn write_byte(&self, byte: u8) {
        while self.regs.fr.is_set(FR::TXFF) {}
        self.regs.dr.set(byte as u32);
    }

    fn flush(&self) {
        while self.regs.fr.is_set(FR::BUSY) {}
    }
}

impl BurstTx for Pl011 {
    fn fill_tx(&self, bytes: &[u8]) -> usize {
        let mut n = 0;
        while n < bytes.len() && !self.regs.fr.is_set(FR::TXFF) {
            self.regs.dr.set(bytes[n] as u32);
            n += 1;
        }
        n
    }

    fn tx_empty(&self) -> bool {
        self.regs.fr.is_set(FR::TXFE)
    }

    fn set_tx_interrupt(&self, on: bool) {
        self.regs
            .imsc
            .modify(if on { INT::TX::SET } else { INT::TX::CLEAR });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;

    fn uart() -> (Fake, Pl011) {
        let fake = Fake::new(0x48);
        // SAFETY: the fake block is as large as the register block and
        // outlives the driver.
        let uart = unsafe { Pl011::new(fake.base()) };
        (fake, uart)
    }

    const FR: usize = 0x18;
    const IMSC: usize = 0x38;

    #[test]
    fn init_masks_interrupts_and_sets_the_trigger_level() {
        let (fake, uart) = uart();
        fake.set(IMSC, 0x7FF);
        uart.init(24_000_000, 115_200);
        assert_eq!(fake.word(IMSC), 0);
        assert_eq!(fake.word(0x34), 0b010_010);
        assert_eq!(fake.word(0x44), 0x7FF);
        // 24 MHz / (16 * 115200) = 13.02, rounded up in 64ths: IBRD 13, FBRD 2.
        assert_eq!((fake.word(0x24), fake.word(0x28)), (13, 2));
        assert_eq!(fake.word(0x30), 0x301);
    }

    #[test]
    fn fill_writes_in_order_and_stops_at_fifo_full() {
        let (fake, uart) = uart();
        assert_eq!(uart.fill_tx(b"abc"), 3);
        assert_eq!(fake.word(0), b'c' as u32);
        assert_eq!(uart.fill_tx(b""), 0);
        fake.set(FR, 1 << 5);
        fake.set(0, 0);
        assert_eq!(uart.fill_tx(b"xyz"), 0);
        assert_eq!(fake.word(0), 0, "nothing written when full");
    }

    #[test]
    fn tx_interrupt_mask_and_status() {
        let (fake, uart) = uart();
        fake.set(IMSC, 1 << 4);
        uart.set_tx_interrupt(true);
        assert_eq!(fake.word(IMSC), 1 << 4 | 1 << 5);
        uart.set_tx_interrupt(false);
        assert_eq!(fake.word(IMSC), 1 << 4);
        assert!(!uart.tx_empty());
        fake.set(FR, 1 << 7);
        assert!(uart.tx_empty());
    }
}
