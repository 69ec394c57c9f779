//! 1000 create/exit cycles of soft isolated processes leave the free page
//! count unchanged, and each exit code comes back.
//! timeout: 120

#![no_std]
#![no_main]

use kernel::process::{self, Class};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    let elf = program("quiet");
    let first = process::spawn_process(&spec("warm-up", Class::SoftIsolated, 0), elf).unwrap();
    process::wait(first).unwrap();
    let before = kernel::mm::stats();
    let t0 = kernel::time::now();
    let mut codes_ok = true;
    for i in 0..1000u32 {
        let p = process::spawn_process(&spec("cycle", Class::SoftIsolated, i % 100), elf).unwrap();
        codes_ok &= process::wait(p) == Ok((i % 100) as i32);
    }
    let ms = (kernel::time::now() - t0) / 1_000_000;
    let after = kernel::mm::stats();
    kernel::println!(
        "1000 cycles in {ms} ms; free pages {} -> {}",
        before.free_pages,
        after.free_pages
    );
    check("every exit code came back", codes_ok);
    check(
        "the free page count is unchanged",
        after.free_pages == before.free_pages,
    );
    check("every allocator counter is unchanged", after == before);
    finish()
}
