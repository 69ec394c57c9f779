//! The kernel heap grows on demand: a `Vec<u64>` pushed past the first 64 KiB
//! to 1 MiB works, holds what was pushed, lives in pages mapped RW and XN in
//! the heap window (each taken from the frame allocator), and dropping it
//! gives the memory back to the heap, which reuses it without growing. An
//! allocation too big for the RAM left fails cleanly: the heap unmaps and
//! frees what it mapped while trying.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use arch::mmu::descriptor::Attrs;
use arch::mmu::pmap::Size;
use kernel::layout::{HEAP_END, HEAP_START};
use kernel::mm::{extract, heap, stats};
use ktests::{check, finish};

kernel::entry!(main);

const MIB: usize = 1 << 20;
const N: usize = MIB / 8;

fn value(i: usize) -> u64 {
    (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5555
}

fn main() {
    let (size0, used0) = heap::usage();
    let s0 = stats();
    kernel::println!("heap: {size0} bytes, {used0} used");
    check(
        "1 MiB is more than the heap has free at start",
        size0 - used0 < MIB,
    );

    let mut v: Vec<u64> = Vec::new();
    for i in 0..N {
        v.push(value(i));
    }
    let (size1, used1) = heap::usage();
    let s1 = stats();
    kernel::println!("after 1 MiB: heap {size1} bytes, {used1} used");
    check("the heap grew past 1 MiB", size1 > size0 && size1 >= MIB);
    check("heap usage counts the vector", used1 >= used0 + MIB);
    check("the vector holds 1 MiB", v.len() == N && v.capacity() >= N);
    check(
        "its contents are right",
        v.iter().enumerate().all(|(i, &x)| x == value(i)),
    );
    let (first, last) = (v.as_ptr() as u32, v.as_ptr() as u32 + (MIB - 8) as u32);
    check(
        "the vector lies in the heap window",
        (HEAP_START..HEAP_END).contains(&first) && (HEAP_START..HEAP_END).contains(&last),
    );
    check(
        "its pages are 4 KiB pages, RW and XN",
        (first..=last).step_by(4096).chain([last]).all(|va| {
            matches!(extract(va), Some(t) if t.size == Size::Page
                && t.attrs == Attrs::KERNEL_DATA)
        }),
    );
    let grown_pages = (size1 - size0) / 4096;
    let new_l2_frames = s1.l2_frames - s0.l2_frames;
    check(
        "every grown page took one frame (plus any new L2 pool frame)",
        s0.free_pages - s1.free_pages == grown_pages + new_l2_frames
            && s1.kernel.pages - s0.kernel.pages == grown_pages as u32,
    );

    drop(v);
    let (size2, used2) = heap::usage();
    kernel::println!("after drop: heap {size2} bytes, {used2} used");
    check("dropping the vector frees heap memory", used2 < used1);
    check("usage is back to its starting value", used2 == used0);

    let mut w: Vec<u64> = Vec::with_capacity(N);
    w.resize(N, 7);
    let (size3, _) = heap::usage();
    check(
        "a new 1 MiB vector reuses the freed memory (no growth)",
        size3 == size2 && stats().free_pages == s1.free_pages,
    );
    check("and reads back", w.len() == N && w.iter().all(|&x| x == 7));
    drop(w);

    // More than the free RAM, though it fits the heap window.
    let s4 = stats();
    let want = (s4.free_pages + 16) * 4096 / 8;
    let mut huge: Vec<u64> = Vec::new();
    let r = huge.try_reserve_exact(want);
    let s5 = stats();
    kernel::println!("reserve of {} KiB: {:?}", want * 8 / 1024, r.is_ok());
    check("an allocation larger than free RAM fails", r.is_err());
    check(
        "the failed growth gave back every frame and table",
        s5.free_pages == s4.free_pages && s5 == s4,
    );
    check(
        "the heap is unchanged by the failure",
        heap::usage() == (size3, used0),
    );
    let mut after: Vec<u64> = Vec::new();
    after.resize(1024, 1);
    check(
        "the heap still allocates afterwards",
        after.iter().sum::<u64>() == 1024,
    );
    finish()
}
