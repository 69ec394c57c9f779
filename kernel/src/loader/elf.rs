//! ELF32 parsing and checking for user programs.
//!
//! [`ElfImage::parse`] takes the bytes of a 32-bit little-endian ARM
//! executable (`ET_EXEC`, `EM_ARM`, `EV_CURRENT`) and either refuses it with
//! the [`ElfError`] that names the first problem found, or returns a view
//! whose entry point and `PT_LOAD` [`Segment`]s are safe for the loader to act
//! on without further checks. Nothing here maps memory; the loader does.
//!
//! No field is trusted. Every integer is read with `from_le_bytes` from a
//! sub-slice obtained with `get`, every sum is checked for `u32` overflow, and
//! all checks run before the image is handed out, so a hostile file can make
//! `parse` fail but not panic or read out of bounds. The checks that matter
//! for isolation are page-granular, because the loader maps whole 4 KiB pages:
//!
//! * every page a segment touches must lie inside the caller's
//!   [`Limits`] `[user_start, user_end)`, which keeps user mappings off the
//!   kernel;
//! * no two segments may touch the same page, even when their bytes do not
//!   overlap, because each segment's pages get that segment's access rights
//!   and one page cannot have two;
//! * no segment is both writable and executable (W^X);
//! * the entry point lies inside an executable segment.
//!
//! Headers other than `PT_LOAD` (`PT_ARM_EXIDX`, `PT_GNU_STACK`, ...) are
//! ignored, and so is a `PT_LOAD` with `p_memsz == 0`, which maps nothing.

use core::fmt;

/// Page size the loader maps with; the unit of the overlap and range checks.
const PAGE: u32 = 4096;
/// Size of the ELF32 file header.
const EHDR_SIZE: usize = 52;
/// Size of one ELF32 program header; `e_phentsize` must equal it.
const PHDR_SIZE: usize = 32;

const ELFCLASS32: u8 = 1;
const ELFDATA2LSB: u8 = 1;
const EV_CURRENT: u8 = 1;
const ET_EXEC: u16 = 2;
const EM_ARM: u16 = 40;
const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;

/// Where user mappings may go and how many segments a program may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Lowest user address (e.g. `0x0001_0000`, leaving page 0 unmapped).
    pub user_start: u32,
    /// End of the user range, exclusive (e.g. `0x4000_0000`).
    pub user_end: u32,
    /// Most `PT_LOAD` segments accepted.
    pub max_segments: usize,
}

/// Access rights of a segment, from its `p_flags` (`PF_R`, `PF_W`, `PF_X`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegFlags {
    /// Readable (`PF_R`).
    pub read: bool,
    /// Writable (`PF_W`).
    pub write: bool,
    /// Executable (`PF_X`).
    pub execute: bool,
}

impl SegFlags {
    /// Decodes `p_flags`, ignoring the OS- and processor-specific bits.
    pub const fn from_p_flags(p_flags: u32) -> Self {
        Self {
            read: p_flags & PF_R != 0,
            write: p_flags & PF_W != 0,
            execute: p_flags & PF_X != 0,
        }
    }
}

/// A `PT_LOAD` segment: `mem_size` bytes at `vaddr`, the first `file_size`
/// of them copied from the file at `file_offset`, the rest zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address of the first byte (`p_vaddr`).
    pub vaddr: u32,
    /// Size in memory (`p_memsz`); never zero for a segment from `parse`.
    pub mem_size: u32,
    /// Offset of the file bytes (`p_offset`).
    pub file_offset: u32,
    /// Number of file bytes (`p_filesz`), at most `mem_size`.
    pub file_size: u32,
    /// Access rights.
    pub flags: SegFlags,
    /// `p_align` as written, not checked: the loader maps page by page.
    pub align: u32,
}

impl Segment {
    /// The segment's bytes in the file (`file_size` of them). For a segment
    /// that did not come from `image` and lies outside it, this is empty.
    pub fn data<'a>(&self, image: &ElfImage<'a>) -> &'a [u8] {
        let start = self.file_offset as usize;
        start
            .checked_add(self.file_size as usize)
            .and_then(|end| image.bytes.get(start..end))
            .unwrap_or(&[])
    }

    /// First and last page number the segment touches (needs `mem_size > 0`).
    fn pages(&self) -> (u32, u32) {
        let last = self.vaddr.saturating_add(self.mem_size.saturating_sub(1));
        (self.vaddr / PAGE, last / PAGE)
    }

    /// Whether `addr` is one of the segment's bytes in memory.
    fn contains(&self, addr: u32) -> bool {
        addr >= self.vaddr && addr - self.vaddr < self.mem_size
    }
}

