//! Benchmark program: the server of `bench_ipc_client` (endpoint: its first
//! grant, `RECEIVE`). It answers each call with `reply_recv` (four words,
//! no long message) and records the counter as each receive returns; a
//! call whose first word is `u32::MAX` ends it. `arg`: the start time, as
//! for the client. Exit code 0, or the step that failed.

#![no_std]
#![no_main]

use user::Handle;
use user::bench::Bench;

user::main!(main);

const WARMUP: usize = 16;
const EP: Handle = Handle::granted(0);

fn main(arg: u32) -> i32 {
    let (b, empty) = match Bench::start(arg & !(1 << 31)) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let mut buf = [0u8; 4096];
    let Ok(mut m) = user::recv(EP, &mut buf, 0) else {
        return 10;
    };
    let mut k = 0usize;
    loop {
        let t = b.now();
        if m.words[0] == u32::MAX {
            break;
        }
        if let Some(i) = k.checked_sub(WARMUP) {
            b.record(i, t);
        }
        k += 1;
        m = match user::reply_recv(EP, [5, 6, 7, 8], &mut buf, 0, 0) {
            Ok(m) => m,
            Err(_) => return 11,
        };
    }
    let _ = user::reply([0; 4], &[]);
    b.finish(k.saturating_sub(WARMUP), empty, 0);
    0
}
