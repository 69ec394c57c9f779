//! Device drivers for the MMIO peripherals of Cortex-A9 boards.
//!
//! Each driver describes its registers with `tock-registers` and takes the
//! virtual address of its registers in an `unsafe fn new`: drivers never know
//! physical addresses (boards own those) and never map anything (the kernel's
//! ioremap does). Dependencies: `tock-registers` only.

#![cfg_attr(not(test), no_std)]

pub mod a9_timer;
pub mod cadence_ttc;
pub mod cadence_uart;
pub mod gic;
pub mod pl011;

#[cfg(test)]
mod fake;
pub mod sp804;

/// A byte-oriented serial output the kernel console can write to.
pub trait SerialOut {
    /// Sends one byte, waiting while the transmitter is full.
    fn write_byte(&self, byte: u8);
    /// Waits until every byte written so far has left the transmitter.
    fn flush(&self);
}
