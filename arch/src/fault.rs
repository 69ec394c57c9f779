//! Decoding of the short-descriptor fault status registers, DFSR and IFSR.
//!
//! An abort handler passes the raw register here and gets back what went
//! wrong: the pmap asks whether it was a translation or a permission fault and
//! at which level, and a crash report prints it in words via `Display`.

use core::fmt;

/// The translation table level a fault was found at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// The L1 entry: a section, or the walk's first read.
    First,
    /// The L2 entry: a page, or the walk's second read.
    Second,
}

impl Level {
    /// 1 or 2.
    pub const fn number(self) -> u8 {
        match self {
            Self::First => 1,
            Self::Second => 2,
        }
    }
}

/// What the fault status field `FS[4:0]` says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// Unaligned access where alignment is required (00001).
    Alignment,
    /// Fault on an instruction cache maintenance operation (00100).
    IcacheMaintenance,
    /// Synchronous external abort while reading a translation table
    /// (01100 first level, 01110 second level).
    WalkExternalAbort(Level),
    /// Synchronous parity error while reading a translation table
    /// (11100 first level, 11110 second level).
    WalkParityError(Level),
    /// No valid entry maps the address (00101 section, 00111 page).
    Translation(Level),
    /// Access flag fault (00011 section, 00110 page); unused with SCTLR.AFE = 0.
    AccessFlag(Level),
    /// The entry's domain is set to no access in DACR (01001 section, 01011 page).
    Domain(Level),
    /// The entry's AP or XN bits forbid the access (01101 section, 01111 page).
    Permission(Level),
    /// A debug event: breakpoint, watchpoint or BKPT (00010).
    DebugEvent,
    /// Synchronous external abort, not on a table walk (01000).
    ExternalAbort,
    /// IMPLEMENTATION DEFINED lockdown abort (10100).
    Lockdown,
    /// IMPLEMENTATION DEFINED coprocessor abort (11010).
    CoprocessorAbort,
    /// Synchronous parity error on a memory access (11001).
    ParityError,
    /// Asynchronous (imprecise) external abort (10110); DFSR only.
    AsyncExternalAbort,
    /// Asynchronous parity error on a memory access (11000); DFSR only.
    AsyncParityError,
    /// A reserved FS value, kept as read.
    Unknown(u8),
}

impl FaultKind {
    /// The kind `FS[4:0]` names (bits above 4 are ignored).
    #[inline]
    pub const fn from_fs(fs: u8) -> Self {
        // A table, not the match: this runs in the abort trap, IRQs masked.
        const TABLE: [FaultKind; 32] = {
            let mut t = [FaultKind::Unknown(0); 32];
            let mut i = 0;
            while i < 32 {
                t[i] = FaultKind::decode(i as u8);
                i += 1;
            }
            t
        };
        TABLE[(fs & 0x1F) as usize]
    }

    const fn decode(fs: u8) -> Self {
        use Level::{First, Second};
        match fs {
            0b00001 => Self::Alignment,
            0b00100 => Self::IcacheMaintenance,
            0b01100 => Self::WalkExternalAbort(First),
            0b01110 => Self::WalkExternalAbort(Second),
            0b11100 => Self::WalkParityError(First),
            0b11110 => Self::WalkParityError(Second),
            0b00101 => Self::Translation(First),
            0b00111 => Self::Translation(Second),
            0b00011 => Self::AccessFlag(First),
            0b00110 => Self::AccessFlag(Second),
            0b01001 => Self::Domain(First),
            0b01011 => Self::Domain(Second),
            0b01101 => Self::Permission(First),
            0b01111 => Self::Permission(Second),
            0b00010 => Self::DebugEvent,
            0b01000 => Self::ExternalAbort,
            0b10100 => Self::Lockdown,
            0b11010 => Self::CoprocessorAbort,
            0b11001 => Self::ParityError,
            0b10110 => Self::AsyncExternalAbort,
            0b11000 => Self::AsyncParityError,
            other => Self::Unknown(other),
        }
    }

