//! ARM Generic Interrupt Controller v1, as in the Cortex-A9 MPCore.
//!
//! Register maps and bits from the ARM Generic Interrupt Controller
//! Architecture Specification v1.0/v2.0 (ARM IHI 0048B), chapter 4
//! "Programmers' Model", and the Cortex-A9 MPCore TRM (ARM DDI 0407) chapter 3.
//! The distributor and the CPU interface are separate register blocks, so they
//! are separate drivers.
//!
//! Interrupt IDs 0-15 are SGIs and 16-31 PPIs: their enable, pending, priority
//! and configuration bits are banked, one copy per CPU, reached at the same
//! address by each CPU. On the Cortex-A9 SGIs are always enabled and the PPIs'
//! trigger is fixed. IDs 32 and up are SPIs, shared by all CPUs. The priority
//! registers keep only the implemented top bits (five on the Cortex-A9).

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields![u32,
    /// Distributor Control Register, GICD_CTLR (IHI 0048B 4.3.1).
    GICD_CTLR [
        /// Forward pending interrupts to the CPU interfaces.
        ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Interrupt Controller Type Register, GICD_TYPER (IHI 0048B 4.3.2).
    GICD_TYPER [
        /// Number of interrupt lines: 32 * (ITLinesNumber + 1).
        IT_LINES_NUMBER OFFSET(0) NUMBITS(5) []
    ],
    /// Software Generated Interrupt Register, GICD_SGIR (IHI 0048B 4.3.15).
    GICD_SGIR [
        /// Which CPUs receive the SGI.
        TARGET_LIST_FILTER OFFSET(24) NUMBITS(2) [
            List = 0b00,
            AllOthers = 0b01,
            Myself = 0b10
        ],
        /// CPU mask used by `TARGET_LIST_FILTER::List`.
        CPU_TARGET_LIST OFFSET(16) NUMBITS(8) [],
        /// SGI interrupt ID, 0-15.
        SGI_INT_ID OFFSET(0) NUMBITS(4) []
    ],
    /// CPU Interface Control Register, GICC_CTLR (IHI 0048B 4.4.1).
    GICC_CTLR [
        /// Signal interrupts to the processor.
        ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Interrupt Acknowledge Register, GICC_IAR (IHI 0048B 4.4.4).
    GICC_IAR [
        /// For SGIs, the CPU that requested the interrupt.
        CPUID OFFSET(10) NUMBITS(3) [],
        /// Interrupt ID.
        INTERRUPT_ID OFFSET(0) NUMBITS(10) []
    ]
];

register_structs! {
    /// GIC distributor register block (IHI 0048B table 4-1).
    pub GicDistributorRegisters {
        (0x000 => ctlr: ReadWrite<u32, GICD_CTLR::Register>),
        (0x004 => typer: ReadOnly<u32, GICD_TYPER::Register>),
        (0x008 => _reserved0),
        (0x100 => isenabler: [ReadWrite<u32>; 32]),
        (0x180 => icenabler: [ReadWrite<u32>; 32]),
        (0x200 => ispendr: [ReadWrite<u32>; 32]),
        (0x280 => icpendr: [ReadWrite<u32>; 32]),
        (0x300 => _reserved1),
        (0x380 => icactiver: [ReadWrite<u32>; 32]),
        (0x400 => ipriorityr: [ReadWrite<u8>; 1020]),
        (0x7FC => _reserved2),
        (0x800 => itargetsr: [ReadWrite<u8>; 1020]),
        (0xBFC => _reserved3),
        (0xC00 => icfgr: [ReadWrite<u32>; 64]),
        (0xD00 => _reserved4),
        (0xF00 => sgir: WriteOnly<u32, GICD_SGIR::Register>),
        (0xF04 => @END),
    }
}

register_structs! {
    /// GIC CPU interface register block (IHI 0048B table 4-2).
    pub GicCpuInterfaceRegisters {
        (0x00 => ctlr: ReadWrite<u32, GICC_CTLR::Register>),
        (0x04 => pmr: ReadWrite<u32>),
        (0x08 => bpr: ReadWrite<u32>),
        (0x0C => iar: ReadOnly<u32, GICC_IAR::Register>),
        (0x10 => eoir: WriteOnly<u32>),
        (0x14 => @END),
    }
}

/// Number of SGIs (IDs 0-15).
pub const SGI_COUNT: u32 = 16;
/// First SPI: IDs below it are private to each CPU (SGIs and PPIs).
pub const FIRST_SPI: u32 = 32;
/// Priority `GicDistributor::init` gives every interrupt (lower is more urgent).
pub const DEFAULT_PRIORITY: u8 = 0xA0;
/// IDs 1020-1023 are special (IHI 0048B 3.2.5), so no GIC has more interrupts.
const MAX_IRQS: u32 = 1020;

/// Why the GIC refused a request. Nothing was written when one is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GicError {
    /// The interrupt ID is not below `GicDistributor::number_of_irqs`.
    OutOfRange(u32),
    /// The operation only applies to SPIs (ID 32 and up): the target and
    /// trigger of SGIs and PPIs are fixed, and SGIs are raised with `send_sgi`.
    NotSpi(u32),
    /// SGI IDs are 0-15.
    InvalidSgi(u32),
}

/// How an SPI's input is sensed (GICD_ICFGR, IHI 0048B 4.3.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Pending while the input is asserted.
    Level,
    /// Pending on each rising edge of the input.
    Edge,
}

