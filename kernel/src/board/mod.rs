//! Board descriptions: one data file per board, nothing else.
//!
//! This module is pure data built from `core` only, because three programs read
//! it: the kernel (to find its devices), `kernel/build.rs` (to give the linker
//! the board's RAM base) and `xtask` (to start the right QEMU machine). Adding a
//! board means adding one file beside `vexpress_a9.rs` and one line to [`ALL`].

pub mod realview_pbx_a9;
pub mod vexpress_a9;
pub mod xilinx_zynq_a9;

/// Every board the kernel can be built for (`cargo xtask test` runs them in
/// this order).
pub const ALL: &[&Board] = &[
    &vexpress_a9::BOARD,
    &realview_pbx_a9::BOARD,
    &xilinx_zynq_a9::BOARD,
];

/// Offset of the kernel image into RAM (linker.ld `KERNEL_OFFSET`): the image
/// is loaded at RAM base + 1 MiB.
pub const KERNEL_OFFSET: u32 = 0x0010_0000;

/// The most RAM the kernel's linear map holds (kernel/src/layout.rs:
/// 0xC000_0000..0xE000_0000). A board with more declares this much.
pub const MAX_RAM: u32 = 512 << 20;

/// Start of the kernel's linear map (kernel/src/layout.rs `KERNEL_VBASE`).
const KERNEL_VBASE: u32 = 0xC000_0000;

/// Bytes of page descriptor the kernel keeps per 4 KiB page of RAM, right
/// after the image: an upper bound of `size_of::<PageDesc>()`, which
/// kernel/src/mm/frames.rs asserts.
pub const PAGE_DESC_BYTES: u32 = 16;

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

/// A Cadence triple timer counter (Zynq-7000), used through its first
/// counter.
#[derive(Clone, Copy, Debug)]
pub struct Ttc {
    /// Physical base address.
    pub base: u32,
    /// GIC interrupt ID of its first counter (the next two counters have the
    /// next two IDs).
    pub irq: u32,
    /// Its clock in Hz.
    pub clock_hz: u32,
}

/// The board's hardware timer as a user-space driver gets it (the SP804
/// where there is one, else the TTC's first counter): the register block
/// to grant, the interrupt line to grant, and the `arg` the user library's
/// `user::timer::Timer::from_arg` decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserTimer {
    /// Physical address of its registers.
    pub base: u32,
    /// Length of its register block.
    pub len: u32,
    /// GIC interrupt ID.
    pub irq: u32,
    /// A Cadence TTC counter (else an SP804 timer 1).
    pub ttc: bool,
    /// Its input clock in Hz.
    pub clock_hz: u32,
}

impl UserTimer {
    /// The driver's `arg` for `hz` interrupts a second: `kind << 28 |
    /// ticks per period` (kind 0 SP804, 1 TTC), the layout
    /// `user::timer::Timer::from_arg` reads.
    pub const fn driver_arg(&self, hz: u32) -> u32 {
        (self.ttc as u32) << 28 | (self.clock_hz / hz) & 0x0FFF_FFFF
    }
}

/// A 1 MiB range of device memory that belongs to one device alone: nothing
/// else decodes anywhere in it. Only these may be granted to a hard
/// process, which maps 1 MiB sections and nothing smaller; any other device
/// shares its MiB with others (on Zynq, the SLCR, the DDR controller and
/// the timers share one), and a hard process reaches it through a driver
/// process instead.
#[derive(Clone, Copy, Debug)]
pub struct DeviceSection {
    /// What is there.
    pub name: &'static str,
    /// Physical base (1 MiB aligned).
    pub base: u32,
}

/// A PL310 (L2C-310) L2 cache controller and how to set it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L2Cache {
    /// Physical base of its registers.
    pub base: u32,
    /// AUX_CTRL bits to set before enabling.
    pub aux_set: u32,
    /// AUX_CTRL bits kept from the value found (`!0`: keep all).
    pub aux_keep: u32,
    /// TAG_RAM_CTRL and DATA_RAM_CTRL, when the reset values are wrong.
    pub latencies: Option<(u32, u32)>,
    /// Ways reserved at boot for hard tasks' locked memory (a bit per
    /// way; `kernel::process::lock_l2`): nothing else allocates into them.
    /// 0: none (every way serves everyone).
    pub hard_ways: u32,
}