    /// `FS[4:0]` for this kind; the inverse of [`from_fs`](Self::from_fs).
    pub const fn fs(self) -> u8 {
        use Level::{First, Second};
        match self {
            Self::Alignment => 0b00001,
            Self::IcacheMaintenance => 0b00100,
            Self::WalkExternalAbort(First) => 0b01100,
            Self::WalkExternalAbort(Second) => 0b01110,
            Self::WalkParityError(First) => 0b11100,
            Self::WalkParityError(Second) => 0b11110,
            Self::Translation(First) => 0b00101,
            Self::Translation(Second) => 0b00111,
            Self::AccessFlag(First) => 0b00011,
            Self::AccessFlag(Second) => 0b00110,
            Self::Domain(First) => 0b01001,
            Self::Domain(Second) => 0b01011,
            Self::Permission(First) => 0b01101,
            Self::Permission(Second) => 0b01111,
            Self::DebugEvent => 0b00010,
            Self::ExternalAbort => 0b01000,
            Self::Lockdown => 0b10100,
            Self::CoprocessorAbort => 0b11010,
            Self::ParityError => 0b11001,
            Self::AsyncExternalAbort => 0b10110,
            Self::AsyncParityError => 0b11000,
            Self::Unknown(fs) => fs & 0x1F,
        }
    }

    /// The level, for the kinds tied to one translation table level.
    pub const fn level(self) -> Option<Level> {
        match self {
            Self::WalkExternalAbort(l)
            | Self::WalkParityError(l)
            | Self::Translation(l)
            | Self::AccessFlag(l)
            | Self::Domain(l)
            | Self::Permission(l) => Some(l),
            _ => None,
        }
    }

    /// Whether the abort was asynchronous (imprecise): the faulting
    /// instruction is long gone and the access type is unknown.
    pub const fn is_async(self) -> bool {
        matches!(self, Self::AsyncExternalAbort | Self::AsyncParityError)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let size = |l: Level| match l {
            Level::First => "section",
            Level::Second => "page",
        };
        match *self {
            Self::Alignment => f.write_str("alignment fault"),
            Self::IcacheMaintenance => f.write_str("fault on instruction cache maintenance"),
            Self::WalkExternalAbort(l) => write!(
                f,
                "external abort on translation table walk, level {}",
                l.number()
            ),
            Self::WalkParityError(l) => write!(
                f,
                "parity error on translation table walk, level {}",
                l.number()
            ),
            Self::Translation(l) => write!(f, "translation fault, {}", size(l)),
            Self::AccessFlag(l) => write!(f, "access flag fault, {}", size(l)),
            Self::Domain(l) => write!(f, "domain fault, {}", size(l)),
            Self::Permission(l) => write!(f, "permission fault, {}", size(l)),
            Self::DebugEvent => f.write_str("debug event"),
            Self::ExternalAbort => f.write_str("synchronous external abort"),
            Self::Lockdown => f.write_str("lockdown abort (implementation defined)"),
            Self::CoprocessorAbort => f.write_str("coprocessor abort (implementation defined)"),
            Self::ParityError => f.write_str("parity error on memory access"),
            Self::AsyncExternalAbort => f.write_str("asynchronous external abort"),
            Self::AsyncParityError => f.write_str("asynchronous parity error on memory access"),
            Self::Unknown(fs) => write!(f, "unknown fault status {fs:#07b}"),
        }
    }
}

/// A decoded DFSR or IFSR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FaultStatus {
    /// What happened.
    pub kind: FaultKind,
    /// An instruction fetch (IFSR) rather than a data access (DFSR).
    pub instruction: bool,
    /// The access was a write (DFSR.WnR, bit 11); always false for IFSR.
    /// Cache maintenance operations report as writes.
    pub write: bool,
    /// ExT (bit 12): IMPLEMENTATION DEFINED classification of an external abort.
    pub external: bool,
    /// DFSR.Domain (bits 7:4), meaningful for domain faults; 0 for IFSR.
    pub domain: u8,
}

const FS_LOW: u32 = 0xF;
const FS_HIGH_BIT: u32 = 10;
const DOMAIN_SHIFT: u32 = 4;
const WNR: u32 = 1 << 11;
const EXT: u32 = 1 << 12;

/// `FS[4:0]`, from bits 10 and 3:0.
const fn fs_of(raw: u32) -> u8 {
    ((raw & FS_LOW) | (((raw >> FS_HIGH_BIT) & 1) << 4)) as u8
}

