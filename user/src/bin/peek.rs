//! Reads the word at the address given as its argument and prints it: used
//! to show that a process cannot read kernel memory or another process's
//! (it is killed for the fault instead).

#![no_std]
#![no_main]

user::main!(main);

fn main(addr: u32) -> i32 {
    user::println!("peek: reading {addr:#010x}");
    // SAFETY: deliberately unchecked: the point is whether the MMU allows it.
    let v = unsafe { (addr as *const u32).read_volatile() };
    user::println!("peek: read {v:#x}: isolation broken");
    1
}
