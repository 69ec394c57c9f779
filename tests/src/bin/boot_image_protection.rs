//! W^X on the kernel image from the first Rust instruction: text is read-only,
//! rodata read-only, data, stacks and the linear map are not executable, and a
//! stack's guard page is unmapped.

#![no_std]
#![no_main]

use arch::fault::{FaultKind, Level};
use arch::trap::{probe_exec, probe_read, probe_write};
use kernel::boot::sym;
use ktests::{check, finish};

kernel::entry!(main);

static mut DATA_WORD: u32 = 0xE12F_FF1E; // `bx lr`: harmless if it did execute
static RODATA_WORD: u32 = 0xE12F_FF1E;

fn main() {
    let perm_write = |addr: usize| matches!(probe_write(addr, 0), Some(f) if f.status.is_permission() && f.status.write);
    let xn = |addr: usize| matches!(probe_exec(addr), Some(f) if f.addr == addr as u32 && f.status.is_permission());
    let text = sym::text_start() as usize;
    check("text is readable", probe_read(text).is_ok());
    check("write to text faults (permission, write)", perm_write(text));
    check(
        "write to the last text page faults",
        perm_write(sym::text_end() as usize - 4),
    );
    let ro = &raw const RODATA_WORD as usize;
    check(
        "rodata is readable",
        probe_read(ro).ok() == Some(0xE12F_FF1E),
    );
    check("write to rodata faults", perm_write(ro));
    check("executing rodata faults (XN)", xn(ro));
    let data = &raw mut DATA_WORD as usize;
    check("data is writable", probe_write(data, 0xE12F_FF1E).is_none());
    check("executing data faults (XN)", xn(data));
    let stack_word = [0xE12F_FF1Eu32; 1];
    check(
        "executing the stack faults (XN)",
        xn(stack_word.as_ptr() as usize),
    );
    let bss = sym::bss_start() as usize;
    check("executing bss faults (XN)", xn(bss));
    let guard = sym::svc_stack_top() as usize - 0x4000 - 0x1000;
    check(
        "boot stack guard page is unmapped",
        matches!(probe_read(guard), Err(f) if f.status.kind == FaultKind::Translation(Level::Second)),
    );
    // A function in text still runs.
    extern "C" fn ret() {}
    check(
        "executing text works",
        probe_exec(ret as *const () as usize).is_none(),
    );
    finish()
}
