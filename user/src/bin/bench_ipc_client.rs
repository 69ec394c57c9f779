//! Benchmark program (`cargo xtask bench`, `ipc_call_reply`,
//! `ipc_call_one_way`, `ipc_call_reply_4k`): calls the endpoint of its first
//! grant, served by `bench_ipc_server` in another process, 1000 times (after
//! 16 untimed calls), then tells the server to stop.
//!
//! `arg`: bits 0-30 the absolute start time in µs (see `user::bench`); bit
//! 31 set: each call carries a 4 KiB message (the reply is short).
//! Mailbox data: for each call, the counter just before the inlined `svc`
//! sequence and just after it returns (the server's mailbox holds when its
//! receive returned). Exit code 0, or the step that failed.

#![no_std]
#![no_main]

use user::bench::Bench;
use user::{Handle, abi};

user::main!(main);

const SAMPLES: usize = 1000;
const WARMUP: usize = 16;
/// The endpoint (grant 0, `SEND`).
const EP: Handle = Handle::granted(0);

fn main(arg: u32) -> i32 {
    let long = arg & 1 << 31 != 0;
    let (b, empty) = match Bench::start(arg & !(1 << 31)) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let mut buf = [0x5Au8; 4096];
    let (send, cap) = if long { (4096, 4096) } else { (0, 0) };
    let ptr = buf.as_mut_ptr() as u32;
    for k in 0..WARMUP + SAMPLES {
        let t0 = b.now();
        let (r, _) = user::ipc_syscall(abi::CALL, EP.0, [1, 2, 3, 4], ptr, send | cap << 16, 0, 0);
        let t1 = b.now();
        if r != 0 {
            return 10;
        }
        if let Some(i) = k.checked_sub(WARMUP) {
            b.record(2 * i, t0);
            b.record(2 * i + 1, t1);
        }
    }
    if user::call_words(EP, [u32::MAX; 4]).is_err() {
        return 11;
    }
    b.finish(2 * SAMPLES, empty, 0);
    0
}
