//! The system-call fuzzer behind the `fuzz` (soft isolated) and `hard_fuzz`
//! (hard isolated) programs: random system calls with hostile arguments from
//! a seeded PRNG, each answer checked against an oracle that knows the exact
//! result where one can tell.
//!
//! **Argument** (`r0` at start, set by the test that spawns it): bits 0-23
//! the seed, bits 24-30 the number of calls in hundreds, bit 31 "end with a
//! fatal call" (the fuzzer then kills itself on purpose, see [`Fatal`], and
//! the test restarts it). **Exit code**: the number of calls made when every
//! answer was right, [`WRONG_BASE`] plus the number of wrong answers
//! otherwise, [`FATAL_SURVIVED`] if the fatal call did not kill it.
//!
//! **Calls**: every number 0..64 is issued. Each call the kernel implements
//! has an entry in [`CALLS`]: its generator picks the arguments (boundary
//! values, kernel addresses, wrapping ranges, misaligned pointers, every
//! rights pattern, the fuzzer's own stack and code, NULL) and its oracle
//! says what must come back. Every other number must answer `NoSys`. A new
//! system call joins by adding an entry (one function) to [`CALLS`]; until
//! it does, the fuzzer reports its number as answering something else than
//! `NoSys`.
//!
//! The oracle tracks the fuzzer's own address space (image, stack, its
//! mappings with their rights, its memory budget) so that it knows, for
//! example, that a `write` from a page it has mapped `PROT_NONE` is `Fault`
//! and that the next `mmap` lands at the lowest free address. Fresh memory
//! from `mmap` must read zero; the fuzzer then dirties it, so that a frame
//! the kernel hands out again unzeroed is caught.
//!
//! Handles, notifications, IRQs, threads, IPC, cache maintenance, the
//! watchdog and memory objects (calls 16-23, 32-40, 48-53, 56-59) are
//! modelled too: the fuzzer's handle table slot by slot (so it knows every
//! new handle's value and which old ones are stale), each notification's
//! pending bits, its threads and an echo server thread of its own (see
//! the `handles`, `ipc`, `cache`, `watchdog` and `memory` submodules).
//!
//! Not issued: `exit` and `thread_exit` from the first thread (they end a
//! run), `sleep_until` far in the future (it would stop the run; times up
//! to 20 us ahead and in the past are), waits that nothing would end (see
//! `ipc`).

mod cache;
mod handles;
mod ipc;
mod memory;
mod watchdog;

use crate::abi::{self, Errno, PROT_EXEC, PROT_READ, PROT_WRITE, WRITE_MAX};
use crate::{println, syscall};
use handles::Handles;
use ipc::{Server, THREADS, ThreadModel};

/// Exit code base for wrong answers (plus their number).
pub const WRONG_BASE: i32 = 1_000_000;
/// Exit code when the fatal call at the end did not kill the fuzzer.
pub const FATAL_SURVIVED: i32 = 77;
/// Bit of the argument that asks for a fatal end.
pub const FATAL: u32 = 1 << 31;

const USER_START: u32 = 0x0001_0000;
const USER_END: u32 = 0x4000_0000;
/// The largest length `mmap` accepts (the user space's size).
const MMAP_MAX: u32 = USER_END - USER_START;
/// Where anonymous mappings start (above the stack, see the kernel's
/// `process` module).
const MMAP_BASE: u32 = 0x1000_0000;
/// The soft isolated default budget of anonymous memory.
const SOFT_BUDGET: u32 = 4 << 20;
/// Mappings the fuzzer holds at most (the kernel allows 16 regions; the
/// image and stack take four).
const MAX_MAPS: usize = 6;
/// The kernel's `write` copies this much at a time.
const COPY_CHUNK: u32 = 64;

