//! The benchmark image that `cargo xtask bench` boots.
//!
//! QEMU runs it with instruction counting (`-icount shift=4,sleep=off`): every
//! guest instruction advances virtual time by 2^4 = 16 ns and an idle CPU jumps
//! straight to the next timer deadline, so a run repeats exactly and a time
//! difference is an instruction count. The Cortex-A9 global timer (the
//! kernel's clock, read raw with [`time::ticks`]) runs at PERIPHCLK with
//! prescaler 0: on vexpress-a9 one tick per 10 ns, so instructions =
//! ticks x 10 / 16. [`calibrate`] checks that ratio on a block of known length
//! and prints it, and the xtask refuses a run where it does not hold.
//!
//! One sample is one operation. A kernel operation sample is the global-timer
//! difference between a [`time::ticks`] call just before the operation and
//! one just after it, minus the difference two back-to-back calls give (the
//! measurement's own cost), converted to instructions. Latency samples have no
//! start reading: they run from a known timer expiry to the global-timer read
//! in the first `ticks()` call on the measured path (see each function).
//!
//! User-mode figures come from the `bench_*` programs in `user/src/bin/`,
//! which read the global timer themselves (granted as a device and mapped
//! with `map_device`, one load per read) and leave raw counter values in an
//! 8 KiB "mailbox", their only `mmap` (layout in `user/src/bench.rs`).
//! A [`Mailbox`] maps those pages a second time in the kernel's space before
//! the program measures anything; as the page allocator does not free a frame
//! something still maps, the pages outlive the program's exit, and the image
//! reads them after [`process::wait`] and then frees them.
//!
//! # Line protocol
//!
//! The image reports to the xtask through the console, one line per record;
//! every other console line is ignored by the xtask. Fields are `key=value`
//! separated by single spaces, values are decimal, names are `[a-z0-9_]`:
//!
//! ```text
//! BENCH begin version=3 board=vexpress-a9 clock_hz=100000000 icount_shift=4 irqsoff=1 ram_mib=256 boot_only=0
//! BENCH calib insns=20001 ticks=32002 empty_ticks=116
//! BENCH image text=.. rodata=.. data=.. bss=..
//! BENCH metric name=frame_alloc min=.. median=.. max=.. samples=1000
//! BENCH hist name=wakeup_latency_hard_kernel_idle lo=.. width=.. counts=3,0,997
//! BENCH boot origin=reset main=..
//! BENCH masked map_new_table=.. unmap_table=..
//! BENCH load mapper_switches=.. busy_switches=..
//! BENCH irqsoff workload=frames max=.. site=kernel/src/mm/space.rs:189 end=trap-return windows=..
//! BENCH crash kills=.. mapped_kib=16384
//! BENCH end metrics=26
//! ```
//!
//! `begin` says with `irqsoff=1` that the image was built with the IRQs-off
//! profiler (kernel feature `irqsoff`; `irqsoff=0` without it), how much RAM
//! it was built for (`ram_mib`), and with `boot_only=1` that it was built
//! for another RAM size than the board's (`KERNEL_RAM_MIB`) and reports
//! only `calib`, `image`, `boot` and its `boot_to_first_task_<ram_mib>m`. `cargo xtask
//! bench` boots the image twice, built without the profiler (whose hook on
//! every IRQ mask and unmask would inflate every figure) and with it, for the
//! `irqsoff` records, which only a profiled image prints.
//! `metric` figures are instructions; the median of an even count is the
//! lower middle sample. A `hist` line follows the `metric` line of each
//! latency metric: bucket `k` counts the samples in
//! `[lo + k * width, lo + (k + 1) * width)` instructions. `boot` says where
//! `boot_to_first_task` counts from (`reset`: QEMU's virtual clock at 0, or
//! `timer_enable`: the global timer's start in `time::init`, on boards without
//! a counter that runs from reset) and how many instructions ran from there to
//! the start of this image's `main`. `masked` gives the uninterrupted cost, in
//! instructions, of two memory-manager calls that run whole under the MM lock
//! (which no longer masks IRQs; see [`masked`]). `load` says how often each task of the memory load (see
//! [`start_load`]) was switched in during the loaded runs. `irqsoff` follows
//! each workload (see [`workload`]) in a profiled image: the IRQs-off
//! profiler's (`kernel::irqsoff`) longest window with
//! IRQs masked while it ran, in instructions, with the sites where IRQs were
//! masked and enabled again (`file:line`, `trap-entry:KIND`, `trap-return`,
//! or `none` when there was no window) and the count of windows. `crash`
//! says how many soft processes [`wakeup_latency_crash`] saw killed and what
//! each mapped. The run then ends through semihosting with status 0.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::alloc::{Layout, alloc, dealloc};
use arch::mmu::descriptor::Attrs;
use arch::mmu::pmap::Size;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use drivers::a9_timer::{GLOBAL_TIMER_IRQ, GlobalTimer};
use drivers::gic::Trigger;
use kernel::boot::{MAIN_PRIORITY, phys_to_virt, sym, virt_to_phys};
use kernel::handle::Rights;
use kernel::mm::frames::PageState;
use kernel::mm::zones::{PageSource, Zone};
use kernel::mm::{alloc_frames, free_frames, ioremap, ioremap_quiet, iounmap, map, unmap};
use kernel::object::Object;
use kernel::process::{self, Backing, Class, Device, Grant, Spec};
use kernel::sync::IrqLock;
use kernel::thread::{self, Periodic};
use kernel::{BOARD, irq, irqsoff, print, println, time};

kernel::entry!(main);

/// Built for another amount of RAM than the board declares (`KERNEL_RAM_MIB`,
/// see `kernel/build.rs`): the xtask boots such an image only for its
/// `boot_to_first_task_<MiB>m`, so it stops after that.
const BOOT_ONLY: bool = option_env!("KERNEL_RAM_MIB").is_some();

/// For reading instruction traces, not for `cargo xtask bench`: built with
/// `RTK_BENCH_ONLY=<workload>`, the image runs that one workload (after the
/// boot, calibration and image records) and skips the others, so that a
/// QEMU trace (`-d in_asm,exec,nochain`) of it stays small. Its report is
/// incomplete on purpose: the xtask would refuse it.
const ONLY: Option<&str> = option_env!("RTK_BENCH_ONLY");

/// QEMU's `-icount shift=`: one instruction is `2^ICOUNT_SHIFT` ns.
const ICOUNT_SHIFT: u32 = 4;
/// Samples per metric.
const SAMPLES: usize = 1000;
/// Instructions in [`nop_block`].
const NOP_BLOCK_INSNS: u32 = 1 + 20 * (998 + 2);
/// Histogram buckets (at most one more, see [`histogram`]).
const BUCKETS: u32 = 40;

/// Where the 4 KiB page benchmark maps: four MiBs of the kernel-task area.
const PAGE_VA: u32 = 0x5000_0000;
/// Where the section benchmark maps: one MiB per sample.
const SECTION_VA: u32 = 0x6000_0000;
/// Two MiBs of the kernel-task area for [`masked`] (above the section
/// benchmark's 1000 MiBs and the kernel-bound tasks' windows).
const MASKED_VA: u32 = 0xA000_0000;
/// Where [`Mailbox`]es are mapped a second time, 8 KiB each.
const MAILBOX_VA: u32 = 0xB000_0000;
/// Physical MiBs given to `ioremap` (never accessed): unused on vexpress-a9.
const IOREMAP_PHYS: u32 = 0x4000_0000;
/// ioremaps held at once before they are undone (the kernel tracks at most
/// 64 live ones, some of them the boot's).
const IOREMAP_BATCH: usize = 40;
/// Period of the wake-up latency tasks (the user program has its own copy
/// and says it in its mailbox).
const PERIOD_NS: u64 = 1_000_000;

// ---------------------------------------------------------------------------
// Sample buffers, clock conversion, reporting.

/// Capacity of a sample or scratch buffer (16 KiB of u32).
const CAP: usize = 4096;
/// The sample buffer (frames in the linear map, not .bss: see `image`).
static BUF: AtomicPtr<u32> = AtomicPtr::new(core::ptr::null_mut());
/// Samples recorded in [`BUF`].
static LEN: AtomicUsize = AtomicUsize::new(0);
/// Ticks of an empty measurement, subtracted from operation samples.
static EMPTY_TICKS: AtomicU64 = AtomicU64::new(0);

