//! W^X beyond the image: the kernel heap (its first chunk and the pages it
//! grows into) and the stack are writable but never executable, and the
//! linear-map alias of a heap frame is not executable either. Executing a
//! `bx lr` stored there is a prefetch abort (permission fault), while a
//! function in text still runs; text and rodata refuse writes.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec::Vec;
use arch::trap::{Fault, TrapKind, probe_exec, probe_read, probe_write};
use kernel::boot::{phys_to_virt, sym};
use kernel::layout::{HEAP_END, HEAP_START};
use kernel::mm::{extract, heap};
use ktests::{check, finish};

kernel::entry!(main);

/// `bx lr`: returns at once if it ever did execute.
const BX_LR: u32 = 0xE12F_FF1E;
static RODATA_WORD: u32 = BX_LR;

/// A prefetch abort at `addr` caused by a permission (XN) fault.
fn xn_fault(r: Option<Fault>, addr: usize) -> bool {
    matches!(r, Some(f) if f.kind == TrapKind::PrefetchAbort && f.addr == addr as u32
        && f.status.instruction && f.status.is_permission())
}

fn in_heap(addr: usize) -> bool {
    (HEAP_START..HEAP_END).contains(&(addr as u32))
}

fn main() {
    // A function in text runs: the probe can succeed.
    extern "C" fn ret() {}
    check(
        "executing text works",
        probe_exec(ret as *const () as usize).is_none(),
    );

    let code: Box<[u32; 4]> = Box::new([BX_LR; 4]);
    let addr = code.as_ptr() as usize;
    check("the Box is on the kernel heap", in_heap(addr));
    check(
        "the heap holds the instruction (readable)",
        probe_read(addr).ok() == Some(BX_LR),
    );
    check(
        "the heap is writable",
        probe_write(addr + 4, BX_LR).is_none(),
    );
    check(
        "extract: heap page is RW and XN",
        matches!(extract(addr as u32), Some(t) if t.attrs.xn
            && t.attrs.access.kernel_writable()),
    );
    check(
        "executing a heap allocation faults (prefetch abort, permission)",
        xn_fault(probe_exec(addr), addr),
    );

    // Grow the heap: memory mapped later is just as non-executable.
    let (size0, used0) = heap::usage();
    let mut big: Vec<u32> = Vec::new();
    big.resize((size0 - used0 + 64 * 1024) / 4, BX_LR);
    let (size1, _) = heap::usage();
    check(
        "an allocation larger than the free heap grew the heap",
        size1 > size0,
    );
    let last = &big[big.len() - 4] as *const u32 as usize;
    check("its end lies in the heap", in_heap(last));
    check(
        "executing grown heap memory faults (permission)",
        xn_fault(probe_exec(last), last),
    );

    // The same frame through the linear map.
    let alias = extract(addr as u32).map(|t| phys_to_virt(t.phys) as usize);
    check(
        "the heap frame's linear-map alias holds the instruction",
        matches!(alias, Some(a) if probe_read(a).ok() == Some(BX_LR)),
    );
    check(
        "executing the linear-map alias faults (permission)",
        matches!(alias, Some(a) if xn_fault(probe_exec(a), a)),
    );

    let stack = core::hint::black_box([BX_LR; 4]);
    let sp = stack.as_ptr() as usize;
    check(
        "executing a stack buffer faults (prefetch abort, permission)",
        xn_fault(probe_exec(sp), sp),
    );

    let perm_write = |a: usize| {
        matches!(probe_write(a, 0), Some(f) if f.kind == TrapKind::DataAbort
            && f.addr == a as u32 && f.status.is_permission() && f.status.write)
    };
    check(
        "write to text faults (permission, write)",
        perm_write(sym::text_start() as usize + 0x40),
    );
    check(
        "write to rodata faults (permission, write)",
        perm_write(&raw const RODATA_WORD as usize),
    );
    drop(code);
    drop(big);
    finish()
}
