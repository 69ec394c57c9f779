//! Shared memory from user mode, in roles chosen by `arg` (grant 0: the
//! memory object, grant 1: a notification to wait on):
//! - 1 writer: maps it read-write, writes a pattern, checks the refusals
//!   (exec, W+X), creates a DMA buffer and writes its physical address at
//!   word 1, waits; after the kernel revoked the object its `mem_unmap`
//!   finds nothing (Inval). Exit code = wrong answers.
//! - 2 reader (read-only handle): cannot map writable, a duplicate cannot
//!   widen it, cannot revoke; maps read-only, checks the pattern, then
//!   writes to it, which kills it.
//! - 3 holder: maps read-only, waits, then reads again: after revocation
//!   that read kills it.
//! - 4 sender (grant 1: an endpoint to call): sends a read-only duplicate
//!   of its handle over IPC, then exits.
//! - 5 receiver (grant 1: the endpoint, to receive on): gets that handle
//!   in a message; neither mapping it writable nor duplicating it wider
//!   works; mapped read-only it shows the object.

#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};
use user::abi::{self, Errno};
use user::{Handle, PROT_EXEC, PROT_READ, PROT_WRITE, println};

user::main!(main);

static mut WRONG: i32 = 0;

fn expect<T: core::fmt::Debug + PartialEq>(what: &str, got: T, want: T) {
    if got != want {
        println!("shm: {what}: got {got:?}, want {want:?}");
        // SAFETY: single-threaded.
        unsafe { WRONG += 1 };
    }
}

const MEM: Handle = Handle::granted(0);
const GO: Handle = Handle::granted(1);

fn main(role: u32) -> i32 {
    match role {
        1 => writer(),
        2 => reader(),
        4 => sender(),
        5 => receiver(),
        _ => holder(),
    }
    // SAFETY: single-threaded.
    unsafe { WRONG }
}

fn writer() {
    expect(
        "exec mapping",
        user::mem_map(MEM, PROT_READ | PROT_EXEC).err(),
        Some(Errno::Perm),
    );
    expect(
        "W+X mapping",
        user::mem_map(MEM, PROT_WRITE | PROT_EXEC).err(),
        Some(Errno::Perm),
    );
    let p = match user::mem_map(MEM, PROT_READ | PROT_WRITE) {
        Ok(p) => p as *mut u32,
        Err(e) => return expect("map read-write", Err(e), Ok(())),
    };
    let (dma, phys) = match user::mem_create(10_000, abi::MEM_DMA) {
        Ok(v) => v,
        Err(e) => return expect("DMA buffer", Err(e), Ok(())),
    };
    expect("DMA phys aligned to its 16 KiB", phys & 0x3FFF, 0);
    let d = user::mem_map(dma, PROT_READ | PROT_WRITE).map(|p| p as *mut u32);
    expect("DMA mapped", d.is_ok(), true);
    // SAFETY: p is our read-write mapping of the object (8 KiB); d of the
    // DMA buffer (16 KiB).
    unsafe {
        write_volatile(p, 0xC0FF_EE00);
        write_volatile(p.add(1), phys);
        write_volatile(p.add(1024), 0xBEEF);
        if let Ok(d) = d {
            write_volatile(d.add(4095), 0x5A5A);
            expect("DMA readback", read_volatile(d.add(4095)), 0x5A5A);
        }
    }
    let _ = user::notify_wait(GO);
    // The kernel has revoked the object meanwhile: our mapping is gone.
    expect(
        "unmap after revoke",
        user::mem_unmap(p as *mut u8),
        Err(Errno::Inval),
    );
    expect("revoke again", user::mem_revoke(MEM), Ok(0));
}

fn reader() {
    expect(
        "read-only handle mapped writable",
        user::mem_map(MEM, PROT_READ | PROT_WRITE).err(),
        Some(Errno::BadHandle),
    );
    let wide = user::handle_dup(MEM, abi::RIGHT_MAP_READ | abi::RIGHT_MAP_WRITE);
    match wide {
        Ok(h) => expect(
            "a duplicate asking for more rights",
            user::mem_map(h, PROT_WRITE).err(),
            Some(Errno::BadHandle),
        ),
        Err(e) => expect("dup with TRANSFER", Err(e), Ok(Handle(0))),
    }
    expect(
        "revoke without MANAGE",
        user::mem_revoke(MEM),
        Err(Errno::BadHandle),
    );
    expect("bad prot", user::mem_map(MEM, 8).err(), Some(Errno::Inval));
    expect("no prot", user::mem_map(MEM, 0).err(), Some(Errno::Inval));
    let p = match user::mem_map(MEM, PROT_READ) {
        Ok(p) => p as *mut u32,
        Err(e) => return expect("map read-only", Err(e), Ok(())),
    };
    // SAFETY: our read-only mapping of the 8 KiB object.
    unsafe {
        expect("writer's word 0", read_volatile(p), 0xC0FF_EE00);
        expect("writer's word 1024", read_volatile(p.add(1024)), 0xBEEF);
        // SAFETY: not safe, on purpose: a read-only mapping; the kernel
        // kills this process here.
        if WRONG == 0 {
            println!("shm reader: writing to a read-only mapping");
            write_volatile(p, 1);
        }
    }
    println!("shm reader: survived a write to a read-only mapping");
    // SAFETY: single-threaded.
    unsafe { WRONG += 100 };
}

fn holder() {
    let p = match user::mem_map(MEM, PROT_READ) {
        Ok(p) => p as *mut u32,
        Err(e) => return expect("map read-only", Err(e), Ok(())),
    };
    // SAFETY: our read-only mapping, until the kernel revokes it.
    unsafe { expect("pattern", read_volatile(p), 0xC0FF_EE00) };
    let _ = user::notify_wait(GO);
    println!("shm holder: reading a revoked mapping");
    // SAFETY: revoked by now: the read faults and kills this process.
    let _ = unsafe { read_volatile(p) };
    println!("shm holder: survived reading a revoked mapping");
    // SAFETY: single-threaded.
    unsafe { WRONG += 100 };
}

fn sender() {
    let ro = match user::handle_dup(MEM, abi::RIGHT_MAP_READ | abi::RIGHT_TRANSFER) {
        Ok(h) => h,
        Err(e) => return expect("dup read-only", Err(e), Ok(())),
    };
    let r = user::call_moving(GO, [1, 2, 3, 4], ro);
    expect("the call with the handle", r.map(|_| ()), Ok(()));
}

fn receiver() {
    let mut buf = [0u8; 16];
    let msg = match user::recv(GO, &mut buf, 0) {
        Ok(m) => m,
        Err(e) => return expect("recv", Err(e), Ok(())),
    };
    let Some(h) = msg.handle else {
        return expect("a handle in the message", false, true);
    };
    expect(
        "a read-only handle from IPC mapped writable",
        user::mem_map(h, PROT_READ | PROT_WRITE).err(),
        Some(Errno::BadHandle),
    );
    if let Ok(w) = user::handle_dup(h, abi::RIGHT_MAP_READ | abi::RIGHT_MAP_WRITE) {
        expect(
            "its duplicate asking for MAP_WRITE",
            user::mem_map(w, PROT_WRITE).err(),
            Some(Errno::BadHandle),
        );
    }
    match user::mem_map(h, PROT_READ) {
        // SAFETY: our read-only mapping of the object.
        Ok(p) => expect(
            "the object's word 0",
            unsafe { read_volatile(p as *const u32) },
            0xC0FF_EE00,
        ),
        Err(e) => expect("map read-only", Err::<(), _>(e), Ok(())),
    }
    expect("reply", user::reply([0; 4], &[]), Ok(()));
}