/// A 16 KiB buffer of u32 from the page allocator, zeroed.
fn frames_buffer() -> *mut u32 {
    let phys = alloc_frames(2).expect("a 16 KiB buffer");
    let p = phys_to_virt(phys) as *mut u32;
    // SAFETY: the 16 KiB block was just allocated for us and is mapped RW by
    // the linear map.
    unsafe { p.write_bytes(0, CAP) };
    p
}

/// Appends a sample (thread or IRQ context; never two at once: the callers
/// run one at a time on the single core).
fn record(insns: u32) {
    let i = LEN.load(Ordering::Relaxed);
    if i < CAP {
        // SAFETY: BUF holds CAP u32 and i < CAP; only one context records at
        // a time (see above).
        unsafe { BUF.load(Ordering::Relaxed).add(i).write(insns) };
        LEN.store(i + 1, Ordering::Relaxed);
    }
}

/// Instructions executed in `ticks` global-timer ticks, rounded.
fn insns(ticks: u64) -> u32 {
    let hz = BOARD.periph_clock_hz as u64;
    let den = hz << ICOUNT_SHIFT;
    ((ticks * 1_000_000_000 + den / 2) / den) as u32
}

/// Global-timer ticks at `ns` nanoseconds since boot.
fn ns_to_ticks(ns: u64) -> u64 {
    (ns as u128 * BOARD.periph_clock_hz as u128 / 1_000_000_000) as u64
}

/// Runs `op` between two `ticks()` reads: its result and the ticks between
/// the reads.
#[inline(always)]
fn span<R>(op: impl FnOnce() -> R) -> (R, u64) {
    let t0 = time::ticks();
    let r = op();
    let t1 = time::ticks();
    (r, t1 - t0)
}

/// Instructions `op` took, the measurement's own cost taken off.
#[inline(always)]
fn measure<R>(op: impl FnOnce() -> R) -> (R, u32) {
    let (r, ticks) = span(op);
    (
        r,
        insns(ticks.saturating_sub(EMPTY_TICKS.load(Ordering::Relaxed))),
    )
}

/// Runs `op` as one operation sample (checks on its result come after).
#[inline(always)]
fn timed<R>(op: impl FnOnce() -> R) -> R {
    let (r, n) = measure(op);
    record(n);
    r
}

static METRICS: AtomicU32 = AtomicU32::new(0);

/// Prints the `metric` line (and the `hist` line if asked) of the samples
/// recorded since the last report, and empties the buffer.
fn report(name: &str, hist: bool) {
    // The benchmark's own printing is not part of the workload.
    pause_profiler();
    let n = LEN.swap(0, Ordering::Relaxed);
    // SAFETY: the first n entries were written by record(); nothing records
    // while a report runs.
    let s = unsafe { core::slice::from_raw_parts_mut(BUF.load(Ordering::Relaxed), n) };
    assert!(n > 0, "no samples for {name}");
    s.sort_unstable();
    println!(
        "BENCH metric name={name} min={} median={} max={} samples={n}",
        s[0],
        s[(n - 1) / 2],
        s[n - 1]
    );
    if hist {
        histogram(name, s);
    }
    METRICS.fetch_add(1, Ordering::Relaxed);
    irqsoff::reset();
}

// ---------------------------------------------------------------------------
// The IRQs-off profiler, per workload.

/// The longest IRQs-masked window of the running workload and the windows
/// counted, over the stretches between reports.
static WORKLOAD_IRQSOFF: IrqLock<(Option<irqsoff::Window>, u64)> = IrqLock::new((None, 0));

/// Adds what the profiler saw since its last reset to the workload's record
/// (a report calls it before printing, and resets the profiler after).
fn pause_profiler() {
    let r = irqsoff::record();
    let mut w = WORKLOAD_IRQSOFF.lock();
    w.1 += r.count;
    if let Some(max) = r.worst[0]
        && w.0.is_none_or(|old| old.ticks < max.ticks)
    {
        w.0 = Some(max);
    }
}

/// Runs one workload with the IRQs-off profiler (`kernel::irqsoff`) reset
/// first, and prints its `irqsoff` record: the longest window with IRQs
/// masked while it ran (the benchmark's own printing of reports left out),
/// in instructions, where IRQs were masked and where they came back on, and
/// how many windows there were. Without the profiler built in, just runs it.
fn workload<R: Default>(name: &str, f: impl FnOnce() -> R) -> R {
    if ONLY.is_some_and(|only| only != name) {
        return R::default();
    }
    *WORKLOAD_IRQSOFF.lock() = (None, 0);
    irqsoff::reset();
    let r = f();
    if !irqsoff::ENABLED {
        return r;
    }
    pause_profiler();
    let (max, windows) = *WORKLOAD_IRQSOFF.lock();
    match max {
        Some(w) => println!(
            "BENCH irqsoff workload={name} max={} site={} end={} windows={windows}",
            w.insns(),
            w.start,
            w.end
        ),
        None => println!("BENCH irqsoff workload={name} max=0 site=none end=none windows=0"),
    }
    r
}

/// The smallest 1, 2 or 5 times a power of ten that is at least `x`.
fn nice(x: u32) -> u32 {
    let mut p = 1u32;
    loop {
        for m in [1, 2, 5] {
            if m * p >= x {
                return m * p;
            }
        }
        p *= 10;
    }
}

/// Prints the `hist` line of sorted samples: about [`BUCKETS`] buckets of a
/// round width, starting at the minimum rounded down to that width.
fn histogram(name: &str, sorted: &[u32]) {
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let width = nice((max - min + 1).div_ceil(BUCKETS));
    let lo = min / width * width;
    print!("BENCH hist name={name} lo={lo} width={width} counts=");
    let mut i = 0;
    for b in 0..=(max - lo) / width {
        let end = lo + (b + 1) * width;
        let start = i;
        while i < sorted.len() && sorted[i] < end {
            i += 1;
        }
        let sep = if b == 0 { "" } else { "," };
        print!("{sep}{}", i - start);
    }
    println!();
}

// ---------------------------------------------------------------------------
// Calibration and image size.

/// Runs exactly [`NOP_BLOCK_INSNS`] instructions: 20 rounds of 998 `nop`s and
/// a `subs`/`bne` pair, after one `mov`.
#[inline(always)]
fn nop_block() {
    // SAFETY: touches only the scratch register it declares; no memory, no
    // stack, no flags the compiler relies on (asm! assumes flags clobbered).
    unsafe {
        core::arch::asm!(
            "mov {n}, #20",
            "2:",
            ".rept 998",
            "nop",
            ".endr",
            "subs {n}, {n}, #1",
            "bne 2b",
            n = out(reg) _,
            options(nomem, nostack),
        )
    };
}

/// Measures the cost of a measurement and a block of known length, and
/// prints both: the xtask checks ticks x 10 / 16 = instructions.
fn calibrate() {
    let empty = (0..16).map(|_| span(|| {}).1).min().unwrap_or(0);
    EMPTY_TICKS.store(empty, Ordering::Relaxed);
    let block = (0..4).map(|_| span(nop_block).1).min().unwrap_or(0);
    println!(
        "BENCH calib insns={NOP_BLOCK_INSNS} ticks={} empty_ticks={empty}",
        block - empty
    );
}

/// Section sizes of this image, from the linker symbols (each part is padded
/// to whole 4 KiB pages, as it is laid out).
fn image() {
    println!(
        "BENCH image text={} rodata={} data={} bss={}",
        sym::text_end() - sym::text_start(),
        sym::rodata_end() - sym::rodata_start(),
        sym::data_end() - sym::data_start(),
        sym::bss_end() - sym::bss_start()
    );
}

// ---------------------------------------------------------------------------
// Memory management.

/// Frames: 4 KiB and 1 MiB blocks from the buddy allocator.
fn frames(scratch: &mut [u32]) {
    for slot in scratch.iter_mut().take(SAMPLES) {
        *slot = timed(|| alloc_frames(0)).expect("a frame");
    }
    report("frame_alloc", false);
    for &phys in scratch.iter().take(SAMPLES) {
        timed(|| free_frames(phys, 0)).expect("free a frame");
    }
    report("frame_free", false);
    // At most about 250 MiB blocks exist: rounds of 100, freed untimed.
    for _ in 0..SAMPLES / 100 {
        for slot in scratch.iter_mut().take(100) {
            *slot = timed(|| alloc_frames(8)).expect("a 1 MiB block");
        }
        for &phys in scratch.iter().take(100) {
            free_frames(phys, 8).expect("free a 1 MiB block");
        }
    }
    report("frame_alloc_1m", false);
}

