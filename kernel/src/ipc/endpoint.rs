//! Endpoints, the rendezvous of `call` and `recv`, timeouts and priority
//! donation (see the module docs of `ipc`).

use super::copy;

use crate::handle::{self, Handle, Rights};
use crate::object::Object;
use crate::process;
use crate::syscall::abi::{Errno, MSG_MAX};
use crate::thread::sync::effective_prio;
use crate::thread::{MAX_THREADS, NO_DONATION, Sched, ThreadId};
use crate::time;
use arch::trap::TrapFrame;
use core::sync::atomic::{AtomicU32, Ordering};

/// Endpoints that can exist at once.
pub const MAX_ENDPOINTS: usize = 32;

/// An endpoint's slot in the kernel's table and the generation of that
/// slot (so an id of an endpoint that is gone never names its successor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointId {
    index: u8,
    generation: u16,
}

/// An endpoint as a kernel object, reached through handles
/// ([`Object::Endpoint`]): `SEND` lets its holder `call`, `RECEIVE` lets it
/// `recv` (and serve), `TRANSFER` lets it pass the handle on. When the last
/// reference goes, the endpoint closes: whoever waits on it gets
/// `PeerGone`.
#[derive(Debug)]
pub struct Endpoint {
    id: EndpointId,
}

impl Endpoint {
    /// A new endpoint ([`IpcError::TooMany`] when [`MAX_ENDPOINTS`] exist).
    pub fn new() -> Result<Endpoint, IpcError> {
        with(|s| {
            let i = s
                .ipc
                .endpoints
                .iter()
                .position(|e| !e.live)
                .ok_or(IpcError::TooMany)?;
            let generation = s.ipc.endpoints[i].generation.wrapping_add(1);
            s.ipc.endpoints[i] = Slot {
                live: true,
                generation,
                ..Slot::EMPTY
            };
            Ok(Endpoint {
                id: EndpointId {
                    index: i as u8,
                    generation,
                },
            })
        })
    }

    /// Its id.
    pub fn id(&self) -> EndpointId {
        self.id
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        let id = self.id;
        with(|s| {
            close(s, id.index);
            let slot = &mut s.ipc.endpoints[id.index as usize];
            // Receivers too: nobody can call any more.
            let mut m = slot.receivers;
            slot.receivers = 0;
            slot.live = false;
            while m != 0 {
                let r = ThreadId::new(m.trailing_zeros() as u16);
                m &= m - 1;
                finish(s, r, Err(Errno::PeerGone));
            }
        });
    }
}

/// Why an endpoint could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpcError {
    /// [`MAX_ENDPOINTS`] exist already.
    TooMany,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// Not in IPC.
    None,
    /// Waiting for a call on the endpoint.
    Recv(u8),
    /// Queued on the endpoint, not yet received.
    Call(u8),
    /// Received by this server thread; waiting for its reply.
    Reply(ThreadId),
    /// A receiver the given caller is copying a long message into.
    Filling(ThreadId),
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    live: bool,
    /// Bumped each time the slot is taken (see [`EndpointId`]).
    generation: u16,
    /// The process with the receive right ended: calls get `PeerGone`.
    closed: bool,
    /// The thread that last received on it: the one queued callers lend
    /// their priority to.
    server: Option<ThreadId>,
    /// The process that last received on it: when it ends, the endpoint
    /// closes until another receives.
    owner: Option<u16>,
    /// Threads waiting in `recv` (bit = thread index).
    receivers: u64,
    /// Callers queued (bit = thread index).
    senders: u64,
}

impl Slot {
    const EMPTY: Slot = Slot {
        live: false,
        generation: 0,
        closed: false,
        server: None,
        owner: None,
        receivers: 0,
        senders: 0,
    };
}

/// A thread's side of IPC.
#[derive(Clone, Copy, Debug)]
struct Party {
    wait: Wait,
    /// A queued call's words; for a kernel thread, the words it got.
    words: [u32; 4],
    /// User buffer of the long message (a caller's send data and reply
    /// space; a receiver's space).
    buf: u32,
    /// Bytes to send (a caller).
    len: u16,
    /// Room in `buf` for what comes back (or in).
    cap: u16,
    /// A kernel thread's outcome (user threads get theirs in registers).
    result: Result<u32, Errno>,
    /// The caller this thread may reply to (the one-shot reply capability).
    serving: Option<ThreadId>,
    /// The endpoint this thread serves (its last `recv`).
    serves: Option<u8>,
    /// In the sleep queue for a timeout.
    timed: bool,
    /// A received call's sender pid.
    badge: u32,
    /// A caller's handle to move to the receiver (0: none).
    handle: u32,
    /// A receiver's new handle, moved from its caller (0: none), for `r5`.
    got: u32,
}

impl Party {
    const IDLE: Party = Party {
        wait: Wait::None,
        words: [0; 4],
        buf: 0,
        len: 0,
        cap: 0,
        result: Ok(0),
        serving: None,
        serves: None,
        timed: false,
        badge: 0,
        handle: 0,
        got: 0,
    };
}

/// Every endpoint and every thread's IPC state (in `Sched`, under its
/// lock).
pub struct IpcState {
    endpoints: [Slot; MAX_ENDPOINTS],
    parties: [Party; MAX_THREADS],
    /// Rendezvous the fast path made (calls and `reply_recv`s), wrapping:
    /// for tests, to see that the common case takes it.
    fast: u32,
}

/// Per task: the endpoints it serves (owns), bit = endpoint index. Written
/// under the scheduler lock; atomics so that the trap killing a process
/// can see without that lock that it served nothing ([`serves_nothing`]).
static SERVED: [AtomicU32; crate::process::MAX_PROCESSES] =
    [const { AtomicU32::new(0) }; crate::process::MAX_PROCESSES];

/// Whether task `pid` serves no endpoint (then its end closes none).
#[inline]
pub(crate) fn serves_nothing(pid: u16) -> bool {
    SERVED
        .get(pid as usize)
        .is_none_or(|m| m.load(Ordering::Relaxed) == 0)
}

const _: () = assert!(MAX_ENDPOINTS <= 32);

impl IpcState {
    /// No endpoints, nobody waiting.
    pub const fn new() -> Self {
        IpcState {
            endpoints: [Slot::EMPTY; MAX_ENDPOINTS],
            parties: [Party::IDLE; MAX_THREADS],
            fast: 0,
        }
    }
}

impl Default for IpcState {
    fn default() -> Self {
        Self::new()
    }
}

impl IpcState {
    /// The kernel's one IPC state, for the scheduler to own (once, at
    /// boot: a second call panics).
    pub fn take() -> &'static mut IpcState {
        static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        struct Only(core::cell::UnsafeCell<IpcState>);
        // SAFETY: one reference is ever handed out (below), to the
        // scheduler, which uses it under its lock.
        unsafe impl Sync for Only {}
        static STATE: Only = Only(core::cell::UnsafeCell::new(IpcState::new()));
        assert!(
            !TAKEN.swap(true, core::sync::atomic::Ordering::Relaxed),
            "IPC state taken twice"
        );
        // SAFETY: handed out once (checked above), so this is the only
        // reference to STATE.
        unsafe { &mut *STATE.0.get() }
    }
}

#[inline(always)]
#[cfg_attr(feature = "irqsoff", track_caller)]
fn with<R>(f: impl FnOnce(&mut Sched) -> R) -> R {
    crate::thread::with(f)
}

/// Process `pid` has ended: the endpoints it served close (see [`close`]).
/// Called under the scheduler lock as the end is recorded.
/// Bounded by the endpoints it served (one bit each in `served`): this
/// runs in the trap that kills a process, with IRQs masked.
pub(crate) fn process_ended(s: &mut Sched, pid: u16) {
    let Some(served) = SERVED.get(pid as usize) else {
        return;
    };
    let mut m = served.swap(0, Ordering::Relaxed);
    while m != 0 {
        let e = m.trailing_zeros() as u8;
        m &= m - 1;
        if s.ipc.endpoints[e as usize].live && s.ipc.endpoints[e as usize].owner == Some(pid) {
            close(s, e);
        }
    }
}

