//! Leaving QEMU: semihosting exit with a status code.
//!
//! QEMU must be started with `-semihosting-config enable=on`; on a real board
//! without a debugger the `svc 0x123456` would land in the kernel's own SVC
//! vector, so this exists only with the `semihosting` feature, which only
//! images built for QEMU have (`kernel/qemu`).

/// Ends the run: QEMU exits with `code` as its exit status.
#[cfg(feature = "semihosting")]
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}

/// The immediate of the semihosting `svc` in ARM state (QEMU, A-profile).
pub const SEMIHOSTING_SVC_IMM: u32 = 0x12_3456;
