//! Cadence UART, as in the Xilinx Zynq-7000.
//!
//! Register map and bits from the Zynq-7000 SoC Technical Reference Manual
//! (Xilinx UG585), Appendix B.33 "UART Controller (UART)", and chapter 19 for
//! the baud rate generator. Polled transmit and receive ([`SerialOut`]), or
//! transmit in bursts driven by the "transmit FIFO empty" interrupt
//! ([`BurstTx`]).
//!
//! TEMPTY in Chnl_int_sts is a sticky event: [`BurstTx::fill_tx`] clears it
//! before it writes, so an interrupt unmasked after the fill reports the FIFO
//! becoming empty after it. (TTRIG, at a programmable level, would let the
//! handler refill before the line goes idle; at 64 bytes a FIFO lasts 5.6 ms
//! at 115200 baud, so the gap of one interrupt latency is not worth it.)
//! QEMU's model (16-byte FIFO) transmits instantly and recomputes the status
//! bits on every access, so TEMPTY is always set there.

use crate::{BurstTx, SerialOut};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    /// Control_reg0 (UG585 B.33).
    CONTROL [
        /// Stop transmitter break.
        STPBRK OFFSET(8) NUMBITS(1) [],
        /// Transmit disable; overrides TXEN.
        TXDIS OFFSET(5) NUMBITS(1) [],
        /// Transmit enable.
        TXEN OFFSET(4) NUMBITS(1) [],
        /// Receive disable; overrides RXEN.
        RXDIS OFFSET(3) NUMBITS(1) [],
        /// Receive enable.
        RXEN OFFSET(2) NUMBITS(1) [],
        /// Reset the transmit path and FIFO; clears itself when done.
        TXRES OFFSET(1) NUMBITS(1) [],
        /// Reset the receive path and FIFO; clears itself when done.
        RXRES OFFSET(0) NUMBITS(1) []
    ],
    /// mode_reg0 (UG585 B.33).
    MODE [
        /// Channel mode.
        CHMODE OFFSET(8) NUMBITS(2) [Normal = 0b00, AutoEcho = 0b01, LocalLoopback = 0b10],
        /// Stop bits.
        NBSTOP OFFSET(6) NUMBITS(2) [One = 0b00, OneAndHalf = 0b01, Two = 0b10],
        /// Parity; any value 0b1xx means none.
        PAR OFFSET(3) NUMBITS(3) [Even = 0b000, Odd = 0b001, NoParity = 0b100],
        /// Character length; 0b0x means 8 bits.
        CHRL OFFSET(1) NUMBITS(2) [Eight = 0b00, Seven = 0b10, Six = 0b11],
        /// Baud generator input: uart_ref_clk, or uart_ref_clk / 8.
        CLKS OFFSET(0) NUMBITS(1) [RefClk = 0, RefClkDiv8 = 1]
    ],
    /// Channel_sts_reg0 (UG585 B.33).
    CHANNEL_STS [
        /// Transmitter state machine active.
        TACTIVE OFFSET(11) NUMBITS(1) [],
        /// Transmit FIFO full.
        TFUL OFFSET(4) NUMBITS(1) [],
        /// Transmit FIFO empty.
        TEMPTY OFFSET(3) NUMBITS(1) [],
        /// Receive FIFO empty.
        REMPTY OFFSET(1) NUMBITS(1) []
    ]
];

register_structs! {
    /// Cadence UART register block (UG585 B.33).
    pub CadenceUartRegisters {
        (0x00 => control: ReadWrite<u32, CONTROL::Register>),
        (0x04 => mode: ReadWrite<u32, MODE::Register>),
        (0x08 => intrpt_en: WriteOnly<u32>),
        (0x0C => intrpt_dis: WriteOnly<u32>),
        (0x10 => _reserved1),
        (0x14 => chnl_int_sts: WriteOnly<u32>),
        (0x18 => baud_rate_gen: ReadWrite<u32>),
        (0x1C => _reserved2),
        (0x2C => channel_sts: ReadOnly<u32, CHANNEL_STS::Register>),
        (0x30 => tx_rx_fifo: ReadWrite<u32>),
        (0x34 => baud_rate_divider: ReadWrite<u32>),
        (0x38 => _reserved3),
        (0x48 => @END),
    }
}

/// Every interrupt source bit of Intrpt_dis and Chnl_int_sts (bits 12:0).
const ALL_INTERRUPTS: u32 = 0x1FFF;
/// The "transmit FIFO empty" bit of Intrpt_en, Intrpt_dis, Chnl_int_sts.
const INT_TEMPTY: u32 = 1 << 3;

/// Why `CadenceUart::init` refused; nothing was written when it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UartError {
    /// The baud rate is outside what the generator can make from this
    /// reference clock: ref / 5 (CD 1, BDIV 4) down to ref / (65535 * 256).
    BaudOutOfRange,
}

