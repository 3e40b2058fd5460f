//! Randomisation of delays, so that clients that failed together do not retry together.

use core::time::Duration;

use super::engine::Step;
use super::math::{from_nanos_f64, nanos_f64};

/// How a schedule randomises its delays.
///
/// `s_k` is the schedule's unjittered delay for step `k` (already capped by `max_delay`).
/// Full and Equal jitter draw each delay from a range below `s_k` while the unjittered
/// sequence goes on growing underneath; Decorrelated replaces the schedule's growth with its
/// own.
///
/// | variant | delay `k` | mean |
/// |---|---|---|
/// | `None` | `s_k` | `s_k` |
/// | `Full` | uniform in `[0, s_k]` | `s_k / 2` |
/// | `Equal` | `s_k / 2` + uniform in `[0, s_k / 2]` | `3 s_k / 4` |
/// | `Decorrelated` | uniform in `[initial, min(cap, 3 d_(k-1))]`, with `d_(-1) = initial` | grows about x1.5 a step |
///
/// The cap bounds the *range* a delay is drawn from, never the drawn value, so jittered
/// delays do not pile up on the cap.
///
/// ```
/// use persevere::{Exponential, Jitter};
/// use std::time::Duration;
///
/// let equal = Exponential::new(Duration::from_secs(1)).jitter(Jitter::Equal).seed(7);
/// for (delay, step) in equal.zip([1, 2, 4].map(Duration::from_secs)) {
///     assert!(delay >= step / 2 && delay <= step);
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Jitter {
    /// No randomness: every delay is the schedule's own.
    #[default]
    None,
    /// Uniform in `[0, s_k]`: the widest spread and the least total waiting.
    Full,
    /// Half the step plus uniform in `[0, s_k / 2]`: never shorter than half the step.
    Equal,
    /// The AWS "decorrelated jitter" formula: uniform in `[initial, min(cap, 3 * previous)]`.
    ///
    /// It grows by itself (about x1.5 a step on average), so it replaces the schedule's own
    /// growth: an `Exponential`'s factor and a `Fibonacci`'s sequence are not used, and a
    /// `Fixed` delay becomes the lower bound of a growing range. Set `max_delay` to bound it.
    Decorrelated,
}

impl Jitter {
    /// The keyword used by `Display` and `FromStr` of the schedules.
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }

    #[cfg(feature = "std")]
    pub(crate) fn from_keyword(word: &str) -> Option<Jitter> {
        [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated]
            .into_iter()
            .find(|j| j.keyword() == word)
    }
}

impl core::fmt::Display for Jitter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.keyword())
    }
}

// The draws. Steps below u64::MAX nanoseconds (584 years), which is every step in
// practice, are drawn in integer nanoseconds: one multiply maps 64 random bits onto the
// range, no float conversion on the way in or out. Longer steps go through `f64`.
//
// Each draw is made inside its range, which the cap already bounds, and never clamped.

/// A uniform integer in `[0, span)`, or 0 when `span` is 0: the high half of
/// `bits * span` (Lemire's multiply-shift). Its bias, below `span / 2^64`, is under
/// one part in a billion for any delay below 584 years.
#[inline]
fn below(span: u64, bits: u64) -> u64 {
    ((u128::from(bits) * u128::from(span)) >> 64) as u64
}

/// Uniform in `[0, step)` (zero for a zero step).
#[inline]
pub(crate) fn full(step: Step, rng: &mut fastrand::Rng) -> Duration {
    match step {
        Step::Nanos(s) => Duration::from_nanos(below(s, rng.u64(..))),
        Step::Long(step) => from_nanos_f64(nanos_f64(step) * rng.f64()),
    }
}

/// `floor(step / 2)` plus uniform in `[0, ceil(step / 2))`: within `[step / 2, step)`.
#[inline]
pub(crate) fn equal(step: Step, rng: &mut fastrand::Rng) -> Duration {
    match step {
        Step::Nanos(s) => {
            let half = s / 2;
            Duration::from_nanos(half + below(s - half, rng.u64(..)))
        }
        Step::Long(step) => {
            let half = nanos_f64(step) * 0.5;
            from_nanos_f64(half + half * rng.f64())
        }
    }
}

/// One decorrelated draw in nanoseconds: uniform in `[low, high)` (`low` when the range is
/// empty), where `high = min(cap, 3 * max(previous, low))` and `low <= cap`.
#[inline]
pub(crate) fn decorrelated(low: u64, cap: u64, previous: u64, rng: &mut fastrand::Rng) -> u64 {
    let high = previous.max(low).saturating_mul(3).min(cap);
    low + below(high - low, rng.u64(..))
}

/// The same for a cap of `u64::MAX` nanoseconds or more, in `f64`. `previous` is at least
/// `low`, and `low` at most `cap`.
pub(crate) fn decorrelated_long(
    low: Duration,
    cap: Duration,
    previous: Duration,
    rng: &mut fastrand::Rng,
) -> Duration {
    let (low_f, previous_f) = (nanos_f64(low), nanos_f64(previous));
    let high = (previous_f * 3.0).min(nanos_f64(cap));
    // Float rounding of huge durations could land a nanosecond outside the range.
    from_nanos_f64(low_f + (high - low_f) * rng.f64()).max(low).min(cap)
}
