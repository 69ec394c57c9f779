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
//! | 16 | `HANDLE_CLOSE` | r0 = handle | 0 |
//! | 17 | `HANDLE_DUP` | r0 = handle (needs `TRANSFER`), r1 = rights mask | a new handle with the rights of r0 & r1 |
//! | 18 | `NOTIFY_CREATE` | | a handle to a new notification (`SIGNAL`, `WAIT`, `TRANSFER`); soft processes only |
//! | 19 | `NOTIFY_SIGNAL` | r0 = handle (`SIGNAL`), r1 = bits | 0; never blocks |
//! | 20 | `NOTIFY_WAIT` | r0 = handle (`WAIT`), r1:r2 = deadline in ns (low, high; all ones: none) | r0 = 0, r1 = the pending bits, now cleared (0: the deadline passed) |
//! | 21 | `NOTIFY_POLL` | r0 = handle (`WAIT`) | r0 = 0, r1 = the pending bits, now cleared (may be 0) |
//! | 22 | `IRQ_BIND` | r0 = IRQ line handle (`ACK`), r1 = notification handle (`SIGNAL`), r2 = bits (not 0) | 0; the line is unmasked |
//! | 23 | `IRQ_ACK` | r0 = IRQ line handle (`ACK`) | 0; the line is unmasked again |
//! | 24 | `PROCESS_KILL` | r0 = process handle (`MANAGE`; granted at creation) | 1: it ended it, 0: it had ended already |
//! | 32 | `THREAD_CREATE` | r0 = entry, r1 = stack top, r2 = argument, r3 = priority | a handle to the thread (`MANAGE`) |
//! | 33 | `THREAD_EXIT` | r0 = exit code | does not return |
//! | 34 | `THREAD_JOIN` | r0 = thread handle (`MANAGE`; used up) | r0 = 0, r1 = its exit code (any `i32`) |
//! | 35 | `SET_TLS` | r0 = value for TPIDRURO | 0 |
//! | 36 | `CALL` | r0 = endpoint, r1-r4 = words, r5 = buffer, r6 = length \| capacity << 16, r8 = timeout (µs, 0 = none) | r0 = reply length, r1-r4 = reply words |
//! | 37 | `RECV` | r0 = endpoint, r5 = buffer, r6 = capacity, r8 = timeout | r0 = length, r1-r4 = words, r6 = sender's pid |
//! | 38 | `REPLY` | r1-r4 = words, r5 = buffer, r6 = length, r9 = handle to move (0: none) | 0 |
//! | 39 | `REPLY_RECV` | r0 = endpoint, r1-r4 = reply words, r5 = buffer, r6 = reply length \| capacity << 16, r8 = timeout, r9 = handle to move (0: none) | as `RECV` |
//! | 40 | `ENDPOINT_CREATE` | | a handle to a new endpoint (`SEND`, `RECEIVE`, `TRANSFER`); soft processes only |
//! | 56 | `MEM_CREATE` | r0 = length (≤ 4 MiB; DMA ≤ 1 MiB), r1 = flags (`MEM_DMA`) | r0 = handle (`MAP_READ`, `MAP_WRITE`, `TRANSFER`, `MANAGE`), r1 = physical address (DMA; else 0); soft processes only |
//! | 57 | `MEM_MAP` | r0 = memory handle, r1 = prot (`PROT_READ` needs `MAP_READ`, `PROT_WRITE` needs `MAP_WRITE`; `PROT_EXEC` refused) | address of the whole object |
//! | 58 | `MEM_UNMAP` | r0 = address `mem_map` returned | 0 |
//! | 59 | `MEM_REVOKE` | r0 = memory handle (`MANAGE`) | mappings removed from every process |
//!
//! The IPC calls (36-39) use more registers than four: `r0`-`r6`, `r8` and
//! `r9` in, `r0`-`r6` out (see `kernel/src/ipc`). `CALL`, `REPLY` and
//! `REPLY_RECV` take in `r9` a handle to move to the other side (0: none;
//! it needs `TRANSFER`); `RECV`, `REPLY_RECV` and `CALL` return the handle
//! moved to the caller, as its own, in `r5` (0: none).
//! | 48 | `CACHE_CLEAN` | r0 = address, r1 = length | 0 |
//! | 49 | `CACHE_INVALIDATE` | r0 = address, r1 = length (both multiples of 32) | 0 |
//! | 50 | `WATCHDOG_START` | r0 = watchdog handle (`MANAGE`), r1:r2 = timeout in ns (low, high; not 0) | 0; the board resets unless kicked within the timeout |
//! | 51 | `WATCHDOG_KICK` | r0 = watchdog handle (`SIGNAL`) | 0; the countdown restarts (`Inval` if not started) |
//! | 52 | `WATCHDOG_STOP` | r0 = watchdog handle (`MANAGE`) | 0 |
//! | 53 | `WATCHDOG_REMAINING` | r0 = watchdog handle (`SIGNAL`) | r0 = 0, r1 = µs left before the reset (`Inval` if not started) |
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

