//! The memory-object calls: `mem_create`, `mem_map`, `mem_revoke`
//! (`mem_unmap` is the mapper's `AddressSpace::mem_unmap`).

use super::abi::{self, Errno, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::handle::{Handle, Rights};
use crate::mm::object::{self, ObjectError};
use crate::object::{KRef, Object};
use crate::process::{self, Share};

impl From<ObjectError> for Errno {
    fn from(e: ObjectError) -> Self {
        match e {
            ObjectError::NoMemory => Errno::NoMem,
            ObjectError::Invalid => Errno::Inval,
        }
    }
}

/// Every right a memory object's creator gets.
const CREATOR: Rights = Rights::MAP_READ
    .union(Rights::MAP_WRITE)
    .union(Rights::TRANSFER)
    .union(Rights::MANAGE);

/// `mem_create(len, flags) -> (handle, phys)`.
pub fn mem_create(len: u32, flags: u32) -> Result<(u32, u32), Errno> {
    if flags & !abi::MEM_DMA != 0 {
        return Err(Errno::Inval);
    }
    let hard = process::with_current(|t| t.class.is_hard()).ok_or(Errno::Perm)?;
    if hard {
        // After admission a hard process allocates nothing.
        return Err(Errno::Perm);
    }
    let obj = if flags & abi::MEM_DMA != 0 {
        object::create_dma(len)?
    } else {
        object::create_shared(len)?
    };
    let obj = KRef::try_new(obj).map_err(|_| Errno::NoMem)?;
    let phys = obj.dma_phys().unwrap_or(0);
    let r = process::with_current(|t| t.handles.insert(Object::Memory(obj), CREATOR))
        .ok_or(Errno::Perm)?;
    // A failed insert hands the object back: dropped (and freed) here,
    // outside the task's lock.
    r.map(|h| (h.raw(), phys)).map_err(|(e, _obj)| e.into())
}

/// `mem_map(handle, prot) -> addr`: the whole object, with rights no wider
/// than the handle's.
pub fn mem_map(h: u32, prot: u32) -> Result<u32, Errno> {
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 || prot == 0 {
        return Err(Errno::Inval);
    }
    if prot & PROT_EXEC != 0 {
        return Err(Errno::Perm);
    }
    let mut need = Rights::empty();
    if prot & PROT_READ != 0 {
        need |= Rights::MAP_READ;
    }
    if prot & PROT_WRITE != 0 {
        need |= Rights::MAP_WRITE;
    }
    let r = process::with_current(|t| {
        let obj: KRef<object::MemObject> =
            crate::object::lookup(&t.handles, Handle::from_raw(h), need, Object::memory)?;
        let share = if obj.dma_phys().is_some() {
            Share::Uncached
        } else {
            Share::Direct
        };
        let pages = obj.len() / object::book::PAGE;
        // A hard process's objects were mapped at its admission: it gets
        // that mapping, shown again if it unmapped it (it allocates nothing
        // after admission).
        let r = if t.class.is_hard() {
            t.space.show_object(obj.id(), prot, share)
        } else {
            t.space
                .map_object(obj.id(), pages, prot, share, None, false)
        };
        Ok::<_, Errno>((r.map_err(Errno::from), obj))
    })
    .ok_or(Errno::Perm)??;
    // The lookup's reference is dropped after the task's lock.
    let (r, obj) = r;
    drop(obj);
    r
}

/// `mem_revoke(handle) -> mappings removed`.
pub fn mem_revoke(h: u32) -> Result<u32, Errno> {
    let obj = process::with_current(|t| {
        crate::object::lookup(
            &t.handles,
            Handle::from_raw(h),
            Rights::MANAGE,
            Object::memory,
        )
    })
    .ok_or(Errno::Perm)??;
    Ok(process::revoke(&obj) as u32)
}
