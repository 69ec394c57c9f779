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

/// Maps the registers of the `index`-th device this task was granted.
pub fn map_device(index: u32) -> Result<*mut u32, Errno> {
    check(syscall(abi::MAP_DEVICE, [index, 0, 0, 0]).0).map(|a| a as *mut u32)
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