/// splitmix64: small, fast and good enough to pick arguments.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u32) -> Self {
        Rng(seed as u64 ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// The next 32 random bits.
    pub fn bits(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as u32
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u32) -> u32 {
        ((self.bits() as u64 * n as u64) >> 32) as u32
    }
    /// True one time in `n`.
    pub fn one_in(&mut self, n: u32) -> bool {
        self.below(n) == 0
    }
    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

/// What the oracle expects of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// Success with this `r0`.
    Value(u32),
    /// Success, any `r0` (checked by the call's own code).
    Success,
    /// This error code.
    Error(Errno),
    /// Success (any `r0`) or this error: the oracle cannot tell which.
    SuccessOr(Errno),
}

/// A mapping the fuzzer holds.
#[derive(Clone, Copy, Debug)]
struct Map {
    addr: u32,
    len: u32,
    prot: u32,
}

/// One system call the fuzzer knows: its number, its name and the function
/// that picks arguments, makes the call and checks the answer.
pub struct Call {
    /// The call number (`r7`).
    pub nr: u32,
    /// Its name, for reports.
    pub name: &'static str,
    /// Picks arguments, calls, checks (through [`Fuzzer::expect`]).
    pub run: fn(&mut Fuzzer),
}

/// Every call the kernel implements but `exit` and `thread_exit`, with its
/// generator and oracle. Add new system calls here.
pub const CALLS: &[Call] = &[
    Call {
        nr: abi::WRITE,
        name: "write",
        run: Fuzzer::write,
    },
    Call {
        nr: abi::YIELD,
        name: "yield",
        run: Fuzzer::yield_,
    },
    Call {
        nr: abi::SLEEP_UNTIL,
        name: "sleep_until",
        run: Fuzzer::sleep_until,
    },
    Call {
        nr: abi::TIME,
        name: "time",
        run: Fuzzer::time,
    },
    Call {
        nr: abi::GET_ID,
        name: "get_id",
        run: Fuzzer::get_id,
    },
    Call {
        nr: abi::MMAP,
        name: "mmap",
        run: Fuzzer::mmap,
    },
    Call {
        nr: abi::MUNMAP,
        name: "munmap",
        run: Fuzzer::munmap,
    },
    Call {
        nr: abi::MPROTECT,
        name: "mprotect",
        run: Fuzzer::mprotect,
    },
    Call {
        nr: abi::MAP_DEVICE,
        name: "map_device",
        run: Fuzzer::map_device,
    },
    Call {
        nr: abi::HANDLE_CLOSE,
        name: "handle_close",
        run: Fuzzer::handle_close,
    },
    Call {
        nr: abi::HANDLE_DUP,
        name: "handle_dup",
        run: Fuzzer::handle_dup,
    },
    Call {
        nr: abi::NOTIFY_CREATE,
        name: "notify_create",
        run: Fuzzer::notify_create,
    },
    Call {
        nr: abi::NOTIFY_SIGNAL,
        name: "notify_signal",
        run: Fuzzer::notify_signal,
    },
    Call {
        nr: abi::NOTIFY_WAIT,
        name: "notify_wait",
        run: Fuzzer::notify_wait,
    },
    Call {
        nr: abi::NOTIFY_POLL,
        name: "notify_poll",
        run: Fuzzer::notify_poll,
    },
    Call {
        nr: abi::IRQ_BIND,
        name: "irq_bind",
        run: Fuzzer::irq_bind,
    },
    Call {
        nr: abi::IRQ_ACK,
        name: "irq_ack",
        run: Fuzzer::irq_ack,
    },
    Call {
        nr: abi::THREAD_CREATE,
        name: "thread_create",
        run: Fuzzer::thread_create,
    },
    Call {
        nr: abi::THREAD_JOIN,
        name: "thread_join",
        run: Fuzzer::thread_join,
    },
    Call {
        nr: abi::SET_TLS,
        name: "set_tls",
        run: Fuzzer::set_tls,
    },
    Call {
        nr: abi::CALL,
        name: "call",
        run: Fuzzer::call,
    },
    Call {
        nr: abi::RECV,
        name: "recv",
        run: Fuzzer::recv,
    },
    Call {
        nr: abi::REPLY,
        name: "reply",
        run: Fuzzer::reply,
    },
    Call {
        nr: abi::REPLY_RECV,
        name: "reply_recv",
        run: Fuzzer::reply_recv,
    },
    Call {
        nr: abi::ENDPOINT_CREATE,
        name: "endpoint_create",
        run: Fuzzer::endpoint_create,
    },
    Call {
        nr: abi::CACHE_CLEAN,
        name: "cache_clean",
        run: Fuzzer::cache_clean,
    },
    Call {
        nr: abi::CACHE_INVALIDATE,
        name: "cache_invalidate",
        run: Fuzzer::cache_invalidate,
    },
    Call {
        nr: abi::WATCHDOG_START,
        name: "watchdog_start",
        run: Fuzzer::watchdog_start,
    },
    Call {
        nr: abi::WATCHDOG_KICK,
        name: "watchdog_kick",
        run: Fuzzer::watchdog_kick,
    },
    Call {
        nr: abi::WATCHDOG_STOP,
        name: "watchdog_stop",
        run: Fuzzer::watchdog_stop,
    },
    Call {
        nr: abi::WATCHDOG_REMAINING,
        name: "watchdog_remaining",
        run: Fuzzer::watchdog_remaining,
    },
    Call {
        nr: abi::MEM_CREATE,
        name: "mem_create",
        run: Fuzzer::mem_create,
    },
    Call {
        nr: abi::MEM_MAP,
        name: "mem_map",
        run: Fuzzer::mem_map,
    },
    Call {
        nr: abi::MEM_UNMAP,
        name: "mem_unmap",
        run: Fuzzer::mem_unmap,
    },
    Call {
        nr: abi::MEM_REVOKE,
        name: "mem_revoke",
        run: Fuzzer::mem_revoke,
    },
];

