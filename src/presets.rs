//! Ready-made policies for the two kinds of failure the crate can classify by itself:
//! [`Policy::network`] and [`Policy::http`].

use std::io;
use std::time::{Duration, SystemTime};

use crate::classify::{self, HttpFailure};
use crate::{Exponential, Jitter, Jittered, Policy};

/// The schedule of both presets: 100 ms doubling, 5 retries, full jitter: waits of at most
/// 0.1, 0.2, 0.4, 0.8 and 1.6 s (3.1 s in all, half that on average), at most 6 attempts.
fn preset_schedule() -> Jittered<Exponential> {
    Exponential::new(Duration::from_millis(100)).max_retries(5).jitter(Jitter::Full)
}

impl Policy<Jittered<Exponential>, io::Error> {
    /// A policy for network I/O: retries the `io::Error`s a fresh attempt can cure
    /// ([`classify::is_transient_io`]: refused, reset or aborted connections, timeouts,
    /// unreachable networks…) on 100 ms doubling, 5 retries, full jitter. What a
    /// `with_network_retry` decorator does; adjust it like any policy.
    ///
    /// ```
    /// use persevere::Policy;
    /// use std::io;
    ///
    /// let network = Policy::network().name("inventory_db");
    /// let mut replies = vec![Ok("row"), Err(io::Error::from(io::ErrorKind::ConnectionReset))];
    /// let row = network.retry(|| replies.pop().unwrap()).sleep(|_| {}).call()?;
    /// assert_eq!(row, "row");
    ///
    /// // Not transient: returned at once.
    /// let denied = network.retry(|| Err::<(), _>(io::Error::from(io::ErrorKind::PermissionDenied))).call();
    /// assert!(denied.is_err());
    /// # Ok::<(), io::Error>(())
    /// ```
    pub fn network() -> Self {
        Policy::new(preset_schedule()).when(classify::is_transient_io)
    }
}

impl<E: HttpFailure + 'static> Policy<Jittered<Exponential>, E> {
    /// A policy for HTTP calls: retries 408, 429 and every 5xx but 501 and 505
    /// ([`classify::is_retryable_status`]) and failures before a response
    /// ([`HttpFailure::transient_without_response`]), on 100 ms doubling, 5 retries, full
    /// jitter; a server's `Retry-After`, `x-amz-retry-after` or
    /// `X-RateLimit-Reset` replaces the delay ([`classify::server_hint`], spread a little
    /// later by [`classify::hint_delay`], at most the adjust ceiling of 300 s). What a
    /// `with_api_retry` decorator does; adjust it like any policy.
    ///
    /// ```
    /// use persevere::classify::HttpFailure;
    /// use persevere::Policy;
    /// use std::time::Duration;
    ///
    /// #[derive(Debug)]
    /// struct Status(u16, Option<&'static str>);
    /// # impl std::fmt::Display for Status { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { write!(f, "HTTP {}", self.0) } }
    /// impl HttpFailure for Status {
    ///     fn status(&self) -> Option<u16> { Some(self.0) }
    ///     fn header(&self, name: &str) -> Option<&[u8]> {
    ///         (name == "retry-after").then_some(self.1?.as_bytes())
    ///     }
    /// }
    ///
    /// let api = Policy::http().name("rates_api");
    /// let mut replies = vec![Ok("rates"), Err(Status(429, Some("2"))), Err(Status(503, None))];
    /// let mut slept = Vec::new();
    /// let rates = api.retry(|| replies.pop().unwrap()).sleep(|d| slept.push(d)).call()?;
    /// assert_eq!(rates, "rates");
    /// assert!(slept[0] <= Duration::from_millis(100)); // the schedule's first, jittered
    /// assert!(slept[1] >= Duration::from_secs(2)); // the server's Retry-After
    ///
    /// let not_found = api.retry(|| Err::<(), _>(Status(404, None))).call();
    /// assert!(not_found.is_err());
    /// # Ok::<(), Status>(())
    /// ```
    pub fn http() -> Self {
        Policy::new(preset_schedule())
            .when(|e: &E| match e.status() {
                Some(status) => classify::is_retryable_status(status),
                None => e.transient_without_response(),
            })
            .adjust(|e: &E, _| {
                let hint = classify::server_hint(e, SystemTime::now())?;
                Some(classify::hint_delay(hint, crate::DEFAULT_ADJUST_CEILING))
            })
    }
}
