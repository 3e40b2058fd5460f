//! From a server's hint to the delay to sleep.

use std::time::Duration;

/// The ceiling this module suggests for a hinted delay: 300 s (five minutes).
///
/// ```
/// use persevere::classify::{hint_delay, DEFAULT_HINT_CAP};
/// use std::time::Duration;
///
/// let a_year = Duration::from_secs(365 * 24 * 3600);
/// assert!(hint_delay(a_year, DEFAULT_HINT_CAP) <= Duration::from_secs(300));
/// ```
///
/// It matches the default ceiling of a retry's `adjust` and Envoy's default
/// `max_interval` for rate-limited retries (300 s). A server that wants a client gone for
/// longer is better answered by giving up and reporting the error than by a silent,
/// hour-long sleep.
pub const DEFAULT_HINT_CAP: Duration = Duration::from_secs(300);

/// The delay to sleep for a server's hint: at least the hint, up to 20% more at random, and
/// never above `cap`.
///
/// ```
/// use persevere::classify::{hint_delay, retry_after, DEFAULT_HINT_CAP};
/// use std::time::{Duration, SystemTime};
///
/// let hint = retry_after("10", SystemTime::now())?;
/// let sleep = hint_delay(hint, DEFAULT_HINT_CAP);
/// assert!(Duration::from_secs(10) <= sleep && sleep <= Duration::from_secs(12));
/// # Ok::<(), persevere::classify::HintError>(())
/// ```
///
/// A hint is a minimum: the server asked not to hear from us sooner. When it tells many
/// clients the same thing (a rate-limit window that resets at one instant), honouring it
/// exactly brings them all back in the same millisecond, and the herd trips the limit again.
/// So the delay is drawn uniformly from `[hint, 1.2 × hint]`: the spread grows with the hint,
/// and the extra wait never exceeds a fifth of what the server asked for.
///
/// The cap bounds the *range*, never the drawn value, so delays do not pile up at it:
///
/// * a hint below `cap` gives a delay in `[hint, min(1.2 × hint, cap)]`;
/// * a hint at or above `cap` cannot be honoured; rather than bringing every such client back
///   at exactly `cap`, the delay is drawn from `[5/6 × cap, cap]`.
///
/// A zero hint (a date already past) gives zero. Nothing here panics or overflows, whatever
/// the hint and cap, up to [`Duration::MAX`].
///
/// Others, for comparison:
///
/// * **Envoy** (rate-limited retry back-off) draws from `[hint, 1.5 × hint)`, and discards a
///   hint above `max_interval` (default 300 s), falling back to its exponential back-off.
///   Its spread is wider; the cost is up to 50% more waiting than asked.
/// * **AWS SDKs** (the 2026 retry behaviour) read `x-amz-retry-after` and clamp it to between
///   their own computed backoff and that backoff plus 5 s; their own backoff is capped at
///   20 s. The hint then adds no jitter of its own, and a long hint is cut to ≈ 25 s.
///
/// To follow Envoy's "discard" rule instead of capping, compare the hint with your ceiling
/// before calling this.
///
/// This draws from a thread-local generator; [`hint_delay_with`] takes one you seed.
pub fn hint_delay(hint: Duration, cap: Duration) -> Duration {
    let (low, high) = range(hint, cap);
    from_nanos(fastrand::u128(low.as_nanos()..=high.as_nanos()))
}

/// [`hint_delay`], drawing from the generator you pass, so that tests and simulations can
/// repeat a run exactly.
///
/// ```
/// use persevere::classify::{hint_delay_with, DEFAULT_HINT_CAP};
/// use std::time::Duration;
///
/// let hint = Duration::from_secs(10);
/// let a = hint_delay_with(hint, DEFAULT_HINT_CAP, &mut fastrand::Rng::with_seed(7));
/// let b = hint_delay_with(hint, DEFAULT_HINT_CAP, &mut fastrand::Rng::with_seed(7));
/// assert_eq!(a, b);
/// ```
pub fn hint_delay_with(hint: Duration, cap: Duration, rng: &mut fastrand::Rng) -> Duration {
    let (low, high) = range(hint, cap);
    from_nanos(rng.u128(low.as_nanos()..=high.as_nanos()))
}

/// The interval a hinted delay is drawn from; `low <= high <= cap` always holds.
fn range(hint: Duration, cap: Duration) -> (Duration, Duration) {
    if hint >= cap { (cap - cap / 6, cap) } else { (hint, hint.saturating_add(hint / 5).min(cap)) }
}

/// A drawn number of nanoseconds, which is at most `cap`'s and so fits a `Duration`.
fn from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let seconds = u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX);
    // The remainder is below 10^9, which fits a u32.
    let rest = (nanos % NANOS_PER_SEC) as u32;
    Duration::new(seconds, rest)
}
