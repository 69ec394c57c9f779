//! ARMv7-A short-descriptor translation table entries (VMSAv7) as plain values.
//!
//! The kernel runs with TEX remap and the access flag off (SCTLR.TRE = 0,
//! SCTLR.AFE = 0), so a memory type is a TEX/C/B triple and `AP[2:0]` is a full
//! permission field. Encoders are `const fn` so the boot path can build its
//! first table at compile time. Decoders are strict: they accept exactly what
//! the encoders produce, so a stray bit in a live table is reported, not lost.

use core::fmt;

/// Bytes mapped by a section (one L1 entry): 1 MiB.
pub const SECTION_SIZE: u32 = 1 << 20;
/// Bytes mapped by a supersection (16 identical L1 entries): 16 MiB.
pub const SUPERSECTION_SIZE: u32 = 1 << 24;
/// Bytes mapped by a small page (one L2 entry): 4 KiB.
pub const PAGE_SIZE: u32 = 1 << 12;
/// Bytes mapped by a large page (16 identical L2 entries): 64 KiB.
pub const LARGE_PAGE_SIZE: u32 = 1 << 16;
/// Entries in the L1 table (TTBCR.N = 0): one per section of the 4 GiB space.
pub const L1_ENTRIES: usize = 4096;
/// Entries in an L2 table: one per small page of a section.
pub const L2_ENTRIES: usize = 256;
/// Bytes in an L2 table, which is also its required alignment.
pub const L2_TABLE_SIZE: u32 = 1024;
/// Bytes in the L1 table, which is also its required alignment.
pub const L1_TABLE_SIZE: u32 = 16 * 1024;

const _: () = {
    assert!(L1_ENTRIES as u64 * SECTION_SIZE as u64 == 1 << 32);
    assert!(L2_ENTRIES as u32 * PAGE_SIZE == SECTION_SIZE);
    assert!(L1_TABLE_SIZE == L1_ENTRIES as u32 * 4);
    assert!(L2_TABLE_SIZE == L2_ENTRIES as u32 * 4);
    assert!(SUPERSECTION_SIZE == 16 * SECTION_SIZE);
    assert!(LARGE_PAGE_SIZE == 16 * PAGE_SIZE);
};

/// Index of the L1 entry that translates `va` (`VA[31:20]`).
#[inline]
pub const fn l1_index(va: u32) -> usize {
    (va >> 20) as usize
}

/// Index of the L2 entry that translates `va` (`VA[19:12]`).
#[inline]
pub const fn l2_index(va: u32) -> usize {
    ((va >> 12) & 0xFF) as usize
}

/// Memory type, as the TEX/C/B bits encode it with TEX remap off.
///
/// Each discriminant is the type's bits, `TEX[2:0]:C:B`, so encoding one is
/// shifts and masks, not a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MemType {
    /// Normal, outer and inner write-back write-allocate (TEX=001 C=1 B=1).
    Normal = 0b00111,
    /// Normal, outer and inner non-cacheable (TEX=001 C=0 B=0).
    NormalUncached = 0b00100,
    /// Shareable device, for MMIO (TEX=000 C=0 B=1).
    Device = 0b00001,
    /// Strongly-ordered (TEX=000 C=0 B=0).
    StronglyOrdered = 0b00000,
}

impl MemType {
    /// The `(tex, c, b)` bits for this type.
    #[inline]
    pub const fn tex_cb(self) -> (u8, bool, bool) {
        let bits = self as u8;
        (bits >> 2, bits & 0b10 != 0, bits & 0b01 != 0)
    }

    /// The type `(tex, c, b)` encodes, or `None` for one this kernel never maps.
    pub const fn from_tex_cb(tex: u8, c: bool, b: bool) -> Option<Self> {
        match (tex, c, b) {
            (0b001, true, true) => Some(Self::Normal),
            (0b001, false, false) => Some(Self::NormalUncached),
            (0b000, false, true) => Some(Self::Device),
            (0b000, false, false) => Some(Self::StronglyOrdered),
            _ => None,
        }
    }
}

/// Access permissions, `AP[2:0]` = {APX, `AP[1:0]`} with the access flag off.
///
/// Each discriminant is its `AP[2:0]` value, so encoding one is a cast.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Access {
    /// No access at any privilege (000).
    None = 0b000,
    /// Kernel read/write, user none (001).
    KernelRw = 0b001,
    /// Kernel read/write, user read-only (010).
    KernelRwUserRo = 0b010,
    /// Kernel and user read/write (011).
    UserRw = 0b011,
    /// Kernel read-only, user none (101).
    KernelRo = 0b101,
    /// Kernel and user read-only (111).
    UserRo = 0b111,
}

