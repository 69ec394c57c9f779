//! Memory-management unit: descriptor formats (pure) and the CP15 operations
//! that install tables and keep the TLB coherent with them (ARM only).

pub mod asid;
pub mod descriptor;
pub mod ioremap;
pub mod pmap;

#[cfg(target_arch = "arm")]
mod cp15;
#[cfg(target_arch = "arm")]
pub use cp15::*;
