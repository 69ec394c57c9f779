//! The user library: system calls as ordinary Rust functions, `println!`,
//! and the program entry.
//!
//! A program is `#![no_std] #![no_main]` plus `user::main!(main)` with
//! `fn main(arg: u32) -> i32`; the kernel passes `arg` at creation and the
//! return value becomes the exit code. A panic prints its message and exits
//! with code 101. The ABI itself (numbers, registers, error codes) is
//! `kernel/src/syscall/abi.rs`, included here so both sides agree.

#![no_std]

#[path = "../../kernel/src/syscall/abi.rs"]
pub mod abi;
pub mod bench;
pub mod control;
pub mod fuzz;
pub mod timer;

pub use abi::{Errno, PROT_EXEC, PROT_READ, PROT_WRITE};
use core::fmt;

/// Raw system call: number in r7, arguments in r0-r3, result in r0 (and r1).
#[inline(always)]
pub fn syscall(nr: u32, a: [u32; 4]) -> (u32, u32) {
    #[cfg(target_arch = "arm")]
    {
        let (r0, r1): (u32, u32);
        // SAFETY: the kernel's SVC handler preserves every register but r0
        // and r1, and reads memory only through its checked copy functions.
        unsafe {
            core::arch::asm!("svc #0", inout("r0") a[0] => r0, inout("r1") a[1] => r1,
                in("r2") a[2], in("r3") a[3], in("r7") nr, options(nostack))
        };
        (r0, r1)
    }
    #[cfg(not(target_arch = "arm"))]
    {
        let _ = (nr, a);
        (Errno::NoSys.to_ret(), 0)
    }
}

fn check(r: u32) -> Result<u32, Errno> {
    Errno::check(r)
}

/// Writes bytes to the console; returns how many were written.
pub fn write(bytes: &[u8]) -> Result<u32, Errno> {
    check(
        syscall(
            abi::WRITE,
            [bytes.as_ptr() as u32, bytes.len() as u32, 0, 0],
        )
        .0,
    )
}

/// Lets other threads of the same priority run.
pub fn yield_now() {
    syscall(abi::YIELD, [0; 4]);
}

/// Sleeps until the monotonic clock reads `ns`.
pub fn sleep_until(ns: u64) {
    syscall(abi::SLEEP_UNTIL, [ns as u32, (ns >> 32) as u32, 0, 0]);
}

/// Nanoseconds since boot.
pub fn now() -> u64 {
    let (lo, hi) = syscall(abi::TIME, [0; 4]);
    (hi as u64) << 32 | lo as u64
}

/// This process's id.
pub fn get_id() -> u32 {
    syscall(abi::GET_ID, [0; 4]).0
}

/// Ends the process with `code`.
pub fn exit(code: i32) -> ! {
    syscall(abi::EXIT, [code as u32, 0, 0, 0]);
    unreachable!("the kernel does not return from exit")
}

/// Maps `len` bytes of zeroed memory with `prot` rights.
pub fn mmap(len: u32, prot: u32) -> Result<*mut u8, Errno> {
    check(syscall(abi::MMAP, [len, prot, 0, 0]).0).map(|a| a as *mut u8)
}

/// Unmaps memory `mmap` returned.
pub fn munmap(addr: *mut u8, len: u32) -> Result<(), Errno> {
    check(syscall(abi::MUNMAP, [addr as u32, len, 0, 0]).0).map(|_| ())
}

/// Changes the rights of mapped memory.
pub fn mprotect(addr: *mut u8, len: u32, prot: u32) -> Result<(), Errno> {
    check(syscall(abi::MPROTECT, [addr as u32, len, prot, 0]).0).map(|_| ())
}

/// Writes the caller's dirty cache lines over `[addr, addr + len)` to
/// memory (L1 and L2), before a device reads the buffer.
pub fn cache_clean(addr: *const u8, len: u32) -> Result<(), Errno> {
    check(syscall(abi::CACHE_CLEAN, [addr as u32, len, 0, 0]).0).map(|_| ())
}