/// `thread_create(entry, stack, arg, priority) -> h`: a thread of the
/// calling process, and a handle to it.
pub const THREAD_CREATE: u32 = 32;
/// `thread_exit(code)`: ends the calling thread (the first thread: the
/// process).
pub const THREAD_EXIT: u32 = 33;
/// `thread_join(h) -> (0, code)`: waits for a thread of the process to
/// end; its exit code comes in `r1` (`r0` is 0 or an error), so every
/// `i32` is a code and none is mistaken for an error.
pub const THREAD_JOIN: u32 = 34;
/// `set_tls(value)`: the calling thread's TPIDRURO.
pub const SET_TLS: u32 = 35;
/// `call(ep, words, buf, len | cap << 16, timeout_us)`: sends a message on
/// an endpoint and waits for the reply.
pub const CALL: u32 = 36;
/// `recv(ep, buf, cap, timeout_us)`: waits for a message on an endpoint.
pub const RECV: u32 = 37;
/// `reply(words, buf, len)`: answers the caller last received (once).
pub const REPLY: u32 = 38;
/// `reply_recv(ep, words, buf, len | cap << 16, timeout_us)`: `reply`, then
/// `recv`, in one call.
pub const REPLY_RECV: u32 = 39;
/// `endpoint_create() -> h`: a new endpoint, with every right.
pub const ENDPOINT_CREATE: u32 = 40;

/// `mem_create(len, flags) -> (h, phys)`: a new memory object of `len`
/// bytes (rounded up to pages, at most 4 MiB), zeroed, and a handle to it
/// with every memory right. With [`MEM_DMA`]: physically contiguous (a
/// power-of-two number of pages, at most 1 MiB), mapped non-cacheable, its
/// physical address in `r1`.
pub const MEM_CREATE: u32 = 56;
/// `mem_map(h, prot) -> addr`: maps the whole object; `PROT_READ` needs
/// [`RIGHT_MAP_READ`], `PROT_WRITE` [`RIGHT_MAP_WRITE`], `PROT_EXEC` is
/// refused (shared memory is never executable). `NoMem` past the caller's
/// budget, which holds its anonymous memory and mapped objects together.
pub const MEM_MAP: u32 = 57;
/// `mem_unmap(addr)`: removes a mapping `mem_map` made (a hard process's
/// keeps its range and charge: its next `mem_map` maps it again).
pub const MEM_UNMAP: u32 = 58;
/// `mem_revoke(h) -> n`: unmaps the object from every process that maps it
/// (needs [`RIGHT_MANAGE`]); returns how many mappings went.
pub const MEM_REVOKE: u32 = 59;
/// `mem_create` flag: a DMA buffer (contiguous, non-cacheable).
pub const MEM_DMA: u32 = 1;

/// Largest long message (bytes copied by the kernel) in either direction.
pub const MSG_MAX: u32 = 4096;
/// `handle_close(h)`: the handle's slot is freed; the object lives on while
/// other references to it do.
pub const HANDLE_CLOSE: u32 = 16;
/// `handle_dup(h, rights) -> h2`: a second handle to the same object with
/// at most `h`'s rights (`h` needs [`RIGHT_TRANSFER`]).
pub const HANDLE_DUP: u32 = 17;

/// `notify_create() -> h`: a new notification, no bits pending.
pub const NOTIFY_CREATE: u32 = 18;
/// `notify_signal(h, bits)`: ORs `bits` in and wakes a waiter.
pub const NOTIFY_SIGNAL: u32 = 19;
/// `notify_wait(h, deadline_lo, deadline_hi) -> (0, bits)`: blocks until a
/// bit is pending (or the deadline passes), takes and clears them.
pub const NOTIFY_WAIT: u32 = 20;
/// `notify_poll(h) -> (0, bits)`: takes and clears the pending bits.
pub const NOTIFY_POLL: u32 = 21;

