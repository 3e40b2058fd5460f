//! What an HTTP call's error can tell a retry: [`HttpFailure`].

use std::time::{Duration, SystemTime};

use super::{amz_retry_after, rate_limit_reset, retry_after};

/// An HTTP call's error, as a retry sees it: the response's status and headers when a
/// response came back, or a failure before one did.
///
/// Implement it for your client's error type to use [`Policy::http`](crate::Policy::http)
/// and [`server_hint`]; `header` is all that is needed for the server's hints.
///
/// ```
/// use persevere::classify::HttpFailure;
///
/// struct ApiError { status: Option<u16>, retry_after: Option<String> }
///
/// impl HttpFailure for ApiError {
///     fn status(&self) -> Option<u16> {
///         self.status
///     }
///     fn header(&self, name: &str) -> Option<&[u8]> {
///         (name == "retry-after").then_some(self.retry_after.as_deref()?.as_bytes())
///     }
/// }
/// ```
pub trait HttpFailure {
    /// The response's status code, or `None` when the call failed before a response came
    /// back (the connection was refused or reset, the request timed out).
    fn status(&self) -> Option<u16>;

    /// The value of the response header `name` (asked for in lower case), if the response
    /// had it.
    fn header(&self, name: &str) -> Option<&[u8]>;

    /// Whether a failure without a response is worth another attempt; by default every one
    /// is. Refine it when your client tells a refused connection from a bad URL.
    fn transient_without_response(&self) -> bool {
        true
    }
}

/// How long the server asked the client to wait, from the first of `Retry-After` (seconds
/// or an HTTP date), `x-amz-retry-after` (milliseconds) and `X-RateLimit-Reset` (epoch
/// seconds) that the response has and that reads well; `None` when it asked nothing.
///
/// ```
/// use persevere::classify::{server_hint, HttpFailure};
/// use std::time::{Duration, SystemTime};
///
/// struct TooMany;
/// impl HttpFailure for TooMany {
///     fn status(&self) -> Option<u16> { Some(429) }
///     fn header(&self, name: &str) -> Option<&[u8]> { (name == "retry-after").then_some(b"7") }
/// }
/// assert_eq!(server_hint(&TooMany, SystemTime::now()), Some(Duration::from_secs(7)));
/// ```
pub fn server_hint(failure: &impl HttpFailure, now: SystemTime) -> Option<Duration> {
    let read =
        |name, parse: &dyn Fn(&[u8]) -> Option<Duration>| failure.header(name).and_then(parse);
    read("retry-after", &|v| retry_after(v, now).ok())
        .or_else(|| read("x-amz-retry-after", &|v| amz_retry_after(v).ok()))
        .or_else(|| read("x-ratelimit-reset", &|v| rate_limit_reset(v, now).ok()))
}
