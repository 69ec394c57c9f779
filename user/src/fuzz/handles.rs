//! The fuzzer's model of its own handle table, and the handle,
//! notification and IRQ calls (16-23) with their oracles.
//!
//! The kernel's table is small and deterministic (32 slots, the first free
//! one taken, a slot's generation bumped when it is closed, a handle being
//! `generation << 8 | slot`), so the model knows the exact value every
//! `notify_create`, `endpoint_create`, `handle_dup` and `thread_create`
//! returns, which handles are stale, and the pending bits of every
//! notification the fuzzer holds.

use super::{Fuzzer, Want};
use crate::abi::{
    self, Errno, RIGHT_MANAGE, RIGHT_RECEIVE, RIGHT_SEND, RIGHT_SIGNAL, RIGHT_TRANSFER, RIGHT_WAIT,
};

/// Slots of a process's handle table (the kernel's `MAX_HANDLES`).
pub(super) const SLOTS: usize = 32;
/// The largest generation before it wraps to 1 (the kernel's `GEN_MAX`).
const GEN_MAX: u32 = (1 << 23) - 1;
/// Every right the kernel knows; other bits are `Inval` for `handle_dup`.
const ALL_RIGHTS: u32 = (abi::RIGHT_MAP_WRITE << 1) - 1;

/// What a handle names: a notification or an endpoint (by object number
/// in the model, shared by duplicates) or a thread (by its slot in the
/// fuzzer's thread table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Obj {
    Notify(u8),
    Endpoint(u8),
    Thread(u8),
    Memory(u8),
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    generation: u32,
    entry: Option<(Obj, u32)>,
}

/// The model of the fuzzer's handle table and of the objects it names.
pub(super) struct Handles {
    slots: [Slot; SLOTS],
    /// Pending bits of each notification object.
    bits: [u32; SLOTS],
    /// Handles naming each notification object (0: the object is gone).
    notify_refs: [u8; SLOTS],
    /// Handles naming each endpoint object.
    endpoint_refs: [u8; SLOTS],
    /// Handles naming each memory object.
    memory_refs: [u8; SLOTS],
}

impl Handles {
    /// An empty table (a fuzzer has no grants).
    pub(super) const fn new() -> Self {
        Handles {
            slots: [Slot {
                generation: 1,
                entry: None,
            }; SLOTS],
            bits: [0; SLOTS],
            notify_refs: [0; SLOTS],
            endpoint_refs: [0; SLOTS],
            memory_refs: [0; SLOTS],
        }
    }

    /// The object and rights `h` names, as the kernel's look-up finds them.
    pub(super) fn lookup(&self, h: u32) -> Option<(Obj, u32)> {
        let slot = self.slots.get((h & 0xFF) as usize)?;
        let entry = slot.entry?;
        (slot.generation == h >> 8).then_some(entry)
    }

    /// `h`'s object if it is one `kind` accepts and `h` has `need`.
    pub(super) fn get(&self, h: u32, need: u32, kind: fn(Obj) -> Option<u8>) -> Option<u8> {
        let (obj, rights) = self.lookup(h)?;
        if rights & need != need {
            return None;
        }
        kind(obj)
    }

    /// The handle the next insert returns (None: the table is full).
    pub(super) fn next(&self) -> Option<u32> {
        let i = self.slots.iter().position(|s| s.entry.is_none())?;
        Some(self.slots[i].generation << 8 | i as u32)
    }

    /// Inserts a reference to `obj` in the first free slot.
    pub(super) fn insert(&mut self, obj: Obj, rights: u32) -> Option<u32> {
        let h = self.next()?;
        self.slots[(h & 0xFF) as usize].entry = Some((obj, rights));
        match obj {
            Obj::Notify(n) => self.notify_refs[n as usize] += 1,
            Obj::Endpoint(n) => self.endpoint_refs[n as usize] += 1,
            Obj::Memory(n) => self.memory_refs[n as usize] += 1,
            Obj::Thread(_) => {}
        }
        Some(h)
    }

    /// Closes `h` (which must be valid); its object.
    pub(super) fn close(&mut self, h: u32) -> Option<Obj> {
        self.lookup(h)?;
        let slot = &mut self.slots[(h & 0xFF) as usize];
        slot.generation = if slot.generation >= GEN_MAX {
            1
        } else {
            slot.generation + 1
        };
        let (obj, _) = slot.entry.take()?;
        match obj {
            Obj::Notify(n) => {
                self.notify_refs[n as usize] -= 1;
                if self.notify_refs[n as usize] == 0 {
                    self.bits[n as usize] = 0;
                }
            }
            Obj::Endpoint(n) => self.endpoint_refs[n as usize] -= 1,
            Obj::Memory(n) => self.memory_refs[n as usize] -= 1,
            Obj::Thread(_) => {}
        }
        Some(obj)
    }