/// How a run that asked for a fatal end kills itself (picked at random).
#[derive(Clone, Copy, Debug)]
pub enum Fatal {
    /// `mprotect` of its own stack to read-only, then a push.
    StackReadOnly,
    /// `mprotect` of its own text to read-only (not executable).
    TextNotExecutable,
    /// A load from the kernel's half.
    ReadKernel,
    /// A jump to NULL.
    JumpNull,
}

unsafe extern "C" {
    static __text_end: u8;
    static __image_end: u8;
}

/// The fuzzer's state: the PRNG and what it knows of its own address space.
pub struct Fuzzer {
    rng: Rng,
    seed: u32,
    hard: bool,
    /// Mapping granule: 4 KiB (soft) or 1 MiB (hard).
    g: u32,
    image_start: u32,
    text_end: u32,
    image_end: u32,
    stack_start: u32,
    stack_end: u32,
    maps: [Option<Map>; MAX_MAPS],
    /// Soft: anonymous bytes held; the budget is [`SOFT_BUDGET`].
    anon: u32,
    /// Hard: 1 MiB blocks left in the reserve.
    reserve: u32,
    pid: Option<u32>,
    last_time: u64,
    /// Its handle table and the objects it names.
    handles: Handles,
    /// Threads it created and has not joined, by stack slot.
    threads: [Option<ThreadModel>; THREADS],
    /// The echo server thread while it serves.
    server: Option<Server>,
    /// The priority it runs at (found by `probe_priority`).
    own_priority: u32,
    calls: u32,
    wrong: u32,
}

