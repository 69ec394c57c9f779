//! The panic handler: report, then end the run with a failure status.

use crate::console::emergency_print;
use crate::{ExitCode, exit};

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    arch::cpu::interrupts_disable();
    emergency_print(format_args!("\n*** KERNEL PANIC: {}\n", info.message()));
    if let Some(loc) = info.location() {
        emergency_print(format_args!(
            "    at {}:{}:{}\n",
            loc.file(),
            loc.line(),
            loc.column()
        ));
    }
    exit(ExitCode::Panic)
}
