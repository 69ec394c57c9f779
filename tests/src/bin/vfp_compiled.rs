//! Compiler-generated floating point in user programs: `fp_pid` (a soft
//! task) and `hard_fp_pid` (a hard one), both built hard-float
//! (`//! build: hard-float`; the xtask checked that they hold VFP
//! instructions), run a PID law in `f32` and `f64` for 3000 periods each at
//! the same priority, yielding to each other after every period (12,000
//! switches), with no inline assembly. Each must end with exactly the bits
//! the host computed (`user::control`), which the kernel's own software
//! floats must give too. The soft task's first floating-point instruction
//! is its one first-use trap (a soft-float build of it would take none),
//! the hard task takes none.
//!
//! expect-output: vfp-compiled: 1 first-use trap
//! expect-output: 32 double registers, NEON; for tasks

#![no_std]
#![no_main]

#[path = "../../../user/src/control.rs"]
mod control;

use kernel::process::{self, Class};
use kernel::{println, vfp};
use ktests::{check, finish, spawn_at_20};

kernel::entry!(main);

fn main() {
    check(
        "the kernel's software floats give the host's bits",
        control::pid_f32(control::STEPS, || ()).to_bits() == control::PID_F32_BITS
            && control::pid_f64(control::STEPS, || ()).to_bits() == control::PID_F64_BITS,
    );
    let at = |name, class, prog| spawn_at_20(name, class, prog, 0);
    let (traps, switch_traps, saves) = (vfp::first_use_traps(), vfp::switch_traps(), vfp::saves());
    let soft = at("fp-pid", Class::SoftIsolated, "fp_pid");
    let hard = at("hard-fp-pid", Class::HardIsolated, "hard_fp_pid");
    let (s, h) = (process::wait(soft), process::wait(hard));
    let (n, back, saves) = (
        vfp::first_use_traps() - traps,
        vfp::switch_traps() - switch_traps,
        vfp::saves() - saves,
    );
    println!("vfp-compiled: soft {s:?}, hard {h:?}, saves {saves}, traps after a switch {back}");
    println!(
        "vfp-compiled: {n} first-use trap{}",
        if n == 1 { "" } else { "s" }
    );
    check(
        "the soft task's f32 and f64 results are the host's, bit for bit",
        s == Ok(0),
    );
    check(
        "the hard task's f32 and f64 results are the host's, bit for bit",
        h == Ok(0),
    );
    check(
        "one first-use trap: the soft task's compiled floating point",
        n == 1,
    );
    check(
        "the soft task took the unit back by trap after its yields (at least 5000)",
        back >= 5000,
    );
    check(
        "the registers moved between the two (at least 5000 saves)",
        saves >= 5000,
    );
    finish()
}
