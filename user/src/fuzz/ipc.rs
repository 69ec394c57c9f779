//! Threads and IPC (calls 32-40) for the fuzzer, with their oracles.
//!
//! **Threads** the fuzzer creates run one of two entries on a stack of
//! their own (a static one per thread slot, so a bogus stack is never
//! handed to the kernel with a real entry): [`quick_exit`], which ends at
//! once with the code it was given (so `thread_join` must return exactly
//! that), or [`echo_server`]. A soft process may have 7 threads besides
//! its first, counted until joined: a thread whose handle was closed is
//! never joined and keeps its place (and its stack) until the run ends;
//! a hard fuzzer is admitted with none (`NoMem`). Threads left unjoined
//! die with the process.
//!
//! **The echo server** is the fuzzer's own second thread receiving on one
//! of its endpoints: a `call` there always returns (with a timeout of 1 s,
//! or none), with a reply the oracle knows: the first word flipped, the
//! long message's length and checksum, and the handle moved with it (the
//! server closes it). Every other endpoint has nobody receiving, so
//! `call`, `recv` and `reply_recv` are issued with timeouts of at most
//! 50 us and must end `TimedOut`; the first thread never holds a reply
//! capability, so `reply` is `Inval` once its arguments pass. The server's
//! endpoint handle is never closed or moved (the server would fail); a
//! `call` whose first word is [`STOP`] ends the server after its reply.
//!
//! Not issued: `thread_exit` from the first thread (it ends the run, like
//! `exit`); thread entries or stacks inside user space that are not the
//! fuzzer's own (the thread would fault and the process with it).

use super::handles::{ENDPOINT_RIGHTS, Handles, Obj, THREAD_RIGHTS, endpoint, thread};
use super::{Fuzzer, Want};
use crate::abi::{self, Errno, MSG_MAX, RIGHT_MANAGE, RIGHT_RECEIVE, RIGHT_SEND, RIGHT_TRANSFER};
use crate::{Msg, ipc_syscall, println, syscall};
use core::cell::UnsafeCell;

/// Threads a soft process may have besides its first (the kernel's
/// `DEFAULT_SOFT_THREADS`).
pub(super) const THREADS: usize = 7;
/// Bytes of each thread's stack.
const STACK: usize = 2048;
/// The idle priority: thread priorities must be below it.
const IDLE_PRIORITY: u32 = 31;
/// First word of a call that ends the echo server (after its reply).
pub(super) const STOP: u32 = 0x5709_5709;
/// XORed into the first word of each echo reply.
const FLIP: u32 = 0xEC40_EC40;
/// The echo server's exit code after [`STOP`]; [`SERVER_FAILED`] plus the
/// error code if one of its own calls failed.
const SERVER_DONE: u32 = 0x0E00_0000;
const SERVER_FAILED: u32 = 0x0F00_0000;
/// A timeout long enough for the echo server to answer (µs).
const SERVED_TIMEOUT_US: u32 = 1_000_000;

/// Stacks and the echo server's receive buffer: memory only the threads
/// touch, each its own part.
#[repr(C, align(8))]
struct ThreadMemory {
    stacks: [[u8; STACK]; THREADS],
    server_buf: [u8; MSG_MAX as usize],
}

struct Shared(UnsafeCell<ThreadMemory>);

// SAFETY: each stack is used by one thread at a time (a slot is reused
// only after its thread was joined) and the server buffer by the server
// alone; the first thread only takes addresses.
unsafe impl Sync for Shared {}

static MEMORY: Shared = Shared(UnsafeCell::new(ThreadMemory {
    stacks: [[0; STACK]; THREADS],
    server_buf: [0; MSG_MAX as usize],
}));

fn stack_top(slot: usize) -> u32 {
    // SAFETY: only the address is taken.
    let stacks = unsafe { &raw mut (*MEMORY.0.get()).stacks };
    stacks as u32 + ((slot + 1) * STACK) as u32
}

fn server_buf() -> u32 {
    // SAFETY: only the address is taken.
    (unsafe { &raw mut (*MEMORY.0.get()).server_buf }) as u32
}

