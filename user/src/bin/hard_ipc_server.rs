//! A hard isolated IPC server: echo on its first granted endpoint (each word plus one, the
//! long message reversed); a call whose first word is `u32::MAX` is
//! answered and ends it.

#![no_std]
#![no_main]

/// The endpoint granted first.
const EP: user::Handle = user::Handle::granted(0);

user::main!(main);

fn main(_: u32) -> i32 {
    let mut buf = [0u8; 4096];
    let Ok(mut m) = user::recv(EP, &mut buf, 0) else {
        return 93;
    };
    loop {
        buf[..m.len as usize].reverse();
        let words = m.words.map(|w| w.wrapping_add(1));
        if m.words[0] == u32::MAX {
            return i32::from(user::reply(words, &[]).is_err());
        }
        m = match user::reply_recv(EP, words, &mut buf, m.len as usize, 0) {
            Ok(m) => m,
            Err(_) => return 94,
        };
    }
}
