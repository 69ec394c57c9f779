//! The kernel's virtual memory layout: one place for every fixed address.
//!
//! ```text
//! 0x0000_0000 - 0x0000_FFFF   never mapped (NULL guard)
//! 0x0001_0000 - 0x3FFF_FFFF   isolated process space (TTBR0)
//! 0x4000_0000 - 0xBFFF_FFFF   kernel-bound task memory (TTBR1)
//! 0xC000_0000 - 0xDFFF_FFFF   kernel image + linear map of RAM (up to 512 MiB)
//! 0xE000_0000 - 0xEFFF_FFFF   kernel heap (grows page by page)
//! 0xF000_0000 - 0xFEEF_FFFF   ioremap window (1 MiB sections, device, XN)
//! 0xFEF0_0000 - 0xFEFF_FFFF   early console mapping (until ioremap takes over)
//! ```

/// Start of the linear map: RAM base maps here.
pub const KERNEL_VBASE: u32 = 0xC000_0000;
/// End (exclusive) of the linear map's window: at most 512 MiB of RAM.
pub const LINEAR_END: u32 = 0xE000_0000;
/// Start of the kernel heap window.
pub const HEAP_START: u32 = 0xE000_0000;
/// End (exclusive) of the kernel heap window.
pub const HEAP_END: u32 = 0xF000_0000;
/// Lowest address a user mapping may have.
pub const USER_START: u32 = 0x0001_0000;
/// End (exclusive) of the isolated process space.
pub const USER_END: u32 = 0x4000_0000;
/// Start of the kernel-bound task area.
pub const KTASK_START: u32 = 0x4000_0000;
/// End (exclusive) of the kernel-bound task area.
pub const KTASK_END: u32 = 0xC000_0000;
/// Start of the ioremap window.
pub const IOREMAP_START: u32 = 0xF000_0000;
/// End (exclusive) of the ioremap window.
pub const IOREMAP_END: u32 = 0xFEF0_0000;
/// Where the boot stub maps the console UART's MiB (see linker.ld).
pub const EARLY_UART_VBASE: u32 = 0xFEF0_0000;
/// Offset of the kernel image into RAM (see linker.ld).
pub const KERNEL_OFFSET: u32 = 0x0010_0000;