impl Access {
    /// The 3-bit `AP[2:0]` value: APX in bit 2, `AP[1:0]` in bits 1:0.
    #[inline]
    pub const fn ap(self) -> u8 {
        self as u8
    }

    /// The permissions `ap` (`AP[2:0]`) encodes; `None` for 100 (reserved) and
    /// 110 (a deprecated alias of 111 that this kernel never writes).
    pub const fn from_ap(ap: u8) -> Option<Self> {
        match ap {
            0b000 => Some(Self::None),
            0b001 => Some(Self::KernelRw),
            0b010 => Some(Self::KernelRwUserRo),
            0b011 => Some(Self::UserRw),
            0b101 => Some(Self::KernelRo),
            0b111 => Some(Self::UserRo),
            _ => None,
        }
    }

    /// Whether user mode may read.
    pub const fn user_readable(self) -> bool {
        matches!(self, Self::KernelRwUserRo | Self::UserRw | Self::UserRo)
    }

    /// Whether user mode may write.
    pub const fn user_writable(self) -> bool {
        matches!(self, Self::UserRw)
    }

    /// Whether the kernel (PL1) may write.
    pub const fn kernel_writable(self) -> bool {
        matches!(self, Self::KernelRw | Self::KernelRwUserRo | Self::UserRw)
    }
}

/// The attributes of a mapping, common to every entry kind that maps memory.
///
/// Word-aligned (8 bytes, not 6), so that the compiler copies one in two
/// words: a 6-byte struct was passed by calls to `memcpy`, several per map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(align(4))]
pub struct Attrs {
    /// Who may read and write.
    pub access: Access,
    /// Memory type (cacheability, ordering).
    pub mem: MemType,
    /// Execute-never.
    pub xn: bool,
    /// The S bit. Only Normal memory heeds it: Device and Strongly-ordered
    /// are shareable whatever it says.
    pub shareable: bool,
    /// Global (encoded as nG = 0): the TLB entry matches every ASID.
    pub global: bool,
    /// Domain 0..=15. Only sections and L2 tables carry one: supersections are
    /// always domain 0, and L2 entries take their L1 table entry's.
    pub domain: u8,
}

impl Attrs {
    /// Kernel code: read-only, executable, global.
    pub const KERNEL_TEXT: Self = Self::kernel(Access::KernelRo, false);
    /// Kernel read-only data: read-only, execute-never, global.
    pub const KERNEL_RODATA: Self = Self::kernel(Access::KernelRo, true);
    /// Kernel data, heap and stacks: read/write, execute-never, global.
    pub const KERNEL_DATA: Self = Self::kernel(Access::KernelRw, true);
    /// MMIO: kernel read/write, shareable device, execute-never, global.
    pub const DEVICE: Self = Self {
        access: Access::KernelRw,
        mem: MemType::Device,
        xn: true,
        shareable: true,
        global: true,
        domain: 0,
    };

    /// Normal cached kernel memory, global, domain 0.
    // Non-shareable: the kernel runs on one core, and a Cortex-A9 treats
    // shareable Normal memory as uncached until ACTLR.SMP is set (SMP work
    // must set it and flip this).
    #[inline]
    pub const fn kernel(access: Access, xn: bool) -> Self {
        Self {
            access,
            mem: MemType::Normal,
            xn,
            shareable: false,
            global: true,
            domain: 0,
        }
    }

    /// Normal cached user memory: not global (tagged with the ASID), domain 0.
    #[inline]
    pub const fn user(access: Access, xn: bool) -> Self {
        Self {
            global: false,
            ..Self::kernel(access, xn)
        }
    }
}

/// Why an entry cannot be built or a raw descriptor is not one this kernel writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DescError {
    /// The physical address is not aligned to what the entry maps (1 KiB for
    /// an L2 table).
    Misaligned,
    /// The domain is above 15, or nonzero for a supersection (always domain 0).
    BadDomain,
    /// The type bits are reserved: L1 type 0b11 (a PXN section where LPAE is
    /// implemented, reserved on a Cortex-A9).
    Reserved,
    /// `AP[2:0]` is 100 (reserved) or 110 (deprecated); the value is `AP[2:0]`.
    BadAccess(u8),
    /// TEX/C/B is a memory type this kernel never maps.
    UnsupportedMemType {
        /// `TEX[2:0]`.
        tex: u8,
        /// The C bit.
        c: bool,
        /// The B bit.
        b: bool,
    },
    /// Bits this kernel always writes as zero are set (NS, PXN, SBZ, IMPLEMENTATION
    /// DEFINED bit 9, supersection extended base); the value holds just those bits.
    UnexpectedBits(u32),
}