/// Which CPUs an SGI goes to (GICD_SGIR.TargetListFilter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SgiTarget {
    /// The CPUs whose bits are set in the mask (bit n = CPU interface n).
    List(u8),
    /// Every CPU but the one sending.
    AllOthers,
    /// Only the CPU sending.
    Myself,
}

/// The interrupt ID (bits 9:0) of a `GicCpuInterface::acknowledge` value.
#[inline]
pub fn interrupt_id(iar: u32) -> u32 {
    GICC_IAR::INTERRUPT_ID.read(iar)
}

/// For an SGI, the CPU that sent it (bits 12:10 of an `acknowledge` value).
pub fn source_cpu(iar: u32) -> u32 {
    GICC_IAR::CPUID.read(iar)
}

/// A GIC distributor: routes, enables and prioritises interrupts.
pub struct GicDistributor {
    regs: &'static GicDistributorRegisters,
    irqs: u32,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes (the one read-modify-write, in
// `set_trigger`, is serialised by the owner's lock like every other call).
unsafe impl Send for GicDistributor {}

impl GicDistributor {
    /// Creates the driver for the distributor registers mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of a GIC distributor's registers,
    /// mapped as device memory for as long as the driver lives, and this must
    /// be the only driver instance for that distributor.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps a GIC distributor.
        let regs: &'static GicDistributorRegisters = unsafe { &*(base as *const _) };
        let lines = regs.typer.read(GICD_TYPER::IT_LINES_NUMBER);
        Self {
            regs,
            irqs: (32 * (lines + 1)).min(MAX_IRQS),
        }
    }

    /// Number of interrupt IDs the distributor handles, from GICD_TYPER
    /// (read once, in `new`).
    pub fn number_of_irqs(&self) -> u32 {
        self.irqs
    }

    /// Resets the distributor: every SPI disabled, not pending, not active,
    /// level-sensitive, at `DEFAULT_PRIORITY` and targeted at CPU 0; then the
    /// calling CPU's banked state (`init_private`); then enables forwarding.
    pub fn init(&self) {
        self.regs.ctlr.write(GICD_CTLR::ENABLE::CLEAR);
        let irqs = self.number_of_irqs();
        for word in (FIRST_SPI / 32)..irqs.div_ceil(32) {
            let word = word as usize;
            self.regs.icenabler[word].set(u32::MAX);
            self.regs.icpendr[word].set(u32::MAX);
            self.regs.icactiver[word].set(u32::MAX);
        }
        for irq in FIRST_SPI..irqs {
            self.regs.ipriorityr[irq as usize].set(DEFAULT_PRIORITY);
            self.regs.itargetsr[irq as usize].set(0x01);
        }
        for word in (FIRST_SPI / 16)..irqs.div_ceil(16) {
            self.regs.icfgr[word as usize].set(0);
        }
        self.init_private();
        self.regs.ctlr.write(GICD_CTLR::ENABLE::SET);
    }

    /// Resets the calling CPU's banked SGI and PPI state: SGIs enabled, PPIs
    /// disabled and inactive, all at `DEFAULT_PRIORITY`. `init` does this for
    /// the boot CPU; every other CPU calls it once for itself.
    pub fn init_private(&self) {
        self.regs.icenabler[0].set(0xFFFF_0000);
        self.regs.isenabler[0].set(0x0000_FFFF);
        self.regs.icactiver[0].set(u32::MAX);
        for irq in 0..FIRST_SPI {
            self.regs.ipriorityr[irq as usize].set(DEFAULT_PRIORITY);
        }
    }

    /// Lets `irq` be forwarded to its target CPUs (GICD_ISENABLERn).
    pub fn enable(&self, irq: u32) -> Result<(), GicError> {
        let (word, bit) = self.word_and_bit(irq)?;
        self.regs.isenabler[word].set(bit);
        Ok(())
    }

    /// Stops forwarding `irq` (GICD_ICENABLERn); it may still become pending.
    pub fn disable(&self, irq: u32) -> Result<(), GicError> {
        let (word, bit) = self.word_and_bit(irq)?;
        self.regs.icenabler[word].set(bit);
        Ok(())
    }

    /// Whether `irq` is enabled (for SGIs and PPIs: on the calling CPU).
    pub fn is_enabled(&self, irq: u32) -> Result<bool, GicError> {
        let (word, bit) = self.word_and_bit(irq)?;
        Ok(self.regs.isenabler[word].get() & bit != 0)
    }

    /// Sets the priority of `irq`, 0 being the most urgent. Unimplemented low
    /// bits read as zero (the Cortex-A9 keeps bits 7:3).
    pub fn set_priority(&self, irq: u32, priority: u8) -> Result<(), GicError> {
        self.check(irq)?;
        self.regs.ipriorityr[irq as usize].set(priority);
        Ok(())
    }

    /// Sets the CPUs an SPI is sent to: bit n of `cpu_mask` is CPU interface n
    /// (an SPI targeting none never becomes pending). With a single CPU the
    /// register reads as zero and ignores writes.
    pub fn set_target(&self, irq: u32, cpu_mask: u8) -> Result<(), GicError> {
        self.check_spi(irq)?;
        self.regs.itargetsr[irq as usize].set(cpu_mask);
        Ok(())
    }

    /// Sets whether an SPI is level- or edge-triggered. Change it only while
    /// the interrupt is disabled.
    pub fn set_trigger(&self, irq: u32, trigger: Trigger) -> Result<(), GicError> {
        self.check_spi(irq)?;
        // Two bits per interrupt; bit 1 of the pair selects edge (4.3.13).
        let edge_bit = 1 << ((irq % 16) * 2 + 1);
        let cfg = &self.regs.icfgr[(irq / 16) as usize];
        match trigger {
            Trigger::Level => cfg.set(cfg.get() & !edge_bit),
            Trigger::Edge => cfg.set(cfg.get() | edge_bit),
        }
        Ok(())
    }

    /// Makes an SPI pending by software (GICD_ISPENDRn), as if its input fired.
    pub fn set_pending(&self, irq: u32) -> Result<(), GicError> {
        self.check_spi(irq)?;
        let (word, bit) = self.word_and_bit(irq)?;
        self.regs.ispendr[word].set(bit);
        Ok(())
    }

    /// Removes the pending state of an SPI (GICD_ICPENDRn). A level-sensitive
    /// interrupt whose input is still asserted stays pending.
    pub fn clear_pending(&self, irq: u32) -> Result<(), GicError> {
        self.check_spi(irq)?;
        let (word, bit) = self.word_and_bit(irq)?;
        self.regs.icpendr[word].set(bit);
        Ok(())
    }

    /// Sends software-generated interrupt `id` (0-15) to `target`.
    pub fn send_sgi(&self, id: u32, target: SgiTarget) -> Result<(), GicError> {
        if id >= SGI_COUNT {
            return Err(GicError::InvalidSgi(id));
        }
        let filter = match target {
            SgiTarget::List(mask) => {
                GICD_SGIR::TARGET_LIST_FILTER::List + GICD_SGIR::CPU_TARGET_LIST.val(mask as u32)
            }
            SgiTarget::AllOthers => GICD_SGIR::TARGET_LIST_FILTER::AllOthers,
            SgiTarget::Myself => GICD_SGIR::TARGET_LIST_FILTER::Myself,
        };
        self.regs.sgir.write(filter + GICD_SGIR::SGI_INT_ID.val(id));
        Ok(())
    }

    fn check(&self, irq: u32) -> Result<(), GicError> {
        if irq < self.number_of_irqs() {
            Ok(())
        } else {
            Err(GicError::OutOfRange(irq))
        }
    }

    fn check_spi(&self, irq: u32) -> Result<(), GicError> {
        self.check(irq)?;
        if irq < FIRST_SPI {
            Err(GicError::NotSpi(irq))
        } else {
            Ok(())
        }
    }

    /// Index of the 32-bit register holding `irq`'s bit, and that bit.
    fn word_and_bit(&self, irq: u32) -> Result<(usize, u32), GicError> {
        self.check(irq)?;
        Ok(((irq / 32) as usize, 1 << (irq % 32)))
    }
}

/// A GIC CPU interface: the calling CPU's view, banked at one address.
pub struct GicCpuInterface {
    regs: &'static GicCpuInterfaceRegisters,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes, each acting on the CPU that
// performs it.
unsafe impl Send for GicCpuInterface {}

impl GicCpuInterface {
    /// Creates the driver for the CPU interface registers mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of a GIC CPU interface's registers,
    /// mapped as device memory for as long as the driver lives, and this must
    /// be the only driver instance for that CPU interface.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps a GIC CPU interface.
        let regs = unsafe { &*(base as *const GicCpuInterfaceRegisters) };
        Self { regs }
    }

