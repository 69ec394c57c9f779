//! A user-space driver in miniature: maps the first device it was granted and
//! reads the register at offset `arg`; a device it was not granted is refused.

#![no_std]
#![no_main]

user::main!(main);

fn main(offset: u32) -> i32 {
    let Ok(regs) = user::map_device(0) else {
        user::println!("devread: map_device(0) refused");
        return 1;
    };
    // SAFETY: regs maps the granted device's registers; offset is in its block.
    let v = unsafe { regs.add(offset as usize / 4).read_volatile() };
    user::println!("devread: register at +{offset:#x} = {v:#010x}");
    if user::map_device(1) != Err(user::Errno::Perm) {
        return 2;
    }
    0
}
