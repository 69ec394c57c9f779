//! Calls every system call with bad arguments (kernel addresses, unmapped
//! addresses, NULL, misaligned or huge lengths) and checks each is refused
//! with the right error code. The exit code is the number of wrong answers.

#![no_std]
#![no_main]

use user::abi::{self, Errno};
use user::{PROT_EXEC, PROT_READ, PROT_WRITE, println, syscall};

user::main!(main);

static mut WRONG: i32 = 0;

fn expect(what: &str, got: u32, want: Errno) {
    let got = Errno::check(got);
    if got != Err(want) {
        println!("abuse: {what}: got {got:?}, want {want:?}");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
    }
}

fn main(_: u32) -> i32 {
    let w = |p: u32, l: u32| syscall(abi::WRITE, [p, l, 0, 0]).0;
    expect(
        "write from a kernel address",
        w(0xC010_0000, 16),
        Errno::Fault,
    );
    expect("write from NULL", w(0, 16), Errno::Fault);
    expect(
        "write from an unmapped address",
        w(0x3000_0000, 16),
        Errno::Fault,
    );
    expect(
        "write across the top of user space",
        w(0x3FFF_FFF0, 64),
        Errno::Fault,
    );
    expect(
        "write with a wrapping length",
        w(0x0001_0000, u32::MAX),
        Errno::Inval,
    );
    expect(
        "write longer than the maximum",
        w(0x0001_0000, abi::WRITE_MAX + 1),
        Errno::Inval,
    );
    let mm = |l: u32, p: u32| syscall(abi::MMAP, [l, p, 0, 0]).0;
    expect("mmap of 0 bytes", mm(0, PROT_READ), Errno::Inval);
    expect(
        "mmap of a huge length",
        mm(0xFFFF_F000, PROT_READ),
        Errno::Inval,
    );
    expect(
        "mmap writable and executable",
        mm(4096, PROT_WRITE | PROT_EXEC),
        Errno::Inval,
    );
    expect("mmap with unknown rights", mm(4096, 0x80), Errno::Inval);
    expect(
        "mmap past the end of user space",
        mm(0x3800_0000, PROT_READ),
        Errno::NoMem,
    );
    let un = |a: u32, l: u32| syscall(abi::MUNMAP, [a, l, 0, 0]).0;
    expect("munmap of the kernel", un(0xC000_0000, 4096), Errno::Inval);
    expect(
        "munmap of our own text",
        un(0x0001_0000, 4096),
        Errno::Inval,
    );
    expect("munmap of nothing", un(0x2000_0000, 4096), Errno::Inval);
    let good = user::mmap(8192, PROT_READ | PROT_WRITE).map(|p| p as u32);
    if let Ok(good) = good {
        expect("munmap misaligned", un(good + 1, 8192), Errno::Inval);
        expect("munmap of part of a mapping", un(good, 4096), Errno::Inval);
        let mp = |a: u32, l: u32, p: u32| syscall(abi::MPROTECT, [a, l, p, 0]).0;
        expect(
            "mprotect to W+X",
            mp(good, 8192, PROT_WRITE | PROT_EXEC),
            Errno::Inval,
        );
        expect(
            "mprotect of the kernel",
            mp(0xC000_0000, 4096, PROT_READ),
            Errno::Inval,
        );
        expect(
            "mprotect of unmapped memory",
            mp(0x2000_0000, 4096, PROT_READ),
            Errno::Inval,
        );
        if user::munmap(good as *mut u8, 8192).is_err() {
            println!("abuse: a good munmap failed");
            // SAFETY: single-threaded.
            unsafe { WRONG += 1 };
        }
    } else {
        println!("abuse: a good mmap failed");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
    }
    expect(
        "a device not granted",
        syscall(abi::MAP_DEVICE, [7, 0, 0, 0]).0,
        Errno::Perm,
    );
    expect(
        "an unknown system call",
        syscall(99, [0; 4]).0,
        Errno::NoSys,
    );
    hostile_handles();
    hostile_ipc();
    hostile_threads();
    server_moved_on();
    hostile_memory();
    // SAFETY: single-threaded.
    let wrong = unsafe { WRONG };
    println!("abuse: {wrong} wrong answers");
    wrong
}

