//! L2C-310 lockdown by way for hard tasks' memory (`kernel::cache`):
//! reserving ways (never all of them, never while in use), locking ranges
//! of a hard task's sections into free reserved ways (a way per way-sized
//! chunk; QEMU's L2C-310 has 8 ways of 16 KiB), every refusal (not
//! reserved, no ways left, not a hard task, a bad range), the task still
//! computing right with its text locked, and its ways back when its
//! teardown starts. QEMU's L2C-310 model ignores the lockdown registers
//! (they read 0) and has no cache behind it: the register sequence is
//! checked on the host (`drivers::pl310`), the effect on silicon only on
//! paper. On xilinx-zynq-a9 QEMU has no L2C-310: only the refusal is
//! checked there.
//!
//! expect-output: l2_lockdown: done

#![no_std]
#![no_main]

use kernel::cache::{self, L2LockError};
use kernel::println;
use kernel::process::{self, Class};
use ktests::{check, finish, spawn_at_20};

kernel::entry!(main);

const TEXT: u32 = 0x0010_0000;
const WAY: u32 = 16 << 10;

fn main() {
    if !cache::l2_enabled() {
        check(
            "no L2: nothing to reserve",
            cache::reserve_hard_ways(0xC0) == Err(L2LockError::NoL2),
        );
        println!("l2_lockdown: done");
        finish();
    }
    // Below main's priority: they run only when main waits for them.
    let at = |name, class, prog| spawn_at_20(name, class, prog, 0);
    let hard = at("hard-fp-pid", Class::HardIsolated, "hard_fp_pid");
    let soft = at("hello", Class::SoftIsolated, "hello");
    check(
        "nothing reserved: NotReserved",
        process::lock_l2(hard, TEXT, WAY) == Err(L2LockError::NotReserved),
    );
    check(
        "every way for hard tasks: refused",
        cache::reserve_hard_ways(0xFF) == Err(L2LockError::InUse),
    );
    check(
        "ways 6 and 7 reserved",
        cache::reserve_hard_ways(0xC0) == Ok(0xC0),
    );

    let locks = cache::hard_locks();
    check(
        "16 KiB of the hard task's text: way 6",
        process::lock_l2(hard, TEXT, WAY) == Ok(0x40),
    );
    check(
        "20 KiB needs two ways, one is left: NoWays",
        process::lock_l2(hard, TEXT + WAY, WAY + 4096) == Err(L2LockError::NoWays),
    );
    check(
        "the next 100 bytes: way 7",
        process::lock_l2(hard, TEXT + WAY, 100) == Ok(0x80),
    );
    check(
        "all reserved ways hold ranges: NoWays",
        process::lock_l2(hard, TEXT + 2 * WAY, 32) == Err(L2LockError::NoWays),
    );
    check("both ways in use", cache::hard_ways() == (0xC0, 0xC0));
    println!(
        "l2_lockdown: the lockdown register reads {:x?} (silicon: Some(c0))",
        cache::lockdown_register()
    );
    check("two ranges locked", cache::hard_locks() - locks == 2);
    for (what, va, len) in [
        ("an empty range", TEXT, 0),
        ("a range across two sections", TEXT + 0xF_F000, 0x2000),
        ("a wrapping range", 0xFFFF_FF00, 0x200),
        ("unmapped memory", 0x3000_0000, 32),
    ] {
        check(
            what,
            process::lock_l2(hard, va, len) == Err(L2LockError::BadRange),
        );
    }
    check(
        "a soft task: NotHard",
        process::lock_l2(soft, 0x0001_0000, 32) == Err(L2LockError::NotHard),
    );
    check(
        "no such process: NotHard",
        process::lock_l2(60, TEXT, 32) == Err(L2LockError::NotHard),
    );
    check(
        "reserving again while in use: InUse",
        cache::reserve_hard_ways(0x0F) == Err(L2LockError::InUse),
    );

    check(
        "the hard task computes right with its text locked",
        process::wait(hard) == Ok(0),
    );
    check("the soft one runs", process::wait(soft) == Ok(0));
    check(
        "its teardown gave both ways back",
        cache::hard_ways() == (0xC0, 0),
    );
    check(
        "all ways back for everyone",
        cache::reserve_hard_ways(0) == Ok(0),
    );
    println!("l2_lockdown: done");
    finish()
}
