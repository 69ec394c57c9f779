//! An IPC client of its first granted endpoint (an echo server unless said otherwise), for
//! the IPC tests; `arg` picks what it checks:
//! - 0: short and 4 KiB calls are answered (words plus one, bytes
//!   reversed); a buffer outside its memory gives `Fault`, an oversized
//!   message `TooBig`, a closed copy of its handle (it needs `TRANSFER`)
//!   `BadHandle`; exit 0 or the failed step;
//! - 1: sleeps 5 ms, then one call: exit code = its round trip in µs;
//! - 2: a call nobody receives and a receive nobody calls (its second) time
//!   out after about their timeouts; exit 0 or the failed step;
//! - 3: its call ends with `PeerGone` (the server goes); exit 0 or 1;
//! - 4: 200 calls 1 ms apart: exit code = the longest round trip in µs;
//! - 5: tells the server to stop (first word `u32::MAX`); exit 0 if it
//!   answered;
//! - 7: receives a notification moved with the reply (mode 6 server) and
//!   finds bit 0 pending on it; exit 0 or the failed step;
//! - 8: for a kernel-bound server: short calls answered, a long message
//!   `TooBig`, a handle moved to it; exit 0 or the failed step;
//! - 6: moves a handle to an endpoint of its own, served by a second
//!   thread, to the server (mode 5), which calls it; exit 0 if the answer
//!   came back through it, the handle left this process, and moving a
//!   handle without `TRANSFER`, or no handle at all, is refused.

#![no_std]
#![no_main]

use user::{Errno, abi, println};

/// The endpoint granted first.
const EP: user::Handle = user::Handle::granted(0);
/// The endpoint granted second.
const EP2: user::Handle = user::Handle::granted(1);

user::main!(main);

fn basic() -> i32 {
    if user::call_words(EP, [1, 2, 3, 4]) != Ok([2, 3, 4, 5]) {
        return 1;
    }
    let mut buf = [0u8; 4096];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = i as u8 ^ (i >> 8) as u8;
    }
    let m = match user::call(EP, [7; 4], &mut buf, 4096, 0) {
        Ok(m) => m,
        Err(_) => return 2,
    };
    let reversed = (0..4096).all(|i| buf[i] == ((4095 - i) as u8 ^ ((4095 - i) >> 8) as u8));
    if m.len != 4096 || m.words != [8; 4] || !reversed {
        return 3;
    }
    // A long message from memory that is not ours: Fault, and the server
    // still serves.
    let (r, _) = user::ipc_syscall(abi::CALL, EP.0, [0; 4], 0xC000_0000, 64, 0, 0);
    if Errno::check(r) != Err(Errno::Fault) {
        return 4;
    }
    let (r, _) = user::ipc_syscall(abi::CALL, EP.0, [0; 4], 0x10, 64, 0, 0);
    if Errno::check(r) != Err(Errno::Fault) {
        return 5;
    }
    let (r, _) = user::ipc_syscall(abi::CALL, EP.0, [0; 4], buf.as_ptr() as u32, 4097, 0, 0);
    if Errno::check(r) != Err(Errno::TooBig) {
        return 6;
    }
    if user::call_words(EP, [9, 9, 9, 9]) != Ok([10; 4]) {
        return 7;
    }
    // The fast path remembers the handle of a thread's last call: a closed
    // one must fail all the same, and the other still work.
    let Ok(dup) = user::handle_dup(EP, abi::RIGHT_SEND) else {
        return 8;
    };
    for _ in 0..2 {
        if user::call_words(dup, [1; 4]) != Ok([2; 4]) {
            return 9;
        }
    }
    if user::handle_close(dup).is_err() || user::call_words(dup, [1; 4]) != Err(Errno::BadHandle) {
        return 10;
    }
    if user::call_words(EP, [3; 4]) != Ok([4; 4]) {
        return 11;
    }
    println!(
        "ipc_client: short and 4 KiB calls answered; bad buffers refused; a closed handle refused"
    );
    0
}

fn timeouts() -> i32 {
    let t0 = user::now();
    if user::call(EP, [0; 4], &mut [], 0, 10_000) != Err(Errno::TimedOut) {
        return 1;
    }
    let waited = user::now() - t0;
    if !(10_000_000..30_000_000).contains(&waited) {
        println!("ipc_client: call timed out after {waited} ns");
        return 2;
    }
    let t0 = user::now();
    if user::recv(EP2, &mut [], 5_000) != Err(Errno::TimedOut) {
        return 3;
    }
    let waited = user::now() - t0;
    if !(5_000_000..25_000_000).contains(&waited) {
        return 4;
    }
    0
}