impl FaultStatus {
    /// Decodes a DFSR read after a data abort (short-descriptor format).
    #[inline]
    pub const fn from_dfsr(raw: u32) -> Self {
        Self {
            kind: FaultKind::from_fs(fs_of(raw)),
            instruction: false,
            write: raw & WNR != 0,
            external: raw & EXT != 0,
            domain: ((raw >> DOMAIN_SHIFT) & 0xF) as u8,
        }
    }

    /// Decodes an IFSR read after a prefetch abort (short-descriptor format).
    #[inline]
    pub const fn from_ifsr(raw: u32) -> Self {
        Self {
            kind: FaultKind::from_fs(fs_of(raw)),
            instruction: true,
            write: false,
            external: raw & EXT != 0,
            domain: 0,
        }
    }

    /// Whether nothing mapped the address (a translation fault at either level).
    pub const fn is_translation(&self) -> bool {
        matches!(self.kind, FaultKind::Translation(_))
    }

    /// Whether the mapping exists but forbids the access.
    pub const fn is_permission(&self) -> bool {
        matches!(self.kind, FaultKind::Permission(_))
    }

    /// 1 for a section-level (first-level) fault, 2 for a page-level one,
    /// `None` for kinds not tied to a translation table level.
    pub const fn level(&self) -> Option<u8> {
        match self.kind.level() {
            Some(l) => Some(l.number()),
            None => None,
        }
    }
}

