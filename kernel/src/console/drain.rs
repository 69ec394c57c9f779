//! The UART side of the console: moving the ring's bytes to the UART in
//! bounded bursts, and who does it when.
//!
//! One step is a *pump*: at most [`BURST`] bytes (a PL011's transmit FIFO, a
//! quarter of a Cadence UART's) move from the ring to the UART, with the
//! console lock held (IRQs masked) for that burst only: one status read and
//! one data write per byte. After a pump the transmitter is in one of three
//! states:
//!
//! - [`Tx::Idle`]: the ring is empty; the transmit interrupt is masked.
//! - [`Tx::Armed`]: bytes remain and the FIFO still holds some; the transmit
//!   interrupt is unmasked and its handler pumps again when the FIFO has
//!   drained (PL011: to half full; Cadence: empty). This is the steady state
//!   of a real UART, which sends a byte in 87 us at 115200 baud: one burst
//!   per 8 (PL011) or 16 (Cadence) bytes sent, paid by whoever is running
//!   when the interrupt comes.
//! - [`Tx::Parked`]: bytes remain but the FIFO is already empty: the UART
//!   keeps up with the CPU (QEMU's models transmit instantly). An armed
//!   interrupt would then come back at once after every burst, an interrupt
//!   storm that starves every thread, hard ones included, until the ring is
//!   empty. So the interrupt is masked and the work goes to threads instead:
//!   a writer that finds the ring full pumps it itself (it pays for its own
//!   output, at its own priority), and the [`drain thread`](drain_thread), at
//!   the lowest priority above idle, empties what is left when nobody else
//!   wants the CPU.
//!
//! A pump also wakes writers blocked for room (see `console::write_bytes`)
//! once the ring is down to half full, and the drain thread when it parks.
//! It only signals where [`Semaphore::give`] is safe (an interrupt handler,
//! or a thread with IRQs enabled, the scheduler unlocked); elsewhere (an
//! abort handler's kill report, a thread inside an IRQ-masking lock) it
//! leaves the transmit interrupt armed, so that the handler signals as soon
//! as IRQs are unmasked.

use super::ring::Ring;
use crate::thread::{self, sync::Semaphore};
use drivers::cadence_uart::CadenceUart;
use drivers::pl011::Pl011;
use drivers::{BurstTx, SerialOut};

const _: () = assert!(BURST <= Pl011::TX_FIFO_DEPTH && BURST <= CadenceUart::TX_FIFO_DEPTH);

/// Bytes of output the console holds (8 KiB: 0.7 s of text at 115200 baud).
pub const RING_BYTES: usize = 8192;

/// Most bytes one pump moves: it bounds the IRQs-masked window of a pump
/// (measured under QEMU by tests/src/bin/console_flood.rs).
pub const BURST: usize = 16;

/// Writers blocked for room are woken when the ring is down to this.
const LOW_WATER: usize = RING_BYTES / 2;

/// Priority of the drain thread: the lowest above idle.
const DRAIN_PRIORITY: u8 = thread::IDLE_PRIORITY - 1;

/// The console's UART, whichever model the board has.
pub enum Uart {
    /// An ARM PL011.
    Pl011(Pl011),
    /// A Cadence UART.
    Cadence(CadenceUart),
}

impl Uart {
    fn serial(&self) -> &dyn SerialOut {
        match self {
            Uart::Pl011(u) => u,
            Uart::Cadence(u) => u,
        }
    }

    fn burst(&self) -> &dyn BurstTx {
        match self {
            Uart::Pl011(u) => u,
            Uart::Cadence(u) => u,
        }
    }
}

/// Where the transmitter stands (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tx {
    /// Nothing to send; interrupt masked.
    Idle,
    /// Sending; the transmit interrupt will pump again.
    Armed,
    /// Bytes wait for a thread to pump them; interrupt masked.
    Parked,
}

/// Everything behind the console lock.
pub struct Console {
    /// The UART, once `console::init` has run.
    pub uart: Option<Uart>,
    /// Output not yet handed to the UART.
    pub ring: Ring<RING_BYTES>,
    /// Whether output goes through the ring (after `console::start`) or
    /// straight to the UART (early boot, and for good after an emergency).
    pub buffered: bool,
    /// The transmitter's state.
    pub tx: Tx,
    /// Writers blocked on [`SPACE`], each owed one unit.
    pub waiting: u32,
    /// The drain thread has been signalled and not yet found nothing to do.
    drain_signalled: bool,
}

