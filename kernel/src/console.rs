//! The kernel console: `print!`/`println!` to the board's UART.
//!
//! One global UART behind a spin lock. Interrupts are masked while the lock is
//! held, so a handler that prints can never deadlock against the code it
//! interrupted. The UART model comes from the board (`BOARD.console.kind`): a
//! PL011 (Versatile Express, RealView) or a Cadence UART (Zynq-7000).

use crate::board::UartKind;
use crate::sync::IrqLock;
use core::fmt::{self, Write};
use drivers::SerialOut;
use drivers::cadence_uart::CadenceUart;
use drivers::pl011::Pl011;

/// The console's UART, whichever model the board has.
enum Uart {
    Pl011(Pl011),
    Cadence(CadenceUart),
}

impl SerialOut for Uart {
    fn write_byte(&self, byte: u8) {
        match self {
            Uart::Pl011(u) => u.write_byte(byte),
            Uart::Cadence(u) => u.write_byte(byte),
        }
    }

    fn flush(&self) {
        match self {
            Uart::Pl011(u) => u.flush(),
            Uart::Cadence(u) => u.flush(),
        }
    }
}

static CONSOLE: IrqLock<Option<Uart>> = IrqLock::new(None);

/// Starts the console on the UART whose registers are mapped at `base`.
///
/// # Safety
/// `base` must map the board's console UART registers as device memory for as
/// long as the console uses it (until the next `init`).
pub unsafe fn init(base: usize) {
    let console = &crate::BOARD.console;
    let baud = crate::BOARD.console_baud;
    let uart = match console.kind {
        UartKind::Pl011 => {
            // SAFETY: the caller guarantees base maps the console UART, which
            // the board says is a PL011.
            let uart = unsafe { Pl011::new(base) };
            uart.init(console.clock_hz, baud);
            Uart::Pl011(uart)
        }
        UartKind::Cadence => {
            // SAFETY: as above, a Cadence UART.
            let uart = unsafe { CadenceUart::new(base) };
            // A rate the divisors cannot make leaves the UART as the boot
            // loader set it: better than no console at all. build.rs checks
            // the board's clock and baud rate are not 0.
            let _ = uart.init(console.clock_hz, baud);
            Uart::Cadence(uart)
        }
    };
    // The previous UART (the early mapping of the same device) is dropped:
    // drivers own no resources beyond their registers.
    *CONSOLE.lock() = Some(uart);
}

struct Writer<'a>(&'a Uart);

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
