//! Randomisation of delays, so that clients that failed together do not retry together.

use core::fmt;
use core::time::Duration;

use super::engine::Step;
use super::math::{from_nanos_f64, nanos_f64};
use super::packed::Span;
use super::{Invalid, refuse};

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
/// | `Proportional(p)` | uniform in `[s_k (1 - p), min(cap, s_k (1 + p))]` | `s_k`, less below the cap |
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
///
/// `Jitter` is `Copy`, `Eq` and `Hash`, and 8 bytes: a [`Proportion`] is kept in whole
/// millionths.
#[derive(Clone, Copy, Debug, Default)]
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
    /// Uniform in `[s_k (1 - p), min(cap, s_k (1 + p))]`: within a fraction `p` of the
    /// step either way, so delays keep the schedule's shape (`p = 0.1` is "±10%").
    ///
    /// Build it with [`Jitter::proportional`] from an `f64`, or from a [`Proportion`]. In
    /// the text form: `jitter=proportional(0.1)`.
    ///
    /// ```
    /// use persevere::{Exponential, Jitter};
    /// use std::time::Duration;
    ///
    /// let ms = Duration::from_millis;
    /// let schedule = Exponential::new(ms(100)).jitter(Jitter::proportional(0.1)).seed(1);
    /// for (delay, step) in schedule.zip([ms(100), ms(200), ms(400)]) {
    ///     assert!(delay >= step * 9 / 10 && delay <= step * 11 / 10);
    /// }
    /// ```
    ///
    /// `p` is a fraction above 0 and at most 1; a schedule keeps it rounded to the nearest
    /// millionth, and its setter refuses any other `p`, naming it.
    Proportional(f64),
}

/// Two jitters are equal when they are the same kind with the same proportion, bit for bit.
impl PartialEq for Jitter {
    fn eq(&self, other: &Jitter) -> bool {
        match (self, other) {
            (Jitter::Proportional(a), Jitter::Proportional(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a.kind() == b.kind(),
        }
    }
}

impl Eq for Jitter {}

impl core::hash::Hash for Jitter {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.kind() as u8).hash(state);
        if let Jitter::Proportional(p) = self {
            p.to_bits().hash(state);
        }
    }
}

/// A fraction above 0 and at most 1, kept in whole millionths (parts per million): how a
/// schedule keeps the `p` of [`Jitter::Proportional`], so that a decimal such as `0.1` is
/// kept exactly.
///
/// Prints as the decimal it stands for (`0.1`, `0.000001`, `1`).
///
/// ```
/// use persevere::backoff::Proportion;
///
/// let p = Proportion::new(0.1);
/// assert_eq!(p.millionths(), 100_000);
/// assert_eq!(p.get(), 0.1);
/// assert_eq!(p.to_string(), "0.1");
/// assert_eq!(Proportion::from_millionths(250_000), Proportion::new(0.25));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Proportion(u32);

/// Millionths in one.
pub(crate) const MILLION: u32 = 1_000_000;

impl Proportion {
    /// The whole step: `p = 1` draws from `[0, min(cap, 2 s_k)]`.
    pub const ONE: Proportion = Proportion(MILLION);

    /// `p`, rounded to the nearest millionth.
    ///
    /// ```
    /// use persevere::backoff::Proportion;
    ///
    /// assert_eq!(Proportion::new(0.0000014).millionths(), 1);
    /// assert_eq!(Proportion::new(1.0), Proportion::ONE);
    /// ```
    ///
    /// # Panics
    ///
    /// If `p` is NaN, not above 0, above 1, or below half a millionth (it would round to
    /// 0), naming the value.
    #[track_caller]
    pub fn new(p: f64) -> Proportion {
        match Proportion::checked(p) {
            Ok(p) => p,
            Err(e) => refuse(e),
        }
    }

    /// `p`, or the setting it breaks.
    pub(crate) fn checked(p: f64) -> Result<Proportion, Invalid> {
        // `p > 0.0` is false for NaN, so one comparison refuses both.
        if !(p > 0.0 && p <= 1.0) {
            return Err(Invalid::Proportion(p));
        }
        // Rounded half up (`f64::round` is not in `core`); `p` is positive here.
        let millionths = (p * f64::from(MILLION) + 0.5) as u32;
        if millionths == 0 { Err(Invalid::Proportion(p)) } else { Ok(Proportion(millionths)) }
    }

    /// `millionths / 1_000_000`.
    ///
    /// ```
    /// use persevere::backoff::Proportion;
    ///
    /// assert_eq!(Proportion::from_millionths(1).to_string(), "0.000001");
    /// ```
    ///
    /// # Panics
    ///
    /// If `millionths` is 0 or above 1,000,000, naming the value.
    #[track_caller]
    pub const fn from_millionths(millionths: u32) -> Proportion {
        assert!(
            millionths != 0 && millionths <= MILLION,
            "invalid proportion: expected 1 to 1000000 millionths"
        );
        Proportion(millionths)
    }

    /// The fraction in millionths, 1 to 1,000,000.
    pub const fn millionths(self) -> u32 {
        self.0
    }

    /// The fraction, above 0 and at most 1.
    pub fn get(self) -> f64 {
        f64::from(self.0) / f64::from(MILLION)
    }
}

