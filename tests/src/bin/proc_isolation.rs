//! Two processes at the same virtual addresses see different data; a process
//! cannot read the kernel's memory or another's (it is killed for trying);
//! every page a process owned returns when it ends.
//! expect-output: hello from user process
//! expect-output: killed: data abort

#![no_std]
#![no_main]

use kernel::process::{self, Class, KILLED};
use kernel::thread;
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    let hello =
        process::spawn_process(&spec("hello", Class::SoftIsolated, 7), program("hello")).unwrap();
    check("hello exits 0", process::wait(hello) == Ok(0));
    // Warm-up done: kernel caches (heap, zones) have what they need.
    let free = kernel::mm::stats().free_pages;

    let a = process::spawn_process(
        &spec("same-va-a", Class::SoftIsolated, 0xAAAA),
        program("same_va"),
    )
    .unwrap();
    let b = process::spawn_process(
        &spec("same-va-b", Class::SoftIsolated, 0xBBBB),
        program("same_va"),
    )
    .unwrap();
    let va = process::with_process(a, |t| {
        t.space
            .regions()
            .iter()
            .find(|r| r.prot & 2 != 0)
            .map(|r| r.start)
    })
    .flatten()
    .unwrap();
    let pa_a = process::with_process(a, |t| t.space.translate(va))
        .flatten()
        .map(|t| t.phys);
    let pa_b = process::with_process(b, |t| t.space.translate(va))
        .flatten()
        .map(|t| t.phys);
    check(
        "both map the same virtual data page",
        pa_a.is_some() && pa_b.is_some(),
    );
    check("to different physical pages", pa_a != pa_b);
    check("a kept its own value", process::wait(a) == Ok(0));
    check("b kept its own value", process::wait(b) == Ok(0));

    let spy = process::spawn_process(
        &spec("peek-kernel", Class::SoftIsolated, 0xC010_0000),
        program("peek"),
    )
    .unwrap();
    check(
        "reading kernel memory kills the reader",
        process::wait(spy) == Ok(KILLED),
    );
    // The victim keeps its page at 0x1000_0000 mapped (and in use) for
    // about 20 ms; the spy reads that address while it is mapped there.
    let victim = process::spawn_process(
        &spec("victim", Class::SoftIsolated, 0x5EC2_E700),
        program("holder"),
    )
    .unwrap();
    let held = || {
        process::with_process(victim, |t| t.space.translate(0x1000_0000))
            .flatten()
            .is_some()
    };
    let mut waited = 0;
    while !held() && waited < 10 {
        thread::sleep(1_000_000);
        waited += 1;
    }
    check("the victim has 0x1000_0000 mapped before the spy", held());
    let spy = process::spawn_process(
        &spec("peek-other", Class::SoftIsolated, 0x1000_0000),
        program("peek"),
    )
    .unwrap();
    check(
        "reading another process's mapped page kills the reader",
        process::wait(spy) == Ok(KILLED),
    );
    check("and the victim still had it mapped after", held());
    check(
        "the other process is unaffected",
        process::wait(victim) == Ok(0),
    );
    check(
        "every page came back",
        kernel::mm::stats().free_pages == free,
    );
    finish()
}
