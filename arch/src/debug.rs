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

/// The command line the debugger (QEMU's `-semihosting-config arg=...`)
/// passes, read into `buf`: `None` if there is none or it does not fit.
/// Test images take their parameters from it (`cargo xtask soak`).
#[cfg(feature = "semihosting")]
pub fn command_line(buf: &mut [u8]) -> Option<&str> {
    let uninit: &mut [core::mem::MaybeUninit<u8>] =
        // SAFETY: u8 and MaybeUninit<u8> have the same layout; the only
        // writer, the semihosting call, stores initialised bytes.
        unsafe { &mut *(buf as *mut [u8] as *mut [core::mem::MaybeUninit<u8>]) };
    let line = semihosting::sys::arm_compat::sys_get_cmdline_uninit(uninit).ok()?;
    core::str::from_utf8(line).ok()
}

/// Without semihosting (an image for a board) there is no command line.
#[cfg(not(feature = "semihosting"))]
pub fn command_line(_buf: &mut [u8]) -> Option<&str> {
    None
}

/// The immediate of the semihosting `svc` in ARM state (QEMU, A-profile).
pub const SEMIHOSTING_SVC_IMM: u32 = 0x12_3456;
