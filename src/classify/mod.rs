//! Ready answers to "is this worth retrying, and when?".
//!
//! Three kinds of helpers, none of which forces a dependency on you:
//!
//! * [`is_transient_io`] / [`is_transient_kind`]: `std::io` errors that a fresh attempt can
//!   cure (a refused or reset connection, a timeout, an unreachable network…).
//! * [`is_retryable_status`]: HTTP status codes worth another try, taking a plain `u16` so
//!   any HTTP crate fits.
//! * Server hints: [`retry_after`], [`rate_limit_reset`], [`amz_retry_after`] and
//!   [`grpc_retry_pushback`] read the header value a server sent and return how long it asked
//!   you to wait, or a [`HintError`] naming the bad value. [`hint_delay`] then turns that
//!   minimum into the delay to sleep: a little later than asked, at random, so that clients
//!   told the same thing do not come back together, and never above a ceiling.
//! * [`HttpFailure`]: what an HTTP client's error tells a retry (status and headers), for
//!   [`server_hint`] and the ready-made [`Policy::http`](crate::Policy::http).
//!
//! ```
//! use persevere::classify::{self, DEFAULT_HINT_CAP};
//! use std::time::{Duration, SystemTime};
//!
//! // A 503 with `Retry-After: 30`: retry, and wait at least 30 s.
//! assert!(classify::is_retryable_status(503));
//! let asked = classify::retry_after("30", SystemTime::now())?;
//! let sleep = classify::hint_delay(asked, DEFAULT_HINT_CAP);
//! assert!(sleep >= Duration::from_secs(30) && sleep <= Duration::from_secs(36));
//!
//! // A hostile header cannot park the client for a day.
//! let asked = classify::retry_after("86400", SystemTime::now())?;
//! assert!(classify::hint_delay(asked, DEFAULT_HINT_CAP) <= DEFAULT_HINT_CAP);
//! # Ok::<(), classify::HintError>(())
//! ```
//!
//! # Features
//!
//! `http-date`: [`retry_after`] also reads the HTTP-date form (`Retry-After: Wed, 21 Oct 2015
//! 07:28:00 GMT`), parsed by the `httpdate` crate. Without it a date is refused with
//! [`HintErrorKind::DateNeedsFeature`].

mod delay;
mod hint;
mod http;
mod io;
mod response;

pub use delay::{DEFAULT_HINT_CAP, hint_delay, hint_delay_with};
pub use hint::{
    HintError, HintErrorKind, amz_retry_after, grpc_retry_pushback, rate_limit_reset, retry_after,
};
pub use http::is_retryable_status;
pub use io::{is_transient_io, is_transient_kind};
pub use response::{HttpFailure, server_hint};