/// Why an executable was refused. Each names one check; when several fail,
/// the first found is reported (header first, then each segment in order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Shorter than the 52-byte ELF header.
    TruncatedHeader,
    /// The program header table runs past the end of the input.
    TruncatedProgramHeaders,
    /// A segment's file bytes run past the end of the input.
    TruncatedSegment,
    /// Does not start with `\x7fELF`.
    BadMagic,
    /// Not `ELFCLASS32`.
    BadClass,
    /// Not little-endian (`ELFDATA2LSB`).
    BadEndian,
    /// `EI_VERSION` or `e_version` is not `EV_CURRENT` (1).
    BadVersion,
    /// `e_type` is not `ET_EXEC` (e.g. a relocatable or shared object).
    NotExecutable,
    /// `e_machine` is not `EM_ARM` (40).
    BadMachine,
    /// `e_phentsize` is not 32, the size of an ELF32 program header.
    BadPhentsize,
    /// No `PT_LOAD` segment with a non-zero memory size.
    NoLoadSegments,
    /// More `PT_LOAD` segments than [`Limits::max_segments`].
    TooManySegments,
    /// A segment has `p_filesz > p_memsz`.
    FileSizeExceedsMemSize,
    /// `p_vaddr + p_memsz`, `p_offset + p_filesz` or
    /// `e_phoff + e_phnum * e_phentsize` does not fit in a `u32`.
    Overflow,
    /// A page the segment touches is outside `[user_start, user_end)`.
    OutsideUserRange,
    /// Two segments touch the same 4 KiB page (they would need different
    /// rights on it), whether or not their bytes overlap.
    Overlap,
    /// A segment is both writable and executable.
    WriteAndExecute,
    /// The entry point (ignoring the Thumb bit 0) is not inside an
    /// executable segment.
    EntryNotExecutable,
    /// `p_vaddr % 4096 != p_offset % 4096`, so file pages cannot be mapped
    /// at the segment's addresses.
    Misaligned,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TruncatedHeader => "file shorter than the ELF header",
            Self::TruncatedProgramHeaders => "program headers past end of file",
            Self::TruncatedSegment => "segment data past end of file",
            Self::BadMagic => "not an ELF file",
            Self::BadClass => "not a 32-bit ELF file",
            Self::BadEndian => "not little-endian",
            Self::BadVersion => "unknown ELF version",
            Self::NotExecutable => "not an executable (ET_EXEC)",
            Self::BadMachine => "not an ARM executable",
            Self::BadPhentsize => "bad program header size",
            Self::NoLoadSegments => "no loadable segment",
            Self::TooManySegments => "too many loadable segments",
            Self::FileSizeExceedsMemSize => "segment file size exceeds memory size",
            Self::Overflow => "address arithmetic overflows",
            Self::OutsideUserRange => "segment outside user address range",
            Self::Overlap => "segments share a page",
            Self::WriteAndExecute => "segment both writable and executable",
            Self::EntryNotExecutable => "entry point not in an executable segment",
            Self::Misaligned => "segment address and file offset differ modulo page size",
        })
    }
}

impl core::error::Error for ElfError {}

/// A checked ELF executable, borrowing the file's bytes.
#[derive(Clone, Copy, Debug)]
pub struct ElfImage<'a> {
    bytes: &'a [u8],
    entry: u32,
    phoff: usize,
    phnum: usize,
}

/// Reads the little-endian `u16` at `at`, if it is inside `bytes`.
fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(b.try_into().ok()?))
}

/// Reads the little-endian `u32` at `at`, if it is inside `bytes`.
fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

