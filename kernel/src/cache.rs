//! Caches the kernel maintains beyond the L1 operations in `arch::cache`:
//! the board's L2C-310 (enabled at boot) and range operations over both
//! levels for the `cache_clean` / `cache_invalidate` system calls, through
//! which a user-space driver hands buffers to and from a device.
//!
//! Order, for a range given by its linear-map address and physical address:
//! clean is L1 then L2 (dirty data moves outwards, to memory); invalidate is
//! L2 then L1 (so that L1 cannot refill from a stale L2 line).
//!
//! **Lockdown by way for hard tasks.** Ways reserved for hard tasks
//! (the board's `L2Cache::hard_ways`, or [`reserve_hard_ways`]) are locked
//! against allocation by every master, so soft tasks and the kernel never
//! evict what is there. [`lock_hard`] loads a range of a hard task's memory
//! into free reserved ways (whole ways: a range of up to one way's size
//! takes one), with the L2C-310's lockdown recipe (`Pl310::preload_locked`);
//! its lines then always hit in L2, whatever else runs. The ways come back
//! when the task's teardown starts ([`unlock_hard`]).

use crate::sync::IrqLock;
use crate::{BOARD, println};
use core::sync::atomic::{AtomicU32, Ordering};
use drivers::pl310::{Config, Pl310};

static L2: IrqLock<Option<Pl310>> = IrqLock::new(None);

/// Ranges locked into L2 ways at once, at most.
pub const MAX_LOCKS: usize = 8;

/// A hard task's range held in reserved ways.
#[derive(Clone, Copy, Debug)]
struct Held {
    pid: u16,
    ways: u32,
    pa: u32,
    len: u32,
}

/// The ways reserved for hard tasks, and which ranges hold which of them.
struct Locks {
    reserved: u32,
    held: [Option<Held>; MAX_LOCKS],
}

impl Locks {
    fn used(&self) -> u32 {
        self.held.iter().flatten().fold(0, |m, h| m | h.ways)
    }
}

static LOCKS: IrqLock<Locks> = IrqLock::new(Locks {
    reserved: 0,
    held: [None; MAX_LOCKS],
});

/// Why L2 ways cannot be reserved or a range locked into them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L2LockError {
    /// The board has no L2C-310, or it is off.
    NoL2,
    /// No ways are reserved for hard tasks.
    NotReserved,
    /// Not enough free reserved ways for the range (a way per way-sized
    /// chunk), or a lock table full ([`MAX_LOCKS`]).
    NoWays,
    /// Reserving: ranges are still locked, or the mask would leave no
    /// way for everyone else.
    InUse,
    /// Not a live hard isolated process.
    NotHard,
    /// An empty or wrapping range, one not within one mapped 1 MiB
    /// section of the process, or memory that is not normal cacheable.
    BadRange,
}
static RANGE_OPS: AtomicU32 = AtomicU32::new(0);

/// Maps and enables the board's L2 cache, if it has one (boot, after
/// `mm::init`, before any device memory is handed out).
pub fn init() {
    let Some(l2) = BOARD.l2_cache else {
        println!("l2: none on this board");
        return;
    };
    let Ok(va) = crate::mm::ioremap(l2.base, 0x1000) else {
        println!("l2: cannot map the L2C-310 at {:#010x}: left off", l2.base);
        return;
    };
    // SAFETY: va maps the L2C-310; this is the only driver.
    let pl310 = unsafe { Pl310::new(va) };
    if !pl310.is_l2c310() {
        // QEMU 7.2's xilinx-zynq-a9 has nothing there (reads as zero).
        println!(
            "l2: no L2C-310 answers at {:#010x} (CACHE_ID {:#010x}): left off",
            l2.base,
            pl310.cache_id()
        );
        return;
    }
    let config = Config {
        aux_set: l2.aux_set,
        aux_keep: l2.aux_keep,
        latencies: l2.latencies,
    };
    let enabled_here = pl310.enable(&config);
    println!(
        "l2: L2C-310 (CACHE_ID {:#010x}) at {:#010x}: on ({}), {} ways",
        pl310.cache_id(),
        l2.base,
        if enabled_here {
            "enabled here"
        } else {
            "already on"
        },
        pl310.ways().count_ones()
    );
    *L2.lock() = Some(pl310);
    if l2.hard_ways != 0 {
        match reserve_hard_ways(l2.hard_ways) {
            Ok(ways) => println!("l2: ways {ways:#x} reserved for hard tasks' locked memory"),
            Err(e) => println!("l2: ways {:#x} not reserved: {e:?}", l2.hard_ways),
        }
    }
}

/// Reserves the ways in `ways` (a bit per way) for [`lock_hard`] and locks
/// them against allocation by every master; 0 gives them all back. Only
/// while nothing is locked, and at least one way must stay for everyone
/// else. Returns the ways reserved (`ways` within the cache's).
pub fn reserve_hard_ways(ways: u32) -> Result<u32, L2LockError> {
    let l2 = L2.lock();
    let l2 = l2
        .as_ref()
        .filter(|l2| l2.is_enabled())
        .ok_or(L2LockError::NoL2)?;
    let mut locks = LOCKS.lock();
    let ways = ways & l2.ways();
    if locks.used() != 0 || ways == l2.ways() {
        return Err(L2LockError::InUse);
    }
    l2.lock_ways(ways);
    locks.reserved = ways;
    Ok(ways)
}

