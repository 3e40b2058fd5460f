//! Reading the delays servers ask for.
//!
//! Every parser takes the header's value as bytes or text (`&str`, `String`, `&[u8]`, or an
//! HTTP crate's header value, which is `AsRef<[u8]>`), ignores surrounding whitespace, and
//! returns the delay the server asked for, uncapped: [`hint_delay`](super::hint_delay) applies
//! the ceiling, so that you can still see (and log) what the server really said. Numbers too
//! large for a `u64` saturate, as HTTP caches must treat an oversized delta-seconds value
//! (RFC 9111 §1.2.2), and `hint_delay` then caps them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const RETRY_AFTER: &str = "Retry-After";
const RATE_LIMIT_RESET: &str = "X-RateLimit-Reset";
const AMZ_RETRY_AFTER: &str = "x-amz-retry-after";
const GRPC_RETRY_PUSHBACK: &str = "grpc-retry-pushback-ms";

/// At most this many bytes of a bad value are kept in a [`HintError`]: a hostile header can
/// be kilobytes long, and the error only has to let a reader recognise it.
const KEPT_BYTES: usize = 64;

/// How long a `Retry-After` header asks to wait, relative to `now`.
///
/// ```
/// use persevere::classify::{retry_after, HintErrorKind};
/// use std::time::{Duration, SystemTime};
///
/// let now = SystemTime::now();
/// assert_eq!(retry_after("120", now)?, Duration::from_secs(120));
///
/// let bad = retry_after("soon", now).unwrap_err();
/// assert_eq!(bad.value(), "soon");
/// # Ok::<(), persevere::classify::HintError>(())
/// ```
///
/// The value is either delay-seconds (a whole number of seconds) or an HTTP-date (RFC 9110
/// §10.2.3). A date is read only with the `http-date` feature; without it the error's kind is
/// [`HintErrorKind::DateNeedsFeature`]. A date at or before `now` means "no need to wait":
/// [`Duration::ZERO`]. Pass the time the response arrived as `now`, for example from
/// `SystemTime::now()`.
///
/// # Errors
///
/// [`HintErrorKind::Empty`] for an empty value; [`HintErrorKind::Malformed`] for anything
/// else that is neither form, including negative or fractional seconds (`-1`, `1.5`).
pub fn retry_after(value: impl AsRef<[u8]>, now: SystemTime) -> Result<Duration, HintError> {
    let raw = value.as_ref();
    let fail = |kind, problem| HintError::new(RETRY_AFTER, raw, kind, problem);
    let v = raw.trim_ascii();
    if v.is_empty() {
        return Err(fail(HintErrorKind::Empty, "empty value"));
    }
    if let Some(seconds) = whole_number(v) {
        return Ok(Duration::from_secs(seconds));
    }
    if matches!(v[0], b'0'..=b'9' | b'-' | b'+') {
        return Err(fail(
            HintErrorKind::Malformed,
            "delay-seconds must be a whole number, 0 or more",
        ));
    }
    http_date(v, now).map_err(|(kind, problem)| fail(kind, problem))
}

