//! Benchmark program (`cargo xtask bench`, `process_create_exit` and
//! `process_create_exit_shared`): exits at once with code 0. A sample is
//! creating a soft isolated process from this image, running it to its exit
//! and reclaiming it. With `arg` 1 it first waits on its granted
//! notification 0: the instance that keeps the image loaded while others
//! of it come and go.

#![no_std]
#![no_main]

user::main!(main);

fn main(arg: u32) -> i32 {
    if arg == 1 {
        let _ = user::notify_wait(user::Handle::granted(0));
    }
    0
}
