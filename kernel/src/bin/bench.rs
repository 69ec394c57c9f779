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
//! One sample is one operation. An operation sample is the global-timer
//! difference between a [`time::ticks`] call just before the operation and
//! one just after it, minus the difference two back-to-back calls give (the
//! measurement's own cost), converted to instructions. Latency samples have no
//! start reading: they run from a known timer expiry to the global-timer read
//! in the first `ticks()` call on the measured path (see each function).
//!
//! # Line protocol
//!
//! The image reports to the xtask through the console, one line per record;
//! every other console line is ignored by the xtask. Fields are `key=value`
//! separated by single spaces, values are decimal, names are `[a-z0-9_]`:
//!
//! ```text
//! BENCH begin version=1 board=vexpress-a9 clock_hz=100000000 icount_shift=4
//! BENCH calib insns=20001 ticks=32002 empty_ticks=116
//! BENCH image text=.. rodata=.. data=.. bss=..
//! BENCH metric name=frame_alloc min=.. median=.. max=.. samples=1000
//! BENCH hist name=wakeup_latency_hard_kernel_idle lo=.. width=.. counts=3,0,997
//! BENCH load rounds=.. alloc_frames=.. map=.. unmap=.. free_frames=..
//! BENCH end metrics=16
//! ```
//!
//! `metric` figures are instructions; the median of an even count is the
//! lower middle sample. A `hist` line follows the `metric` line of each
//! latency metric: bucket `k` counts the samples in
//! `[lo + k * width, lo + (k + 1) * width)` instructions. The `load` record
//! gives the uninterrupted cost of each kernel call of the memory-load thread
//! (see [`mapper`]) and how many rounds it ran. The run then ends through
//! semihosting with status 0.

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
use kernel::boot::{phys_to_virt, sym, virt_to_phys};
use kernel::mm::zones::{PageSource, Zone};
use kernel::mm::{alloc_frames, free_frames, ioremap, ioremap_quiet, iounmap, map, unmap};
use kernel::sync::IrqLock;
use kernel::task::{self, Periodic};
use kernel::{BOARD, irq, print, println, time};

kernel::entry!(main);

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
/// The page the memory-load thread maps, alone in its MiB.
const LOAD_VA: u32 = 0x4800_0000;
/// Physical MiBs given to `ioremap` (never accessed): unused on vexpress-a9.
const IOREMAP_PHYS: u32 = 0x4000_0000;
/// ioremaps held at once before they are undone (the kernel tracks at most
/// 64 live ones, some of them the boot's).
const IOREMAP_BATCH: usize = 40;
/// Period of the wake-up latency threads.
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
            task::yield_now();
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
    let a = task::spawn("switch-a", 10, ping_pong).expect("spawn");
    let b = task::spawn("switch-b", 10, ping_pong).expect("spawn");
    task::join(a).expect("join");
    task::join(b).expect("join");
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

/// The real-time class of a measured thread. Kernel-bound hard and soft tasks
/// are not implemented yet: for now a class is a kernel-thread priority.
#[derive(Clone, Copy)]
enum Class {
    Hard,
    Soft,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Hard => "hard",
            Class::Soft => "soft",
        }
    }
    /// Above the main thread (16) and the load (20); hard above soft.
    fn priority(self) -> u8 {
        match self {
            Class::Hard => 2,
            Class::Soft => 10,
        }
    }
}

/// Priority of both load threads (they share the CPU in time slices).
const LOAD_PRIORITY: u8 = 20;
static STOP: AtomicBool = AtomicBool::new(false);
static LOAD_ROUNDS: AtomicU32 = AtomicU32::new(0);

/// The load thread's kernel calls, in the order of [`LOAD_CALLS`].
const LOAD_CALL_NAMES: [&str; 4] = ["alloc_frames", "map", "unmap", "free_frames"];
/// The shortest (uninterrupted) time of each of the load thread's kernel
/// calls, in instructions. Each runs whole under the MM lock, IRQs masked, so
/// a wake-up that falls in one waits for its end: the `load` record explains
/// the loaded latencies' tail.
static LOAD_CALLS: [AtomicU32; 4] = [const { AtomicU32::new(u32::MAX) }; 4];