/// How the kernel resets the board (the end of a panic in a board image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemReset {
    /// Zynq-7000: unlock the SLCR at this base, set PSS_RST_CTRL.SOFT_RST.
    ZynqSlcr {
        /// Physical base of the SLCR.
        slcr: u32,
    },
    /// Versatile Express: a SYS_CFGCTRL reboot request to the motherboard.
    VexpressCfg {
        /// Physical base of the system registers.
        sysregs: u32,
    },
    /// RealView: SYS_LOCK unlock, then SYS_RESETCTL.
    RealviewResetCtl {
        /// Physical base of the system registers.
        sysregs: u32,
    },
}

/// What a board image does after a panic or an unhandled kernel fault,
/// once it has printed the report and called the safe-state hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FatalEnd {
    /// Reset the board through its [`SystemReset`] (parks with the
    /// watchdog armed if the reset does not happen).
    Reset,
    /// Stop with the Cortex-A9 private watchdog armed for this many
    /// milliseconds: the watchdog resets the board (for a board whose reset
    /// controller is unknown, or where an external supervisor should see
    /// the stop).
    WatchdogPark {
        /// The watchdog timeout.
        timeout_ms: u32,
    },
}

/// Where the kernel learns the CPU's clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockTree {
    /// The frequencies in this file are the truth.
    Fixed,
    /// Zynq-7000: derived at boot from the SLCR's PLL and divider
    /// registers, as the boot loader (FSBL) programmed them.
    ZynqSlcr {
        /// Physical base of the SLCR.
        slcr: u32,
        /// The PS_CLK crystal frequency of the board.
        ps_clk_hz: u32,
    },
}

/// A second, independent clock the boot checks the A9 timers against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckClock {
    /// The 24 MHz counter of the Versatile Express / RealView system
    /// registers.
    Sysregs24Mhz {
        /// Physical base of the system registers.
        sysregs: u32,
    },
    /// The first counter of a Cadence TTC, free-running at its clock (the
    /// board's [`Ttc`] rate, or CPU_1x when the clocks come from the SLCR).
    TtcCounter {
        /// Physical base of the TTC.
        base: u32,
    },
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
    /// A Cadence TTC, where the board has one.
    pub ttc: Option<Ttc>,
    /// The MiBs of device memory that each belong to one device alone (see
    /// [`DeviceSection`]).
    pub device_sections: &'static [DeviceSection],
    /// Where the real clock frequencies come from (in an image built for
    /// QEMU the fixed values above are used whatever this says: QEMU's
    /// timers run at them regardless of any clock register).
    pub clock_tree: ClockTree,
    /// The clock the A9 timers are cross-checked against at boot.
    pub check_clock: Option<CheckClock>,
    /// The PL310 (L2C-310) L2 cache controller, if any.
    pub l2_cache: Option<L2Cache>,
    /// How the board resets.
    pub reset: Option<SystemReset>,
    /// What a board image does after a fatal error.
    pub fatal_end: FatalEnd,
}

impl Board {
    /// The timer a user-space driver can own ([`UserTimer`]), if any.
    pub const fn user_timer(&self) -> Option<UserTimer> {
        if let Some(t) = self.sp804 {
            return Some(UserTimer {
                base: t.base,
                len: 0x20,
                irq: t.irq,
                ttc: false,
                clock_hz: t.clock_hz,
            });
        }
        match self.ttc {
            Some(t) => Some(UserTimer {
                base: t.base,
                len: 0x64,
                irq: t.irq,
                ttc: true,
                clock_hz: t.clock_hz,
            }),
            None => None,
        }
    }

    /// Whether the MiB at `base` belongs to one device alone (it is one of
    /// [`Board::device_sections`]).
    pub const fn is_device_section(&self, base: u32) -> bool {
        let mut i = 0;
        while i < self.device_sections.len() {
            if self.device_sections[i].base == base {
                return true;
            }
            i += 1;
        }
        false
    }

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