/// Drops the caller's cache lines over `[addr, addr + len)` (multiples of
/// 32 bytes), before reading what a device wrote there.
pub fn cache_invalidate(addr: *const u8, len: u32) -> Result<(), Errno> {
    check(syscall(abi::CACHE_INVALIDATE, [addr as u32, len, 0, 0]).0).map(|_| ())
}

/// A floating-point workout for the kernel's VFP switching: `rounds` times,
/// loads d0-d31 and FPSCR with values derived from `seed` and the round,
/// multiplies d1 by d2 (= 1.0) in the unit, yields the CPU, and checks that
/// every register still holds what it should. Returns the number of rounds
/// in which one did not. The first instruction is a VFP load: in a soft
/// task it takes the one first-use trap.
pub fn vfp_check(seed: u64, rounds: u32) -> i32 {
    vfp_check_across(seed, rounds, || {
        yield_now();
        true
    })
}

/// [`vfp_check`] with `switch` (which may give the CPU away, by IPC for
/// instance) in place of the yield; stops early, without checking that
/// round, when `switch` returns false.
pub fn vfp_check_across(seed: u64, rounds: u32, mut switch: impl FnMut() -> bool) -> i32 {
    let mut bad = 0;
    for round in 0..rounds {
        let mut want = [0u64; 32];
        for (i, w) in want.iter_mut().enumerate() {
            *w = seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add((i as u64) << 40 | u64::from(round));
        }
        // d1: a normal double; d2: 1.0, so d1 * d2 == d1.
        want[1] = f64::to_bits(1.5 + f64::from(round % 1000));
        want[2] = f64::to_bits(1.0);
        // FPSCR rounding mode (bits 23:22) from the seed.
        let fpscr_in = ((seed as u32) & 3) << 22;
        let mut got = [0u64; 32];
        let fpscr_out: u32;
        // SAFETY: loads and stores only the arrays above; the registers
        // are this task's own (the kernel saves them across the yield).
        unsafe {
            core::arch::asm!(
                ".fpu neon",
                "vldmia {w}, {{d0-d15}}",
                "add {t}, {w}, #128",
                "vldmia {t}, {{d16-d31}}",
                "vmsr fpscr, {f}",
                "vmul.f64 d1, d1, d2",
                w = in(reg) want.as_ptr(),
                f = in(reg) fpscr_in,
                t = out(reg) _,
                options(nostack)
            );
        }
        if !switch() {
            break;
        }
        // SAFETY: as above.
        unsafe {
            core::arch::asm!(
                ".fpu neon",
                "vstmia {g}, {{d0-d15}}",
                "add {t}, {g}, #128",
                "vstmia {t}, {{d16-d31}}",
                "vmrs {f}, fpscr",
                g = in(reg) got.as_mut_ptr(),
                f = out(reg) fpscr_out,
                t = out(reg) _,
                options(nostack)
            );
        }
        if got != want || fpscr_out & (3 << 22) != fpscr_in {
            bad += 1;
        }
    }
    bad
}

/// Runs the PID law of [`control`] in `f32` and `f64` for
/// [`control::STEPS`] periods each, calling `between` after every period,
/// and compares the results with the host's bits: 0 when both match, else
/// prints what `who` got and returns 1 (`f32` wrong), 2 (`f64`) or 3.
pub fn pid_check(who: &str, mut between: impl FnMut()) -> i32 {
    let single = control::pid_f32(control::STEPS, &mut between).to_bits();
    let double = control::pid_f64(control::STEPS, &mut between).to_bits();
    let wrong = i32::from(single != control::PID_F32_BITS)
        | i32::from(double != control::PID_F64_BITS) << 1;
    if wrong != 0 {
        println!(
            "{who}: f32 {single:#010x} (want {:#010x}), f64 {double:#018x} (want {:#018x})",
            control::PID_F32_BITS,
            control::PID_F64_BITS
        );
    }
    wrong
}

