//! The kernel heap: `linked_list_allocator` in a window of its own that grows.
//!
//! The heap lives at [`HEAP_START`](crate::layout::HEAP_START) and grows
//! upwards a page-aligned chunk at a time: when an allocation does not fit,
//! frames are taken from the page allocator and mapped (4 KiB pages, RW, XN)
//! right at the heap's top, so the heap stays one contiguous range as
//! `Heap::extend` requires. Hard real-time paths never allocate here; they
//! get their memory reserved when they are admitted.
//!
//! The heap's lock is a sleeping lock with priority inheritance, like
//! [`MM`](super::MM): growing the heap maps pages, which takes `MM`, and
//! neither may mask IRQs for that long. So the heap follows the rules of
//! `kernel::mm`: no allocation or free in an interrupt handler, under the
//! scheduler lock or under another `IrqLock` (a panic names the bug).
//!
//! Lock order: the heap lock, then [`MM`](super::MM). Code holding `MM` never
//! allocates.

use super::frames::PAGE_SIZE;
use crate::layout::{HEAP_END, HEAP_START};
use crate::println;
use crate::thread::sync::Mutex;
use arch::mmu::descriptor::Attrs;
use arch::mmu::pmap::Size;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{NonNull, null_mut};
use core::sync::atomic::{AtomicU64, Ordering};
use linked_list_allocator::Heap;

/// Smallest growth step.
const GROW_MIN: u32 = 64 * 1024;

struct KernelHeap {
    heap: Mutex<Heap>,
}

/// Successful heap allocations since boot (monotonic: frees do not lower
/// it), see [`allocations`].
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Successful heap allocations since boot. Never decreases, so equal
/// readings before and after a stretch of work mean it allocated nothing
/// from the heap (not even something it freed again).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

#[global_allocator]
static HEAP: KernelHeap = KernelHeap {
    heap: Mutex::new(Heap::empty()),
};

/// Maps `bytes` (page multiple) at `top`; on failure unmaps what it mapped.
/// [`MM`](super::MM) is taken once per page, not for the whole chunk, so a
/// thread waiting for it (a hard task's `mmap`, say) waits for one page's
/// map at most.
fn grow_at(top: u32, bytes: u32) -> bool {
    if top.checked_add(bytes).is_none_or(|end| end > HEAP_END) {
        return false;
    }
    let mut done = 0;
    while done < bytes {
        let mapped = super::with(|mm| {
            let Ok(frame) = mm.frames.alloc(0) else {
                return false;
            };
            let (kpmap, mut t) = mm.kernel_space();
            if kpmap
                .map(top + done, frame, Size::Page, Attrs::KERNEL_DATA, &mut t)
                .is_err()
            {
                let _ = mm.frames.free(frame, 0);
                return false;
            }
            true
        });
        if !mapped {
            break;
        }
        done += PAGE_SIZE;
    }
    if done == bytes {
        return true;
    }
    while done > 0 {
        done -= PAGE_SIZE;
        super::with(|mm| {
            let (kpmap, mut t) = mm.kernel_space();
            if let Ok(frame) = kpmap.unmap(top + done, Size::Page, &mut t) {
                mm.note_unmapped(frame);
                let _ = mm.frames.free(frame, 0);
            }
        });
    }
    false
}

fn grow(heap: &mut Heap, layout: Layout) -> bool {
    let need = (layout.size() + layout.align()) as u32;
    let bytes = need.max(GROW_MIN).next_multiple_of(PAGE_SIZE);
    let top = if heap.size() == 0 {
        HEAP_START
    } else {
        heap.top() as u32
    };
    if !grow_at(top, bytes) {
        return false;
    }
    if heap.size() == 0 {
        // SAFETY: [HEAP_START, +bytes) was just mapped RW and is used by
        // nothing else.
        unsafe { heap.init(HEAP_START as *mut u8, bytes as usize) };
    } else {
        // SAFETY: the pages right above the heap's top were just mapped.
        unsafe { heap.extend(bytes as usize) };
    }
    true
}

