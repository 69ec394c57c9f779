//! A soft isolated task that maps 1 MiB at a time until `mmap` says `NoMem`
//! and exits with the MiBs it got: its budget, when RAM is plentiful.

#![no_std]
#![no_main]

use user::{PROT_READ, PROT_WRITE};

user::main!(main);

fn main(_arg: u32) -> i32 {
    let mut mib = 0;
    loop {
        match user::mmap(1 << 20, PROT_READ | PROT_WRITE) {
            Ok(_) => mib += 1,
            Err(user::Errno::NoMem) => return mib,
            Err(_) => return -1,
        }
    }
}
