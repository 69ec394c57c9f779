//! Loading user programs: ELF parsing (pure, host-tested) and, on the target,
//! mapping their segments into a process.

pub mod elf;
