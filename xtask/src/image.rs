//! `cargo xtask image [--board NAME]`: bootable files for a real board.
//!
//! Builds the demo kernel for the board and writes, under
//! `<target>/images/<board>/`:
//!
//! - `kernel.elf`: the ELF as linked (for JTAG debuggers, U-Boot's
//!   `bootelf -p`, QEMU's `-kernel`);
//! - `kernel.bin`: the raw memory image, made here from the ELF's `PT_LOAD`
//!   segments placed by physical address (what `objcopy -O binary` gives,
//!   without needing binutils or llvm-tools);
//! - `uImage`: `kernel.bin` behind a U-Boot legacy image header, for
//!   `bootm` (and QEMU's `-kernel`, which takes the same format).
//!
//! Everything is plain Rust: the ELF reader, the raw binary, the 64-byte
//! header and its CRC-32 (no `mkimage`).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::board::Board;
use crate::{Error, Result, cargo};

/// File names written into the image directory.
pub const ELF_NAME: &str = "kernel.elf";
/// The raw binary.
pub const BIN_NAME: &str = "kernel.bin";
/// The U-Boot legacy image.
pub const UIMAGE_NAME: &str = "uImage";

/// Where the images of `board` go: `<target>/images/<board>`.
pub fn image_dir(board: &Board) -> PathBuf {
    cargo::target_dir().join("images").join(board.name)
}

/// Runs `cargo xtask image` for `board` (with the IRQs-off profiler if
/// `irqsoff`): an image for the board itself, without the semihosting exit
/// (a panic resets the board; see `kernel::safe_end`).
pub fn image(board: &Board, irqsoff: bool) -> Result<u8> {
    let elf = cargo::build_kernel(board, irqsoff, cargo::Target::Board)?;
    let images = write_images(board, &elf)?;
    println!(
        "images for {} in {}:",
        board.name,
        crate::run::short_path(&images.dir).display()
    );
    println!("    {ELF_NAME:<11} the ELF (JTAG, U-Boot `bootelf -p`, QEMU -kernel)");
    println!(
        "    {BIN_NAME:<11} raw binary, {} bytes, to be placed at {:#010x}",
        images.size, images.load
    );
    println!(
        "    {UIMAGE_NAME:<11} U-Boot legacy image (`bootm`): load {:#010x}, entry {:#010x}",
        images.load, images.entry
    );
    println!(
        "console: {} baud on the UART at {:#010x}",
        board.console_baud, board.console.base
    );
    Ok(0)
}

/// What [`write_images`] wrote.
#[derive(Debug)]
pub struct Images {
    /// The directory holding them.
    pub dir: PathBuf,
    /// The U-Boot image.
    pub uimage: PathBuf,
    /// Physical load address (RAM base + 1 MiB).
    pub load: u32,
    /// Physical entry point (the boot stub's `_start`).
    pub entry: u32,
    /// Bytes of the raw binary.
    pub size: usize,
}

/// Writes the ELF, raw binary and uImage of the kernel `elf` built for
/// `board` into [`image_dir`].
pub fn write_images(board: &Board, elf: &Path) -> Result<Images> {
    let fail = |what: String| Error::new(1, what);
    let bytes =
        std::fs::read(elf).map_err(|e| fail(format!("cannot read {}: {e}", elf.display())))?;
    let parsed = parse_elf(&bytes).map_err(|e| fail(format!("{}: {e}", elf.display())))?;
    let (load, data) = raw_binary(&parsed).map_err(|e| fail(format!("{}: {e}", elf.display())))?;
    if load != board.load_address() {
        return Err(fail(format!(
            "{} is linked to load at {load:#010x}, but {} loads kernels at {:#010x} \
             (RAM base + 1 MiB): was it built for another board?",
            elf.display(),
            board.name,
            board.load_address()
        )));
    }
    let entry = parsed.entry;
    let header = uimage_header(&UImage {
        load,
        entry,
        time: timestamp(),
        name: &format!("rtk {} {}", env!("CARGO_PKG_VERSION"), board.name),
        data: &data,
    })
    .map_err(fail)?;

    let dir = image_dir(board);
    std::fs::create_dir_all(&dir)
        .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    let write = |name: &str, parts: &[&[u8]]| -> Result<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, parts.concat())
            .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    };
    write(ELF_NAME, &[&bytes])?;
    write(BIN_NAME, &[&data])?;
    let uimage = write(UIMAGE_NAME, &[&header, &data])?;
    Ok(Images {
        dir,
        uimage,
        load,
        entry,
        size: data.len(),
    })
}