/// Baud rate generator settings: baud = ref / (CD * (BDIV + 1)) (UG585 19.2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaudDivisors {
    /// Baud_rate_gen.CD, 1..=65535 (1 bypasses the divider).
    pub cd: u16,
    /// Baud_rate_divider.BDIV, 4..=255 (smaller values are ignored).
    pub bdiv: u8,
    /// The baud rate these give, rounded down.
    pub baud: u32,
}

/// The divisors giving the rate nearest `baud` from `ref_clock_hz`, trying
/// every BDIV (the smallest BDIV wins a tie), or `None` if `baud` is outside
/// ref / 5 ..= ref / (65535 * 256).
pub fn baud_divisors(ref_clock_hz: u32, baud: u32) -> Option<BaudDivisors> {
    let (clock, wanted) = (ref_clock_hz as u64, baud as u64);
    if wanted == 0 || wanted * 5 > clock || wanted * (u16::MAX as u64 * 256) < clock {
        return None;
    }
    let mut best: Option<(u64, BaudDivisors)> = None;
    for bdiv in 4..=255u64 {
        let floor = clock / (wanted * (bdiv + 1));
        for cd in [floor, floor + 1] {
            if !(1..=u16::MAX as u64).contains(&cd) {
                continue;
            }
            let actual = clock / (cd * (bdiv + 1));
            let error = actual.abs_diff(wanted);
            if best.is_none_or(|(best_error, _)| error < best_error) {
                let divisors = BaudDivisors {
                    cd: cd as u16,
                    bdiv: bdiv as u8,
                    baud: actual as u32,
                };
                best = Some((error, divisors));
            }
        }
    }
    best.map(|(_, divisors)| divisors)
}

/// A Cadence UART.
pub struct CadenceUart {
    regs: &'static CadenceUartRegisters,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes; sharing the driver between
// contexts is serialised by its owner (the console lock).
unsafe impl Send for CadenceUart {}

impl CadenceUart {
    /// Depth of the transmit FIFO (UG585 19.2.4).
    pub const TX_FIFO_DEPTH: usize = 64;

    /// Creates the driver for the registers mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of a Cadence UART's registers,
    /// mapped as device memory for as long as the driver lives, and this must
    /// be the only driver instance for that UART.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps a Cadence UART.
        let regs = unsafe { &*(base as *const CadenceUartRegisters) };
        Self { regs }
    }

    /// Programs 8N1 in normal mode at the rate nearest `baud` from a
    /// uart_ref_clk of `ref_clock_hz`, interrupts off, resets both FIFOs and
    /// enables the transmitter and receiver. Returns the baud rate obtained;
    /// how far from `baud` is acceptable is the caller's choice.
    pub fn init(&self, ref_clock_hz: u32, baud: u32) -> Result<u32, UartError> {
        let divisors = baud_divisors(ref_clock_hz, baud).ok_or(UartError::BaudOutOfRange)?;
        if self
            .regs
            .control
            .matches_all(CONTROL::TXEN::SET + CONTROL::TXDIS::CLEAR)
        {
            self.flush();
        }
        self.regs
            .control
            .write(CONTROL::TXDIS::SET + CONTROL::RXDIS::SET);
        self.regs.intrpt_dis.set(ALL_INTERRUPTS);
        self.regs.chnl_int_sts.set(ALL_INTERRUPTS);
        self.regs.baud_rate_gen.set(divisors.cd as u32);
        self.regs.baud_rate_divider.set(divisors.bdiv as u32);
        // Mode after the divisors: QEMU's model recomputes its rate on mode
        // writes only.
        self.regs.mode.write(
            MODE::CHMODE::Normal
                + MODE::NBSTOP::One
                + MODE::PAR::NoParity
                + MODE::CHRL::Eight
                + MODE::CLKS::RefClk,
        );
        self.regs.control.write(
            CONTROL::TXRES::SET + CONTROL::RXRES::SET + CONTROL::TXDIS::SET + CONTROL::RXDIS::SET,
        );
        while self
            .regs
            .control
            .any_matching_bits_set(CONTROL::TXRES::SET + CONTROL::RXRES::SET)
        {}
        self.regs
            .control
            .write(CONTROL::TXEN::SET + CONTROL::RXEN::SET + CONTROL::STPBRK::SET);
        Ok(divisors.baud)
    }

    /// Takes one received byte, if the receive FIFO holds any.
    pub fn read_byte(&self) -> Option<u8> {
        if self.regs.channel_sts.is_set(CHANNEL_STS::REMPTY) {
            None
        } else {
            Some(self.regs.tx_rx_fifo.get() as u8)
        }
    }
}

impl SerialOut for CadenceUart {
    fn write_byte(&self, byte: u8) {
        while self.regs.channel_sts.is_set(CHANNEL_STS::TFUL) {}
        self.regs.tx_rx_fifo.set(byte as u32);
    }

    fn flush(&self) {
        while !self.regs.channel_sts.is_set(CHANNEL_STS::TEMPTY)
            || self.regs.channel_sts.is_set(CHANNEL_STS::TACTIVE)
        {}
    }
}

