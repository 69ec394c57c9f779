//! The Cortex-A9 private watchdog granted to a kernel-bound task: one
//! holder at a time (a second claim is refused until the grant is
//! dropped), arming loads the counter with the timeout in PERIPHCLK ticks,
//! the counter runs down, and a kick puts it back up. (QEMU models the
//! watchdog's counter but not the reset at zero: that part is on paper.)

#![no_std]
#![no_main]

use kernel::process::{self, Class, Spec};
use kernel::watchdog::{self, WatchdogError};
use kernel::{println, thread};

kernel::entry!(main);

fn body(_mem: &'static mut [u8]) {
    let wd = watchdog::claim().expect("the watchdog is free");
    assert_eq!(watchdog::claim().unwrap_err(), WatchdogError::Busy);
    assert_eq!(wd.arm(0).unwrap_err(), WatchdogError::BadTimeout);
    assert_eq!(wd.kick().unwrap_err(), WatchdogError::NotArmed);
    // 50 ms: 5,000,000 ticks at QEMU's 100 MHz PERIPHCLK.
    wd.arm(50_000_000).expect("arm");
    let start = wd.remaining();
    assert!(start <= 5_000_000 && start > 4_000_000, "counter {start}");
    thread::sleep(10_000_000);
    let later = wd.remaining();
    assert!(
        later < start - 500_000,
        "counter did not run down: {start} -> {later}"
    );
    wd.kick().expect("armed");
    let kicked = wd.remaining();
    assert!(
        kicked > later + 500_000,
        "kick did not reload: {later} -> {kicked}"
    );
    println!("watchdog: armed {start}, after 10 ms {later}, kicked {kicked}");
    wd.disarm();
    drop(wd);
    let again = watchdog::claim().expect("free again after the drop");
    drop(again);
    println!("watchdog: grant ok");
}

fn main() {
    let spec = Spec {
        name: "wd-owner",
        class: Class::SoftKernel,
        priority: 8,
        budget: 64 << 10,
        devices: &[],
        handles: &[],
        arg: 0,
        threads: 0,
    };
    let pid = process::spawn_kernel_task(&spec, body).expect("kernel-bound task");
    assert_eq!(process::wait(pid), Ok(0));
}
