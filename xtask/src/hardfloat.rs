//! Hard-float user programs: which programs are built with the VFP and
//! NEON target features, with what flags, and the check that the compiler
//! really emitted floating-point instructions into them.
//!
//! A user program opts in with the line `//! build: hard-float` among the
//! `//!` lines at the top of its `user/src/bin/NAME.rs`. It is then built a
//! second time, apart from the others (its own target directory,
//! `target/<board>/hard-float/`), for the same `armv7a-none-eabi` target
//! with [`FEATURES`]: the compiler keeps floats in d0-d31 and emits VFPv3
//! and NEON instructions, while calls still pass floats in core registers
//! (the target's soft-float calling convention), so the prebuilt soft-float
//! `core` links unchanged. The `armv7a-none-eabihf` target would need a
//! second prebuilt `core` from rustup (or a nightly `build-std`), which a
//! machine with only the pinned toolchain cannot fetch. Every other program
//! stays soft-float: a program that never touches the unit never pays for
//! it (see `kernel::vfp`).

use std::path::Path;

/// The `//!` line that makes a user program hard-float.
pub const MARKER: &str = "build: hard-float";

/// The rustc flag of a hard-float program: turn the target's `soft-float`
/// off and the Cortex-A9's VFPv3 with 32 double registers and NEON on.
/// rustc 1.95 calls these features unstable (it would warn `unstable
/// feature specified for -Ctarget-feature` for every crate): the toolchain
/// is pinned, and [`vfp_instructions`] catches a compiler that stops
/// honouring them.
pub const FEATURES: &str = "-Ctarget-feature=-soft-float,+vfp3,+d32,+neon";

/// The rustflags of the hard-float build, as `CARGO_ENCODED_RUSTFLAGS`
/// takes them (separated by 0x1F): [`FEATURES`], and warnings off, since
/// the same sources are built (and linted by clippy) soft-float too, and
/// the only new warning would be the one about the features, once per
/// crate.
pub const RUSTFLAGS: &str = "-Ctarget-feature=-soft-float,+vfp3,+d32,+neon\x1f-Awarnings";

/// Whether a program's source asks to be built hard-float: [`MARKER`] on
/// one of the `//!` lines it starts with.
pub fn is_hard_float(source: &str) -> bool {
    source
        .lines()
        .map(str::trim)
        .take_while(|line| line.starts_with("//!"))
        .any(|line| line.trim_start_matches("//!").trim() == MARKER)
}

/// The hard-float programs among `names` (files in `dir`, `NAME.rs`).
pub fn programs(dir: &Path, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|name| {
            std::fs::read_to_string(dir.join(format!("{name}.rs")))
                .is_ok_and(|source| is_hard_float(&source))
        })
        .cloned()
        .collect()
}

/// Whether the A32 instruction `word` is a VFP or Advanced SIMD (NEON) one
/// (ARM ARM DDI 0406C, A5.1 and A7): a coprocessor instruction on
/// coprocessors 10 and 11 (loads and stores, register transfers, data
/// processing, VMRS/VMSR), or an unconditional Advanced SIMD data-processing
/// or element/structure load/store encoding.
pub fn is_vfp_or_neon(word: u32) -> bool {
    let cond = word >> 28;
    if cond == 0xF {
        // Advanced SIMD data processing: 1111 001x; element and structure
        // loads and stores: 1111 0100 xxx0.
        return word >> 25 == 0b111_1001 || (word >> 24 == 0xF4 && word & (1 << 20) == 0);
    }
    let op = (word >> 24) & 0xF;
    let coproc = (word >> 8) & 0xF;
    matches!(op, 0xC..=0xE) && coproc & 0b1110 == 0b1010
}

/// How many words of the executable segments of the 32-bit little-endian
/// ELF `elf` are VFP or NEON instructions ([`is_vfp_or_neon`]; a literal
/// pool word may count too, which is why a caller asks for at least one,
/// not for an exact number).
pub fn vfp_instructions(elf: &[u8]) -> Result<usize, String> {
    let u16_at = |at: usize| {
        elf.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
            .ok_or("truncated ELF header")
    };
    let u32_at = |at: usize| {
        elf.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or("truncated ELF header")
    };
    if elf.get(..6) != Some(b"\x7fELF\x01\x01") {
        return Err("not a 32-bit little-endian ELF".into());
    }
    let (phoff, phentsize, phnum) = (u32_at(0x1C)?, u16_at(0x2A)?, u16_at(0x2C)?);
    let mut count = 0;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        const PT_LOAD: usize = 1;
        const PF_X: usize = 1;
        if u32_at(ph)? != PT_LOAD || u32_at(ph + 24)? & PF_X == 0 {
            continue;
        }
        let (offset, size) = (u32_at(ph + 4)?, u32_at(ph + 16)?);
        let bytes = elf
            .get(offset..offset + size)
            .ok_or("an executable segment lies outside the file")?;
        count += bytes
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .filter(|&w| is_vfp_or_neon(w))
            .count();
    }
    Ok(count)
}

