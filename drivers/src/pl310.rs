//! ARM L2C-310 (PL310) level-2 cache controller.
//!
//! Register map and sequences from the CoreLink Level 2 Cache Controller
//! L2C-310 TRM (ARM DDI 0246), chapter 3 "Programmers Model": the
//! controller is enabled only after the auxiliary control and RAM latency
//! registers are set (they are read-only while it is on) and every way has
//! been invalidated (3.3.10: write the way mask to Invalidate by Way, poll
//! until it reads 0); every maintenance operation is followed by a Cache
//! Sync (3.3.10, "Cache Sync") so it completes before the next access.
//! Operations by physical address work on 32-byte lines.
//!
//! Lockdown by way (3.3.11): a set bit in a master's D/I Lockdown register
//! stops that master allocating into the way, so lines already there stay
//! (lock a hard task's hot memory into some ways after touching it, or
//! keep soft tasks out of ways reserved for hard ones).
//!
//! QEMU models the register file (hw/misc/arm_l2x0.c): enable and the
//! configuration registers stick, maintenance operations complete at once
//! and do nothing, as there is no cache behind them.

use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite};

register_structs! {
    /// The L2C-310 registers (TRM table 3-1).
    pub Pl310Registers {
        (0x000 => cache_id: ReadOnly<u32>),
        (0x004 => cache_type: ReadOnly<u32>),
        (0x008 => _reserved0),
        (0x100 => ctrl: ReadWrite<u32>),
        (0x104 => aux_ctrl: ReadWrite<u32>),
        (0x108 => tag_ram_ctrl: ReadWrite<u32>),
        (0x10C => data_ram_ctrl: ReadWrite<u32>),
        (0x110 => _reserved1),
        (0x730 => cache_sync: ReadWrite<u32>),
        (0x734 => _reserved2),
        (0x770 => inv_pa: ReadWrite<u32>),
        (0x774 => _reserved3),
        (0x77C => inv_way: ReadWrite<u32>),
        (0x780 => _reserved4),
        (0x7B0 => clean_pa: ReadWrite<u32>),
        (0x7B4 => _reserved5),
        (0x7BC => clean_way: ReadWrite<u32>),
        (0x7C0 => _reserved6),
        (0x7F0 => clean_inv_pa: ReadWrite<u32>),
        (0x7F4 => _reserved7),
        (0x7FC => clean_inv_way: ReadWrite<u32>),
        (0x800 => _reserved8),
        (0x900 => lockdown: [ReadWrite<u32>; 16]),
        (0x940 => _reserved9),
        (0x1000 => @END),
    }
}

/// Line size of the L2C-310.
pub const LINE: u32 = 32;
/// AUX_CTRL bit 22: Shared Attribute Override. Zynq-7000 needs it set
/// (UG585 3.4.10; Linux's Zynq platform and Xilinx's own code set it) so
/// that shareable normal memory is cached like non-shareable memory instead
/// of being treated as non-cacheable, which breaks the CPU's exclusive
/// accesses to it.
pub const AUX_SHARED_OVERRIDE: u32 = 1 << 22;
/// AUX_CTRL bits 19:17: way size (64 KiB = 0b011 on Zynq).
pub const AUX_WAY_SIZE_MASK: u32 = 0b111 << 17;
/// AUX_CTRL bit 16: associativity (1 = 16 ways).
pub const AUX_16_WAYS: u32 = 1 << 16;

/// How a board wants its L2C-310 set up before it is enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// AUX_CTRL bits to set, and bits to keep from the reset value
    /// (`aux = (aux & keep) | set`).
    pub aux_set: u32,
    /// See `aux_set`.
    pub aux_keep: u32,
    /// TAG_RAM_CTRL and DATA_RAM_CTRL latencies, if the board needs
    /// values other than the reset ones.
    pub latencies: Option<(u32, u32)>,
}

/// Polls `done` until it holds, at most [`POLL_LIMIT`] times: a controller
/// that never finishes leaves the kernel running (slower, perhaps
/// incoherent) instead of hung at boot. Returns whether it finished.
fn poll(done: impl Fn() -> bool) -> bool {
    (0..POLL_LIMIT).any(|_| done())
}

/// Most polls of a background operation (by way, sync).
pub const POLL_LIMIT: u32 = 1 << 20;

/// The controller.
pub struct Pl310 {
    regs: &'static Pl310Registers,
}

