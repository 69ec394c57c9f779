//! The kernel console: `print!`/`println!` and user `write` to the board's
//! UART, through a ring buffer, never spinning on the UART with IRQs masked.
//!
//! - Output goes into an 8 KiB [`ring`] behind an IRQ-masking lock, held for
//!   one bounded copy: a `print!` formats into a 64-byte buffer on the
//!   caller's stack with IRQs enabled and pushes it chunk by chunk; a user
//!   `write` is copied from user memory and pushed in chunks of the same
//!   size. The UART side ([`drain`]) sends the ring in bursts of at most 16
//!   bytes, from its transmit interrupt (or, on a UART as fast as
//!   the CPU, from the writers and a lowest-priority thread).
//! - When the ring is full, a caller that can wait (a thread with IRQs
//!   enabled, not in the trap path, after [`start`]) blocks on a semaphore
//!   the drain signals once the ring is half empty; one that cannot (IRQs
//!   masked, an interrupt or abort handler, a hard task's `write`) has its
//!   output dropped and counted: [`stats`], and [`print_status`] prints
//!   "console: N bytes dropped". A kernel `print!` chunk is queued whole or
//!   dropped whole, so lines of up to 64 bytes from different threads never
//!   interleave.
//! - Before [`start`] (early boot, IRQs masked anyway) the console writes
//!   synchronously. The panic and crash-report paths use [`emergency_print`],
//!   which sends what the ring holds and then writes synchronously for the
//!   rest of the run; [`flush`] (called by `kernel::exit`) sends the ring
//!   synchronously so no output is lost at the end of a run.
//!
//! What holds on silicon only on paper: QEMU's UARTs transmit instantly, so
//! under QEMU the transmit interrupt never finds a FIFO still sending; the
//! console runs "parked" (see [`drain`]) and the writers and the drain thread
//! do the bursts. The interrupt-driven steady state (one 16-byte burst per
//! FIFO drain: every 8 bytes sent, 0.7 ms, on a PL011 with its trigger at
//! half; every 16 bytes, 1.4 ms, on a Cadence UART, whose TEMPTY interrupt
//! comes when its FIFO is empty, at 115200 baud), writers blocking on a ring
//! that really stays full (87 us per byte), PL011's level-crossing rule for
//! priming, and the cost of a burst in device-register cycles (one status
//! read and one data write per byte, uncached) are untested here. The test
//! `console_flood` drives the blocking path by holding the interrupt back at
//! the GIC instead.

pub mod ring;

#[cfg(target_os = "none")]
pub mod drain;

/// Bytes a writer formats or copies before pushing them into the ring.
pub const CHUNK: usize = 64;

/// Copies `input` to `out` as console text: printable ASCII and `\n` stay
/// (`\n` becomes `\r\n`), anything else becomes `?`. Stops when `out` has no
/// room for the next character; returns (input bytes consumed, output bytes
/// written).
pub fn to_text(input: &[u8], out: &mut [u8]) -> (usize, usize) {
    let mut o = 0;
    for (i, &b) in input.iter().enumerate() {
        let text: &[u8] = match b {
            b'\n' => b"\r\n",
            0x20..0x7F => core::slice::from_ref(&input[i]),
            _ => b"?",
        };
        if o + text.len() > out.len() {
            return (i, o);
        }
        out[o..o + text.len()].copy_from_slice(text);
        o += text.len();
    }
    (input.len(), o)
}

#[cfg(target_os = "none")]
pub use target::*;

#[cfg(target_os = "none")]
mod target {
    use super::drain::{self, Console, Tx, Uart};
    use super::ring::Stats;
    use super::{CHUNK, to_text};
    use crate::board::UartKind;
    use crate::sync::IrqLock;
    use core::fmt::{self, Write};
    use drivers::cadence_uart::CadenceUart;
    use drivers::gic::Trigger;
    use drivers::pl011::Pl011;

    /// The console: UART, ring and transmitter state, behind one lock.
    pub(super) static CONSOLE: IrqLock<Console> = IrqLock::new(Console::new());

