//! Device drivers for the MMIO peripherals of Cortex-A9 boards.
//!
//! Each driver describes its registers with `tock-registers` and takes the
//! virtual address of its registers in an `unsafe fn new`: drivers never know
//! physical addresses (boards own those) and never map anything (the kernel's
//! ioremap does). Dependencies: `tock-registers` only.

#![cfg_attr(not(test), no_std)]

pub mod a9_timer;
pub mod a9_watchdog;
pub mod cadence_ttc;
pub mod cadence_uart;
pub mod gic;
pub mod pl011;
pub mod pl310;

#[cfg(test)]
mod fake;
pub mod sp804;
pub mod versatile_sysregs;
pub mod zynq_slcr;

/// A byte-oriented serial output the kernel console can write to.
pub trait SerialOut {
    /// Sends one byte, waiting while the transmitter is full.
    fn write_byte(&self, byte: u8);
    /// Waits until every byte written so far has left the transmitter.
    fn flush(&self);
}

/// A transmitter fed in bursts from an interrupt handler or a thread, never
/// waiting: the console's ring drains through this.
///
/// The protocol: [`fill_tx`](BurstTx::fill_tx) moves bytes into the transmit
/// FIFO while it has room; if bytes remain and the FIFO is not empty, the
/// transmit interrupt is unmasked with
/// [`set_tx_interrupt`](BurstTx::set_tx_interrupt) and comes when the FIFO has
/// drained (to its trigger level, or empty: each driver says which); the
/// handler fills again, and masks the interrupt once nothing is left.
pub trait BurstTx {
    /// Hands the first bytes of `bytes` to the transmit FIFO while it has
    /// room; returns how many. Never waits: one status read and one data
    /// write per byte, so the caller bounds the time by the length. Also
    /// re-arms whatever transmit event the driver's interrupt follows, so
    /// that an interrupt unmasked afterwards reports the FIFO draining after
    /// this fill.
    fn fill_tx(&self, bytes: &[u8]) -> usize;
    /// Whether the transmit FIFO is empty now.
    fn tx_empty(&self) -> bool;
    /// Unmasks (`true`) or masks the transmit interrupt.
    fn set_tx_interrupt(&self, on: bool);
}
