//! Every system call given kernel addresses, unmapped addresses, NULL,
//! misaligned or huge lengths returns an error code (the user program checks
//! each code and exits with the number of wrong ones); a granted device can
//! be mapped by a user task and read, one not granted cannot.
//! expect-output: abuse: 0 wrong answers

#![no_std]
#![no_main]

use kernel::process::{self, Class, Device, Spec};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    let warm =
        process::spawn_process(&spec("warm-up", Class::SoftIsolated, 0), program("quiet")).unwrap();
    process::wait(warm).unwrap();
    let free = kernel::mm::stats().free_pages;
    let p =
        process::spawn_process(&spec("abuse", Class::SoftIsolated, 0), program("abuse")).unwrap();
    check(
        "every bad call got the right error code",
        process::wait(p) == Ok(0),
    );
    // The GIC distributor's GICD_TYPER (offset 4) is never zero.
    let gic = [Device {
        phys: kernel::BOARD.gic_dist_base(),
        len: 0x1000,
    }];
    let d = Spec {
        devices: &gic,
        ..spec("devread", Class::SoftIsolated, 4)
    };
    let p = process::spawn_process(&d, program("devread")).unwrap();
    check(
        "a user task maps and reads its granted device",
        process::wait(p) == Ok(0),
    );
    let none = spec("devread-none", Class::SoftIsolated, 4);
    let p = process::spawn_process(&none, program("devread")).unwrap();
    check(
        "without a grant map_device is refused",
        process::wait(p) == Ok(1),
    );
    // Address space is reused: mmap takes the lowest free range.
    let idle = Spec {
        priority: 20,
        ..spec("idle-proc", Class::SoftIsolated, 0)
    };
    let q = process::spawn_process(&idle, program("quiet")).unwrap();
    let rw = kernel::syscall::abi::PROT_READ | kernel::syscall::abi::PROT_WRITE;
    let reuse = process::with_process(q, |t| {
        let a = t.space.mmap(4096, rw)?;
        let b = t.space.mmap(4096, rw)?;
        t.space.munmap(a, 4096)?;
        let c = t.space.mmap(8192, rw)?;
        let d = t.space.mmap(4096, rw)?;
        Ok::<_, process::ProcError>((a, b, c, d))
    });
    kernel::println!("mmap addresses: {reuse:?}");
    check(
        "a freed range is reused by the next mmap that fits",
        matches!(reuse, Some(Ok((a, b, c, d))) if d == a && c > b),
    );
    check(
        "the process still runs and exits",
        process::wait(q) == Ok(0),
    );
    check("no page leaked", kernel::mm::stats().free_pages == free);
    finish()
}
