//! A soft process's stack: only its top page is mapped at creation, the
//! others on first touch (by the process, or by the kernel reaching into it
//! for a system call), zeroed; every page comes back at its end. The guard
//! page below the stack still kills. The translation tables the processes
//! leave behind are kept as spares, all zero.

#![no_std]
#![no_main]

use kernel::process::{self, Backing, Class, KILLED};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

/// Pages of the stack region `pid` has mapped now.
fn stack_pages(pid: u16) -> Option<(u32, u32)> {
    process::with_process(pid, |t| {
        let r = *t
            .space
            .regions()
            .iter()
            .find(|r| r.backing == Backing::Stack)?;
        let mapped = (r.start..r.start + r.len)
            .step_by(4096)
            .filter(|&va| t.space.translate(va).is_some())
            .count() as u32;
        Some((r.len / 4096, mapped))
    })
    .flatten()
}

fn main() {
    for arg in [0, 1] {
        let free = kernel::mm::stats().free_pages;
        // Below main's priority: it runs once main waits.
        let low = process::Spec {
            priority: 20,
            ..spec("stack-touch", Class::SoftIsolated, arg)
        };
        let p = process::spawn_process(&low, program("stack_touch")).unwrap();
        let before = stack_pages(p);
        kernel::println!("stack (pages, mapped) at creation: {before:?}");
        check(
            "at creation only the top stack page is mapped",
            before == Some((4, 1)),
        );
        let code = process::wait(p);
        kernel::println!("stack_touch {arg}: {code:?}");
        check(
            if arg == 0 {
                "the untouched pages read zero, then hold what was written"
            } else {
                "the kernel reads an untouched stack page for a system call"
            },
            code == Ok(0),
        );
        check(
            "every page came back",
            kernel::mm::stats().free_pages == free,
        );
    }
    // The guard: the page below the stack's lowest is no stack page.
    let p = process::spawn_process(
        &process::Spec {
            priority: 20,
            ..spec("stack-touch", Class::SoftIsolated, 2)
        },
        program("stack_touch"),
    )
    .unwrap();
    check(
        "a touch of the guard page below the stack still kills",
        process::wait(p) == Ok(KILLED),
    );
    let spares = kernel::mm::mapper::spare_tables();
    kernel::println!("spare tables (kept, all zero): {spares:?}");
    check(
        "the tables they left are kept as spares, every byte zero",
        spares == (kernel::mm::mapper::SPARE_TABLES, true),
    );
    finish();
}