/// Maps the registers of the `index`-th device this task was granted.
pub fn map_device(index: u32) -> Result<*mut u32, Errno> {
    check(syscall(abi::MAP_DEVICE, [index, 0, 0, 0]).0).map(|a| a as *mut u32)
}

/// A handle: this process's name for a kernel object (see the kernel's
/// `handle` module). Means nothing in another process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handle(pub u32);

impl Handle {
    /// The handle of the `i`-th grant in this process's spec.
    pub const fn granted(i: u32) -> Self {
        Handle(abi::granted_handle(i))
    }
}

/// Arms the A9 private watchdog that the granted handle `h` (`MANAGE`)
/// names: the board resets unless [`watchdog_kick`] comes within
/// `timeout_ns` from now and from every kick.
pub fn watchdog_start(h: Handle, timeout_ns: u64) -> Result<(), Errno> {
    let args = [h.0, timeout_ns as u32, (timeout_ns >> 32) as u32, 0];
    check(syscall(abi::WATCHDOG_START, args).0).map(|_| ())
}

/// Restarts the watchdog's countdown (`h` needs `SIGNAL`).
pub fn watchdog_kick(h: Handle) -> Result<(), Errno> {
    check(syscall(abi::WATCHDOG_KICK, [h.0, 0, 0, 0]).0).map(|_| ())
}

/// Stops the watchdog (`h` needs `MANAGE`).
pub fn watchdog_stop(h: Handle) -> Result<(), Errno> {
    check(syscall(abi::WATCHDOG_STOP, [h.0, 0, 0, 0]).0).map(|_| ())
}

/// The time left before the watchdog resets the board, in µs (`h` needs
/// `SIGNAL`).
pub fn watchdog_remaining(h: Handle) -> Result<u32, Errno> {
    let (r0, r1) = syscall(abi::WATCHDOG_REMAINING, [h.0, 0, 0, 0]);
    check(r0).map(|_| r1)
}

/// Closes a handle; the object lives on while other handles to it do.
pub fn handle_close(h: Handle) -> Result<(), Errno> {
    check(syscall(abi::HANDLE_CLOSE, [h.0, 0, 0, 0]).0).map(|_| ())
}

/// A second handle to `h`'s object with at most `rights` (`RIGHT_*`); `h`
/// needs `RIGHT_TRANSFER`.
pub fn handle_dup(h: Handle, rights: u32) -> Result<Handle, Errno> {
    check(syscall(abi::HANDLE_DUP, [h.0, rights, 0, 0]).0).map(Handle)
}

/// A new notification (soft processes only): a handle with SIGNAL, WAIT
/// and TRANSFER rights.
pub fn notify_create() -> Result<Handle, Errno> {
    check(syscall(abi::NOTIFY_CREATE, [0; 4]).0).map(Handle)
}

/// ORs `bits` into notification `h` and wakes a waiter; never blocks.
#[inline]
pub fn notify_signal(h: Handle, bits: u32) -> Result<(), Errno> {
    check(syscall(abi::NOTIFY_SIGNAL, [h.0, bits, 0, 0]).0).map(|_| ())
}

/// Blocks until a bit of notification `h` is pending; returns the pending
/// bits and clears them.
#[inline]
pub fn notify_wait(h: Handle) -> Result<u32, Errno> {
    notify_wait_until(h, u64::MAX)
}

/// [`notify_wait`] that gives up when the clock reads `deadline` (ns since
/// boot): then it returns `Ok(0)`.
#[inline]
pub fn notify_wait_until(h: Handle, deadline: u64) -> Result<u32, Errno> {
    let (r0, r1) = syscall(
        abi::NOTIFY_WAIT,
        [h.0, deadline as u32, (deadline >> 32) as u32, 0],
    );
    check(r0).map(|_| r1)
}

/// The pending bits of notification `h`, cleared (0 if none); never blocks.
pub fn notify_poll(h: Handle) -> Result<u32, Errno> {
    let (r0, r1) = syscall(abi::NOTIFY_POLL, [h.0, 0, 0, 0]);
    check(r0).map(|_| r1)
}