/// Handles this process never had, closed ones, stale ones, handles without
/// the right a call needs and handles of the wrong kind: each is BadHandle.
fn hostile_handles() {
    let call = |nr: u32, h: u32, a: u32| syscall(nr, [h, a, u32::MAX, u32::MAX]).0;
    for h in [
        0,
        1,
        0x100,
        0x1FF,
        abi::granted_handle(0),
        0x7FFF_FFFF,
        u32::MAX,
    ] {
        for nr in [
            abi::HANDLE_CLOSE,
            abi::HANDLE_DUP,
            abi::NOTIFY_SIGNAL,
            abi::NOTIFY_WAIT,
            abi::NOTIFY_POLL,
            abi::IRQ_BIND,
            abi::IRQ_ACK,
        ] {
            expect("a handle never granted", call(nr, h, 1), Errno::BadHandle);
        }
    }
    let Ok(n) = user::notify_create() else {
        println!("abuse: notify_create failed");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
        return;
    };
    let signal_only = user::handle_dup(n, abi::RIGHT_SIGNAL).unwrap_or(user::Handle(0));
    expect(
        "wait without the WAIT right",
        call(abi::NOTIFY_WAIT, signal_only.0, 0),
        Errno::BadHandle,
    );
    expect(
        "poll without the WAIT right",
        call(abi::NOTIFY_POLL, signal_only.0, 0),
        Errno::BadHandle,
    );
    expect(
        "dup without the TRANSFER right",
        call(abi::HANDLE_DUP, signal_only.0, abi::RIGHT_SIGNAL),
        Errno::BadHandle,
    );
    expect(
        "dup asking for unknown rights",
        call(abi::HANDLE_DUP, n.0, 0x8000_0000),
        Errno::Inval,
    );
    expect(
        "ack of a notification (wrong kind)",
        call(abi::IRQ_ACK, n.0, 0),
        Errno::BadHandle,
    );
    expect(
        "bind with a notification as the line (wrong kind)",
        syscall(abi::IRQ_BIND, [n.0, n.0, 1, 0]).0,
        Errno::BadHandle,
    );
    let _ = user::handle_close(n);
    expect(
        "signal through a closed handle",
        call(abi::NOTIFY_SIGNAL, n.0, 1),
        Errno::BadHandle,
    );
    // Its slot is taken again: the old value is stale, not the new object.
    let again = user::notify_create().unwrap_or(user::Handle(0));
    if again.0 & 0xFF != n.0 & 0xFF || again == n {
        println!("abuse: the closed slot was not reused under a new generation");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
    }
    expect(
        "poll through a stale handle",
        call(abi::NOTIFY_POLL, n.0, 0),
        Errno::BadHandle,
    );
    let _ = user::handle_close(again);
    let _ = user::handle_close(signal_only);
}

/// IPC with bad handles, the wrong right, hostile sizes and buffers, and a
/// reply with nothing to answer: each has its exact code.
fn hostile_ipc() {
    let ipc = |nr: u32, h: u32, buf: u32, r6: u32, r9: u32| {
        user::ipc_syscall(nr, h, [0; 4], buf, r6, 1000, r9).0
    };
    for h in [0, 0x100, abi::granted_handle(3), u32::MAX] {
        for nr in [abi::CALL, abi::RECV, abi::REPLY_RECV] {
            expect(
                "IPC on a handle never granted",
                ipc(nr, h, 0, 0, 0),
                Errno::BadHandle,
            );
        }
    }
    let Ok(ep) = user::endpoint_create() else {
        println!("abuse: endpoint_create failed");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
        return;
    };
    let Ok(n) = user::notify_create() else {
        return;
    };
    expect(
        "call on a notification",
        ipc(abi::CALL, n.0, 0, 0, 0),
        Errno::BadHandle,
    );
    let send_only = user::handle_dup(ep, abi::RIGHT_SEND).unwrap_or(user::Handle(0));
    expect(
        "recv without the RECEIVE right",
        ipc(abi::RECV, send_only.0, 0, 0, 0),
        Errno::BadHandle,
    );
    let recv_only = user::handle_dup(ep, abi::RIGHT_RECEIVE).unwrap_or(user::Handle(0));
    expect(
        "call without the SEND right",
        ipc(abi::CALL, recv_only.0, 0, 0, 0),
        Errno::BadHandle,
    );
    expect(
        "a call longer than 4 KiB",
        ipc(abi::CALL, ep.0, 0x0001_0000, 4097, 0),
        Errno::TooBig,
    );
    expect(
        "a call with room for more than 4 KiB",
        ipc(abi::CALL, ep.0, 0x0001_0000, 5000 << 16, 0),
        Errno::TooBig,
    );
    expect(
        "a receive with room for more than 4 KiB",
        ipc(abi::RECV, ep.0, 0x0001_0000, 0xFFFF, 0),
        Errno::TooBig,
    );
    expect(
        "moving a handle that is not one",
        ipc(abi::CALL, ep.0, 0, 0, 0x1234),
        Errno::BadHandle,
    );
    expect(
        "moving a handle without TRANSFER",
        ipc(abi::CALL, ep.0, 0, 0, send_only.0),
        Errno::BadHandle,
    );
    // Nobody serves it: a kernel-address buffer is never touched (it would
    // be, at a rendezvous: Fault, checked by the ipc test), the call times
    // out after 1 ms.
    expect(
        "a call nobody receives",
        ipc(abi::CALL, ep.0, 0xC000_0000, 64, 0),
        Errno::TimedOut,
    );
    expect(
        "a reply with no caller",
        ipc(abi::REPLY, 0, 0, 0, 0),
        Errno::Inval,
    );
    expect(
        "a reply with a kernel-address buffer and no caller",
        ipc(abi::REPLY, 0, 0xC000_0000, 64, 0),
        Errno::Inval,
    );
    for h in [ep, n, send_only, recv_only] {
        let _ = user::handle_close(h);
    }
}

