//! A panic in an image built for a board ends in the board's reset path,
//! not a hang. The harness builds this image as `cargo xtask image` does
//! (no `kernel/qemu`: no semihosting exit) and boots it without semihosting
//! and with `-no-reboot`: the kernel prints the report, runs the safe-state
//! hook and writes the board's reset register (Zynq SLCR PSS_RST_CTRL,
//! Versatile Express SYS_CFGCTRL reboot, RealView SYS_RESETCTL), which
//! QEMU turns into its exit with status 0. Without the reset the kernel
//! would park and the test time out.
//!
//! It also checks the clocks such an image runs by: on Zynq the ones the
//! SLCR gives (QEMU's reset values: PERIPHCLK 108.333 MHz), which QEMU's
//! fixed-rate timers do not follow, so the boot's cross-check must have
//! found them more than 1 % apart; on the other boards the board file's,
//! which the cross-check must have found right.
//! image: board
//! expect-exit: 0
//! expect-output: board image: clocks as expected
//! expect-output: *** KERNEL PANIC: deliberate panic in a board image
//! expect-output: rtk: calling the safe-state hook
//! expect-output: safe-state hook: outputs off
//! expect-output: rtk: resetting the board
//! timeout: 30

#![no_std]
#![no_main]

use kernel::board::ClockTree;
use kernel::{BOARD, clocks, println};

kernel::entry!(main);

fn safe_state() {
    kernel::console::emergency_print(format_args!("safe-state hook: outputs off\n"));
}

fn main() {
    let ppm = clocks::last_check_ppm().expect("the boot cross-checked the clocks");
    let rates = clocks::rates();
    let zynq = matches!(BOARD.clock_tree, ClockTree::ZynqSlcr { .. });
    println!(
        "board image: PERIPHCLK {} Hz, cross-check {ppm} ppm",
        rates.periph_hz
    );
    if zynq {
        assert_eq!(
            rates.periph_hz, 108_333_332,
            "Zynq clocks not from the SLCR"
        );
        assert!(ppm.abs() > clocks::TOLERANCE_PPM, "cross-check missed it");
    } else {
        assert_eq!(rates.periph_hz, BOARD.periph_clock_hz);
        assert!(ppm.abs() <= clocks::TOLERANCE_PPM);
    }
    println!("board image: clocks as expected");
    kernel::safe_end::set_safe_state_hook(safe_state);
    let n = core::hint::black_box(1);
    panic!("deliberate panic in a board image ({n})");
}