    /// Starts the console on the UART whose registers are mapped at `base`.
    ///
    /// # Safety
    /// `base` must map the board's console UART registers as device memory
    /// for as long as the console uses it (until the next `init`).
    pub unsafe fn init(base: usize) {
        let console = &crate::BOARD.console;
        let baud = crate::BOARD.console_baud;
        let uart = match console.kind {
            UartKind::Pl011 => {
                // SAFETY: the caller guarantees base maps the console UART,
                // which the board says is a PL011.
                let uart = unsafe { Pl011::new(base) };
                uart.init(console.clock_hz, baud);
                Uart::Pl011(uart)
            }
            UartKind::Cadence => {
                // SAFETY: as above, a Cadence UART.
                let uart = unsafe { CadenceUart::new(base) };
                // A rate the divisors cannot make leaves the UART as the boot
                // loader set it: better than no console at all. build.rs
                // checks the board's clock and baud rate are not 0.
                let _ = uart.init(console.clock_hz, baud);
                Uart::Cadence(uart)
            }
        };
        let mut c = CONSOLE.lock();
        // Whatever is queued goes out through the old mapping first.
        c.drain_sync();
        // The previous UART (the early mapping of the same device) is
        // dropped: drivers own no resources beyond their registers.
        c.uart = Some(uart);
    }

    /// Reprograms the console UART's baud-rate divisors for a reference
    /// clock of `clock_hz` (learnt from the hardware after the early
    /// console started with the board file's value), after sending
    /// everything queued. Boot only (before [`start`]).
    pub fn set_uart_clock(clock_hz: u32) {
        let baud = crate::BOARD.console_baud;
        let mut c = CONSOLE.lock();
        c.drain_sync();
        match c.uart.as_ref() {
            Some(Uart::Pl011(u)) => u.init(clock_hz, baud),
            Some(Uart::Cadence(u)) => {
                // Out of range: keep the divisors there are.
                let _ = u.init(clock_hz, baud);
            }
            None => {}
        }
    }

    /// Switches the console to buffered output: starts the drain thread and
    /// takes the UART's interrupt. Called once by boot, after the scheduler
    /// and the GIC are up.
    pub fn start() {
        drain::spawn_drain_thread();
        crate::irq::register(crate::BOARD.console.irq, Trigger::Level, drain::on_irq)
            .expect("console IRQ");
        CONSOLE.lock().buffered = true;
    }

