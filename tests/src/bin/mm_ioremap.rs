//! ioremap shares a 1 MiB device section between the ranges that lie in it and
//! unmaps it with its last user: the GIC CPU interface (+0x100) and
//! distributor (+0x1000) of the A9 private region share one section (refs 2),
//! their registers read through it, the first iounmap keeps it and the second
//! removes it (the next read is a translation fault). The window is Device
//! memory, kernel-only and execute-never (executing it is a permission fault),
//! and iounmap of what was never mapped is refused.

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

/// GICD_TYPER: interrupt lines and CPUs; never 0 on a GIC.
const GICD_TYPER: usize = 0x4;
/// GICC_PMR: the CPU interface's priority mask.
const GICC_PMR: usize = 0x4;

fn main() {
    let cpu_pa = BOARD.gic_cpu_base();
    let dist_pa = BOARD.gic_dist_base();
    let sections0 = stats().kernel.sections;

    let cpu = ioremap(cpu_pa, 0x100);
    let dist = ioremap(dist_pa, 0x1000);
    check("ioremap of the GIC CPU interface", cpu.is_ok());
    check("ioremap of the GIC distributor", dist.is_ok());
    let (Ok(cpu), Ok(dist)) = (cpu, dist) else {
        finish()
    };
    kernel::println!("gic cpu {cpu:#010x}, dist {dist:#010x}");
    check(
        "both lie in the ioremap window",
        [cpu, dist]
            .iter()
            .all(|&va| (IOREMAP_START..IOREMAP_END).contains(&(va as u32))),
    );
    check(
        "the two VAs lie in the same section, at their MiB offsets",
        cpu >> 20 == dist >> 20 && cpu & 0xF_FFFF == 0x100 && dist & 0xF_FFFF == 0x1000,
    );
    check(
        "the section is shared: refs 2",
        ioremap_refs(cpu) == 2 && ioremap_refs(dist) == 2,
    );
    check(
        "one section mapped for both",
        stats().kernel.sections == sections0 + 1,
    );

    let typer = probe_read(dist + GICD_TYPER);
    kernel::println!("GICD_TYPER {typer:x?}");
    check(
        "GICD_TYPER reads through the mapping and is nonzero",
        matches!(typer, Ok(v) if v != 0),
    );
    check(
        "GICC_PMR reads through the CPU interface mapping",
        probe_read(cpu + GICC_PMR).is_ok(),
    );

    let t = extract(dist as u32);
    check(
        "extract: the distributor, as a section",
        matches!(t, Some(t) if t.phys == dist_pa && t.size == Size::Section),
    );
    check(
        "the window is Device memory, XN, kernel-only",
        matches!(t, Some(t) if t.attrs.mem == MemType::Device && t.attrs.xn
            && t.attrs.access == Access::KernelRw && !t.attrs.access.user_readable()
            && t.attrs == Attrs::DEVICE),
    );
    let exec = probe_exec(dist);
    check(
        "executing device memory faults (prefetch abort, permission)",
        matches!(exec, Some(f) if f.kind == TrapKind::PrefetchAbort && f.addr == dist as u32
            && f.status.instruction && f.status.is_permission()),
    );

    check(
        "first iounmap keeps the section (0 removed)",
        iounmap(cpu, 0x100) == Ok(0),
    );
    check("refs 1 after the first iounmap", ioremap_refs(dist) == 1);
    check(
        "the distributor still reads the same GICD_TYPER",
        probe_read(dist + GICD_TYPER).ok() == typer.ok(),
    );
    check(
        "second iounmap removes the section (1 removed)",
        iounmap(dist, 0x1000) == Ok(1),
    );
    check(
        "refs 0 and the section count is back",
        ioremap_refs(dist) == 0 && stats().kernel.sections == sections0,
    );
    check(
        "extract after the last iounmap is None",
        extract(dist as u32).is_none(),
    );
    let addr = dist + GICD_TYPER;
    check(
        "a read after the last iounmap faults (translation, section)",
        matches!(probe_read(addr), Err(f) if f.addr == addr as u32
            && f.status.kind == FaultKind::Translation(Level::First) && !f.status.write),
    );

    check(
        "a second iounmap of the same range is refused",
        iounmap(dist, 0x1000) == Err(IoError::NotMapped),
    );
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
        ioremap(dist_pa, 0) == Err(IoError::BadRange),
    );
    check(
        "refused calls mapped nothing",
        stats().kernel.sections == sections0,
    );

    // A range that crosses a MiB boundary takes two sections.
    let two = ioremap(BOARD.periph_base + 0xF_F000, 0x2000);
    check(
        "a range over two MiBs maps two sections",
        two.is_ok() && stats().kernel.sections == sections0 + 2,
    );
    if let Ok(two) = two {
        check(
            "its iounmap removes both",
            iounmap(two, 0x2000) == Ok(2) && stats().kernel.sections == sections0,
        );
    }
    finish()
}