impl fmt::Display for DescError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Misaligned => f.write_str("physical address not aligned to the mapping size"),
            Self::BadDomain => f.write_str("domain out of range for this entry"),
            Self::Reserved => f.write_str("reserved descriptor type"),
            Self::BadAccess(ap) => write!(f, "unsupported AP[2:0] {ap:#05b}"),
            Self::UnsupportedMemType { tex, c, b } => {
                write!(
                    f,
                    "unsupported memory type TEX={tex:03b} C={} B={}",
                    c as u8, b as u8
                )
            }
            Self::UnexpectedBits(bits) => write!(f, "unexpected bits set: {bits:#010x}"),
        }
    }
}

const B: u32 = 1 << 2;
const C: u32 = 1 << 3;
const DOMAIN_SHIFT: u32 = 5;
const DOMAIN_MASK: u32 = 0xF << DOMAIN_SHIFT;
const SUPERSECTION_BIT: u32 = 1 << 18;

/// Bit positions of the attribute fields, which move between formats
/// (B and C are bits 2 and 3 in all of them).
struct Layout {
    xn: u32,
    ap: u32,
    tex: u32,
    apx: u32,
    s: u32,
    ng: u32,
}

#[rustfmt::skip]
const SECTION_LAYOUT: Layout = Layout { xn: 4, ap: 10, tex: 12, apx: 15, s: 16, ng: 17 };
#[rustfmt::skip]
const SMALL_LAYOUT: Layout = Layout { xn: 0, ap: 4, tex: 6, apx: 9, s: 10, ng: 11 };
#[rustfmt::skip]
const LARGE_LAYOUT: Layout = Layout { xn: 15, ap: 4, tex: 12, apx: 9, s: 10, ng: 11 };

impl Layout {
    /// Every bit the attribute fields occupy.
    const fn mask(&self) -> u32 {
        B | C
            | (1 << self.xn)
            | (0b11 << self.ap)
            | (0b111 << self.tex)
            | (1 << self.apx)
            | (1 << self.s)
            | (1 << self.ng)
    }

    #[inline]
    const fn encode(&self, a: Attrs) -> u32 {
        let (tex, c, b) = a.mem.tex_cb();
        let ap = a.access.ap() as u32;
        ((b as u32) << 2)
            | ((c as u32) << 3)
            | ((a.xn as u32) << self.xn)
            | ((ap & 0b11) << self.ap)
            | ((tex as u32) << self.tex)
            | ((ap >> 2) << self.apx)
            | ((a.shareable as u32) << self.s)
            | ((!a.global as u32) << self.ng)
    }

    /// The attributes in `raw`, which must hold no bits outside `known`.
    fn decode(&self, raw: u32, known: u32, domain: u8) -> Result<Attrs, DescError> {
        let stray = raw & !(known | self.mask());
        if stray != 0 {
            return Err(DescError::UnexpectedBits(stray));
        }
        let bit = |n: u32| raw & (1 << n) != 0;
        let ap = ((((raw >> self.apx) & 1) << 2) | ((raw >> self.ap) & 0b11)) as u8;
        let access = Access::from_ap(ap).ok_or(DescError::BadAccess(ap))?;
        let (tex, c, b) = (((raw >> self.tex) & 0b111) as u8, bit(3), bit(2));
        let mem =
            MemType::from_tex_cb(tex, c, b).ok_or(DescError::UnsupportedMemType { tex, c, b })?;
        Ok(Attrs {
            access,
            mem,
            xn: bit(self.xn),
            shareable: bit(self.s),
            global: !bit(self.ng),
            domain,
        })
    }
}

/// Checks what every constructor checks: alignment of `phys`, and `domain`
/// against the largest the format can hold.
#[inline]
const fn check(phys: u32, align: u32, domain: u8, max_domain: u8) -> Result<(), DescError> {
    if phys & (align - 1) != 0 {
        Err(DescError::Misaligned)
    } else if domain > max_domain {
        Err(DescError::BadDomain)
    } else {
        Ok(())
    }
}