impl<'a> ElfImage<'a> {
    /// The whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Checks `bytes` as an ARM ELF32 executable whose segments must fit
    /// `limits`; see the module docs and [`ElfError`] for what is refused.
    pub fn parse(bytes: &'a [u8], limits: &Limits) -> Result<Self, ElfError> {
        let h = bytes.get(..EHDR_SIZE).ok_or(ElfError::TruncatedHeader)?;
        if h.get(..4) != Some(b"\x7fELF") {
            return Err(ElfError::BadMagic);
        }
        let ident = |i: usize| h.get(i).copied();
        if ident(4) != Some(ELFCLASS32) {
            return Err(ElfError::BadClass);
        }
        if ident(5) != Some(ELFDATA2LSB) {
            return Err(ElfError::BadEndian);
        }
        if ident(6) != Some(EV_CURRENT) {
            return Err(ElfError::BadVersion);
        }
        // `h` is 52 bytes long, so these reads cannot fail.
        let half = |at| le16(h, at).ok_or(ElfError::TruncatedHeader);
        let word = |at| le32(h, at).ok_or(ElfError::TruncatedHeader);
        if half(16)? != ET_EXEC {
            return Err(ElfError::NotExecutable);
        }
        if half(18)? != EM_ARM {
            return Err(ElfError::BadMachine);
        }
        if word(20)? != u32::from(EV_CURRENT) {
            return Err(ElfError::BadVersion);
        }
        let entry = word(24)?;
        let phoff = word(28)?;
        if usize::from(half(42)?) != PHDR_SIZE {
            return Err(ElfError::BadPhentsize);
        }
        // e_phnum == 0xffff (PN_XNUM) is taken literally; such a table would
        // need a 2 MiB file and is refused as truncated in practice.
        let phnum = half(44)?;
        // At most 65535 * 32, so the product fits; only the sum can overflow.
        let table_len = u32::from(phnum) * PHDR_SIZE as u32;
        let table_end = phoff.checked_add(table_len).ok_or(ElfError::Overflow)?;
        if table_end as usize > bytes.len() {
            return Err(ElfError::TruncatedProgramHeaders);
        }

        let image = Self {
            bytes,
            entry,
            phoff: phoff as usize,
            phnum: usize::from(phnum),
        };
        image.check_segments(limits)?;
        Ok(image)
    }

    /// The entry point as written, Thumb bit included: if bit 0 is set the
    /// program starts in Thumb state at `entry() & !1`.
    pub fn entry(&self) -> u32 {
        self.entry
    }

    /// The `PT_LOAD` segments with a non-zero memory size, in file order.
    pub fn segments(&self) -> impl Iterator<Item = Segment> + use<'a> {
        self.load_headers().filter(|s| s.mem_size != 0)
    }

    /// Every `PT_LOAD` header, including empty ones.
    fn load_headers(&self) -> impl Iterator<Item = Segment> + use<'a> {
        let (bytes, phoff) = (self.bytes, self.phoff);
        (0..self.phnum).filter_map(move |i| {
            let at = phoff.checked_add(i.checked_mul(PHDR_SIZE)?)?;
            let ph = bytes.get(at..at.checked_add(PHDR_SIZE)?)?;
            if le32(ph, 0)? != PT_LOAD {
                return None;
            }
            Some(Segment {
                file_offset: le32(ph, 4)?,
                vaddr: le32(ph, 8)?,
                file_size: le32(ph, 16)?,
                mem_size: le32(ph, 20)?,
                flags: SegFlags::from_p_flags(le32(ph, 24)?),
                align: le32(ph, 28)?,
            })
        })
    }

    /// Checks each segment alone, then pairs for shared pages, then the entry.
    fn check_segments(&self, limits: &Limits) -> Result<(), ElfError> {
        let mut count = 0;
        for seg in self.load_headers() {
            if seg.file_size > seg.mem_size {
                return Err(ElfError::FileSizeExceedsMemSize);
            }
            if seg.mem_size == 0 {
                continue;
            }
            count += 1;
            if count > limits.max_segments {
                return Err(ElfError::TooManySegments);
            }
            check_segment(&seg, self.bytes.len(), limits)?;
        }
        if count == 0 {
            return Err(ElfError::NoLoadSegments);
        }
        // Quadratic, but count <= max_segments, which the caller keeps small.
        for (i, a) in self.segments().enumerate() {
            let (a_first, a_last) = a.pages();
            for b in self.segments().skip(i + 1) {
                let (b_first, b_last) = b.pages();
                if a_first <= b_last && b_first <= a_last {
                    return Err(ElfError::Overlap);
                }
            }
        }
        let entry = self.entry & !1;
        if !self
            .segments()
            .any(|s| s.flags.execute && s.contains(entry))
        {
            return Err(ElfError::EntryNotExecutable);
        }
        Ok(())
    }
}