/// The header's creation time: `$SOURCE_DATE_EPOCH` when set (reproducible
/// builds), else now.
fn timestamp() -> u32 {
    if let Some(epoch) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
    {
        return epoch;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}

/// A loadable piece of an ELF: the bytes the file holds for it and the
/// physical address they go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Physical (load) address, `p_paddr`.
    pub paddr: u32,
    /// The `p_filesz` bytes from the file (the zero-filled rest, `.bss` and
    /// the like, is the kernel's to clear).
    pub data: Vec<u8>,
}

/// The parts of an ELF a loader needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elf {
    /// `e_entry`: the kernel's is the physical `_start` (linker.ld
    /// `ENTRY(_start_phys)`).
    pub entry: u32,
    /// `PT_LOAD` segments with file contents, in file order.
    pub segments: Vec<Segment>,
}

/// Reads a 32-bit little-endian ARM executable ELF.
pub fn parse_elf(bytes: &[u8]) -> std::result::Result<Elf, String> {
    let u16_at = |at: usize| -> std::result::Result<u16, String> {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated ELF".to_string())
    };
    let u32_at = |at: usize| -> std::result::Result<u32, String> {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "truncated ELF".to_string())
    };
    if bytes.get(..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    // EI_CLASS 1: 32-bit; EI_DATA 1: little-endian.
    if bytes.get(4) != Some(&1) || bytes.get(5) != Some(&1) {
        return Err("not a 32-bit little-endian ELF".into());
    }
    const ET_EXEC: u16 = 2;
    const EM_ARM: u16 = 40;
    const PT_LOAD: u32 = 1;
    if u16_at(16)? != ET_EXEC || u16_at(18)? != EM_ARM {
        return Err("not an ARM executable".into());
    }
    let entry = u32_at(24)?;
    let phoff = u32_at(28)? as usize;
    let phentsize = u16_at(42)? as usize;
    let phnum = u16_at(44)? as usize;
    if phentsize < 32 {
        return Err(format!("program header entries of {phentsize} bytes"));
    }
    let mut segments = Vec::new();
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(ph)? != PT_LOAD {
            continue;
        }
        let offset = u32_at(ph + 4)? as usize;
        let paddr = u32_at(ph + 12)?;
        let filesz = u32_at(ph + 16)? as usize;
        if filesz == 0 {
            continue;
        }
        let data = bytes
            .get(offset..offset + filesz)
            .ok_or_else(|| format!("segment {i} lies outside the file"))?;
        segments.push(Segment {
            paddr,
            data: data.to_vec(),
        });
    }
    Ok(Elf { entry, segments })
}

/// Gaps between segments larger than this are refused (a raw binary is a
/// memory image: a huge gap would be a huge file of zeros).
const MAX_GAP: u32 = 1 << 20;

/// The raw memory image of `elf`: its loadable bytes from the lowest
/// physical address to the end of the highest segment's file contents, gaps
/// filled with zeros. Returns the load address and the bytes.
pub fn raw_binary(elf: &Elf) -> std::result::Result<(u32, Vec<u8>), String> {
    let mut segments: Vec<&Segment> = elf.segments.iter().collect();
    segments.sort_by_key(|s| s.paddr);
    let Some(first) = segments.first() else {
        return Err("no loadable segment".into());
    };
    let base = first.paddr;
    let mut image: Vec<u8> = Vec::new();
    for s in segments {
        let offset = s.paddr - base;
        let end = u64::from(s.paddr) + s.data.len() as u64;
        if end > 1 << 32 {
            return Err(format!("segment at {:#010x} runs past 4 GiB", s.paddr));
        }
        if (offset as usize) < image.len() {
            return Err(format!("segments overlap at {:#010x}", s.paddr));
        }
        let gap = offset as usize - image.len();
        if gap > MAX_GAP as usize {
            return Err(format!(
                "a gap of {gap} bytes before the segment at {:#010x}",
                s.paddr
            ));
        }
        image.resize(offset as usize, 0);
        image.extend_from_slice(&s.data);
    }
    if !(base..base + image.len() as u32).contains(&elf.entry) {
        return Err(format!(
            "the entry point {:#010x} is not in the loaded image ({base:#010x}, {} bytes)",
            elf.entry,
            image.len()
        ));
    }
    Ok((base, image))
}

