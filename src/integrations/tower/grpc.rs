//! gRPC retries as gRFC A6 defines them: [`A6Classifier`], over `http::Response` headers, so
//! that it works under any gRPC-over-HTTP/2 stack (tonic's `Channel` included).
//!
//! A6 retries an RPC only until it is *committed*: once the server has sent response headers
//! that begin a stream, the call is the application's. What can still be retried is a
//! *Trailers-Only* response, whose `grpc-status` comes in the headers, and a failure before any
//! response (a refused or reset connection, which gRPC reports as `UNAVAILABLE`). The classifier
//! reads exactly that: the `grpc-status` header, the HTTP status when a proxy answered instead
//! of a gRPC server, and the server's `grpc-retry-pushback-ms`.
//!
//! # Under tonic
//!
//! A tonic `Channel` is a `Service<http::Request<tonic::body::Body>>`, and the layer goes
//! around it like around any service, with one step more: a tonic request body is a stream,
//! which cannot be copied for a second attempt, so the stack reads the encoded message into
//! memory once, before the retry sees it.
//!
//! 1. Outermost, `tower::filter::AsyncFilterLayer::new(buffer)`, where `buffer` is an
//!    `async fn(http::Request<tonic::body::Body>) -> Result<http::Request<Full<Bytes>>,
//!    tonic::Status>` that collects the body (`http_body_util::BodyExt::collect`). Such a
//!    request is `Clone`, so the layer's default copy serves.
//! 2. `RetryLayer::new(policy, A6Classifier::new())`.
//! 3. Around the channel, `map_request(|r| r.map(tonic::body::Body::new))`, which turns each
//!    copy back into the body the channel sends.
//!
//! Hand the stack to any generated client, `HealthClient::new(stack)` say: a refused call
//! then comes back as the `tonic::Status` of the last attempt. The crate's
//! `tests-integration/tests/tonic_health.rs` runs exactly this stack against tonic's health
//! service on 127.0.0.1 (refusals with and without pushback, codes outside the retryable set,
//! retries running out).
//!
//! ```
//! use persevere::integrations::tower::grpc::{A6Classifier, Code};
//! use persevere::integrations::tower::{Classify, Outcome};
//! use std::time::Duration;
//!
//! let classifier = A6Classifier::new().retryable(&[Code::Unavailable, Code::ResourceExhausted]);
//! let trailers_only = |status: &str, pushback: Option<&str>| {
//!     let mut response = http::Response::builder().header("grpc-status", status);
//!     if let Some(ms) = pushback {
//!         response = response.header("grpc-retry-pushback-ms", ms);
//!     }
//!     Ok::<_, std::io::Error>(response.body(()).unwrap())
//! };
//! assert_eq!(classifier.classify(&trailers_only("14", None)), Outcome::Retry(None));
//! assert_eq!(
//!     classifier.classify(&trailers_only("8", Some("250"))),
//!     Outcome::Retry(Some(Duration::from_millis(250)))
//! );
//! // A negative (or unreadable) pushback means: do not retry.
//! assert_eq!(classifier.classify(&trailers_only("14", Some("-1"))), Outcome::Fail);
//! assert_eq!(classifier.classify(&trailers_only("5", None)), Outcome::Fail); // NOT_FOUND
//! assert_eq!(classifier.classify(&trailers_only("0", None)), Outcome::Success);
//! ```

use core::fmt;

use super::{Classify, Outcome};
use crate::classify::grpc_retry_pushback;

/// A gRPC status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Code {
    /// `OK` (0): not an error.
    Ok = 0,
    /// `CANCELLED` (1): the caller cancelled the call.
    Cancelled = 1,
    /// `UNKNOWN` (2).
    Unknown = 2,
    /// `INVALID_ARGUMENT` (3).
    InvalidArgument = 3,
    /// `DEADLINE_EXCEEDED` (4).
    DeadlineExceeded = 4,
    /// `NOT_FOUND` (5).
    NotFound = 5,
    /// `ALREADY_EXISTS` (6).
    AlreadyExists = 6,
    /// `PERMISSION_DENIED` (7).
    PermissionDenied = 7,
    /// `RESOURCE_EXHAUSTED` (8): out of quota, or the server is throttling.
    ResourceExhausted = 8,
    /// `FAILED_PRECONDITION` (9).
    FailedPrecondition = 9,
    /// `ABORTED` (10): a concurrency conflict; the client may retry at a higher level.
    Aborted = 10,
    /// `OUT_OF_RANGE` (11).
    OutOfRange = 11,
    /// `UNIMPLEMENTED` (12).
    Unimplemented = 12,
    /// `INTERNAL` (13).
    Internal = 13,
    /// `UNAVAILABLE` (14): most likely passing; the one code A6 examples retry.
    Unavailable = 14,
    /// `DATA_LOSS` (15).
    DataLoss = 15,
    /// `UNAUTHENTICATED` (16).
    Unauthenticated = 16,
}