/// 4 KiB pages in MiBs whose L2 table is present (a pinned page at the top of
/// each keeps it), then 1 MiB sections; all in the kernel's space.
fn mappings() {
    const MIBS: u32 = SAMPLES.div_ceil(250) as u32;
    let mut blocks = [0u32; MIBS as usize];
    for (m, block) in blocks.iter_mut().enumerate() {
        *block = alloc_frames(8).expect("1 MiB of frames");
        let top = 255 * 4096;
        let va = PAGE_VA + ((m as u32) << 20) + top;
        map(va, *block + top, Size::Page, Attrs::KERNEL_DATA).expect("pin an L2 table");
    }
    let page = |i: usize| {
        let (m, k) = (i / 250, (i % 250) as u32);
        let va = PAGE_VA + ((m as u32) << 20) + k * 4096;
        (va, blocks[m] + k * 4096)
    };
    for i in 0..SAMPLES {
        let (va, pa) = page(i);
        timed(|| map(va, pa, Size::Page, Attrs::KERNEL_DATA)).expect("map a page");
    }
    report("map_page", false);
    for i in 0..SAMPLES {
        let (va, pa) = page(i);
        assert_eq!(timed(|| unmap(va, Size::Page)), Ok(pa));
    }
    report("unmap_page", false);
    for (m, &block) in blocks.iter().enumerate() {
        let va = PAGE_VA + ((m as u32) << 20) + 255 * 4096;
        unmap(va, Size::Page).expect("unpin");
        free_frames(block, 8).expect("free 1 MiB");
    }

    // Every section maps the same MiB (it is never accessed).
    let pa = alloc_frames(8).expect("1 MiB of frames");
    let va = |i: usize| SECTION_VA + ((i as u32) << 20);
    for i in 0..SAMPLES {
        timed(|| map(va(i), pa, Size::Section, Attrs::KERNEL_DATA)).expect("map a section");
    }
    report("map_section", false);
    for i in 0..SAMPLES {
        assert_eq!(timed(|| unmap(va(i), Size::Section)), Ok(pa));
    }
    report("unmap_section", false);
    free_frames(pa, 8).expect("free 1 MiB");
}

/// ioremap of a physical MiB nothing maps yet, in batches that are then
/// iounmapped untimed (the slot scan grows with the slots in use).
fn ioremaps(scratch: &mut [u32]) {
    for _ in 0..SAMPLES / IOREMAP_BATCH {
        for (k, slot) in scratch.iter_mut().take(IOREMAP_BATCH).enumerate() {
            let phys = IOREMAP_PHYS + ((k as u32) << 20);
            *slot = timed(|| ioremap_quiet(phys, 0x1000)).expect("ioremap") as u32;
        }
        for &va in scratch.iter().take(IOREMAP_BATCH) {
            assert_eq!(iounmap(va as usize, 0x1000), Ok(1));
        }
    }
    report("ioremap", false);
}

/// Zone slabs from the frame allocator, as the scheduler's TCB zone has.
struct FrameSource;

// SAFETY: pages come from the frame allocator, in the linear map, 4 KiB
// aligned, and are used by nothing else until given back.
unsafe impl PageSource for FrameSource {
    fn alloc_page(&mut self) -> Option<NonNull<u8>> {
        let phys = alloc_frames(0).ok()?;
        NonNull::new(phys_to_virt(phys) as *mut u8)
    }
    fn free_page(&mut self, page: NonNull<u8>) {
        let _ = free_frames(virt_to_phys(page.as_ptr() as u32), 0);
    }
}

/// 64-byte objects from the kernel heap and from a zone.
fn objects(scratch: &mut [u32]) {
    let layout = Layout::from_size_align(64, 8).expect("valid layout");
    for slot in scratch.iter_mut().take(SAMPLES) {
        // SAFETY: a non-zero-sized layout; the block is freed below.
        let p = timed(|| unsafe { alloc(layout) });
        assert!(!p.is_null(), "heap allocation failed");
        *slot = p as u32;
    }
    report("heap_alloc_64", false);
    for &p in scratch.iter().take(SAMPLES) {
        // SAFETY: allocated above with this layout, freed once.
        unsafe { dealloc(p as *mut u8, layout) };
    }

    let mut zone = Zone::new(64, 8).expect("a zone of 64-byte objects");
    for slot in scratch.iter_mut().take(SAMPLES) {
        let p = timed(|| zone.alloc(&mut FrameSource)).expect("a zone object");
        *slot = p.as_ptr() as u32;
    }
    report("zone_alloc", false);
    for &p in scratch.iter().take(SAMPLES) {
        let p = NonNull::new(p as *mut u8).expect("non-null object");
        // SAFETY: p is an object of this zone, in the linear map, freed once.
        unsafe { zone.free(p, &mut FrameSource) }.expect("free a zone object");
    }
    zone.shrink(&mut FrameSource);
}

// ---------------------------------------------------------------------------
// Scheduling.

/// The global-timer reading just before the last `yield_now`.
static YIELDED_AT: AtomicU64 = AtomicU64::new(0);

/// Two threads of one priority yield to each other. A sample runs from the
/// `ticks()` read just before `yield_now` in one thread to the one just after
/// `yield_now` returns in the other (minus the measurement's cost).
fn thread_switch() {
    fn ping_pong() {
        loop {
            if LEN.load(Ordering::Relaxed) >= SAMPLES {
                return;
            }
            YIELDED_AT.store(time::ticks(), Ordering::Relaxed);
            thread::yield_now();
            let now = time::ticks();
            // The partner finished: this was not a switch from it.
            if LEN.load(Ordering::Relaxed) >= SAMPLES {
                return;
            }
            let ticks = now - YIELDED_AT.load(Ordering::Relaxed);
            record(insns(
                ticks.saturating_sub(EMPTY_TICKS.load(Ordering::Relaxed)),
            ));
        }
    }
    let a = thread::spawn("switch-a", 10, ping_pong).expect("spawn");
    let b = thread::spawn("switch-b", 10, ping_pong).expect("spawn");
    thread::join(a).expect("join");
    thread::join(b).expect("join");
    report("thread_switch", false);
}

/// A second view of the global timer, for its comparator (the kernel's clock
/// only reads the counter).
static GTIMER: IrqLock<Option<GlobalTimer>> = IrqLock::new(None);
/// The comparator value the pending interrupt is due at.
static DUE: AtomicU64 = AtomicU64::new(0);
static FIRED: AtomicBool = AtomicBool::new(false);

/// The global timer's interrupt handler: reads the clock first thing.
fn on_comparator(_irq: u32) {
    let now = time::ticks();
    if let Some(t) = GTIMER.lock().as_ref() {
        t.disable_compare();
        t.clear_interrupt();
    }
    record(insns(now - DUE.load(Ordering::Relaxed)));
    FIRED.store(true, Ordering::Release);
}

/// The global timer's comparator fires at a known tick while the main thread
/// spins with IRQs unmasked; a sample runs from that tick to the counter read
/// in the handler's first `ticks()` call. It spans the exception entry
/// (vector, trap frame), `arch_trap`, `kernel_trap`, the GIC acknowledge and
/// handler lookup in `irq::dispatch`, and `ticks()` up to its counter read.
fn irq_latency() {
    let va = ioremap(BOARD.global_timer_base(), 0x100).expect("ioremap global timer");
    // SAFETY: va maps the A9 global timer. The kernel's own instance only
    // reads the counter after boot; this one alone uses the comparator, its
    // interrupt enable and its event flag (under GTIMER's lock or with IRQs
    // masked), so the two never write the same state concurrently.
    let t = unsafe { GlobalTimer::new(va) };
    t.disable_compare();
    t.clear_interrupt();
    t.set_auto_increment(0);
    t.enable_compare_irq();
    *GTIMER.lock() = Some(t);
    irq::register(GLOBAL_TIMER_IRQ, Trigger::Level, on_comparator).expect("global timer IRQ");
    for i in 0..SAMPLES as u64 {
        FIRED.store(false, Ordering::Relaxed);
        {
            let guard = GTIMER.lock();
            let due = time::ticks() + 2000 + (i * 37) % 100;
            DUE.store(due, Ordering::Relaxed);
            if let Some(t) = guard.as_ref() {
                t.set_compare(due);
            }
        }
        while !FIRED.load(Ordering::Acquire) {
            core::hint::spin_loop();
        }
    }
    irq::unregister(GLOBAL_TIMER_IRQ);
    if let Some(t) = GTIMER.lock().take() {
        t.disable_compare_irq();
    }
    iounmap(va, 0x100).expect("drop the second global-timer mapping");
    report("irq_latency", false);
}

