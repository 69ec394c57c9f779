//! Floating point for tasks: a soft and a hard isolated task at the same
//! priority each load d0-d31 and FPSCR with their own values and yield to
//! each other 2000 times, checking their registers after every switch
//! (a wrong save or restore shows as a bad round and a non-zero exit).
//! The soft task takes exactly one first-use trap (counted), and a trap
//! after each switch back to it (every switch turns the unit off for lazy
//! threads); the hard one none; a task that never uses floating point
//! (`hello`) none either.
//!
//! expect-output: vfp: 1 first-use trap

#![no_std]
#![no_main]

use kernel::process::{self, Class, Spec};
use kernel::{println, vfp};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    let traps = vfp::first_use_traps();
    let p = process::spawn_process(&spec("hello", Class::SoftIsolated, 0), program("hello"))
        .expect("hello");
    process::wait(p).unwrap();
    check(
        "a task without floating point takes no trap",
        vfp::first_use_traps() == traps,
    );
    let at = |name, class, prog| {
        let s = Spec {
            priority: 20,
            budget: if class == Class::HardIsolated {
                4 << 20
            } else {
                0
            },
            ..spec(name, class, 7)
        };
        process::spawn_process(&s, program(prog)).expect(name)
    };
    let saves = vfp::saves();
    let switch_traps = vfp::switch_traps();
    let soft = at("fpu-soft", Class::SoftIsolated, "fpu_soft");
    let hard = at("fpu-hard", Class::HardIsolated, "hard_fpu");
    let (s, h) = (process::wait(soft), process::wait(hard));
    let back = vfp::switch_traps() - switch_traps;
    println!(
        "vfp: soft {s:?}, hard {h:?}, saves {}, traps after a switch {back}",
        vfp::saves() - saves
    );
    check(
        "the soft task's registers survived every switch",
        s == Ok(0),
    );
    check(
        "the hard task's registers survived every switch",
        h == Ok(0),
    );
    let n = vfp::first_use_traps() - traps;
    println!("vfp: {n} first-use trap{}", if n == 1 { "" } else { "s" });
    check("one first-use trap: the soft task's", n == 1);
    check(
        "the soft task took the unit back by trap after its yields (at least 1999)",
        back >= 1999,
    );
    check(
        "the registers moved between the two (at least 2000 saves)",
        vfp::saves() - saves >= 2000,
    );
    finish()
}
