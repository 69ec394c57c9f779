//! A hard task's floating-point workout across IPC: an echo server (each
//! word plus one) on its first granted endpoint that loads d0-d31 and
//! FPSCR before each `reply_recv` and checks them when the next call
//! arrives (`user::vfp_check_across`). A call whose first word is
//! `u32::MAX` is answered and ends it; exits with the number of rounds in
//! which its registers came back wrong (100 000 if IPC failed).

#![no_std]
#![no_main]

/// The endpoint granted first.
const EP: user::Handle = user::Handle::granted(0);

user::main!(main);

fn main(arg: u32) -> i32 {
    let Ok(mut m) = user::recv(EP, &mut [], 0) else {
        return 100_000;
    };
    let mut failed = false;
    let bad = user::vfp_check_across(u64::from(arg) | 0x5e4e_0000_0000, u32::MAX, || {
        let words = m.words.map(|w| w.wrapping_add(1));
        if m.words[0] == u32::MAX {
            failed = user::reply(words, &[]).is_err();
            return false;
        }
        match user::reply_recv(EP, words, &mut [], 0, 0) {
            Ok(next) => {
                m = next;
                true
            }
            Err(_) => {
                failed = true;
                false
            }
        }
    });
    if failed { 100_000 } else { bad }
}