#[cfg(feature = "http-date")]
fn http_date(v: &[u8], now: SystemTime) -> Result<Duration, (HintErrorKind, &'static str)> {
    let malformed = (HintErrorKind::Malformed, "neither delay-seconds nor an HTTP-date");
    let text = std::str::from_utf8(v).map_err(|_| malformed)?;
    let date = httpdate::parse_http_date(text).map_err(|_| malformed)?;
    // An error here means the date is not after `now`: the wait is already over.
    Ok(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(not(feature = "http-date"))]
fn http_date(v: &[u8], _now: SystemTime) -> Result<Duration, (HintErrorKind, &'static str)> {
    // Every HTTP-date form starts with a day name; anything else is not a date at all.
    if v[0].is_ascii_alphabetic() {
        Err((
            HintErrorKind::DateNeedsFeature,
            "not delay-seconds; reading an HTTP-date needs persevere's `http-date` feature",
        ))
    } else {
        Err((HintErrorKind::Malformed, "neither delay-seconds nor an HTTP-date"))
    }
}

/// How long until an `X-RateLimit-Reset` time, a Unix time in seconds, relative to `now`.
///
/// ```
/// use persevere::classify::rate_limit_reset;
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
///
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(rate_limit_reset("1700000090", now)?, Duration::from_secs(90));
/// // A window that already reset: no wait.
/// assert_eq!(rate_limit_reset("1699999990", now)?, Duration::ZERO);
/// # Ok::<(), persevere::classify::HintError>(())
/// ```
///
/// This is the GitHub convention, and Envoy's `UNIX_TIMESTAMP` reset-header format. A
/// fraction of a second is accepted (`1700000090.250`), as some APIs send one. A time at or
/// before `now` gives [`Duration::ZERO`]; one beyond what [`SystemTime`] can hold gives
/// [`Duration::MAX`], which [`hint_delay`](super::hint_delay) caps. Some APIs send a number
/// of seconds to wait in this header instead; read those with [`retry_after`].
///
/// # Errors
///
/// [`HintErrorKind::Empty`] for an empty value, [`HintErrorKind::Malformed`] for anything
/// but digits with an optional `.` and fraction.
pub fn rate_limit_reset(value: impl AsRef<[u8]>, now: SystemTime) -> Result<Duration, HintError> {
    let raw = value.as_ref();
    let v = raw.trim_ascii();
    if v.is_empty() {
        return Err(HintError::new(RATE_LIMIT_RESET, raw, HintErrorKind::Empty, "empty value"));
    }
    let Some(since_epoch) = seconds_with_fraction(v) else {
        return Err(HintError::new(
            RATE_LIMIT_RESET,
            raw,
            HintErrorKind::Malformed,
            "expected a Unix time in seconds, such as 1700000000",
        ));
    };
    Ok(match UNIX_EPOCH.checked_add(since_epoch) {
        Some(reset) => reset.duration_since(now).unwrap_or(Duration::ZERO),
        None => Duration::MAX,
    })
}

/// How long an `x-amz-retry-after` header (AWS services) asks to wait, in milliseconds.
///
/// ```
/// use persevere::classify::amz_retry_after;
/// use std::time::Duration;
///
/// assert_eq!(amz_retry_after("1500")?, Duration::from_millis(1500));
/// assert!(amz_retry_after("1.5s").is_err());
/// # Ok::<(), persevere::classify::HintError>(())
/// ```
///
/// # Errors
///
/// [`HintErrorKind::Empty`] for an empty value, [`HintErrorKind::Malformed`] for anything but
/// a whole number of milliseconds, 0 or more. The AWS SDKs ignore such a value and keep their
/// own backoff; doing the same with the error is the natural choice.
pub fn amz_retry_after(value: impl AsRef<[u8]>) -> Result<Duration, HintError> {
    let raw = value.as_ref();
    let v = raw.trim_ascii();
    if v.is_empty() {
        return Err(HintError::new(AMZ_RETRY_AFTER, raw, HintErrorKind::Empty, "empty value"));
    }
    match whole_number(v) {
        Some(millis) => Ok(Duration::from_millis(millis)),
        None => Err(HintError::new(
            AMZ_RETRY_AFTER,
            raw,
            HintErrorKind::Malformed,
            "expected a whole number of milliseconds, 0 or more",
        )),
    }
}

/// How long a gRPC server's `grpc-retry-pushback-ms` asks to wait, or that it asks you
/// not to retry at all.
///
/// ```
/// use persevere::classify::{grpc_retry_pushback, HintErrorKind};
/// use std::time::Duration;
///
/// assert_eq!(grpc_retry_pushback("250")?, Duration::from_millis(250));
///
/// // A negative or unreadable pushback is an instruction, not noise: stop retrying.
/// let stop = grpc_retry_pushback("-1").unwrap_err();
/// assert_eq!(stop.kind(), HintErrorKind::DoNotRetry);
/// # Ok::<(), persevere::classify::HintError>(())
/// ```
///
/// gRPC's retry design (gRFC A6, "Pushback") defines the value as a signed 32-bit integer of
/// milliseconds, and says that a negative or unparseable value means the server asks the
/// client not to retry. Unlike the other hints, where an error only means "ignore the hint,
/// keep your own backoff", **every error from this function means stop**: its kind is always
/// [`HintErrorKind::DoNotRetry`]. Check it in the retry's `when`, not only in the delay.
/// Values above `i32::MAX` (about 24.8 days) are not signed 32-bit integers, so they too mean
/// stop; `-0` is zero, not negative.
///
/// # Errors
///
/// [`HintErrorKind::DoNotRetry`] for an empty, negative, oversized or non-numeric value.
pub fn grpc_retry_pushback(value: impl AsRef<[u8]>) -> Result<Duration, HintError> {
    let raw = value.as_ref();
    let stop =
        |problem| HintError::new(GRPC_RETRY_PUSHBACK, raw, HintErrorKind::DoNotRetry, problem);
    let v = raw.trim_ascii();
    let (negative, digits) = match v.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let Some(millis) = whole_number(digits) else {
        return Err(stop("not a number of milliseconds: the server asks not to retry"));
    };
    if negative && millis != 0 {
        return Err(stop("negative: the server asks not to retry"));
    }
    if millis > i32::MAX as u64 {
        return Err(stop("larger than a signed 32-bit integer: the server asks not to retry"));
    }
    Ok(Duration::from_millis(millis))
}

/// A header value that could not be read as the delay it should carry.
///
/// ```
/// use persevere::classify::{amz_retry_after, HintErrorKind};
///
/// let err = amz_retry_after("soon").unwrap_err();
/// assert_eq!(err.kind(), HintErrorKind::Malformed);
/// assert_eq!(err.value(), "soon");
/// assert_eq!(
///     err.to_string(),
///     r#"x-amz-retry-after "soon": expected a whole number of milliseconds, 0 or more"#
/// );
/// ```
///
/// `Display` names the header and quotes the value with escapes, so a value carrying control
/// characters cannot forge log lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HintError {
    header: &'static str,
    value: String,
    kind: HintErrorKind,
    problem: &'static str,
}

