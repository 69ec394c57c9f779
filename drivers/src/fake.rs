//! Host memory standing in for a register block, for the drivers' unit tests.

use std::cell::Cell;

/// A fake register block, readable and writable by byte offset.
pub struct Fake(Box<[Cell<u32>]>);

impl Fake {
    /// A zeroed block of `bytes` bytes.
    pub fn new(bytes: usize) -> Self {
        Self(vec![Cell::new(0); bytes / 4].into_boxed_slice())
    }
    /// Its address, to hand to a driver's `new`.
    pub fn base(&self) -> usize {
        self.0.as_ptr() as usize
    }
    /// The word at `offset`.
    pub fn word(&self, offset: usize) -> u32 {
        self.0[offset / 4].get()
    }
    /// The byte at `offset` (little-endian, as the ARM sees byte registers).
    pub fn byte(&self, offset: usize) -> u8 {
        (self.word(offset & !3) >> ((offset & 3) * 8)) as u8
    }
    /// Whether nothing has been written.
    pub fn all_zero(&self) -> bool {
        self.0.iter().all(|c| c.get() == 0)
    }
    /// Sets the word at `offset` (a register the device would change).
    pub fn set(&self, offset: usize, value: u32) {
        self.0[offset / 4].set(value);
    }
}