/// Binds IRQ line `line` (a granted handle with the ACK right) to
/// notification `notification` (SIGNAL right): each time the line fires the
/// kernel masks it and signals `bits`. Unmasks the line.
pub fn irq_bind(line: Handle, notification: Handle, bits: u32) -> Result<(), Errno> {
    check(syscall(abi::IRQ_BIND, [line.0, notification.0, bits, 0]).0).map(|_| ())
}

/// Unmasks IRQ line `line` once its device has been handled.
#[inline]
pub fn irq_ack(line: Handle) -> Result<(), Errno> {
    check(syscall(abi::IRQ_ACK, [line.0, 0, 0, 0]).0).map(|_| ())
}

/// Ends the process `h` names (a process handle with `RIGHT_MANAGE`,
/// granted at creation), as a fault would: its parent's `wait` sees
/// `KILLED`. `Ok(1)` if this call ended it, `Ok(0)` if it had ended
/// already.
pub fn process_kill(h: Handle) -> Result<u32, Errno> {
    check(syscall(abi::PROCESS_KILL, [h.0, 0, 0, 0]).0)
}

struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write(s.as_bytes()).map(|_| ()).map_err(|_| fmt::Error)
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    let _ = fmt::Write::write_fmt(&mut Console, args);
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::_print(format_args!($($arg)*)));
}

/// Prints a line to the console.
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::_print(format_args!("{}\n", format_args!($($arg)*))));
}

/// Declares the program's entry: `fn main(arg: u32) -> i32`.
#[macro_export]
macro_rules! main {
    ($main:path) => {
        #[unsafe(no_mangle)]
        #[unsafe(link_section = ".text.start")]
        extern "C" fn _start(arg: u32) -> ! {
            let main: fn(u32) -> i32 = $main;
            $crate::exit(main(arg))
        }
    };
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("user panic: {}", info.message());
    exit(101)
}

/// A thread's entry: `fn(arg) -> !` (it ends with [`thread_exit`]).
pub type ThreadEntry = extern "C" fn(u32) -> !;

/// Starts a thread of this process at `entry(arg)` on the stack whose top
/// is `stack` (8-byte aligned, memory this process mapped), at `priority`
/// (no higher than the process's own). Returns a handle to it (`MANAGE`).
pub fn thread_create(
    entry: ThreadEntry,
    stack: *mut u8,
    arg: u32,
    priority: u32,
) -> Result<Handle, Errno> {
    check(
        syscall(
            abi::THREAD_CREATE,
            [entry as usize as u32, stack as u32, arg, priority],
        )
        .0,
    )
    .map(Handle)
}

/// Ends the calling thread with `code` for its joiner (from the first
/// thread: ends the process, as [`exit`]).
pub fn thread_exit(code: i32) -> ! {
    syscall(abi::THREAD_EXIT, [code as u32, 0, 0, 0]);
    unreachable!("the kernel does not return from thread_exit")
}

/// Waits for the thread `h` names (one of this process's) to end; returns
/// its exit code. The handle is used up.
pub fn thread_join(h: Handle) -> Result<i32, Errno> {
    let (r0, r1) = syscall(abi::THREAD_JOIN, [h.0, 0, 0, 0]);
    check(r0).map(|_| r1 as i32)
}

/// Sets the calling thread's TLS pointer (the TPIDRURO register).
pub fn set_tls(value: u32) {
    syscall(abi::SET_TLS, [value, 0, 0, 0]);
}

/// The calling thread's TLS pointer (reads TPIDRURO: no system call).
pub fn tls() -> u32 {
    #[cfg(target_arch = "arm")]
    {
        let v: u32;
        // SAFETY: reads the user read-only thread-ID register.
        unsafe {
            core::arch::asm!("mrc p15, 0, {}, c13, c0, 3", out(reg) v, options(nomem, nostack))
        };
        v
    }
    #[cfg(not(target_arch = "arm"))]
    0
}