impl Code {
    /// The code a `grpc-status` value names; `None` for anything but a number from 0 to 16.
    pub fn from_header(value: &[u8]) -> Option<Code> {
        let v = value.trim_ascii();
        if v.is_empty() || v.len() > 2 || !v.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = v.iter().fold(0u8, |n, d| n * 10 + (d - b'0'));
        Code::from_number(n)
    }

    /// The code numbered `n`, if there is one.
    pub fn from_number(n: u8) -> Option<Code> {
        const ALL: [Code; 17] = [
            Code::Ok,
            Code::Cancelled,
            Code::Unknown,
            Code::InvalidArgument,
            Code::DeadlineExceeded,
            Code::NotFound,
            Code::AlreadyExists,
            Code::PermissionDenied,
            Code::ResourceExhausted,
            Code::FailedPrecondition,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unimplemented,
            Code::Internal,
            Code::Unavailable,
            Code::DataLoss,
            Code::Unauthenticated,
        ];
        ALL.get(usize::from(n)).copied()
    }

    /// The code gRPC gives a response that carries no `grpc-status`, from its HTTP status
    /// (gRPC's "HTTP to gRPC status code mapping"): what a proxy's answer means.
    pub fn from_http_status(status: u16) -> Code {
        match status {
            200 => Code::Ok,
            400 => Code::Internal,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::Unimplemented,
            429 | 502 | 503 | 504 => Code::Unavailable,
            _ => Code::Unknown,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Classifies gRPC responses as gRFC A6 says: a response whose status is one of the
/// retryable codes (by default `UNAVAILABLE` only) is retried, after the server's
/// `grpc-retry-pushback-ms` if it sent one; a negative or unreadable pushback stops retrying
/// whatever the status ([`grpc_retry_pushback`]); `OK`, and a response that began a stream
/// (no `grpc-status` in its headers, HTTP 200), is a success; any other status is a failure
/// returned at once.
///
/// An error from the service (no response at all) counts as `UNAVAILABLE`, as gRPC reports a
/// failed connection; turn that off with [`errors_unavailable`](Self::errors_unavailable)
/// when the stack below reports other failures as errors too (a tower timeout is
/// `DEADLINE_EXCEEDED`, which A6 does not retry).
///
/// A6 sets the delays with a policy's `initialBackoff`, `maxBackoff` and `backoffMultiplier`
/// and full jitter: `Exponential::new(initial).factor(multiplier).max_delay(max)
/// .jitter(Jitter::Full).max_retries(maxAttempts - 1)`; its retry throttling is
/// [`RetryBudget::grpc`](crate::budget::RetryBudget::grpc) set on the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct A6Classifier {
    /// Bit `n` set: code `n` is retried.
    retryable: u32,
    errors_unavailable: bool,
}

impl A6Classifier {
    /// Retry `UNAVAILABLE` only, and count the service's errors as `UNAVAILABLE`.
    pub fn new() -> Self {
        A6Classifier { retryable: 1 << Code::Unavailable as u8, errors_unavailable: true }
    }

    /// Retry exactly the statuses in `codes` (A6's `retryableStatusCodes`). `OK` is never
    /// retried, even if listed.
    pub fn retryable(mut self, codes: &[Code]) -> Self {
        self.retryable = codes.iter().fold(0, |bits, &code| bits | 1 << code as u8);
        self.retryable &= !(1 << Code::Ok as u8);
        self
    }

    /// Whether the service's errors count as `UNAVAILABLE` (the default), or are failures
    /// returned at once.
    pub fn errors_unavailable(mut self, yes: bool) -> Self {
        self.errors_unavailable = yes;
        self
    }

    /// Whether `code` is retried.
    pub fn is_retryable(&self, code: Code) -> bool {
        self.retryable & (1 << code as u8) != 0
    }

    /// What a response with these headers and HTTP status means.
    pub fn classify_headers(&self, status: u16, headers: &http::HeaderMap) -> Outcome {
        let pushback = match headers.get("grpc-retry-pushback-ms") {
            Some(value) => match grpc_retry_pushback(value.as_bytes()) {
                Ok(delay) => Some(delay),
                Err(_) => return Outcome::Fail,
            },
            None => None,
        };
        let code = match headers.get("grpc-status") {
            Some(value) => Code::from_header(value.as_bytes()).unwrap_or(Code::Unknown),
            None => Code::from_http_status(status),
        };
        if code == Code::Ok {
            Outcome::Success
        } else if self.is_retryable(code) {
            Outcome::Retry(pushback)
        } else {
            Outcome::Fail
        }
    }
}

impl Default for A6Classifier {
    fn default() -> Self {
        A6Classifier::new()
    }
}

impl<B, E> Classify<http::Response<B>, E> for A6Classifier {
    fn classify(&self, result: &Result<http::Response<B>, E>) -> Outcome {
        match result {
            Ok(response) => self.classify_headers(response.status().as_u16(), response.headers()),
            Err(_) if self.errors_unavailable && self.is_retryable(Code::Unavailable) => {
                Outcome::Retry(None)
            }
            Err(_) => Outcome::Fail,
        }
    }
}