/// Closes endpoint `e` (its server's process ended, or it is destroyed):
/// queued callers and later calls get `PeerGone` until a thread receives
/// on it again.
fn close(s: &mut Sched, e: u8) {
    let ep = &mut s.ipc.endpoints[e as usize];
    ep.closed = true;
    if let Some(old) = ep.owner.take() {
        SERVED[old as usize].fetch_and(!(1 << e), Ordering::Relaxed);
    }
    let ep = &mut s.ipc.endpoints[e as usize];
    let (mut m, server) = (ep.senders, ep.server);
    ep.senders = 0;
    while m != 0 {
        let c = ThreadId::new(m.trailing_zeros() as u16);
        m &= m - 1;
        finish(s, c, Err(Errno::PeerGone));
    }
    if let Some(server) = server {
        recompute(s, server);
    }
}

/// The endpoint `id` names, if it still exists.
fn live(s: &mut Sched, id: EndpointId) -> Result<u8, Errno> {
    let ep = s.ipc.endpoints[id.index as usize];
    if ep.live && ep.generation == id.generation {
        Ok(id.index)
    } else {
        Err(Errno::BadHandle)
    }
}

/// The slot of endpoint `id`, which the fast path has just read from a
/// handle (or from the thread's [`ResolvedHandle`], no close since) with
/// IRQs masked since: the handle's counted reference keeps the endpoint
/// (and so its slot, with that generation) alive, and nothing ran in
/// between that could have closed the handle. So [`live`]'s check is only
/// asserted here.
#[inline(always)]
fn held_live(s: &mut Sched, id: EndpointId) -> u8 {
    debug_assert_eq!(live(s, id), Ok(id.index));
    id.index % MAX_ENDPOINTS as u8
}

/// The endpoint behind the running thread's handle `h`, if the handle has
/// `need` (`BadHandle` otherwise).
fn endpoint_of(h: u32, need: Rights) -> Result<EndpointId, Errno> {
    // No reference is taken: the id is checked again under the scheduler
    // lock (`live`), so an endpoint destroyed meanwhile is refused there.
    process::with_current(|t| {
        let object = t.handles.get(Handle::from_raw(h), need)?;
        object
            .endpoint()
            .map(|e| e.id())
            .ok_or(crate::handle::HandleError::NoRight)
    })
    .ok_or(Errno::Perm)?
    .map_err(Errno::from)
}

/// The highest-priority thread of `mask`.
fn best(s: &mut Sched, mask: u64) -> Option<ThreadId> {
    if mask & mask.wrapping_sub(1) == 0 {
        // None or one (the usual case): no priorities to compare.
        return (mask != 0).then(|| ThreadId::new(mask.trailing_zeros() as u16));
    }
    let mut best: Option<(ThreadId, u8)> = None;
    let mut m = mask;
    while m != 0 {
        let id = ThreadId::new(m.trailing_zeros() as u16);
        m &= m - 1;
        let p = s.tcb(id).prio;
        if best.is_none_or(|(_, bp)| p < bp) {
            best = Some((id, p));
        }
    }
    best.map(|(id, _)| id)
}

/// Recomputes what IPC lends `t` (its caller, the callers queued on the
/// endpoint it serves) and passes a change on down the chain: to the
/// server `t` is calling, or the owner of the mutex it waits for. At most
/// one step per thread.
fn recompute(s: &mut Sched, mut t: ThreadId) {
    for _ in 0..MAX_THREADS {
        // (Fields, not a copy of the whole party: this is on every call.)
        let (serving, serves) = {
            let p = &s.ipc.parties[t.index()];
            (p.serving, p.serves)
        };
        let mut lent = NO_DONATION;
        if let Some(c) = serving
            && s.ipc.parties[c.index()].wait == Wait::Reply(t)
        {
            lent = lent.min(s.tcb(c).prio);
        }
        if let Some(e) = serves {
            let (server, senders) = {
                let ep = &s.ipc.endpoints[e as usize];
                (ep.server, ep.senders)
            };
            if server == Some(t)
                && senders != 0
                && let Some(c) = best(s, senders)
            {
                lent = lent.min(s.tcb(c).prio);
            }
        }
        s.tcb(t).donated = lent;
        let prio = effective_prio(s, t);
        if prio == s.tcb(t).prio {
            return;
        }
        s.set_prio(t, prio);
        if let Some(next) = downstream(s, t) {
            t = next;
        } else {
            return;
        }
    }
}

/// Who `t`'s priority flows to: the server it calls, else the owner of the
/// mutex it waits for (a raise only: the mutex code recomputes on unlock).
fn downstream(s: &mut Sched, t: ThreadId) -> Option<ThreadId> {
    match s.ipc.parties[t.index()].wait {
        Wait::Call(e) => s.ipc.endpoints[e as usize].server,
        Wait::Reply(server) => Some(server),
        _ => {
            let blocked_on = s.tcb(t).blocked_on?;
            // SAFETY: a thread blocked on a mutex borrows it for the whole
            // wait; the mutex outlives its waiters.
            let owner = unsafe { crate::thread::sync::owner_of(blocked_on) }?;
            let prio = s.tcb(t).prio;
            if s.tcb(owner).prio > prio {
                s.set_prio(owner, prio);
            }
            None
        }
    }
}

/// The mutex chain reached `owner`, which waits for nothing but may be
/// blocked in an IPC call: lends on to its server (from `thread::sync`).
pub(crate) fn pass_on(s: &mut Sched, owner: ThreadId) {
    if let Some(server) = match s.ipc.parties[owner.index()].wait {
        Wait::Call(e) => s.ipc.endpoints[e as usize].server,
        Wait::Reply(server) => Some(server),
        _ => None,
    } {
        recompute(s, server);
    }
}

/// Ends `id`'s wait with `r` (the length of what it got, or an error) and
/// `words`: into its registers (a user thread, stopped at the user
/// boundary) or its party (a kernel thread). `id` is out of every queue
/// already; its timeout is cancelled here. It is not made ready: see
/// [`finish`].
fn put(s: &mut Sched, id: ThreadId, r: Result<u32, Errno>, words: [u32; 4], badge: u32) {
    let p = &mut s.ipc.parties[id.index()];
    p.wait = Wait::None;
    let timed = core::mem::take(&mut p.timed);
    if s.is_user(id) {
        let got = core::mem::take(&mut s.ipc.parties[id.index()].got);
        // SAFETY: `id` is blocked in an IPC system call, so its saved frame
        // is its user frame, not in use until it runs again.
        let f = unsafe { &mut *s.frame_of(id) };
        set_result(f, r, words, badge, got);
    } else {
        // (`got` stays for the kernel's `recv` to take.)
        let p = &mut s.ipc.parties[id.index()];
        p.result = r;
        p.words = words;
        p.badge = badge;
    }
    if timed {
        s.cancel_sleep(id);
    }
}

/// [`put`], then makes `id` ready.
fn finish(s: &mut Sched, id: ThreadId, r: Result<u32, Errno>) {
    let words = s.ipc.parties[id.index()].words;
    put(s, id, r, words, 0);
    s.make_ready(id);
}

/// Writes an IPC result into user registers;
/// `got`: a handle moved to it (0: none).
fn set_result(f: &mut TrapFrame, r: Result<u32, Errno>, words: [u32; 4], badge: u32, got: u32) {
    match r {
        Ok(len) => {
            f.r[0] = len;
            f.r[1..5].copy_from_slice(&words);
            f.r[5] = got;
            f.r[6] = badge;
        }
        Err(e) => f.r[0] = e.to_ret(),
    }
}

