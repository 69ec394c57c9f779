//! After boot the identity map is gone: NULL and the physical RAM addresses
//! the stub ran at fault (translation fault), while the linear map still works.

#![no_std]
#![no_main]

use arch::fault::{FaultKind, Level};
use arch::trap::probe_read;
use ktests::{check, finish};

kernel::entry!(main);

fn main() {
    let translation = |addr: usize| {
        matches!(probe_read(addr), Err(f) if f.addr == addr as u32
            && f.status.kind == FaultKind::Translation(Level::First))
    };
    check("NULL read faults", translation(0));
    check("low address 0x1000 faults", translation(0x1000));
    let ram = kernel::BOARD.ram_base as usize;
    check("identity-mapped RAM base faults", translation(ram));
    check(
        "identity-mapped kernel image faults",
        translation(ram + 0x10_0000),
    );
    let linear = kernel::boot::phys_to_virt(kernel::BOARD.ram_base + 0x10_0000) as usize;
    check(
        "same RAM through the linear map reads",
        probe_read(linear).is_ok(),
    );
    finish()
}