// SAFETY: allocations come from linked_list_allocator under a lock; growth
// only adds freshly mapped memory above the heap's top.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        #[cfg(all(feature = "fault-inject", target_os = "none"))]
        if crate::mm::inject::should_fail(crate::mm::inject::Site::Heap) {
            return null_mut();
        }
        let mut heap = self.heap.lock();
        if let Ok(p) = heap.allocate_first_fit(layout) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            return p.as_ptr();
        }
        if grow(&mut heap, layout)
            && let Ok(p) = heap.allocate_first_fit(layout)
        {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            return p.as_ptr();
        }
        null_mut()
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            // SAFETY: GlobalAlloc's contract: ptr came from alloc with layout.
            unsafe { self.heap.lock().deallocate(p, layout) };
        }
    }
}

/// `Box::new` that hands `value` back instead of ending the kernel when the
/// heap is exhausted (`Box::try_new` is not stable): for kernel objects that
/// a task's demand causes, whose creation must fail with an error.
pub fn try_box<T>(value: T) -> Result<alloc::boxed::Box<T>, T> {
    let layout = Layout::new::<T>();
    if layout.size() == 0 {
        return Ok(alloc::boxed::Box::new(value));
    }
    // SAFETY: the layout's size is not zero.
    let p = unsafe { alloc::alloc::alloc(layout) }.cast::<T>();
    if p.is_null() {
        return Err(value);
    }
    // SAFETY: p is fresh memory from the global allocator with T's layout,
    // which is what Box::from_raw takes; it is written before the box owns it.
    unsafe {
        p.write(value);
        Ok(alloc::boxed::Box::from_raw(p))
    }
}

/// Maps the first chunk of the heap (at boot).
pub fn init() {
    let mut heap = HEAP.heap.lock();
    let ok = grow(
        &mut heap,
        Layout::from_size_align(1, 1).expect("valid layout"),
    );
    let size = heap.size();
    drop(heap);
    assert!(ok, "no memory for the kernel heap");
    println!(
        "heap: {} KiB at {HEAP_START:#010x}, grows on demand up to {} MiB",
        size >> 10,
        (HEAP_END - HEAP_START) >> 20
    );
}

/// Heap bytes (mapped, in use).
pub fn usage() -> (usize, usize) {
    let heap = HEAP.heap.lock();
    (heap.size(), heap.used())
}

/// Fault injection: the chain of blocks [`hold_free`] took (each starts
/// with the next block's address and its own size); 0 when empty.
#[cfg(feature = "fault-inject")]
static HELD: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Takes every free byte of the heap without growing it, so that the next
/// allocation must grow the heap's window (`kernel::mm::inject`). Returns
/// the bytes taken. Holes of any size are taken, largest first; the smallest
/// a hole can be is two words, the smallest allocation.
#[cfg(feature = "fault-inject")]
pub fn hold_free() -> usize {
    const MIN: usize = 2 * size_of::<usize>();
    let mut heap = HEAP.heap.lock();
    let mut taken = 0;
    let mut want = heap.free() & !(MIN - 1);
    while want >= MIN {
        let layout = Layout::from_size_align(want, MIN).expect("valid layout");
        match heap.allocate_first_fit(layout) {
            Ok(p) => {
                let block = p.as_ptr().cast::<[usize; 2]>();
                // SAFETY: a fresh block of at least two words, ours.
                unsafe { block.write([HELD.load(Ordering::Relaxed), want]) };
                HELD.store(block as usize, Ordering::Relaxed);
                taken += want;
                want = want.min(heap.free() & !(MIN - 1));
            }
            Err(()) => want = (want / 2) & !(MIN - 1),
        }
    }
    taken
}

/// Gives back what [`hold_free`] took.
#[cfg(feature = "fault-inject")]
pub fn release_held() {
    const MIN: usize = 2 * size_of::<usize>();
    let mut heap = HEAP.heap.lock();
    let mut block = HELD.swap(0, Ordering::Relaxed) as *mut [usize; 2];
    while let Some(p) = NonNull::new(block) {
        // SAFETY: a block of the chain hold_free built: its first two words
        // are the next block and its size, its layout (size, MIN).
        unsafe {
            let [next, size] = p.as_ptr().read();
            let layout = Layout::from_size_align(size, MIN).expect("valid layout");
            heap.deallocate(p.cast(), layout);
            block = next as *mut [usize; 2];
        }
    }
}