impl fmt::Display for Proportion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == MILLION {
            return f.write_str("1");
        }
        let mut digits = [0u8; 6];
        let mut n = self.0;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let end = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
        f.write_str("0.")?;
        // ASCII digits only.
        f.write_str(core::str::from_utf8(&digits[..end]).unwrap_or("0"))
    }
}

impl fmt::Debug for Proportion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Which jitter, without its proportion: what a schedule keeps in one byte, the
/// proportion beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    None,
    Full,
    Equal,
    Decorrelated,
    Proportional,
}

impl Jitter {
    /// Proportional jitter of `p` (rounded to the nearest millionth): each delay uniform in
    /// `[s_k (1 - p), min(cap, s_k (1 + p))]`.
    ///
    /// ```
    /// use persevere::{Fixed, Jitter};
    /// use std::time::Duration;
    ///
    /// let jitter = Jitter::proportional(0.25);
    /// assert_eq!(jitter.to_string(), "proportional(0.25)");
    /// let mut schedule = Fixed::new(Duration::from_secs(4)).max_retries(20).jitter(jitter);
    /// assert!(schedule.all(|d| d >= Duration::from_secs(3) && d <= Duration::from_secs(5)));
    /// ```
    ///
    /// # Panics
    ///
    /// If `p` is NaN, not above 0, above 1, or below half a millionth, naming the value.
    #[track_caller]
    pub fn proportional(p: f64) -> Jitter {
        Jitter::Proportional(Proportion::new(p).get())
    }

    /// The keyword used by `Display` and `FromStr` of the schedules; the proportional
    /// jitter's number follows it in parentheses.
    pub(crate) fn keyword(self) -> &'static str {
        match self.kind() {
            Kind::None => "none",
            Kind::Full => "full",
            Kind::Equal => "equal",
            Kind::Decorrelated => "decorrelated",
            Kind::Proportional => "proportional",
        }
    }

    /// A jitter without a number, by its keyword.
    #[cfg(feature = "std")]
    pub(crate) fn from_keyword(word: &str) -> Option<Jitter> {
        [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated]
            .into_iter()
            .find(|j| j.keyword() == word)
    }

    #[inline]
    pub(crate) fn kind(self) -> Kind {
        match self {
            Jitter::None => Kind::None,
            Jitter::Full => Kind::Full,
            Jitter::Equal => Kind::Equal,
            Jitter::Decorrelated => Kind::Decorrelated,
            Jitter::Proportional(_) => Kind::Proportional,
        }
    }

    /// The proportion in millionths, 0 for the other kinds; or the proportion it cannot be.
    #[inline]
    pub(crate) fn millionths(self) -> Result<u32, Invalid> {
        match self {
            Jitter::Proportional(p) => Proportion::checked(p).map(Proportion::millionths),
            _ => Ok(0),
        }
    }

    /// The jitter a schedule keeps as `kind` and `millionths`.
    #[inline]
    pub(crate) fn from_parts(kind: Kind, millionths: u32) -> Jitter {
        match kind {
            Kind::None => Jitter::None,
            Kind::Full => Jitter::Full,
            Kind::Equal => Jitter::Equal,
            Kind::Decorrelated => Jitter::Decorrelated,
            // Kept from a valid proportion; clamped rather than trusted, never panicking.
            Kind::Proportional => {
                Jitter::Proportional(Proportion(millionths.clamp(1, MILLION)).get())
            }
        }
    }
}

impl fmt::Display for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // As a schedule keeps it, rounded to the millionth, when it is a valid proportion.
            Jitter::Proportional(p) => match Proportion::checked(*p) {
                Ok(p) => write!(f, "proportional({p})"),
                Err(_) => write!(f, "proportional({p})"),
            },
            _ => f.write_str(self.keyword()),
        }
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

/// Uniform in `[low, high)` (`low` when the range is empty), where
/// `low = ceil(step (1 - p))` and `high = min(cap, floor(step (1 + p)))`, for `p` in
/// millionths: never below `step (1 - p)`, never above the cap or `step (1 + p)`. The step
/// is at most the cap, so the range is never empty but for a zero step.
#[inline]
pub(crate) fn proportional(
    step: Step,
    millionths: u32,
    cap: &Span,
    rng: &mut fastrand::Rng,
) -> Duration {
    match step {
        Step::Nanos(s) => {
            let (s, m) = (u128::from(s), u128::from(MILLION));
            let below_part = m - u128::from(millionths);
            // At most `s`, so it fits.
            let low = (s * below_part).div_ceil(m) as u64;
            let high = (s * (m + u128::from(millionths)) / m).min(u128::from(cap.nanos_or_max()));
            // `high` is at most the cap in nanoseconds, a u64.
            let high = high as u64;
            Duration::from_nanos(low + below(high.saturating_sub(low), rng.u64(..)))
        }
        Step::Long(step) => {
            let p = f64::from(millionths) / f64::from(MILLION);
            let s = nanos_f64(step);
            let cap = cap.get();
            let (low, high) = (s - s * p, (s + s * p).min(nanos_f64(cap)));
            let low_d = from_nanos_f64(low);
            // Float rounding of huge durations could land a little outside the range.
            from_nanos_f64(low + (high - low) * rng.f64()).max(low_d).min(cap)
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