/// Takes `id` out of whatever IPC queue it waits in (its process is ending,
/// or its timeout ran out) and recomputes the donation it was making.
/// Leaves it blocked or asleep; the caller wakes it.
pub(crate) fn cancel(s: &mut Sched, id: ThreadId) {
    let p = s.ipc.parties[id.index()];
    s.ipc.parties[id.index()].wait = Wait::None;
    s.ipc.parties[id.index()].timed = false;
    match p.wait {
        Wait::Recv(e) => s.ipc.endpoints[e as usize].receivers &= !(1 << id.index()),
        Wait::Call(e) => {
            s.ipc.endpoints[e as usize].senders &= !(1 << id.index());
            if let Some(server) = s.ipc.endpoints[e as usize].server {
                recompute(s, server);
            }
        }
        Wait::Reply(server) => recompute(s, server),
        Wait::None | Wait::Filling(_) => {}
    }
}

/// A timed wait of `id` ran out (from the timer's wake-up, which then makes
/// it ready): its call or receive ends with `TimedOut`.
pub(crate) fn on_timeout(s: &mut Sched, id: ThreadId) {
    let p = s.ipc.parties[id.index()];
    if !p.timed || matches!(p.wait, Wait::None | Wait::Filling(_)) {
        return;
    }
    cancel(s, id);
    if s.is_user(id) {
        // SAFETY: as in `finish`: blocked in an IPC call, at the boundary.
        unsafe { (*s.frame_of(id)).r[0] = Errno::TimedOut.to_ret() };
    } else {
        s.ipc.parties[id.index()].result = Err(Errno::TimedOut);
    }
}

/// Thread `id` is ending (from `Sched::retire`): the caller it holds a
/// reply capability for gets `PeerGone`, and it serves nothing any more.
#[inline]
pub(crate) fn thread_ended(s: &mut Sched, id: ThreadId) {
    // (A reply capability comes with `serves` set: two fields tell.)
    let p = &s.ipc.parties[id.index()];
    if p.wait == Wait::None && p.serves.is_none() {
        return; // not in IPC (most threads): nothing to undo
    }
    ipc_thread_ended(s, id);
}

/// [`thread_ended`] of a thread in IPC.
#[cold]
fn ipc_thread_ended(s: &mut Sched, id: ThreadId) {
    cancel(s, id);
    let p = &mut s.ipc.parties[id.index()];
    let serving = p.serving.take();
    let serves = p.serves.take();
    if let Some(c) = serving
        && s.ipc.parties[c.index()].wait == Wait::Reply(id)
    {
        finish(s, c, Err(Errno::PeerGone));
    }
    if let Some(e) = serves
        && s.ipc.endpoints[e as usize].server == Some(id)
    {
        s.ipc.endpoints[e as usize].server = None;
    }
    s.ipc.parties[id.index()] = Party::IDLE;
    s.tcb(id).donated = NO_DONATION;
}

/// What a locked step of a system call decided.
enum Step {
    /// Return to the caller with this result (and these words, badge).
    Done(Result<u32, Errno>, [u32; 4], u32),
    /// The caller blocked (or gave way): switch, straight to this thread
    /// if given (it outranks every ready thread and is in no queue).
    Switch(Option<ThreadId>),
    /// A call's long message goes into receiver `r`'s buffer (unlocked).
    Fill { r: ThreadId, e: u8 },
    /// A received call's long message comes from caller `c` (unlocked).
    Fetch { c: ThreadId },
    /// A reply's long message goes to caller `c` (unlocked).
    Answer { c: ThreadId },
}

/// Copies `len` bytes of a long message between two processes' memory,
/// with IRQs enabled (they are masked on entry and on return).
fn copy_unlocked(
    src: Option<u16>,
    src_buf: u32,
    dst: Option<u16>,
    dst_buf: u32,
    len: u32,
) -> Result<(), Errno> {
    arch::cpu::interrupts_enable();
    let r = match (src, dst) {
        (Some(a), Some(b)) => copy::between(a, src_buf, b, dst_buf, len),
        // Kernel-bound tasks send short messages only.
        _ => Err(Errno::TooBig),
    };
    arch::cpu::interrupts_disable();
    r
}

fn fail(e: Errno) -> Step {
    Step::Done(Err(e), [0; 4], 0)
}

/// Blocks the running thread `me` in `wait`, with its timeout (µs, 0 =
/// none).
fn block(s: &mut Sched, me: ThreadId, wait: Wait, timeout_us: u32) {
    s.tcb(me).in_ipc = true;
    s.ipc.parties[me.index()].wait = wait;
    if timeout_us != 0 {
        s.ipc.parties[me.index()].timed = true;
        s.insert_sleeper(me, time::now() + u64::from(timeout_us) * 1000);
    } else {
        s.block_current();
    }
}

/// The next thread after the running one blocked: `t` directly if it
/// outranks every ready thread (no queue insert and unlink), else through
/// the ready queue.
fn next_after_block(s: &mut Sched, t: ThreadId) -> Step {
    let prio = s.tcb(t).prio;
    if s.outranks_ready(prio) {
        Step::Switch(Some(t))
    } else {
        s.make_ready(t);
        Step::Switch(None)
    }
}

/// Caller `me` (its message in its party) meets receiver `r` (out of the
/// receivers already), `len` bytes of long message already in `r`'s
/// buffer: `r` gets the words and the reply capability and runs, `me`
/// waits for the reply.
fn hand_over(s: &mut Sched, me: ThreadId, r: ThreadId, e: u8, len: u32, timeout_us: u32) -> Step {
    deliver(s, me, r, e, len);
    meet(s, me, r, timeout_us)
}

/// The first half of [`hand_over`]: receiver `r` gets caller `me`'s
/// message (its result written) and the reply capability; it is left out
/// of every queue, not ready.
fn deliver(s: &mut Sched, me: ThreadId, r: ThreadId, e: u8, len: u32) {
    let words = s.ipc.parties[me.index()].words;
    let badge = s.pid_of(me).map_or(u32::MAX, u32::from);
    drop_reply_cap(s, r);
    let rp = &mut s.ipc.parties[r.index()];
    rp.serving = Some(me);
    rp.serves = Some(e);
    s.ipc.endpoints[e as usize].server = Some(r);
    put(s, r, Ok(len), words, badge);
}

/// The second half of [`hand_over`]: caller `me` waits for `r`'s reply,
/// lending it its priority, and `r` runs.
fn meet(s: &mut Sched, me: ThreadId, r: ThreadId, timeout_us: u32) -> Step {
    block(s, me, Wait::Reply(r), timeout_us);
    recompute(s, r);
    next_after_block(s, r)
}

/// Drops the reply capability `r` holds, if any: its caller, if still
/// waiting, gets `PeerGone`.
fn drop_reply_cap(s: &mut Sched, r: ThreadId) {
    if let Some(old) = s.ipc.parties[r.index()].serving.take()
        && s.ipc.parties[old.index()].wait == Wait::Reply(r)
    {
        finish(s, old, Err(Errno::PeerGone));
    }
}

/// A call's arguments, decoded from registers.
#[derive(Clone, Copy, Debug)]
struct Call {
    ep: EndpointId,
    /// A handle of the caller's to move to the receiver (0: none).
    handle: u32,
    words: [u32; 4],
    buf: u32,
    len: u32,
    cap: u32,
    timeout_us: u32,
}

/// `call`, locked: hands the message to a waiting receiver or queues.
fn call_locked(s: &mut Sched, me: ThreadId, c: &Call) -> Step {
    if c.len > MSG_MAX || c.cap > MSG_MAX {
        return fail(Errno::TooBig);
    }
    if s.is_doomed(me) {
        return fail(Errno::PeerGone);
    }
    let e = match live(s, c.ep) {
        Ok(e) => e,
        Err(err) => return fail(err),
    };
    if s.ipc.endpoints[e as usize].closed {
        return fail(Errno::PeerGone);
    }
    let p = &mut s.ipc.parties[me.index()];
    p.words = c.words;
    p.buf = c.buf;
    p.len = c.len as u16;
    p.cap = c.cap as u16;
    p.handle = c.handle;
    let receivers = s.ipc.endpoints[e as usize].receivers;
    let Some(r) = best(s, receivers) else {
        s.ipc.endpoints[e as usize].senders |= 1 << me.index();
        block(s, me, Wait::Call(e), c.timeout_us);
        if let Some(server) = s.ipc.endpoints[e as usize].server {
            recompute(s, server);
        }
        return Step::Switch(None);
    };
    if c.len > u32::from(s.ipc.parties[r.index()].cap) {
        return fail(Errno::TooBig);
    }
    s.ipc.endpoints[e as usize].receivers &= !(1 << r.index());
    if c.len > 0 || c.handle != 0 {
        // `r` is ours to fill: out of the queue, its timeout stopped.
        let rp = &mut s.ipc.parties[r.index()];
        rp.wait = Wait::Filling(me);
        if core::mem::take(&mut rp.timed) {
            s.cancel_sleep(r);
        }
        return Step::Fill { r, e };
    }
    hand_over(s, me, r, e, 0, c.timeout_us)
}

