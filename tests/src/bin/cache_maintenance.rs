//! Cache maintenance where code and DMA need it:
//! - the ELF loader makes each executable segment fetchable (the I-cache
//!   sync counter goes up per executable granule of a new process);
//! - `mprotect` to executable does too, and the generated code runs (the
//!   `jit` program writes `mov r0, #42; bx lr`, maps it R+X, calls it);
//! - `cache_clean` / `cache_invalidate` work on the caller's own memory
//!   and refuse anything else (checked by `jit`, which exits 42 only if
//!   all its checks held);
//! - the board's L2C-310 is on for this and every other test where QEMU
//!   models one (vexpress-a9, realview-pbx-a9); QEMU 7.2's xilinx-zynq-a9
//!   has none at 0xF8F0_2000 (it reads as zero), and the kernel must have
//!   noticed and left it off.
//!
//! expect-output: jit: generated code returned 42; 0 wrong answers

#![no_std]
#![no_main]

use kernel::process::{self, Class};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    if kernel::BOARD.name == "xilinx-zynq-a9" {
        check(
            "no L2C-310 in QEMU's Zynq: left off",
            !kernel::cache::l2_enabled(),
        );
    } else {
        check("the L2 cache is enabled", kernel::cache::l2_enabled());
    }
    let before = arch::cache::icache_syncs();
    let p = process::spawn_process(&spec("hello", Class::SoftIsolated, 0), program("hello"))
        .expect("hello");
    let after_load = arch::cache::icache_syncs();
    check(
        "the loader synced the I-cache for the text",
        after_load > before,
    );
    process::wait(p).unwrap();
    let ops = kernel::cache::range_ops();
    // Below the test's own priority (16), so that it runs only once the
    // test waits: `loaded` is read after the load and before the mprotect.
    let low = process::Spec {
        priority: 20,
        ..spec("jit", Class::SoftIsolated, 0)
    };
    let p = process::spawn_process(&low, program("jit")).expect("jit");
    let loaded = arch::cache::icache_syncs();
    check("generated code ran", process::wait(p) == Ok(42));
    kernel::println!(
        "I-cache syncs: {before} before, {after_load} after loading hello, {loaded} after loading jit, {} at its end",
        arch::cache::icache_syncs()
    );
    check(
        "mprotect to executable synced the I-cache once (one page)",
        arch::cache::icache_syncs() == loaded + 1,
    );
    check(
        "cache_clean / cache_invalidate reached the caches (3 good calls)",
        kernel::cache::range_ops() == ops + 3,
    );
    finish()
}
