//! Memory management: the layers above the hardware pmap.
//!
//! ```text
//! pmap (arch)        map/unmap/protect/extract in one translation table
//!   frames           buddy allocator over physical RAM + reverse map (PageDesc)
//!     l2pool         1 KiB L2 tables, four to a frame
//!     kernel space   the kernel's pmap (TTBR1 half) and the ioremap window
//!       heap, zones  kernel objects: linked_list_allocator, fixed-size zones
//! ```
//!
//! One lock ([`MM`]) guards the frame allocator, the L2 pool and the kernel
//! pmap; the ioremap window has its own, taken before it. Both are sleeping
//! locks with priority inheritance, so no `kernel::mm` call masks IRQs, and
//! the rule that comes with them: interrupt handlers never call `kernel::mm`
//! nor allocate from the heap, and nothing does so under the scheduler lock
//! or another `IrqLock` (checked: a panic names the bug). Code holding
//! [`MM`] never allocates from the heap, so heap growth (which takes it)
//! cannot deadlock.

pub mod frames;
pub mod zones;

#[cfg(target_os = "none")]
pub mod heap;
#[cfg(target_os = "none")]
pub mod inject;
#[cfg(target_os = "none")]
mod l2pool;
pub mod pressure;
#[cfg(target_os = "none")]
mod space;

#[cfg(target_os = "none")]
pub use space::*;
pub mod object;

#[cfg(target_os = "none")]
pub mod mapper;
