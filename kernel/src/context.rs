//! Which context the CPU runs in: an interrupt handler or a thread.
//!
//! A leaf module (it uses nothing else of the kernel), so that the locks and
//! the console can ask "may I block here?" without depending on the trap
//! path, which itself prints and takes locks.

use core::sync::atomic::{AtomicBool, Ordering};

static IN_IRQ_HANDLER: AtomicBool = AtomicBool::new(false);

/// Whether the CPU runs an interrupt handler, where nothing may block or
/// call `reschedule()`.
#[inline]
pub fn in_irq_handler() -> bool {
    IN_IRQ_HANDLER.load(Ordering::Relaxed)
}

/// Runs `dispatch` as the interrupt handler context (the trap path only).
#[inline]
pub(crate) fn as_irq_handler(dispatch: impl FnOnce()) {
    IN_IRQ_HANDLER.store(true, Ordering::Relaxed);
    dispatch();
    IN_IRQ_HANDLER.store(false, Ordering::Relaxed);
}
