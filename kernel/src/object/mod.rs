//! Kernel objects that processes reach through handles.
//!
//! An [`Object`] is one counted reference ([`KRef`]) to an object of some
//! kind; a process's [`HandleTable`](crate::handle::HandleTable) holds
//! them. An object lives while anything refers to it: a handle in any
//! process, a binding (an IRQ line bound to a notification holds the
//! notification), a thread blocked on it. So a closed handle, or a dead
//! owner, never leaves a dangling object behind for the others.
//!
//! **Adding a kind** (IPC adds endpoints, threads, reply capabilities):
//! a module here with the object type (`Send + Sync`, its state behind the
//! locks it needs), a variant of [`Object`] holding a `KRef` of it, a line
//! in [`Object::kind`], and an accessor in the style of
//! [`Object::notification`] that the system calls use. Say in the
//! [`Rights`](crate::handle::Rights) docs which rights it honours.

#[cfg(target_os = "none")]
pub mod irqline;
pub mod kref;
#[cfg(target_os = "none")]
pub mod notify;
#[cfg(target_os = "none")]
pub mod process;
#[cfg(target_os = "none")]
pub mod thread;

pub use kref::KRef;

#[cfg(target_os = "none")]
pub use kernel_objects::*;

#[cfg(target_os = "none")]
mod kernel_objects {
    use super::KRef;
    use super::irqline::{ClaimError, IrqLine};
    use super::notify::Notification;
    use super::process::Control;
    use super::thread::Thread;
    use crate::handle::{Handle, HandleError, HandleTable, Rights};
    use crate::ipc::Endpoint;
    use crate::mm::object::MemObject;
    use crate::watchdog;

    /// Handles one process may hold at once.
    pub const MAX_HANDLES: usize = 32;

    /// A process's handle table.
    pub type Handles = HandleTable<Object, MAX_HANDLES>;

    /// A reference to a kernel object of some kind.
    #[derive(Clone)]
    pub enum Object {
        /// A word of event bits ([`Notification`]).
        Notification(KRef<Notification>),
        /// An interrupt line a process drives ([`IrqLine`]).
        Irq(KRef<IrqLine>),
        /// An IPC rendezvous point ([`Endpoint`]).
        Endpoint(KRef<Endpoint>),
        /// A thread of the process holding the handle ([`Thread`]).
        Thread(KRef<Thread>),
        /// Shared memory or a DMA buffer ([`MemObject`]).
        Memory(KRef<MemObject>),
        /// Another process, to control (end) it ([`Control`]).
        Process(KRef<Control>),
        /// The right to the A9 private watchdog ([`watchdog::Grant`]).
        Watchdog(KRef<watchdog::Grant>),
    }