/// The fields of a U-Boot legacy image.
#[derive(Clone, Copy, Debug)]
pub struct UImage<'a> {
    /// Where `bootm` (or QEMU) copies the data: the physical load address.
    pub load: u32,
    /// Where it jumps: the physical `_start`.
    pub entry: u32,
    /// Creation time, seconds since 1970.
    pub time: u32,
    /// Image name (at most 32 bytes are kept).
    pub name: &'a str,
    /// The payload: the raw binary.
    pub data: &'a [u8],
}

/// `ih_magic`.
pub const IH_MAGIC: u32 = 0x2705_1956;
/// `IH_OS_LINUX`. The kernel is not Linux, but this is the only OS value
/// both loaders handle the way it needs: QEMU's `-kernel` loads only
/// `IH_TYPE_KERNEL` images and U-Boot's `bootm` of an `IH_OS_LINUX` kernel
/// runs `cleanup_before_linux()` first (interrupts off, L1 data cache
/// cleaned and disabled, the Zynq's L2 cache controller flushed and
/// disabled, MMU off) and enters it in SVC mode with r0 = 0, r1 = machine
/// ID, r2 = ATAGs or device tree, which the boot stub ignores.
/// `IH_TYPE_STANDALONE` would be called as a C function with U-Boot's caches
/// and MMU still on, and QEMU refuses it.
pub const IH_OS_LINUX: u8 = 5;
/// `IH_ARCH_ARM`.
pub const IH_ARCH_ARM: u8 = 2;
/// `IH_TYPE_KERNEL`: an OS kernel, loaded at `ih_load` and entered at `ih_ep`.
pub const IH_TYPE_KERNEL: u8 = 2;
/// `IH_COMP_NONE`: the payload is not compressed.
pub const IH_COMP_NONE: u8 = 0;
/// Bytes of `ih_name`.
pub const IH_NMLEN: usize = 32;
/// Bytes of the header.
pub const HEADER_LEN: usize = 64;