impl fmt::Display for FaultStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        // WnR is UNKNOWN for asynchronous aborts, and always 1 for cache
        // maintenance, where "write" would mislead.
        if self.instruction {
            f.write_str(", execute")
        } else if self.kind.is_async() || self.kind == FaultKind::IcacheMaintenance {
            Ok(())
        } else if self.write {
            f.write_str(", write")
        } else {
            f.write_str(", read")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Level::{First, Second};

    /// Every defined `FS[4:0]` value, with its kind and its words; the other
    /// eleven are `Unknown`.
    #[rustfmt::skip]
    const KNOWN: [(u8, FaultKind, &str); 21] = [
        (0b00001, FaultKind::Alignment, "alignment fault"),
        (0b00010, FaultKind::DebugEvent, "debug event"),
        (0b00011, FaultKind::AccessFlag(First), "access flag fault, section"),
        (0b00100, FaultKind::IcacheMaintenance, "fault on instruction cache maintenance"),
        (0b00101, FaultKind::Translation(First), "translation fault, section"),
        (0b00110, FaultKind::AccessFlag(Second), "access flag fault, page"),
        (0b00111, FaultKind::Translation(Second), "translation fault, page"),
        (0b01000, FaultKind::ExternalAbort, "synchronous external abort"),
        (0b01001, FaultKind::Domain(First), "domain fault, section"),
        (0b01011, FaultKind::Domain(Second), "domain fault, page"),
        (0b01100, FaultKind::WalkExternalAbort(First), "external abort on translation table walk, level 1"),
        (0b01101, FaultKind::Permission(First), "permission fault, section"),
        (0b01110, FaultKind::WalkExternalAbort(Second), "external abort on translation table walk, level 2"),
        (0b01111, FaultKind::Permission(Second), "permission fault, page"),
        (0b10100, FaultKind::Lockdown, "lockdown abort (implementation defined)"),
        (0b10110, FaultKind::AsyncExternalAbort, "asynchronous external abort"),
        (0b11000, FaultKind::AsyncParityError, "asynchronous parity error on memory access"),
        (0b11001, FaultKind::ParityError, "parity error on memory access"),
        (0b11010, FaultKind::CoprocessorAbort, "coprocessor abort (implementation defined)"),
        (0b11100, FaultKind::WalkParityError(First), "parity error on translation table walk, level 1"),
        (0b11110, FaultKind::WalkParityError(Second), "parity error on translation table walk, level 2"),
    ];

    /// All 32 values of `FS[4:0]`, with their kind and words.
    fn table() -> impl Iterator<Item = (u8, FaultKind, std::string::String)> {
        (0..32u8).map(|fs| match KNOWN.iter().find(|k| k.0 == fs) {
            Some(&(_, kind, words)) => (fs, kind, words.into()),
            None => (
                fs,
                FaultKind::Unknown(fs),
                std::format!("unknown fault status {fs:#07b}"),
            ),
        })
    }

    /// Where `FS[4:0]` sits in the register.
    fn reg(fs: u8) -> u32 {
        (fs as u32 & 0xF) | ((fs as u32 >> 4) << 10)
    }

    #[test]
    fn every_encoding() {
        for (fs, kind, words) in table() {
            assert_eq!(FaultKind::from_fs(fs), kind, "FS {fs:#07b}");
            assert_eq!(kind.fs(), fs, "{kind:?}");
            assert_eq!(std::format!("{kind}"), words);
            assert_eq!(FaultStatus::from_dfsr(reg(fs)).kind, kind);
            assert_eq!(FaultStatus::from_ifsr(reg(fs)).kind, kind);
        }
    }

    #[test]
    fn predicates() {
        for (_, kind, _) in table() {
            let st = FaultStatus {
                kind,
                instruction: false,
                write: false,
                external: false,
                domain: 0,
            };
            assert_eq!(
                st.is_translation(),
                matches!(kind, FaultKind::Translation(_))
            );
            assert_eq!(st.is_permission(), matches!(kind, FaultKind::Permission(_)));
            let want = match kind {
                FaultKind::WalkExternalAbort(l)
                | FaultKind::WalkParityError(l)
                | FaultKind::Translation(l)
                | FaultKind::AccessFlag(l)
                | FaultKind::Domain(l)
                | FaultKind::Permission(l) => Some(if l == First { 1 } else { 2 }),
                _ => None,
            };
            assert_eq!(st.level(), want, "{kind:?}");
        }
        assert!(FaultKind::AsyncExternalAbort.is_async());
        assert!(!FaultKind::ExternalAbort.is_async());
    }

    #[test]
    fn dfsr_fields() {
        // WnR, ExT, domain 0xA, FS = 10110 (FS[4] in bit 10); bit 9 (LPAE) ignored.
        let st = FaultStatus::from_dfsr(1 << 12 | 1 << 11 | 1 << 10 | 1 << 9 | 0xA << 4 | 0b0110);
        assert_eq!(
            st,
            FaultStatus {
                kind: FaultKind::AsyncExternalAbort,
                instruction: false,
                write: true,
                external: true,
                domain: 0xA,
            }
        );
        let st = FaultStatus::from_dfsr(0x39);
        assert_eq!(
            (st.kind, st.domain, st.write),
            (FaultKind::Domain(First), 3, false)
        );
    }

    #[test]
    fn ifsr_fields() {
        // IFSR has no WnR or domain: those bits must not leak through.
        let st = FaultStatus::from_ifsr(1 << 12 | 1 << 11 | 0xF << 4 | 0b1111);
        assert_eq!(
            st,
            FaultStatus {
                kind: FaultKind::Permission(Second),
                instruction: true,
                write: false,
                external: true,
                domain: 0,
            }
        );
    }

    #[test]
    fn display() {
        let d = |raw| std::format!("{}", FaultStatus::from_dfsr(raw));
        let i = |raw| std::format!("{}", FaultStatus::from_ifsr(raw));
        assert_eq!(d(0x80D), "permission fault, section, write");
        assert_eq!(d(0x007), "translation fault, page, read");
        assert_eq!(d(0x801), "alignment fault, write");
        assert_eq!(d(0x009), "domain fault, section, read");
        assert_eq!(d(0x808), "synchronous external abort, write");
        assert_eq!(
            d(0x80C),
            "external abort on translation table walk, level 1, write"
        );
        assert_eq!(d(0xC06), "asynchronous external abort");
        assert_eq!(d(0x408), "asynchronous parity error on memory access");
        assert_eq!(d(0x804), "fault on instruction cache maintenance");
        assert_eq!(d(0x415), "unknown fault status 0b10101, read");
        assert_eq!(i(0x00F), "permission fault, page, execute");
        assert_eq!(i(0x005), "translation fault, section, execute");
        assert_eq!(i(0x002), "debug event, execute");
    }
}