/// `call`, after the long message was copied into `r` and the handle
/// moved (`copied`: the handle `r` got, 0 for none).
fn call_filled(
    s: &mut Sched,
    me: ThreadId,
    r: ThreadId,
    e: u8,
    c: &Call,
    copied: Result<u32, Errno>,
) -> Step {
    match call_delivered(s, me, r, e, c, copied) {
        Ok(()) => call_meet(s, me, r, c),
        Err(step) => step,
    }
}

/// The first half of [`call_filled`], a hold of its own with IRQs enabled
/// around it (`sys_call`): `r` gets the message (see [`deliver`]) but
/// stays `Filling` for us, so that [`call_meet`] can tell whether it is
/// still there.
fn call_delivered(
    s: &mut Sched,
    me: ThreadId,
    r: ThreadId,
    e: u8,
    c: &Call,
    copied: Result<u32, Errno>,
) -> Result<(), Step> {
    if s.ipc.parties[r.index()].wait != Wait::Filling(me) {
        return Err(fail(Errno::PeerGone)); // the receiver's process ended
    }
    let got = match copied {
        Ok(got) if !s.is_doomed(me) => got,
        other => {
            // Back to waiting, untimed: the fault was the caller's.
            s.ipc.parties[r.index()].wait = Wait::Recv(e);
            s.ipc.endpoints[e as usize].receivers |= 1 << r.index();
            return Err(fail(other.err().unwrap_or(Errno::PeerGone)));
        }
    };
    s.ipc.parties[r.index()].got = got;
    deliver(s, me, r, e, c.len);
    s.ipc.parties[r.index()].wait = Wait::Filling(me);
    Ok(())
}

/// The second half of [`call_filled`]: the wait for the reply and the
/// switch to `r`, if `r` is still there (its process may have ended
/// between the holds; the moved handle went with it). If our own process
/// is ending, `r` keeps the message and runs, and its reply will find
/// nobody (`PeerGone`), as if we had gone just after the rendezvous.
fn call_meet(s: &mut Sched, me: ThreadId, r: ThreadId, c: &Call) -> Step {
    if s.ipc.parties[r.index()].wait != Wait::Filling(me) {
        return fail(Errno::PeerGone);
    }
    s.ipc.parties[r.index()].wait = Wait::None;
    if s.is_doomed(me) {
        s.make_ready(r);
        return fail(Errno::PeerGone);
    }
    meet(s, me, r, c.timeout_us)
}

/// `recv`, locked: takes the best queued call or waits for one.
fn recv_locked(
    s: &mut Sched,
    me: ThreadId,
    ep: EndpointId,
    buf: u32,
    cap: u32,
    timeout_us: u32,
) -> Step {
    match recv_prepare(s, me, ep, buf, cap) {
        Ok(e) => recv_wait(s, me, e, cap, timeout_us),
        Err(step) => step,
    }
}

/// The first half of [`recv_locked`]: `me` becomes the endpoint's server
/// (its reply capability dropped, its buffer noted). Nothing here needs to
/// be one step with the wait, so `recv` does it with IRQs enabled.
fn recv_prepare(
    s: &mut Sched,
    me: ThreadId,
    ep: EndpointId,
    buf: u32,
    cap: u32,
) -> Result<u8, Step> {
    if cap > MSG_MAX {
        return Err(fail(Errno::TooBig));
    }
    if s.is_doomed(me) {
        return Err(fail(Errno::PeerGone));
    }
    let e = live(s, ep).map_err(fail)?;
    drop_reply_cap(s, me);
    s.tcb(me).in_ipc = true;
    let p = &mut s.ipc.parties[me.index()];
    p.buf = buf;
    p.cap = cap as u16;
    // An endpoint it served before names it as its server no more: only
    // `serves` is undone when it ends, and an endpoint left naming a dead
    // thread would reach its control block (a kernel panic on the next
    // call or close there).
    if let Some(old) = p.serves.replace(e)
        && old != e
        && s.ipc.endpoints[old as usize].server == Some(me)
    {
        s.ipc.endpoints[old as usize].server = None;
    }
    let pid = s.pid_of(me);
    let slot = &mut s.ipc.endpoints[e as usize];
    slot.server = Some(me);
    // Its server now: a closed endpoint opens again.
    slot.closed = false;
    if slot.owner != pid {
        let old = core::mem::replace(&mut slot.owner, pid);
        if let Some(old) = old {
            SERVED[old as usize].fetch_and(!(1 << e), Ordering::Relaxed);
        }
        if let Some(pid) = pid {
            SERVED[pid as usize].fetch_or(1 << e, Ordering::Relaxed);
        }
    }
    Ok(e)
}

/// The second half of [`recv_locked`]: takes the best queued call on
/// endpoint `e` (which `me` serves: [`recv_prepare`]) or waits for one.
fn recv_wait(s: &mut Sched, me: ThreadId, e: u8, cap: u32, timeout_us: u32) -> Step {
    loop {
        let senders = s.ipc.endpoints[e as usize].senders;
        let Some(c) = best(s, senders) else {
            s.ipc.endpoints[e as usize].receivers |= 1 << me.index();
            block(s, me, Wait::Recv(e), timeout_us);
            recompute(s, me);
            return Step::Switch(None);
        };
        s.ipc.endpoints[e as usize].senders &= !(1 << c.index());
        let cp = &s.ipc.parties[c.index()];
        let (len, handle, words) = (cp.len, cp.handle, cp.words);
        if u32::from(len) > cap {
            finish(s, c, Err(Errno::TooBig));
            continue;
        }
        s.ipc.parties[me.index()].serving = Some(c);
        s.ipc.parties[c.index()].wait = Wait::Reply(me);
        recompute(s, me);
        if len > 0 || handle != 0 {
            return Step::Fetch { c };
        }
        let badge = s.pid_of(c).map_or(u32::MAX, u32::from);
        return Step::Done(Ok(0), words, badge);
    }
}

/// [`recv_wait`] after [`recv_prepare`] was done in an earlier hold of
/// the lock: the endpoint is checked again (it may have gone meanwhile).
fn recv_again(s: &mut Sched, me: ThreadId, ep: EndpointId, cap: u32, timeout_us: u32) -> Step {
    if s.is_doomed(me) {
        return fail(Errno::PeerGone);
    }
    match live(s, ep) {
        Ok(e) => recv_wait(s, me, e, cap, timeout_us),
        Err(err) => fail(err),
    }
}

/// `recv`, after the long message of caller `c` was copied (`copied`):
/// None to receive again (the caller went, or its buffer was bad).
fn recv_fetched(
    s: &mut Sched,
    me: ThreadId,
    c: ThreadId,
    copied: Result<u32, Errno>,
) -> Option<Step> {
    if s.ipc.parties[c.index()].wait != Wait::Reply(me) {
        s.ipc.parties[me.index()].serving = None;
        recompute(s, me);
        return None;
    }
    let got = match copied {
        Ok(got) => got,
        Err(err) => {
            s.ipc.parties[me.index()].serving = None;
            finish(s, c, Err(err));
            recompute(s, me);
            return None;
        }
    };
    s.ipc.parties[me.index()].got = got;
    let cp = s.ipc.parties[c.index()];
    let badge = s.pid_of(c).map_or(u32::MAX, u32::from);
    Some(Step::Done(Ok(u32::from(cp.len)), cp.words, badge))
}

