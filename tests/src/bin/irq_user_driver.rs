//! Interrupts in user space: a soft process drives the board's hardware
//! timer (SP804 on vexpress and realview, TTC0 on Zynq, from the board
//! data) through its IRQ line bound to a notification, counting 20
//! interrupts at 1 kHz and telling a client process of each; the line stays
//! masked until acked; it has one owner at a time; kernel lines cannot be
//! claimed; and a driver that dies with its line bound and unacked leaves
//! the line masked and free to claim again.
//!
//! Under `-icount`, as every test: the Zynq's TTC is restarted as its
//! interrupt is cleared (`user::timer`), which keeps QEMU's model of it
//! from stopping virtual time.
//! expect-output: timer_driver: 20 interrupts

#![no_std]
#![no_main]

use kernel::BOARD;
use kernel::handle::Rights;
use kernel::object::irqline::ClaimError;
use kernel::object::{KRef, Object};
use kernel::process::{self, Class, Device, Grant, KILLED, Spec};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

/// The timer: its registers, its IRQ, the driver's `arg` for 1 ms periods.
fn timer() -> Option<(Device, u32, u32)> {
    let t = BOARD.user_timer()?;
    let dev = Device {
        phys: t.base,
        len: t.len,
    };
    Some((dev, t.irq, t.driver_arg(1000)))
}

/// Starts the driver with `line`, which it then owns alone (ours is
/// dropped here).
fn spawn_driver(line: Object, client: &Object, dev: Device, arg: u32) -> u16 {
    let grants = [
        Grant {
            object: &line,
            rights: Rights::ACK,
        },
        Grant {
            object: client,
            rights: Rights::SIGNAL,
        },
    ];
    let devices = [dev];
    let driver = Spec {
        priority: 4,
        devices: &devices,
        handles: &grants,
        ..spec("timer-driver", Class::SoftIsolated, arg)
    };
    process::spawn_process(&driver, program("timer_driver")).unwrap()
}

fn main() {
    check(
        "a PPI is the kernel's",
        Object::new_irq(29).err() == Some(ClaimError::BadIrq),
    );
    check(
        "so is the console's line",
        Object::new_irq(BOARD.console.irq).err() == Some(ClaimError::Busy),
    );
    check(
        "no such line",
        Object::new_irq(1000).err() == Some(ClaimError::BadIrq),
    );
    let Some((dev, irq, arg)) = timer() else {
        kernel::println!("skipped: {} has no SP804 or TTC", BOARD.name);
        finish()
    };
    let free = kernel::mm::stats().free_pages;
    let client_n = Object::new_notification().unwrap();
    let line = Object::new_irq(irq).unwrap();
    check(
        "a second claim of a held line is Busy",
        Object::new_irq(irq).err() == Some(ClaimError::Busy),
    );
    let p = spawn_driver(line, &client_n, dev, arg);
    let n = client_n.notification().unwrap().clone();
    // The driver signals bit `count % 32` for its count-th interrupt, so
    // ticks that arrive while the client is away (bits merge) still count.
    let mut told = 0;
    while told < 20 {
        let bits = n.wait(Some(kernel::time::now() + 100_000_000));
        if bits == 0 {
            break; // nothing for 100 ms: the driver is stuck or gone
        }
        told += bits.count_ones();
    }
    check("the client was told of 20 ticks", told == 20);
    check(
        "the driver handled 20 interrupts",
        process::wait(p) == Ok(20),
    );
    // Its 20, and the one after its last ack, which it waited for.
    check(
        "the kernel counted 21 delivered",
        kernel::object::irqline::delivered(irq) == 21,
    );

    check(
        "its line is masked after its end",
        !kernel::irq::is_enabled(irq),
    );
    check(
        "and free: the notification's binding is gone",
        KRef::count(&n) == 2,
    );
    // A driver that dies with the line bound, the timer running and the
    // interrupt never acked.
    let line = Object::new_irq(irq);
    check("the line can be claimed again", line.is_ok());
    let p = spawn_driver(line.unwrap(), &client_n, dev, arg | 2 << 28);
    check(
        "the crashing driver was killed",
        process::wait(p) == Ok(KILLED),
    );
    check(
        "its line is masked although its timer still interrupts",
        !kernel::irq::is_enabled(irq),
    );
    check("no page leaked", kernel::mm::stats().free_pages == free);
    let again = Object::new_irq(irq);
    check("and its line is free to claim", again.is_ok());
    // Stop the timer the dead driver left running (its registers, in the
    // kernel's own mapping).
    let va = kernel::mm::ioremap(dev.phys & !0xFFF, 0x1000).unwrap();
    // SAFETY: va maps the timer's registers; no process drives it now.
    unsafe {
        if BOARD.sp804.is_some() {
            drivers::sp804::Sp804::new(va).stop()
        } else {
            drivers::cadence_ttc::CadenceTtc::new(va).stop()
        }
    }
    drop(again);
    finish()
}