/// The range of the threads' memory (the first thread does not sum
/// bytes there: they change under it).
fn thread_memory() -> (u32, u32) {
    let start = MEMORY.0.get() as u32;
    (start, start + core::mem::size_of::<ThreadMemory>() as u32)
}

/// FNV-1a of `len` bytes at `addr`.
fn checksum(addr: u32, len: u32) -> u32 {
    let mut h = 0x811C_9DC5u32;
    for i in 0..len {
        // SAFETY: the callers pass memory readable by this process.
        let b = unsafe { ((addr + i) as *const u8).read_volatile() };
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    h
}

/// A thread that ends at once with `code`.
extern "C" fn quick_exit(code: u32) -> ! {
    crate::thread_exit(code as i32)
}

/// The echo server: receives on endpoint handle `ep` and answers each
/// call with `[word 0 ^ FLIP, length, checksum, moved handle]` (closing a
/// handle moved to it), until a call's first word is [`STOP`].
extern "C" fn echo_server(ep: u32) -> ! {
    let buf = server_buf();
    let mut reply: Option<[u32; 4]> = None;
    loop {
        let (r, m): (u32, Msg) = match reply {
            None => ipc_syscall(abi::RECV, ep, [0; 4], buf, MSG_MAX, 0, 0),
            Some(w) => ipc_syscall(abi::REPLY_RECV, ep, w, buf, MSG_MAX << 16, 0, 0),
        };
        let len = match Errno::check(r) {
            Ok(len) => len,
            Err(e) => crate::thread_exit((SERVER_FAILED + e as u32) as i32),
        };
        let moved = m.handle.map_or(0, |h| h.0);
        if moved != 0 {
            syscall(abi::HANDLE_CLOSE, [moved, 0, 0, 0]);
        }
        let w = [m.words[0] ^ FLIP, len, checksum(buf, len), moved];
        if m.words[0] == STOP {
            let (r, _) = ipc_syscall(abi::REPLY, 0, w, 0, 0, 0, 0);
            let code = match Errno::check(r) {
                Ok(_) => SERVER_DONE,
                Err(e) => SERVER_FAILED + e as u32,
            };
            crate::thread_exit(code as i32)
        }
        reply = Some(w);
    }
}

/// A thread the fuzzer created and has not joined.
#[derive(Clone, Copy, Debug)]
pub(super) struct ThreadModel {
    /// The code its join must return.
    code: u32,
}

/// The echo server while it serves.
#[derive(Clone, Copy, Debug)]
pub(super) struct Server {
    /// The endpoint handle it receives on.
    pub(super) ep: u32,
    /// Its endpoint object.
    obj: u8,
    /// Its thread slot.
    slot: u8,
}

impl Fuzzer {
    /// Finds the priority its spawner gave the fuzzer (a thread may not be
    /// more urgent: `Perm`), before the run and uncounted: `thread_create`
    /// of a quick thread at 0, 1, ... until it is not `Perm` (a hard
    /// fuzzer, admitted with no thread, gets `NoMem` there); a thread made
    /// is joined at once, through the handle model.
    pub(super) fn probe_priority(&mut self) {
        let entry = quick_exit as *const () as u32;
        for prio in 0..IDLE_PRIORITY {
            let (r, _) = syscall(abi::THREAD_CREATE, [entry, stack_top(0), 0, prio]);
            match Errno::check(r) {
                Err(Errno::Perm) => continue,
                Ok(h) => {
                    let want = self.handles.insert(Obj::Thread(0), THREAD_RIGHTS);
                    let (status, code) = syscall(abi::THREAD_JOIN, [h, 0, 0, 0]);
                    self.handles.close(h);
                    if want != Some(h) || status != 0 || code != 0 {
                        self.wrong(
                            "probe",
                            abi::THREAD_CREATE,
                            [entry, 0, 0, prio],
                            r,
                            Want::Success,
                        );
                    }
                }
                _ => {}
            }
            self.own_priority = prio;
            return;
        }
    }

    fn thread_count(&self) -> usize {
        self.threads.iter().flatten().count()
    }

    /// A priority: mostly one a thread may have (the fuzzer's own to
    /// idle's), else a more urgent one (`Perm`), idle's or beyond (`Inval`).
    fn priority(&mut self) -> u32 {
        match self.rng.below(8) {
            0 => self.rng.below(self.own_priority.max(1)),
            1 => {
                let r = self.rng.bits();
                self.rng.pick(&[IDLE_PRIORITY, 32, 255, u32::MAX, r])
            }
            _ => self.own_priority + self.rng.below(IDLE_PRIORITY - self.own_priority),
        }
    }

    /// An address outside user space (`Fault` as an entry or a stack).
    fn outside_user(&mut self) -> u32 {
        let r = self.rng.bits();
        match self.rng.below(5) {
            0 => r & 0xFFFF,
            1 => 0x4000_0000 + (r & 0xFFFF),
            2 => 0xC000_0000 | r,
            3 => u32::MAX - (r & 7),
            _ => 0x4000_0000 | r,
        }
    }

    /// `thread_create(entry, stack, arg, priority)`, in the kernel's order
    /// of checks: a priority past the last (`Inval`), an entry or stack
    /// outside user space or a misaligned stack (`Fault`), a priority above
    /// the process's (`Perm`), the thread limit or a full table (`NoMem`);
    /// else the next free slot's handle. Real entries and stacks only get
    /// past the checks when the oracle expects success or `Perm`/`NoMem`.
    pub(super) fn thread_create(&mut self) {
        let slot = self.threads.iter().position(Option::is_none);
        let prio = self.priority();
        let mut entry = quick_exit as *const () as u32;
        let mut stack = stack_top(slot.unwrap_or(0));
        // A quick thread's exit code: any i32, those that read like error
        // codes (-64..=-1) included (`thread_join` returns it in r1).
        let mut arg = match self.rng.below(4) {
            0 => (-1 - self.rng.below(64) as i32) as u32,
            1 => self.rng.pick(&[0, u32::MAX, 0x8000_0000, 0x7FFF_FFFF]),
            _ => self.rng.below(0x4000_0000),
        };
        let mut server = None;
        match self.rng.below(6) {
            0 => entry = self.outside_user() | self.rng.below(2),
            1 => {
                // Below user space or past its end, with no room for a frame.
                stack = self.outside_user() & !7;
                if (0x0001_0000..0x4000_0000).contains(&stack.wrapping_sub(8)) {
                    stack = 0;
                }
            }
            2 => stack += 1 + self.rng.below(7),
            3 | 4 if self.server.is_none() && !self.hard => {
                // An echo server, on a live endpoint handle with RECEIVE.
                let eps = self
                    .handles
                    .live()
                    .filter(|&(_, o, r)| endpoint(o).is_some() && r & RIGHT_RECEIVE != 0);
                if let Some((h, o, _)) = eps.last() {
                    entry = echo_server as *const () as u32;
                    arg = h;
                    server = endpoint(o).map(|obj| Server {
                        ep: h,
                        obj,
                        slot: slot.unwrap_or(0) as u8,
                    });
                }
            }
            _ => {}
        }
        let in_user = |a: u32| (0x0001_0000..0x4000_0000).contains(&a);
        let fault =
            !in_user(entry & !1) || !in_user(stack.wrapping_sub(8)) || !stack.is_multiple_of(8);
        let want = if prio >= IDLE_PRIORITY {
            Want::Error(Errno::Inval)
        } else if fault {
            Want::Error(Errno::Fault)
        } else if prio < self.own_priority {
            Want::Error(Errno::Perm)
        } else if self.hard || self.thread_count() >= THREADS {
            Want::Error(Errno::NoMem)
        } else {
            self.handles
                .next()
                .map_or(Want::Error(Errno::NoMem), Want::Value)
        };
        self.expect(abi::THREAD_CREATE, [entry, stack, arg, prio], want);
        if let (Want::Value(_), Some(slot)) = (want, slot) {
            self.handles.insert(Obj::Thread(slot as u8), THREAD_RIGHTS);
            let code = if server.is_some() { SERVER_DONE } else { arg };
            self.threads[slot] = Some(ThreadModel { code });
            if server.is_some() {
                self.server = server;
            }
        }
    }

    /// `thread_join(h)`: `BadHandle` unless a live thread handle with
    /// `MANAGE`, else 0 with the thread's exit code in r1 (any i32: quick
    /// threads end with codes that read like errors too), and the handle
    /// is used up.
    /// A join aimed at the echo server while it serves is a `STOP` call
    /// instead (the join comes at a later step).
    pub(super) fn thread_join(&mut self) {
        let h = self.pick_handle(|o, _| thread(o).is_some());
        let t = self.handles.get(h, RIGHT_MANAGE, thread);
        // The echo server is joined in two steps: this one stops it.
        if let (Some(t), Some(s)) = (t, self.server)
            && s.slot == t
        {
            return self.call_with(s.ep, [STOP, 0, 0, 0], 0, 0, 0, 0);
        }
        let model = t.and_then(|t| self.threads[t as usize]);
        let want = match model {
            Some(_) => Want::Value(0),
            None => Want::Error(Errno::BadHandle),
        };
        let junk = self.rng.bits();
        let args = [h, junk, 0, 0];
        let (r0, code) = self.expect(abi::THREAD_JOIN, args, want);
        if let Some(m) = model
            && r0 == 0
            && code != m.code
        {
            self.wrong(
                "exit code",
                abi::THREAD_JOIN,
                args,
                code,
                Want::Value(m.code),
            );
        }
        if let Some(t) = t {
            self.threads[t as usize] = None;
            self.handles.close(h);
        }
    }

    /// `set_tls(value)`: 0, and the thread's TPIDRURO reads `value`.
    pub(super) fn set_tls(&mut self) {
        let (r, a) = (self.rng.bits(), self.hostile_addr());
        let value = self.rng.pick(&[0, u32::MAX, r, a]);
        let args = [value, self.rng.bits(), 0, 0];
        self.expect(abi::SET_TLS, args, Want::Value(0));
        if crate::tls() != value {
            self.wrong(
                "TPIDRURO",
                abi::SET_TLS,
                args,
                crate::tls(),
                Want::Value(value),
            );
        }
    }

    /// A message length: mostly up to [`MSG_MAX`], else past it (`TooBig`).
    fn msg_len(&mut self) -> u32 {
        match self.rng.below(8) {
            0 => 0,
            1 => MSG_MAX + 1 + self.rng.below(0xFFFF - MSG_MAX),
            2 => MSG_MAX,
            3 => 1 + self.rng.below(64),
            _ => self.rng.below(MSG_MAX + 1),
        }
    }

    /// A handle to move with a message (r9): mostly none; never the echo
    /// server's endpoint.
    fn moved_handle(&mut self) -> u32 {
        if self.rng.one_in(3) {
            let h = self.pick_handle(|_, r| r & RIGHT_TRANSFER != 0);
            if Some(h) != self.protected() {
                return h;
            }
        }
        0
    }

    /// A buffer for a long message: hostile, or one of the fuzzer's own
    /// mappings, its text or the echo server's buffer.
    fn msg_buf(&mut self) -> u32 {
        match self.rng.below(4) {
            0 => match self.random_map() {
                Some(m) => m.addr + self.rng.below(m.len),
                None => self.hostile_addr(),
            },
            1 => self.image_start + self.rng.below(self.text_end - self.image_start),
            _ => self.hostile_addr(),
        }
    }

    /// Whether `h` needs `TRANSFER` to move and lacks it (`BadHandle`).
    fn bad_move(&self, h: u32) -> bool {
        h != 0
            && self
                .handles
                .lookup(h)
                .is_none_or(|(_, r)| r & RIGHT_TRANSFER == 0)
    }

    /// `call(ep, words, buf, len | cap << 16, timeout, h)`: `BadHandle`
    /// for a bad endpoint handle (or one without `SEND`) or a handle to
    /// move without `TRANSFER`, `TooBig` for a length or capacity past
    /// [`MSG_MAX`]; on the echo server's endpoint `Fault` for a long
    /// message the fuzzer cannot read, `NoMem` when a moved handle finds
    /// the table full, else the echo; elsewhere `TimedOut`.
    pub(super) fn call(&mut self) {
        // Half the calls go to the echo server while it serves (any
        // handle to its endpoint), so that the long path is exercised.
        let served_obj = self.server.map(|s| Obj::Endpoint(s.obj));
        let ep = match served_obj {
            Some(so) if self.rng.one_in(2) => self.pick_handle(|o, _| o == so),
            _ => self.pick_handle(|o, r| endpoint(o).is_some() && r & RIGHT_SEND != 0),
        };
        let mut words = [
            self.rng.bits(),
            self.rng.bits(),
            self.rng.bits(),
            self.rng.bits(),
        ];
        let served = self.served(ep);
        if served && self.rng.one_in(40) {
            words[0] = STOP;
        } else if words[0] == STOP {
            words[0] = 0;
        }
        // Calls to the echo server mostly from the fuzzer's text (readable
        // however it was mprotected), so that most get through.
        let buf = if served && !self.rng.one_in(4) {
            self.image_start + self.rng.below(self.text_end - self.image_start - MSG_MAX)
        } else {
            self.msg_buf()
        };
        let (len, cap) = (self.msg_len(), self.msg_len());
        let h = self.moved_handle();
        self.call_with(ep, words, buf, len, cap, h);
    }

    /// Whether a call on `ep` reaches the echo server.
    fn served(&self, ep: u32) -> bool {
        let obj = self.handles.get(ep, RIGHT_SEND, endpoint);
        obj.is_some() && self.server.is_some_and(|s| Some(s.obj) == obj)
    }

    /// A `call` with these arguments and its oracle (see [`Fuzzer::call`]).
    fn call_with(&mut self, ep: u32, words: [u32; 4], buf: u32, len: u32, cap: u32, h: u32) {
        let served = self.served(ep);
        let timeout = match served {
            true if self.rng.one_in(2) => 0,
            true => SERVED_TIMEOUT_US,
            false => 1 + self.rng.below(50),
        };
        let ok_handle = self.handles.get(ep, RIGHT_SEND, endpoint).is_some();
        let want = if !ok_handle || self.bad_move(h) {
            Want::Error(Errno::BadHandle)
        } else if len > MSG_MAX || cap > MSG_MAX {
            Want::Error(Errno::TooBig)
        } else if !served {
            Want::Error(Errno::TimedOut)
        } else if len > 0 && !self.readable(buf, len) {
            Want::Error(Errno::Fault)
        } else if h != 0 && self.handles.next().is_none() {
            Want::Error(Errno::NoMem)
        } else {
            Want::Value(0)
        };
        // The checksum the server must report, when the bytes hold still
        // (not on a stack, not in the server's buffer).
        let sum = (want == Want::Value(0)).then(|| {
            let (end, (t0, t1)) = (buf.wrapping_add(len), thread_memory());
            let apart = |a: u32, b: u32| len == 0 || buf >= b || end <= a;
            (apart(t0, t1) && apart(self.stack_start, self.stack_end)).then(|| checksum(buf, len))
        });
        let sum = sum.flatten();
        let r6 = len | cap << 16;
        let (r0, m) = self.expect_ipc(abi::CALL, ep, words, buf, r6, timeout, h, want);
        if want != Want::Value(0) || r0 != 0 {
            return;
        }
        // The moved handle: inserted in our own table, the original
        // closed, then closed by the server.
        let mut moved = 0;
        if h != 0
            && let Some((obj, rights)) = self.handles.lookup(h)
        {
            moved = self.handles.insert(obj, rights).unwrap_or(0);
            self.handles.close(h);
            self.handles.close(moved);
        }
        let echo = [words[0] ^ FLIP, len, sum.unwrap_or(m.words[2]), moved];
        if m.words != echo || m.handle.is_some() {
            self.wrong(
                "echo",
                abi::CALL,
                [ep, buf, r6, h],
                m.words[0],
                Want::Value(echo[0]),
            );
            println!(
                "fuzz:   echo {:x?} (moved {:?}), want {:x?}",
                m.words, m.handle, echo
            );
        }
        if words[0] == STOP {
            self.server = None;
        }
    }

    /// `recv(ep, buf, cap, timeout)`: `BadHandle` unless an endpoint
    /// handle with `RECEIVE`, `TooBig` for a capacity past [`MSG_MAX`],
    /// else `TimedOut` (the fuzzer's first thread is the only caller).
    pub(super) fn recv(&mut self) {
        let ep = self.pick_handle(|o, r| endpoint(o).is_some() && r & RIGHT_RECEIVE != 0);
        let buf = self.msg_buf();
        let cap = self.msg_len();
        let timeout = 1 + self.rng.below(50);
        let words = [self.rng.bits(), 0, 0, 0];
        let want = if self.handles.get(ep, RIGHT_RECEIVE, endpoint).is_none() {
            Want::Error(Errno::BadHandle)
        } else if cap > MSG_MAX {
            Want::Error(Errno::TooBig)
        } else {
            Want::Error(Errno::TimedOut)
        };
        let junk = self.rng.bits();
        self.expect_ipc(abi::RECV, ep, words, buf, cap, timeout, junk, want);
    }

    /// `reply(words, buf, len, h)`: `BadHandle` for a handle to move
    /// without `TRANSFER`, `TooBig` past [`MSG_MAX`], else `Inval` (the
    /// first thread never holds a reply capability).
    pub(super) fn reply(&mut self) {
        let words = [self.rng.bits(), self.rng.bits(), 0, 0];
        let buf = self.msg_buf();
        let len = self.msg_len();
        let h = self.moved_handle();
        let want = if self.bad_move(h) {
            Want::Error(Errno::BadHandle)
        } else if len > MSG_MAX {
            Want::Error(Errno::TooBig)
        } else {
            Want::Error(Errno::Inval)
        };
        let r0 = self.rng.bits();
        self.expect_ipc(abi::REPLY, r0, words, buf, len, 0, h, want);
    }

    /// `reply_recv(ep, words, buf, len | cap << 16, timeout, h)`:
    /// `BadHandle` (endpoint without `RECEIVE`, a handle to move without
    /// `TRANSFER`), `TooBig` (length, then capacity), else `TimedOut`: the
    /// reply has nobody to go to and is dropped.
    pub(super) fn reply_recv(&mut self) {
        let ep = self.pick_handle(|o, r| endpoint(o).is_some() && r & RIGHT_RECEIVE != 0);
        let words = [self.rng.bits(), self.rng.bits(), 0, 0];
        let buf = self.msg_buf();
        let (len, cap) = (self.msg_len(), self.msg_len());
        let h = self.moved_handle();
        let timeout = 1 + self.rng.below(50);
        let want = if self.handles.get(ep, RIGHT_RECEIVE, endpoint).is_none() || self.bad_move(h) {
            Want::Error(Errno::BadHandle)
        } else if len > MSG_MAX || cap > MSG_MAX {
            Want::Error(Errno::TooBig)
        } else {
            Want::Error(Errno::TimedOut)
        };
        let r6 = len | cap << 16;
        self.expect_ipc(abi::REPLY_RECV, ep, words, buf, r6, timeout, h, want);
    }

    /// `endpoint_create`: the next free slot's handle, every right (see
    /// `create`).
    pub(super) fn endpoint_create(&mut self) {
        self.create(abi::ENDPOINT_CREATE, Handles::new_endpoint, ENDPOINT_RIGHTS);
    }

    /// Makes an IPC call (registers r0-r6, r8, r9) and compares `r0` with
    /// `want`.
    #[allow(clippy::too_many_arguments)]
    fn expect_ipc(
        &mut self,
        nr: u32,
        r0: u32,
        words: [u32; 4],
        buf: u32,
        r6: u32,
        r8: u32,
        r9: u32,
        want: Want,
    ) -> (u32, Msg) {
        let (ret, m) = ipc_syscall(nr, r0, words, buf, r6, r8, r9);
        self.calls += 1;
        if !Self::answers(ret, want) {
            self.wrong("answer", nr, [r0, buf, r6, r9], ret, want);
        }
        (ret, m)
    }
}