extern "C" fn own_server(ep: u32) -> ! {
    let ep = user::Handle(ep);
    let Ok(m) = user::recv(ep, &mut [], 0) else {
        user::thread_exit(1)
    };
    let _ = user::reply(m.words.map(|w| w + 100), &[]);
    user::thread_exit(0)
}

fn transfer() -> i32 {
    let Ok(mine) = user::endpoint_create() else {
        return 1;
    };
    let Ok(stack) = user::mmap(4096, user::PROT_READ | user::PROT_WRITE) else {
        return 2;
    };
    // SAFETY: the top of the page just mapped.
    let Ok(tid) = user::thread_create(own_server, unsafe { stack.add(4096) }, mine.0, 10) else {
        return 3;
    };
    // Without TRANSFER, or not a handle: refused, nothing sent.
    let Ok(no_transfer) = user::handle_dup(mine, abi::RIGHT_SEND) else {
        return 4;
    };
    if user::call_moving(EP, [0; 4], no_transfer) != Err(Errno::BadHandle) {
        return 5;
    }
    if user::call_moving(EP, [0; 4], user::Handle(0x7777)) != Err(Errno::BadHandle) {
        return 6;
    }
    let Ok(moved) = user::handle_dup(mine, abi::RIGHT_SEND | abi::RIGHT_TRANSFER) else {
        return 7;
    };
    if user::call_moving(EP, [1, 2, 3, 4], moved) != Ok([101, 102, 103, 104]) {
        return 8;
    }
    // The handle moved: it is not ours any more.
    if user::handle_close(moved) != Err(Errno::BadHandle) {
        return 9;
    }
    if user::thread_join(tid) != Ok(0) {
        return 10;
    }
    println!("ipc_client: a handle moved to the server, which called us through it");
    0
}

fn round_trip() -> u64 {
    let t0 = user::now();
    let ok = user::call_words(EP, [1, 2, 3, 4]).is_ok();
    let us = (user::now() - t0) / 1000;
    if ok { us } else { 99_999 }
}

/// Mode 8, for a kernel-bound server (short messages only): short calls
/// are answered, words plus one; a long message is `TooBig`; a handle
/// moved to it leaves this process (it answers 1 to a first word of
/// `u32::MAX - 1` when it got one); it still serves after each.
fn short_only() -> i32 {
    if user::call_words(EP, [1, 2, 3, 4]) != Ok([2, 3, 4, 5]) {
        return 1;
    }
    let mut buf = [0u8; 64];
    if user::call(EP, [0; 4], &mut buf, 64, 0).err() != Some(Errno::TooBig) {
        return 2;
    }
    let Ok(n) = user::notify_create() else {
        return 3;
    };
    // The kernel-bound server answers 1 when the handle reached it.
    if user::call_moving(EP, [u32::MAX - 1, 0, 0, 0], n) != Ok([1, 0, 0, 0]) {
        return 4;
    }
    if user::notify_poll(n) != Err(Errno::BadHandle) {
        return 6;
    }
    if user::call_words(EP, [9, 9, 9, 9]) != Ok([10; 4]) {
        return 5;
    }
    println!("ipc_client: a kernel-bound server answered short calls and took a handle");
    0
}

fn main(arg: u32) -> i32 {
    match arg {
        0 => basic(),
        1 => {
            user::sleep_until(user::now() + 5_000_000);
            round_trip().min(99_999) as i32
        }
        2 => timeouts(),
        3 => i32::from(user::call_words(EP, [0; 4]) != Err(Errno::PeerGone)),
        5 => i32::from(user::call_words(EP, [u32::MAX; 4]).is_err()),
        6 => transfer(),
        8 => short_only(),
        7 => match user::call(EP, [0; 4], &mut [], 0, 0) {
            Ok(m) => match m.handle.map(user::notify_poll) {
                Some(Ok(1)) => 0,
                Some(_) => 2,
                None => 3,
            },
            Err(_) => 1,
        },
        _ => {
            let mut worst = 0;
            for _ in 0..200 {
                user::sleep_until(user::now() + 1_000_000);
                worst = worst.max(round_trip());
            }
            worst.min(99_999) as i32
        }
    }
}
