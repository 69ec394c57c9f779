//! The kernel runs in the higher half: its PC and stack are at 0xC0xx_xxxx,
//! the boot banner lists the virtual memory layout, and the linear map
//! ("lowmem") holds exactly the board's RAM from 0xC000_0000.
//! expect-output: Virtual kernel memory layout:
//! expect-output: lowmem : 0xc0000000 -
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
    // The banner's lowmem row ends at 0xC000_0000 + RAM size (0xd0000000 for
    // 256 MiB): the last word there reads, the next address faults (unless
    // RAM fills the whole 512 MiB window and the heap follows).
    let end = 0xC000_0000 + kernel::BOARD.ram_size as usize;
    check(
        "the linear map reaches the end of RAM",
        arch::trap::probe_read(end - 4).is_ok(),
    );
    if end < kernel::layout::HEAP_START as usize {
        check("and stops there", arch::trap::probe_read(end).is_err());
    }
    finish()
}
