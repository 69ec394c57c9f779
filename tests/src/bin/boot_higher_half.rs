//! The kernel runs in the higher half: its PC and stack are at 0xC0xx_xxxx,
//! and the boot banner lists the virtual memory layout.
//! expect-output: Virtual kernel memory layout:
//! expect-output: lowmem : 0xc0000000 - 0xd0000000
//! expect-output: .text : 0xc0100000
//! expect-output: .rodata :
//! expect-output: .data :
//! expect-output: .bss :

#![no_std]
#![no_main]

use ktests::{check, finish};

kernel::entry!(main);

fn main() {
    let pc = arch::cpu::caller_pc() as u32;
    let sp = arch::cpu::stack_pointer() as u32;
    kernel::println!("pc {pc:#010x} sp {sp:#010x}");
    check(
        "pc in kernel text",
        (0xC010_0000..kernel::boot::sym::text_end()).contains(&pc),
    );
    let stack_top = kernel::boot::sym::svc_stack_top();
    check(
        "sp on the boot stack",
        (stack_top - 0x4000..stack_top).contains(&sp),
    );
    check("running in SVC mode", arch::cpu::mode() == 0x13);
    finish()
}
