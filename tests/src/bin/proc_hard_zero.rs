//! A hard task's reserve is zeroed at admission and on `munmap`, never by
//! its own `mmap`: the `hard_zero` program maps sections, finds them zero,
//! dirties them, unmaps and maps again and finds them zero again, and
//! times each section `mmap` under `-icount` (it must stay far below the
//! ~786,000 instructions that zeroing a MiB takes). A hard kernel-bound
//! task's memory, mapped at admission from its reserve, reads zero too.

#![no_std]
#![no_main]

use kernel::process::{self, Class, Spec};
use ktests::{check, finish, program};

kernel::entry!(main);

fn main() {
    let free = kernel::mm::stats().free_pages;
    // Dirty a few MiB of free RAM first, so that blocks the reserve takes
    // are not zero by chance (fresh QEMU RAM is).
    let mut blocks = [0u32; 8];
    for b in blocks.iter_mut() {
        *b = kernel::mm::alloc_frames(8).expect("a free MiB");
        // SAFETY: a block just allocated to us, in the linear map.
        unsafe { (kernel::boot::phys_to_virt(*b) as *mut u8).write_bytes(0xA5, 1 << 20) };
    }
    for b in blocks {
        kernel::mm::free_frames(b, 8).expect("free the MiB");
    }
    let spec = Spec {
        name: "hard-zero",
        class: Class::HardIsolated,
        priority: 3,
        budget: 2 << 20,
        devices: &[],
        handles: &[],
        arg: 0,
        threads: 0,
    };
    let p = process::spawn_process(&spec, program("hard_zero")).expect("hard task admitted");
    let code = process::wait(p);
    kernel::println!("hard_zero exited: {code:?}");
    check(
        "hard mmap: zeroed sections, also after munmap of dirtied ones, each mapped quickly",
        code == Ok(0),
    );
    check(
        "all its memory came back",
        kernel::mm::stats().free_pages == free,
    );

    let k = process::spawn_kernel_task(
        &Spec {
            name: "hard-kernel-zero",
            class: Class::HardKernel,
            budget: 2 << 20,
            ..spec
        },
        |mem| {
            let zero = mem.iter().all(|&b| b == 0);
            kernel::println!("hard kernel-bound task memory zero: {zero}");
            assert!(zero, "hard kernel-bound memory not zeroed");
        },
    )
    .expect("hard kernel-bound task admitted");
    check(
        "a hard kernel-bound task's memory reads zero",
        process::wait(k) == Ok(0),
    );
    finish()
}