impl Fuzzer {
    /// A fuzzer for a soft (4 KiB pages, [`SOFT_BUDGET`]) or hard (1 MiB
    /// sections, `hard_budget` sections reserved) isolated process.
    pub fn new(seed: u32, hard: bool, hard_budget: u32) -> Self {
        let g = if hard { 1 << 20 } else { 4096 };
        let stack_len = if hard { 1 << 20 } else { 16 * 1024 };
        // Linker-script symbols: only their addresses are used.
        let (text_end, image_end) = (&raw const __text_end as u32, &raw const __image_end as u32);
        // The loader puts the stack one unmapped granule above the image.
        let stack_start = image_end + g;
        Fuzzer {
            rng: Rng::new(seed),
            seed,
            hard,
            g,
            image_start: if hard { 0x0010_0000 } else { USER_START },
            text_end,
            image_end,
            stack_start,
            stack_end: stack_start + stack_len,
            maps: [None; MAX_MAPS],
            anon: 0,
            reserve: hard_budget,
            pid: None,
            last_time: 0,
            handles: Handles::new(),
            threads: [None; THREADS],
            server: None,
            own_priority: 0,
            calls: 0,
            wrong: 0,
        }
    }

    /// Makes `n` random calls, then ends as the argument asked: returns the
    /// exit code (or does not return, for a fatal end).
    pub fn run(&mut self, n: u32, fatal: bool) -> i32 {
        self.probe_priority();
        for _ in 0..n {
            self.step();
        }
        if self.wrong > 0 {
            println!(
                "fuzz: seed {:#08x}: {} wrong answers in {} calls",
                self.seed, self.wrong, self.calls
            );
            return WRONG_BASE + self.wrong as i32;
        }
        if fatal {
            self.die();
        }
        self.calls as i32
    }

    /// One random call: most often one the kernel implements, else any
    /// number below 64 or a random one.
    fn step(&mut self) {
        let nr = match self.rng.below(10) {
            0..=6 => CALLS[self.rng.below(CALLS.len() as u32) as usize].nr,
            7 | 8 => self.rng.below(64),
            _ => self.rng.bits(),
        };
        match CALLS.iter().find(|c| c.nr == nr) {
            Some(call) => (call.run)(self),
            None if nr == abi::EXIT || nr == abi::THREAD_EXIT => self.yield_(),
            None => self.unassigned(nr),
        }
    }

    /// Makes the call and compares its answer with `want`; returns `r0`.
    fn expect(&mut self, nr: u32, args: [u32; 4], want: Want) -> (u32, u32) {
        let (r0, r1) = syscall(nr, args);
        self.calls += 1;
        if !Self::answers(r0, want) {
            self.wrong("answer", nr, args, r0, want);
        }
        (r0, r1)
    }

    /// Whether `r0` is the answer `want` asks for.
    fn answers(r0: u32, want: Want) -> bool {
        let got = Errno::check(r0);
        match want {
            Want::Value(v) => got == Ok(v),
            Want::Success => got.is_ok(),
            Want::Error(e) => got == Err(e),
            Want::SuccessOr(e) => got.is_ok() || got == Err(e),
        }
    }

    fn wrong(&mut self, what: &str, nr: u32, args: [u32; 4], r0: u32, want: Want) {
        self.wrong += 1;
        let name = CALLS.iter().find(|c| c.nr == nr).map_or("?", |c| c.name);
        println!(
            "fuzz: seed {:#08x} call {}: {what}: {name} ({nr}) {:x?} returned {:#x} ({:?}), want {want:?}",
            self.seed,
            self.calls,
            args,
            r0,
            Errno::check(r0)
        );
    }

    /// A hostile address: NULL and low memory, the kernel, the wrapping top,
    /// the fuzzer's own code and stack (aligned or not), its mappings and the
    /// bytes just past them, unmapped space, or random bits.
    fn hostile_addr(&mut self) -> u32 {
        let r = self.rng.bits();
        match self.rng.below(16) {
            0 => 0,
            1 => r & 0xFFFF,
            2 => 0xC000_0000 + (r & 0x00FF_FFFF),
            3 => 0xFFFF_F000 | (r & 0xFFF),
            4 => u32::MAX - (r & 7),
            5 => USER_END - (r & 0xFF),
            6 => self.image_start + (r % (self.image_end - self.image_start)),
            7 => self.stack_start + (r % (self.stack_end - self.stack_start)),
            8 => self.stack_end - (r & 0x3F),
            9 => self.image_end + (r % self.g), // the stack's guard
            10 | 11 => match self.random_map() {
                Some(m) => m.addr + (r % (m.len + 64)),
                None => MMAP_BASE + (r & 0xF_FFFF),
            },
            12 => 0x2000_0000 + (r & 0xFFF_FFFF),
            13 => self.text_end - 1 - (r & 0x3F),
            _ => r,
        }
    }

