//! ioremap shares a 1 MiB device section between the ranges that lie in it and
//! unmaps it with its last user. In a MiB no driver uses (the LAN9118 of the
//! Versatile Express and RealView motherboards, the Zynq's SD controllers),
//! two ranges share one section (refs 2), registers read through it, the
//! first iounmap keeps it and the second
//! removes it (the next read is a translation fault). The GIC CPU interface
//! (+0x100) and distributor (+0x1000) share the section the kernel's own GIC
//! driver maps, and unmapping them leaves the kernel's mapping alone. The
//! window is Device memory, kernel-only and execute-never (executing it is a
//! permission fault), and iounmap of what was never mapped is refused.

#![no_std]
#![no_main]

use arch::fault::{FaultKind, Level};
use arch::mmu::descriptor::{Access, Attrs, MemType};
use arch::mmu::ioremap::IoError;
use arch::mmu::pmap::Size;
use arch::trap::{TrapKind, probe_exec, probe_read};
use kernel::BOARD;
use kernel::layout::{IOREMAP_END, IOREMAP_START};
use kernel::mm::{extract, ioremap, ioremap_refs, iounmap, stats};
use ktests::{check, finish};

kernel::entry!(main);

/// A device alone in its MiB that no kernel driver maps, and two of its
/// registers that read known values.
struct Spare {
    /// What it is.
    name: &'static str,
    /// Its physical address.
    pa: u32,
    /// An identification register: offset, mask, value under the mask.
    id: (usize, u32, u32),
    /// A register with a fixed value: offset, value.
    fixed: (usize, u32),
}

/// The spare device of the board the test runs on.
fn spare() -> Spare {
    match BOARD.name {
        // The Zynq's SD/SDIO controller 0 (UG585 B.31; QEMU's xilinx_zynq.c
        // gives it the silicon's Capabilities): the Host Controller Version
        // (bits 23:16 of the word at 0xFC) says SD Host spec 2.00, and
        // Capabilities reads 0x69EC_0080.
        "xilinx-zynq-a9" => Spare {
            name: "SDHCI 0",
            pa: 0xE010_0000,
            id: (0xFC, 0x00FF_0000, 0x0001_0000),
            fixed: (0x40, 0x69EC_0080),
        },
        // The SMSC LAN9118 Ethernet controller of the Versatile Express
        // (legacy map) and RealView PB motherboards: ID_REV holds chip 0x0118
        // in its upper half, BYTE_TEST always reads 0x8765_4321.
        _ => Spare {
            name: "LAN9118",
            pa: 0x4E00_0000,
            id: (0x50, 0xFFFF_0000, 0x0118_0000),
            fixed: (0x64, 0x8765_4321),
        },
    }
}
/// GICD_TYPER: interrupt lines and CPUs; never 0 on a GIC.
const GICD_TYPER: usize = 0x4;
/// GICC_PMR: the CPU interface's priority mask.
const GICC_PMR: usize = 0x4;