    /// Physical address the image is loaded at and the boot stub's `_start`
    /// runs from: RAM base + 1 MiB.
    pub const fn load_address(&self) -> u32 {
        self.ram_base + KERNEL_OFFSET
    }

    /// Bytes the page descriptors of this board's RAM take, whole pages.
    pub const fn page_descs_size(&self) -> u32 {
        (self.ram_size / 4096 * PAGE_DESC_BYTES).next_multiple_of(4096)
    }

    /// Checks what the boot stub, the linker script and the memory manager
    /// assume of a board, so that a bad board file stops the build with a
    /// reason instead of producing a kernel that hangs. (Whether the image
    /// itself fits is checked by the linker: linker.ld's last `ASSERT`.)
    pub const fn check(&self) -> Result<(), &'static str> {
        const MIB: u32 = 1 << 20;
        let end = self.ram_base as u64 + self.ram_size as u64;
        if !self.ram_base.is_multiple_of(MIB) || !self.ram_size.is_multiple_of(MIB) {
            return Err(
                "ram_base and ram_size must be whole MiBs (the boot stub maps RAM in sections)",
            );
        }
        if self.ram_size > MAX_RAM {
            return Err("ram_size is over 512 MiB, the most the linear map holds: declare 512 MiB");
        }
        if end > 1 << 32 {
            return Err("RAM runs past the 4 GiB address space");
        }
        // The boot stub's identity map of RAM must not overlap the kernel's
        // own high mappings, or the jump to the higher half would land in
        // the wrong one.
        if end > KERNEL_VBASE as u64 && self.ram_base != KERNEL_VBASE {
            return Err("RAM overlaps the kernel's virtual addresses (0xC000_0000 and up)");
        }
        if self.ram_size <= KERNEL_OFFSET + self.page_descs_size() {
            return Err(
                "RAM is too small: the kernel needs 1 MiB below its image, the image and 16 bytes of page descriptor per 4 KiB page",
            );
        }
        if self.console.clock_hz == 0 || self.console_baud == 0 || self.periph_clock_hz == 0 {
            return Err("clock and baud rates must not be 0");
        }
        if self.console.irq < 32 || self.console.irq >= 1020 {
            return Err("the console's IRQ must be a GIC SPI (32..1020)");
        }
        if matches!(self.fatal_end, FatalEnd::Reset) && self.reset.is_none() {
            return Err("fatal_end is Reset but the board has no reset controller");
        }
        if let FatalEnd::WatchdogPark { timeout_ms: 0 } = self.fatal_end {
            return Err("the watchdog timeout must not be 0");
        }
        if let ClockTree::ZynqSlcr { ps_clk_hz: 0, .. } = self.clock_tree {
            return Err("PS_CLK must not be 0");
        }
        if !self.periph_base.is_multiple_of(0x2000) {
            return Err("PERIPHBASE must be 8 KiB aligned");
        }
        let mut i = 0;
        while i < self.device_sections.len() {
            if !self.device_sections[i].base.is_multiple_of(MIB) {
                return Err("a device section's base must be 1 MiB aligned");
            }
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_board_passes_its_checks() {
        for board in ALL {
            assert_eq!(board.check(), Ok(()), "{}", board.name);
        }
    }

    #[test]
    fn names_are_unique_and_found() {
        for (i, board) in ALL.iter().enumerate() {
            let found = by_name(board.name).unwrap();
            assert_eq!((found.name, found.ram_base), (board.name, board.ram_base));
            assert!(ALL[..i].iter().all(|b| b.name != board.name));
        }
        assert!(by_name("nonsense").is_none());
        assert!(by_name("vexpress-a").is_none());
    }

    #[test]
    fn constants_match_the_linker_script() {
        let ld = include_str!("../../../linker.ld");
        let value = |name: &str| {
            let line = ld
                .lines()
                .find(|l| l.split('=').next().map(str::trim) == Some(name))
                .unwrap_or_else(|| panic!("{name} not in linker.ld"));
            let v = line.split('=').nth(1).unwrap().split(';').next().unwrap();
            u32::from_str_radix(v.trim().trim_start_matches("0x"), 16).unwrap()
        };
        assert_eq!(value("KERNEL_OFFSET"), KERNEL_OFFSET);
        assert_eq!(value("KERNEL_VBASE"), KERNEL_VBASE);
        assert!(ld.contains("PAGE_DESCS_SIZE < RAM_SIZE"));
    }

    #[test]
    fn load_address_and_descriptors() {
        let zynq = by_name("xilinx-zynq-a9").unwrap();
        assert_eq!(zynq.load_address(), 0x0010_0000);
        assert_eq!(zynq.page_descs_size(), 2 << 20);
        assert_eq!(by_name("vexpress-a9").unwrap().load_address(), 0x6010_0000);
        assert_eq!(by_name("vexpress-a9").unwrap().page_descs_size(), 1 << 20);
    }

    #[test]
    fn boards_as_qemu_builds_them() {
        let pbx = by_name("realview-pbx-a9").unwrap();
        assert_eq!((pbx.ram_base, pbx.periph_base), (0, 0x1F00_0000));
        assert_eq!(
            (pbx.console.kind, pbx.console.base, pbx.console.irq),
            (UartKind::Pl011, 0x1000_9000, 44)
        );
        assert!(matches!(pbx.sp804, Some(t) if t.base == 0x1001_1000 && t.irq == 36));

        let zynq = by_name("xilinx-zynq-a9").unwrap();
        assert_eq!((zynq.ram_base, zynq.periph_base), (0, 0xF8F0_0000));
        assert_eq!(
            (zynq.console.kind, zynq.console.base, zynq.console.irq),
            (UartKind::Cadence, 0xE000_1000, 82)
        );
        assert_eq!(zynq.qemu_serial_index, 1);
        assert!(zynq.sp804.is_none());
        assert!(matches!(zynq.ttc, Some(t) if t.base == 0xF800_1000 && t.irq == 42));
        assert!(pbx.ttc.is_none());
        for board in ALL {
            assert_eq!(board.periph_clock_hz, 100_000_000, "{}", board.name);
        }
        // The user-driven timer: the SP804 where there is one, else the TTC.
        let t = pbx.user_timer().unwrap();
        assert_eq!((t.base, t.irq, t.ttc), (0x1001_1000, 36, false));
        assert_eq!(t.driver_arg(1000), 1_000);
        let t = zynq.user_timer().unwrap();
        assert_eq!((t.base, t.len, t.irq, t.ttc), (0xF800_1000, 0x64, 42, true));
        assert_eq!(t.driver_arg(1000), 1 << 28 | 133_000);
    }

    #[test]
    fn bad_boards_are_refused() {
        let good = *by_name("xilinx-zynq-a9").unwrap();
        let with = |f: fn(&mut Board)| {
            let mut b = good;
            f(&mut b);
            b.check()
        };
        assert!(
            with(|b| b.ram_size = 1 << 20)
                .unwrap_err()
                .contains("too small")
        );
        assert!(with(|b| b.ram_size = 0).unwrap_err().contains("too small"));
        assert!(
            with(|b| b.ram_size = 1 << 30)
                .unwrap_err()
                .contains("512 MiB")
        );
        assert!(
            with(|b| b.ram_base = 0x1000)
                .unwrap_err()
                .contains("whole MiBs")
        );
        assert!(
            with(|b| b.ram_base = 0xB000_0000)
                .unwrap_err()
                .contains("overlaps")
        );
        assert!(with(|b| b.ram_base = 0xFFF0_0000).is_err());
        assert!(with(|b| b.console_baud = 0).is_err());
        assert!(with(|b| b.console.irq = 27).is_err());
        // 2 MiB leaves 1 MiB - 8 KiB for the image: whether it fits is the
        // linker's ASSERT to decide.
        assert_eq!(with(|b| b.ram_size = 2 << 20), Ok(()));
    }
}