/// Runs a load call, keeping its shortest time in `LOAD_CALLS[k]`.
#[inline(always)]
fn load_call<R>(k: usize, op: impl FnOnce() -> R) -> R {
    let (r, n) = measure(op);
    LOAD_CALLS[k].fetch_min(n, Ordering::Relaxed);
    r
}

/// Soft load: maps a fresh frame at [`LOAD_VA`] (alone in its MiB, so the L2
/// table comes and goes too), writes all of it, unmaps it, frees the frame.
fn mapper() {
    while !STOP.load(Ordering::Relaxed) {
        let pa = load_call(0, || alloc_frames(0)).expect("a frame");
        load_call(1, || map(LOAD_VA, pa, Size::Page, Attrs::KERNEL_DATA))
            .expect("map the load page");
        for k in 0..1024 {
            // SAFETY: LOAD_VA maps the frame just allocated, RW, 4 KiB.
            unsafe { (LOAD_VA as *mut u32).add(k).write_volatile(k as u32) };
        }
        assert_eq!(load_call(2, || unmap(LOAD_VA, Size::Page)), Ok(pa));
        load_call(3, || free_frames(pa, 0)).expect("free the load frame");
        LOAD_ROUNDS.fetch_add(1, Ordering::Relaxed);
    }
}

/// CPU load that never enters the kernel.
fn busy() {
    let mut n = 0u32;
    while !STOP.load(Ordering::Relaxed) {
        n = core::hint::black_box(n.wrapping_add(1));
    }
}

/// A periodic thread of `class` (period [`PERIOD_NS`]) records, for each
/// release, the time from the release to the global-timer read in its first
/// `ticks()` call after `Periodic::wait` returns. With `loaded`, a memory
/// mapper and a busy thread run below it the whole time.
fn wakeup_latency(class: Class, loaded: bool) {
    STOP.store(false, Ordering::Relaxed);
    let load = loaded.then(|| {
        (
            task::spawn("load-mapper", LOAD_PRIORITY, mapper).expect("spawn"),
            task::spawn("load-busy", LOAD_PRIORITY, busy).expect("spawn"),
        )
    });
    let measured = task::spawn("measured", class.priority(), || {
        let mut p = Periodic::new(PERIOD_NS);
        for _ in 0..SAMPLES {
            let release = ns_to_ticks(p.next_release());
            p.wait();
            let now = time::ticks();
            record(insns(now.saturating_sub(release)));
        }
    })
    .expect("spawn");
    task::join(measured).expect("join");
    STOP.store(true, Ordering::Relaxed);
    if let Some((m, b)) = load {
        task::join(m).expect("join");
        task::join(b).expect("join");
    }
    let name = alloc::format!(
        "wakeup_latency_{}_kernel_{}",
        class.name(),
        if loaded { "loaded" } else { "idle" }
    );
    report(&name, true);
}

fn main() {
    println!(
        "BENCH begin version=1 board={} clock_hz={} icount_shift={ICOUNT_SHIFT}",
        BOARD.name, BOARD.periph_clock_hz
    );
    BUF.store(frames_buffer(), Ordering::Relaxed);
    let scratch_ptr = frames_buffer();
    // SAFETY: a fresh 16 KiB buffer of CAP u32, used only through this slice.
    let scratch = unsafe { core::slice::from_raw_parts_mut(scratch_ptr, CAP) };
    calibrate();
    image();
    frames(scratch);
    mappings();
    ioremaps(scratch);
    objects(scratch);
    thread_switch();
    irq_latency();
    for loaded in [false, true] {
        for class in [Class::Hard, Class::Soft] {
            wakeup_latency(class, loaded);
        }
    }
    print!("BENCH load rounds={}", LOAD_ROUNDS.load(Ordering::Relaxed));
    for (name, min) in LOAD_CALL_NAMES.iter().zip(&LOAD_CALLS) {
        print!(" {name}={}", min.load(Ordering::Relaxed));
    }
    println!();
    println!("BENCH end metrics={}", METRICS.load(Ordering::Relaxed));
}
