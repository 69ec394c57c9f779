//! A hard isolated periodic task that maps and unmaps its reserve (one
//! section of budget): 10 ms after its start it maps a section (`mmap`, from the budget reserved
//! at admission), writes it, unmaps it (which zeroes the section in its own
//! time) and maps it again; then `arg` releases of a 2 ms period at
//! absolute times, writing the mapped section at each; then it unmaps it,
//! waits one more period (so an observer polling every millisecond sees its
//! whole run before it exits) and exits with the count of releases it woke
//! more than `LATE` after, or 100 + a step number if a step failed.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE, println};

user::main!(main);

const PERIOD: u64 = 2_000_000;
/// Wake-up lateness above which a release counts as late. Measured under
/// the suite's QEMU (-icount shift=4,sleep=off): worst 15.6 us on every
/// board (printed as "worst"); 40 us is a 2.5x margin, far below the
/// period (the old rule allowed a whole 2 ms period).
const LATE: u64 = 40_000;
const SECTION: u32 = 1 << 20;

fn map_fresh() -> Result<*mut u32, i32> {
    let p = user::mmap(SECTION, PROT_READ | PROT_WRITE).map_err(|_| 101)?;
    let w = p.cast::<u32>();
    // SAFETY: p maps a whole section for us.
    if unsafe { w.add(SECTION as usize / 4 - 1).read_volatile() } != 0 {
        return Err(102);
    }
    Ok(w)
}

fn run(releases: u32) -> Result<i32, i32> {
    user::sleep_until(user::now() + 5 * PERIOD);
    let w = map_fresh()?;
    // SAFETY: w maps a whole section for us.
    unsafe { w.add(SECTION as usize / 4 - 1).write_volatile(0xABCD) };
    user::munmap(w.cast(), SECTION).map_err(|_| 103)?;
    let w = map_fresh()?;
    let mut next = user::now() + PERIOD;
    let mut late = 0;
    let mut worst = 0;
    for i in 0..releases {
        user::sleep_until(next);
        let lateness = user::now().saturating_sub(next);
        worst = worst.max(lateness);
        if lateness > LATE {
            late += 1;
        }
        // SAFETY: w maps a whole section for us until the munmap below.
        unsafe { w.add(i as usize * 1024).write_volatile(i) };
        next += PERIOD;
    }
    user::munmap(w.cast(), SECTION).map_err(|_| 104)?;
    println!("hard_churn: mmap, munmap, mmap; {releases} releases, {late} late, worst {worst} ns");
    user::sleep_until(user::now() + PERIOD);
    Ok(late)
}

fn main(releases: u32) -> i32 {
    run(releases).unwrap_or_else(|e| e)
}