// ---------------------------------------------------------------------------
// Memory-manager calls that run under the MM lock.

/// The uninterrupted cost of the memory-manager calls that were behind the
/// loaded wake-up tail while the MM lock masked IRQs: each runs whole under
/// the MM lock, now a sleeping lock (IRQs enabled), so a timer interrupt
/// that falls in one no longer waits for its end. `map_new_table` maps a page
/// into a MiB that has no L2 table yet, so the call takes one from the L2
/// pool (a slot a previous table left, as the memory load's `mmap`s do), and
/// `unmap_table` removes that MiB's only page, which gives the table back.
/// A page in another MiB stays mapped throughout, so the pool frame is not
/// returned in between. Medians of 100 rounds, printed as the `masked`
/// record.
fn masked() {
    const ROUNDS: usize = 100;
    let pa = alloc_frames(0).expect("a frame");
    map(MASKED_VA, pa, Size::Page, Attrs::KERNEL_DATA).expect("a page that keeps its table");
    let va = MASKED_VA + (1 << 20);
    let (mut maps, mut unmaps) = ([0u32; ROUNDS], [0u32; ROUNDS]);
    for (m, u) in maps.iter_mut().zip(unmaps.iter_mut()) {
        let (r, n) = measure(|| map(va, pa, Size::Page, Attrs::KERNEL_DATA));
        r.expect("map a page into an empty MiB");
        *m = n;
        let (r, n) = measure(|| unmap(va, Size::Page));
        assert_eq!(r, Ok(pa));
        *u = n;
    }
    unmap(MASKED_VA, Size::Page).expect("unmap the keeper");
    free_frames(pa, 0).expect("free the frame");
    maps.sort_unstable();
    unmaps.sort_unstable();
    println!(
        "BENCH masked map_new_table={} unmap_table={}",
        maps[(ROUNDS - 1) / 2],
        unmaps[(ROUNDS - 1) / 2]
    );
}

// ---------------------------------------------------------------------------
// User processes.

/// Words of a mailbox (see `user/src/bench.rs`): magic, number
/// of data words, the empty measurement (ticks), the period (ns).
const MAILBOX_MAGIC: u32 = u32::from_le_bytes(*b"BNCH");
/// First data word of a mailbox.
const MAILBOX_DATA: usize = 8;
/// Bytes of a mailbox.
const MAILBOX_LEN: u32 = 8192;
/// Time a benchmark program gets to set itself up (and the image to pin its
/// mailbox) before it measures: about twice what a hard task's admission
/// (zeroing five 1 MiB sections) takes; checked.
const SETTLE_NS: u64 = 100_000_000;
/// Priority of the measured hard tasks: above everything else here.
const HARD_PRIORITY: u8 = 2;
/// Priority of the measured soft tasks and of the other benchmark programs:
/// below the hard ones, above the main thread (16) and the load (20).
const SOFT_PRIORITY: u8 = 10;
/// The global timer, the one device every benchmark program is granted. A
/// hard task maps it as the whole 1 MiB section around it (the MPCore
/// private region: SCU, GIC, timers); the programs only read its counter.
static TIMER: [Device; 1] = [Device {
    phys: BOARD.global_timer_base(),
    len: 0x20,
}];

/// The embedded user program `name`.
fn elf(name: &str) -> &'static [u8] {
    process::program(name).unwrap_or_else(|| panic!("user program {name} is not embedded"))
}

/// The absolute time [`SETTLE_NS`] from now, in µs since boot (the argument
/// of the measuring programs), and the same in ns.
fn start_time() -> (u32, u64) {
    let us = (time::now() + SETTLE_NS).div_ceil(1000);
    (us as u32, us * 1000)
}

/// A benchmark program's mailbox, mapped a second time in the kernel's space
/// at `va`. That mapping keeps the frames allocated when the program exits
/// (the page allocator refuses to free a frame that is still mapped), so
/// they can be read after [`process::wait`]; [`Mailbox::release`] unmaps and
/// frees them.
struct Mailbox {
    va: u32,
    phys: [u32; (MAILBOX_LEN / 4096) as usize],
}

impl Mailbox {
    /// Maps the mailbox of process `pid` (its only `mmap` region, made
    /// before it first sleeps) at the `slot`-th 8 KiB of [`MAILBOX_VA`].
    fn pin(pid: u16, slot: u32) -> Self {
        let start = process::with_process(pid, |t| {
            t.space
                .regions()
                .iter()
                .find(|r| r.backing == Backing::Anon)
                .map(|r| r.start)
        })
        .flatten()
        .expect("the benchmark program mapped its mailbox");
        let va = MAILBOX_VA + slot * MAILBOX_LEN;
        let mut phys = [0; (MAILBOX_LEN / 4096) as usize];
        for (k, pa) in phys.iter_mut().enumerate() {
            let off = k as u32 * 4096;
            *pa = process::with_process(pid, |t| t.space.translate(start + off))
                .flatten()
                .expect("a mailbox page")
                .phys;
            map(va + off, *pa, Size::Page, Attrs::KERNEL_DATA).expect("map a mailbox page");
        }
        Mailbox { va, phys }
    }

    /// Word `i` of the mailbox.
    fn word(&self, i: usize) -> u32 {
        assert!(i < (MAILBOX_LEN / 4) as usize);
        // SAFETY: the mailbox is mapped RW at va (MAILBOX_LEN bytes) until
        // release(), and the program that wrote it has ended.
        unsafe { (self.va as *const u32).add(i).read_volatile() }
    }

    /// The data words and the empty measurement (ticks), after checking the
    /// magic word.
    fn data(&self) -> (impl Iterator<Item = u32> + '_, u32) {
        assert_eq!(self.word(0), MAILBOX_MAGIC, "a benchmark program's mailbox");
        let n = self.word(1) as usize;
        (
            (0..n).map(move |i| self.word(MAILBOX_DATA + i)),
            self.word(2),
        )
    }

    /// Unmaps the second mapping and frees the frames (a hard program's
    /// mailbox is one page of a 1 MiB block: that block is freed once).
    fn release(self) {
        for k in 0..self.phys.len() as u32 {
            unmap(self.va + k * 4096, Size::Page).expect("unmap a mailbox page");
        }
        for pa in self.phys {
            let block = kernel::mm::with(|mm| mm.frames.block_of(pa));
            if let Some((head, PageState::Allocated { order })) = block {
                free_frames(head, order).expect("free a mailbox block");
            }
        }
    }
}

/// Starts a benchmark program that measures, waits for it and returns its
/// mailbox. The program runs at once if `priority` is above the main
/// thread's; it maps its mailbox and sleeps until `start_us` before it
/// measures, and the mailbox is pinned meanwhile.
fn run_program(spec: &Spec, program: &str, start_ns: u64) -> Mailbox {
    let pid = process::spawn_process(spec, elf(program)).expect("start a benchmark program");
    let mailbox = Mailbox::pin(pid, 0);
    assert!(
        time::now() < start_ns,
        "{program} was not set up within its settling time"
    );
    assert_eq!(process::wait(pid), Ok(0), "{program} failed");
    mailbox
}

/// `GET_ID`, the cheapest system call, from a soft isolated process: one
/// sample runs from the program's counter read just before the inlined `svc`
/// sequence to its read just after it returns, minus what two back-to-back
/// reads differ by. That is the `svc` instruction, the kernel's entry, the
/// call's dispatch and the return to user mode.
fn null_syscall() {
    program_metric("null_syscall", "bench_syscall", Class::SoftIsolated, 0);
}

/// `MMAP` of one section by a hard isolated process, the whole call from
/// user mode: it takes a section from the task's reserve, which was zeroed
/// at admission and is zeroed again by each (untimed) `munmap`, so the call
/// writes one L1 entry and zeroes nothing. 1000 samples, minus what two
/// back-to-back counter reads differ by.
fn hard_mmap_section() {
    program_metric(
        "hard_mmap_section",
        "bench_hard_mmap",
        Class::HardIsolated,
        2 << 20,
    );
}

