//! The user side of `mm_fault_inject`: runs one system call at a time, as
//! the kernel test asks, while the test makes the N-th allocation of this
//! thread fail.
//!
//! Grants: 0 `go` (WAIT), 1 `done` (SIGNAL), 2 an IRQ line (ACK). The test
//! signals `go` with one bit, the command (`CMD_*` below); the program
//! runs it and signals `done` with bit 0 for success or bit `errno` for an
//! error. Before the first command it creates a 1 MiB memory object
//! (for `mem_map`: wherever it goes it needs new L2 tables) and maps a stack (for `thread_create`), then signals `done`
//! once. [`CMD_UNDO`] undoes the last success (closes the handle, unmaps,
//! joins the thread), so the next attempt starts from the same state;
//! [`CMD_EXIT`] ends the program with 0.

#![no_std]
#![no_main]

use user::abi::{self, Errno, PROT_READ, PROT_WRITE};
use user::{Handle, notify_signal, notify_wait};

user::main!(main);

const CMD_ENDPOINT: u32 = 1;
const CMD_NOTIFY: u32 = 2;
const CMD_DUP: u32 = 3;
const CMD_IRQ_BIND: u32 = 4;
const CMD_MEM: u32 = 5;
const CMD_DMA: u32 = 6;
const CMD_MEM_MAP: u32 = 7;
const CMD_THREAD: u32 = 8;
const CMD_UNDO: u32 = 30;
const CMD_EXIT: u32 = 31;

/// What a successful command made, for [`CMD_UNDO`].
enum Made {
    Handle(Handle),
    Mapping(*mut u8),
    Thread(Handle),
    Nothing,
}

extern "C" fn short_thread(arg: u32) -> ! {
    user::thread_exit(arg as i32)
}

fn main(_arg: u32) -> i32 {
    let go = Handle::granted(0);
    let done = Handle::granted(1);
    let line = Handle::granted(2);
    let Ok((object, _)) = user::mem_create(1 << 20, 0) else {
        return 1;
    };
    let Ok(stack) = user::mmap(4096, PROT_READ | PROT_WRITE) else {
        return 2;
    };
    let stack_top = stack.wrapping_add(4096);
    let mut last = Made::Nothing;
    let _ = notify_signal(done, 1);
    loop {
        let Ok(bits) = notify_wait(go) else {
            return 3;
        };
        let r: Result<Made, Errno> = match bits.trailing_zeros() {
            CMD_ENDPOINT => user::endpoint_create().map(Made::Handle),
            CMD_NOTIFY => user::notify_create().map(Made::Handle),
            CMD_DUP => user::handle_dup(go, abi::RIGHT_WAIT).map(Made::Handle),
            CMD_IRQ_BIND => user::irq_bind(line, done, 1 << 20).map(|()| Made::Nothing),
            CMD_MEM => user::mem_create(3 * 4096, 0).map(|(h, _)| Made::Handle(h)),
            CMD_DMA => user::mem_create(2 * 4096, abi::MEM_DMA).map(|(h, _)| Made::Handle(h)),
            CMD_MEM_MAP => user::mem_map(object, PROT_READ | PROT_WRITE).map(Made::Mapping),
            // At the process's own priority: it runs when this one waits.
            CMD_THREAD => user::thread_create(short_thread, stack_top, 7, 20).map(Made::Thread),
            CMD_UNDO => {
                let r = match core::mem::replace(&mut last, Made::Nothing) {
                    Made::Handle(h) => user::handle_close(h),
                    Made::Mapping(a) => user::mem_unmap(a),
                    Made::Thread(h) => match user::thread_join(h) {
                        Ok(7) => Ok(()),
                        Ok(_) => Err(Errno::Inval),
                        Err(e) => Err(e),
                    },
                    Made::Nothing => Ok(()),
                };
                r.map(|()| Made::Nothing)
            }
            CMD_EXIT => return 0,
            _ => Err(Errno::NoSys),
        };
        let answer = match r {
            Ok(made) => {
                if !matches!(made, Made::Nothing) {
                    last = made;
                }
                1
            }
            Err(e) => 1 << (e as u32),
        };
        let _ = notify_signal(done, answer);
    }
}