    /// Enables the calling CPU's interface with no priority masked and every
    /// implemented priority bit used for preemption. Call on each CPU.
    pub fn init(&self) {
        self.set_priority_mask(0xFF);
        // Binary point 0; the GIC raises it to its minimum (IHI 0048B 3.3.3).
        self.regs.bpr.set(0);
        self.regs.ctlr.write(GICC_CTLR::ENABLE::SET);
    }

    /// Only interrupts more urgent than `mask` (lower value) are signalled.
    pub fn set_priority_mask(&self, mask: u8) {
        self.regs.pmr.set(mask as u32);
    }

    /// Acknowledges the most urgent pending interrupt and returns the whole
    /// GICC_IAR value (ID in bits 9:0, see `interrupt_id`; source CPU of an
    /// SGI in bits 12:10), to be passed back to `end_of_interrupt`.
    ///
    /// Returns `None` for IDs 1020-1023: 1023 is the spurious ID (nothing is
    /// pending, or it went away), 1022 means a Group 1 interrupt is pending
    /// but a Secure read may not acknowledge it (IHI 0048B 3.2.5). Neither was
    /// acknowledged, so neither must be ended.
    #[inline]
    pub fn acknowledge(&self) -> Option<u32> {
        let iar = self.regs.iar.get();
        if interrupt_id(iar) >= MAX_IRQS {
            None
        } else {
            Some(iar)
        }
    }