/// The PID law of the hard-float programs, for the host test of its
/// expected results.
#[cfg(test)]
#[path = "../../user/src/control.rs"]
mod control;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_law_gives_the_bits_the_programs_expect_on_the_host() {
        let f32_bits = control::pid_f32(control::STEPS, || ()).to_bits();
        let f64_bits = control::pid_f64(control::STEPS, || ()).to_bits();
        assert_eq!(f32_bits, control::PID_F32_BITS, "{f32_bits:#x}");
        assert_eq!(f64_bits, control::PID_F64_BITS, "{f64_bits:#x}");
    }

    #[test]
    fn the_encoded_flags_are_the_features_and_warnings_off() {
        let flags: Vec<&str> = RUSTFLAGS.split('\x1f').collect();
        assert_eq!(flags, [FEATURES, "-Awarnings"]);
    }

    #[test]
    fn the_marker_counts_only_in_the_leading_doc_lines() {
        assert!(is_hard_float(
            "//! A PID law.\n//!\n//! build: hard-float\n\n#![no_std]\n"
        ));
        assert!(is_hard_float("//!   build: hard-float  \nfn main() {}\n"));
        assert!(!is_hard_float("//! A PID law.\n\n//! build: hard-float\n"));
        assert!(!is_hard_float("// build: hard-float\n"));
        assert!(!is_hard_float("//! build: hard-floats\n"));
    }

    #[test]
    fn vfp_and_neon_encodings_are_recognised() {
        // From llvm-objdump of a hard-float build of the PID law.
        for word in [
            0xEE00_1A10, // vmov s0, r1
            0xEE21_0A00, // vmul.f32 s0, s2, s0
            0xEEF7_0B08, // vmov.f64 d16, #1.5
            0xEC43_2B32, // vmov d18, r2, r3
            0xEE42_1BA0, // vmla.f64 d17, d18, d16
            0xEC51_1B31, // vmov r0, r1, d17
            0xED9F_0B04, // vldr d0, [pc, #16]
            0xECBD_8B10, // vpop {d8-d15}
            0xEEF1_FA10, // vmrs APSR_nzcv, fpscr
            0xF260_080F, // vadd.i32 d16, d0, d15 (NEON)
            0xF460_0A8F, // vld1.32 {d16, d17}, [r0] (NEON)
        ] {
            assert!(is_vfp_or_neon(word), "{word:#010x}");
        }
        for word in [
            0xE92D_4800, // push {r11, lr}
            0xE1A0_B00D, // mov r11, sp
            0xEBFF_FFFE, // bl
            0xEE1D_0F70, // mrc p15, 0, r0, c13, c0, 3
            0xEF00_0000, // svc #0
            0xF57F_F04F, // dsb sy
            0xF5D0_F000, // pld [r0]
            0x3FF8_0000, // 1.5f64's high word in a literal pool
        ] {
            assert!(!is_vfp_or_neon(word), "{word:#010x}");
        }
    }

    /// A minimal ELF: one executable PT_LOAD segment holding `words`.
    fn elf_with(words: &[u32], flags: u32) -> Vec<u8> {
        let mut elf = vec![0u8; 0x54];
        elf[..6].copy_from_slice(b"\x7fELF\x01\x01");
        elf[0x1C..0x20].copy_from_slice(&0x34u32.to_le_bytes());
        elf[0x2A..0x2C].copy_from_slice(&32u16.to_le_bytes());
        elf[0x2C..0x2E].copy_from_slice(&1u16.to_le_bytes());
        let ph = 0x34;
        elf[ph..ph + 4].copy_from_slice(&1u32.to_le_bytes());
        elf[ph + 4..ph + 8].copy_from_slice(&0x54u32.to_le_bytes());
        elf[ph + 16..ph + 20].copy_from_slice(&(4 * words.len() as u32).to_le_bytes());
        elf[ph + 24..ph + 28].copy_from_slice(&flags.to_le_bytes());
        for w in words {
            elf.extend_from_slice(&w.to_le_bytes());
        }
        elf
    }

    #[test]
    fn only_executable_segments_are_counted() {
        let words = [0xE92D_4800, 0xEE21_0A00, 0xEE42_1BA0, 0xE8BD_8800];
        assert_eq!(vfp_instructions(&elf_with(&words, 5)), Ok(2));
        assert_eq!(vfp_instructions(&elf_with(&words, 6)), Ok(0));
        assert!(vfp_instructions(b"\x7fELF\x02\x01").is_err());
        let mut cut = elf_with(&words, 5);
        cut.truncate(0x58);
        assert!(vfp_instructions(&cut).is_err());
    }
}
