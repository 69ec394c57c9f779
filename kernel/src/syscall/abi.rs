//! The system-call ABI, in one place: numbers, registers, error codes.
//!
//! This file is pure `core` data, compiled into the kernel and, through a
//! `#[path]` include, into the user library (`user/src/lib.rs`), so both
//! sides read the same numbers.
//!
//! **Calling convention** (user mode, ARM state): `svc #0` with the call
//! number in `r7` and up to four arguments in `r0`-`r3`. The result comes back
//! in `r0` (and `r1` for 64-bit values); every other register is preserved. A
//! result in `-64..=-1` (as `i32`) is an error code, [`Errno`].
//!
//! | nr | name | arguments | result |
//! |---|---|---|---|
//! | 0 | `WRITE` | r0 = buffer, r1 = length (≤ 4096) | bytes written |
//! | 1 | `YIELD` | | 0 |
//! | 2 | `SLEEP_UNTIL` | r0:r1 = absolute time in ns (low, high) | 0 |
//! | 3 | `EXIT` | r0 = exit code | does not return |
//! | 4 | `TIME` | | r0:r1 = ns since boot (low, high) |
//! | 5 | `GET_ID` | | the caller's process id |
//! | 6 | `MMAP` | r0 = length, r1 = rights ([`PROT_READ`] etc.) | address |
//! | 7 | `MUNMAP` | r0 = address, r1 = length | 0 |
//! | 8 | `MPROTECT` | r0 = address, r1 = length, r2 = rights | 0 |
//! | 9 | `MAP_DEVICE` | r0 = index of a device granted at creation | address of its registers |
//! | 48 | `CACHE_CLEAN` | r0 = address, r1 = length | 0 |
//! | 49 | `CACHE_INVALIDATE` | r0 = address, r1 = length (both multiples of 32) | 0 |
//!
//! Lengths are rounded up to the caller's granularity: 4 KiB for soft
//! isolated processes, 1 MiB for hard isolated ones. Every pointer and length
//! is checked against the caller's own mappings before the kernel touches it.

/// `write(buf, len)`: prints to the console.
pub const WRITE: u32 = 0;
/// `yield()`: lets equal-priority threads run.
pub const YIELD: u32 = 1;
/// `sleep_until(ns_lo, ns_hi)`: sleeps until an absolute time.
pub const SLEEP_UNTIL: u32 = 2;
/// `exit(code)`: ends the process; its memory returns to the kernel.
pub const EXIT: u32 = 3;
/// `time() -> (ns_lo, ns_hi)`: the monotonic clock.
pub const TIME: u32 = 4;
/// `get_id() -> pid`.
pub const GET_ID: u32 = 5;
/// `mmap(len, prot) -> addr`: anonymous zeroed memory.
pub const MMAP: u32 = 6;
/// `munmap(addr, len)`.
pub const MUNMAP: u32 = 7;
/// `mprotect(addr, len, prot)`.
pub const MPROTECT: u32 = 8;
/// `map_device(index) -> addr`: a device granted at creation.
pub const MAP_DEVICE: u32 = 9;

/// `cache_clean(addr, len)`: writes the caller's dirty cache lines over the
/// range (L1 and L2) to memory, before a device reads it (DMA out). The
/// range must lie in one of the caller's own memory regions.
pub const CACHE_CLEAN: u32 = 48;
/// `cache_invalidate(addr, len)`: drops the caller's cache lines over the
/// range (L2 then L1), before reading what a device wrote (DMA in). Address
/// and length are multiples of the 32-byte line.
pub const CACHE_INVALIDATE: u32 = 49;

/// Readable.
pub const PROT_READ: u32 = 1;
/// Writable (never together with [`PROT_EXEC`]: W^X).
pub const PROT_WRITE: u32 = 2;
/// Executable.
pub const PROT_EXEC: u32 = 4;

/// Largest single `write`.
pub const WRITE_MAX: u32 = 4096;

/// Error codes, returned negated in `r0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Errno {
    /// An argument is invalid: misaligned, zero or huge length, unknown
    /// rights, writable and executable at once.
    Inval = 1,
    /// A pointer does not lie in the caller's own readable (or, for output,
    /// writable) memory: NULL, a kernel address, an unmapped page.
    Fault = 2,
    /// No memory left (soft) or the reserved budget is used up (hard).
    NoMem = 3,
    /// Not allowed for this task: a device not granted, a range the task
    /// does not own, a request its class forbids.
    Perm = 4,
    /// No such system call.
    NoSys = 5,
    /// The address range is already (partly) mapped.
    Exists = 6,
}

impl Errno {
    /// The value placed in `r0`.
    pub const fn to_ret(self) -> u32 {
        (-(self as i32)) as u32
    }
    /// Decodes a returned `r0`: `Err` for an error code.
    pub const fn check(ret: u32) -> Result<u32, Errno> {
        let v = ret as i32;
        if v >= -64 && v < 0 {
            Err(match -v {
                1 => Errno::Inval,
                2 => Errno::Fault,
                3 => Errno::NoMem,
                4 => Errno::Perm,
                6 => Errno::Exists,
                _ => Errno::NoSys,
            })
        } else {
            Ok(ret)
        }
    }
}