/// `mem_map` of a shared 1 MiB object by a hard isolated process, the
/// whole call from user mode (`bench_hard_mem`): the object was granted and
/// mapped at admission, charged to the process's reserved budget, and each
/// (untimed) `mem_unmap` takes the section out of the table and keeps its
/// range and record, so the call writes one L1 entry and allocates nothing.
/// 1000 samples, minus what two back-to-back counter reads differ by.
fn mem_map_section() {
    let object = kernel::mm::object::create_sections(1 << 20).expect("a 1 MiB object");
    let object = kernel::object::KRef::try_new(object).expect("heap room");
    let object = kernel::object::Object::Memory(object);
    let grants = [process::Grant {
        object: &object,
        rights: kernel::handle::Rights::MAP_READ | kernel::handle::Rights::MAP_WRITE,
    }];
    // Two sections: the mailbox's and the shared one's.
    program_metrics_granted(
        &["mem_map_section"],
        "bench_hard_mem",
        Class::HardIsolated,
        2 << 20,
        &grants,
    );
}

/// Runs the user program `program` (class `class`, budget `budget`, the
/// timer granted) until it has filled its mailbox with tick differences, and
/// reports them as `metric`, less what two back-to-back reads differ by.
fn program_metric(metric: &str, program: &'static str, class: Class, budget: u32) {
    program_metrics(&[metric], program, class, budget);
}

/// [`program_metric`] for a program that measures several things: its data
/// words are split into `metrics.len()` equal runs, reported in turn.
fn program_metrics(metrics: &[&str], program: &'static str, class: Class, budget: u32) {
    program_metrics_granted(metrics, program, class, budget, &[]);
}

/// [`program_metrics`] for a program that starts with the handles `grants`.
fn program_metrics_granted(
    metrics: &[&str],
    program: &'static str,
    class: Class,
    budget: u32,
    grants: &[process::Grant],
) {
    let (start_us, start_ns) = start_time();
    let spec = Spec {
        name: program,
        class,
        priority: if class.is_hard() {
            HARD_PRIORITY
        } else {
            SOFT_PRIORITY
        },
        budget,
        devices: &TIMER,
        handles: grants,
        arg: start_us,
        threads: 0,
    };
    let mailbox = run_program(&spec, program, start_ns);
    let (data, empty) = mailbox.data();
    let data: alloc::vec::Vec<u32> = data.collect();
    assert!(data.len().is_multiple_of(metrics.len()));
    for (metric, run) in metrics.iter().zip(data.chunks(data.len() / metrics.len())) {
        for &ticks in run {
            record(insns(u64::from(ticks.saturating_sub(empty))));
        }
        report(metric, false);
    }
    mailbox.release();
}

/// What a soft isolated task pays for its own memory calls, from user mode
/// (`bench_user_mm`): `user_mmap_touch_munmap_4k`, one sample from the
/// counter read before `mmap` of 4 KiB, through a store of one word into
/// the page, to the read after `munmap` returns; `user_mprotect`, one
/// `mprotect` of a mapped page, alternately read-only and read/write. 1000
/// samples each, minus what two back-to-back counter reads differ by.
fn user_mm() {
    program_metrics(
        &["user_mmap_touch_munmap_4k", "user_mprotect"],
        "bench_user_mm",
        Class::SoftIsolated,
        0,
    );
}

/// Two soft isolated processes (own TTBR0 and ASID each) of one priority
/// yield to each other, 1000 times each. A `process_switch` sample runs from
/// the counter read just before `YIELD` in one process to the read just
/// after `YIELD` returns in the other, minus what two back-to-back reads
/// differ by. The first switch (into a process coming back from its
/// start-up sleep) and the last (out of the process that exits) are not
/// yield-to-yield and are left out: 1999 samples. A
/// `yield_process_roundtrip` sample is one process's whole `YIELD`, from
/// its read before to its read after: two switches and the other process's
/// loop between its own reads (1998 samples).
fn process_switch() {
    let (start_us, start_ns) = start_time();
    let spec = |name| Spec {
        name,
        class: Class::SoftIsolated,
        priority: SOFT_PRIORITY,
        budget: 0,
        devices: &TIMER,
        handles: &[],
        arg: start_us,
        threads: 0,
    };
    let elf = elf("bench_switch");
    let a = process::spawn_process(&spec("bench-switch-a"), elf).expect("start switch a");
    let b = process::spawn_process(&spec("bench-switch-b"), elf).expect("start switch b");
    let (ma, mb) = (Mailbox::pin(a, 0), Mailbox::pin(b, 1));
    assert!(
        time::now() < start_ns,
        "bench_switch was not set up in time"
    );
    assert_eq!(process::wait(a), Ok(0), "bench_switch a failed");
    assert_eq!(process::wait(b), Ok(0), "bench_switch b failed");
    let (da, ea) = ma.data();
    let (db, eb) = mb.data();
    let (da, db): (alloc::vec::Vec<u32>, alloc::vec::Vec<u32>) = (da.collect(), db.collect());
    let empty = ea.min(eb);
    // (before, after) pairs; x is the one that yielded first.
    let pairs = |d: &[u32]| -> alloc::vec::Vec<(u32, u32)> {
        d.chunks_exact(2).map(|c| (c[0], c[1])).collect()
    };
    let (pa, pb) = (pairs(&da), pairs(&db));
    let (x, y) = if pb[0].0.wrapping_sub(pa[0].0) < 1 << 31 {
        (&pa, &pb)
    } else {
        (&pb, &pa)
    };
    assert_eq!(x.len(), y.len());
    // In time order: x.before[0], y.before[0], x.after[0], x.before[1],
    // y.after[0], y.before[1], x.after[1], ... Check that, and record each
    // yield-to-yield switch: y.before[i] -> x.after[i], x.before[i+1] ->
    // y.after[i].
    let mut order = alloc::vec![x[0].0, y[0].0];
    for i in 0..x.len() {
        order.push(x[i].1);
        if i + 1 < x.len() {
            order.push(x[i + 1].0);
            order.push(y[i].1);
            order.push(y[i + 1].0);
        }
    }
    assert!(
        order.windows(2).all(|w| w[1].wrapping_sub(w[0]) < 1 << 31),
        "the two processes did not alternate"
    );
    let switch = |from: u32, to: u32| {
        record(insns(u64::from(
            to.wrapping_sub(from).saturating_sub(empty),
        )))
    };
    for i in 0..x.len() {
        switch(y[i].0, x[i].1);
        if i + 1 < x.len() {
            switch(x[i + 1].0, y[i].1);
        }
    }
    report("process_switch", false);
    // A round trip: one process's own YIELD, from its read before to its
    // read after, while the other ran its loop once and yielded back. Left
    // out: x's first (y came back from its start-up sleep) and y's last (x
    // exited instead of yielding): 1998 samples.
    for (i, (before, after)) in x.iter().chain(y.iter()).enumerate() {
        if i == 0 || i == 2 * x.len() - 1 {
            continue;
        }
        switch(*before, *after);
    }
    ma.release();
    mb.release();
    report("yield_process_roundtrip", false);
}

