//! ARM PrimeCell UART (PL011), as on Versatile Express and RealView boards.
//!
//! Register map and bits from the PL011 Technical Reference Manual (ARM DDI
//! 0183G), section 3.2 "Summary of registers". Polled transmit only for now.

use crate::SerialOut;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    /// Flag register (TRM 3.3.3).
    FR [
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
        (0x034 => _reserved2),
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

    /// Programs 8N1 at `baud` from a reference clock of `clock_hz`, FIFOs on.
    pub fn init(&self, clock_hz: u32, baud: u32) {
        self.flush();
        self.regs.cr.set(0);
        self.regs.icr.set(0x7FF);
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
