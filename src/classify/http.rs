//! Which HTTP status codes are worth another request.

/// Whether an HTTP response status says the same request may succeed later.
///
/// ```
/// use persevere::classify::is_retryable_status;
///
/// assert!(is_retryable_status(503));
/// assert!(!is_retryable_status(501));
/// assert!(!is_retryable_status(404));
/// ```
///
/// Takes a plain `u16`, so it fits every HTTP crate: `is_retryable_status(resp.status().as_u16())`.
///
/// Retried:
///
/// | code | why |
/// |---|---|
/// | 408 Request Timeout | the server gave up waiting for our request; sending it again is the expected reaction (RFC 9110 §15.5.9) |
/// | 429 Too Many Requests | rate limited for now; pair it with [`retry_after`](super::retry_after) (RFC 6585 §4) |
/// | 500 Internal Server Error | a failure on the server's side, often a passing one |
/// | 502 Bad Gateway, 504 Gateway Timeout | a proxy could not reach the service behind it, or not in time |
/// | 503 Service Unavailable | overloaded or in maintenance, "likely to be alleviated after some delay" (RFC 9110 §15.6.4) |
/// | any other 5xx but 501 and 505 | the server failed to fulfil an apparently valid request (RFC 9110 §15.6), including the unregistered codes proxies and CDNs use for upstream trouble (520–530) |
///
/// Not retried: 1xx, 2xx and 3xx are not failures; other 4xx codes describe the request,
/// which a retry repeats unchanged; 501 Not Implemented and 505 HTTP Version Not Supported
/// are permanent answers to this request. The AWS SDKs treat 500, 502, 503 and 504 as
/// transient the same way. Codes outside 100–599 are not HTTP statuses and are never retried.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599) && !matches!(status, 501 | 505)
}