/// What CPU 0's data-side lockdown register reads (`None`: no L2). On
/// silicon the ways locked; QEMU's model ignores the register (reads 0).
pub fn lockdown_register() -> Option<u32> {
    L2.lock().as_ref().map(Pl310::locked_ways)
}

/// The ways reserved for hard tasks and those of them holding a range.
pub fn hard_ways() -> (u32, u32) {
    let locks = LOCKS.lock();
    (locks.reserved, locks.used())
}

/// Locks the physical range `[pa, pa + len)` of hard process `pid` into
/// free reserved L2 ways (see the module docs): flushes it from L1, loads
/// it way by way with IRQs masked (one read per 32-byte line), and locks
/// it there. Returns the ways it took. The range must lie in one 1 MiB
/// block of normal memory; `process::lock_l2` finds it from the process's
/// own address and checks the class.
pub fn lock_hard(pid: u16, pa: u32, len: u32) -> Result<u32, L2LockError> {
    let last = pa
        .checked_add(len)
        .filter(|_| len > 0)
        .ok_or(L2LockError::BadRange)?
        - 1;
    if pa >> 20 != last >> 20 {
        return Err(L2LockError::BadRange);
    }
    let l2 = L2.lock();
    let l2 = l2
        .as_ref()
        .filter(|l2| l2.is_enabled())
        .ok_or(L2LockError::NoL2)?;
    let mut locks = LOCKS.lock();
    if locks.reserved == 0 {
        return Err(L2LockError::NotReserved);
    }
    let need = len.div_ceil(l2.way_size());
    let mut free = locks.reserved & !locks.used();
    let mut ways = 0u32;
    while ways.count_ones() < need && free != 0 {
        let way = free & free.wrapping_neg();
        free &= !way;
        ways |= way;
    }
    let slot = locks.held.iter().position(Option::is_none);
    let (true, Some(slot)) = (ways.count_ones() == need, slot) else {
        return Err(L2LockError::NoWays);
    };
    let linear = crate::layout::phys_to_virt(pa) as usize;
    // The reads must miss in L1 to reach the L2; dirty lines go out first.
    arch::cache::flush_dcache_poc(linear, len as usize);
    l2.preload_locked(pa, len, ways, locks.reserved, |at, n| {
        let base = linear + (at - pa) as usize;
        for line in (0..n as usize).step_by(drivers::pl310::LINE as usize) {
            // SAFETY: the linear map covers all RAM; this is memory of the
            // process (translated above), read once per line.
            unsafe { core::ptr::read_volatile((base + line) as *const u32) };
        }
    });
    locks.held[slot] = Some(Held { pid, ways, pa, len });
    HELD.fetch_add(1, Ordering::Release);
    LOCKED.fetch_add(1, Ordering::Relaxed);
    Ok(ways)
}

/// Gives back the ways holding ranges of `pid` (their lines are flushed
/// out of the L2); returns them. The process's teardown calls it.
pub fn unlock_hard(pid: u16) -> u32 {
    // Every teardown step comes here: without locks held, one load.
    if HELD.load(Ordering::Acquire) == 0 {
        return 0;
    }
    let l2 = L2.lock();
    let mut locks = LOCKS.lock();
    let mut freed = 0;
    for slot in locks.held.iter_mut() {
        if let Some(h) = slot.filter(|h| h.pid == pid) {
            if let Some(l2) = l2.as_ref() {
                l2.flush_range(h.pa, h.len);
            }
            freed |= h.ways;
            *slot = None;
            HELD.fetch_sub(1, Ordering::Release);
        }
    }
    freed
}

/// How many ranges are locked now (a shortcut for [`unlock_hard`]).
static HELD: AtomicU32 = AtomicU32::new(0);

static LOCKED: AtomicU32 = AtomicU32::new(0);

/// How many ranges [`lock_hard`] has locked since boot.
pub fn hard_locks() -> u32 {
    LOCKED.load(Ordering::Relaxed)
}

/// Whether the L2 cache is on.
pub fn l2_enabled() -> bool {
    L2.lock().as_ref().is_some_and(Pl310::is_enabled)
}

/// How many range operations (clean or invalidate) have run since boot.
pub fn range_ops() -> u32 {
    RANGE_OPS.load(Ordering::Relaxed)
}

/// Cleans `len` bytes at linear-map address `va` (physical `pa`) from L1
/// and L2 to memory.
pub fn clean(va: usize, pa: u32, len: u32) {
    RANGE_OPS.fetch_add(1, Ordering::Relaxed);
    arch::cache::clean_dcache_poc(va, len as usize);
    if let Some(l2) = L2.lock().as_ref() {
        l2.clean_range(pa, len);
    }
}

/// Invalidates `len` bytes at linear-map address `va` (physical `pa`) in L2
/// and L1: the next reads come from memory.
pub fn invalidate(va: usize, pa: u32, len: u32) {
    RANGE_OPS.fetch_add(1, Ordering::Relaxed);
    if let Some(l2) = L2.lock().as_ref() {
        l2.invalidate_range(pa, len);
    }
    arch::cache::invalidate_dcache_poc(va, len as usize);
}
