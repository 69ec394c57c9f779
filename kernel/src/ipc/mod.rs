//! Synchronous IPC on endpoints, with priority donation.
//!
//! An endpoint is a rendezvous point: a client `call`s with a message and
//! waits for the reply; a server `recv`s a message, does the work and
//! `reply`s (or `reply_recv`s: the reply and the next wait in one call).
//! Nothing is buffered: a call waits (in priority order) until a server
//! receives it, and a server waits until a call comes.
//!
//! - **Messages.** Four words travel in registers each way (`r1`-`r4`);
//!   up to `MSG_MAX` (4 KiB) more bytes are copied by the kernel, from the
//!   sender's buffer into the receiver's, page by page through each
//!   process's own page tables (never through a user address), so a bad
//!   buffer is an error code (`Fault`), never a kernel fault. A message
//!   longer than the receiver's buffer is refused with `TooBig`: the client
//!   gets it for a call, the server for a reply (it may reply again,
//!   shorter).
//! - **Reply capability.** Receiving a call gives the receiving thread a
//!   one-shot right to answer that caller: `reply` uses it up, a second
//!   `reply` is `Inval`. A thread that receives again while still holding
//!   one drops it: that caller gets `PeerGone`.
//! - **Timeouts.** A call or receive may give a timeout in µs: when it runs
//!   out the wait ends with `TimedOut` (a call in either stage: queued, or
//!   waiting for the reply).
//! - **Death.** When the process holding an endpoint's receive right ends,
//!   the endpoint closes: queued callers and later calls get `PeerGone`. A
//!   thread that ends while it holds a reply capability gives its caller
//!   `PeerGone`. A caller that dies is taken out of the queue; the server's
//!   reply to it gets `PeerGone`.
//! - **Priority donation.** A server thread runs at least at the priority
//!   of the caller it is serving and of every caller queued on the endpoint
//!   it receives on (its `serves` endpoint: the last one it received on),
//!   transitively: a server that calls another server, or blocks on a
//!   kernel mutex, lends on what it was lent. It drops back when it
//!   replies. The donation is a field of the thread (`Tcb::donated`) that
//!   the priority-inheritance code of `thread::sync` folds in with its own,
//!   so the two compose.
//!
//!   **The rule for hard clients of soft servers:** a server process whose
//!   endpoint a hard task calls must serve that endpoint from a thread that
//!   does only this (a hard client's call is then received as soon as the
//!   server thread next waits on the endpoint, and runs at the client's
//!   priority from the moment it is queued: the server's other, lower
//!   priority work, on its other threads, cannot delay it). The bound on
//!   the call is then the server's handling of the calls queued before it
//!   at equal or higher priority plus its own. The `ipc` QEMU test checks
//!   that a soft server's busy thread does not delay a hard client.
//!
//! All state lives in the scheduler (`IpcState` in `Sched`), under its
//! lock: every IPC step is a scheduling step, and the common call (a server
//! waiting, a short message) is one lock hold and one switch, straight to
//! the server. The commonest pair, a short `call` to a waiting server and
//! its `reply_recv`, takes a fast path from the system-call entry
//! (`endpoint::fast`): IRQs stay masked from the trap, the handle is read
//! without the process's lock, the words go straight into the other
//! side's saved registers, and the switch skips the ready queue, the clock
//! and the timer (`thread::Sched::switch_ipc`). It declines anything else,
//! untouched, for the general path.
//!
//! **Naming.** A process reaches an endpoint through a handle
//! (`Object::Endpoint` in its handle table): granted at creation, made
//! with `endpoint_create`, or moved to it in a message (a call's `r9`; the
//! receiver finds the new handle in `r5`). A bad, closed or wrong-kind
//! handle, or one without the right (`SEND` to call, `RECEIVE` to
//! receive, `TRANSFER` to move it), is `BadHandle`.

//!
//! Layout: `span` (pure, host-tested) cuts a long message into pieces
//! that stay within a page on both sides; `copy` moves them between two
//! processes' memory; `endpoint` is the rest: endpoints, the rendezvous,
//! timeouts, donation and the system calls.

pub mod span;

#[cfg(target_os = "none")]
mod copy;
#[cfg(target_os = "none")]
mod endpoint;
#[cfg(target_os = "none")]
pub use endpoint::*;