    /// A hostile length: 0, 1, around the granule, the write limit, the
    /// budget, up to the wrapping top, random.
    fn hostile_len(&mut self) -> u32 {
        let r = self.rng.bits();
        let g = self.g;
        match self.rng.below(12) {
            0 => 0,
            1 => 1 + (r & 0x3F),
            2 => g - 1 + (r & 2),
            3 => g * (1 + (r & 3)),
            4 => WRITE_MAX + (r & 1),
            5 => 0xFFFF_F000 | (r & 0xFFF),
            6 => u32::MAX - (r & 3),
            7 => MMAP_MAX + (r & 1),
            8 => SOFT_BUDGET + g * (r & 1),
            9 => 0x8000_0000,
            10 => r & 0xFFFF,
            _ => r,
        }
    }

    /// Rights: each of the eight patterns, or with unknown bits set.
    fn hostile_prot(&mut self) -> u32 {
        if self.rng.one_in(6) {
            self.rng.bits() | 8 << self.rng.below(28)
        } else {
            self.rng.below(8)
        }
    }

    fn random_map(&mut self) -> Option<Map> {
        let n = self.maps.iter().flatten().count() as u32;
        if n == 0 {
            return None;
        }
        self.maps
            .iter()
            .flatten()
            .nth(self.rng.below(n) as usize)
            .copied()
    }

    /// Whether every byte of `[addr, addr + len)` is user-readable memory
    /// of the fuzzer (`len > 0`).
    fn readable(&self, addr: u32, len: u32) -> bool {
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        if addr < USER_START || end > USER_END {
            return false;
        }
        let mut page = addr & !0xFFF;
        while page < end {
            let ok = (self.image_start..self.image_end).contains(&page)
                || (self.stack_start..self.stack_end).contains(&page)
                || self
                    .maps
                    .iter()
                    .flatten()
                    .any(|m| m.prot != 0 && (m.addr..m.addr + m.len).contains(&page));
            if !ok {
                return false;
            }
            page += 4096;
        }
        true
    }

    /// `write(buf, len)`: `Inval` past [`WRITE_MAX`], `Ok(0)` for nothing,
    /// `Fault` unless every byte is readable, else `Ok(len)`. Readable
    /// buffers are kept to 1 byte (or 0) so the console stays quiet.
    fn write(&mut self) {
        let addr = self.hostile_addr();
        let mut len = if self.rng.one_in(2) {
            self.hostile_len()
        } else {
            1 + self.rng.below(2 * COPY_CHUNK)
        };
        // The kernel prints each 64-byte chunk before it checks the next:
        // a long write from readable memory would fill the console.
        if len > 0 && len <= WRITE_MAX && self.readable(addr, len.min(COPY_CHUNK)) {
            len = (self.rng.one_in(4)) as u32;
        }
        let want = if len > WRITE_MAX {
            Want::Error(Errno::Inval)
        } else if len == 0 {
            Want::Value(0)
        } else if self.readable(addr, len) {
            Want::Value(len)
        } else {
            Want::Error(Errno::Fault)
        };
        let junk = self.rng.bits();
        self.expect(abi::WRITE, [addr, len, junk, 0], want);
    }

    fn yield_(&mut self) {
        let args = [self.rng.bits(), self.rng.bits(), 0, 0];
        self.expect(abi::YIELD, args, Want::Value(0));
    }

