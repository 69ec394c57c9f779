//! The demo kernel that `cargo xtask run` boots: the banner, then a short
//! self-check of the properties the boot sequence promises.

#![no_std]
#![no_main]

use kernel::println;

kernel::entry!(main);

fn main() {
    println!("demo: self-check");
    let pc = arch::cpu::caller_pc() as u32;
    let sp = arch::cpu::stack_pointer() as u32;
    println!("    running at pc {pc:#010x}, sp {sp:#010x}");
    let low = arch::trap::probe_read(kernel::BOARD.ram_base as usize);
    println!(
        "    identity map removed: {}",
        if low.is_err() { "yes" } else { "NO" }
    );
    let text = kernel::boot::sym::text_start() as usize;
    let w = arch::trap::probe_write(text, 0);
    println!(
        "    kernel text write-protected: {}",
        if w.is_some() { "yes" } else { "NO" }
    );
    assert!(
        pc >= 0xC000_0000 && low.is_err() && w.is_some(),
        "self-check failed"
    );
    println!("demo: done");
}
