//! Long messages: bytes copied from one process's memory into another's.
//!
//! Each side is checked page by page in its own page tables (user
//! accessible, normal memory, writable on the receiving side), under that
//! process's lock, and reached through the kernel's linear map: a bad
//! buffer gives `Fault`, never a kernel fault, and a process that ends
//! meanwhile (its pages unmapped under the same lock) gives `Fault` too.
//! The bytes pass through a small buffer on the kernel stack, so the two
//! processes' locks are never held together (no lock order to keep).

use super::span;
use crate::layout::phys_to_virt;
use crate::process;
use crate::syscall::abi::Errno;
use arch::mmu::descriptor::MemType;

/// Bytes moved per step (one lock hold on each side).
const CHUNK: u32 = 256;

/// Runs `f` on the bytes of `pid`'s memory at `va` (at most to the end of
/// its page), checked for `write` access or read access.
fn with_page(
    pid: u16,
    va: u32,
    len: usize,
    write: bool,
    f: impl FnOnce(&mut [u8]),
) -> Result<(), Errno> {
    process::with_process(pid, |t| {
        let mut tr = t.space.translate_touch(va).ok_or(Errno::Fault)?;
        // A copy-on-write page gets its private copy first: the kernel
        // writes through the linear map, which would bypass the fault.
        if write && !tr.attrs.access.user_writable() && t.space.cow_fault(va) {
            tr = t.space.translate(va).ok_or(Errno::Fault)?;
        }
        let ok = if write {
            tr.attrs.access.user_writable()
        } else {
            tr.attrs.access.user_readable()
        };
        if !ok || tr.attrs.mem != MemType::Normal {
            return Err(Errno::Fault);
        }
        let p = phys_to_virt(tr.phys) as *mut u8;
        // SAFETY: tr.phys is RAM this process maps for user access (checked
        // just above, under its lock, which keeps it mapped), through the
        // linear map; `len` stays within its 4 KiB page.
        f(unsafe { core::slice::from_raw_parts_mut(p, len) });
        Ok(())
    })
    .ok_or(Errno::Fault)?
}

/// Copies `len` bytes from `src` in process `src_pid` to `dst` in process
/// `dst_pid`. On an error some bytes may have been copied.
pub fn between(src_pid: u16, src: u32, dst_pid: u16, dst: u32, len: u32) -> Result<(), Errno> {
    let pieces = span::pieces(src, dst, len, CHUNK).ok_or(Errno::Fault)?;
    let mut chunk = [0u8; CHUNK as usize];
    for (off, n) in pieces {
        let n = n as usize;
        with_page(src_pid, src + off, n, false, |b| {
            chunk[..n].copy_from_slice(b)
        })?;
        with_page(dst_pid, dst + off, n, true, |b| {
            b.copy_from_slice(&chunk[..n])
        })?;
    }
    Ok(())
}