    /// The kinds of [`Object`], for messages and reports.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Kind {
        /// [`Object::Notification`].
        Notification,
        /// [`Object::Irq`].
        Irq,
        /// [`Object::Endpoint`].
        Endpoint,
        /// [`Object::Thread`].
        Thread,
        /// [`Object::Memory`].
        Memory,
        /// [`Object::Process`].
        Process,
        /// [`Object::Watchdog`].
        Watchdog,
    }

    impl Object {
        /// A new notification with no bits pending; `None` if the kernel
        /// heap has no room.
        pub fn new_notification() -> Option<Object> {
            KRef::try_new(Notification::new())
                .ok()
                .map(Object::Notification)
        }

        /// Claims interrupt line `irq` (see [`IrqLine::claim`]): masked and
        /// unbound until its holder binds it.
        pub fn new_irq(irq: u32) -> Result<Object, ClaimError> {
            let line = IrqLine::claim(irq)?;
            // A failed allocation hands the line back; dropping it frees it.
            KRef::try_new(line)
                .map(Object::Irq)
                .map_err(|_| ClaimError::NoMemory)
        }

        /// Which kind of object this is.
        pub fn kind(&self) -> Kind {
            match self {
                Object::Notification(_) => Kind::Notification,
                Object::Irq(_) => Kind::Irq,
                Object::Endpoint(_) => Kind::Endpoint,
                Object::Thread(_) => Kind::Thread,
                Object::Memory(_) => Kind::Memory,
                Object::Process(_) => Kind::Process,
                Object::Watchdog(_) => Kind::Watchdog,
            }
        }

        /// The notification this is, if it is one.
        pub fn notification(&self) -> Option<&KRef<Notification>> {
            match self {
                Object::Notification(n) => Some(n),
                _ => None,
            }
        }

        /// The IRQ line this is, if it is one.
        pub fn irq(&self) -> Option<&KRef<IrqLine>> {
            match self {
                Object::Irq(l) => Some(l),
                _ => None,
            }
        }

        /// A new endpoint; `None` if the kernel has no room for one.
        pub fn new_endpoint() -> Option<Object> {
            let e = Endpoint::new().ok()?;
            KRef::try_new(e).ok().map(Object::Endpoint)
        }

        /// The thread this is, if it is one.
        pub fn thread(&self) -> Option<&KRef<Thread>> {
            match self {
                Object::Thread(t) => Some(t),
                _ => None,
            }
        }

        /// The memory object this is, if it is one.
        pub fn memory(&self) -> Option<&KRef<MemObject>> {
            match self {
                Object::Memory(m) => Some(m),
                _ => None,
            }
        }

        /// The process this names, if it is a process object.
        pub fn process(&self) -> Option<&KRef<Control>> {
            match self {
                Object::Process(p) => Some(p),
                _ => None,
            }
        }

        /// Claims the A9 private watchdog (see [`watchdog::claim`]) for a
        /// process to be granted; the claim ends with the object's last
        /// reference, leaving an armed watchdog armed.
        pub fn new_watchdog() -> Result<Object, watchdog::WatchdogError> {
            let grant = watchdog::claim()?;
            // A failed allocation drops the grant: the claim is free again.
            KRef::try_new(grant)
                .map(Object::Watchdog)
                .map_err(|_| watchdog::WatchdogError::NoMemory)
        }

        /// The watchdog grant this is, if it is one.
        pub fn watchdog(&self) -> Option<&KRef<watchdog::Grant>> {
            match self {
                Object::Watchdog(w) => Some(w),
                _ => None,
            }
        }

        /// The endpoint this is, if it is one.
        pub fn endpoint(&self) -> Option<&KRef<Endpoint>> {
            match self {
                Object::Endpoint(e) => Some(e),
                _ => None,
            }
        }

        /// Whether two references name the same object.
        pub fn same(&self, other: &Object) -> bool {
            match (self, other) {
                (Object::Notification(a), Object::Notification(b)) => KRef::ptr_eq(a, b),
                (Object::Irq(a), Object::Irq(b)) => KRef::ptr_eq(a, b),
                (Object::Endpoint(a), Object::Endpoint(b)) => KRef::ptr_eq(a, b),
                (Object::Thread(a), Object::Thread(b)) => KRef::ptr_eq(a, b),
                (Object::Memory(a), Object::Memory(b)) => KRef::ptr_eq(a, b),
                (Object::Process(a), Object::Process(b)) => KRef::ptr_eq(a, b),
                (Object::Watchdog(a), Object::Watchdog(b)) => KRef::ptr_eq(a, b),
                _ => false,
            }
        }
    }

    impl core::fmt::Debug for Object {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "{:?}", self.kind())
        }
    }

    /// Looks `h` up in `table` with rights `need` and picks out one kind
    /// with `pick` (a method like [`Object::notification`]): a clone of the
    /// reference, so it can be used after the table's lock is dropped. A
    /// handle of another kind is [`HandleError::NoRight`].
    pub fn lookup<T>(
        table: &Handles,
        h: Handle,
        need: Rights,
        pick: impl FnOnce(&Object) -> Option<&KRef<T>>,
    ) -> Result<KRef<T>, HandleError> {
        let object = table.get(h, need)?;
        pick(object).cloned().ok_or(HandleError::NoRight)
    }
}
