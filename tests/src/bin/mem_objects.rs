//! Memory objects: two processes of one ELF share their text frames (the
//! reverse map lists both mappings of one frame) and not their data; a
//! write to `.data` or `.bss` in one is invisible to the other
//! (copy-on-write, counted); shared memory between a writer and a
//! read-only reader (whose write kills it); revocation unmaps from every
//! space; a DMA buffer is contiguous and non-cacheable; once every user is
//! gone every frame is back.
//! expect-output: shm reader: writing to a read-only mapping
//! expect-output: shm holder: reading a revoked mapping

#![no_std]
#![no_main]

use arch::mmu::descriptor::MemType;
use kernel::handle::Rights;
use kernel::mm::object;
use kernel::object::{KRef, Object};
use kernel::process::{self, Backing, Class, Grant, KILLED, Spec};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

const SETTLE_NS: u64 = 20_000_000;

/// The first region of `pid` whose rights include `prot`, from an image.
fn image_region(pid: u16, exec: bool) -> Option<(u32, u32)> {
    process::with_process(pid, |t| {
        t.space.regions().iter().find_map(|r| match r.backing {
            Backing::Shared { image: true, .. }
                if (r.prot & kernel::syscall::abi::PROT_EXEC != 0) == exec
                    && (exec || r.prot & kernel::syscall::abi::PROT_WRITE != 0) =>
            {
                Some((r.start, r.len))
            }
            _ => None,
        })
    })
    .flatten()
}

fn phys(pid: u16, va: u32) -> Option<u32> {
    process::with_process(pid, |t| t.space.translate(va))
        .flatten()
        .map(|t| t.phys)
}

fn images() {
    let free = kernel::mm::stats().free_pages;
    let objects = object::live_objects();
    let go_a = Object::new_notification().expect("heap room");
    let go_b = Object::new_notification().expect("heap room");
    let ga = [Grant {
        object: &go_a,
        rights: Rights::WAIT,
    }];
    let gb = [Grant {
        object: &go_b,
        rights: Rights::WAIT,
    }];
    let a = process::spawn_process(
        &Spec {
            priority: 5,
            handles: &ga,
            ..spec("image a", Class::SoftIsolated, 0)
        },
        program("mem_image"),
    )
    .unwrap();
    kernel::thread::sleep(SETTLE_NS);
    let b = process::spawn_process(
        &Spec {
            priority: 5,
            handles: &gb,
            ..spec("image b", Class::SoftIsolated, 0)
        },
        program("mem_image"),
    )
    .unwrap();
    kernel::thread::sleep(SETTLE_NS);
    let (text, _) = image_region(a, true).expect("a shared text region");
    let (data, data_len) = image_region(a, false).expect("a copy-on-write data region");
    let (ta, tb) = (phys(a, text), phys(b, text));
    check("text mapped in both", ta.is_some() && ta == tb);
    let users = object::users_of(ta.unwrap_or(0) & !0xFFF);
    kernel::println!("text frame {:#x?} users {users:?}", ta);
    check(
        "the reverse map shows two mappings of one text frame",
        users.len() == 2 && users.contains(&(a, text)) && users.contains(&(b, text)),
    );
    check(
        "the page descriptor counts both mappings",
        kernel::mm::page_info(ta.unwrap_or(0) & !0xFFF).map(|d| d.map_count()) == Some(2),
    );
    // Every written data page differs between the two.
    let mut private = 0;
    for va in (data..data + data_len).step_by(4096) {
        if let (Some(x), Some(y)) = (phys(a, va), phys(b, va))
            && x != y
        {
            private += 1;
        }
    }
    let (sa, cow_a) = process::with_process(a, |t| t.space.sharing()).unwrap();
    let (_, cow_b) = process::with_process(b, |t| t.space.sharing()).unwrap();
    kernel::println!(
        "a: shared pages {sa}, cow faults {cow_a}; b: cow faults {cow_b}; private data pages {private}"
    );
    check(
        "each took copy-on-write faults",
        cow_a >= 1 && cow_b >= 1 && cow_a == cow_b,
    );
    check("the data pages they wrote are private", private == cow_a);
    process::print_status();
    go_a.notification().unwrap().signal(1);
    go_b.notification().unwrap().signal(1);
    check("a saw only its own data", process::wait(a) == Ok(0));
    check("b saw only its own data", process::wait(b) == Ok(0));
    check("no object left", object::live_objects() == objects);
    check(
        "no page leaked (images)",
        kernel::mm::stats().free_pages == free,
    );
}

