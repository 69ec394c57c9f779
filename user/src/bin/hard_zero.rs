//! A hard isolated task (budget: two sections) that checks its `mmap`
//! hands out zeroed sections without zeroing them at call time: each
//! `mmap` of a section must take under [`MAX_MMAP_INSNS`] instructions
//! (timed with the clock under QEMU's `-icount shift=4`: 16 ns each), and
//! read all zero, also after the task dirtied a section, unmapped it and
//! mapped it again (the same block comes back from the reserve).
//!
//! Exit codes: 0 ok, 1 an mmap failed, 2 memory not zero, 3 an mmap was
//! too slow, 4 munmap failed.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE, println};

user::main!(main);

/// Zeroing 1 MiB takes about 786,000 instructions; a table write a few
/// hundred. The bound leaves room for a timer interrupt or two.
const MAX_MMAP_INSNS: u64 = 20_000;
const SECTION: u32 = 1 << 20;
/// Instructions per ns of the clock under `-icount shift=4`.
const NS_PER_INSN: u64 = 16;

fn timed_mmap(worst: &mut u64) -> Result<*mut u32, i32> {
    let t0 = user::now();
    let p = user::mmap(SECTION, PROT_READ | PROT_WRITE).map_err(|_| 1)?;
    let insns = (user::now() - t0) / NS_PER_INSN;
    *worst = (*worst).max(insns);
    Ok(p.cast())
}

fn all_zero(p: *mut u32) -> bool {
    // SAFETY: p maps a whole section for us, read/write.
    (0..SECTION as usize / 4).all(|i| unsafe { p.add(i).read_volatile() } == 0)
}

fn dirty(p: *mut u32) {
    for i in 0..SECTION as usize / 4 {
        // SAFETY: as in all_zero.
        unsafe { p.add(i).write_volatile(0xDEAD_0000 | i as u32) };
    }
}

fn main(_arg: u32) -> i32 {
    let mut worst = 0;
    let run = |worst: &mut u64| -> Result<(), i32> {
        let a = timed_mmap(worst)?;
        let b = timed_mmap(worst)?;
        if !all_zero(a) || !all_zero(b) {
            return Err(2);
        }
        dirty(a);
        dirty(b);
        user::munmap(a.cast(), SECTION).map_err(|_| 4)?;
        let c = timed_mmap(worst)?;
        if !all_zero(c) {
            return Err(2);
        }
        dirty(c);
        user::munmap(c.cast(), SECTION).map_err(|_| 4)?;
        user::munmap(b.cast(), SECTION).map_err(|_| 4)?;
        let d = timed_mmap(worst)?;
        let e = timed_mmap(worst)?;
        if !all_zero(d) || !all_zero(e) {
            return Err(2);
        }
        Ok(())
    };
    let r = run(&mut worst);
    println!("hard_zero: worst section mmap {worst} instructions");
    match r {
        Err(code) => code,
        Ok(()) if worst > MAX_MMAP_INSNS => 3,
        Ok(()) => 0,
    }
}