/// Synchronous IPC between two soft isolated processes (own address space
/// each, same priority): `bench_ipc_client` calls, `bench_ipc_server`
/// answers with `reply_recv`, 1000 times. `ipc_call_reply`: from the
/// client's counter read just before its inlined `call` to the read just
/// after it returns (the call, the switch into the server, its
/// `reply_recv`, the switch back), minus what two back-to-back reads
/// differ by. `ipc_call_one_way`: from the same first read to the server's
/// read just after its receive returned. `ipc_call_reply_4k`: the round
/// trip of a call carrying 4 KiB (copied by the kernel from the client's
/// memory into the server's), answered with four words.
fn ipc_call_reply(long: bool) {
    let (start_us, start_ns) = start_time();
    let ep = kernel::object::Object::new_endpoint().expect("an endpoint");
    let spec = |name| Spec {
        name,
        class: Class::SoftIsolated,
        priority: SOFT_PRIORITY,
        budget: 0,
        devices: &TIMER,
        handles: &[],
        arg: start_us | u32::from(long) << 31,
        threads: 0,
    };
    let server_grant = [process::Grant {
        object: &ep,
        rights: kernel::handle::Rights::RECEIVE,
    }];
    let client_grant = [process::Grant {
        object: &ep,
        rights: kernel::handle::Rights::SEND,
    }];
    let server = Spec {
        handles: &server_grant,
        ..spec("bench-ipc-server")
    };
    let client = Spec {
        handles: &client_grant,
        ..spec("bench-ipc-client")
    };
    let s = process::spawn_process(&server, elf("bench_ipc_server")).expect("start the server");
    let c = process::spawn_process(&client, elf("bench_ipc_client")).expect("start the client");
    let (ms, mc) = (Mailbox::pin(s, 0), Mailbox::pin(c, 1));
    assert!(
        time::now() < start_ns,
        "the IPC benchmark was not set up in time"
    );
    assert_eq!(process::wait(c), Ok(0), "bench_ipc_client failed");
    assert_eq!(process::wait(s), Ok(0), "bench_ipc_server failed");
    let (dc, ec) = mc.data();
    let (ds, es) = ms.data();
    let (dc, ds): (alloc::vec::Vec<u32>, alloc::vec::Vec<u32>) = (dc.collect(), ds.collect());
    let empty = ec.min(es);
    assert_eq!(dc.len(), 2 * ds.len(), "one receive per call");
    let span = |from: u32, to: u32| insns(u64::from(to.wrapping_sub(from).saturating_sub(empty)));
    for c in dc.chunks_exact(2) {
        record(span(c[0], c[1]));
    }
    report(
        if long {
            "ipc_call_reply_4k"
        } else {
            "ipc_call_reply"
        },
        false,
    );
    if !long {
        for (c, &r) in dc.chunks_exact(2).zip(&ds) {
            assert!(r.wrapping_sub(c[0]) < 1 << 31, "a receive before its call");
            record(span(c[0], r));
        }
        report("ipc_call_one_way", false);
    }
    ms.release();
    mc.release();
}

/// Whether `b` comes after `a` on the wrapping counter.
fn after(a: u32, b: u32) -> bool {
    b.wrapping_sub(a) < 1 << 31
}

/// A signal to a waiter in another process: two soft isolated processes
/// share a notification (`bench_notify`); the waiter, one priority above
/// the signaller, blocks in `wait`; each `signal` switches to it at once.
/// A sample runs from the signaller's counter read just before its inlined
/// `signal` call to the waiter's read on its first instruction after `wait`
/// returns, minus what two back-to-back reads differ by: the kernel's
/// signal, the wake-up, the switch (TTBR0 and ASID) and the return from
/// `wait`. 1000 samples.
fn notify_wake() {
    let (start_us, start_ns) = start_time();
    let n = Object::new_notification().expect("a notification");
    let wait = [Grant {
        object: &n,
        rights: Rights::WAIT,
    }];
    let signal = [Grant {
        object: &n,
        rights: Rights::SIGNAL,
    }];
    let spec = |name, priority, handles| Spec {
        name,
        class: Class::SoftIsolated,
        priority,
        budget: 0,
        devices: &TIMER,
        handles,
        arg: start_us,
        threads: 0,
    };
    let elf = elf("bench_notify");
    let w = process::spawn_process(&spec("bench-notify-wait", SOFT_PRIORITY - 1, &wait), elf)
        .expect("start the waiter");
    let s = process::spawn_process(&spec("bench-notify-signal", SOFT_PRIORITY, &signal), elf)
        .expect("start the signaller");
    let (mw, ms) = (Mailbox::pin(w, 0), Mailbox::pin(s, 1));
    assert!(
        time::now() < start_ns,
        "bench_notify was not set up in time"
    );
    assert_eq!(process::wait(w), Ok(0), "bench_notify waiter failed");
    assert_eq!(process::wait(s), Ok(0), "bench_notify signaller failed");
    let (dw, ew) = mw.data();
    let (ds, es) = ms.data();
    let (woke, signalled): (alloc::vec::Vec<u32>, alloc::vec::Vec<u32>) =
        (dw.collect(), ds.collect());
    let empty = ew.min(es);
    assert_eq!(woke.len(), signalled.len());
    for k in 0..woke.len() {
        assert!(after(signalled[k], woke[k]), "a wake-up before its signal");
        if k + 1 < woke.len() {
            assert!(
                after(woke[k], signalled[k + 1]),
                "signals did not alternate"
            );
        }
        let ticks = woke[k].wrapping_sub(signalled[k]).saturating_sub(empty);
        record(insns(u64::from(ticks)));
    }
    mw.release();
    ms.release();
    report("notify_wake", false);
}

/// A device interrupt to the first instruction of its user-space driver:
/// `bench_irq` drives the SP804 through its IRQ line bound to a
/// notification, starting a one-shot and blocking in `wait` 1000 times. A
/// sample runs from the one-shot's expiry (the counter read just before the
/// write that starts it, plus its length) to the driver's read on its first
/// instruction after `wait` returns, minus what two back-to-back reads
/// differ by. Boards without an SP804 do not report it.
fn irq_to_user() {
    let Some(sp) = BOARD.sp804 else {
        println!("irq_to_user: {} has no SP804; not measured", BOARD.name);
        return;
    };
    let (start_us, start_ns) = start_time();
    let devices = [
        TIMER[0],
        Device {
            phys: sp.base,
            len: 0x20,
        },
    ];
    let mailbox = {
        let line = Object::new_irq(sp.irq).expect("the SP804's line");
        let grants = [Grant {
            object: &line,
            rights: Rights::ACK,
        }];
        let spec = Spec {
            name: "bench-irq",
            class: Class::SoftIsolated,
            priority: SOFT_PRIORITY,
            budget: 0,
            devices: &devices,
            handles: &grants,
            arg: start_us,
            threads: 0,
        };
        run_program(&spec, "bench_irq", start_ns)
    };
    let period_ns = u64::from(mailbox.word(3));
    let one_shot = ns_to_ticks(period_ns);
    let (data, empty) = mailbox.data();
    let data: alloc::vec::Vec<u32> = data.collect();
    for pair in data.chunks_exact(2) {
        let (before, woke) = (pair[0], pair[1]);
        assert!(after(before, woke), "woken before the timer started");
        let ticks = u64::from(woke.wrapping_sub(before));
        let late = ticks.checked_sub(one_shot + u64::from(empty));
        record(insns(late.expect("woken before the one-shot expired")));
    }
    mailbox.release();
    report("irq_to_user", false);
}

/// Creating a soft isolated process from an embedded ELF, running it to its
/// exit and reclaiming it, for `bench_exit` (`process_create_exit`: a few
/// pages) and `bench_exit_64k` (`process_create_exit_64k`: 64 KiB more of
/// read-only data). One sample spans `spawn_process` (ELF checks, L1
/// table, image loaded into fresh pages, stack, kernel stack and thread)
/// and `process::wait` (the process runs at once, above the main thread,
/// and exits; the reaper, at the process's priority, frees its memory and
/// kernel stack; `wait` frees its thread's control block).
fn process_create_exit() {
    create_exit("bench_exit", "process_create_exit");
    create_exit("bench_exit_64k", "process_create_exit_64k");
}

/// [`process_create_exit`] while another process of the same image lives
/// (it waits on a notification): the image's read-only segments are
/// shared, not copied, and its writable ones mapped copy-on-write, so a
/// sample loads nothing (goal: at most half of the first process's
/// figure).
fn process_create_exit_shared() {
    let go = kernel::object::Object::new_notification().expect("a notification");
    let grants = [process::Grant {
        object: &go,
        rights: kernel::handle::Rights::WAIT,
    }];
    for (prog, metric) in [
        ("bench_exit", "process_create_exit_shared"),
        ("bench_exit_64k", "process_create_exit_64k_shared"),
    ] {
        let holder = Spec {
            name: "bench-holder",
            class: Class::SoftIsolated,
            priority: SOFT_PRIORITY,
            budget: 0,
            devices: &[],
            handles: &grants,
            arg: 1,
            threads: 0,
        };
        let keeper = process::spawn_process(&holder, elf(prog)).expect("the holder");
        create_exit(prog, metric);
        go.notification().expect("a notification").signal(1);
        assert_eq!(process::wait(keeper), Ok(0));
    }
}