    /// How a writer's bytes may be split.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Fit {
        /// All in or all dropped (a kernel `print!` chunk).
        Whole,
        /// As much as fits now, the rest later (a user `write`).
        Partial,
    }

    /// Whether the caller may block for room in the ring.
    fn can_block() -> bool {
        arch::cpu::interrupts_enabled() && !crate::context::in_irq_handler()
    }

    /// Queues `bytes` (console text already): waits for room where the
    /// caller can, else drops and counts what does not fit.
    fn write_bytes(mut bytes: &[u8], fit: Fit, may_block: bool) {
        enum Next {
            Done,
            Wait,
            Retry,
        }
        let fit = if bytes.len() > drain::RING_BYTES {
            Fit::Partial
        } else {
            fit
        };
        let block = may_block && can_block();
        loop {
            let signal = drain::may_signal();
            // Two short IRQs-masked windows rather than one: the copy in,
            // then one burst out.
            let n = {
                let mut c = CONSOLE.lock();
                if !c.buffered {
                    c.write_sync(bytes);
                    return;
                }
                match fit {
                    Fit::Whole if c.ring.push_whole(bytes) => bytes.len(),
                    Fit::Whole => 0,
                    Fit::Partial => c.ring.push(bytes),
                }
            };
            bytes = &bytes[n..];
            let (wake, next) = {
                let mut c = CONSOLE.lock();
                let wake = c.kick(signal);
                let next = if bytes.is_empty() {
                    Next::Done
                } else if !block {
                    c.ring.count_dropped(bytes.len());
                    Next::Done
                } else if c.tx == Tx::Armed {
                    // The interrupt will make room and signal us.
                    c.waiting += 1;
                    Next::Wait
                } else {
                    // Parked: our own pump just made room; go again.
                    Next::Retry
                };
                (wake, next)
            };
            wake.run();
            match next {
                Next::Done => return,
                Next::Wait => drain::SPACE.take(),
                Next::Retry => {}
            }
        }
    }

    /// A `print!` in progress: console text in a stack buffer, pushed into
    /// the ring in chunks of [`CHUNK`] bytes.
    struct Chunker {
        buf: [u8; CHUNK],
        len: usize,
    }

    impl Chunker {
        fn put(&mut self, b: u8) {
            if self.len == CHUNK {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }

        fn flush(&mut self) {
            if self.len > 0 {
                write_bytes(&self.buf[..self.len], Fit::Whole, true);
                self.len = 0;
            }
        }
    }

    impl Write for Chunker {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for b in s.bytes() {
                if b == b'\n' {
                    self.put(b'\r');
                }
                self.put(b);
            }
            Ok(())
        }
    }

    #[doc(hidden)]
    pub fn _print(args: fmt::Arguments) {
        let mut w = Chunker {
            buf: [0; CHUNK],
            len: 0,
        };
        let _ = w.write_fmt(args);
        w.flush();
    }

    /// Writes bytes from a task as console text (see [`to_text`]). With
    /// `may_block`, waits for room when the ring is full, like a kernel
    /// thread's `print!`; without it (a hard task, which must never wait on
    /// a soft task's output) the bytes that do not fit are dropped and
    /// counted.
    pub fn write_text(mut bytes: &[u8], may_block: bool) {
        let mut out = [0u8; CHUNK];
        while !bytes.is_empty() {
            let (used, n) = to_text(bytes, &mut out);
            write_bytes(&out[..n], Fit::Partial, may_block);
            bytes = &bytes[used..];
        }
    }

    /// Prints even if the console lock is held, synchronously: sends what the
    /// ring holds, then `args`. For the panic and crash-report paths, which
    /// end the run: the console stays synchronous afterwards.
    pub fn emergency_print(args: fmt::Arguments) {
        if CONSOLE.is_locked() {
            // SAFETY: we are on the panic or crash path on the only core;
            // whoever held the lock will never run again.
            unsafe { CONSOLE.force_unlock() };
        }
        {
            let mut c = CONSOLE.lock();
            c.drain_sync();
            c.buffered = false;
        }
        _print(args);
    }

    /// Sends everything queued and waits until it has left the UART, with
    /// IRQs masked (`kernel::exit` calls this before the semihosting exit).
    pub fn flush() {
        CONSOLE.lock().drain_sync();
    }

    /// Bytes queued, sent and dropped since boot (early, synchronous output
    /// is not counted).
    pub fn stats() -> Stats {
        CONSOLE.lock().ring.stats()
    }

    /// Bytes dropped because the ring was full.
    pub fn dropped() -> u64 {
        stats().dropped
    }

    /// Prints the console's status line.
    pub fn print_status() {
        let s = stats();
        crate::println!(
            "console: {} bytes queued, {} sent, {} bytes dropped",
            s.queued,
            s.sent,
            s.dropped
        );
    }
}

/// Prints to the kernel console.
#[cfg(target_os = "none")]
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

/// Prints a line to the kernel console.
#[cfg(target_os = "none")]
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::_print(format_args!("{}\n", format_args!($($arg)*))));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_printables_expands_newlines_and_marks_the_rest() {
        let mut out = [0u8; 32];
        let (used, n) = to_text(b"ok\n\t\x1b[1m\xff~", &mut out);
        assert_eq!(used, 10);
        assert_eq!(&out[..n], b"ok\r\n??[1m?~");
    }

    #[test]
    fn text_stops_before_a_character_that_does_not_fit() {
        let mut out = [0u8; 4];
        let (used, n) = to_text(b"abc\nd", &mut out);
        assert_eq!((used, &out[..n]), (3, &b"abc"[..]));
        let (used, n) = to_text(b"\nd", &mut out);
        assert_eq!((used, &out[..n]), (2, &b"\r\nd"[..]));
    }
}