/// Encodes the 64-byte U-Boot legacy header (every word big-endian) for
/// `image`: magic, header CRC, time, data size, load address, entry point,
/// data CRC, OS, architecture, type, compression, name. The header CRC is
/// the CRC-32 of the header with its own field zero.
pub fn uimage_header(image: &UImage) -> std::result::Result<[u8; HEADER_LEN], String> {
    let size = u32::try_from(image.data.len()).map_err(|_| "image over 4 GiB".to_string())?;
    let mut h = [0u8; HEADER_LEN];
    let words = [
        IH_MAGIC,
        0, // ih_hcrc, filled in below
        image.time,
        size,
        image.load,
        image.entry,
        crc32(image.data),
    ];
    for (i, word) in words.iter().enumerate() {
        h[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    h[28] = IH_OS_LINUX;
    h[29] = IH_ARCH_ARM;
    h[30] = IH_TYPE_KERNEL;
    h[31] = IH_COMP_NONE;
    let name = image.name.as_bytes();
    let n = name.len().min(IH_NMLEN);
    h[32..32 + n].copy_from_slice(&name[..n]);
    let hcrc = crc32(&h);
    h[4..8].copy_from_slice(&hcrc.to_be_bytes());
    Ok(h)
}

/// CRC-32 as zlib and U-Boot compute it (IEEE 802.3: polynomial 0x04C11DB7
/// reflected, initial value and final XOR 0xFFFF_FFFF).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    /// The header, byte by byte from the format; the two CRCs are zlib's
    /// (Python `zlib.crc32`), not this module's.
    #[test]
    fn header_matches_a_hand_built_one() {
        let header = uimage_header(&UImage {
            load: 0x0010_0000,
            entry: 0x0010_0000,
            time: 0x6543_2100,
            name: "rtk 0.1.0 xilinx-zynq-a9",
            data: b"123456789",
        })
        .unwrap();
        let mut expected = vec![
            0x27, 0x05, 0x19, 0x56, // ih_magic
            0x00, 0x00, 0x00, 0x00, // ih_hcrc (below)
            0x65, 0x43, 0x21, 0x00, // ih_time
            0x00, 0x00, 0x00, 0x09, // ih_size: 9 bytes
            0x00, 0x10, 0x00, 0x00, // ih_load
            0x00, 0x10, 0x00, 0x00, // ih_ep
            0xCB, 0xF4, 0x39, 0x26, // ih_dcrc: crc32("123456789")
            0x05, 0x02, 0x02, 0x00, // os Linux, arch ARM, type kernel, comp none
        ];
        expected.extend_from_slice(b"rtk 0.1.0 xilinx-zynq-a9");
        expected.resize(64, 0);
        expected[4..8].copy_from_slice(&HEADER_CRC.to_be_bytes());
        assert_eq!(header.to_vec(), expected);
        // What U-Boot checks: the CRC of the header with ih_hcrc zeroed.
        let mut zeroed = header;
        zeroed[4..8].fill(0);
        assert_eq!(crc32(&zeroed), HEADER_CRC);
    }

    /// zlib.crc32 of the expected header above with ih_hcrc = 0.
    const HEADER_CRC: u32 = 0xE0D0_D8F2;

    #[test]
    fn long_names_are_cut_to_32_bytes() {
        let name = "a name that is much longer than thirty-two bytes";
        let header = uimage_header(&UImage {
            load: 0,
            entry: 0,
            time: 0,
            name,
            data: &[],
        })
        .unwrap();
        assert_eq!(&header[32..], &name.as_bytes()[..32]);
        assert_eq!(&header[24..28], &[0, 0, 0, 0]); // crc32 of nothing
    }

    /// A minimal ELF: header, `phdrs` program headers, then `payload`.
    fn elf(entry: u32, phdrs: &[(u32, u32, u32, u32, u32)], payload: &[u8]) -> Vec<u8> {
        // (type, offset, paddr, filesz, memsz)
        let mut f = vec![0u8; 52];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 1;
        f[5] = 1;
        f[6] = 1;
        f[16..18].copy_from_slice(&2u16.to_le_bytes());
        f[18..20].copy_from_slice(&40u16.to_le_bytes());
        f[24..28].copy_from_slice(&entry.to_le_bytes());
        f[28..32].copy_from_slice(&52u32.to_le_bytes());
        f[42..44].copy_from_slice(&32u16.to_le_bytes());
        f[44..46].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for &(kind, offset, paddr, filesz, memsz) in phdrs {
            let mut ph = [0u8; 32];
            ph[0..4].copy_from_slice(&kind.to_le_bytes());
            ph[4..8].copy_from_slice(&offset.to_le_bytes());
            ph[8..12].copy_from_slice(&(paddr + 0xC000_0000).to_le_bytes());
            ph[12..16].copy_from_slice(&paddr.to_le_bytes());
            ph[16..20].copy_from_slice(&filesz.to_le_bytes());
            ph[20..24].copy_from_slice(&memsz.to_le_bytes());
            f.extend_from_slice(&ph);
        }
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn raw_binary_places_segments_by_physical_address() {
        let data = 52 + 4 * 32;
        let file = elf(
            0x0010_0000,
            &[
                (1, data, 0x0010_0000, 4, 4),          // text
                (6, 0, 0, 0, 0),                       // PT_PHDR: ignored
                (1, data + 4, 0x0010_0008, 2, 0x1000), // data, then bss
                (1, 0, 0x0010_2000, 0, 0x4000),        // NOLOAD: no bytes
            ],
            b"ABCDxy",
        );
        let parsed = parse_elf(&file).unwrap();
        assert_eq!(parsed.entry, 0x0010_0000);
        assert_eq!(parsed.segments.len(), 2);
        let (base, image) = raw_binary(&parsed).unwrap();
        assert_eq!(base, 0x0010_0000);
        assert_eq!(image, b"ABCD\0\0\0\0xy");
    }

    #[test]
    fn bad_elves_are_refused() {
        assert!(parse_elf(b"not an elf").is_err());
        let mut file = elf(0, &[], &[]);
        file[4] = 2; // 64-bit
        assert!(parse_elf(&file).is_err());
        let file = elf(0x100, &[(1, 1000, 0x100, 4, 4)], b"ABCD");
        assert!(parse_elf(&file).unwrap_err().contains("outside"));
        let file = elf(0x9999, &[(1, 84, 0x100, 4, 4)], b"ABCD");
        assert!(raw_binary(&parse_elf(&file).unwrap()).is_err());
        let overlapping = Elf {
            entry: 0x100,
            segments: vec![
                Segment {
                    paddr: 0x100,
                    data: vec![1; 8],
                },
                Segment {
                    paddr: 0x104,
                    data: vec![2; 8],
                },
            ],
        };
        assert!(raw_binary(&overlapping).unwrap_err().contains("overlap"));
        let empty = Elf {
            entry: 0,
            segments: vec![],
        };
        assert!(raw_binary(&empty).is_err());
    }
}
