//! Caches the kernel maintains beyond the L1 operations in `arch::cache`:
//! the board's L2C-310 (enabled at boot) and range operations over both
//! levels for the `cache_clean` / `cache_invalidate` system calls, through
//! which a user-space driver hands buffers to and from a device.
//!
//! Order, for a range given by its linear-map address and physical address:
//! clean is L1 then L2 (dirty data moves outwards, to memory); invalidate is
//! L2 then L1 (so that L1 cannot refill from a stale L2 line).

use crate::sync::IrqLock;
use crate::{BOARD, println};
use core::sync::atomic::{AtomicU32, Ordering};
use drivers::pl310::{Config, Pl310};

static L2: IrqLock<Option<Pl310>> = IrqLock::new(None);
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