    /// A free object number for a new notification or endpoint.
    fn free_object(refs: &[u8; SLOTS]) -> u8 {
        refs.iter().position(|&r| r == 0).unwrap_or(0) as u8
    }

    /// A new notification object's number.
    pub(super) fn new_notify(&self) -> Obj {
        Obj::Notify(Self::free_object(&self.notify_refs))
    }

    /// A new endpoint object's number.
    pub(super) fn new_endpoint(&self) -> Obj {
        Obj::Endpoint(Self::free_object(&self.endpoint_refs))
    }

    /// A new memory object's number.
    pub(super) fn new_memory(&self) -> Obj {
        Obj::Memory(Self::free_object(&self.memory_refs))
    }

    /// Pending bits of notification `n`.
    pub(super) fn bits_mut(&mut self, n: u8) -> &mut u32 {
        &mut self.bits[n as usize]
    }

    /// The handles in use, with what they name.
    pub(super) fn live(&self) -> impl Iterator<Item = (u32, Obj, u32)> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            s.entry
                .map(|(obj, rights)| (s.generation << 8 | i as u32, obj, rights))
        })
    }

    /// The handle value slot `i` would have with generation `g`.
    fn raw(i: usize, g: u32) -> u32 {
        g << 8 | i as u32
    }

    /// The current generation of slot `i`.
    fn generation(&self, i: usize) -> u32 {
        self.slots[i].generation
    }
}

/// Kind filters for [`Handles::get`].
pub(super) fn notify(o: Obj) -> Option<u8> {
    match o {
        Obj::Notify(n) => Some(n),
        _ => None,
    }
}

/// See [`notify`].
pub(super) fn endpoint(o: Obj) -> Option<u8> {
    match o {
        Obj::Endpoint(n) => Some(n),
        _ => None,
    }
}

/// See [`notify`].
pub(super) fn memory(o: Obj) -> Option<u8> {
    match o {
        Obj::Memory(n) => Some(n),
        _ => None,
    }
}

/// See [`notify`].
pub(super) fn thread(o: Obj) -> Option<u8> {
    match o {
        Obj::Thread(n) => Some(n),
        _ => None,
    }
}

impl Fuzzer {
    /// A handle for a call: most often a live one that `good` accepts
    /// (right kind, right rights), else any live one (wrong kind or
    /// missing rights), a stale one (its slot's generation off by one, or
    /// a closed slot's), 0, random bits, a slot past the table, a grant's
    /// number (the fuzzer has none).
    pub(super) fn pick_handle(&mut self, good: impl Fn(Obj, u32) -> bool) -> u32 {
        let n = self.handles.live().filter(|&(_, o, r)| good(o, r)).count() as u32;
        let all = self.handles.live().count() as u32;
        match self.rng.below(12) {
            0..=5 if n > 0 => {
                let k = self.rng.below(n) as usize;
                let pick = self.handles.live().filter(|&(_, o, r)| good(o, r)).nth(k);
                pick.map_or(0, |(h, ..)| h)
            }
            0..=6 if all > 0 => {
                let k = self.rng.below(all) as usize;
                self.handles.live().nth(k).map_or(0, |(h, ..)| h)
            }
            7 | 8 => {
                let i = self.rng.below(SLOTS as u32) as usize;
                let g = self.handles.generation(i);
                let g = match self.rng.below(3) {
                    0 => g.wrapping_sub(1),
                    1 => g + 1,
                    _ => g,
                };
                Handles::raw(i, g)
            }
            9 => self.rng.pick(&[0, u32::MAX, 0x8000_0000, 0x7FFF_FFFF]),
            10 => Handles::raw(SLOTS + self.rng.below(256 - SLOTS as u32) as usize, 1),
            _ => match self.rng.below(3) {
                0 => abi::granted_handle(self.rng.below(4)),
                1 => self.rng.bits(),
                _ => self.rng.bits() | 0x8000_0000,
            },
        }
    }

    /// The endpoint handle the fuzzer's echo server receives on: never
    /// closed or moved away (the server would then fail).
    pub(super) fn protected(&self) -> Option<u32> {
        self.server.map(|s| s.ep)
    }