/// Threads: bad priorities, entries, stacks and ids.
fn hostile_threads() {
    let create = |e: u32, sp: u32, prio: u32| syscall(abi::THREAD_CREATE, [e, sp, 0, prio]).0;
    let text = 0x0001_0000;
    let stack = 0x0002_0000;
    expect(
        "a thread at the idle priority",
        create(text, stack, 31),
        Errno::Inval,
    );
    expect(
        "a thread at priority 1000",
        create(text, stack, 1000),
        Errno::Inval,
    );
    expect(
        "a thread above the process's priority",
        create(text, stack, 0),
        Errno::Perm,
    );
    expect(
        "a thread entering the kernel",
        create(0xC010_0000, stack, 20),
        Errno::Fault,
    );
    expect(
        "a thread with a NULL stack",
        create(text, 0, 20),
        Errno::Fault,
    );
    expect(
        "a thread with a misaligned stack",
        create(text, stack + 4, 20),
        Errno::Fault,
    );
    expect(
        "a thread with a kernel stack",
        create(text, 0xC010_0000, 20),
        Errno::Fault,
    );
    for h in [
        0,
        1,
        63,
        0x100,
        abi::granted_handle(5),
        0x1234_5678,
        u32::MAX,
    ] {
        expect(
            "joining a handle that is not a thread of ours",
            syscall(abi::THREAD_JOIN, [h, 0, 0, 0]).0,
            Errno::BadHandle,
        );
    }
    // A notification handle is not a thread.
    if let Ok(n) = user::notify_create() {
        expect(
            "joining a notification",
            syscall(abi::THREAD_JOIN, [n.0, 0, 0, 0]).0,
            Errno::BadHandle,
        );
        let _ = user::handle_close(n);
    }
}

/// The stack of [`moving_server`].
static mut SERVER_STACK: [u64; 256] = [0; 256];

/// Receives (and times out) on endpoint `eps & 0xFFFF`, then on `eps >>
/// 16`, and ends.
extern "C" fn moving_server(eps: u32) -> ! {
    let mut buf = [0u8; 0];
    let first = user::recv(user::Handle(eps & 0xFFFF), &mut buf, 10);
    let second = user::recv(user::Handle(eps >> 16), &mut buf, 10);
    let ok = first == Err(Errno::TimedOut) && second == Err(Errno::TimedOut);
    user::thread_exit(if ok { 0 } else { 1 })
}

/// A thread that served one endpoint, then another, then ended: a call on
/// the first one, and closing both, must not reach the dead thread (the
/// kernel panicked on "live thread id" here, found by the fuzzer).
fn server_moved_on() {
    let (Ok(e1), Ok(e2)) = (user::endpoint_create(), user::endpoint_create()) else {
        println!("abuse: endpoint_create failed");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
        return;
    };
    // SAFETY: only the address is taken; the thread is the stack's only user.
    let top = unsafe { (&raw mut SERVER_STACK).add(1) } as *mut u8;
    let joined =
        user::thread_create(moving_server, top, e1.0 | e2.0 << 16, 20).and_then(user::thread_join);
    if joined != Ok(0) {
        println!("abuse: the moving server ended with {joined:?}");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
    }
    let (r, _) = user::ipc_syscall(abi::CALL, e1.0, [0; 4], 0, 0, 50, 0);
    expect(
        "a call on an endpoint whose last server has ended",
        r,
        Errno::TimedOut,
    );
    let _ = (user::handle_close(e1), user::handle_close(e2));
}