/// Times [`SAMPLES`] creations of a process of `prog` run to its exit and
/// reclaimed, as `metric`, after two untimed rounds, so that the kernel's heap and zones have
/// grown to what a process needs. Every page comes back.
fn create_exit(prog: &str, metric: &str) {
    let spec = Spec {
        name: "bench-exit",
        class: Class::SoftIsolated,
        priority: SOFT_PRIORITY,
        budget: 0,
        devices: &[],
        handles: &[],
        arg: 0,
        threads: 0,
    };
    let elf = elf(prog);
    let cycle = || {
        let pid = process::spawn_process(&spec, elf).expect("create a process");
        process::wait(pid)
    };
    for _ in 0..2 {
        assert_eq!(cycle(), Ok(0));
    }
    let free = kernel::mm::stats().free_pages;
    for _ in 0..SAMPLES {
        assert_eq!(timed(cycle), Ok(0));
    }
    assert_eq!(
        kernel::mm::stats().free_pages,
        free,
        "every process's pages came back"
    );
    report(metric, false);
}

/// Memory objects from user mode (`bench_mem`): `cow_fault`, the first
/// store to a copy-on-write page of `.bss` (fault, copy, resumed store);
/// `mem_map_4k`, `mem_map` of a 4 KiB shared object. 1000 samples each,
/// minus what two back-to-back counter reads differ by.
fn mem_objects() {
    program_metrics(
        &["cow_fault", "mem_map_4k"],
        "bench_mem",
        Class::SoftIsolated,
        0,
    );
}

// ---------------------------------------------------------------------------
// Boot.

/// Where `map_device` puts a small soft process's first device: the start
/// of its mmap area (`MMAP_BASE` in kernel/src/mm/mapper/mod.rs), plus the
/// device's offset in its page. Checked when the first task is set up.
const USER_MMAP_BASE: u32 = 0x1000_0000;

/// Starts the first task, `bench_boot`, and returns the global-timer count
/// (low word) its first instruction read. It runs below the main thread, so
/// it cannot run before the global timer is mapped into it (device 0, at the
/// address passed as its argument); the main thread then waits for it.
fn first_task() -> u32 {
    let va = USER_MMAP_BASE + (BOARD.global_timer_base() & 0xFFF);
    let spec = Spec {
        name: "bench-boot",
        class: Class::SoftIsolated,
        priority: MAIN_PRIORITY + 4,
        budget: 0,
        devices: &TIMER,
        handles: &[],
        arg: va,
        threads: 0,
    };
    let pid = process::spawn_process(&spec, elf("bench_boot")).expect("start the first task");
    let mapped = process::with_process(pid, |t| t.space.map_device(0)).expect("the first task");
    assert_eq!(
        mapped,
        Ok(va),
        "the timer is mapped where bench_boot reads it"
    );
    process::wait(pid).expect("the first task ends") as u32
}

/// A counter that runs from reset on this board, if it has one: the
/// Versatile/RealView system registers' SYS_24MHZ (physical address, Hz),
/// which QEMU derives from its virtual clock, 0 at reset.
fn reset_counter() -> Option<(u32, u64)> {
    match BOARD.name {
        "vexpress-a9" | "realview-pbx-a9" => Some((0x1000_005C, 24_000_000)),
        _ => None,
    }
}

/// Global-timer ticks from reset to the timer's start in `time::init`, read
/// off the board's reset counter between two global-timer reads (exact to
/// a few instructions), or `None` without such a counter.
fn reset_to_timer_start() -> Option<u64> {
    let (phys, hz) = reset_counter()?;
    let va = ioremap_quiet(phys, 4).expect("ioremap the system registers");
    let clock = BOARD.periph_clock_hz as u64;
    let before = time::ticks();
    // SAFETY: va maps the read-only SYS_24MHZ register (device memory).
    let count = unsafe { (va as *const u32).read_volatile() };
    let after = time::ticks();
    iounmap(va, 4).expect("iounmap the system registers");
    let at = (u128::from(count) * u128::from(clock) / u128::from(hz)) as u64;
    Some(at - before.midpoint(after))
}

/// Reports `boot_to_first_task_<RAM MiB>m` (one sample): from reset (or the timer's
/// start, see [`reset_to_timer_start`]) to the first instruction of the
/// first user task, which the image starts first thing in `main`. Also the
/// `boot` record, with the instructions from the same origin to `main`.
fn boot(main_ticks: u64, first_task_ticks: u32) {
    let (origin, offset) = match reset_to_timer_start() {
        Some(ticks) => ("reset", ticks),
        None => ("timer_enable", 0),
    };
    println!(
        "BENCH boot origin={origin} main={}",
        insns(offset + main_ticks)
    );
    record(insns(offset + u64::from(first_task_ticks)));
    let name = alloc::format!("boot_to_first_task_{}m", BOARD.ram_size >> 20);
    report(&name, false);
}

// ---------------------------------------------------------------------------
// Wake-up latency.

/// Short name of a class for metric names.
fn class_key(class: Class) -> &'static str {
    match class {
        Class::HardIsolated => "hard_isolated",
        Class::SoftIsolated => "soft_isolated",
        Class::HardKernel => "hard_kernel",
        Class::SoftKernel => "soft_kernel",
    }
}

/// Priority of both load tasks (they share the CPU in time slices).
const LOAD_PRIORITY: u8 = 20;

/// Iterations of the busy thread's loop between its yields (about 100 µs).
const BUSY_CHUNK: u32 = 2000;

/// CPU load: computes, and yields to its equal (the mapper) every
/// [`BUSY_CHUNK`] iterations. It has to: the scheduler gives a preempted
/// thread a fresh time slice whenever it resumes, so with a measured task
/// released every millisecond above them a thread that never yields keeps
/// the CPU from its equals for good.
fn busy() {
    let mut n = 0u32;
    loop {
        for _ in 0..BUSY_CHUNK {
            n = core::hint::black_box(n.wrapping_add(1));
        }
        thread::yield_now();
    }
}

/// Starts the load: the user program `mapper` with argument 0 (a soft
/// isolated process that maps 64 KiB, touches every page, unmaps it and
/// yields, forever) and a kernel thread that computes and yields (see
/// [`busy`]), both at [`LOAD_PRIORITY`]. Returns the mapper's pid and the
/// busy thread. They run until the end.
fn start_load() -> (u16, thread::ThreadId) {
    let spec = Spec {
        name: "load-mapper",
        class: Class::SoftIsolated,
        priority: LOAD_PRIORITY,
        budget: 0,
        devices: &[],
        handles: &[],
        arg: 0,
        threads: 0,
    };
    let mapper = process::spawn_process(&spec, elf("mapper")).expect("start the mapper");
    let busy = thread::spawn("load-busy", LOAD_PRIORITY, busy).expect("start the busy thread");
    (mapper, busy)
}

/// Checks that both load tasks took turns and the mapper is still running,
/// and prints the `load` record: how often each was switched in.
fn end_load(mapper: u16, busy: thread::ThreadId) {
    let (exit, thread) = process::with_process(mapper, |t| (t.exit, t.thread)).expect("the mapper");
    assert_eq!(exit, None, "the memory load ran to the end");
    let switches = |id| thread::info(id).map_or(0, |i| i.4.switches);
    let (m, b) = (switches(thread), switches(busy));
    assert!(m >= 1000 && b >= 1000, "both load tasks had the CPU");
    println!("BENCH load mapper_switches={m} busy_switches={b}");
}

/// When a kernel-bound periodic task starts its releases (ns since boot):
/// [`KERNEL_SETTLE_NS`] after it is created, once the main thread waits.
static KERNEL_START: AtomicU64 = AtomicU64::new(0);
/// Time a kernel-bound task leaves the main thread to reach its `wait`
/// (admitting a hard one zeroes a 1 MiB section, about 8 ms); checked.
const KERNEL_SETTLE_NS: u64 = 50_000_000;

/// The body of a kernel-bound periodic task: from [`KERNEL_START`], 1000
/// releases of [`PERIOD_NS`]; each sample runs from the absolute release to
/// the global-timer read in the first `ticks()` call after `Periodic::wait`
/// returns.
fn periodic(_memory: &'static mut [u8]) {
    thread::sleep_until(KERNEL_START.load(Ordering::Relaxed));
    let mut p = Periodic::new(PERIOD_NS);
    for _ in 0..SAMPLES {
        let release = ns_to_ticks(p.next_release());
        p.wait();
        let now = time::ticks();
        record(insns(now.saturating_sub(release)));
    }
}