/// `reply`, locked. `Ok(c)`: caller `c` is answered and must be made
/// ready (or switched to) by the caller of this.
/// `moving`: a handle goes with the reply (then it takes the unlocked
/// path, as a long message does).
fn reply_locked(
    s: &mut Sched,
    me: ThreadId,
    words: [u32; 4],
    len: u32,
    moving: bool,
) -> Result<ThreadId, Step> {
    if len > MSG_MAX {
        return Err(fail(Errno::TooBig));
    }
    let Some(c) = s.ipc.parties[me.index()].serving else {
        return Err(fail(Errno::Inval));
    };
    if s.ipc.parties[c.index()].wait != Wait::Reply(me) {
        s.ipc.parties[me.index()].serving = None;
        recompute(s, me);
        return Err(fail(Errno::PeerGone));
    }
    if len > u32::from(s.ipc.parties[c.index()].cap) {
        return Err(fail(Errno::TooBig));
    }
    if len > 0 || moving {
        return Err(Step::Answer { c });
    }
    Ok(answer(s, me, c, words, 0))
}

/// Gives caller `c` its reply (`len` bytes already in its buffer) and
/// drops what it lent `me`; `c` is left for the caller to make ready.
fn answer(s: &mut Sched, me: ThreadId, c: ThreadId, words: [u32; 4], len: u32) -> ThreadId {
    s.ipc.parties[me.index()].serving = None;
    put(s, c, Ok(len), words, 0);
    recompute(s, me);
    c
}

/// Wakes answered caller `c` from the running thread, which goes on: a
/// switch to `c` if it now outranks us and every ready thread.
fn wake_answered(s: &mut Sched, me: ThreadId, c: ThreadId) -> Step {
    let pc = s.tcb(c).prio;
    if pc < s.tcb(me).prio && s.outranks_ready(pc) {
        return Step::Switch(Some(c));
    }
    s.make_ready(c);
    let prio = s.tcb(me).prio;
    if s.ready_above(prio) {
        Step::Switch(None)
    } else {
        Step::Done(Ok(0), [0; 4], 0)
    }
}

/// The end of a receive, once the thread is `ep`'s server (IRQs masked):
/// takes a waiting caller's message or blocks for one, in one hold when no
/// long message has to be copied. Inlined: both receive paths are hot.
#[inline(always)]
fn wait_for_call(
    frame: &mut TrapFrame,
    me: ThreadId,
    ep: EndpointId,
    buf: u32,
    cap: u32,
    timeout: u32,
) -> *mut TrapFrame {
    let fast = with(|s| match recv_again(s, me, ep, cap, timeout) {
        Step::Fetch { c } => Err(c),
        step => Ok(resume_locked(s, frame, step)),
    });
    match fast {
        Ok(next) => next,
        Err(c) => {
            let step =
                fetched(me, c, buf).unwrap_or_else(|| do_recv(me, ep, buf, cap, timeout, None));
            resume(frame, step)
        }
    }
}

/// Ends a system call's locked steps for a user thread: the result in
/// `frame` (then a switch if a thread it woke outranks it), or a switch.
/// IRQs are masked.
fn resume(frame: &mut TrapFrame, step: Step) -> *mut TrapFrame {
    with(|s| resume_locked(s, frame, step))
}

/// [`resume`], the scheduler locked already.
fn resume_locked(s: &mut Sched, frame: &mut TrapFrame, step: Step) -> *mut TrapFrame {
    match step {
        Step::Done(r, words, badge) => {
            let me = s.current();
            let got = core::mem::take(&mut s.ipc.parties[me.index()].got);
            set_result(frame, r, words, badge, got);
            let prio = s.tcb(me).prio;
            if s.ready_above(prio) {
                s.switch_to(frame, time::now(), None)
            } else {
                frame
            }
        }
        // We blocked untimed and `t` outranks every ready thread (it was
        // checked as the step was made): the fast path's switch will do.
        Step::Switch(Some(t)) if s.current_blocked() && s.is_user(t) => s.switch_ipc(frame, t),
        Step::Switch(direct) => s.switch_to(frame, time::now(), direct),
        Step::Fill { .. } | Step::Fetch { .. } | Step::Answer { .. } => {
            unreachable!("copies are done before resuming")
        }
    }
}

/// The running thread.
fn me() -> ThreadId {
    crate::thread::current_unlocked()
}

/// Moves handle `h` from process `src`'s table to process `dst`'s (with
/// its rights; it needs `TRANSFER`) and returns its value there. The two
/// tables are never locked together; if the insert fails nothing changed.
fn move_handle(src: u16, h: u32, dst: u16) -> Result<u32, Errno> {
    let h = Handle::from_raw(h);
    let (object, rights) = process::with_process(src, |t| t.handles.duplicate(h, Rights::all()))
        .ok_or(Errno::PeerGone)??;
    let inserted = process::with_process(dst, |t| t.handles.insert(object, rights));
    let new = match inserted {
        Some(Ok(new)) => new,
        Some(Err((e, object))) => {
            drop(object); // outside the receiver's lock; the sender keeps h
            return Err(Errno::from(e));
        }
        None => return Err(Errno::PeerGone),
    };
    // The sender's reference goes (dropped outside its lock).
    let old = process::with_process(src, |t| t.handles.close(h));
    drop(old);
    Ok(new.raw())
}

/// The unlocked part of a rendezvous: the long message (`len` bytes from
/// `src_buf` of `src` to `dst_buf` of `dst`), then the handle `h` (0:
/// none). Returns the handle's value in `dst` (0: none). IRQs are masked
/// on entry and on return.
fn transfer(
    src: Option<u16>,
    src_buf: u32,
    dst: Option<u16>,
    dst_buf: u32,
    len: u32,
    h: u32,
) -> Result<u32, Errno> {
    if len > 0 {
        copy_unlocked(src, src_buf, dst, dst_buf, len)?;
    }
    if h == 0 {
        return Ok(0);
    }
    let (Some(src), Some(dst)) = (src, dst) else {
        return Err(Errno::BadHandle);
    };
    arch::cpu::interrupts_enable();
    let r = move_handle(src, h, dst);
    arch::cpu::interrupts_disable();
    r
}

/// Runs a call's locked step and its copy, if any, to a final step.
fn do_call(me: ThreadId, c: &Call) -> Step {
    match with(|s| call_locked(s, me, c)) {
        Step::Fill { r, e } => filled(me, r, e, c),
        step => step,
    }
}

/// A call's copy into receiver `r` (unlocked), then the rendezvous.
fn filled(me: ThreadId, r: ThreadId, e: u8, c: &Call) -> Step {
    let copied = fill(me, r, c);
    with(|s| call_filled(s, me, r, e, c, copied))
}

/// A call's copy into receiver `r` and its handle's move (unlocked): the
/// handle `r` got (0: none).
fn fill(me: ThreadId, r: ThreadId, c: &Call) -> Result<u32, Errno> {
    let (src, dst, dst_buf) = with(|s| (s.pid_of(me), s.pid_of(r), s.ipc.parties[r.index()].buf));
    transfer(src, c.buf, dst, dst_buf, c.len, c.handle)
}

/// A received call's copy from caller `c` (unlocked), then its end: None
/// to receive again.
fn fetched(me: ThreadId, c: ThreadId, buf: u32) -> Option<Step> {
    let (src, src_buf, len, h, dst) = with(|s| {
        let cp = s.ipc.parties[c.index()];
        (
            s.pid_of(c),
            cp.buf,
            u32::from(cp.len),
            cp.handle,
            s.pid_of(me),
        )
    });
    let copied = transfer(src, src_buf, dst, buf, len, h);
    with(|s| recv_fetched(s, me, c, copied))
}

