//! From the boot stub to the kernel's `main`: the first Rust code that runs.
//!
//! `kernel_entry` is called by `boot/src/start.s` on the boot SVC stack with the
//! MMU on and the image already protected page by page (text RX, rodata R,
//! everything else RW+XN). It installs the vectors, starts the console, removes
//! the identity map and the stack guard pages, prints the banner and runs the
//! image's `main` (see [`crate::entry!`]).

use crate::layout::EARLY_UART_VBASE;
use crate::{BOARD, ExitCode, console, println};
use arch::mmu::descriptor::{L1Entry, L2Entry, l1_index, l2_index};

/// Priority of the boot thread that runs the image's `main`.
pub const MAIN_PRIORITY: u8 = 16;

/// What the boot stub found and built, passed to [`kernel_entry`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BootInfo {
    /// [`BootInfo::MAGIC`]: proves the record came from our stub.
    pub magic: u32,
    /// Physical base of RAM.
    pub ram_base: u32,
    /// RAM size in bytes.
    pub ram_size: u32,
    /// Physical start of the kernel image.
    pub kernel_phys_start: u32,
    /// Physical end (exclusive) of the kernel image, boot tables included.
    pub kernel_phys_end: u32,
    /// Physical address of the boot L1 table (16 KiB).
    pub l1_phys: u32,
    /// Physical address of the first boot L2 table.
    pub l2_phys: u32,
    /// Number of 1 KiB L2 tables the stub used for the image.
    pub l2_count: u32,
}

impl BootInfo {
    /// The value of [`BootInfo::magic`] ("BOOK").
    pub const MAGIC: u32 = 0x4B4F_4F42;
}

