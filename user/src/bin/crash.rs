//! Crashes on purpose, in the way `arg` picks: 0 reads NULL, 1 writes its own
//! text, 2 executes its stack, 3 runs an undefined instruction. Never exits
//! normally (exit code 99 would mean the fault did not happen).

#![no_std]
#![no_main]

user::main!(main);

fn main(how: u32) -> i32 {
    match how {
        0 => {
            // SAFETY: deliberately faulting: NULL is never mapped.
            unsafe { core::hint::black_box(core::ptr::null::<u32>()).read_volatile() };
        }
        1 => {
            // SAFETY: deliberately faulting: text is mapped read-only.
            unsafe { (main as *const () as *mut u32).write_volatile(0) };
        }
        2 => {
            let code = [0xE12F_FF1Eu32]; // bx lr
            // SAFETY: deliberately faulting: the stack is execute-never.
            let f: extern "C" fn() = unsafe { core::mem::transmute(code.as_ptr()) };
            f();
        }
        _ => {
            // SAFETY: deliberately undefined.
            unsafe { core::arch::asm!("udf #1") };
        }
    }
    99
}
