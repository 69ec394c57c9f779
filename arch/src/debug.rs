//! Leaving QEMU: semihosting exit with a status code.
//!
//! QEMU must be started with `-semihosting-config enable=on`; on a real board
//! without a debugger the call would trap, so the kernel only exits this way
//! when a run is over (the demo and the test images).

/// Ends the run: QEMU exits with `code` as its exit status.
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}
