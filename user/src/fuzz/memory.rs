//! Memory objects (calls 56-59) for the fuzzer, with their oracles.
//!
//! Objects the fuzzer creates go into its handle table (the model's
//! [`Obj::Memory`]), so their handles are known exactly and reach the other
//! calls as wrong-kind handles. They are never mapped: a mapping would
//! change the address space the `mmap` oracle predicts, so `mem_map` is
//! issued only in forms that fail (bad or executable rights, a handle that
//! is no memory object or lacks the right). Hence `mem_revoke` of a live
//! object removes 0 mappings and `mem_unmap` of any address is `Inval`.
//! The fuzzer holds at most [`HELD`] objects (at most 4 MiB each).

use super::handles::memory;
use super::{Fuzzer, Want};
use crate::abi::{
    self, Errno, MEM_DMA, PROT_EXEC, PROT_READ, PROT_WRITE, RIGHT_MANAGE, RIGHT_MAP_READ,
    RIGHT_MAP_WRITE, RIGHT_TRANSFER,
};

/// Memory objects held at most (then `mem_create` closes one instead).
const HELD: usize = 6;
/// The largest object (the kernel's `MAX_OBJECT`).
const MAX_OBJECT: u32 = 4 << 20;
/// The largest DMA buffer (the page allocator's largest block).
const MAX_DMA: u32 = 1 << 20;
/// Rights of a new object's handle.
pub(super) const MEMORY_RIGHTS: u32 =
    RIGHT_MAP_READ | RIGHT_MAP_WRITE | RIGHT_TRANSFER | RIGHT_MANAGE;

impl Fuzzer {
    /// `mem_create(len, flags)`: unknown flags `Inval`, a hard process
    /// `Perm`, a length of 0 or past 4 MiB (DMA: rounded up to a power of
    /// two pages, past 1 MiB) `Inval`, a full table `NoMem`, else the next
    /// free slot's handle (and, DMA only, a physical address in `r1`).
    pub(super) fn mem_create(&mut self) {
        let held = self
            .handles
            .live()
            .filter(|&(_, o, _)| memory(o).is_some())
            .count();
        if held >= HELD || self.crowded() {
            return self.close_one();
        }
        let len = match self.rng.below(3) {
            0 => self.hostile_len(),
            _ => 1 + self.rng.below(64 * 1024),
        };
        let flags = match self.rng.below(4) {
            0 => 0,
            1 => MEM_DMA,
            2 => self.rng.bits(),
            _ => 2,
        };
        let pages = len.checked_next_multiple_of(4096).map(|l| l / 4096);
        let size_ok = match pages {
            Some(p) if p > 0 && p * 4096 <= MAX_OBJECT => {
                flags != MEM_DMA || p.next_power_of_two() * 4096 <= MAX_DMA
            }
            _ => false,
        };
        let want = if flags & !MEM_DMA != 0 {
            Want::Error(Errno::Inval)
        } else if self.hard {
            Want::Error(Errno::Perm)
        } else if !size_ok {
            Want::Error(Errno::Inval)
        } else {
            self.handles
                .next()
                .map_or(Want::Error(Errno::NoMem), Want::Value)
        };
        let args = [len, flags, self.rng.bits(), 0];
        let (_, phys) = self.expect(abi::MEM_CREATE, args, want);
        if let Want::Value(_) = want {
            let obj = self.handles.new_memory();
            self.handles.insert(obj, MEMORY_RIGHTS);
            // Shared memory has no physical address to tell; a DMA buffer's
            // is page aligned RAM.
            let phys_ok = if flags == MEM_DMA {
                phys != 0 && phys.is_multiple_of(4096)
            } else {
                phys == 0
            };
            if !phys_ok {
                self.wrong("physical address", abi::MEM_CREATE, args, phys, want);
            }
        }
    }

    /// `mem_map(h, prot)`: bad rights (unknown bits, none) `Inval`, then
    /// executable `Perm`, then `BadHandle` unless a memory handle with the
    /// rights `prot` needs. Only failing forms are issued (see the module
    /// docs): a call that would map is turned into an executable one.
    pub(super) fn mem_map(&mut self) {
        let h = self.pick_handle(|o, _| memory(o).is_some());
        let mut prot = self.hostile_prot();
        let known = prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) == 0 && prot != 0;
        let mut need = 0;
        if prot & PROT_READ != 0 {
            need |= RIGHT_MAP_READ;
        }
        if prot & PROT_WRITE != 0 {
            need |= RIGHT_MAP_WRITE;
        }
        let would_map =
            known && prot & PROT_EXEC == 0 && self.handles.get(h, need, memory).is_some();
        if would_map {
            prot |= PROT_EXEC;
        }
        let want = if !known {
            Want::Error(Errno::Inval)
        } else if prot & PROT_EXEC != 0 {
            Want::Error(Errno::Perm)
        } else {
            Want::Error(Errno::BadHandle)
        };
        let junk = self.rng.bits();
        self.expect(abi::MEM_MAP, [h, prot, junk, 0], want);
    }

    /// `mem_unmap(addr)`: `Inval` for every address (the fuzzer maps no
    /// object; its image, stack and `mmap` regions are not objects it
    /// mapped).
    pub(super) fn mem_unmap(&mut self) {
        let addr = match self.rng.below(3) {
            0 => self.image_start,
            1 => self.random_map().map_or(0, |m| m.addr),
            _ => self.hostile_addr(),
        };
        let junk = self.rng.bits();
        self.expect(
            abi::MEM_UNMAP,
            [addr, junk, 0, 0],
            Want::Error(Errno::Inval),
        );
    }

    /// `mem_revoke(h)`: 0 mappings removed for a memory handle with
    /// `MANAGE`, `BadHandle` for anything else.
    pub(super) fn mem_revoke(&mut self) {
        let h = self.pick_handle(|o, _| memory(o).is_some());
        let want = match self.handles.get(h, RIGHT_MANAGE, memory) {
            Some(_) => Want::Value(0),
            None => Want::Error(Errno::BadHandle),
        };
        let junk = self.rng.bits();
        self.expect(abi::MEM_REVOKE, [h, junk, 0, 0], want);
    }
}