/// Runs a receive to a final step (copying a long message; receiving again
/// when the caller went or its buffer was bad). `answered`: a caller
/// `reply_recv` just answered, to wake: if we block and it outranks every
/// ready thread, the switch goes straight to it.
fn do_recv(
    me: ThreadId,
    ep: EndpointId,
    buf: u32,
    cap: u32,
    timeout_us: u32,
    mut answered: Option<ThreadId>,
) -> Step {
    loop {
        let step = with(|s| {
            let step = recv_locked(s, me, ep, buf, cap, timeout_us);
            match (answered.take(), step) {
                (Some(c), Step::Switch(None)) => next_after_block(s, c),
                (Some(c), step) => {
                    s.make_ready(c);
                    step
                }
                (None, step) => step,
            }
        });
        match step {
            Step::Fetch { c } => {
                if let Some(step) = fetched(me, c, buf) {
                    return step;
                }
            }
            step => return step,
        }
    }
}

/// Runs a reply to its end: `Ok(c)` the answered caller (not yet ready),
/// or the step that ends the system call (an error).
/// `h`: a handle of ours to move to the caller with the reply (0: none).
fn do_reply(me: ThreadId, words: [u32; 4], buf: u32, len: u32, h: u32) -> Result<ThreadId, Step> {
    match with(|s| reply_locked(s, me, words, len, h != 0)) {
        Err(Step::Answer { c }) => {
            let (src, dst, dst_buf) =
                with(|s| (s.pid_of(me), s.pid_of(c), s.ipc.parties[c.index()].buf));
            let copied = transfer(src, buf, dst, dst_buf, len, h);
            with(|s| {
                if s.ipc.parties[c.index()].wait != Wait::Reply(me) {
                    s.ipc.parties[me.index()].serving = None;
                    recompute(s, me);
                    return Err(fail(Errno::PeerGone));
                }
                let got = copied.map_err(fail)?; // the reply capability stays
                s.ipc.parties[c.index()].got = got;
                Ok(answer(s, me, c, words, len))
            })
        }
        other => other,
    }
}

fn words(frame: &TrapFrame) -> [u32; 4] {
    [frame.r[1], frame.r[2], frame.r[3], frame.r[4]]
}

fn error(frame: &mut TrapFrame, e: Errno) -> *mut TrapFrame {
    frame.r[0] = e.to_ret();
    frame
}

/// Checks that the running thread's handle `h` may be moved (`TRANSFER`).
fn check_transfer(h: u32) -> Result<(), Errno> {
    if h == 0 {
        return Ok(());
    }
    let rights = process::with_current(|t| t.handles.rights(Handle::from_raw(h)))
        .ok_or(Errno::Perm)?
        .map_err(Errno::from)?;
    if rights.contains(Rights::TRANSFER) {
        Ok(())
    } else {
        Err(Errno::BadHandle)
    }
}

/// The `call` system call (r0 = endpoint handle with `SEND`, r1-r4 =
/// words, r5 = buffer, r6 = length | capacity << 16, r8 = timeout in µs,
/// r9 = a handle to move to the server, 0 for none).
pub fn sys_call(frame: &mut TrapFrame) -> *mut TrapFrame {
    let ep = match endpoint_of(frame.r[0], Rights::SEND) {
        Ok(ep) => ep,
        Err(e) => return error(frame, e),
    };
    if let Err(e) = check_transfer(frame.r[9]) {
        return error(frame, e);
    }
    let c = Call {
        ep,
        handle: frame.r[9],
        words: words(frame),
        buf: frame.r[5],
        len: frame.r[6] & 0xFFFF,
        cap: frame.r[6] >> 16,
        timeout_us: frame.r[8],
    };
    arch::cpu::interrupts_disable();
    let me = me();
    // The common case (no copy) in one hold of the scheduler lock.
    let fast = with(|s| match call_locked(s, me, &c) {
        Step::Fill { r, e } => Err((r, e)),
        step => Ok(resume_locked(s, frame, step)),
    });
    match fast {
        Ok(next) => next,
        Err((r, e)) => {
            // After the copy and the handle's move, the message goes to
            // `r` in a hold with IRQs enabled around it; only the wait
            // and the switch run masked.
            let copied = fill(me, r, &c);
            arch::cpu::interrupts_enable();
            let delivered = with(|s| call_delivered(s, me, r, e, &c, copied));
            arch::cpu::interrupts_disable();
            with(|s| {
                let step = match delivered {
                    Ok(()) => call_meet(s, me, r, &c),
                    Err(step) => step,
                };
                resume_locked(s, frame, step)
            })
        }
    }
}

/// The `recv` system call (r0 = endpoint handle with `RECEIVE`, r5 =
/// buffer, r6 = capacity, r8 = timeout in µs).
pub fn sys_recv(frame: &mut TrapFrame) -> *mut TrapFrame {
    let ep = match endpoint_of(frame.r[0], Rights::RECEIVE) {
        Ok(ep) => ep,
        Err(e) => return error(frame, e),
    };
    let (buf, cap, timeout) = (frame.r[5], frame.r[6], frame.r[8]);
    let me = me();
    // Becoming the server takes a hold of its own, with IRQs enabled
    // outside it; the wait (and the common case, no copy) is one more.
    if let Err(step) = with(|s| recv_prepare(s, me, ep, buf, cap)) {
        arch::cpu::interrupts_disable();
        return resume(frame, step);
    }
    arch::cpu::interrupts_disable();
    wait_for_call(frame, me, ep, buf, cap, timeout)
}

/// The `reply` system call (r1-r4 = words, r5 = buffer, r6 = length, r9
/// = a handle to move to the caller, 0 for none).
pub fn sys_reply(frame: &mut TrapFrame) -> *mut TrapFrame {
    let (w, buf, len, h) = (words(frame), frame.r[5], frame.r[6], frame.r[9]);
    if let Err(e) = check_transfer(h) {
        return error(frame, e);
    }
    let me = me();
    // The answer (the caller made ready) is a hold of its own with IRQs
    // enabled around it; only the switch to the caller, if it now
    // outranks us, runs masked (`resume`'s preemption check).
    let answered = if len == 0 && h == 0 {
        with(|s| reply_locked(s, me, w, 0, false))
    } else {
        arch::cpu::interrupts_disable();
        let answered = do_reply(me, w, buf, len, h);
        arch::cpu::interrupts_enable();
        answered
    };
    let step = match answered {
        Ok(c) => with(|s| {
            s.make_ready(c);
            Step::Done(Ok(0), [0; 4], 0)
        }),
        Err(step) => step,
    };
    arch::cpu::interrupts_disable();
    resume(frame, step)
}

/// The `reply_recv` system call (r0 = endpoint handle with `RECEIVE`,
/// r1-r4 = reply words, r5 = buffer, r6 = reply length | capacity << 16,
/// r8 = timeout in µs). A reply nobody can take (no caller, or it went) is
/// dropped and the receive goes on; a reply refused (`TooBig`, `Fault`)
/// ends the call.
pub fn sys_reply_recv(frame: &mut TrapFrame) -> *mut TrapFrame {
    let ep = match endpoint_of(frame.r[0], Rights::RECEIVE) {
        Ok(ep) => ep,
        Err(e) => return error(frame, e),
    };
    let (w, buf, h) = (words(frame), frame.r[5], frame.r[9]);
    let (len, cap, timeout) = (frame.r[6] & 0xFFFF, frame.r[6] >> 16, frame.r[8]);
    if let Err(e) = check_transfer(h) {
        return error(frame, e);
    }
    let me = me();
    if len == 0 && h == 0 {
        return reply_recv_short(frame, me, ep, w, buf, cap, timeout);
    }
    arch::cpu::interrupts_disable();
    let answered = match do_reply(me, w, buf, len, h) {
        Ok(c) => Some(c),
        Err(Step::Done(Err(Errno::Inval | Errno::PeerGone), ..)) => None,
        Err(step) => return resume(frame, step),
    };
    let step = do_recv(me, ep, buf, cap, timeout, answered);
    resume(frame, step)
}