/// A periodic task of `class` (period [`PERIOD_NS`], 1000 releases at
/// absolute times) and the lateness of each wake-up. Kernel-bound classes:
/// see [`periodic`]. Isolated classes run `bench_hard_wakeup` (one image for
/// both): a sample runs from the release to the program's counter read right
/// after its `SLEEP_UNTIL` call returns to user mode. Hard tasks run at
/// [`HARD_PRIORITY`], soft ones at [`SOFT_PRIORITY`]; the load, if any, runs
/// below both.
fn wakeup_latency(class: Class, loaded: bool) {
    let priority = if class.is_hard() {
        HARD_PRIORITY
    } else {
        SOFT_PRIORITY
    };
    if class.is_isolated() {
        let (start_us, start_ns) = start_time();
        let spec = Spec {
            name: "bench-wakeup",
            class,
            priority,
            // The mailbox: one section for the hard class.
            budget: if class.is_hard() { 1 << 20 } else { 0 },
            devices: &TIMER,
            handles: &[],
            arg: start_us,
            threads: 0,
        };
        let mailbox = run_program(&spec, "bench_hard_wakeup", start_ns);
        record_lateness(mailbox, start_ns);
    } else {
        let spec = Spec {
            name: "bench-wakeup",
            class,
            priority,
            budget: 0,
            devices: &[],
            handles: &[],
            arg: 0,
            threads: 0,
        };
        let start = time::now() + KERNEL_SETTLE_NS;
        KERNEL_START.store(start, Ordering::Relaxed);
        let pid = process::spawn_kernel_task(&spec, periodic).expect("start the periodic task");
        assert!(time::now() < start, "the main thread was too slow");
        assert_eq!(process::wait(pid), Ok(0));
    }
    report(
        &wakeup_name(class, if loaded { "loaded" } else { "idle" }),
        true,
    );
}

/// The metric name of a wake-up latency run: `wakeup_latency_<class>_<how>`.
fn wakeup_name(class: Class, how: &str) -> alloc::string::String {
    alloc::format!("wakeup_latency_{}_{how}", class_key(class))
}

/// Records the lateness of each wake-up `bench_hard_wakeup` wrote into
/// `mailbox` (release `k` is `start_ns + (k + 1) * period`), then frees it.
fn record_lateness(mailbox: Mailbox, start_ns: u64) {
    let period = u64::from(mailbox.word(3));
    let (data, _) = mailbox.data();
    for (k, woke) in data.enumerate() {
        let release = ns_to_ticks(start_ns + (k as u64 + 1) * period);
        let late = woke.wrapping_sub(release as u32);
        assert!(late < 1 << 31, "a wake-up before its release");
        record(insns(u64::from(late)));
    }
    mailbox.release();
}

/// What each crashing soft process maps before it faults (KiB).
const CRASH_KIB: u32 = 16 * 1024;
/// Priority of the crashing soft processes: below the hard task, above the
/// main thread, which starts a new one each time one dies.
const CRASH_PRIORITY: u8 = SOFT_PRIORITY;

/// Hard wake-up lateness while soft tasks crash: the hard isolated periodic
/// task of [`wakeup_latency`] (`bench_hard_wakeup`, 1000 releases 1 ms
/// apart) runs beside a soft isolated process, `bench_crash`, that maps
/// [`CRASH_KIB`] KiB, writes every page and reads NULL, so the kernel kills
/// it and takes its memory back. The main thread starts a new one each time
/// one dies, until the hard task has finished. Samples as in
/// [`wakeup_latency`]. Returns how many processes were killed.
fn wakeup_latency_crash() -> u32 {
    let (start_us, start_ns) = start_time();
    let spec = Spec {
        name: "bench-wakeup",
        class: Class::HardIsolated,
        priority: HARD_PRIORITY,
        budget: 1 << 20,
        devices: &TIMER,
        handles: &[],
        arg: start_us,
        threads: 0,
    };
    let free = kernel::mm::stats().free_pages;
    let hard =
        process::spawn_process(&spec, elf("bench_hard_wakeup")).expect("start the hard task");
    let mailbox = Mailbox::pin(hard, 0);
    assert!(
        time::now() < start_ns,
        "bench_hard_wakeup was not set up within its settling time"
    );
    let crasher = Spec {
        name: "bench-crash",
        class: Class::SoftIsolated,
        priority: CRASH_PRIORITY,
        budget: CRASH_KIB * 1024,
        devices: &[],
        handles: &[],
        arg: CRASH_KIB,
        threads: 0,
    };
    let mut kills = 0u32;
    while process::with_process(hard, |t| t.exit)
        .expect("the hard task")
        .is_none()
    {
        let pid = process::spawn_process(&crasher, elf("bench_crash")).expect("start bench_crash");
        assert_eq!(
            process::wait(pid),
            Ok(process::KILLED),
            "bench_crash was killed"
        );
        kills += 1;
    }
    assert_eq!(process::wait(hard), Ok(0), "bench_hard_wakeup failed");
    record_lateness(mailbox, start_ns);
    assert_eq!(
        kernel::mm::stats().free_pages,
        free,
        "every killed process's pages came back"
    );
    report("wakeup_latency_hard_isolated_crash", true);
    kills
}

/// Computes forever at the lowest priority but the idle thread's, so that
/// the CPU never executes WFI (see [`main`]).
fn background() {
    let mut n = 0u32;
    loop {
        n = core::hint::black_box(n.wrapping_add(1));
    }
}

/// Runs every benchmark. Right after the first task, a [`background`] thread
/// starts: with it the CPU never idles, so QEMU never has to skip idle time.
/// That skipping (`sleep=off`) is what made runs differ now and then: QEMU's
/// main loop may advance the virtual clock to the next timer deadline while
/// the vCPU has halted in WFI but not yet accounted its last instructions, so
/// the wake-up comes a few dozen instructions late, and the shift carries
/// into everything after it. Without idling, a run depends on nothing but
/// the guest's instructions.
fn main() {
    let main_ticks = time::ticks();
    let first_task_ticks = first_task();
    // The hard programs read the global timer, in the MPCore private MiB.
    process::trust_shared_device_sections();
    thread::spawn("background", thread::IDLE_PRIORITY - 1, background).expect("background thread");
    println!(
        "BENCH begin version=3 board={} clock_hz={} icount_shift={ICOUNT_SHIFT} irqsoff={} \
         ram_mib={} boot_only={}",
        BOARD.name,
        BOARD.periph_clock_hz,
        u8::from(irqsoff::ENABLED),
        BOARD.ram_size >> 20,
        u8::from(BOOT_ONLY)
    );
    BUF.store(frames_buffer(), Ordering::Relaxed);
    let scratch_ptr = frames_buffer();
    // SAFETY: a fresh 16 KiB buffer of CAP u32, used only through this slice.
    let scratch = unsafe { core::slice::from_raw_parts_mut(scratch_ptr, CAP) };
    calibrate();
    image();
    boot(main_ticks, first_task_ticks);
    if BOOT_ONLY {
        println!("BENCH end metrics={}", METRICS.load(Ordering::Relaxed));
        return;
    }
    workload("frames", || frames(scratch));
    workload("mappings", mappings);
    workload("mm_masked", masked);
    workload("ioremap", || ioremaps(scratch));
    workload("objects", || objects(scratch));
    workload("thread_switch", thread_switch);
    workload("irq_latency", irq_latency);
    workload("null_syscall", null_syscall);
    workload("process_switch", process_switch);
    workload("user_mm", user_mm);
    workload("ipc_call_reply", || ipc_call_reply(false));
    workload("ipc_call_reply_4k", || ipc_call_reply(true));
    workload("process_create_exit", process_create_exit);
    workload("process_create_exit_shared", process_create_exit_shared);
    workload("mem_objects", mem_objects);
    let classes = [
        Class::HardIsolated,
        Class::SoftIsolated,
        Class::HardKernel,
        Class::SoftKernel,
    ];
    for class in classes {
        workload(&wakeup_name(class, "idle"), || wakeup_latency(class, false));
    }
    workload("hard_mmap_section", hard_mmap_section);
    workload("mem_map_section", mem_map_section);
    let kills = workload("wakeup_latency_hard_isolated_crash", wakeup_latency_crash);
    println!("BENCH crash kills={kills} mapped_kib={CRASH_KIB}");
    if ONLY.is_none_or(|only| only.ends_with("_loaded")) {
        let (mapper, busy) = start_load();
        for class in classes {
            workload(&wakeup_name(class, "loaded"), || {
                wakeup_latency(class, true)
            });
        }
        end_load(mapper, busy);
    }
    workload("notify_wake", notify_wake);
    workload("irq_to_user", irq_to_user);
    println!("BENCH end metrics={}", METRICS.load(Ordering::Relaxed));
}
