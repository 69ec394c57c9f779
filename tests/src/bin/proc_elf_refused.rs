//! A malformed or hostile ELF is refused with an error and leaves nothing
//! allocated: bad magic, wrong machine, truncated, a segment over the kernel,
//! overlapping segments; and a hard program whose segments share a section.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use kernel::loader::elf::ElfError;
use kernel::process::{self, Class, ProcError};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn patched(at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut v = program("hello").to_vec();
    v[at..at + bytes.len()].copy_from_slice(bytes);
    v
}

fn main() {
    let warm =
        process::spawn_process(&spec("warm-up", Class::SoftIsolated, 0), program("quiet")).unwrap();
    process::wait(warm).unwrap();
    let good = program("hello");
    let phoff = u32::from_le_bytes(good[28..32].try_into().unwrap()) as usize;
    let bad_magic = patched(0, b"\x7fBAD");
    let bad_machine = patched(18, &[3, 0]);
    // First PT_LOAD's p_vaddr (phdr + 8) moved into the kernel.
    let over_kernel = patched(phoff + 8, &0xC010_0000u32.to_le_bytes());
    // Second PT_LOAD moved onto the first.
    let overlap = patched(phoff + 32 + 8, &0x0001_0000u32.to_le_bytes());
    // (The copies above grew the heap; count from here.)
    let before = kernel::mm::stats();
    let soft = spec("bad", Class::SoftIsolated, 0);
    let try_elf = |v: &[u8]| process::spawn_process(&soft, v);
    check(
        "bad magic",
        try_elf(&bad_magic) == Err(ProcError::BadElf(ElfError::BadMagic)),
    );
    check(
        "wrong machine",
        try_elf(&bad_machine) == Err(ProcError::BadElf(ElfError::BadMachine)),
    );
    check(
        "truncated",
        matches!(try_elf(&good[..40]), Err(ProcError::BadElf(_))),
    );
    check(
        "segment over the kernel",
        matches!(try_elf(&over_kernel), Err(ProcError::BadElf(_))),
    );
    check(
        "overlapping segments",
        matches!(try_elf(&overlap), Err(ProcError::BadElf(_))),
    );
    // A soft program (4 KiB layout) run as hard: its segments share a section.
    let hard = spec("bad-hard", Class::HardIsolated, 0);
    check(
        "a page-laid-out program as a hard task",
        process::spawn_process(&hard, good) == Err(ProcError::ClassViolation),
    );
    check("nothing stayed allocated", kernel::mm::stats() == before);
    finish()
}