/// `reply_recv` with a short reply, when the fast path declined it: the
/// reply (its caller made ready) and becoming the server are scheduler-lock
/// holds of their own with IRQs enabled around them; only the wait and the
/// switch run masked (as one hold, unless a long message waits). IRQs are
/// enabled on entry and masked on return.
fn reply_recv_short(
    frame: &mut TrapFrame,
    me: ThreadId,
    ep: EndpointId,
    w: [u32; 4],
    buf: u32,
    cap: u32,
    timeout: u32,
) -> *mut TrapFrame {
    let replied = with(|s| match reply_locked(s, me, w, 0, false) {
        Ok(c) => {
            s.make_ready(c);
            Ok(())
        }
        // Nobody to answer: the receive goes on.
        Err(Step::Done(Err(Errno::Inval | Errno::PeerGone), ..)) => Ok(()),
        Err(step) => Err(step),
    });
    let prepared = replied.and_then(|()| with(|s| recv_prepare(s, me, ep, buf, cap)));
    arch::cpu::interrupts_disable();
    if let Err(step) = prepared {
        return resume(frame, step);
    }
    wait_for_call(frame, me, ep, buf, cap, timeout)
}

/// The IPC fast path, tried by the system-call entry for `call` and
/// `reply_recv` with IRQs still masked from the trap (so without an unmask
/// and mask around it): a short message, no handle, no timeout, and the
/// other side waiting (see [`call_fast`] and [`reply_recv_fast`]). The
/// handle is the one the thread used last time ([`ResolvedHandle`]) or is
/// looked up without the process's lock ([`resolve`]). None: not the
/// common case, nothing changed; the caller takes the general path.
#[inline]
pub fn fast(frame: &mut TrapFrame) -> Option<*mut TrapFrame> {
    let r6 = frame.r[6];
    // No long part (length 0), a capacity the general path would accept,
    // no handle moved (r9), no timeout (r8).
    if r6 & 0xFFFF != 0 || r6 >> 16 > MSG_MAX || frame.r[9] | frame.r[8] != 0 {
        return None;
    }
    let call = frame.r[7] == crate::syscall::abi::CALL;
    let key = frame.r[0] | (call as u32) << 31;
    // The common case: the handle of the thread's last call (one hold of
    // the scheduler lock).
    let tried = crate::thread::with_masked(|s| {
        // SAFETY: the running thread's control block, used only here.
        let known = unsafe { s.tcb_detached(s.current()).ipc_handle };
        if known.key != key || !handle::unchanged_since(known.closes) {
            return None;
        }
        Some(if call {
            call_fast(s, frame, known.ep)
        } else {
            reply_recv_fast(s, frame, known.ep)
        })
    });
    match tried {
        Some(done) => done,
        None => fast_from_table(frame, key, call),
    }
}

/// [`fast`] for a handle the thread did not use last: looked up in the
/// table outside the scheduler lock (which reading the table takes), and
/// remembered for the next time.
#[inline(never)]
fn fast_from_table(frame: &mut TrapFrame, key: u32, call: bool) -> Option<*mut TrapFrame> {
    let closes = handle::closes();
    let ep = lookup(frame.r[0], call)?;
    crate::thread::with_masked(|s| {
        if let Some(closes) = closes {
            // SAFETY: the running thread's control block, used only here.
            unsafe { s.tcb_detached(s.current()) }.ipc_handle = ResolvedHandle { key, closes, ep };
        }
        if call {
            call_fast(s, frame, ep)
        } else {
            reply_recv_fast(s, frame, ep)
        }
    })
}

/// A thread's last endpoint handle that the fast path resolved, kept in
/// its control block: a thread calls (or serves) the same endpoint over
/// and over, and the table read, the slot's generation, rights and kind
/// checks are then one compare of the handle and one of the close count
/// (`handle::closes`). An entry leaves a handle table only through a
/// close, which changes that count, and rights never change in place: so
/// while the count reads the same the handle still names the endpoint,
/// with the rights checked, and holds its reference (the endpoint lives).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResolvedHandle {
    /// The handle, with bit 31 set when `SEND` was checked (a `call`),
    /// clear when `RECEIVE` was (a `reply_recv`); handles are below 2^31
    /// and never 0, so 0 is "none".
    key: u32,
    /// `handle::closes()` when it was looked up.
    closes: u32,
    ep: EndpointId,
}

impl ResolvedHandle {
    /// Nothing resolved yet.
    pub(crate) const NONE: ResolvedHandle = ResolvedHandle {
        key: 0,
        closes: 0,
        ep: EndpointId {
            index: 0,
            generation: 0,
        },
    };
}

/// The endpoint behind the running thread's handle `raw`, with `SEND` for
/// a call, `RECEIVE` otherwise, read without the process's lock
/// ([`process::peek_current`]: none can change the table while IRQs are
/// masked; None while another thread holds that lock).
#[inline(never)]
fn lookup(raw: u32, call: bool) -> Option<EndpointId> {
    let need = if call { Rights::SEND } else { Rights::RECEIVE };
    process::peek_current(|p| {
        let object = p.handles.get(Handle::from_raw(raw), need).ok()?;
        object.endpoint().map(|e| e.id())
    })?
}

/// How many rendezvous (a call, or a `reply_recv`'s reply) the fast path
/// ([`fast`]) has made since boot, wrapping: tests compare two readings.
pub fn fast_path_count() -> u32 {
    with(|s| s.ipc.fast)
}

/// Adds thread `t` to `mask` (bit = thread index), setting the bit in
/// the one 32-bit word it falls in (a 64-bit shift costs the fast path
/// twice as many instructions).
#[inline(always)]
fn add_to(mask: &mut u64, t: ThreadId) {
    let i = t.index() as u32;
    *mask |= if i < 32 {
        u64::from(1u32 << i)
    } else {
        u64::from(1u32 << (i & 31)) << 32
    };
}

/// The fast path of `call` (in the manner of seL4's): a short message,
/// no handle, no timeout, one server thread waiting (untimed) in `recv`
/// on the endpoint, nobody queued, and the server, at the priority the
/// call lends it, outranking every ready thread. Then the rendezvous is a
/// few stores, the words go straight from the caller's saved registers
/// into the server's and the CPU passes to it with
/// [`Sched::switch_ipc_to`] (no ready queue, no clock, no timer). The
/// result is what [`call_locked`] and [`resume_locked`] would give. None:
/// not the common case (nothing changed), take the general path.
///
/// Each control block and party is looked up once; what the general path
/// records only for a caller still queued (its words, its handle) is not
/// written: a caller waiting for its reply never reads them.
#[inline(always)]
fn call_fast(s: &mut Sched, frame: &mut TrapFrame, ep: EndpointId) -> Option<*mut TrapFrame> {
    let me = s.current();
    let e = held_live(s, ep);
    let slot = &s.ipc.endpoints[e as usize];
    let receivers = slot.receivers;
    // One receiver exactly (several: the general path picks the best).
    if slot.closed || slot.senders != 0 || receivers == 0 || receivers & (receivers - 1) != 0 {
        return None;
    }
    let r = ThreadId::new(receivers.trailing_zeros() as u16);
    let rp = &s.ipc.parties[r.index()];
    if rp.timed || rp.serving.is_some() || s.is_doomed(me) {
        return None;
    }
    // SAFETY: the only references to the two control blocks while used;
    // `r` is blocked in its receive, `me` runs: two threads.
    let (mt, rt) = unsafe { (s.tcb_detached(me), s.tcb_detached(r)) };
    // What the call lends the server (as `recompute` would find: its only
    // client is us). A thread blocked in a system call holds no kernel
    // mutex; if it did, `effective_prio`'s general case is the general
    // path's.
    let lent = mt.prio;
    if !rt.is_user() || rt.held[0].is_some() {
        return None;
    }
    let prio = rt.base_prio.min(lent);
    if !s.outranks_ready(prio) {
        return None;
    }
    rt.donated = lent;
    rt.prio = prio; // blocked: in no queue
    let badge = mt.pid().map_or(u32::MAX, u32::from);
    let ep = &mut s.ipc.endpoints[e as usize];
    ep.receivers = 0;
    ep.server = Some(r);
    let rp = &mut s.ipc.parties[r.index()];
    rp.wait = Wait::None;
    rp.serving = Some(me);
    rp.serves = Some(e);
    rp.got = 0;
    let p = &mut s.ipc.parties[me.index()];
    p.wait = Wait::Reply(r);
    p.buf = frame.r[5];
    p.len = 0;
    p.cap = (frame.r[6] >> 16) as u16;
    mt.in_ipc = true;
    // SAFETY: `r` is blocked in its receive: its saved frame is its user
    // frame, not in use until it runs again.
    let f = unsafe { &mut *rt.frame() };
    f.r[0] = 0;
    f.r[1..5].copy_from_slice(&frame.r[1..5]);
    f.r[5] = 0;
    f.r[6] = badge;
    s.ipc.fast = s.ipc.fast.wrapping_add(1);
    Some(s.switch_ipc_to(frame, mt, r, rt))
}

