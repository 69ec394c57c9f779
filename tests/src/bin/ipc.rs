//! Synchronous IPC between processes: call and reply (short and 4 KiB
//! messages) from soft and hard isolated clients and from a kernel-bound
//! task, to soft and hard servers and to a kernel-bound server (short
//! messages, a handle moved to it, its reply capability one-shot);
//! hostile buffers; timeouts; a server
//! that goes while clients wait (the one it received and one queued get
//! `PeerGone`); priority donation (a high client's call to a low server
//! preempts a middle busy thread, also through two servers, and each
//! server drops back to its own priority after replying); a hard client
//! is not delayed by its soft server's lower-priority thread; and every
//! page comes back.
//! expect-output: ipc_client: short and 4 KiB calls answered
//! expect-output: ipc_client: a handle moved to the server, which called us through it
//! expect-output: ipc_client: a kernel-bound server answered short calls and took a handle

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use kernel::handle::{Handle, Rights};
use kernel::ipc;
use kernel::object::Object;
use kernel::process::{self, Class, Grant, Spec};
use kernel::{println, thread, time};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn grant(object: &Object, rights: Rights) -> Grant<'_> {
    Grant { object, rights }
}

/// Spawns `prog` with `grants` at `priority` (class from the name).
fn run(name: &'static str, prog: &str, arg: u32, priority: u8, grants: &[Grant]) -> u16 {
    let class = if prog.starts_with("hard_") {
        Class::HardIsolated
    } else {
        Class::SoftIsolated
    };
    let s = Spec {
        priority,
        handles: grants,
        ..spec(name, class, arg)
    };
    process::spawn_process(&s, program(prog)).unwrap()
}

fn send(e: &Object) -> [Grant<'_>; 1] {
    [grant(e, Rights::SEND)]
}

/// `send` with `TRANSFER` too (`ipc_client` mode 0 copies its handle).
fn send_transfer(e: &Object) -> [Grant<'_>; 1] {
    [grant(e, Rights::SEND | Rights::TRANSFER)]
}

fn first_thread(pid: u16) -> thread::ThreadId {
    process::with_process(pid, |t| t.thread).unwrap()
}

/// (base, effective) priority of a process's first thread.
fn prios(pid: u16) -> (u8, u8) {
    thread::info(first_thread(pid)).map_or((0, 0), |i| (i.1, i.2))
}

static KERNEL_REPLY: AtomicU32 = AtomicU32::new(0);

fn kernel_client(_: &'static mut [u8]) {
    let r = ipc::call(Handle::granted(0).raw(), [10, 20, 30, 40], 0);
    KERNEL_REPLY.store(
        if r == Ok([11, 21, 31, 41]) { 1 } else { 2 },
        Ordering::Relaxed,
    );
}

/// What the kernel-bound server saw: calls answered, the first caller's
/// pid, and whether a handle reached it (set when it stops).
static KERNEL_SERVED: AtomicU32 = AtomicU32::new(0);
static KERNEL_BADGE: AtomicU32 = AtomicU32::new(0);
static KERNEL_GOT_HANDLE: AtomicU32 = AtomicU32::new(0);
/// Its mistakes: a failed reply, a receive error, a second reply or a
/// reply with nothing to answer not refused.
static KERNEL_WRONG: AtomicU32 = AtomicU32::new(0);

/// A kernel-bound echo server (words plus one) on its first grant, until a
/// call whose first word is `u32::MAX`; a first word of `u32::MAX - 1` is
/// answered 1 if the call moved a handle to it.
fn kernel_server(_: &'static mut [u8]) {
    let ep = Handle::granted(0).raw();
    let wrong = |()| KERNEL_WRONG.fetch_add(1, Ordering::Relaxed);
    loop {
        let m = match ipc::recv(ep, 0) {
            Ok(m) => m,
            Err(_) => {
                wrong(());
                break;
            }
        };
        if m.words[0] == u32::MAX {
            let _ = ipc::reply([0; 4]);
            break;
        }
        if KERNEL_SERVED.fetch_add(1, Ordering::Relaxed) == 0 {
            KERNEL_BADGE.store(m.badge, Ordering::Relaxed);
        }
        let answer = if m.words[0] == u32::MAX - 1 {
            KERNEL_GOT_HANDLE.store(u32::from(m.handle.is_some()), Ordering::Relaxed);
            [u32::from(m.handle.is_some()), 0, 0, 0]
        } else {
            m.words.map(|w| w + 1)
        };
        if ipc::reply(answer).is_err() {
            wrong(());
        }
        if ipc::reply(answer) != Err(kernel::syscall::abi::Errno::Inval) {
            wrong(()); // the reply capability is one-shot
        }
    }
}

