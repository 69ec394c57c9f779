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

/// Linear map: kernel virtual address of a RAM physical address.
#[inline]
pub fn phys_to_virt(phys: u32) -> u32 {
    phys - crate::BOARD.ram_base + KERNEL_VBASE
}

/// Linear map: physical address of a kernel virtual address in the linear map.
#[inline]
pub fn virt_to_phys(virt: u32) -> u32 {
    virt - KERNEL_VBASE + crate::BOARD.ram_base
}
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
/// The most processes that can exist at once.
pub const MAX_PROCESSES: usize = 32;
/// Each kernel-bound process's window in the kernel-task area (by pid).
pub const KTASK_WINDOW: u32 = 32 << 20;
const _: () =
    assert!(KTASK_START as u64 + MAX_PROCESSES as u64 * KTASK_WINDOW as u64 <= KTASK_END as u64);
/// Start of the ioremap window.
pub const IOREMAP_START: u32 = 0xF000_0000;
/// End (exclusive) of the ioremap window.
pub const IOREMAP_END: u32 = 0xFEF0_0000;
/// Where the boot stub maps the console UART's MiB (see linker.ld).
pub const EARLY_UART_VBASE: u32 = 0xFEF0_0000;
/// Offset of the kernel image into RAM (see linker.ld).
pub const KERNEL_OFFSET: u32 = 0x0010_0000;

/// The boot stub writes descriptors with hand-encoded constants; these tests
/// check them against the descriptor types, and the stub's addresses against
/// this layout, so the assembly cannot drift from the Rust.
#[cfg(test)]
mod boot_stub_tests {
    use arch::mmu::descriptor::{Access, Attrs, L1Entry, L2Entry};

    fn equ(name: &str) -> u32 {
        let src = include_str!("../../boot/src/start.s");
        let line = src
            .lines()
            .find(|l| l.trim_start().starts_with(&format!(".equ {name},")))
            .unwrap_or_else(|| panic!("{name} not in start.s"));
        let value = line
            .split(',')
            .nth(1)
            .unwrap()
            .split('@')
            .next()
            .unwrap()
            .trim();
        u32::from_str_radix(value.trim_start_matches("0x"), 16).unwrap()
    }

    #[test]
    fn section_constants_match_descriptors() {
        let exec_rw = Attrs::kernel(Access::KernelRw, false);
        assert_eq!(
            equ("SECT_IDENTITY"),
            L1Entry::section(0, exec_rw).unwrap().encode()
        );
        assert_eq!(
            equ("SECT_RAM"),
            L1Entry::section(0, Attrs::KERNEL_DATA).unwrap().encode()
        );
        let dev = Attrs {
            shareable: false,
            ..Attrs::DEVICE
        };
        assert_eq!(
            equ("SECT_DEVICE"),
            L1Entry::section(0, dev).unwrap().encode()
        );
    }

    #[test]
    fn page_constants_match_descriptors() {
        let page = |a| L2Entry::small(0, a).unwrap().encode();
        assert_eq!(equ("PAGE_TEXT"), page(Attrs::KERNEL_TEXT));
        assert_eq!(equ("PAGE_RODATA"), page(Attrs::KERNEL_RODATA));
        assert_eq!(equ("PAGE_DATA"), page(Attrs::KERNEL_DATA));
        assert_eq!(equ("COARSE_TABLE"), L1Entry::table(0, 0).unwrap().encode());
    }

    #[test]
    fn linker_addresses_match_layout() {
        let ld = include_str!("../../linker.ld");
        let value = |name: &str| {
            let line = ld
                .lines()
                .find(|l| l.split('=').next().map(str::trim) == Some(name))
                .unwrap();
            let v = line
                .split('=')
                .nth(1)
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim();
            u32::from_str_radix(v.trim_start_matches("0x"), 16).unwrap()
        };
        assert_eq!(value("KERNEL_VBASE"), super::KERNEL_VBASE);
        assert_eq!(value("KERNEL_OFFSET"), super::KERNEL_OFFSET);
        assert_eq!(value("EARLY_UART_VBASE"), super::EARLY_UART_VBASE);
    }
}