/// The fast path of `reply_recv` (the other half of [`call_fast`]): a
/// short reply, no handle, no timeout, to a caller that waits untimed for
/// it and outranks every ready thread, and no call queued on the endpoint
/// (this thread its server already). The reply goes straight into the
/// caller's saved registers, this thread waits in `recv`, and the CPU
/// passes to the caller. None: not the common case (nothing changed).
#[inline(always)]
fn reply_recv_fast(s: &mut Sched, frame: &mut TrapFrame, ep: EndpointId) -> Option<*mut TrapFrame> {
    let me = s.current();
    let c = s.ipc.parties[me.index()].serving?;
    let e = held_live(s, ep);
    if s.is_doomed(me) {
        return None;
    }
    let slot = &s.ipc.endpoints[e as usize];
    let cp = &s.ipc.parties[c.index()];
    if cp.wait != Wait::Reply(me)
        || cp.timed
        || slot.closed
        || slot.senders != 0
        || slot.server != Some(me)
    {
        return None;
    }
    let owner = slot.owner;
    // SAFETY: the only references to the two control blocks while used;
    // `c` is blocked in its call, `me` runs: two threads.
    let (mt, ct) = unsafe { (s.tcb_detached(me), s.tcb_detached(c)) };
    // Lent nothing once it waits (no caller, none queued), so it drops to
    // its own priority (a thread in a system call holds no kernel mutex;
    // if it did, that is the general path's case).
    if owner.is_none()
        || owner != mt.pid()
        || !ct.is_user()
        || mt.held[0].is_some()
        || !s.outranks_ready(ct.prio)
    {
        return None;
    }
    // The reply: what `answer` does, the caller left blocked for the switch.
    let got = core::mem::take(&mut s.ipc.parties[c.index()].got);
    s.ipc.parties[c.index()].wait = Wait::None;
    // SAFETY: `c` is blocked in its call: its saved frame is its user
    // frame, not in use until it runs again.
    let f = unsafe { &mut *ct.frame() };
    f.r[0] = 0;
    f.r[1..5].copy_from_slice(&frame.r[1..5]);
    f.r[5] = got;
    f.r[6] = 0;
    // The receive: nothing queued, so this thread waits (as `recv_locked`
    // does).
    add_to(&mut s.ipc.endpoints[e as usize].receivers, me);
    let p = &mut s.ipc.parties[me.index()];
    p.serving = None;
    p.wait = Wait::Recv(e);
    p.buf = frame.r[5];
    p.cap = (frame.r[6] >> 16) as u16;
    p.serves = Some(e);
    mt.donated = NO_DONATION;
    mt.prio = mt.base_prio; // running: in no queue
    s.ipc.fast = s.ipc.fast.wrapping_add(1);
    Some(s.switch_ipc_to(frame, mt, c, ct))
}

/// `call` from a kernel-bound task (SVC mode) on its endpoint handle `h`
/// (with `SEND`): short messages only, no handle moved. Returns the
/// reply's words.
pub fn call(h: u32, words: [u32; 4], timeout_us: u32) -> Result<[u32; 4], Errno> {
    let c = Call {
        ep: endpoint_of(h, Rights::SEND)?,
        handle: 0,
        words,
        buf: 0,
        len: 0,
        cap: 0,
        timeout_us,
    };
    let irqs = arch::cpu::interrupts_disable();
    let me = me();
    let r = match do_call(me, &c) {
        Step::Done(r, w, _) => r.map(|_| w),
        Step::Switch(direct) => {
            if let Some(t) = direct {
                with(|s| s.hand_off(t));
            }
            arch::trap::reschedule();
            with(|s| {
                // A handle the server moved with its reply stays in our
                // table, unnamed (not for a later `recv` to report).
                s.ipc.parties[me.index()].got = 0;
                let p = s.ipc.parties[me.index()];
                p.result.map(|_| p.words)
            })
        }
        _ => Err(Errno::TooBig),
    };
    if irqs {
        arch::cpu::interrupts_enable();
    }
    r
}

/// A call a kernel-bound task received ([`recv`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// The caller's four words.
    pub words: [u32; 4],
    /// The caller's pid.
    pub badge: u32,
    /// The handle the caller moved into the task's table, if any.
    pub handle: Option<Handle>,
}

/// `recv` from a kernel-bound task on its endpoint handle `h` (with
/// `RECEIVE`): waits at most `timeout_us` (0: no limit) for a call.
/// Short messages only: a call with a long part gets `TooBig` and the wait
/// goes on; a handle the caller moves lands in the task's table. The task
/// then holds the reply capability, for [`reply`].
pub fn recv(h: u32, timeout_us: u32) -> Result<Received, Errno> {
    let ep = endpoint_of(h, Rights::RECEIVE)?;
    let irqs = arch::cpu::interrupts_disable();
    let me = me();
    let r = match do_recv(me, ep, 0, 0, timeout_us, None) {
        Step::Done(r, w, badge) => r.map(|_| (w, badge)),
        _ => {
            // Blocked (the only other step: with no buffer nothing is
            // copied): the caller that came, or the timeout, left the
            // outcome in our party.
            arch::trap::reschedule();
            with(|s| {
                let p = s.ipc.parties[me.index()];
                p.result.map(|_| (p.words, p.badge))
            })
        }
    };
    let got = with(|s| core::mem::take(&mut s.ipc.parties[me.index()].got));
    if irqs {
        arch::cpu::interrupts_enable();
    }
    r.map(|(words, badge)| Received {
        words,
        badge,
        handle: (got != 0).then(|| Handle::from_raw(got)),
    })
}

/// `reply` from a kernel-bound task: answers the call it last received
/// with `words`, once (`Inval` without a call to answer, `PeerGone` if the
/// caller went). A caller that now outranks the task runs at once.
pub fn reply(words: [u32; 4]) -> Result<(), Errno> {
    let irqs = arch::cpu::interrupts_disable();
    let me = me();
    let r = match with(|s| reply_locked(s, me, words, 0, false).map(|c| wake_answered(s, me, c))) {
        Ok(Step::Switch(direct)) => {
            if let Some(t) = direct {
                with(|s| s.hand_off(t));
            }
            arch::trap::reschedule();
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(Step::Done(r, ..)) => r.map(|_| ()),
        Err(_) => Err(Errno::Inval),
    };
    if irqs {
        arch::cpu::interrupts_enable();
    }
    r
}

/// `endpoint_create`: a new endpoint in the caller's table, with `SEND`,
/// `RECEIVE` and `TRANSFER`. Not for hard processes: after admission they
/// allocate nothing (their endpoints are granted at creation).
pub fn endpoint_create() -> Result<u32, Errno> {
    let hard = process::with_current(|t| t.class.is_hard()).ok_or(Errno::Perm)?;
    if hard {
        return Err(Errno::Perm);
    }
    let object = Object::new_endpoint().ok_or(Errno::NoMem)?;
    let rights = Rights::SEND | Rights::RECEIVE | Rights::TRANSFER;
    let r = process::with_current(|t| t.handles.insert(object, rights)).ok_or(Errno::Perm)?;
    // A failed insert hands the object back: dropped here, unlocked.
    r.map(Handle::raw).map_err(|(e, _object)| e.into())
}
