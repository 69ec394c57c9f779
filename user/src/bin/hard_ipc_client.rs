//! A hard isolated IPC client of its first granted endpoint (an echo server): `arg` 0: a
//! short and a 4 KiB call are answered (exit 0, or the failed step);
//! otherwise 200 calls 1 ms apart, exit code = the longest round trip in
//! µs (the rule that a hard client's call is not delayed by its server's
//! lower-priority work).

#![no_std]
#![no_main]

/// The endpoint granted first.
const EP: user::Handle = user::Handle::granted(0);

user::main!(main);

fn main(arg: u32) -> i32 {
    if arg == 0 {
        if user::call_words(EP, [1, 2, 3, 4]) != Ok([2, 3, 4, 5]) {
            return 1;
        }
        let mut buf = [0u8; 4096];
        buf[0] = 1;
        match user::call(EP, [0; 4], &mut buf, 4096, 0) {
            Ok(m) if m.len == 4096 && buf[4095] == 1 && buf[0] == 0 => 0,
            _ => 2,
        }
    } else {
        let mut worst = 0;
        for _ in 0..200 {
            user::sleep_until(user::now() + 1_000_000);
            let t0 = user::now();
            if user::call_words(EP, [1, 2, 3, 4]).is_err() {
                return 99_999;
            }
            worst = worst.max((user::now() - t0) / 1000);
        }
        worst.min(99_999) as i32
    }
}