// SAFETY: the registers are only reached through `&self` methods whose
// accesses are single volatile reads and writes; sharing the driver between
// contexts is serialised by its owner.
unsafe impl Send for Pl310 {}

impl Pl310 {
    /// Creates the driver for the controller mapped at `base`.
    ///
    /// # Safety
    /// `base` must be the virtual address of an L2C-310's registers (4 KiB),
    /// mapped as device memory for as long as the driver lives, and this
    /// must be the only driver instance.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: the caller guarantees base maps an L2C-310.
        let regs = unsafe { &*(base as *const Pl310Registers) };
        Self { regs }
    }

    /// CACHE_ID (0x410000C8 for r3p2, the Zynq's and QEMU's).
    pub fn cache_id(&self) -> u32 {
        self.regs.cache_id.get()
    }

    /// Whether CACHE_ID names an ARM L2C-310 (implementer 0x41, part
    /// number 0b0011 in bits 9:6): a board file's address may hold
    /// nothing (a model that reads it as zero).
    pub fn is_l2c310(&self) -> bool {
        let id = self.cache_id();
        id >> 24 == 0x41 && (id >> 6) & 0xF == 0b0011
    }

    /// The way mask: 16 or 8 ways, from AUX_CTRL.
    pub fn ways(&self) -> u32 {
        if self.regs.aux_ctrl.get() & AUX_16_WAYS != 0 {
            0xFFFF
        } else {
            0xFF
        }
    }

    /// Whether the cache is on.
    pub fn is_enabled(&self) -> bool {
        self.regs.ctrl.get() & 1 != 0
    }

    /// Configures, invalidates every way and turns the cache on. Does
    /// nothing if it is on already (a boot loader enabled it: its
    /// configuration cannot be changed while on, and its contents are live).
    /// Returns whether this call enabled it.
    ///
    /// The inner caches must hold no dirty line that belongs in a region
    /// the L2 would then serve stale: call it before the L2's memory is
    /// used through it (at boot), or clean L1 first.
    pub fn enable(&self, config: &Config) -> bool {
        if self.is_enabled() {
            return false;
        }
        let aux = (self.regs.aux_ctrl.get() & config.aux_keep) | config.aux_set;
        self.regs.aux_ctrl.set(aux);
        if let Some((tag, data)) = config.latencies {
            self.regs.tag_ram_ctrl.set(tag);
            self.regs.data_ram_ctrl.set(data);
        }
        self.invalidate_all();
        self.regs.ctrl.set(1);
        true
    }

    /// Cleans and invalidates every way, then turns the cache off.
    pub fn disable(&self) {
        self.flush_all();
        self.regs.ctrl.set(0);
    }

    fn sync(&self) {
        self.regs.cache_sync.set(0);
        poll(|| self.regs.cache_sync.get() & 1 == 0);
    }

    fn by_way(&self, reg: &ReadWrite<u32>, ways: u32) {
        reg.set(ways);
        // The controller clears each way's bit when it is done (a few
        // thousand cycles for 512 KiB).
        poll(|| reg.get() & ways == 0);
        self.sync();
    }

    /// Invalidates every line of every way (dirty data is lost).
    pub fn invalidate_all(&self) {
        self.by_way(&self.regs.inv_way, self.ways());
    }

    /// Cleans every line of every way.
    pub fn clean_all(&self) {
        self.by_way(&self.regs.clean_way, self.ways());
    }

    /// Cleans and invalidates every line of every way.
    pub fn flush_all(&self) {
        self.by_way(&self.regs.clean_inv_way, self.ways());
    }

    /// Cleans and invalidates the ways in `ways` (a bit per way).
    pub fn flush_ways(&self, ways: u32) {
        self.by_way(&self.regs.clean_inv_way, ways & self.ways());
    }

    fn by_pa(&self, reg: &ReadWrite<u32>, pa: u32, len: u32) {
        let end = pa.saturating_add(len);
        let mut line = pa & !(LINE - 1);
        while line < end {
            reg.set(line);
            line += LINE;
        }
        self.sync();
    }

    /// Cleans the lines of physical `[pa, pa + len)`: dirty data reaches
    /// memory (before a device reads it).
    pub fn clean_range(&self, pa: u32, len: u32) {
        self.by_pa(&self.regs.clean_pa, pa, len);
    }

    /// Invalidates the lines of physical `[pa, pa + len)` (before the CPU
    /// reads what a device wrote). Dirty data in them is lost.
    pub fn invalidate_range(&self, pa: u32, len: u32) {
        self.by_pa(&self.regs.inv_pa, pa, len);
    }

    /// Cleans and invalidates the lines of physical `[pa, pa + len)`.
    pub fn flush_range(&self, pa: u32, len: u32) {
        self.by_pa(&self.regs.clean_inv_pa, pa, len);
    }

    /// Locks the ways in `ways` against allocation by every master (data
    /// and instruction side of each CPU): the lines in them stay. `0`
    /// unlocks all.
    pub fn lock_ways(&self, ways: u32) {
        let ways = ways & self.ways();
        for r in &self.regs.lockdown {
            r.set(ways);
        }
    }

    /// The ways locked for CPU 0's data side.
    pub fn locked_ways(&self) -> u32 {
        self.regs.lockdown[0].get()
    }

    /// The size of one way in bytes, from AUX_CTRL bits 19:17 (TRM 3.3.4:
    /// 16 KiB for 0b000 and 0b001, doubling up to 512 KiB for 0b110 and
    /// 0b111). A contiguous way-sized range maps to every set once.
    pub fn way_size(&self) -> u32 {
        let field = (self.regs.aux_ctrl.get() & AUX_WAY_SIZE_MASK) >> 17;
        (8 << 10) << field.clamp(1, 6)
    }

    /// Loads physical `[pa, pa + len)` into the ways `into` and leaves
    /// `keep_locked` locked against allocation, the lockdown-by-way
    /// recipe: flush the range out of every way, then for each way in
    /// `into`, lowest first, lock every other way and let `touch(pa, len)`
    /// read the next way-sized chunk of the range (each of its lines is a
    /// miss that can only allocate into that way; a chunk of at most a way
    /// covers each set once, so no line of it evicts another); then lock
    /// `keep_locked`, which must include `into`: the lines stay, hits
    /// still hit, nobody allocates over them. `into` needs at least
    /// `len / way_size` rounded up ways; extra ones are not touched.
    ///
    /// The caller masks interrupts (an interrupt handler's misses would
    /// allocate into the open way) and makes sure the inner cache misses
    /// on the range (clean and invalidate it first), so the reads reach
    /// this controller.
    pub fn preload_locked(
        &self,
        pa: u32,
        len: u32,
        into: u32,
        keep_locked: u32,
        mut touch: impl FnMut(u32, u32),
    ) {
        let all = self.ways();
        self.flush_range(pa, len);
        let (way_size, end) = (self.way_size(), pa.saturating_add(len));
        let mut at = pa;
        let mut ways = into & all;
        while at < end && ways != 0 {
            let way = ways & ways.wrapping_neg();
            ways &= !way;
            self.lock_ways(all & !way);
            let chunk = way_size.min(end - at);
            touch(at, chunk);
            at += chunk;
        }
        self.sync();
        self.lock_ways(keep_locked);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;

    const ZYNQ: Config = Config {
        aux_set: 0x7236_0000 | AUX_SHARED_OVERRIDE,
        aux_keep: 0,
        latencies: Some((0x111, 0x121)),
    };

    fn pl310() -> (Fake, Pl310) {
        let f = Fake::new(0x1000);
        // SAFETY: f is a host block the size of the registers.
        let p = unsafe { Pl310::new(f.base()) };
        (f, p)
    }

    #[test]
    fn enable_configures_then_turns_on() {
        let (f, p) = pl310();
        assert!(!p.is_l2c310(), "nothing there");
        f.set(0x000, 0x4100_00C8);
        assert!(p.is_l2c310());
        assert!(p.enable(&ZYNQ));
        assert_eq!(f.word(0x104), 0x7276_0000, "AUX_CTRL with shared override");
        assert_eq!((f.word(0x108), f.word(0x10C)), (0x111, 0x121));
        // 8 ways (bit 16 clear in 0x72760000): all invalidated first.
        assert_eq!(f.word(0x77C), 0xFF);
        assert_eq!(f.word(0x100), 1);
        assert!(p.is_enabled());
        assert_eq!(p.cache_id(), 0x4100_00C8);
        // On already: nothing is rewritten.
        f.set(0x104, 0);
        assert!(!p.enable(&ZYNQ));
        assert_eq!(f.word(0x104), 0);
    }

    #[test]
    fn enable_keeps_what_the_board_keeps() {
        let (f, p) = pl310();
        f.set(0x104, 0x0202_0000 | AUX_16_WAYS);
        let keep_all = Config {
            aux_set: AUX_SHARED_OVERRIDE,
            aux_keep: !0,
            latencies: None,
        };
        p.enable(&keep_all);
        assert_eq!(
            f.word(0x104),
            0x0202_0000 | AUX_16_WAYS | AUX_SHARED_OVERRIDE
        );
        assert_eq!((f.word(0x108), f.word(0x10C)), (0, 0));
        assert_eq!(f.word(0x77C), 0xFFFF, "16 ways");
    }

    #[test]
    fn range_operations_walk_lines() {
        let (f, p) = pl310();
        // The fake keeps the last write: the last line of the range.
        p.clean_range(0x1000_0010, 0x40);
        assert_eq!(f.word(0x7B0), 0x1000_0040);
        p.invalidate_range(0x2000_0000, 32);
        assert_eq!(f.word(0x770), 0x2000_0000);
        p.flush_range(0x3000_0000, 33);
        assert_eq!(f.word(0x7F0), 0x3000_0020);
        // An empty range touches no line (the register keeps 0).
        let (f, p) = pl310();
        p.clean_range(0x1000, 0);
        assert_eq!(f.word(0x7B0), 0);
    }

    #[test]
    fn way_size_from_aux_ctrl() {
        let (f, p) = pl310();
        for (field, size) in [
            (0, 16),
            (1, 16),
            (2, 32),
            (3, 64),
            (5, 256),
            (6, 512),
            (7, 512),
        ] {
            f.set(0x104, field << 17);
            assert_eq!(p.way_size(), size << 10, "field {field}");
        }
        // QEMU's reset AUX_CTRL: 16 KiB ways; Zynq's: 64 KiB.
        f.set(0x104, 0x0202_0000);
        assert_eq!(p.way_size(), 16 << 10);
        f.set(0x104, 0x7276_0000);
        assert_eq!(p.way_size(), 64 << 10);
    }

    #[test]
    fn preload_opens_one_way_per_chunk_then_locks() {
        let (f, p) = pl310();
        f.set(0x104, 0x7276_0000); // 8 ways of 64 KiB
        let mut seen = std::vec::Vec::new();
        // 100 KiB into ways 6 and 7 (two chunks), with ways 5-7 reserved.
        p.preload_locked(0x0030_0000, 100 << 10, 0xC0, 0xE0, |pa, len| {
            // While a chunk is read, every master may allocate only into
            // its one way, and the range is out of the cache already.
            for i in 0..16 {
                assert_eq!(f.word(0x900 + 4 * i), f.word(0x900));
            }
            assert_eq!(
                f.word(0x7F0),
                0x0030_0000 + (100 << 10) - 32,
                "flushed first"
            );
            seen.push((pa, len, !f.word(0x900) & 0xFF));
        });
        assert_eq!(
            seen,
            [(0x0030_0000, 64 << 10, 0x40), (0x0031_0000, 36 << 10, 0x80)]
        );
        for i in 0..16 {
            assert_eq!(f.word(0x900 + 4 * i), 0xE0, "the reserved ways stay locked");
        }
        // A range of one way touches only the lowest way given.
        let mut n = 0;
        p.preload_locked(0x1000, 4096, 0x30, 0x30, |pa, len| {
            assert_eq!((pa, len, !f.word(0x900) & 0xFF), (0x1000, 4096, 0x10));
            n += 1;
        });
        assert_eq!(n, 1);
        assert_eq!(p.locked_ways(), 0x30);
    }

    #[test]
    fn way_operations_and_lockdown() {
        let (f, p) = pl310();
        p.flush_ways(0x3_0F);
        assert_eq!(f.word(0x7FC), 0x0F, "only the 8 ways there are");
        p.clean_all();
        assert_eq!(f.word(0x7BC), 0xFF);
        p.lock_ways(0x3);
        for i in 0..16 {
            assert_eq!(f.word(0x900 + 4 * i), 0x3);
        }
        assert_eq!(p.locked_ways(), 0x3);
        p.disable();
        assert_eq!((f.word(0x7FC), f.word(0x100)), (0xFF, 0));
    }
}
