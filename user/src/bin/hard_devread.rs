//! A hard process reads a register of the device it was granted (a whole
//! MiB the board marks as that device's): maps device 0 and exits with the
//! high half of the word at offset `arg`.

#![no_std]
#![no_main]

user::main!(main);

fn main(offset: u32) -> i32 {
    let Ok(regs) = user::map_device(0) else {
        return -1;
    };
    // SAFETY: regs maps the granted device; offset is inside its MiB.
    let v = unsafe { regs.add(offset as usize / 4).read_volatile() };
    user::println!("hard_devread: register at +{offset:#x} = {v:#010x}");
    (v >> 16) as i32
}