/// A first-level (L1) descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum L1Entry {
    /// Unmapped: any access faults.
    Fault,
    /// Points to an L2 table.
    Table {
        /// Physical address of the L2 table, 1 KiB aligned.
        l2_phys: u32,
        /// Domain of every page the table maps, 0..=15.
        domain: u8,
    },
    /// Maps 1 MiB.
    Section {
        /// Physical base, 1 MiB aligned.
        phys: u32,
        /// Attributes; `domain` 0..=15.
        attrs: Attrs,
    },
    /// Maps 16 MiB; must be written to 16 consecutive, 16-aligned L1 entries.
    Supersection {
        /// Physical base, 16 MiB aligned (32-bit PA only).
        phys: u32,
        /// Attributes; `domain` must be 0.
        attrs: Attrs,
    },
}

impl L1Entry {
    /// An L2 table entry, checked.
    #[inline]
    pub const fn table(l2_phys: u32, domain: u8) -> Result<Self, DescError> {
        match check(l2_phys, L2_TABLE_SIZE, domain, 15) {
            Ok(()) => Ok(Self::Table { l2_phys, domain }),
            Err(e) => Err(e),
        }
    }

    /// A section entry, checked.
    #[inline]
    pub const fn section(phys: u32, attrs: Attrs) -> Result<Self, DescError> {
        match check(phys, SECTION_SIZE, attrs.domain, 15) {
            Ok(()) => Ok(Self::Section { phys, attrs }),
            Err(e) => Err(e),
        }
    }

    /// A supersection entry, checked.
    #[inline]
    pub const fn supersection(phys: u32, attrs: Attrs) -> Result<Self, DescError> {
        match check(phys, SUPERSECTION_SIZE, attrs.domain, 0) {
            Ok(()) => Ok(Self::Supersection { phys, attrs }),
            Err(e) => Err(e),
        }
    }

    /// The raw descriptor. Fields are assumed valid (as the checked
    /// constructors ensure); out-of-range bits are masked off, never spilled
    /// into a neighbouring field.
    // Always inline: at opt-level "s" it stays a call otherwise, and the
    // entry is built in memory for it (~30 instructions per map).
    #[inline(always)]
    pub const fn encode(&self) -> u32 {
        match *self {
            Self::Fault => 0,
            Self::Table { l2_phys, domain } => {
                (l2_phys & !(L2_TABLE_SIZE - 1))
                    | (((domain as u32) << DOMAIN_SHIFT) & DOMAIN_MASK)
                    | 0b01
            }
            Self::Section { phys, attrs } => {
                (phys & !(SECTION_SIZE - 1))
                    | (((attrs.domain as u32) << DOMAIN_SHIFT) & DOMAIN_MASK)
                    | SECTION_LAYOUT.encode(attrs)
                    | 0b10
            }
            Self::Supersection { phys, attrs } => {
                (phys & !(SUPERSECTION_SIZE - 1))
                    | SUPERSECTION_BIT
                    | SECTION_LAYOUT.encode(attrs)
                    | 0b10
            }
        }
    }

    /// Reads a raw descriptor. Fault entries may hold anything above bits
    /// `[1:0]` (the hardware ignores it); any other kind must be exactly what
    /// [`encode`](Self::encode) writes.
    pub fn decode(raw: u32) -> Result<Self, DescError> {
        let domain = ((raw & DOMAIN_MASK) >> DOMAIN_SHIFT) as u8;
        match raw & 0b11 {
            0b00 => Ok(Self::Fault),
            0b01 => {
                let stray = raw & !(!(L2_TABLE_SIZE - 1) | DOMAIN_MASK | 0b11);
                if stray != 0 {
                    return Err(DescError::UnexpectedBits(stray));
                }
                Ok(Self::Table {
                    l2_phys: raw & !(L2_TABLE_SIZE - 1),
                    domain,
                })
            }
            0b10 if raw & SUPERSECTION_BIT != 0 => {
                let base = !(SUPERSECTION_SIZE - 1);
                let attrs = SECTION_LAYOUT.decode(raw, base | SUPERSECTION_BIT | 0b11, 0)?;
                Ok(Self::Supersection {
                    phys: raw & base,
                    attrs,
                })
            }
            0b10 => {
                let base = !(SECTION_SIZE - 1);
                let attrs = SECTION_LAYOUT.decode(raw, base | DOMAIN_MASK | 0b11, domain)?;
                Ok(Self::Section {
                    phys: raw & base,
                    attrs,
                })
            }
            _ => Err(DescError::Reserved),
        }
    }
}

/// The raw section descriptor for `phys` and `attrs`, for tables built in a
/// `const` context, where the panic on a misaligned address or a bad domain
/// becomes a compile error.
pub const fn section(phys: u32, attrs: Attrs) -> u32 {
    match L1Entry::section(phys, attrs) {
        Ok(entry) => entry.encode(),
        Err(DescError::Misaligned) => panic!("section: physical address not 1 MiB aligned"),
        Err(_) => panic!("section: domain above 15"),
    }
}

