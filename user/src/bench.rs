//! What the `bench_*` programs share: the clock read from user mode and the
//! mailbox that carries their samples to the benchmark image.
//!
//! The clock is the Cortex-A9 global timer, granted to the program as device 0
//! and mapped with `map_device`: its counter's low word is one load away.
//! Mailbox protocol (the reader is `kernel/src/bin/bench.rs`): 8 KiB of
//! anonymous memory, the program's only `mmap`, filled with u32 words: `[0]`
//! magic `BNCH`, `[1]` number of data words, `[2]` the empty measurement (what
//! two back-to-back clock reads differ by, in ticks), `[3]` the period in ns
//! (periodic programs, else 0), data from `[8]`. The header is written last,
//! so a mailbox with the magic is complete.

use crate::{PROT_READ, PROT_WRITE};

/// Mailbox size in bytes.
pub const MAILBOX_LEN: u32 = 8192;
/// First data word.
pub const DATA: usize = 8;
/// Data words that fit.
pub const CAPACITY: usize = MAILBOX_LEN as usize / 4 - DATA;
const MAGIC: u32 = u32::from_le_bytes(*b"BNCH");

/// The clock and the mailbox of a benchmark program.
pub struct Bench {
    timer: *const u32,
    mailbox: *mut u32,
}

impl Bench {
    /// Maps the clock (device 0) and the mailbox; `Err` carries the exit
    /// code for the step that failed (1: clock, 2: mailbox).
    pub fn new() -> Result<Self, i32> {
        let timer = crate::map_device(0).map_err(|_| 1)?;
        let mailbox = crate::mmap(MAILBOX_LEN, PROT_READ | PROT_WRITE).map_err(|_| 2)?;
        Ok(Self {
            timer,
            mailbox: mailbox.cast(),
        })
    }

    /// [`new`](Self::new), then what two back-to-back reads differ by
    /// ([`empty`](Self::empty)), then a sleep until the absolute time
    /// `start_us` (µs since boot) at which the kernel expects measuring to
    /// begin: every benchmark program's opening.
    pub fn start(start_us: u32) -> Result<(Self, u32), i32> {
        let b = Self::new()?;
        let empty = b.empty();
        crate::sleep_until(u64::from(start_us) * 1000);
        Ok((b, empty))
    }

    /// The global timer's counter (low word).
    #[inline(always)]
    pub fn now(&self) -> u32 {
        // SAFETY: `timer` maps the global timer's registers; offset 0 is the
        // counter's low word, a side-effect-free read.
        unsafe { self.timer.read_volatile() }
    }

    /// The smallest difference between two back-to-back reads.
    pub fn empty(&self) -> u32 {
        (0..16)
            .map(|_| {
                let a = self.now();
                self.now().wrapping_sub(a)
            })
            .min()
            .unwrap_or(0)
    }

    /// Stores data word `i` (ignored past [`CAPACITY`]).
    #[inline(always)]
    pub fn record(&self, i: usize, value: u32) {
        if i < CAPACITY {
            // SAFETY: DATA + i < the mailbox's words.
            unsafe { self.mailbox.add(DATA + i).write_volatile(value) };
        }
    }

    /// Writes the header: `words` data words, the empty measurement and the
    /// period (0 if none). Call last.
    pub fn finish(&self, words: usize, empty: u32, period_ns: u32) {
        for (i, v) in [MAGIC, words as u32, empty, period_ns]
            .into_iter()
            .enumerate()
        {
            // SAFETY: the header's first words, inside the mailbox.
            unsafe { self.mailbox.add(i).write_volatile(v) };
        }
    }
}