impl BurstTx for CadenceUart {
    fn fill_tx(&self, bytes: &[u8]) -> usize {
        self.regs.chnl_int_sts.set(INT_TEMPTY);
        let mut n = 0;
        while n < bytes.len() && !self.regs.channel_sts.is_set(CHANNEL_STS::TFUL) {
            self.regs.tx_rx_fifo.set(bytes[n] as u32);
            n += 1;
        }
        n
    }

    fn tx_empty(&self) -> bool {
        self.regs.channel_sts.is_set(CHANNEL_STS::TEMPTY)
    }

    fn set_tx_interrupt(&self, on: bool) {
        if on {
            self.regs.intrpt_en.set(INT_TEMPTY);
        } else {
            self.regs.intrpt_dis.set(INT_TEMPTY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fake::Fake;

    fn uart() -> (Fake, CadenceUart) {
        let fake = Fake::new(0x48);
        // SAFETY: the fake block is as large as the register block and
        // outlives the driver.
        let uart = unsafe { CadenceUart::new(fake.base()) };
        (fake, uart)
    }

    /// The rate QEMU's model and the hardware derive from the registers.
    fn rate(clock: u32, d: BaudDivisors) -> u32 {
        clock / (d.cd as u32 * (d.bdiv as u32 + 1))
    }

    #[test]
    fn common_rates_within_one_percent() {
        for clock in [100_000_000, 50_000_000, 33_333_333] {
            for baud in [9_600, 115_200, 921_600] {
                let d = baud_divisors(clock, baud).unwrap();
                assert!((4..=255).contains(&d.bdiv) && d.cd >= 1);
                assert_eq!(rate(clock, d), d.baud);
                let error = d.baud.abs_diff(baud) as f64 / baud as f64;
                assert!(error < 0.01, "{clock} Hz, {baud} baud: {d:?}");
            }
        }
    }

    #[test]
    fn divisor_search_finds_the_best_pair() {
        let d = baud_divisors(100_000_000, 115_200).unwrap();
        let best = (4..=255u32)
            .flat_map(|bdiv| (1..=65535u32).map(move |cd| (cd, bdiv)))
            .map(|(cd, bdiv)| (100_000_000 / (cd * (bdiv + 1))).abs_diff(115_200))
            .min()
            .unwrap();
        assert_eq!(d.baud.abs_diff(115_200), best);
    }

    #[test]
    fn unreachable_rates_are_refused() {
        assert_eq!(baud_divisors(100_000_000, 0), None);
        assert_eq!(baud_divisors(100_000_000, 20_000_001), None);
        assert_eq!(baud_divisors(100_000_000, 5), None);
        let fastest = BaudDivisors {
            cd: 1,
            bdiv: 4,
            baud: 20_000_000,
        };
        assert_eq!(baud_divisors(100_000_000, 20_000_000), Some(fastest));
        assert_eq!(baud_divisors(100_000_000, 6).map(|d| d.baud), Some(6));
        let (fake, uart) = uart();
        assert_eq!(uart.init(100_000_000, 0), Err(UartError::BaudOutOfRange));
        assert!((0..0x48).step_by(4).all(|offset| fake.word(offset) == 0));
    }

    #[test]
    fn write_byte_and_flush_follow_the_status_bits() {
        let (fake, uart) = uart();
        uart.write_byte(b'A');
        assert_eq!(fake.word(0x30), b'A' as u32);
        fake.set(0x2C, 1 << 3);
        uart.flush();
    }

    #[test]
    fn fill_clears_tempty_first_and_stops_when_full() {
        let (fake, uart) = uart();
        assert_eq!(uart.fill_tx(b"hello"), 5);
        assert_eq!(fake.word(0x14), 1 << 3);
        assert_eq!(fake.word(0x30), b'o' as u32);
        fake.set(0x2C, 1 << 4);
        assert_eq!(uart.fill_tx(b"x"), 0);
        assert_eq!(fake.word(0x30), b'o' as u32);
        assert!(!uart.tx_empty());
        fake.set(0x2C, 1 << 3);
        assert!(uart.tx_empty());
    }

    #[test]
    fn tx_interrupt_enable_and_disable_touch_only_tempty() {
        let (fake, uart) = uart();
        uart.set_tx_interrupt(true);
        assert_eq!((fake.word(0x08), fake.word(0x0C)), (1 << 3, 0));
        uart.set_tx_interrupt(false);
        assert_eq!(fake.word(0x0C), 1 << 3);
    }

    #[test]
    fn read_byte_only_when_the_receive_fifo_has_data() {
        let (fake, uart) = uart();
        fake.set(0x2C, 1 << 1);
        fake.set(0x30, b'x' as u32);
        assert_eq!(uart.read_byte(), None);
        fake.set(0x2C, 0);
        assert_eq!(uart.read_byte(), Some(b'x'));
    }
}