/// A second-level (L2) descriptor. L2 entries carry no domain: they take the
/// domain of the L1 table entry, so `attrs.domain` is ignored when encoding
/// and decodes as 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum L2Entry {
    /// Unmapped: any access faults.
    Fault,
    /// Maps 4 KiB.
    Small {
        /// Physical base, 4 KiB aligned.
        phys: u32,
        /// Attributes.
        attrs: Attrs,
    },
    /// Maps 64 KiB; must be written to 16 consecutive, 16-aligned L2 entries.
    Large {
        /// Physical base, 64 KiB aligned.
        phys: u32,
        /// Attributes.
        attrs: Attrs,
    },
}

impl L2Entry {
    /// A small page entry, checked.
    #[inline]
    pub const fn small(phys: u32, attrs: Attrs) -> Result<Self, DescError> {
        match check(phys, PAGE_SIZE, attrs.domain, 15) {
            Ok(()) => Ok(Self::Small { phys, attrs }),
            Err(e) => Err(e),
        }
    }

    /// A large page entry, checked.
    #[inline]
    pub const fn large(phys: u32, attrs: Attrs) -> Result<Self, DescError> {
        match check(phys, LARGE_PAGE_SIZE, attrs.domain, 15) {
            Ok(()) => Ok(Self::Large { phys, attrs }),
            Err(e) => Err(e),
        }
    }

    /// The raw descriptor; like [`L1Entry::encode`], out-of-range bits are
    /// masked off.
    #[inline]
    pub const fn encode(&self) -> u32 {
        match *self {
            Self::Fault => 0,
            Self::Small { phys, attrs } => {
                (phys & !(PAGE_SIZE - 1)) | SMALL_LAYOUT.encode(attrs) | 0b10
            }
            Self::Large { phys, attrs } => {
                (phys & !(LARGE_PAGE_SIZE - 1)) | LARGE_LAYOUT.encode(attrs) | 0b01
            }
        }
    }

