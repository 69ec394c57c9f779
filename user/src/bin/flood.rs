//! Floods the console: writes 200-byte lines (with a tab and a byte the
//! kernel shows as `?`) for `arg` ms, then exits with the number of lines
//! written. A `write` that does not report all 200 bytes ends it with -1.

#![no_std]
#![no_main]

user::main!(main);

/// Bytes per line, newline included.
const LINE: usize = 200;

fn main(arg: u32) -> i32 {
    let end = user::now() + arg as u64 * 1_000_000;
    let mut line = [b'.'; LINE];
    line[..6].copy_from_slice(b"flood ");
    line[12] = b'\t';
    line[13] = 0x7F;
    line[LINE - 1] = b'\n';
    let mut n: u32 = 0;
    while user::now() < end {
        let mut v = n;
        for d in line[6..12].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        if user::write(&line) != Ok(LINE as u32) {
            return -1;
        }
        n += 1;
    }
    n as i32
}