/// A kernel thread at priority 10 that spins for `ms`: the middle load.
fn middle(ms: u64) -> thread::ThreadId {
    thread::spawn("middle", 10, move || {
        let end = time::now() + ms * 1_000_000;
        while time::now() < end {}
    })
    .unwrap()
}

/// A kernel-bound task serves an endpoint: a soft isolated client (short
/// calls, a long one refused, a handle moved), a kernel-bound client, and
/// the stop call.
fn kernel_bound_server() {
    let ep = Object::new_endpoint().unwrap();
    let k = Spec {
        priority: 10,
        handles: &[grant(&ep, Rights::RECEIVE)],
        budget: 64 << 10,
        ..spec("kernel-server", Class::SoftKernel, 0)
    };
    let server = process::spawn_kernel_task(&k, kernel_server).unwrap();
    let c = run("client", "ipc_client", 8, 10, &send(&ep));
    check(
        "soft client, kernel-bound server",
        process::wait(c) == Ok(0),
    );
    check(
        "the kernel-bound server saw the caller's pid",
        KERNEL_BADGE.load(Ordering::Relaxed) == u32::from(c),
    );
    check(
        "and got the handle the caller moved",
        KERNEL_GOT_HANDLE.load(Ordering::Relaxed) == 1,
    );
    KERNEL_REPLY.store(0, Ordering::Relaxed);
    let kc = Spec {
        handles: &send(&ep),
        budget: 1 << 20,
        ..spec("kernel-client", Class::HardKernel, 0)
    };
    let kc = process::spawn_kernel_task(&kc, kernel_client).unwrap();
    process::wait(kc).unwrap();
    check(
        "kernel-bound client, kernel-bound server",
        KERNEL_REPLY.load(Ordering::Relaxed) == 1,
    );
    let stop = run("stopper", "ipc_client", 5, 10, &send(&ep));
    check(
        "the kernel-bound server answers its stop call",
        process::wait(stop) == Ok(0),
    );
    check("and ends", process::wait(server) == Ok(0));
    check(
        "having answered 4 calls, each reply once",
        KERNEL_SERVED.load(Ordering::Relaxed) == 4 && KERNEL_WRONG.load(Ordering::Relaxed) == 0,
    );
}

