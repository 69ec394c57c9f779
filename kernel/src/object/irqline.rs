//! IRQ lines driven from user space.
//!
//! An [`IrqLine`] is the right to one interrupt line (a GIC SPI): at most
//! one exists per line (claiming a line someone holds, or one the kernel
//! uses, is [`ClaimError::Busy`]). Its holder binds it to a notification
//! and a set of bits; then each time the line fires the kernel
//!
//! 1. masks the line at the GIC distributor (so a level-triggered device
//!    that keeps asserting cannot storm the CPU), and
//! 2. signals the bits on the notification, which wakes the driver thread.
//!
//! The driver handles the device (reads its status, clears its interrupt)
//! and calls `ack`, which unmasks the line. Until then the line stays
//! masked: a driver that never acks loses only its own interrupts.
//!
//! The line is freed when the object's last reference goes: when its owner
//! closes its handle or dies (a process's handles are closed first thing in
//! its teardown). It is masked, its handler unregistered and its binding
//! dropped, and it can be claimed again.
//!
//! The binding lives in a static table indexed by line, under an
//! [`IrqLock`]: the interrupt handler reads it there, and the table holds a
//! counted reference to the notification, so a notification bound to a line
//! lives as long as the binding, whoever closes their handles to it.

use super::KRef;
use super::notify::Notification;
use crate::irq::{self, IrqError, MAX_IRQS};
use crate::sync::IrqLock;
use crate::thread;
use core::sync::atomic::{AtomicU32, Ordering};

/// What a line is bound to: a notification and the bits it gets.
type Binding = (KRef<Notification>, u32);

/// Each line's binding, for the interrupt handler.
static BOUND: IrqLock<[Option<Binding>; MAX_IRQS]> = IrqLock::new([const { None }; MAX_IRQS]);

/// Interrupts each line has signalled since it was last claimed.
static DELIVERED: [AtomicU32; MAX_IRQS] = [const { AtomicU32::new(0) }; MAX_IRQS];

/// How many times line `irq` has fired and signalled its driver since it
/// was last claimed (0 for a line never claimed): what a driver should
/// have handled, for the demo and tests to check its count against.
pub fn delivered(irq: u32) -> u32 {
    DELIVERED
        .get(irq as usize)
        .map_or(0, |d| d.load(Ordering::Relaxed))
}

/// Why a line could not be claimed or used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimError {
    /// Not an SPI this GIC implements (SGIs and PPIs are the kernel's).
    BadIrq,
    /// Someone holds the line already (another process or the kernel).
    Busy,
    /// No kernel heap left for the object.
    NoMemory,
    /// `bits` of 0 (a binding that could never be seen), or an `ack` of a
    /// line never bound.
    NotBound,
}

impl From<IrqError> for ClaimError {
    fn from(e: IrqError) -> Self {
        match e {
            IrqError::BadIrq => ClaimError::BadIrq,
            IrqError::Busy => ClaimError::Busy,
        }
    }
}

/// The right to one interrupt line; see the module docs.
#[derive(Debug)]
pub struct IrqLine {
    irq: u32,
}

impl IrqLine {
    /// Claims line `irq`, masked and unbound, with level triggering.
    pub fn claim(irq: u32) -> Result<IrqLine, ClaimError> {
        irq::register_masked(irq, on_irq)?;
        DELIVERED[irq as usize].store(0, Ordering::Relaxed);
        Ok(IrqLine { irq })
    }

    /// The GIC interrupt ID.
    pub fn irq(&self) -> u32 {
        self.irq
    }

    /// Binds the line to `notification`, to be signalled with `bits` when
    /// it fires, and unmasks it. A line bound before is rebound (the old
    /// notification's reference is dropped here, outside the table's lock).
    pub fn bind(&self, notification: KRef<Notification>, bits: u32) -> Result<(), ClaimError> {
        if bits == 0 {
            return Err(ClaimError::NotBound);
        }
        let old = BOUND.lock()[self.irq as usize].replace((notification, bits));
        drop(old);
        irq::enable(self.irq)?;
        Ok(())
    }

    /// Unmasks the line after its driver has handled the device.
    pub fn ack(&self) -> Result<(), ClaimError> {
        if BOUND.lock()[self.irq as usize].is_none() {
            return Err(ClaimError::NotBound);
        }
        irq::enable(self.irq)?;
        Ok(())
    }

    /// Whether the line is unmasked at the distributor now (for tests).
    pub fn is_enabled(&self) -> bool {
        irq::is_enabled(self.irq)
    }
}

impl Drop for IrqLine {
    /// Masks and frees the line: its handler is unregistered, its binding
    /// dropped (outside the table's lock).
    fn drop(&mut self) {
        irq::unregister(self.irq);
        let binding = BOUND.lock()[self.irq as usize].take();
        drop(binding);
    }
}

/// The handler of every user-driven line: mask it, signal its binding.
/// (IRQs masked, in the trap path: [`IrqLock`]s only, no allocation.) A
/// driver that outranks everyone is handed the CPU as the trap returns.
fn on_irq(irq: u32) {
    irq::disable(irq);
    let bound = BOUND.lock();
    if let Some((notification, bits)) = &bound[irq as usize] {
        DELIVERED[irq as usize].fetch_add(1, Ordering::Relaxed);
        thread::with(|s| notification.signal_locked(s, *bits, true));
    }
}
