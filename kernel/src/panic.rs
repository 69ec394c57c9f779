//! The panic handler: report, then the fatal end (safe-state hook, then a
//! QEMU exit with status 101 or the board's reset: [`crate::safe_end`]).

use crate::ExitCode;
use crate::console::emergency_print;

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
    crate::safe_end::fatal(ExitCode::Panic)
}