impl HintError {
    fn new(header: &'static str, raw: &[u8], kind: HintErrorKind, problem: &'static str) -> Self {
        let mut end = raw.len().min(KEPT_BYTES);
        // Cut before a character, not inside one: back off over at most three UTF-8
        // continuation bytes.
        if end < raw.len() {
            let mut steps = 0;
            while steps < 3 && end > 0 && raw[end] & 0xC0 == 0x80 {
                end -= 1;
                steps += 1;
            }
        }
        let mut value = String::from_utf8_lossy(&raw[..end]).into_owned();
        if raw.len() > KEPT_BYTES {
            value.push('…');
        }
        HintError { header, value, kind, problem }
    }

    /// What was wrong with the value.
    ///
    /// ```
    /// use persevere::classify::{retry_after, HintErrorKind};
    /// use std::time::SystemTime;
    ///
    /// assert_eq!(retry_after("  ", SystemTime::now()).unwrap_err().kind(), HintErrorKind::Empty);
    /// ```
    pub fn kind(&self) -> HintErrorKind {
        self.kind
    }

    /// The value as received: decoded as UTF-8 (invalid bytes become `�`), and cut after at
    /// most 64 bytes, ending with `…`, when longer.
    ///
    /// ```
    /// use persevere::classify::amz_retry_after;
    ///
    /// assert_eq!(amz_retry_after("-5").unwrap_err().value(), "-5");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for HintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}: {}", self.header, self.value, self.problem)
    }
}

impl std::error::Error for HintError {}

/// Why a hint could not be read; see [`HintError::kind`].
///
/// ```
/// use persevere::classify::{grpc_retry_pushback, HintErrorKind};
///
/// match grpc_retry_pushback("-1") {
///     Err(e) if e.kind() == HintErrorKind::DoNotRetry => { /* give up now */ }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HintErrorKind {
    /// The value was empty or only whitespace.
    Empty,
    /// The value is not in the header's format (a fraction, a sign, a unit, garbage).
    Malformed,
    /// `Retry-After` held an HTTP-date, and persevere was built without the `http-date`
    /// feature.
    DateNeedsFeature,
    /// `grpc-retry-pushback-ms` was negative or unparseable: the server asks the client not
    /// to retry at all (gRFC A6).
    DoNotRetry,
}

/// Reads one or more ASCII digits as a `u64`, saturating at `u64::MAX`; `None` for anything
/// else, including an empty slice, a sign or a space.
fn whole_number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.saturating_mul(10).saturating_add(u64::from(b - b'0'));
    }
    Some(n)
}

/// Reads `digits` or `digits.digits` as a number of seconds (saturating; fraction digits
/// past nanoseconds are dropped).
fn seconds_with_fraction(v: &[u8]) -> Option<Duration> {
    let (whole, fraction) = match v.iter().position(|&b| b == b'.') {
        Some(dot) => (&v[..dot], Some(&v[dot + 1..])),
        None => (v, None),
    };
    let seconds = whole_number(whole)?;
    let mut nanos: u32 = 0;
    if let Some(fraction) = fraction {
        // Validate every digit, but only the first nine carry nanoseconds.
        whole_number(fraction)?;
        let mut scale = 100_000_000;
        for &b in fraction.iter().take(9) {
            nanos += u32::from(b - b'0') * scale;
            scale /= 10;
        }
    }
    Some(Duration::new(seconds, nanos))
}