fn shared_memory() {
    let free = kernel::mm::stats().free_pages;
    let objects = object::live_objects();
    let mem = Object::Memory(
        KRef::try_new(object::create_shared(8192).expect("8 KiB")).expect("heap room"),
    );
    let go = Object::new_notification().expect("heap room");
    let go2 = Object::new_notification().expect("heap room");
    let all = Rights::MAP_READ | Rights::MAP_WRITE | Rights::TRANSFER | Rights::MANAGE;
    let writer_grants = [
        Grant {
            object: &mem,
            rights: all,
        },
        Grant {
            object: &go,
            rights: Rights::WAIT,
        },
    ];
    let reader_grants = [
        Grant {
            object: &mem,
            rights: Rights::MAP_READ | Rights::TRANSFER,
        },
        Grant {
            object: &go,
            rights: Rights::WAIT,
        },
    ];
    let holder_grants = [
        Grant {
            object: &mem,
            rights: Rights::MAP_READ,
        },
        Grant {
            object: &go2,
            rights: Rights::WAIT,
        },
    ];
    let s = |name, grants| Spec {
        priority: 5,
        handles: grants,
        ..spec(name, Class::SoftIsolated, 0)
    };
    let w = process::spawn_process(
        &Spec {
            arg: 1,
            ..s("shm writer", &writer_grants)
        },
        program("shm"),
    )
    .unwrap();
    kernel::thread::sleep(SETTLE_NS);
    let r = process::spawn_process(
        &Spec {
            arg: 2,
            ..s("shm reader", &reader_grants)
        },
        program("shm"),
    )
    .unwrap();
    check(
        "the reader's write to a read-only mapping killed it",
        process::wait(r) == Ok(KILLED),
    );
    let h = process::spawn_process(
        &Spec {
            arg: 3,
            ..s("shm holder", &holder_grants)
        },
        program("shm"),
    )
    .unwrap();
    kernel::thread::sleep(SETTLE_NS);
    let m = mem.memory().unwrap();
    check("writer and holder map it", m.users().1 == 2);
    // A read-only duplicate sent over IPC cannot be widened by its receiver.
    let ep = Object::new_endpoint().expect("an endpoint");
    let sender_grants = [
        Grant {
            object: &mem,
            rights: all,
        },
        Grant {
            object: &ep,
            rights: Rights::SEND,
        },
    ];
    let receiver_grants = [
        Grant {
            object: &go,
            rights: Rights::WAIT,
        },
        Grant {
            object: &ep,
            rights: Rights::RECEIVE,
        },
    ];
    let rx = process::spawn_process(
        &Spec {
            arg: 5,
            ..s("shm receiver", &receiver_grants)
        },
        program("shm"),
    )
    .unwrap();
    let tx = process::spawn_process(
        &Spec {
            arg: 4,
            ..s("shm sender", &sender_grants)
        },
        program("shm"),
    )
    .unwrap();
    check(
        "the receiver of a read-only handle could not widen it",
        process::wait(rx) == Ok(0),
    );
    check("the sender's call went through", process::wait(tx) == Ok(0));
    check("their mappings and handles are gone", m.users().1 == 2);
    // The DMA buffer: its physical address (word 1 of the shared page)
    // is what the writer's mapping of it shows, and that is non-cacheable.
    let word1 = process::with_process(w, |t| {
        let r =
            t.space.regions().iter().find(|r| {
                matches!(r.backing, Backing::Shared { image: false, .. }) && r.len == 8192
            })?;
        let p = t.space.translate(r.start)?.phys;
        // SAFETY: a frame of the shared object, alive (mapped by w), read
        // through the linear map.
        Some(unsafe {
            core::ptr::read_volatile((kernel::layout::phys_to_virt(p) + 4) as *const u32)
        })
    })
    .flatten();
    let dma = process::with_process(w, |t| {
        let r = t.space.regions().iter().find(|r| {
            matches!(r.backing, Backing::Shared { image: false, .. }) && r.len == 16384
        })?;
        let first = t.space.translate(r.start)?;
        let last = t.space.translate(r.start + 12288)?;
        Some((first.phys, last.phys, first.attrs.mem))
    })
    .flatten();
    kernel::println!("dma {dma:x?}, word 1 {word1:x?}");
    check(
        "the DMA buffer is contiguous, non-cacheable, at the address its owner got",
        matches!(dma, Some((p, q, MemType::NormalUncached)) if Some(p) == word1 && q == p + 12288),
    );
    check(
        "revocation unmapped it from both",
        process::revoke(m) == 2 && m.users().1 == 0,
    );
    go.notification().unwrap().signal(1);
    go2.notification().unwrap().signal(1);
    check(
        "the writer got every answer right",
        process::wait(w) == Ok(0),
    );
    check(
        "the holder's read after revocation killed it",
        process::wait(h) == Ok(KILLED),
    );
    drop(mem);
    check(
        "no object left (shared memory)",
        object::live_objects() == objects,
    );
    check(
        "no page leaked (shared memory)",
        kernel::mm::stats().free_pages == free,
    );
}

