//! The boot measures the A9 global timer against a second clock and, in an
//! image built for QEMU (which runs by QEMU's fixed clocks), finds them
//! within 1 % of each other: the 24 MHz system-register counter on
//! vexpress-a9 and realview-pbx-a9. On Zynq a QEMU image skips its TTC
//! check (QEMU 7.2's TTC model stalls the machine after such use: see
//! `kernel::clocks`); that the check runs there, and warns when the clocks
//! disagree, is shown by `board_panic_resets`.
//! expect-output: clocks cross-check: as expected

#![no_std]
#![no_main]

use kernel::board::CheckClock;
use kernel::{BOARD, clocks, println};

kernel::entry!(main);

fn main() {
    assert_eq!(clocks::rates().periph_hz, BOARD.periph_clock_hz);
    let ppm = clocks::last_check_ppm();
    match BOARD.check_clock {
        Some(CheckClock::Sysregs24Mhz { .. }) => {
            let ppm = ppm.expect("the boot cross-checked the clocks");
            assert!(
                ppm.abs() <= clocks::TOLERANCE_PPM,
                "A9 timer vs the 24 MHz counter: {ppm} ppm"
            );
            println!("24 MHz counter agrees within 1 % ({ppm} ppm)");
        }
        Some(CheckClock::TtcCounter { .. }) | None => assert_eq!(ppm, None),
    }
    println!("clocks cross-check: as expected");
}
