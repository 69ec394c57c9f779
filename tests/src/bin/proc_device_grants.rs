//! Devices are granted at their true size: a soft process gets the 4 KiB
//! page of its device's registers and is killed for touching the next page
//! (which on Zynq holds the SLCR or another timer); a hard process is
//! refused a device whose MiB the board does not mark as the device's
//! alone, and gets a whole section where it does (the LAN9118's chip
//! select on vexpress and realview, whose ID register it reads).

#![no_std]
#![no_main]

use kernel::BOARD;
use kernel::process::{self, Class, Device, KILLED, ProcError, Spec};
use ktests::{check, finish, program, spec};

kernel::entry!(main);

fn main() {
    // Whichever timer the board has: a block that shares its MiB.
    let timer = match (BOARD.sp804, BOARD.ttc) {
        (Some(sp), _) => Device {
            phys: sp.base,
            len: 0x20,
        },
        (None, Some(ttc)) => Device {
            phys: ttc.base,
            len: 0x64,
        },
        _ => panic!("every board here has an SP804 or a TTC"),
    };
    let devices = [timer];
    let free = kernel::mm::stats().free_pages;
    let soft = |offset| Spec {
        devices: &devices,
        ..spec("soft-dev", Class::SoftIsolated, offset)
    };
    let p = process::spawn_process(&soft(0x4), program("devread")).unwrap();
    check("a soft process reads its device", process::wait(p) == Ok(0));
    let p = process::spawn_process(&soft(0x1000), program("devread")).unwrap();
    check(
        "but the page after it is not mapped: killed",
        process::wait(p) == Ok(KILLED),
    );
    let hard = |devices| Spec {
        devices,
        budget: 0,
        ..spec("hard-dev", Class::HardIsolated, 0x50)
    };
    check(
        "a hard process is refused a device that shares its MiB",
        process::spawn_process(&hard(&devices), program("hard_devread"))
            == Err(ProcError::DeviceShared { phys: timer.phys }),
    );
    let bad = [Device {
        phys: 0xFFFF_F000,
        len: 0x2000,
    }];
    check(
        "a device range that wraps is refused",
        process::spawn_process(
            &Spec {
                devices: &bad,
                ..soft(0)
            },
            program("devread"),
        ) == Err(ProcError::Invalid),
    );
    match BOARD.device_sections.first() {
        Some(section) => {
            let lan = [Device {
                phys: section.base,
                len: 0x100,
            }];
            let p = process::spawn_process(&hard(&lan), program("hard_devread"));
            check("a hard process gets a whole device section", p.is_ok());
            // LAN9118 ID_REV (offset 0x50): chip ID 0x0118 in its high half.
            check(
                "and reads the device's ID there",
                process::wait(p.unwrap()) == Ok(0x0118),
            );
        }
        None => kernel::println!("{}: no MiB belongs to one device alone", BOARD.name),
    }
    check("no page leaked", kernel::mm::stats().free_pages == free);
    finish()
}
