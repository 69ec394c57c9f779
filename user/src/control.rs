//! A PID control law closed around a first-order plant, in `f32` and in
//! `f64`: the float-heavy workload of the hard-float programs (`fp_pid`,
//! `hard_fp_pid`).
//!
//! Only `+ - * /` and comparisons, which IEEE 754 rounds exactly one way,
//! and Rust never fuses a multiply and an add on its own: the same steps
//! give the same bits on the host (SSE2), in the kernel (software floats)
//! and on the Cortex-A9's VFPv3 (round to nearest, subnormals kept: FPSCR
//! 0, as the kernel hands the unit out). [`PID_F32_BITS`] and
//! [`PID_F64_BITS`] are the results of [`STEPS`] steps, computed on the
//! host (`cargo xtask test --host` checks them there).
//!
//! Pure `core` code: the user library, the integration tests and the
//! xtask's host tests all include this one file.

/// How many control periods the programs run.
pub const STEPS: u32 = 3000;

/// The bits of [`pid_f32`]`(STEPS, ..)`, computed on the host.
pub const PID_F32_BITS: u32 = 0x420f_aa43;

/// The bits of [`pid_f64`]`(STEPS, ..)`, computed on the host.
pub const PID_F64_BITS: u64 = 0x4041_f548_e495_8828;

macro_rules! pid_law {
    ($name:ident, $t:ty) => {
        /// Runs the PID law for `steps` periods of 1 ms against a plant
        /// with a 50 ms time constant, the set-point stepping between 1
        /// and -0.25 every 500 periods, with anti-windup and an output
        /// limit; calls `between` after each period (a yield, in a task).
        /// Returns the sum of the squared plant outputs, which every step
        /// changes.
        pub fn $name(steps: u32, mut between: impl FnMut()) -> $t {
            let (kp, ki, kd): ($t, $t, $t) = (2.4, 0.75, 0.08);
            let (dt, tau): ($t, $t) = (0.001, 0.05);
            let (mut x, mut integral, mut previous, mut sum): ($t, $t, $t, $t) =
                (0.0, 0.0, 0.0, 0.0);
            for k in 0..steps {
                let setpoint: $t = if (k / 500) % 2 == 0 { 1.0 } else { -0.25 };
                let error = setpoint - x;
                integral = (integral + error * dt).clamp(-5.0, 5.0);
                let derivative = (error - previous) / dt;
                previous = error;
                let u = (kp * error + ki * integral + kd * derivative).clamp(-10.0, 10.0);
                x += (u - x) * (dt / tau);
                sum += x * x;
                between();
            }
            sum
        }
    };
}

pid_law!(pid_f32, f32);
pid_law!(pid_f64, f64);