    /// `sleep_until` in the past (0, long ago, just now) or up to 20 us
    /// ahead: returns 0.
    fn sleep_until(&mut self) {
        let now = self.last_time.max(crate::now());
        let at = match self.rng.below(4) {
            0 => 0,
            1 => now.saturating_sub(self.rng.bits() as u64),
            2 => now,
            _ => now + self.rng.below(20_000) as u64,
        };
        let args = [at as u32, (at >> 32) as u32, self.rng.bits(), 0];
        self.expect(abi::SLEEP_UNTIL, args, Want::Value(0));
    }

    /// `time`: never goes back.
    fn time(&mut self) {
        let args = [self.hostile_addr(), 0, 0, 0];
        let (lo, hi) = self.expect(abi::TIME, args, Want::Success);
        let t = (hi as u64) << 32 | lo as u64;
        if t < self.last_time {
            self.wrong("clock went back", abi::TIME, args, lo, Want::Success);
        }
        self.last_time = t;
    }

    /// `get_id`: the same answer every time.
    fn get_id(&mut self) {
        let args = [self.hostile_addr(), 0, 0, 0];
        let want = self.pid.map_or(Want::Success, Want::Value);
        let (id, _) = self.expect(abi::GET_ID, args, want);
        self.pid.get_or_insert(id);
    }

    /// Where the kernel's first-fit search puts `len` bytes: the lowest
    /// granule-aligned gap above the stack between the fuzzer's mappings.
    fn gap(&self, len: u32) -> Option<u32> {
        let mut maps: [Option<Map>; MAX_MAPS] = self.maps;
        maps.sort_unstable_by_key(|m| m.map_or(u32::MAX, |m| m.addr));
        let mut at = MMAP_BASE.max(self.stack_end.next_multiple_of(self.g));
        for m in maps.iter().flatten() {
            if at.saturating_add(len) <= m.addr {
                break;
            }
            at = at.max(m.addr + m.len);
        }
        at.checked_add(len).filter(|&e| e <= USER_END).map(|_| at)
    }