/// Linker-script symbols, as addresses.
pub mod sym {
    unsafe extern "C" {
        static __text_start: u8;
        static __text_end: u8;
        static __rodata_start: u8;
        static __rodata_end: u8;
        static __data_start: u8;
        static __data_end: u8;
        static __bss_start: u8;
        static __bss_end: u8;
        static __stacks_start: u8;
        static __stacks_end: u8;
        static __kernel_start: u8;
        static __kernel_end: u8;
        static __svc_stack_guard: u8;
        static __irq_stack_guard: u8;
        static __abt_stack_guard: u8;
        static __und_stack_guard: u8;
        static __fiq_stack_guard: u8;
        static __emergency_stack_guard: u8;
        static __svc_stack_top: u8;
    }
    macro_rules! addr {
        ($($(#[$d:meta])* $f:ident = $s:ident;)*) => {$(
            $(#[$d])*
            pub fn $f() -> u32 {
                &raw const $s as u32
            }
        )*};
    }
    addr! {
        /// Start of kernel text.
        text_start = __text_start;
        /// End of kernel text.
        text_end = __text_end;
        /// Start of read-only data.
        rodata_start = __rodata_start;
        /// End of read-only data.
        rodata_end = __rodata_end;
        /// Start of initialised data.
        data_start = __data_start;
        /// End of initialised data.
        data_end = __data_end;
        /// Start of BSS.
        bss_start = __bss_start;
        /// End of BSS.
        bss_end = __bss_end;
        /// Start of the stacks area.
        stacks_start = __stacks_start;
        /// End of the stacks area.
        stacks_end = __stacks_end;
        /// Start of the image.
        kernel_start = __kernel_start;
        /// End of the image.
        kernel_end = __kernel_end;
        /// Top of the boot (SVC) stack.
        svc_stack_top = __svc_stack_top;
    }
    /// The guard page below each exception-mode stack.
    pub fn stack_guards() -> [u32; 6] {
        [
            &raw const __svc_stack_guard as u32,
            &raw const __irq_stack_guard as u32,
            &raw const __abt_stack_guard as u32,
            &raw const __und_stack_guard as u32,
            &raw const __fiq_stack_guard as u32,
            &raw const __emergency_stack_guard as u32,
        ]
    }
}

pub use crate::layout::{phys_to_virt, virt_to_phys};

static mut BOOT_INFO: BootInfo = BootInfo {
    magic: 0,
    ram_base: 0,
    ram_size: 0,
    kernel_phys_start: 0,
    kernel_phys_end: 0,
    l1_phys: 0,
    l2_phys: 0,
    l2_count: 0,
};

/// The boot record, as the stub passed it.
pub fn boot_info() -> BootInfo {
    // SAFETY: written once in kernel_entry before anything can read it.
    unsafe { BOOT_INFO }
}

unsafe extern "Rust" {
    /// The image's main, defined by `kernel::entry!`.
    safe fn __kernel_main();
}

/// First Rust function: called once by the boot stub.
#[unsafe(no_mangle)]
extern "C" fn kernel_entry(info: &BootInfo) -> ! {
    arch::trap::install_vectors();
    // SAFETY: the stub mapped the console UART's MiB at EARLY_UART_VBASE.
    unsafe { console::init(EARLY_UART_VBASE as usize | (BOARD.console.base as usize & 0xF_FFFF)) };
    // SAFETY: single-threaded boot; nothing has read BOOT_INFO yet.
    unsafe { BOOT_INFO = *info };
    if info.magic != BootInfo::MAGIC || info.ram_base != BOARD.ram_base {
        panic!("bad boot record {info:x?}");
    }
    let l1 = phys_to_virt(info.l1_phys) as *mut u32;
    remove_identity_map(l1, info);
    for guard in sym::stack_guards() {
        unmap_image_page(l1, guard);
    }
    arch::mmu::tlb_invalidate_all();
    banner(info);
    crate::mm::init(info);
    crate::cache::init();
    crate::safe_end::init();
    crate::watchdog::init();
    crate::clocks::init();
    crate::vfp::init();
    crate::irq::init();
    crate::time::init(crate::clocks::periph_hz());
    crate::clocks::cross_check();
    crate::thread::init(MAIN_PRIORITY);
    crate::process::init();
    console::start();
    // The scheduler runs: from here on masked stretches are profiled.
    crate::irqsoff::start();
    arch::cpu::interrupts_enable();
    crate::thread::boot_finished();
    __kernel_main();
    exit(ExitCode::Success)
}

/// Clears the boot stub's identity map: from now on a NULL or low-address
/// access faults.
fn remove_identity_map(l1: *mut u32, info: &BootInfo) {
    let first = l1_index(info.ram_base);
    for i in first..first + (info.ram_size >> 20) as usize {
        // SAFETY: l1 is the live boot L1 table (16 KiB, 4096 entries) in the
        // linear map; the identity entries are not used by any code after the
        // jump to the higher half.
        unsafe { l1.add(i).write_volatile(L1Entry::Fault.encode()) };
    }
}

/// Unmaps one page of the kernel image (mapped by the stub's L2 tables).
fn unmap_image_page(l1: *mut u32, va: u32) {
    // SAFETY: l1 is the live boot L1 table; va lies in the image, whose MiBs
    // the stub pointed at its L2 tables.
    let entry = unsafe { l1.add(l1_index(va)).read_volatile() };
    if let Ok(L1Entry::Table { l2_phys, .. }) = L1Entry::decode(entry) {
        let l2 = phys_to_virt(l2_phys) as *mut u32;
        // SAFETY: l2 is that L2 table (256 entries) in the linear map.
        unsafe { l2.add(l2_index(va)).write_volatile(L2Entry::Fault.encode()) };
    }
}

fn banner(info: &BootInfo) {
    let kib = |a: u32, b: u32| (b - a) / 1024;
    println!();
    println!(
        "rtk {} (ARMv7-A real-time microkernel) on {}",
        env!("CARGO_PKG_VERSION"),
        BOARD.name
    );
    println!(
        "RAM: {} MiB at {:#010x}; kernel image at {:#010x}-{:#010x} ({} KiB)",
        info.ram_size >> 20,
        info.ram_base,
        info.kernel_phys_start,
        info.kernel_phys_end,
        kib(info.kernel_phys_start, info.kernel_phys_end)
    );
    println!("Virtual kernel memory layout:");
    let row = |name: &str, a: u32, b: u32| {
        let size = b.wrapping_sub(a);
        if size >= 1 << 20 {
            println!(
                "    {name:>8} : {a:#010x} - {b:#010x}   ({:>5} MiB)",
                size >> 20
            );
        } else {
            println!(
                "    {name:>8} : {a:#010x} - {b:#010x}   ({:>5} KiB)",
                size >> 10
            );
        }
    };
    use crate::layout::*;
    row("user", USER_START, USER_END);
    row("ktasks", KTASK_START, KTASK_END);
    row("lowmem", KERNEL_VBASE, KERNEL_VBASE + info.ram_size);
    row("heap", HEAP_START, HEAP_END);
    row("ioremap", IOREMAP_START, IOREMAP_END);
    row("earlyio", EARLY_UART_VBASE, EARLY_UART_VBASE + (1 << 20));
    row(".text", sym::text_start(), sym::text_end());
    row(".rodata", sym::rodata_start(), sym::rodata_end());
    row(".data", sym::data_start(), sym::data_end());
    row(".bss", sym::bss_start(), sym::bss_end());
    row(".stacks", sym::stacks_start(), sym::stacks_end());
    row("tables", sym::stacks_end(), sym::kernel_end());
    errata();
}

/// Reports the CPU and the errata workaround bits the boot stub set.
fn errata() {
    let midr = arch::cpu::midr();
    let Some(rev) = arch::cpu::a9_revision(midr) else {
        println!("cpu: MIDR {midr:#010x}: not a Cortex-A9, no errata workarounds");
        return;
    };
    let want = arch::cpu::a9_errata_bits(rev);
    let diag = arch::cpu::a9_diagnostic();
    println!(
        "cpu: Cortex-A9 r{}p{}; errata bits {want:#x} in the diagnostic register: {}",
        rev.0,
        rev.1,
        if diag & want == want {
            "set"
        } else if diag == 0 {
            "reads 0 (RAZ/WI: QEMU's model)"
        } else {
            "NOT set (non-secure boot?)"
        }
    );
}

/// Ends the run with `code` (QEMU exits with it; see [`ExitCode`]), after
/// sending everything the console holds. In an image for a board, see
/// [`crate::safe_end`].
pub fn exit(code: ExitCode) -> ! {
    crate::safe_end::end(code)
}