fn main() {
    let sections0 = stats().kernel.sections;
    let dev = spare();
    let (id_off, id_mask, id_value) = dev.id;
    let (fixed_off, fixed_value) = dev.fixed;

    // --- a MiB of its own: shared by two ranges, removed by the last iounmap ---
    let id = ioremap(dev.pa, 0x100);
    check("ioremap of the spare device's ID registers", id.is_ok());
    let Ok(id) = id else { finish() };
    check(
        "it lies in the ioremap window at its MiB offset",
        (IOREMAP_START..IOREMAP_END).contains(&(id as u32)) && id & 0xF_FFFF == 0,
    );
    check(
        "nobody else maps that MiB: refs 1, one more section",
        ioremap_refs(id) == 1 && stats().kernel.sections == sections0 + 1,
    );
    let regs = ioremap(dev.pa + 0x1000, 0x1000);
    check("a second ioremap in the same MiB", regs.is_ok());
    let Ok(regs) = regs else { finish() };
    check(
        "the two VAs lie in the same section",
        id >> 20 == regs >> 20 && regs & 0xF_FFFF == 0x1000,
    );
    check(
        "the section is shared: refs 2",
        ioremap_refs(id) == 2 && ioremap_refs(regs) == 2,
    );
    check(
        "still one section for both",
        stats().kernel.sections == sections0 + 1,
    );
    let id_rev = probe_read(id + id_off);
    kernel::println!("{} ID register {id_rev:x?}", dev.name);
    check(
        "the ID register reads through the mapping",
        matches!(id_rev, Ok(v) if v & id_mask == id_value),
    );
    check(
        "the fixed-value register reads its value",
        probe_read(id + fixed_off).ok() == Some(fixed_value),
    );

    let t = extract(id as u32);
    check(
        "extract: the device, as a section",
        matches!(t, Some(t) if t.phys == dev.pa && t.size == Size::Section),
    );
    check(
        "the window is Device memory, XN, kernel-only",
        matches!(t, Some(t) if t.attrs.mem == MemType::Device && t.attrs.xn
            && t.attrs.access == Access::KernelRw && !t.attrs.access.user_readable()
            && t.attrs == Attrs::DEVICE),
    );
    // Only probed when XN: executing device registers would not return.
    let xn = matches!(t, Some(t) if t.attrs.xn);
    let exec = if xn { probe_exec(id) } else { None };
    check(
        "executing device memory faults (prefetch abort, permission)",
        matches!(exec, Some(f) if f.kind == TrapKind::PrefetchAbort && f.addr == id as u32
            && f.status.instruction && f.status.is_permission()),
    );

    check(
        "first iounmap keeps the section (0 removed)",
        iounmap(regs, 0x1000) == Ok(0),
    );
    check("refs 1 after the first iounmap", ioremap_refs(id) == 1);
    check(
        "the registers still read",
        probe_read(id + id_off).ok() == id_rev.ok(),
    );
    check(
        "second iounmap removes the section (1 removed)",
        iounmap(id, 0x100) == Ok(1),
    );
    check(
        "refs 0 and the section count is back",
        ioremap_refs(id) == 0 && stats().kernel.sections == sections0,
    );
    check(
        "extract after the last iounmap is None",
        extract(id as u32).is_none(),
    );
    let addr = id + id_off;
    check(
        "a read after the last iounmap faults (translation, section)",
        matches!(probe_read(addr), Err(f) if f.addr == addr as u32
            && f.status.kind == FaultKind::Translation(Level::First) && !f.status.write),
    );
    check(
        "a second iounmap of the same range is refused",
        iounmap(id, 0x100) == Err(IoError::NotMapped),
    );

    // --- the GIC: shared with the kernel's own driver ---
    let cpu = ioremap(BOARD.gic_cpu_base(), 0x100);
    check("ioremap of the GIC CPU interface", cpu.is_ok());
    let Ok(cpu) = cpu else { finish() };
    let others = ioremap_refs(cpu) - 1;
    let sections = stats().kernel.sections;
    kernel::println!("GIC MiB: {others} other user(s)");
    let dist = ioremap(BOARD.gic_dist_base(), 0x1000);
    check("ioremap of the GIC distributor", dist.is_ok());
    let Ok(dist) = dist else { finish() };
    check(
        "CPU interface and distributor share one section",
        cpu >> 20 == dist >> 20 && cpu & 0xF_FFFF == 0x100 && dist & 0xF_FFFF == 0x1000,
    );
    check(
        "refs: the other users plus 2, no new section",
        ioremap_refs(dist) == others + 2 && stats().kernel.sections == sections,
    );
    let typer = probe_read(dist + GICD_TYPER);
    check(
        "GICD_TYPER reads through it and is nonzero",
        matches!(typer, Ok(v) if v != 0),
    );
    check(
        "GICC_PMR reads through the CPU interface mapping",
        probe_read(cpu + GICC_PMR).is_ok(),
    );
    check(
        "extract: the distributor, Device, XN",
        matches!(extract(dist as u32), Some(t) if t.phys == BOARD.gic_dist_base()
            && t.size == Size::Section && t.attrs == Attrs::DEVICE),
    );
    check(
        "first GIC iounmap keeps the section",
        iounmap(cpu, 0x100) == Ok(0) && ioremap_refs(dist) == others + 1,
    );
    let last = iounmap(dist, 0x1000);
    check(
        "second GIC iounmap removes the section only if nobody else uses it",
        last == Ok(usize::from(others == 0)) && ioremap_refs(dist) == others,
    );
    if others > 0 {
        check(
            "the kernel's GIC mapping is still there",
            probe_read(dist + GICD_TYPER).ok() == typer.ok() && stats().kernel.sections == sections,
        );
    }

    // --- refused calls ---
    check(
        "iounmap of a window address never mapped is refused",
        iounmap(IOREMAP_END as usize - 0x10_0000, 0x1000) == Err(IoError::NotMapped),
    );
    check(
        "iounmap of an address outside the window is refused",
        iounmap(0x4000_0000, 0x1000) == Err(IoError::NotMapped),
    );
    check(
        "ioremap of an empty range is refused",
        ioremap(dev.pa, 0) == Err(IoError::BadRange),
    );
    check(
        "ioremap of a range wrapping past 4 GiB is refused",
        ioremap(0xFFFF_F000, 0x2000) == Err(IoError::BadRange),
    );
    check(
        "refused calls mapped nothing",
        stats().kernel.sections == sections0,
    );

    // A range that crosses a MiB boundary takes two sections.
    let two = ioremap(dev.pa + 0xF_F000, 0x2000);
    check(
        "a range over two MiBs maps two sections",
        matches!(two, Ok(va) if va & 0xF_FFFF == 0xF_F000)
            && stats().kernel.sections == sections0 + 2,
    );
    if let Ok(two) = two {
        check(
            "its iounmap removes both",
            iounmap(two, 0x2000) == Ok(2) && stats().kernel.sections == sections0,
        );
    }
    finish()
}
