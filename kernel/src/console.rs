//! The kernel console: `print!`/`println!` to the board's UART.
//!
//! One global UART behind a spin lock. Interrupts are masked while the lock is
//! held, so a handler that prints can never deadlock against the code it
//! interrupted.

use crate::sync::IrqLock;
use core::fmt::{self, Write};
use drivers::SerialOut;
use drivers::pl011::Pl011;

static CONSOLE: IrqLock<Option<Pl011>> = IrqLock::new(None);

/// Starts the console on the UART whose registers are mapped at `base`.
///
/// # Safety
/// `base` must map the board's console UART registers as device memory for as
/// long as the console uses it (until the next `init`).
pub unsafe fn init(base: usize) {
    // SAFETY: the caller guarantees base maps the console UART.
    let uart = unsafe { Pl011::new(base) };
    uart.init(crate::BOARD.console.clock_hz, crate::BOARD.console_baud);
    *CONSOLE.lock() = Some(uart);
}

struct Writer<'a>(&'a Pl011);

impl Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.0.write_byte(b'\r');
            }
            self.0.write_byte(b);
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    if let Some(uart) = CONSOLE.lock().as_ref() {
        let _ = Writer(uart).write_fmt(args);
    }
}

/// Prints even if the console lock is held (used by the panic handler, which
/// may run while the lock's owner can never release it).
pub fn emergency_print(args: fmt::Arguments) {
    if CONSOLE.is_locked() {
        // SAFETY: we are on the panic path on the only core; whoever held the
        // lock will never run again.
        unsafe { CONSOLE.force_unlock() };
    }
    _print(args);
}

/// Waits until everything printed has left the UART.
pub fn flush() {
    if let Some(uart) = CONSOLE.lock().as_ref() {
        uart.flush();
    }
}

/// Prints to the kernel console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

/// Prints a line to the kernel console.
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::_print(format_args!("{}\n", format_args!($($arg)*))));
}