/// A message received (or a reply): four words, the length of the long
/// part now in the buffer given, and a handle moved with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Msg {
    /// The words sent in registers.
    pub words: [u32; 4],
    /// Bytes of the long message in the buffer.
    pub len: u32,
    /// `recv`: the sender's process id.
    pub badge: u32,
    /// `recv`: the handle the caller moved to us, if any.
    pub handle: Option<Handle>,
}

/// Raw IPC system call: `nr` in r7, `r0`, `words` in r1-r4, `buf` in r5,
/// `r6`, `r8`, `r9` in; r0 (the result) and the message (r1-r4, r5, r6)
/// out. For tests that pass hostile arguments; programs use [`call`],
/// [`recv`] etc.
#[inline(always)]
pub fn ipc_syscall(
    nr: u32,
    r0: u32,
    words: [u32; 4],
    buf: u32,
    r6: u32,
    r8: u32,
    r9: u32,
) -> (u32, Msg) {
    #[cfg(target_arch = "arm")]
    {
        let (o0, o1, o2, o3, o4, o5, o6): (u32, u32, u32, u32, u32, u32, u32);
        // SAFETY: the kernel changes r0-r6 only and touches memory only
        // through its checked copies. r6 is LLVM's base pointer and cannot
        // be named: it is saved and restored around the call.
        unsafe {
            core::arch::asm!(
                "push {{r6}}",
                "mov r6, {r6}",
                "svc #0",
                "mov {o6}, r6",
                "pop {{r6}}",
                r6 = in(reg) r6,
                o6 = lateout(reg) o6,
                inout("r0") r0 => o0,
                inout("r1") words[0] => o1,
                inout("r2") words[1] => o2,
                inout("r3") words[2] => o3,
                inout("r4") words[3] => o4,
                inout("r5") buf => o5,
                in("r7") nr,
                in("r8") r8,
                in("r9") r9,
            )
        };
        (
            o0,
            Msg {
                words: [o1, o2, o3, o4],
                len: o0,
                badge: o6,
                handle: (o5 != 0).then_some(Handle(o5)),
            },
        )
    }
    #[cfg(not(target_arch = "arm"))]
    {
        let _ = (nr, r0, words, buf, r6, r8, r9);
        (Errno::NoSys.to_ret(), Msg::default())
    }
}

/// Calls endpoint `ep` with `words` and the first `send` bytes of `buf` as
/// the long message, waiting at most `timeout_us` (0: no limit). The
/// reply's words come back, its long part in `buf`.
#[inline]
pub fn call(
    ep: Handle,
    words: [u32; 4],
    buf: &mut [u8],
    send: usize,
    timeout_us: u32,
) -> Result<Msg, Errno> {
    send_then_receive(abi::CALL, ep, words, buf, send, timeout_us)
}

/// `call` or `reply_recv` (`nr`): sends `words` and the first `send` bytes
/// of `buf`, then waits for a message into `buf`. Inlined: the IPC
/// benchmarks time these calls.
#[inline(always)]
fn send_then_receive(
    nr: u32,
    ep: Handle,
    words: [u32; 4],
    buf: &mut [u8],
    send: usize,
    timeout_us: u32,
) -> Result<Msg, Errno> {
    let cap = buf.len().min(abi::MSG_MAX as usize) as u32;
    let len = send.min(buf.len()) as u32;
    let (r, m) = ipc_syscall(
        nr,
        ep.0,
        words,
        buf.as_mut_ptr() as u32,
        len | cap << 16,
        timeout_us,
        0,
    );
    check(r).map(|_| m)
}

/// [`call`] with words only, no timeout.
pub fn call_words(ep: Handle, words: [u32; 4]) -> Result<[u32; 4], Errno> {
    call(ep, words, &mut [], 0, 0).map(|m| m.words)
}