    /// Whether the table is nearly full (then calls that fill it close a
    /// handle instead, half the time, so that it is not full for most of a
    /// run: a full table makes every create `NoMem`).
    pub(super) fn crowded(&mut self) -> bool {
        self.handles.live().count() >= SLOTS - 6 && self.rng.one_in(2)
    }

    /// A correct `handle_close` of a live handle (not a thread's, not the
    /// echo server's endpoint).
    pub(super) fn close_one(&mut self) {
        let protected = self.protected();
        let n = self
            .handles
            .live()
            .filter(|&(h, o, _)| thread(o).is_none() && Some(h) != protected)
            .count();
        if n == 0 {
            return self.handle_close();
        }
        let k = self.rng.below(n as u32) as usize;
        let pick = self
            .handles
            .live()
            .filter(|&(h, o, _)| thread(o).is_none() && Some(h) != protected)
            .nth(k);
        let h = pick.map_or(0, |(h, ..)| h);
        self.expect(abi::HANDLE_CLOSE, [h, 0, 0, 0], Want::Value(0));
        self.handles.close(h);
    }

    /// `handle_close`: `Ok` for a live handle, `BadHandle` otherwise. A
    /// closed thread handle leaves its thread unjoinable (it still counts
    /// against the process's thread limit, see `ipc`).
    pub(super) fn handle_close(&mut self) {
        // Thread handles less often: a thread whose handle is closed keeps
        // its place until the run ends, and seven of them stop creation.
        let mut h = self.pick_handle(|o, _| thread(o).is_none());
        if Some(h) == self.protected() {
            h = 0;
        }
        let want = match self.handles.lookup(h) {
            Some(_) => Want::Value(0),
            None => Want::Error(Errno::BadHandle),
        };
        let junk = self.rng.bits();
        self.expect(abi::HANDLE_CLOSE, [h, junk, 0, 0], want);
        self.handles.close(h);
    }

    /// `handle_dup(h, mask)`: `Inval` for unknown rights bits (checked
    /// first), `BadHandle` for a bad handle or one without `TRANSFER`,
    /// `NoMem` when the table is full, else the next free slot's handle
    /// with the rights `h`'s & `mask` (zero rights included).
    pub(super) fn handle_dup(&mut self) {
        if self.crowded() {
            return self.close_one();
        }
        let h = self.pick_handle(|_, r| r & RIGHT_TRANSFER != 0);
        let mask = match self.rng.below(5) {
            0 => self.rng.bits(),
            1 => ALL_RIGHTS,
            _ => self.rng.below(ALL_RIGHTS + 1),
        };
        let found = self.handles.lookup(h);
        let want = if mask & !ALL_RIGHTS != 0 {
            Want::Error(Errno::Inval)
        } else {
            match found {
                Some((_, r)) if r & RIGHT_TRANSFER != 0 => match self.handles.next() {
                    Some(next) => Want::Value(next),
                    None => Want::Error(Errno::NoMem),
                },
                _ => Want::Error(Errno::BadHandle),
            }
        };
        let junk = self.rng.bits();
        self.expect(abi::HANDLE_DUP, [h, mask, junk, 0], want);
        if let (Want::Value(_), Some((obj, r))) = (want, found) {
            self.handles.insert(obj, r & mask);
        }
    }

    /// `notify_create`: the next free slot's handle (`SIGNAL`, `WAIT`,
    /// `TRANSFER`), no bits pending (see [`create`](Self::create)).
    pub(super) fn notify_create(&mut self) {
        let rights = RIGHT_SIGNAL | RIGHT_WAIT | RIGHT_TRANSFER;
        self.create(abi::NOTIFY_CREATE, Handles::new_notify, rights);
    }

    /// A `*_create` call `nr` (soft processes only): `Perm` for a hard
    /// process, `NoMem` when the table is full, else the next free slot's
    /// handle to an object made by `make`, with `rights`.
    pub(super) fn create(&mut self, nr: u32, make: fn(&Handles) -> Obj, rights: u32) {
        if self.crowded() {
            return self.close_one();
        }
        let want = if self.hard {
            Want::Error(Errno::Perm)
        } else {
            self.handles
                .next()
                .map_or(Want::Error(Errno::NoMem), Want::Value)
        };
        let args = [self.rng.bits(), self.rng.bits(), 0, 0];
        self.expect(nr, args, want);
        if let Want::Value(_) = want {
            let obj = make(&self.handles);
            self.handles.insert(obj, rights);
        }
    }