/// `irq_bind(line, notification, bits)`: when the line fires the kernel
/// masks it and signals `bits`; unmasks it now.
pub const IRQ_BIND: u32 = 22;
/// `irq_ack(line)`: the device is handled: unmask the line.
pub const IRQ_ACK: u32 = 23;
/// `process_kill(h)`: ends the process that handle `h` (`MANAGE`) names,
/// as a fault would (exit status `KILLED`); 1 if this call ended it, 0 if
/// it had ended already. `BadHandle` for anything but a process handle
/// with `MANAGE`, `Inval` for the caller itself.
pub const PROCESS_KILL: u32 = 24;

/// Handle right: `call` / `send` on an endpoint.
pub const RIGHT_SEND: u32 = 1 << 0;
/// Handle right: `recv` on an endpoint.
pub const RIGHT_RECEIVE: u32 = 1 << 1;
/// Handle right: `signal` a notification.
pub const RIGHT_SIGNAL: u32 = 1 << 2;
/// Handle right: `wait` for / `poll` a notification.
pub const RIGHT_WAIT: u32 = 1 << 3;
/// Handle right: bind and `ack` an IRQ line.
pub const RIGHT_ACK: u32 = 1 << 4;
/// Handle right: pass the handle on (duplicate, grant, send in a message).
pub const RIGHT_TRANSFER: u32 = 1 << 5;
/// Handle right: `reply` through a reply capability.
pub const RIGHT_REPLY: u32 = 1 << 6;
/// Handle right: control a thread; revoke a memory object.
pub const RIGHT_MANAGE: u32 = 1 << 7;
/// Handle right: map a memory object readable.
pub const RIGHT_MAP_READ: u32 = 1 << 8;
/// Handle right: map a memory object writable.
pub const RIGHT_MAP_WRITE: u32 = 1 << 9;

/// The handle of the `i`-th grant a process was created with (its spec's
/// `handles[i]`): grants fill a fresh table's slots 0, 1, ... at generation
/// 1, and a handle is `generation << 8 | slot`.
pub const fn granted_handle(i: u32) -> u32 {
    1 << 8 | i
}
/// `cache_clean(addr, len)`: writes the caller's dirty cache lines over the
/// range (L1 and L2) to memory, before a device reads it (DMA out). The
/// range must lie in one of the caller's own memory regions.
pub const CACHE_CLEAN: u32 = 48;
/// `cache_invalidate(addr, len)`: drops the caller's cache lines over the
/// range (L2 then L1), before reading what a device wrote (DMA in). Address
/// and length are multiples of the 32-byte line.
pub const CACHE_INVALIDATE: u32 = 49;
/// `watchdog_start(h, timeout_lo, timeout_hi)`: arms the A9 private
/// watchdog the handle (granted at creation, [`RIGHT_MANAGE`]) names: the
/// board resets unless kicked within the timeout (ns, not 0).
pub const WATCHDOG_START: u32 = 50;
/// `watchdog_kick(h)`: restarts the countdown ([`RIGHT_SIGNAL`]).
pub const WATCHDOG_KICK: u32 = 51;
/// `watchdog_stop(h)`: stops the watchdog ([`RIGHT_MANAGE`]).
pub const WATCHDOG_STOP: u32 = 52;
/// `watchdog_remaining(h) -> (0, us)`: time left before the reset, in µs
/// ([`RIGHT_SIGNAL`]).
pub const WATCHDOG_REMAINING: u32 = 53;

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
    /// An IPC wait ran past its timeout.
    TimedOut = 9,
    /// The other side of an IPC is gone: the server's process ended (or
    /// it dropped the call), or the caller the reply was for.
    PeerGone = 10,
    /// A message is longer than [`MSG_MAX`] or than the receiver's buffer.
    TooBig = 11,
    /// Not a handle of this process (never was, closed, or its slot reused
    /// since), a handle to an object of the wrong kind for the call, or one
    /// without the right the call needs.
    BadHandle = 7,
    /// The resource has an owner already (an IRQ line bound elsewhere).
    Busy = 8,
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
                9 => Errno::TimedOut,
                10 => Errno::PeerGone,
                11 => Errno::TooBig,
                7 => Errno::BadHandle,
                8 => Errno::Busy,
                _ => Errno::NoSys,
            })
        } else {
            Ok(ret)
        }
    }
}