/// [`call_words`] that also moves handle `h` (it needs `TRANSFER`) to the
/// server: it leaves our table when the server receives the call.
pub fn call_moving(ep: Handle, words: [u32; 4], h: Handle) -> Result<[u32; 4], Errno> {
    let (r, m) = ipc_syscall(abi::CALL, ep.0, words, 0, 0, 0, h.0);
    check(r).map(|_| m.words)
}

/// Waits for a call on endpoint `ep` (at most `timeout_us`, 0: no limit);
/// its long part lands in `buf`. The caller waits for [`reply`].
pub fn recv(ep: Handle, buf: &mut [u8], timeout_us: u32) -> Result<Msg, Errno> {
    let cap = buf.len().min(abi::MSG_MAX as usize) as u32;
    let (r, m) = ipc_syscall(
        abi::RECV,
        ep.0,
        [0; 4],
        buf.as_mut_ptr() as u32,
        cap,
        timeout_us,
        0,
    );
    check(r).map(|_| m)
}

/// Answers the call last received, once: `words` and `data` as the long
/// part.
pub fn reply(words: [u32; 4], data: &[u8]) -> Result<(), Errno> {
    let (r, _) = ipc_syscall(
        abi::REPLY,
        0,
        words,
        data.as_ptr() as u32,
        data.len() as u32,
        0,
        0,
    );
    check(r).map(|_| ())
}

/// [`reply`] with words only that also moves handle `h` (it needs
/// `TRANSFER`) to the caller, which finds it in its [`Msg::handle`].
pub fn reply_moving(words: [u32; 4], h: Handle) -> Result<(), Errno> {
    let (r, _) = ipc_syscall(abi::REPLY, 0, words, 0, 0, 0, h.0);
    check(r).map(|_| ())
}

/// [`reply`] with `words` and the first `send` bytes of `buf`, then
/// [`recv`] on `ep` into `buf`, in one system call. Inlined, as [`call`]'s
/// body is: a server's loop makes it once per message.
#[inline]
pub fn reply_recv(
    ep: Handle,
    words: [u32; 4],
    buf: &mut [u8],
    send: usize,
    timeout_us: u32,
) -> Result<Msg, Errno> {
    send_then_receive(abi::REPLY_RECV, ep, words, buf, send, timeout_us)
}

/// A new endpoint (soft processes), with every right.
pub fn endpoint_create() -> Result<Handle, Errno> {
    check(syscall(abi::ENDPOINT_CREATE, [0; 4]).0).map(Handle)
}

/// A new memory object of `len` bytes (rounded up to pages), zeroed: a
/// handle with every memory right, and (with `abi::MEM_DMA` in `flags`,
/// for a physically contiguous, non-cacheable DMA buffer) its physical
/// address, else 0.
pub fn mem_create(len: u32, flags: u32) -> Result<(Handle, u32), Errno> {
    let (r0, r1) = syscall(abi::MEM_CREATE, [len, flags, 0, 0]);
    check(r0).map(|h| (Handle(h), r1))
}

/// Maps the whole memory object `h` with `prot` (`PROT_READ`,
/// `PROT_WRITE`; never `PROT_EXEC`); the handle must have the matching
/// `RIGHT_MAP_*` rights.
pub fn mem_map(h: Handle, prot: u32) -> Result<*mut u8, Errno> {
    check(syscall(abi::MEM_MAP, [h.0, prot, 0, 0]).0).map(|a| a as *mut u8)
}

/// Removes a mapping [`mem_map`] made.
pub fn mem_unmap(addr: *mut u8) -> Result<(), Errno> {
    check(syscall(abi::MEM_UNMAP, [addr as u32, 0, 0, 0]).0).map(|_| ())
}

/// Unmaps memory object `h` from every process (needs `RIGHT_MANAGE`);
/// returns how many mappings went.
pub fn mem_revoke(h: Handle) -> Result<u32, Errno> {
    check(syscall(abi::MEM_REVOKE, [h.0, 0, 0, 0]).0)
}