    /// Reads a raw descriptor, as strictly as [`L1Entry::decode`].
    pub fn decode(raw: u32) -> Result<Self, DescError> {
        match raw & 0b11 {
            0b00 => Ok(Self::Fault),
            0b01 => {
                let base = !(LARGE_PAGE_SIZE - 1);
                let attrs = LARGE_LAYOUT.decode(raw, base | 0b11, 0)?;
                Ok(Self::Large {
                    phys: raw & base,
                    attrs,
                })
            }
            // Bit 0 of a small page is its XN bit.
            _ => {
                let base = !(PAGE_SIZE - 1);
                let attrs = SMALL_LAYOUT.decode(raw, base | 0b10, 0)?;
                Ok(Self::Small {
                    phys: raw & base,
                    attrs,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ACCESSES: [Access; 6] = [
        Access::None,
        Access::KernelRw,
        Access::KernelRwUserRo,
        Access::UserRw,
        Access::KernelRo,
        Access::UserRo,
    ];
    const MEMS: [MemType; 4] = [
        MemType::Normal,
        MemType::NormalUncached,
        MemType::Device,
        MemType::StronglyOrdered,
    ];

    /// Every combination of the fields, domain 0.
    fn all_attrs() -> impl Iterator<Item = Attrs> {
        ACCESSES.into_iter().flat_map(|access| {
            MEMS.into_iter().flat_map(move |mem| {
                (0..8).map(move |bits| Attrs {
                    access,
                    mem,
                    xn: bits & 1 != 0,
                    shareable: bits & 2 != 0,
                    global: bits & 4 != 0,
                    domain: 0,
                })
            })
        })
    }

    #[test]
    fn indices() {
        assert_eq!(l1_index(0x6010_0000), 0x601);
        assert_eq!(l1_index(0xFFFF_FFFF), L1_ENTRIES - 1);
        assert_eq!(l2_index(0x6012_3456), 0x23);
        assert_eq!(l2_index(0x000F_F000), L2_ENTRIES - 1);
    }

    #[test]
    fn known_values() {
        // Section, KernelRo Normal global (non-shareable): AP=01 (0x400), APX (0x8000),
        // TEX=001 (0x1000), C|B (0xC), S (0x1_0000), type 0b10.
        assert_eq!(section(0x6010_0000, Attrs::KERNEL_TEXT), 0x6010_940E);
        // KernelRw Normal XN: AP=01, TEX=001, C|B, XN (0x10), S.
        assert_eq!(section(0x6020_0000, Attrs::KERNEL_DATA), 0x6020_141E);
        // Device: B (0x4), XN, AP=01, S.
        assert_eq!(section(0x1000_0000, Attrs::DEVICE), 0x1001_0416);
        let so = Attrs {
            mem: MemType::StronglyOrdered,
            shareable: false,
            ..Attrs::DEVICE
        };
        assert_eq!(section(0x1E00_0000, so), 0x1E00_0412);
        let ss = L1Entry::supersection(0x8000_0000, Attrs::KERNEL_DATA).unwrap();
        assert_eq!(ss.encode(), 0x8004_141E);
        assert_eq!(
            L1Entry::table(0x6000_0400, 1).unwrap().encode(),
            0x6000_0421
        );
        // Small page, UserRw Normal XN nG: XN (bit 0), type bit 1, C|B, AP=11
        // (0x30), TEX=001 (0x40), S (0x400), nG (0x800).
        let small = L2Entry::small(0x6040_3000, Attrs::user(Access::UserRw, true)).unwrap();
        assert_eq!(small.encode(), 0x6040_387F);
        // Large page, UserRo Normal: type 01, C|B, AP=11, APX (0x200), S, nG,
        // TEX=001 (0x1000).
        let large = L2Entry::large(0x6005_0000, Attrs::user(Access::UserRo, false)).unwrap();
        assert_eq!(large.encode(), 0x6005_1A3D);
        // The remaining fields: a user section (AP=11, APX, nG 0x2_0000) in
        // domain 15 (0x1E0), a kernel small page with APX (0x200), and a
        // large page with XN (0x8000).
        let user = Attrs {
            domain: 15,
            ..Attrs::user(Access::UserRo, true)
        };
        assert_eq!(section(0x6030_0000, user), 0x6032_9DFE);
        let small = L2Entry::small(0x6000_0000, Attrs::KERNEL_TEXT).unwrap();
        assert_eq!(small.encode(), 0x6000_025E);
        let large = L2Entry::large(0x6005_0000, Attrs::KERNEL_DATA).unwrap();
        assert_eq!(large.encode(), 0x6005_901D);
        assert_eq!(L1Entry::Fault.encode(), 0);
        assert_eq!(L2Entry::Fault.encode(), 0);
    }

    #[test]
    fn known_values_decode() {
        assert_eq!(
            L1Entry::decode(0x6010_940E),
            Ok(L1Entry::Section {
                phys: 0x6010_0000,
                attrs: Attrs::KERNEL_TEXT
            })
        );
        assert_eq!(
            L2Entry::decode(0x6040_387F),
            Ok(L2Entry::Small {
                phys: 0x6040_3000,
                attrs: Attrs::user(Access::UserRw, true)
            })
        );
    }

    #[test]
    fn every_combination_round_trips() {
        for attrs in all_attrs() {
            for domain in 0..16 {
                let attrs = Attrs { domain, ..attrs };
                let e = L1Entry::section(0xFFF0_0000, attrs).unwrap();
                assert_eq!(L1Entry::decode(e.encode()), Ok(e), "{e:?}");
            }
            let entries = [
                L1Entry::supersection(0xFF00_0000, attrs).unwrap(),
                L1Entry::section(0x0010_0000, attrs).unwrap(),
            ];
            for e in entries {
                assert_eq!(L1Entry::decode(e.encode()), Ok(e), "{e:?}");
            }
            let entries = [
                L2Entry::small(0xFFFF_F000, attrs).unwrap(),
                L2Entry::large(0xFFFF_0000, attrs).unwrap(),
                L2Entry::small(0x0000_1000, attrs).unwrap(),
                L2Entry::large(0x0001_0000, attrs).unwrap(),
            ];
            for e in entries {
                assert_eq!(L2Entry::decode(e.encode()), Ok(e), "{e:?}");
            }
        }
        for domain in 0..16 {
            let e = L1Entry::table(0xFFFF_FC00, domain).unwrap();
            assert_eq!(L1Entry::decode(e.encode()), Ok(e));
        }
    }

    #[test]
    fn access_and_memtype_tables() {
        for a in ACCESSES {
            assert_eq!(Access::from_ap(a.ap()), Some(a));
        }
        assert_eq!(Access::from_ap(0b100), None);
        assert_eq!(Access::from_ap(0b110), None);
        for m in MEMS {
            let (tex, c, b) = m.tex_cb();
            assert_eq!(MemType::from_tex_cb(tex, c, b), Some(m));
        }
        assert_eq!(MemType::from_tex_cb(0b010, false, false), None);
        let user_r = [false, false, true, true, false, true];
        let user_w = [false, false, false, true, false, false];
        let kern_w = [false, true, true, true, false, false];
        for (i, a) in ACCESSES.into_iter().enumerate() {
            assert_eq!(a.user_readable(), user_r[i], "{a:?}");
            assert_eq!(a.user_writable(), user_w[i], "{a:?}");
            assert_eq!(a.kernel_writable(), kern_w[i], "{a:?}");
        }
    }

    #[test]
    fn refusals() {
        let a = Attrs::KERNEL_DATA;
        assert_eq!(L1Entry::section(0x6008_0000, a), Err(DescError::Misaligned));
        assert_eq!(
            L1Entry::supersection(0x6080_0000, a),
            Err(DescError::Misaligned)
        );
        assert_eq!(L1Entry::table(0x6000_0200, 0), Err(DescError::Misaligned));
        assert_eq!(L2Entry::small(0x6000_0800, a), Err(DescError::Misaligned));
        assert_eq!(L2Entry::large(0x6000_8000, a), Err(DescError::Misaligned));
        let bad = Attrs { domain: 16, ..a };
        assert_eq!(
            L1Entry::section(0x6000_0000, bad),
            Err(DescError::BadDomain)
        );
        assert_eq!(L1Entry::table(0x6000_0000, 16), Err(DescError::BadDomain));
        assert_eq!(L2Entry::small(0x6000_0000, bad), Err(DescError::BadDomain));
        assert_eq!(L2Entry::large(0x6000_0000, bad), Err(DescError::BadDomain));
        let d1 = Attrs { domain: 1, ..a };
        assert_eq!(
            L1Entry::supersection(0x6000_0000, d1),
            Err(DescError::BadDomain)
        );
        // An L2 entry accepts any valid domain but does not store it.
        let small = L2Entry::small(0x6000_0000, d1).unwrap();
        assert_eq!(
            small.encode(),
            L2Entry::small(0x6000_0000, a).unwrap().encode()
        );
    }

    #[test]
    #[should_panic(expected = "not 1 MiB aligned")]
    fn const_section_panics_on_misalignment() {
        section(0x6000_1000, Attrs::KERNEL_DATA);
    }

    #[test]
    fn decode_errors() {
        let good = section(0x6010_0000, Attrs::KERNEL_TEXT);
        assert_eq!(L1Entry::decode(0x6010_0003), Err(DescError::Reserved));
        assert_eq!(
            L1Entry::decode(good | 1 << 19),
            Err(DescError::UnexpectedBits(1 << 19))
        );
        assert_eq!(
            L1Entry::decode(good | 1 << 9),
            Err(DescError::UnexpectedBits(1 << 9))
        );
        // AP[2:0] = 100 and 110.
        assert_eq!(
            L1Entry::decode(good & !(0b11 << 10)),
            Err(DescError::BadAccess(0b100))
        );
        assert_eq!(
            L1Entry::decode(good ^ 0b11 << 10),
            Err(DescError::BadAccess(0b110))
        );
        // TEX=010 C=1 B=1.
        let tex2 = (good & !(0b111 << 12)) | 0b010 << 12;
        let want = DescError::UnsupportedMemType {
            tex: 0b010,
            c: true,
            b: true,
        };
        assert_eq!(L1Entry::decode(tex2), Err(want));
        // A supersection's extended base address and domain field.
        let ss = L1Entry::supersection(0x8000_0000, Attrs::KERNEL_DATA)
            .unwrap()
            .encode();
        assert_eq!(
            L1Entry::decode(ss | 1 << 20),
            Err(DescError::UnexpectedBits(1 << 20))
        );
        assert_eq!(
            L1Entry::decode(ss | 1 << 5),
            Err(DescError::UnexpectedBits(1 << 5))
        );
        // Table entry: PXN/SBZ bits 2..4 and bit 9.
        assert_eq!(
            L1Entry::decode(0x6000_0409),
            Err(DescError::UnexpectedBits(1 << 3))
        );
        assert_eq!(
            L1Entry::decode(0x6000_0601),
            Err(DescError::UnexpectedBits(1 << 9))
        );
        // Large page: SBZ bits 8:6.
        let lp = L2Entry::large(0x6005_0000, Attrs::KERNEL_DATA)
            .unwrap()
            .encode();
        assert_eq!(
            L2Entry::decode(lp | 1 << 7),
            Err(DescError::UnexpectedBits(1 << 7))
        );
        // Fault entries are free for software.
        assert_eq!(L1Entry::decode(0xDEAD_BEEC), Ok(L1Entry::Fault));
        assert_eq!(L2Entry::decode(0xDEAD_BEEC), Ok(L2Entry::Fault));
    }

    fn attrs_strategy() -> impl Strategy<Value = Attrs> {
        (
            proptest::sample::select(&ACCESSES[..]),
            proptest::sample::select(&MEMS[..]),
            any::<(bool, bool, bool)>(),
            0u8..16,
        )
            .prop_map(|(access, mem, (xn, shareable, global), domain)| Attrs {
                access,
                mem,
                xn,
                shareable,
                global,
                domain,
            })
    }

    proptest! {
        #[test]
        fn l1_valid_entries_round_trip(phys in any::<u32>(), attrs in attrs_strategy()) {
            let e = L1Entry::section(phys & !(SECTION_SIZE - 1), attrs).unwrap();
            prop_assert_eq!(L1Entry::decode(e.encode()), Ok(e));
            let ss = Attrs { domain: 0, ..attrs };
            let e = L1Entry::supersection(phys & !(SUPERSECTION_SIZE - 1), ss).unwrap();
            prop_assert_eq!(L1Entry::decode(e.encode()), Ok(e));
            let e = L1Entry::table(phys & !(L2_TABLE_SIZE - 1), attrs.domain).unwrap();
            prop_assert_eq!(L1Entry::decode(e.encode()), Ok(e));
        }

        #[test]
        fn l2_valid_entries_round_trip(phys in any::<u32>(), attrs in attrs_strategy()) {
            let attrs = Attrs { domain: 0, ..attrs };
            let e = L2Entry::small(phys & !(PAGE_SIZE - 1), attrs).unwrap();
            prop_assert_eq!(L2Entry::decode(e.encode()), Ok(e));
            let e = L2Entry::large(phys & !(LARGE_PAGE_SIZE - 1), attrs).unwrap();
            prop_assert_eq!(L2Entry::decode(e.encode()), Ok(e));
        }

        /// Whatever decodes (faults aside) re-encodes to the same bits.
        #[test]
        fn raw_descriptors_re_encode_exactly(raw in any::<u32>()) {
            match L1Entry::decode(raw) {
                Ok(L1Entry::Fault) => prop_assert_eq!(raw & 0b11, 0),
                Ok(e) => prop_assert_eq!(e.encode(), raw),
                Err(_) => {}
            }
            match L2Entry::decode(raw) {
                Ok(L2Entry::Fault) => prop_assert_eq!(raw & 0b11, 0),
                Ok(e) => prop_assert_eq!(e.encode(), raw),
                Err(_) => {}
            }
        }

        /// Flipping any one bit of a valid entry gives an error or another
        /// entry that re-encodes exactly: no field is read from the wrong bits.
        #[test]
        fn one_bit_flips_are_caught_or_exact(
            phys in any::<u32>(),
            attrs in attrs_strategy(),
            bit in 0u32..32,
        ) {
            let l1 = L1Entry::section(phys & !(SECTION_SIZE - 1), attrs).unwrap().encode();
            let l2 = L2Entry::small(phys & !(PAGE_SIZE - 1), attrs).unwrap().encode();
            let large = L2Entry::large(phys & !(LARGE_PAGE_SIZE - 1), attrs).unwrap().encode();
            let raw = l1 ^ (1 << bit);
            if let Ok(e) = L1Entry::decode(raw) {
                prop_assert!(e == L1Entry::Fault || e.encode() == raw, "{:?}", e);
            }
            for raw in [l2 ^ (1 << bit), large ^ (1 << bit)] {
                if let Ok(e) = L2Entry::decode(raw) {
                    prop_assert!(e == L2Entry::Fault || e.encode() == raw, "{:?}", e);
                }
            }
        }

        #[test]
        fn misaligned_is_refused(phys in any::<u32>(), attrs in attrs_strategy()) {
            let attrs = Attrs { domain: 0, ..attrs };
            prop_assert_eq!(L1Entry::section(phys, attrs).is_ok(), phys % SECTION_SIZE == 0);
            prop_assert_eq!(L1Entry::supersection(phys, attrs).is_ok(), phys % SUPERSECTION_SIZE == 0);
            prop_assert_eq!(L1Entry::table(phys, 0).is_ok(), phys % L2_TABLE_SIZE == 0);
            prop_assert_eq!(L2Entry::small(phys, attrs).is_ok(), phys % PAGE_SIZE == 0);
            prop_assert_eq!(L2Entry::large(phys, attrs).is_ok(), phys % LARGE_PAGE_SIZE == 0);
        }
    }
}