/// Memory objects: bad lengths, flags, rights and addresses, and handles
/// of the wrong kind, each with its exact error.
fn hostile_memory() {
    let create = |len: u32, flags: u32| syscall(abi::MEM_CREATE, [len, flags, 0, 0]).0;
    let map = |h: u32, prot: u32| syscall(abi::MEM_MAP, [h, prot, 0, 0]).0;
    let unmap = |a: u32| syscall(abi::MEM_UNMAP, [a, 0, 0, 0]).0;
    let revoke = |h: u32| syscall(abi::MEM_REVOKE, [h, 0, 0, 0]).0;
    expect("mem_create of 0 bytes", create(0, 0), Errno::Inval);
    expect("mem_create of 4 GiB - 1", create(u32::MAX, 0), Errno::Inval);
    expect(
        "mem_create past 4 MiB",
        create((4 << 20) + 1, 0),
        Errno::Inval,
    );
    expect(
        "mem_create with unknown flags",
        create(4096, 0x80),
        Errno::Inval,
    );
    expect(
        "DMA buffer past 4 MiB",
        create(5 << 20, abi::MEM_DMA),
        Errno::Inval,
    );
    expect(
        "DMA buffer past 1 MiB",
        create((1 << 20) + 1, abi::MEM_DMA),
        Errno::Inval,
    );
    expect("mem_map of handle 0", map(0, PROT_READ), Errno::BadHandle);
    expect(
        "mem_map of a made-up handle",
        map(0xDEAD_BEEF, PROT_READ),
        Errno::BadHandle,
    );
    expect(
        "mem_revoke of a made-up handle",
        revoke(0x7FFF_FFFF),
        Errno::BadHandle,
    );
    if let Ok(n) = user::notify_create() {
        expect(
            "mem_map of a notification",
            map(n.0, PROT_READ),
            Errno::BadHandle,
        );
        expect(
            "mem_revoke of a notification",
            revoke(n.0),
            Errno::BadHandle,
        );
        let _ = user::handle_close(n);
    }
    expect("mem_unmap of NULL", unmap(0), Errno::Inval);
    expect(
        "mem_unmap of the program's text",
        unmap(0x1_0000),
        Errno::Inval,
    );
    expect(
        "mem_unmap of a kernel address",
        unmap(0xC000_0000),
        Errno::Inval,
    );
    let Ok((h, phys)) = user::mem_create(4096, 0) else {
        println!("abuse: a good mem_create failed");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
        return;
    };
    if phys != 0 {
        println!("abuse: shared memory reported a physical address");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
    }
    expect("mem_map with no rights", map(h.0, 0), Errno::Inval);
    expect("mem_map with unknown prot bits", map(h.0, 8), Errno::Inval);
    expect(
        "mem_map executable",
        map(h.0, PROT_READ | PROT_EXEC),
        Errno::Perm,
    );
    let ro = user::handle_dup(h, abi::RIGHT_MAP_READ | abi::RIGHT_TRANSFER);
    if let Ok(ro) = ro {
        expect(
            "mem_map writable through a read-only handle",
            map(ro.0, PROT_WRITE),
            Errno::BadHandle,
        );
        expect("mem_revoke without MANAGE", revoke(ro.0), Errno::BadHandle);
        let wider = user::handle_dup(ro, abi::RIGHT_MAP_READ | abi::RIGHT_MAP_WRITE);
        if let Ok(w) = wider {
            expect(
                "a duplicate cannot widen",
                map(w.0, PROT_WRITE),
                Errno::BadHandle,
            );
            let _ = user::handle_close(w);
        }
        let _ = user::handle_close(ro);
    }
    match user::mem_map(h, PROT_READ | PROT_WRITE) {
        Ok(p) => {
            // SAFETY: our read-write mapping of the 4 KiB object.
            unsafe { core::ptr::write_volatile(p as *mut u32, 7) };
            let a = p as u32;
            expect(
                "munmap of a shared mapping",
                syscall(abi::MUNMAP, [a, 4096, 0, 0]).0,
                Errno::Inval,
            );
            expect(
                "mprotect of a shared mapping",
                syscall(abi::MPROTECT, [a, 4096, PROT_READ | PROT_EXEC, 0]).0,
                Errno::Inval,
            );
            expect("mem_unmap inside the mapping", unmap(a + 4), Errno::Inval);
            if user::mem_unmap(p).is_err() {
                println!("abuse: a good mem_unmap failed");
                // SAFETY: single-threaded.
                unsafe { WRONG += 1 };
            }
            expect("mem_unmap twice", unmap(a), Errno::Inval);
        }
        Err(e) => {
            println!("abuse: a good mem_map failed: {e:?}");
            // SAFETY: single-threaded.
            unsafe { WRONG += 1 };
        }
    }
    let _ = user::handle_close(h);
    expect(
        "mem_map of a closed handle",
        map(h.0, PROT_READ),
        Errno::BadHandle,
    );
}