/// A hard process granted a 1 MiB object gets it mapped as a section at
/// admission, uses it, and never faults (no copy-on-write for it); its
/// `mem_unmap` and `mem_map` again allocate nothing.
fn hard_sections() {
    let free = kernel::mm::stats().free_pages;
    let k = KRef::try_new(object::create_sections(1 << 20).expect("1 MiB")).expect("heap room");
    let mem = Object::Memory(k);
    let m = mem.memory().unwrap();
    let grants = [Grant {
        object: &mem,
        rights: Rights::MAP_READ | Rights::MAP_WRITE,
    }];
    // The pattern, written through the kernel's linear map of the block.
    let pa = object::BOOK.lock().block(m.id()).map(|(b, _)| b).unwrap();
    let words = kernel::layout::phys_to_virt(pa) as *mut u32;
    // SAFETY: the object's 1 MiB block, alive (we hold it), in the linear map.
    unsafe { words.write_volatile(0x00C0_FFEE) };
    let hard = |budget| Spec {
        priority: 20,
        handles: &grants,
        budget,
        ..spec("hard shm", Class::HardIsolated, 0)
    };
    check(
        "a hard process whose budget cannot hold its granted object is refused",
        process::spawn_process(&hard(0), program("hard_shm")) == Err(process::ProcError::NoMemory),
    );
    // Two sections of budget: one for the object, one left in its reserve.
    let h = process::spawn_process(&hard(2 << 20), program("hard_shm")).unwrap();
    check(
        "the object is mapped from its budget: one section left in its reserve",
        process::with_process(h, |t| t.space.reserved_sections()) == Some(1),
    );
    let mapped = process::with_process(h, |t| {
        let r = t
            .space
            .regions()
            .iter()
            .find(|r| matches!(r.backing, Backing::Shared { image: false, .. }))?;
        Some((
            r.len,
            t.space.translate(r.start)?.phys,
            t.space.stats().sections,
        ))
    })
    .flatten();
    kernel::println!("hard shm: {mapped:x?}");
    check(
        "mapped as a section at admission, before it ran",
        matches!(mapped, Some((0x10_0000, p, _)) if p == pa),
    );
    let before = kernel::mm::alloc_counts();
    let code = process::wait(h);
    let after = kernel::mm::alloc_counts();
    kernel::println!("hard shm: exit {code:?}, allocation counters {before:?} -> {after:?}");
    check(
        "the hard process used it, unmapped and mapped it again 100 times",
        code == Ok(0),
    );
    check(
        "no frame or heap allocation while it ran (100 mem_unmap + mem_map)",
        before == after,
    );
    // SAFETY: as above.
    let (w1, last) = unsafe {
        (
            words.add(1).read_volatile(),
            words.add((1 << 18) - 1).read_volatile(),
        )
    };
    check(
        "its writes reached the object",
        w1 == 0xBEEF && last == 0xF00D,
    );
    check("its mapping is gone", m.users().1 == 0);
    drop(mem);
    check(
        "no page leaked (sections)",
        kernel::mm::stats().free_pages == free,
    );
}

/// A soft process's budget holds its anonymous memory and the memory
/// objects it maps together: neither is a way around the other.
fn budget_charging() {
    let free = kernel::mm::stats().free_pages;
    let k = KRef::try_new(object::create_shared(64 << 10).expect("64 KiB")).expect("heap room");
    let id = k.id();
    let rw = kernel::syscall::abi::PROT_READ | kernel::syscall::abi::PROT_WRITE;
    // Below main's priority: it runs (and exits) once main waits.
    let p = process::spawn_process(
        &Spec {
            priority: 20,
            budget: 96 << 10,
            ..spec("budgeted", Class::SoftIsolated, 0)
        },
        program("quiet"),
    )
    .unwrap();
    let steps = process::with_process(p, |t| {
        let s = &mut t.space;
        let map = |s: &mut process::AddressSpace| {
            s.map_object(id, 16, rw, process::Share::Direct, None, false)
        };
        let a = s.mmap(64 << 10, rw);
        let over_object = map(s);
        let a = a.and_then(|a| s.munmap(a, 64 << 10));
        let o = map(s);
        let over_anon = s.mmap(64 << 10, rw);
        let fits = s.mmap(32 << 10, rw);
        let charged = s.charged();
        let unmapped = o.and_then(|o| s.mem_unmap(o));
        let after = s.mmap(64 << 10, rw);
        (a, over_object, o, over_anon, fits, charged, unmapped, after)
    })
    .unwrap();
    kernel::println!("budget steps: {steps:x?}");
    let (a, over_object, o, over_anon, fits, charged, unmapped, after) = steps;
    check(
        "mapping an object past the budget (64 KiB anonymous held) is NoMemory",
        a.is_ok() && over_object == Err(process::MapError::NoMemory),
    );
    check(
        "anonymous memory past the budget (64 KiB object mapped) is NoMemory",
        o.is_ok() && over_anon == Err(process::MapError::NoMemory),
    );
    check(
        "up to the budget both fit, charged together",
        fits.is_ok() && charged == 96 << 10,
    );
    check(
        "unmapping the object gives its charge back",
        unmapped.is_ok() && after.is_ok(),
    );
    check("the process ran and exited", process::wait(p) == Ok(0));
    drop(k);
    check(
        "no page leaked (budget)",
        kernel::mm::stats().free_pages == free,
    );
}

fn main() {
    images();
    shared_memory();
    hard_sections();
    budget_charging();
    finish()
}