    fn prot_ok(prot: u32) -> bool {
        prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) == 0
            && prot & (PROT_WRITE | PROT_EXEC) != PROT_WRITE | PROT_EXEC
    }

    /// `mmap(len, prot)`, with the kernel's order of checks: the length,
    /// the budget (soft), the gap, the rights, the reserve (hard). A new
    /// mapping must lie where first fit puts it and read zero.
    fn mmap(&mut self) {
        if self.maps.iter().all(Option::is_some) {
            return self.munmap_one();
        }
        let g = self.g;
        let len = match self.rng.below(3) {
            0 => self.hostile_len(),
            _ => 1 + self.rng.below(3 * g),
        };
        let prot = self.hostile_prot();
        let rounded = len
            .checked_next_multiple_of(g)
            .filter(|&l| l > 0 && l <= MMAP_MAX);
        let want = match rounded {
            None => Want::Error(Errno::Inval),
            Some(l) if !self.hard && self.anon.saturating_add(l) > SOFT_BUDGET => {
                Want::Error(Errno::NoMem)
            }
            Some(l) => match self.gap(l) {
                None => Want::Error(Errno::NoMem),
                Some(_) if !Self::prot_ok(prot) => Want::Error(Errno::Inval),
                Some(_) if self.hard && l / g > self.reserve => Want::Error(Errno::NoMem),
                Some(at) => Want::Value(at),
            },
        };
        let args = [len, prot, self.rng.bits(), 0];
        let (r0, _) = self.expect(abi::MMAP, args, want);
        let (Some(l), Ok(addr)) = (rounded, Errno::check(r0)) else {
            return;
        };
        if let Some(slot) = self.maps.iter_mut().find(|m| m.is_none()) {
            *slot = Some(Map { addr, len: l, prot });
        }
        if self.hard {
            self.reserve -= l / g;
        } else {
            self.anon += l;
        }
        if prot != 0 && !self.fresh_is_zero(addr, l, prot & PROT_WRITE != 0) {
            self.wrong("fresh memory not zero", abi::MMAP, args, r0, want);
        }
    }

    /// Reads a new mapping (soft: every word of up to 32 KiB at each end;
    /// hard: every 256th byte of each section) and, if `dirty`, writes over
    /// what it read.
    fn fresh_is_zero(&mut self, addr: u32, len: u32, dirty: bool) -> bool {
        let step = if self.hard { 256 } else { 4 };
        let ends = 32 * 1024;
        let mut zero = true;
        let mut off = 0;
        while off < len {
            let p = (addr + off) as *mut u32;
            // SAFETY: [addr, addr + len) was just mapped readable for us
            // (writable when `dirty`), and nothing else uses it.
            unsafe {
                zero &= p.read_volatile() == 0;
                if dirty {
                    p.write_volatile(0xF022_0000 | off);
                }
            }
            off += step;
            if !self.hard && off == ends && len > 2 * ends {
                off = len - ends;
            }
        }
        zero
    }

    /// `munmap` of a whole mapping (rounded lengths included) is `Ok`;
    /// anything else (part of one, its stack or code, the kernel, NULL,
    /// wrapping lengths) is `Inval`.
    fn munmap(&mut self) {
        let (addr, len) = self.region_target();
        let rounded = len.checked_next_multiple_of(self.g);
        let hit = rounded.and_then(|l| {
            self.maps
                .iter()
                .position(|m| m.is_some_and(|m| m.addr == addr && m.len == l))
        });
        let want = if hit.is_some() {
            Want::Value(0)
        } else {
            Want::Error(Errno::Inval)
        };
        let junk = self.rng.bits();
        let (r0, _) = self.expect(abi::MUNMAP, [addr, len, junk, 0], want);
        if let (Some(i), Ok(_)) = (hit, Errno::check(r0)) {
            self.forget(i);
        }
    }

    /// A correct `munmap` of one mapping (when all slots are full).
    fn munmap_one(&mut self) {
        let i = self.rng.below(MAX_MAPS as u32) as usize;
        let Some(m) = self.maps[i] else { return };
        self.expect(abi::MUNMAP, [m.addr, m.len, 0, 0], Want::Value(0));
        self.forget(i);
    }

    fn forget(&mut self, i: usize) {
        if let Some(m) = self.maps[i].take() {
            if self.hard {
                self.reserve += m.len / self.g;
            } else {
                self.anon -= m.len;
            }
        }
    }

    /// An (address, length) pair aimed at a region: one of the fuzzer's
    /// mappings (exact, rounded, misaligned, part of it), its text or stack,
    /// or hostile values.
    fn region_target(&mut self) -> (u32, u32) {
        let g = self.g;
        match (self.rng.below(8), self.random_map()) {
            (0..=2, Some(m)) => (m.addr, m.len),
            (3, Some(m)) => (m.addr, m.len - 1 - self.rng.below(g - 1)),
            (4, Some(m)) => match self.rng.below(3) {
                0 => (m.addr + 1 + self.rng.below(g - 1), m.len),
                1 => (m.addr, m.len + g),
                _ => (m.addr + g, m.len.saturating_sub(g)),
            },
            (5, _) => (self.image_start, self.text_end - self.image_start),
            (6, _) => (self.stack_start, self.stack_end - self.stack_start),
            _ => (self.hostile_addr(), self.hostile_len()),
        }
    }

    /// `mprotect` of a whole region (a mapping, or the text and stack with
    /// rights that keep the fuzzer running) is `Ok`; bad rights are `Inval`
    /// first, anything else `Inval`.
    fn mprotect(&mut self) {
        let (addr, len) = self.region_target();
        let mut prot = self.hostile_prot();
        let rounded = len.checked_next_multiple_of(self.g);
        let text = (self.image_start, self.text_end - self.image_start);
        let stack = (self.stack_start, self.stack_end - self.stack_start);
        let whole = rounded.map(|l| (addr, l));
        // Rights the fuzzer survives on its own text and stack (a fatal
        // end uses the others on purpose).
        if whole == Some(text) && Self::prot_ok(prot) {
            prot = self.rng.pick(&[PROT_EXEC, PROT_READ | PROT_EXEC]);
        }
        if whole == Some(stack) && Self::prot_ok(prot) {
            prot = self.rng.pick(&[PROT_WRITE, PROT_READ | PROT_WRITE]);
        }
        let hit = whole.and_then(|(a, l)| {
            self.maps
                .iter()
                .position(|m| m.is_some_and(|m| m.addr == a && m.len == l))
        });
        let want = if rounded.is_none() || !Self::prot_ok(prot) {
            Want::Error(Errno::Inval)
        } else if hit.is_some() || whole == Some(text) || whole == Some(stack) {
            Want::Value(0)
        } else {
            Want::Error(Errno::Inval)
        };
        let (r0, _) = self.expect(abi::MPROTECT, [addr, len, prot, 0], want);
        if let (Some(i), Ok(_)) = (hit, Errno::check(r0))
            && let Some(m) = self.maps[i].as_mut()
        {
            m.prot = prot;
        }
    }

    /// `map_device`: no device is granted, so every index is `Perm`.
    fn map_device(&mut self) {
        let index = match self.rng.below(3) {
            0 => self.rng.below(4),
            1 => u32::MAX,
            _ => self.rng.bits(),
        };
        let args = [index, self.hostile_addr(), 0, 0];
        self.expect(abi::MAP_DEVICE, args, Want::Error(Errno::Perm));
    }

    /// A number with no entry in [`CALLS`]: `NoSys`, whatever the arguments.
    fn unassigned(&mut self, nr: u32) {
        let args = [
            self.hostile_addr(),
            self.hostile_len(),
            self.hostile_prot(),
            self.rng.bits(),
        ];
        self.expect(nr, args, Want::Error(Errno::NoSys));
    }

    /// Kills the fuzzer in one of the [`Fatal`] ways; returns only if that
    /// failed.
    fn die(&mut self) -> ! {
        let how = self.rng.pick(&[
            Fatal::StackReadOnly,
            Fatal::TextNotExecutable,
            Fatal::ReadKernel,
            Fatal::JumpNull,
        ]);
        println!("fuzz: seed {:#08x}: fatal end, {how:?}", self.seed);
        match how {
            Fatal::StackReadOnly => {
                let len = self.stack_end - self.stack_start;
                syscall(abi::MPROTECT, [self.stack_start, len, PROT_READ, 0]);
                let mut x = 0u32;
                // SAFETY: deliberately faulting: the stack is read-only now.
                unsafe { (&raw mut x).write_volatile(1) };
                core::hint::black_box(x);
            }
            Fatal::TextNotExecutable => {
                let len = self.text_end - self.image_start;
                syscall(abi::MPROTECT, [self.image_start, len, PROT_READ, 0]);
            }
            Fatal::ReadKernel => {
                // SAFETY: deliberately faulting: the kernel's half.
                unsafe { core::hint::black_box(0xC000_0000 as *const u32).read_volatile() };
            }
            Fatal::JumpNull => {
                #[cfg(target_arch = "arm")]
                // SAFETY: deliberately faulting: NULL is never mapped.
                unsafe {
                    core::arch::asm!("blx {0}", in(reg) core::hint::black_box(0u32))
                };
            }
        }
        crate::exit(FATAL_SURVIVED)
    }
}

/// The whole program: decodes the argument (see the module docs), runs.
pub fn main(arg: u32, hard: bool, hard_budget: u32) -> i32 {
    let seed = arg & 0x00FF_FFFF;
    let calls = (arg >> 24 & 0x7F) * 100;
    let mut f = Fuzzer::new(seed, hard, hard_budget);
    f.run(calls, arg & FATAL != 0)
}
