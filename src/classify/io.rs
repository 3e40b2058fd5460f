//! Which `std::io` errors a fresh attempt can cure.

use std::io::{Error, ErrorKind};

/// Whether an I/O error is transient: the same operation, started again from the top, can
/// succeed.
///
/// ```
/// use persevere::classify::is_transient_io;
/// use std::io::{Error, ErrorKind};
///
/// assert!(is_transient_io(&Error::from(ErrorKind::ConnectionRefused)));
/// assert!(is_transient_io(&Error::new(ErrorKind::TimedOut, "no answer in 5 s")));
/// assert!(!is_transient_io(&Error::from(ErrorKind::PermissionDenied)));
/// ```
///
/// Use it as a retry's `when` for work that reconnects on every attempt. It looks only at
/// [`Error::kind`]; see [`is_transient_kind`] for each kind's verdict and the reason for it.
pub fn is_transient_io(error: &Error) -> bool {
    is_transient_kind(error.kind())
}

/// Whether an [`ErrorKind`] is transient; the decision behind [`is_transient_io`].
///
/// ```
/// use persevere::classify::is_transient_kind;
/// use std::io::ErrorKind;
///
/// assert!(is_transient_kind(ErrorKind::ConnectionReset));
/// assert!(!is_transient_kind(ErrorKind::NotFound));
/// ```
///
/// The verdicts assume that each attempt repeats the whole operation, connecting or opening
/// anew; retrying a write on a socket that is already dead cures nothing.
///
/// Retried, because the cause passes without anything changing on our side:
///
/// | kind | why |
/// |---|---|
/// | `ConnectionRefused` | nothing listens *yet*: the peer is starting, restarting or being redeployed |
/// | `ConnectionReset`, `ConnectionAborted` | the connection died under us (peer restart, load balancer or NAT idle timeout); a new one is independent of it |
/// | `BrokenPipe` | we wrote to a connection the peer had already closed; the same causes as a reset |
/// | `NotConnected` | the connection went away between two calls (some platforms report a reset this way) |
/// | `UnexpectedEof` | the peer closed in the middle of a message: it restarted, or closed an idle keep-alive connection just as we reused it. A truncated *file* also gives this kind; retrying it costs a few wasted attempts, which is cheaper than never recovering the network case |
/// | `TimedOut` | no answer in time; the next try may find the peer or path less loaded |
/// | `WouldBlock` | the resource is momentarily unavailable (`EAGAIN`); on Unix a socket read timeout set with `set_read_timeout` also ends with this kind |
/// | `Interrupted` | a signal cut the call short (`EINTR`); std itself simply repeats such calls |
/// | `HostUnreachable`, `NetworkUnreachable`, `NetworkDown` | a route or link is missing for now: an interface coming up, Wi-Fi roaming, a route flapping |
/// | `StaleNetworkFileHandle` | a network file system forgot our handle (`ESTALE`); opening the path again gets a fresh one |
///
/// Not retried, because only a change to the request, the configuration or the machine helps,
/// and a retry would only delay the error:
///
/// | kind | why |
/// |---|---|
/// | `NotFound`, `PermissionDenied`, `AlreadyExists`, `InvalidInput`, `InvalidData`, `ArgumentListTooLong`, `Unsupported` | the request itself is wrong |
/// | `AddrInUse`, `AddrNotAvailable` | almost always configuration: another process owns the port, or the address is not on this host. (Ephemeral-port exhaustion also shows up this way, but it clears on the kernel's `TIME_WAIT` scale, about a minute, and retrying adds to the load that caused it) |
/// | `WriteZero` | the writer accepts no more bytes; the same writer will not start again |
/// | `StorageFull`, `QuotaExceeded`, `FileTooLarge`, `OutOfMemory` | someone has to free space or memory; retrying under pressure adds to it |
/// | `ResourceBusy`, `ExecutableFileBusy`, `Deadlock` | a holder we cannot see must let go first; opt in with your own predicate if you know the holder is brief |
/// | `NotADirectory`, `IsADirectory`, `DirectoryNotEmpty`, `ReadOnlyFilesystem`, `NotSeekable`, `CrossesDevices`, `TooManyLinks` | the shape of the file system, which a retry does not change |
/// | `Other` and anything else | unknown causes are not assumed transient. Kinds newer than this crate's minimum Rust (1.85) are not retried either: `InvalidFilename` (stable since 1.87) is a wrong request, and `InProgress` (still unstable) is not yet nameable |
pub fn is_transient_kind(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::NotConnected
            | ErrorKind::UnexpectedEof
            | ErrorKind::TimedOut
            | ErrorKind::WouldBlock
            | ErrorKind::Interrupted
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NetworkDown
            | ErrorKind::StaleNetworkFileHandle
    )
}