    /// Signals the end of the interrupt `acknowledge` returned `iar` for.
    #[inline]
    pub fn end_of_interrupt(&self, iar: u32) {
        self.regs.eoir.set(iar);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fake::Fake;

    /// A distributor with 96 interrupts (ITLinesNumber = 2).
    fn dist() -> (Fake, GicDistributor) {
        let fake = Fake::new(0x1000);
        fake.set(0x004, 2);
        // SAFETY: the fake block is as large as the register block and
        // outlives the driver.
        let gic = unsafe { GicDistributor::new(fake.base()) };
        (fake, gic)
    }

    #[test]
    fn number_of_irqs_from_typer() {
        let (fake, gic) = dist();
        assert_eq!(gic.number_of_irqs(), 96);
        fake.set(0x004, 31);
        // SAFETY: as in `dist`.
        let gic = unsafe { GicDistributor::new(fake.base()) };
        assert_eq!(gic.number_of_irqs(), 1020);
    }

    #[test]
    fn enable_and_disable_set_the_right_bit() {
        let (fake, gic) = dist();
        gic.enable(40).unwrap();
        assert_eq!(fake.word(0x104), 1 << 8);
        gic.disable(40).unwrap();
        assert_eq!(fake.word(0x184), 1 << 8);
        gic.enable(29).unwrap();
        assert_eq!(fake.word(0x100), 1 << 29);
        assert!(gic.is_enabled(29).unwrap());
        assert!(!gic.is_enabled(30).unwrap());
    }

    #[test]
    fn priority_and_target_write_one_byte() {
        let (fake, gic) = dist();
        gic.set_priority(41, 0x80).unwrap();
        gic.set_target(34, 0b10).unwrap();
        assert_eq!(fake.word(0x428), u32::from_ne_bytes([0, 0x80, 0, 0]));
        assert_eq!(fake.byte(0x429), 0x80);
        assert_eq!(fake.byte(0x822), 0b10);
        assert_eq!(fake.word(0x820), u32::from_ne_bytes([0, 0, 0b10, 0]));
    }

    #[test]
    fn trigger_sets_and_clears_only_its_bit() {
        let (fake, gic) = dist();
        fake.set(0xC08, 0x5555_5555);
        gic.set_trigger(45, Trigger::Edge).unwrap();
        assert_eq!(fake.word(0xC08), 0x5555_5555 | 1 << 27);
        gic.set_trigger(45, Trigger::Level).unwrap();
        assert_eq!(fake.word(0xC08), 0x5555_5555);
    }

    #[test]
    fn pending_writes_set_and_clear_registers() {
        let (fake, gic) = dist();
        gic.set_pending(95).unwrap();
        assert_eq!(fake.word(0x208), 1 << 31);
        gic.clear_pending(64).unwrap();
        assert_eq!(fake.word(0x288), 1);
    }

    #[test]
    fn out_of_range_and_private_irqs_are_refused() {
        let (fake, gic) = dist();
        assert_eq!(gic.enable(96), Err(GicError::OutOfRange(96)));
        assert_eq!(gic.disable(1020), Err(GicError::OutOfRange(1020)));
        assert_eq!(gic.set_priority(96, 0), Err(GicError::OutOfRange(96)));
        assert_eq!(
            gic.is_enabled(u32::MAX),
            Err(GicError::OutOfRange(u32::MAX))
        );
        assert_eq!(gic.set_target(27, 1), Err(GicError::NotSpi(27)));
        assert_eq!(
            gic.set_trigger(29, Trigger::Edge),
            Err(GicError::NotSpi(29))
        );
        assert_eq!(gic.set_pending(3), Err(GicError::NotSpi(3)));
        assert_eq!(
            gic.send_sgi(16, SgiTarget::Myself),
            Err(GicError::InvalidSgi(16))
        );
        fake.set(0x004, 0);
        assert!(fake.all_zero(), "a refused call wrote something");
    }

    #[test]
    fn sgi_encodes_filter_list_and_id() {
        let (fake, gic) = dist();
        gic.send_sgi(3, SgiTarget::List(0b0101)).unwrap();
        assert_eq!(fake.word(0xF00), 0b0101 << 16 | 3);
        gic.send_sgi(15, SgiTarget::AllOthers).unwrap();
        assert_eq!(fake.word(0xF00), 1 << 24 | 15);
        gic.send_sgi(0, SgiTarget::Myself).unwrap();
        assert_eq!(fake.word(0xF00), 2 << 24);
    }

    #[test]
    fn init_resets_spis_and_banked_state() {
        let (fake, gic) = dist();
        for offset in (0xC00..0xC18).step_by(4) {
            fake.set(offset, u32::MAX);
        }
        gic.init();
        assert_eq!(fake.word(0x000), 1);
        assert_eq!(fake.word(0x100), 0x0000_FFFF);
        assert_eq!(fake.word(0x180), 0xFFFF_0000);
        for offset in [0x184, 0x188, 0x284, 0x288, 0x384, 0x388] {
            assert_eq!(fake.word(offset), u32::MAX, "offset {offset:#x}");
        }
        assert_eq!(fake.word(0x18C), 0, "beyond the implemented lines");
        assert!((0..96).all(|irq| fake.byte(0x400 + irq) == DEFAULT_PRIORITY));
        assert_eq!(fake.byte(0x400 + 96), 0);
        assert!((0..32).all(|irq| fake.byte(0x800 + irq) == 0));
        assert!((32..96).all(|irq| fake.byte(0x800 + irq) == 1));
        assert_eq!(fake.word(0xC04), u32::MAX, "PPI configuration untouched");
        assert!(
            (0xC08..0xC18)
                .step_by(4)
                .all(|offset| fake.word(offset) == 0)
        );
    }

    #[test]
    fn cpu_interface_init_acknowledge_and_eoi() {
        let fake = Fake::new(0x100);
        // SAFETY: the fake block is as large as the register block and
        // outlives the driver.
        let cpu = unsafe { GicCpuInterface::new(fake.base()) };
        cpu.init();
        assert_eq!(fake.word(0x00), 1);
        assert_eq!(fake.word(0x04), 0xFF);
        fake.set(0x0C, 1023);
        assert_eq!(cpu.acknowledge(), None);
        fake.set(0x0C, 1022);
        assert_eq!(cpu.acknowledge(), None);
        fake.set(0x0C, 2 << 10 | 5);
        let iar = cpu.acknowledge().unwrap();
        assert_eq!((interrupt_id(iar), source_cpu(iar)), (5, 2));
        cpu.end_of_interrupt(iar);
        assert_eq!(fake.word(0x10), 2 << 10 | 5);
    }
}