    /// `notify_signal(h, bits)`: `Ok` (bits ORed in) for a notification
    /// handle with `SIGNAL`, `BadHandle` for anything else.
    pub(super) fn notify_signal(&mut self) {
        let h = self.pick_handle(|o, r| notify(o).is_some() && r & RIGHT_SIGNAL != 0);
        let bits = match self.rng.below(3) {
            0 => 0,
            1 => 1 << self.rng.below(32),
            _ => self.rng.bits(),
        };
        let n = self.handles.get(h, RIGHT_SIGNAL, notify);
        let want = n.map_or(Want::Error(Errno::BadHandle), |_| Want::Value(0));
        self.expect(abi::NOTIFY_SIGNAL, [h, bits, 0, 0], want);
        if let Some(n) = n {
            *self.handles.bits_mut(n) |= bits;
        }
    }

    /// `notify_wait(h, deadline)` and `notify_poll(h)`: `BadHandle` unless
    /// a notification handle with `WAIT`; else `r1` is exactly the pending
    /// bits (cleared). Nobody else signals the fuzzer's notifications, so
    /// a wait with nothing pending is issued only with a deadline in the
    /// past or at most 20 us ahead (it returns 0 then); with bits pending
    /// any deadline, "none" included, returns at once.
    pub(super) fn notify_wait_or_poll(&mut self, poll: bool) {
        let h = self.pick_handle(|o, r| notify(o).is_some() && r & RIGHT_WAIT != 0);
        let n = self.handles.get(h, RIGHT_WAIT, notify);
        let pending = n.map_or(0, |n| *self.handles.bits_mut(n));
        let now = self.last_time.max(crate::now());
        let deadline = match self.rng.below(5) {
            0 if pending != 0 => u64::MAX,
            0 | 1 => 0,
            2 => now.saturating_sub(self.rng.bits() as u64),
            3 => now,
            _ => now + self.rng.below(20_000) as u64,
        };
        let (nr, args) = if poll {
            (abi::NOTIFY_POLL, [h, self.rng.bits(), self.rng.bits(), 0])
        } else {
            (
                abi::NOTIFY_WAIT,
                [h, deadline as u32, (deadline >> 32) as u32, 0],
            )
        };
        let want = n.map_or(Want::Error(Errno::BadHandle), |_| Want::Value(0));
        let (r0, r1) = self.expect(nr, args, want);
        if let Some(n) = n {
            *self.handles.bits_mut(n) = 0;
            if r0 == 0 && r1 != pending {
                self.wrong("pending bits", nr, args, r1, Want::Value(pending));
            }
        }
    }

    /// See [`Fuzzer::notify_wait_or_poll`].
    pub(super) fn notify_wait(&mut self) {
        self.notify_wait_or_poll(false);
    }

    /// See [`Fuzzer::notify_wait_or_poll`].
    pub(super) fn notify_poll(&mut self) {
        self.notify_wait_or_poll(true);
    }

    /// `irq_bind(line, notification, bits)`: the fuzzer is granted no IRQ
    /// line, so the line handle is `BadHandle` whatever the rest (a
    /// notification of its own, zero bits) is.
    pub(super) fn irq_bind(&mut self) {
        let line = self.pick_handle(|_, _| true);
        let n = self.pick_handle(|o, r| notify(o).is_some() && r & RIGHT_SIGNAL != 0);
        let bits = self.rng.pick(&[0, 1, u32::MAX]);
        let args = [line, n, bits, self.rng.bits()];
        self.expect(abi::IRQ_BIND, args, Want::Error(Errno::BadHandle));
    }

    /// `process_kill(h)`: `BadHandle` whatever `h` is, the fuzzer's own
    /// handles included (a thread's has `MANAGE` too, but is no process
    /// handle): it is granted none.
    pub(super) fn process_kill(&mut self) {
        let args = [
            self.pick_handle(|o, _| thread(o).is_some()),
            self.rng.bits(),
            0,
            0,
        ];
        self.expect(abi::PROCESS_KILL, args, Want::Error(Errno::BadHandle));
    }

    /// `irq_ack(line)`: `BadHandle` (no IRQ line is granted).
    pub(super) fn irq_ack(&mut self) {
        let args = [self.pick_handle(|_, _| true), self.rng.bits(), 0, 0];
        self.expect(abi::IRQ_ACK, args, Want::Error(Errno::BadHandle));
    }
}

/// Rights an endpoint gets from `endpoint_create`.
pub(super) const ENDPOINT_RIGHTS: u32 = RIGHT_SEND | RIGHT_RECEIVE | RIGHT_TRANSFER;
/// Rights a thread handle has.
pub(super) const THREAD_RIGHTS: u32 = RIGHT_MANAGE;
