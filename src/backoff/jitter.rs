//! Randomisation of delays, so that clients that failed together do not retry together.

use core::time::Duration;

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

/// The random draws, given a uniform sample `u` in `[0, 1)`.
///
/// Each result is computed inside its range in `f64` nanoseconds and truncated, so it never
/// exceeds the range's upper end.
pub(crate) fn full(step: Duration, u: f64) -> Duration {
    from_nanos_f64(nanos_f64(step) * u)
}

pub(crate) fn equal(step: Duration, u: f64) -> Duration {
    let half = nanos_f64(step) * 0.5;
    from_nanos_f64(half + half * u)
}

/// One decorrelated draw in `[low, min(cap, 3 * previous)]`, all in nanoseconds.
pub(crate) fn decorrelated(low: f64, cap: f64, previous: f64, u: f64) -> f64 {
    let high = (previous * 3.0).min(cap);
    low + (high - low) * u
}
