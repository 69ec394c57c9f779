//! Board descriptions: one data file per board, nothing else.
//!
//! This module is pure data built from `core` only, because three programs read
//! it: the kernel (to find its devices), `kernel/build.rs` (to give the linker
//! the board's RAM base) and `xtask` (to start the right QEMU machine). Adding a
//! board means adding one file beside `vexpress_a9.rs` and one line to [`ALL`].

pub mod vexpress_a9;

/// Every board the kernel can be built for.
pub const ALL: &[&Board] = &[&vexpress_a9::BOARD];

/// Finds a board by its name (as given to `--board`).
pub const fn by_name(name: &str) -> Option<&'static Board> {
    let mut i = 0;
    while i < ALL.len() {
        if str_eq(ALL[i].name, name) {
            return Some(ALL[i]);
        }
        i += 1;
    }
    None
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Which UART model the console is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UartKind {
    /// ARM PrimeCell PL011 (Versatile Express, RealView).
    Pl011,
    /// Cadence UART (Zynq-7000).
    Cadence,
}

/// A UART: its model, registers and interrupt.
#[derive(Clone, Copy, Debug)]
pub struct Uart {
    /// The controller model.
    pub kind: UartKind,
    /// Physical base address of its registers.
    pub base: u32,
    /// GIC interrupt ID (SPIs start at 32).
    pub irq: u32,
    /// Reference clock in Hz, for the baud-rate divisor.
    pub clock_hz: u32,
}

/// An ARM SP804 dual timer.
#[derive(Clone, Copy, Debug)]
pub struct Sp804 {
    /// Physical base address.
    pub base: u32,
    /// GIC interrupt ID.
    pub irq: u32,
    /// Input clock in Hz.
    pub clock_hz: u32,
}

/// Everything the kernel and the tools need to know about one board.
#[derive(Clone, Copy, Debug)]
pub struct Board {
    /// Name used by `--board` and printed in the boot banner.
    pub name: &'static str,
    /// `-M` machine name for qemu-system-arm.
    pub qemu_machine: &'static str,
    /// Index of the console UART among QEMU's `-serial` options (0 = first).
    pub qemu_serial_index: u32,
    /// Physical base of the RAM the kernel runs in.
    pub ram_base: u32,
    /// Size of that RAM in bytes (QEMU is started with exactly this much).
    pub ram_size: u32,
    /// The console UART.
    pub console: Uart,
    /// Baud rate the console is programmed to.
    pub console_baud: u32,
    /// Cortex-A9 MPCore private memory region (PERIPHBASE): SCU, GIC CPU
    /// interface (+0x100), global timer (+0x200), private timer (+0x600),
    /// GIC distributor (+0x1000).
    pub periph_base: u32,
    /// Frequency of the A9 private and global timers (PERIPHCLK) in Hz.
    pub periph_clock_hz: u32,
    /// An SP804 timer, where the board has one.
    pub sp804: Option<Sp804>,
}

impl Board {
    /// Physical address of the GIC CPU interface.
    pub const fn gic_cpu_base(&self) -> u32 {
        self.periph_base + 0x100
    }
    /// Physical address of the A9 global timer.
    pub const fn global_timer_base(&self) -> u32 {
        self.periph_base + 0x200
    }
    /// Physical address of the A9 private timer and watchdog.
    pub const fn private_timer_base(&self) -> u32 {
        self.periph_base + 0x600
    }
    /// Physical address of the GIC distributor.
    pub const fn gic_dist_base(&self) -> u32 {
        self.periph_base + 0x1000
    }
    /// GIC interrupt ID of the A9 global timer (a PPI).
    pub const GLOBAL_TIMER_IRQ: u32 = 27;
    /// GIC interrupt ID of the A9 private timer (a PPI).
    pub const PRIVATE_TIMER_IRQ: u32 = 29;
}
