//! An IPC server on its first granted endpoint, for the IPC tests and the demo; `arg` picks
//! how it serves:
//! - 0: echo forever: each word plus one, the long message reversed;
//! - 1: receives one call and exits without replying (its caller, and any
//!   caller queued behind, get `PeerGone`);
//! - 2: forwards each call to its second and replies with that answer;
//! - 3: works 2 ms per call (a busy loop), then replies: run at a low
//!   priority, it shows donation;
//! - 4: echo, while a second thread of the process spins at priority 29
//!   (the server's own, lower-priority work);
//! - 5: each call must bring an endpoint handle: the server calls it with
//!   the call's words and replies with that answer (handle transfer);
//! - 6: answers each call with a new notification moved to the caller
//!   (bit 0 already signalled).
//!
//! A call whose first word is `u32::MAX` is answered and ends the server
//! (exit 0). Exit code otherwise: 90 + the step that failed.

#![no_std]
#![no_main]

use user::{Msg, PROT_READ, PROT_WRITE};

/// The endpoint granted first.
const EP: user::Handle = user::Handle::granted(0);
/// The endpoint granted second.
const EP2: user::Handle = user::Handle::granted(1);

user::main!(main);

fn echo(m: &Msg, buf: &mut [u8]) -> [u32; 4] {
    buf[..m.len as usize].reverse();
    m.words.map(|w| w.wrapping_add(1))
}

fn spin_ms(ms: u64) {
    let end = user::now() + ms * 1_000_000;
    while user::now() < end {}
}

extern "C" fn busy(_: u32) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

fn main(arg: u32) -> i32 {
    let mut buf = [0u8; 4096];
    if arg == 4 {
        let Ok(stack) = user::mmap(4096, PROT_READ | PROT_WRITE) else {
            return 91;
        };
        // SAFETY: the top of the page just mapped.
        let top = unsafe { stack.add(4096) };
        if user::thread_create(busy, top, 0, 29).is_err() {
            return 92;
        }
    }
    let Ok(mut m) = user::recv(EP, &mut buf, 0) else {
        return 93;
    };
    if arg == 1 {
        return 0;
    }
    loop {
        let (words, len) = match arg {
            2 => match user::call(EP2, m.words, &mut buf, m.len as usize, 0) {
                Ok(r) => (r.words, r.len as usize),
                Err(e) => ([e as u32; 4], 0),
            },
            3 => {
                spin_ms(2);
                (m.words, 0)
            }
            5 => match m.handle.map(|h| (h, user::call_words(h, m.words))) {
                Some((h, Ok(w))) => {
                    // Done with it: our moved handle is ours to close.
                    let closed = user::handle_close(h).is_ok();
                    (if closed { w } else { [0; 4] }, 0)
                }
                _ => ([0; 4], 0),
            },
            _ => (echo(&m, &mut buf), m.len as usize),
        };
        if m.words[0] == u32::MAX {
            return i32::from(user::reply(words, &[]).is_err());
        }
        if arg == 6 {
            let Ok(n) = user::notify_create() else {
                return 95;
            };
            if user::notify_signal(n, 1).is_err() || user::reply_moving([6; 4], n).is_err() {
                return 96;
            }
            // Moved: not ours any more.
            if user::handle_close(n) != Err(user::Errno::BadHandle) {
                return 97;
            }
            m = match user::recv(EP, &mut buf, 0) {
                Ok(m) => m,
                Err(_) => return 98,
            };
            continue;
        }
        m = match user::reply_recv(EP, words, &mut buf, len, 0) {
            Ok(m) => m,
            Err(_) => return 94,
        };
    }
}