/// The checks that need only one segment (with `mem_size > 0`).
fn check_segment(seg: &Segment, file_len: usize, limits: &Limits) -> Result<(), ElfError> {
    let end = seg
        .vaddr
        .checked_add(seg.mem_size)
        .ok_or(ElfError::Overflow)?;
    let file_end = seg
        .file_offset
        .checked_add(seg.file_size)
        .ok_or(ElfError::Overflow)?;
    if file_end as usize > file_len {
        return Err(ElfError::TruncatedSegment);
    }
    if seg.vaddr % PAGE != seg.file_offset % PAGE {
        return Err(ElfError::Misaligned);
    }
    if seg.flags.write && seg.flags.execute {
        return Err(ElfError::WriteAndExecute);
    }
    // Whole pages, computed in u64 so rounding the end up cannot overflow.
    let page_start = u64::from(seg.vaddr - seg.vaddr % PAGE);
    let page_end = u64::from(end).next_multiple_of(u64::from(PAGE));
    if page_start < u64::from(limits.user_start) || page_end > u64::from(limits.user_end) {
        return Err(ElfError::OutsideUserRange);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    const LIMITS: Limits = Limits {
        user_start: 0x0001_0000,
        user_end: 0x4000_0000,
        max_segments: 8,
    };
    const R: u32 = PF_R;
    const RW: u32 = PF_R | PF_W;
    const RX: u32 = PF_R | PF_X;
    const PT_ARM_EXIDX: u32 = 0x7000_0001;
    const PT_GNU_STACK: u32 = 0x6474_e551;

    /// One program header for the builder.
    #[derive(Clone, Copy)]
    struct Ph {
        kind: u32,
        offset: u32,
        vaddr: u32,
        filesz: u32,
        memsz: u32,
        flags: u32,
    }

    fn load(offset: u32, vaddr: u32, filesz: u32, memsz: u32, flags: u32) -> Ph {
        Ph {
            kind: PT_LOAD,
            offset,
            vaddr,
            filesz,
            memsz,
            flags,
        }
    }

    fn put16(v: &mut [u8], at: usize, x: u16) {
        v[at..at + 2].copy_from_slice(&x.to_le_bytes());
    }

    fn put32(v: &mut [u8], at: usize, x: u32) {
        v[at..at + 4].copy_from_slice(&x.to_le_bytes());
    }

    /// Writes an ELF header and program headers (at offset 52) over a
    /// `file_len`-byte patterned buffer, so segment data is recognisable.
    fn build(entry: u32, phdrs: &[Ph], file_len: usize) -> Vec<u8> {
        let len = file_len.max(EHDR_SIZE + PHDR_SIZE * phdrs.len());
        let mut v: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
        v[..16].copy_from_slice(b"\x7fELF\x01\x01\x01\0\0\0\0\0\0\0\0\0");
        put16(&mut v, 16, ET_EXEC);
        put16(&mut v, 18, EM_ARM);
        put32(&mut v, 20, 1);
        put32(&mut v, 24, entry);
        put32(&mut v, 28, EHDR_SIZE as u32);
        put32(&mut v, 32, 0); // e_shoff: no section headers
        put32(&mut v, 36, 0x0500_0000); // e_flags: EABI version 5
        put16(&mut v, 40, EHDR_SIZE as u16);
        put16(&mut v, 42, PHDR_SIZE as u16);
        put16(&mut v, 44, phdrs.len() as u16);
        put16(&mut v, 46, 40);
        put16(&mut v, 48, 0);
        put16(&mut v, 50, 0);
        for (i, p) in phdrs.iter().enumerate() {
            let at = EHDR_SIZE + i * PHDR_SIZE;
            for (k, x) in [
                p.kind, p.offset, p.vaddr, p.vaddr, p.filesz, p.memsz, p.flags, PAGE,
            ]
            .into_iter()
            .enumerate()
            {
                put32(&mut v, at + 4 * k, x);
            }
        }
        v
    }

    const TEXT: Ph = Ph {
        kind: PT_LOAD,
        offset: 0x1000,
        vaddr: 0x0001_0000,
        filesz: 0x300,
        memsz: 0x300,
        flags: RX,
    };
    const DATA: Ph = Ph {
        kind: PT_LOAD,
        offset: 0x2000,
        vaddr: 0x0002_0000,
        filesz: 0x100,
        memsz: 0x2000,
        flags: RW,
    };
    const GOOD_LEN: usize = 0x2100;

    /// Text and data segments, plus an EXIDX header inside the text and an
    /// RWX GNU_STACK header, both of which must be ignored.
    fn good_phdrs() -> Vec<Ph> {
        let exidx = Ph {
            kind: PT_ARM_EXIDX,
            offset: 0x1200,
            vaddr: 0x0001_0200,
            filesz: 8,
            memsz: 8,
            flags: R,
        };
        let stack = Ph {
            kind: PT_GNU_STACK,
            flags: RW | PF_X,
            ..Ph::default()
        };
        std::vec![TEXT, exidx, DATA, stack]
    }

    impl Default for Ph {
        fn default() -> Self {
            load(0, 0, 0, 0, 0)
        }
    }

    fn good() -> Vec<u8> {
        build(0x0001_0000, &good_phdrs(), GOOD_LEN)
    }

    fn parse(bytes: &[u8]) -> Result<ElfImage<'_>, ElfError> {
        ElfImage::parse(bytes, &LIMITS)
    }

    /// Parses an image made of `phdrs` with entry in the text segment.
    fn parse_with(phdrs: &[Ph]) -> Result<(), ElfError> {
        let v = build(TEXT.vaddr, phdrs, GOOD_LEN);
        parse(&v).map(|_| ())
    }

    #[test]
    fn good_image() {
        let v = good();
        let img = parse(&v).unwrap();
        assert_eq!(img.entry(), 0x0001_0000);
        let segs: Vec<Segment> = img.segments().collect();
        assert_eq!(
            segs,
            [
                Segment {
                    vaddr: 0x0001_0000,
                    mem_size: 0x300,
                    file_offset: 0x1000,
                    file_size: 0x300,
                    flags: SegFlags::from_p_flags(RX),
                    align: PAGE,
                },
                Segment {
                    vaddr: 0x0002_0000,
                    mem_size: 0x2000,
                    file_offset: 0x2000,
                    file_size: 0x100,
                    flags: SegFlags {
                        read: true,
                        write: true,
                        execute: false
                    },
                    align: PAGE,
                },
            ]
        );
        assert!(segs[0].flags.execute && !segs[0].flags.write);
        assert_eq!(segs[0].data(&img), &v[0x1000..0x1300]);
        assert_eq!(segs[1].data(&img), &v[0x2000..0x2100]);
        // A segment made up by hand and lying outside the file has no data.
        let bogus = Segment {
            file_offset: u32::MAX,
            ..segs[0]
        };
        assert_eq!(bogus.data(&img), &[] as &[u8]);
    }

    #[test]
    fn thumb_entry_accepted() {
        let v = build(0x0001_0101, &good_phdrs(), GOOD_LEN);
        assert_eq!(parse(&v).unwrap().entry(), 0x0001_0101);
    }

    #[test]
    fn empty_load_segment_is_ignored() {
        let empty = load(0x9000, 0xC000_0000, 0, 0, RW | PF_X);
        assert_eq!(parse_with(&[TEXT, empty, DATA]), Ok(()));
        let v = build(TEXT.vaddr, &[TEXT, empty, DATA], GOOD_LEN);
        assert_eq!(parse(&v).unwrap().segments().count(), 2);
    }

    #[test]
    fn too_short_for_header() {
        let v = good();
        assert_eq!(
            parse(&v[..EHDR_SIZE - 1]).unwrap_err(),
            ElfError::TruncatedHeader
        );
        assert_eq!(parse(&[]).unwrap_err(), ElfError::TruncatedHeader);
    }

    #[test]
    fn program_headers_past_end() {
        let mut v = good();
        let len = v.len() as u32;
        put32(&mut v, 28, len - 3 * PHDR_SIZE as u32);
        assert_eq!(parse(&v).unwrap_err(), ElfError::TruncatedProgramHeaders);
    }

    #[test]
    fn segment_data_past_end() {
        let v = good();
        assert_eq!(
            parse(&v[..GOOD_LEN - 1]).unwrap_err(),
            ElfError::TruncatedSegment
        );
    }

    #[test]
    fn bad_magic() {
        let mut v = good();
        v[1] = b'e';
        assert_eq!(parse(&v).unwrap_err(), ElfError::BadMagic);
    }

    #[test]
    fn wrong_class() {
        let mut v = good();
        v[4] = 2; // ELFCLASS64
        assert_eq!(parse(&v).unwrap_err(), ElfError::BadClass);
    }

    #[test]
    fn wrong_endianness() {
        let mut v = good();
        v[5] = 2; // ELFDATA2MSB
        assert_eq!(parse(&v).unwrap_err(), ElfError::BadEndian);
    }

    #[test]
    fn wrong_version() {
        let mut v = good();
        v[6] = 0;
        assert_eq!(parse(&v).unwrap_err(), ElfError::BadVersion);
        let mut v = good();
        put32(&mut v, 20, 2);
        assert_eq!(parse(&v).unwrap_err(), ElfError::BadVersion);
    }

    #[test]
    fn not_an_executable() {
        let mut v = good();
        put16(&mut v, 16, 3); // ET_DYN
        assert_eq!(parse(&v).unwrap_err(), ElfError::NotExecutable);
    }

    #[test]
    fn wrong_machine() {
        let mut v = good();
        put16(&mut v, 18, 183); // EM_AARCH64
        assert_eq!(parse(&v).unwrap_err(), ElfError::BadMachine);
    }

    #[test]
    fn bad_phentsize() {
        for size in [0, 31, 56] {
            let mut v = good();
            put16(&mut v, 42, size);
            assert_eq!(parse(&v).unwrap_err(), ElfError::BadPhentsize);
        }
    }

    #[test]
    fn no_load_segments() {
        let stack = Ph {
            kind: PT_GNU_STACK,
            ..TEXT
        };
        assert_eq!(parse_with(&[stack]), Err(ElfError::NoLoadSegments));
        assert_eq!(parse_with(&[]), Err(ElfError::NoLoadSegments));
    }

    #[test]
    fn too_many_segments() {
        let v = good();
        let one = Limits {
            max_segments: 1,
            ..LIMITS
        };
        assert_eq!(
            ElfImage::parse(&v, &one).unwrap_err(),
            ElfError::TooManySegments
        );
    }

    #[test]
    fn file_size_exceeds_mem_size() {
        let data = Ph {
            memsz: 0x80,
            ..DATA
        };
        assert_eq!(
            parse_with(&[TEXT, data]),
            Err(ElfError::FileSizeExceedsMemSize)
        );
        let empty = Ph { memsz: 0, ..DATA };
        assert_eq!(
            parse_with(&[TEXT, empty]),
            Err(ElfError::FileSizeExceedsMemSize)
        );
    }

    #[test]
    fn vaddr_plus_mem_size_overflows() {
        let data = Ph {
            vaddr: 0xFFFF_F000,
            memsz: 0x2000,
            ..DATA
        };
        assert_eq!(parse_with(&[TEXT, data]), Err(ElfError::Overflow));
    }

    #[test]
    fn offset_plus_file_size_overflows() {
        let data = Ph {
            offset: 0xFFFF_F000,
            filesz: 0x1001,
            ..DATA
        };
        assert_eq!(parse_with(&[TEXT, data]), Err(ElfError::Overflow));
    }

    #[test]
    fn program_header_table_end_overflows() {
        let mut v = good();
        put32(&mut v, 28, 0xFFFF_FFF0);
        assert_eq!(parse(&v).unwrap_err(), ElfError::Overflow);
    }

    #[test]
    fn segment_outside_user_range() {
        let cases = [
            0x0000_8000, // below user_start (the null guard)
            0x3FFF_F000, // runs past user_end
            0xC000_0000, // in the kernel's half
        ];
        for vaddr in cases {
            let data = Ph { vaddr, ..DATA };
            assert_eq!(parse_with(&[TEXT, data]), Err(ElfError::OutsideUserRange));
        }
        // Page-granular: the page holding 0x10200 starts below 0x10100.
        let v = build(
            0x0001_0200,
            &[Ph {
                vaddr: 0x0001_0200,
                offset: 0x1200,
                ..TEXT
            }],
            GOOD_LEN,
        );
        let limits = Limits {
            user_start: 0x0001_0100,
            ..LIMITS
        };
        assert_eq!(
            ElfImage::parse(&v, &limits).unwrap_err(),
            ElfError::OutsideUserRange
        );
        // The last page may end exactly at user_end.
        let top = Ph {
            vaddr: 0x3FFF_E000,
            ..DATA
        };
        assert_eq!(parse_with(&[TEXT, top]), Ok(()));
    }

    #[test]
    fn segments_overlap() {
        let bytes = Ph {
            vaddr: 0x0001_0100,
            offset: 0x2100,
            filesz: 0,
            ..DATA
        };
        assert_eq!(parse_with(&[TEXT, bytes]), Err(ElfError::Overlap));
        // Disjoint bytes, but the data starts in the text's last page.
        let page = Ph {
            vaddr: 0x0001_0800,
            offset: 0x1800,
            ..DATA
        };
        assert_eq!(parse_with(&[TEXT, page]), Err(ElfError::Overlap));
        assert_eq!(parse_with(&[page, TEXT]), Err(ElfError::Overlap));
        // The next page is fine.
        let next = Ph {
            vaddr: 0x0001_1000,
            ..DATA
        };
        assert_eq!(parse_with(&[TEXT, next]), Ok(()));
    }

    #[test]
    fn writable_and_executable() {
        let data = Ph {
            flags: RW | PF_X,
            ..DATA
        };
        assert_eq!(parse_with(&[TEXT, data]), Err(ElfError::WriteAndExecute));
    }

    #[test]
    fn entry_not_executable() {
        for entry in [0x0002_0000, 0x0001_0300, 0x0005_0000, 0] {
            let v = build(entry, &good_phdrs(), GOOD_LEN);
            assert_eq!(
                parse(&v).unwrap_err(),
                ElfError::EntryNotExecutable,
                "{entry:#x}"
            );
        }
    }

    #[test]
    fn vaddr_and_offset_not_congruent() {
        let data = Ph {
            vaddr: 0x0002_0010,
            ..DATA
        };
        assert_eq!(parse_with(&[TEXT, data]), Err(ElfError::Misaligned));
    }

    /// What every accepted image must satisfy, whatever its bytes.
    fn check_accepted(bytes: &[u8], img: &ElfImage<'_>) {
        let segs: Vec<Segment> = img.segments().collect();
        assert!(!segs.is_empty() && segs.len() <= LIMITS.max_segments);
        for (i, s) in segs.iter().enumerate() {
            let end = u64::from(s.vaddr) + u64::from(s.mem_size);
            assert!(s.mem_size > 0 && s.file_size <= s.mem_size);
            assert!(u64::from(s.vaddr) >= u64::from(LIMITS.user_start));
            assert!(end <= u64::from(LIMITS.user_end));
            assert!(u64::from(s.file_offset) + u64::from(s.file_size) <= bytes.len() as u64);
            assert_eq!(s.data(img).len(), s.file_size as usize);
            assert_eq!(s.vaddr % PAGE, s.file_offset % PAGE);
            assert!(!(s.flags.write && s.flags.execute));
            for t in &segs[i + 1..] {
                let (a, b) = (s.pages(), t.pages());
                assert!(a.1 < b.0 || b.1 < a.0, "segments share a page");
            }
        }
        let entry = img.entry() & !1;
        assert!(segs.iter().any(|s| s.flags.execute && s.contains(entry)));
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Random byte writes and bit flips (mostly in the headers, where
        /// they matter) and truncation never panic, and whatever is accepted
        /// is still sound.
        #[test]
        fn mutations_never_panic(
            writes in proptest::collection::vec(
                (any::<bool>(), any::<prop::sample::Index>(), any::<u8>(), any::<bool>()),
                0..8,
            ),
            cut in proptest::option::weighted(0.2, any::<prop::sample::Index>()),
        ) {
            let mut v = good();
            let headers = EHDR_SIZE + PHDR_SIZE * good_phdrs().len();
            for (in_headers, at, byte, flip) in writes {
                let at = at.index(if in_headers { headers } else { v.len() });
                if flip {
                    v[at] ^= 1 << (byte % 8);
                } else {
                    v[at] = byte;
                }
            }
            if let Some(cut) = cut {
                v.truncate(cut.index(v.len() + 1));
            }
            if let Ok(img) = parse(&v) {
                check_accepted(&v, &img);
            }
        }
    }

    /// Cases of [`elf_mutations`]: `RTK_ELF_FUZZ_CASES` (`cargo xtask soak`
    /// sets it, 1,000,000 by default), else a short run for `cargo xtask test`.
    fn fuzz_cases() -> u32 {
        std::env::var("RTK_ELF_FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3000)
    }

    /// Offsets and widths of every header field a loader reads: the file
    /// header's, then each program header's.
    fn fields(phnum: usize) -> Vec<(usize, usize)> {
        let mut f = vec![
            (16, 2), // e_type
            (18, 2), // e_machine
            (20, 4), // e_version
            (24, 4), // e_entry
            (28, 4), // e_phoff
            (42, 2), // e_phentsize
            (44, 2), // e_phnum
        ];
        for i in 0..phnum {
            let p = EHDR_SIZE + i * PHDR_SIZE;
            // p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags
            f.extend([0, 4, 8, 12, 16, 20, 24].map(|o| (p + o, 4)));
        }
        f
    }

    /// Values a field overwrite picks from: boundaries of the integer, of a
    /// page, of the user range and of the file, and the field's neighbours.
    fn boundary(pick: u32, file_len: usize, old: u32) -> u32 {
        let len = file_len as u32;
        let values = [
            0,
            1,
            2,
            PAGE - 1,
            PAGE,
            PAGE + 1,
            0x7FFF_FFFF,
            0x8000_0000,
            0xFFFF_F000,
            0xFFFF_FFFF,
            0xFFFF_FFFE,
            0xFFFF,
            LIMITS.user_start - 1,
            LIMITS.user_start,
            LIMITS.user_end - PAGE,
            LIMITS.user_end,
            0xC000_0000,
            len - 1,
            len,
            len + 1,
            old.wrapping_add(1),
            old.wrapping_sub(1),
            old.wrapping_add(PAGE),
            old ^ 0x8000_0000,
        ];
        values[pick as usize % values.len()]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: fuzz_cases(),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// The long fuzz of the parser (short in `cargo xtask test`, long in
        /// `cargo xtask soak`): field overwrites with boundary values, bit
        /// flips anywhere, truncation, on a valid image; never a panic, and
        /// whatever is accepted is sound.
        #[test]
        fn elf_mutations(
            overwrites in proptest::collection::vec(
                (any::<prop::sample::Index>(), any::<u32>(), any::<bool>()),
                0..6,
            ),
            flips in proptest::collection::vec(any::<(prop::sample::Index, u8)>(), 0..6),
            cut in proptest::option::weighted(0.15, any::<prop::sample::Index>()),
        ) {
            let mut v = good();
            let fields = fields(good_phdrs().len());
            for (field, pick, random) in overwrites {
                let (at, width) = fields[field.index(fields.len())];
                let old = if width == 2 {
                    u32::from(u16::from_le_bytes([v[at], v[at + 1]]))
                } else {
                    u32::from_le_bytes(v[at..at + 4].try_into().unwrap())
                };
                let value = if random { pick } else { boundary(pick, v.len(), old) };
                if width == 2 {
                    put16(&mut v, at, value as u16);
                } else {
                    put32(&mut v, at, value);
                }
            }
            for (at, bit) in flips {
                let at = at.index(v.len());
                v[at] ^= 1 << (bit % 8);
            }
            if let Some(cut) = cut {
                v.truncate(cut.index(v.len() + 1));
            }
            if let Ok(img) = parse(&v) {
                check_accepted(&v, &img);
                for seg in img.segments() {
                    let _ = seg.data(&img);
                }
            }
        }
    }
}
