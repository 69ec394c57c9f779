//! Interrupts: the GIC, a handler per interrupt ID, and dispatch.
//!
//! Handlers are plain functions registered per interrupt ID and run in the
//! trap path with IRQs masked (no nesting: each handler is short and the
//! scheduler runs after it). An interrupt nobody registered is logged and
//! masked at the distributor, so a stuck line cannot livelock the kernel; a
//! spurious acknowledge (ID 1020-1023) is counted and ignored.

use crate::sync::IrqLock;
use crate::{BOARD, println};
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use drivers::gic::{GicCpuInterface, GicDistributor, Trigger};

/// Interrupt IDs the handler table covers (the A9's GIC has at most 256).
pub const MAX_IRQS: usize = 256;

/// An interrupt handler: gets the interrupt ID.
pub type Handler = fn(u32);

struct Gic {
    dist: GicDistributor,
    cpu: GicCpuInterface,
}

// SAFETY: set once at boot, then shared: the CPU interface is used only by
// `dispatch` (trap path, IRQs masked, one core), and the distributor's
// read-modify-writes are serialised by DIST.
unsafe impl Sync for Gic {}

static GIC: spin::Once<Gic> = spin::Once::new();
/// Serialises changes to the distributor's configuration.
static DIST: IrqLock<()> = IrqLock::new(());
/// A `Handler` per interrupt ID (null: none). Read by `dispatch` without a
/// lock: one load on the IRQ path.
static HANDLERS: [AtomicPtr<()>; MAX_IRQS] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_IRQS];
static SPURIOUS: AtomicU32 = AtomicU32::new(0);
static UNEXPECTED: AtomicU32 = AtomicU32::new(0);

fn handler(irq: u32) -> Option<Handler> {
    let p = HANDLERS.get(irq as usize)?.load(Ordering::Acquire);
    // SAFETY: a non-null entry was stored by `register` from a `Handler`.
    (!p.is_null()).then(|| unsafe { core::mem::transmute::<*mut (), Handler>(p) })
}

/// Why an interrupt request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqError {
    /// The ID is beyond what this GIC implements.
    BadIrq,
    /// A handler is already registered for it.
    Busy,
}

/// Maps and initialises the GIC (all SPIs off, CPU interface open).
pub fn init() {
    let dist_va = crate::mm::ioremap(BOARD.gic_dist_base(), 0x1000).expect("ioremap GIC");
    let cpu_va = crate::mm::ioremap(BOARD.gic_cpu_base(), 0x100).expect("ioremap GIC");
    // SAFETY: both addresses map this board's GIC as device memory, for good,
    // and these are the only driver instances.
    let gic = unsafe {
        Gic {
            dist: GicDistributor::new(dist_va),
            cpu: GicCpuInterface::new(cpu_va),
        }
    };
    gic.dist.init();
    gic.cpu.init();
    println!("irq: GIC with {} interrupt IDs", gic.dist.number_of_irqs());
    GIC.call_once(|| gic);
}

/// Runs `f` on the GIC with the distributor's configuration lock held.
fn with_gic<R>(f: impl FnOnce(&Gic) -> R) -> R {
    let _dist = DIST.lock();
    f(gic())
}

#[inline]
fn gic() -> &'static Gic {
    GIC.get().expect("irq::init has run")
}

/// Registers `handler` for `irq`, sets its trigger and enables it.
pub fn register(irq: u32, trigger: Trigger, handler: Handler) -> Result<(), IrqError> {
    let slot = irq as usize;
    if slot >= MAX_IRQS || irq >= with_gic(|g| g.dist.number_of_irqs()) {
        return Err(IrqError::BadIrq);
    }
    let h = handler as *mut ();
    if HANDLERS[slot]
        .compare_exchange(
            core::ptr::null_mut(),
            h,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_err()
    {
        return Err(IrqError::Busy);
    }
    with_gic(|g| {
        if irq >= drivers::gic::FIRST_SPI {
            let _ = g.dist.set_trigger(irq, trigger);
            let _ = g.dist.set_target(irq, 1);
        }
        g.dist.enable(irq).map_err(|_| IrqError::BadIrq)
    })
}

/// Registers `handler` for SPI `irq` (level-triggered) and leaves it masked:
/// the owner unmasks it with [`enable`] when it is ready. For lines a
/// process drives ([`crate::object::irqline`]): PPIs and SGIs belong to the
/// kernel and are [`IrqError::BadIrq`] here.
pub fn register_masked(irq: u32, handler: Handler) -> Result<(), IrqError> {
    if irq < drivers::gic::FIRST_SPI {
        return Err(IrqError::BadIrq);
    }
    let slot = irq as usize;
    if slot >= MAX_IRQS || irq >= with_gic(|g| g.dist.number_of_irqs()) {
        return Err(IrqError::BadIrq);
    }
    if HANDLERS[slot]
        .compare_exchange(
            core::ptr::null_mut(),
            handler as *mut (),
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_err()
    {
        return Err(IrqError::Busy);
    }
    with_gic(|g| {
        let _ = g.dist.disable(irq);
        let _ = g.dist.set_trigger(irq, Trigger::Level);
        let _ = g.dist.set_target(irq, 1);
    });
    Ok(())
}

/// Masks `irq` at the distributor (its handler stays registered).
///
/// Without the configuration lock: masking is one write of a
/// write-one-to-clear register (GICD_ICENABLERn), which no other update
/// can tear or undo halfway, so interrupt handlers (a user-driven line's,
/// `object::irqline`) mask their line without that lock's round trip.
#[inline]
pub fn disable(irq: u32) {
    let _ = gic().dist.disable(irq);
}

/// Disables `irq` and forgets its handler.
pub fn unregister(irq: u32) {
    with_gic(|g| {
        let _ = g.dist.disable(irq);
    });
    if let Some(h) = HANDLERS.get(irq as usize) {
        h.store(core::ptr::null_mut(), Ordering::Release);
    }
}

/// Enables `irq` at the distributor whether or not a handler is registered
/// (an interrupt without one is logged and masked when it arrives).
pub fn enable(irq: u32) -> Result<(), IrqError> {
    with_gic(|g| g.dist.enable(irq)).map_err(|_| IrqError::BadIrq)
}

/// Makes an SPI pending by software (tests and software-triggered work).
pub fn trigger(irq: u32) -> Result<(), IrqError> {
    with_gic(|g| g.dist.set_pending(irq)).map_err(|_| IrqError::BadIrq)
}

/// Whether `irq` is enabled at the distributor.
pub fn is_enabled(irq: u32) -> bool {
    with_gic(|g| g.dist.is_enabled(irq).unwrap_or(false))
}

/// Handles the interrupt the GIC presents (called from the IRQ trap; another
/// pending one simply traps again when the trap returns).
///
/// No lock: IRQs are masked here, and the CPU interface is only used here.
pub fn dispatch() {
    let gic = gic();
    let Some(iar) = gic.cpu.acknowledge() else {
        SPURIOUS.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let irq = drivers::gic::interrupt_id(iar);
    match handler(irq) {
        Some(h) => h(irq),
        None => {
            UNEXPECTED.fetch_add(1, Ordering::Relaxed);
            with_gic(|g| {
                let _ = g.dist.disable(irq);
            });
            println!("irq: unexpected interrupt {irq}: no handler, masked");
        }
    }
    gic.cpu.end_of_interrupt(iar);
}

/// Spurious acknowledges and unexpected interrupts seen so far.
pub fn counters() -> (u32, u32) {
    (
        SPURIOUS.load(Ordering::Relaxed),
        UNEXPECTED.load(Ordering::Relaxed),
    )
}
