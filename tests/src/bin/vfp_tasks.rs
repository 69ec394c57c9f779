//! Floating point for tasks: a soft and a hard isolated task at the same
//! priority each load d0-d31 and FPSCR with their own values and yield to
//! each other 2000 times, checking their registers after every switch
//! (a wrong save or restore shows as a bad round and a non-zero exit).
//! The soft task takes exactly one first-use trap (counted), and a trap
//! after each switch back to it (every switch turns the unit off for lazy
//! threads); the hard one none; a task that never uses floating point
//! (`hello`) none either.
//! Then the same across the IPC fast path (`Sched::switch_ipc`): a soft
//! client calls a hard echo server 2000 times, each side checking its
//! registers across every call and `reply_recv`.
//!
//! expect-output: vfp: 1 first-use trap

#![no_std]
#![no_main]

use kernel::handle::Rights;
use kernel::object::Object;
use kernel::process::{self, Class, Grant, Spec};
use kernel::{ipc, println, vfp};
use ktests::{check, finish, program, spawn_at_20, spec};

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
    let at = |name, class, prog| spawn_at_20(name, class, prog, 7);
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

    let ep = Object::new_endpoint().expect("endpoint");
    let (saves, fast) = (vfp::saves(), ipc::fast_path_count());
    let with = |name, class, prog, priority, rights| {
        let grants = [Grant {
            object: &ep,
            rights,
        }];
        let s = Spec {
            priority,
            handles: &grants,
            ..spec(name, class, 3)
        };
        process::spawn_process(&s, program(prog)).expect(name)
    };
    let server = with(
        "fpu-server",
        Class::HardIsolated,
        "hard_fpu_ipc_server",
        10,
        Rights::RECEIVE,
    );
    let client = with(
        "fpu-client",
        Class::SoftIsolated,
        "fpu_ipc_client",
        20,
        Rights::SEND,
    );
    let (c, s) = (process::wait(client), process::wait(server));
    let (saves, fast) = (
        vfp::saves() - saves,
        ipc::fast_path_count().wrapping_sub(fast),
    );
    println!("vfp over ipc: client {c:?}, server {s:?}, saves {saves}, fast rendezvous {fast}");
    check("the IPC client's registers survived every call", c == Ok(0));
    check(
        "the IPC server's registers survived every reply_recv",
        s == Ok(0),
    );
    check(
        "the calls and replies took the fast path (at least 4000)",
        fast >= 4000,
    );
    check(
        "the registers moved at every IPC switch (at least 4000 saves)",
        saves >= 4000,
    );
    finish()
}