fn main() {
    let warm =
        process::spawn_process(&spec("warm-up", Class::SoftIsolated, 0), program("quiet")).unwrap();
    process::wait(warm).unwrap();
    let free = kernel::mm::stats().free_pages;
    let new = || Object::new_endpoint().unwrap();

    // Each class of client and server.
    let (soft_ep, hard_ep) = (new(), new());
    let server = run(
        "echo",
        "ipc_server",
        0,
        10,
        &[grant(&soft_ep, Rights::RECEIVE)],
    );
    let hard_server = run(
        "hard-echo",
        "hard_ipc_server",
        0,
        10,
        &[grant(&hard_ep, Rights::RECEIVE)],
    );
    let c = run("client", "ipc_client", 0, 10, &send_transfer(&soft_ep));
    check("soft client, soft server", process::wait(c) == Ok(0));
    let c = run("hard-client", "hard_ipc_client", 0, 10, &send(&soft_ep));
    check("hard client, soft server", process::wait(c) == Ok(0));
    let c = run("client", "ipc_client", 0, 10, &send_transfer(&hard_ep));
    check("soft client, hard server", process::wait(c) == Ok(0));
    let k = Spec {
        handles: &send(&soft_ep),
        budget: 1 << 20,
        ..spec("kernel-client", Class::HardKernel, 0)
    };
    let k = process::spawn_kernel_task(&k, kernel_client).unwrap();
    process::wait(k).unwrap();
    check(
        "kernel-bound client, soft server",
        KERNEL_REPLY.load(Ordering::Relaxed) == 1,
    );
    kernel_bound_server();
    for (name, e, pid) in [
        ("echo", &soft_ep, server),
        ("hard-echo", &hard_ep, hard_server),
    ] {
        let c = run("stopper", "ipc_client", 5, 10, &send(e));
        check(
            "the server answers its stop call",
            process::wait(c) == Ok(0),
        );
        println!("{name} exited: {:?}", process::wait(pid));
    }

    // A handle moved in a message.
    let relay = new();
    let s = run(
        "relay",
        "ipc_server",
        5,
        10,
        &[grant(&relay, Rights::RECEIVE)],
    );
    let c = run("mover", "ipc_client", 6, 10, &send(&relay));
    check(
        "a handle moved in a call is usable by the server",
        process::wait(c) == Ok(0),
    );
    let c = run("stopper", "ipc_client", 5, 10, &send(&relay));
    let _ = process::wait(c);
    let _ = process::wait(s);
    let giver = new();
    let s = run(
        "giver",
        "ipc_server",
        6,
        10,
        &[grant(&giver, Rights::RECEIVE)],
    );
    let c = run("taker", "ipc_client", 7, 10, &send(&giver));
    check(
        "a handle moved with a reply is usable by the caller",
        process::wait(c) == Ok(0),
    );
    let c = run("stopper", "ipc_client", 5, 10, &send(&giver));
    let _ = process::wait(c);
    check("the handle giver exited cleanly", process::wait(s) == Ok(0));

    // Timeouts.
    let (nobody, silent) = (new(), new());
    let c = run(
        "timeouts",
        "ipc_client",
        2,
        10,
        &[
            grant(&nobody, Rights::SEND),
            grant(&silent, Rights::RECEIVE),
        ],
    );
    check("calls and receives time out", process::wait(c) == Ok(0));

    // A server that goes: the caller it received and one queued behind.
    let dying = new();
    let s = run(
        "dying",
        "ipc_server",
        1,
        20,
        &[grant(&dying, Rights::RECEIVE)],
    );
    let c1 = run("caller-1", "ipc_client", 3, 10, &send(&dying));
    let c2 = run("caller-2", "ipc_client", 3, 10, &send(&dying));
    check(
        "the caller being served gets PeerGone",
        process::wait(c1) == Ok(0),
    );
    check("a queued caller gets PeerGone", process::wait(c2) == Ok(0));
    check("the server exited", process::wait(s) == Ok(0));
    let c = run("late", "ipc_client", 3, 10, &send(&dying));
    check(
        "a call after the server went gets PeerGone",
        process::wait(c) == Ok(0),
    );

    // Donation: a client at 5 calls a server at 20 that works 2 ms per
    // call while a kernel thread at 10 spins for 100 ms.
    let slow = new();
    let s_slow = run(
        "worker",
        "ipc_server",
        3,
        20,
        &[grant(&slow, Rights::RECEIVE)],
    );
    thread::sleep(10_000_000); // it reaches recv
    let m = middle(100);
    let c = run("high", "ipc_client", 1, 5, &send(&slow));
    let rtt = process::wait(c);
    println!("donation: round trip {rtt:?} us past a busy middle thread");
    check(
        "a high client's call to a low server preempts a middle thread",
        rtt.is_ok_and(|us| us < 20_000),
    );
    thread::join(m).unwrap();
    check(
        "the server dropped back after replying",
        prios(s_slow) == (20, 20),
    );

    // Transitive: client 5 -> forwarder 20 -> worker 25.
    let (front, back) = (new(), new());
    let w = run(
        "worker-2",
        "ipc_server",
        3,
        25,
        &[grant(&back, Rights::RECEIVE)],
    );
    let f = run(
        "forwarder",
        "ipc_server",
        2,
        20,
        &[grant(&front, Rights::RECEIVE), grant(&back, Rights::SEND)],
    );
    thread::sleep(10_000_000);
    let m = middle(100);
    let c = run("high-2", "ipc_client", 1, 5, &send(&front));
    let rtt = process::wait(c);
    println!("transitive donation: round trip {rtt:?} us");
    check(
        "donation passes through two servers",
        rtt.is_ok_and(|us| us < 20_000),
    );
    thread::join(m).unwrap();
    check(
        "both servers dropped back",
        prios(f) == (20, 20) && prios(w) == (25, 25),
    );

    // A hard client of a soft server whose other thread spins at 29.
    let busy = new();
    let s = run(
        "busy-echo",
        "ipc_server",
        4,
        20,
        &[grant(&busy, Rights::RECEIVE)],
    );
    thread::sleep(10_000_000);
    let hard = Spec {
        class: Class::HardIsolated,
        priority: 3,
        handles: &send(&busy),
        ..spec("hard-client", Class::HardIsolated, 1)
    };
    let c = process::spawn_process(&hard, program("hard_ipc_client")).unwrap();
    let worst = process::wait(c);
    println!("hard client of a busy soft server: worst round trip {worst:?} us");
    check(
        "a hard client is not delayed by its server's low-priority work",
        worst.is_ok_and(|us| us < 1_000),
    );
    let c = run("stopper", "ipc_client", 5, 10, &send(&busy));
    check("the busy server stops", process::wait(c) == Ok(0));
    check(
        "and ends with its spinning thread",
        process::wait(s) == Ok(0),
    );

    // The donation servers stop too (the forwarder passes the stop on).
    for (e, servers) in [(&slow, [s_slow, s_slow]), (&front, [f, w])] {
        let c = run("stopper", "ipc_client", 5, 10, &send(e));
        check("a donation server stops", process::wait(c) == Ok(0));
        for pid in servers {
            let _ = process::wait(pid);
        }
    }
    check("no page leaked", kernel::mm::stats().free_pages == free);
    finish()
}
