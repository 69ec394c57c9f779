//! The demo's cooperating processes (`cargo xtask run`): a logger (soft,
//! two threads), a sensor driver (soft, two threads) that owns the board's
//! hardware timer and its interrupt, and a control loop (hard) that calls
//! both. In the library rather than in `main.rs` so that a test
//! (`irqsoff_demo_paths`) starts exactly the task set the demo runs.

use crate::BOARD;
use crate::handle::Rights;
use crate::object::Object;
use crate::process::{self, Class, Device, Grant, Spec};

/// Timer interrupts a second: the driver's sample rate (twice the control
/// loop's, which releases every 2 ms).
pub const SAMPLE_HZ: u32 = 1000;

/// The cooperating processes' pids and the IRQ line their driver owns.
#[derive(Clone, Copy, Debug)]
pub struct Cooperating {
    /// The hard control loop (`hard_demo_control`).
    pub control: u16,
    /// The sensor driver (`demo_driver`); its exit code is the interrupts
    /// it handled.
    pub driver: u16,
    /// The logger (`demo_logger`).
    pub logger: u16,
    /// The driver's interrupt line.
    pub irq: u32,
}

/// A process of the demo: no budget, devices or handles beyond the ones
/// the caller adds.
fn spec(name: &'static str, class: Class, priority: u8, arg: u32) -> Spec<'static> {
    Spec {
        name,
        class,
        priority,
        budget: 0,
        devices: &[],
        handles: &[],
        arg,
        threads: 0,
    }
}

/// Starts the three, the control loop running `control_releases` releases.
/// The endpoints, the notification and the timer's line are dropped here
/// once granted: the processes hold the only references. Panics if a
/// program is not embedded or a process is refused (the demo's set-up is
/// fixed; a refusal is a kernel bug).
pub fn start_cooperating(control_releases: u32) -> Cooperating {
    let sensor = Object::new_endpoint().expect("an endpoint");
    let log = Object::new_endpoint().expect("an endpoint");
    let alarm = Object::new_notification().expect("a notification");
    let grant = |object, rights| Grant { object, rights };
    let program = |name| process::program(name).expect("embedded by cargo xtask");
    let logger = process::spawn_process(
        &Spec {
            handles: &[grant(&log, Rights::RECEIVE), grant(&alarm, Rights::WAIT)],
            ..spec("logger", Class::SoftIsolated, 12, 0)
        },
        program("demo_logger"),
    )
    .expect("logger");
    // The timer's registers (one page) and its interrupt line, the
    // driver's alone.
    let timer = BOARD.user_timer().expect("every board has a timer to give");
    let line = Object::new_irq(timer.irq).expect("the timer's line is free");
    let devices = [Device {
        phys: timer.base,
        len: timer.len,
    }];
    let driver = process::spawn_process(
        &Spec {
            handles: &[
                grant(&sensor, Rights::RECEIVE),
                grant(&alarm, Rights::SIGNAL),
                grant(&line, Rights::ACK),
                grant(&log, Rights::SEND),
            ],
            devices: &devices,
            ..spec(
                "driver",
                Class::SoftIsolated,
                6,
                timer.driver_arg(SAMPLE_HZ),
            )
        },
        program("demo_driver"),
    )
    .expect("driver");
    let control = process::spawn_process(
        &Spec {
            handles: &[grant(&sensor, Rights::SEND), grant(&log, Rights::SEND)],
            ..spec("control", Class::HardIsolated, 3, control_releases)
        },
        program("hard_demo_control"),
    )
    .expect("control loop admitted");
    Cooperating {
        control,
        driver,
        logger,
        irq: timer.irq,
    }
}