/// Semaphore that writers blocked for room wait on.
pub static SPACE: Semaphore = Semaphore::new(0);
/// Semaphore the drain thread waits on.
static DRAIN: Semaphore = Semaphore::new(0);

/// Signals owed after a pump, given once the console lock is released.
#[must_use]
#[derive(Default)]
pub struct Wake {
    writers: u32,
    drain: bool,
}

impl Wake {
    /// Gives the units owed.
    pub fn run(self) {
        for _ in 0..self.writers {
            SPACE.give();
        }
        if self.drain {
            DRAIN.give();
        }
    }
}

/// Whether this context may give a semaphore now (ask before taking the
/// console lock, which masks IRQs).
pub fn may_signal() -> bool {
    !thread::SCHED.is_locked()
        && (crate::context::in_irq_handler() || arch::cpu::interrupts_enabled())
}

impl Console {
    /// A console with no UART yet, writing synchronously.
    pub const fn new() -> Self {
        Self {
            uart: None,
            ring: Ring::new(),
            buffered: false,
            tx: Tx::Idle,
            waiting: 0,
            drain_signalled: false,
        }
    }

    /// Moves one burst from the ring to the UART and updates [`Self::tx`];
    /// `signal`: what [`may_signal`] said before the lock was taken.
    pub fn pump(&mut self, signal: bool) -> Wake {
        let mut wake = Wake::default();
        let Some(uart) = &self.uart else {
            return wake;
        };
        let tx = uart.burst();
        let ring = &mut self.ring;
        let mut budget = BURST;
        // At most two slices: the ring's bytes may wrap around its end.
        for _ in 0..2 {
            let bytes = ring.readable();
            let want = bytes.len().min(budget);
            let n = tx.fill_tx(&bytes[..want]);
            ring.consume(n);
            budget -= n;
            if n == 0 || n < want {
                break;
            }
        }
        let next = if ring.is_empty() {
            Tx::Idle
        } else if !tx.tx_empty() || !signal {
            Tx::Armed
        } else {
            Tx::Parked
        };
        if next == Tx::Armed {
            if self.tx != Tx::Armed {
                tx.set_tx_interrupt(true);
            }
        } else {
            tx.set_tx_interrupt(false);
        }
        self.tx = next;
        if next == Tx::Parked && !self.drain_signalled {
            self.drain_signalled = true;
            wake.drain = true;
        }
        if signal && self.waiting > 0 && (next == Tx::Parked || ring.len() <= LOW_WATER) {
            wake.writers = core::mem::take(&mut self.waiting);
        }
        wake
    }

    /// After a push: starts the transmitter unless its interrupt is coming.
    pub fn kick(&mut self, signal: bool) -> Wake {
        if self.tx == Tx::Armed {
            Wake::default()
        } else {
            self.pump(signal)
        }
    }

    /// Sends everything queued, waiting on the UART (IRQs masked: only for
    /// the end of a run and the emergency path).
    pub fn drain_sync(&mut self) {
        let Some(uart) = &self.uart else { return };
        uart.burst().set_tx_interrupt(false);
        self.tx = Tx::Idle;
        let out = uart.serial();
        while let Some(b) = self.ring.pop() {
            out.write_byte(b);
        }
        out.flush();
    }

    /// Writes `bytes` straight to the UART, waiting on it.
    pub fn write_sync(&self, bytes: &[u8]) {
        if let Some(uart) = &self.uart {
            let out = uart.serial();
            for &b in bytes {
                out.write_byte(b);
            }
        }
    }
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

/// The console's interrupt handler: one burst.
pub fn on_irq(_irq: u32) {
    let wake = super::CONSOLE.lock().pump(true);
    wake.run();
}

/// Empties a parked ring, one burst at a time with IRQs enabled in
/// between, at the lowest priority above idle.
pub fn drain_thread() {
    loop {
        DRAIN.take();
        loop {
            let wake = {
                let mut c = super::CONSOLE.lock();
                if c.tx != Tx::Parked {
                    c.drain_signalled = false;
                    break;
                }
                c.pump(true)
            };
            wake.run();
        }
    }
}

/// Starts the drain thread.
pub fn spawn_drain_thread() {
    thread::spawn("console", DRAIN_PRIORITY, drain_thread).expect("console drain thread");
}
