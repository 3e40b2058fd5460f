//! Saturating conversions between [`Duration`] and the numbers delays are computed in.
//!
//! Every function here is total: any input gives a `Duration` between zero and
//! [`Duration::MAX`], never a panic or a wrapped value.

use core::time::Duration;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// `d` in nanoseconds as an `f64` (rounded to the nearest representable value).
pub(crate) fn nanos_f64(d: Duration) -> f64 {
    // Two conversions from 64-bit integers are much cheaper than one from `u128`.
    d.as_secs() as f64 * NANOS_PER_SEC as f64 + f64::from(d.subsec_nanos())
}

/// `d` in whole nanoseconds, if that fits in a `u64` (up to about 584 years).
///
/// Schedules keep their steps in `u64` nanoseconds while they fit: one integer multiply or
/// add per step, where a `Duration` or a `u128` would take several.
#[inline]
pub(crate) fn nanos_u64(d: Duration) -> Option<u64> {
    d.as_secs().checked_mul(NANOS_PER_SEC)?.checked_add(u64::from(d.subsec_nanos()))
}

/// A whole number of nanoseconds as a `Duration`, saturating at `Duration::MAX`.
pub(crate) fn from_nanos_u128(nanos: u128) -> Duration {
    if let Ok(small) = u64::try_from(nanos) {
        return Duration::from_nanos(small);
    }
    let secs = nanos / u128::from(NANOS_PER_SEC);
    match u64::try_from(secs) {
        Ok(secs) => Duration::new(secs, (nanos % u128::from(NANOS_PER_SEC)) as u32),
        Err(_) => Duration::MAX,
    }
}

/// `nanos` truncated to a `Duration`; negative and NaN give zero, huge values `Duration::MAX`.
pub(crate) fn from_nanos_f64(nanos: f64) -> Duration {
    // `as` saturates and maps NaN to zero, so the fast path needs no checks of its own.
    if nanos < u64::MAX as f64 {
        return Duration::from_nanos(nanos as u64);
    }
    let secs = nanos / NANOS_PER_SEC as f64;
    if secs >= u64::MAX as f64 {
        return Duration::MAX;
    }
    let whole = secs as u64;
    // Above 2^64 ns an f64 step is thousands of nanoseconds wide, so sub-second precision is moot.
    let frac = ((secs - whole as f64) * NANOS_PER_SEC as f64) as u32;
    Duration::new(whole, frac.min(NANOS_PER_SEC as u32 - 1))
}

/// `d * factor`, saturating, exact whenever `factor` is a whole number.
///
/// Whole factors (the common 2.0, and every power of one) are multiplied as integers, so
/// `scale(d, 1.0) == d` for every `d`; other factors go through `f64` nanoseconds and are
/// truncated to the nanosecond.
pub(crate) fn scale(d: Duration, factor: f64) -> Duration {
    let whole = factor as u64;
    // `as` saturates, so 2^64 and above never pass as whole numbers.
    if whole as f64 == factor && whole != u64::MAX {
        return from_nanos_u128(d.as_nanos().saturating_mul(u128::from(whole)));
    }
    from_nanos_f64(nanos_f64(d) * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_by_whole_numbers_is_exact() {
        let odd = Duration::new(10_000_000, 1);
        assert_eq!(scale(odd, 1.0), odd);
        assert_eq!(scale(odd, 2.0), Duration::new(20_000_000, 2));
        assert_eq!(scale(Duration::MAX, 1.0), Duration::MAX);
        assert_eq!(scale(Duration::MAX, 2.0), Duration::MAX);
        assert_eq!(scale(Duration::from_nanos(1), 0.0), Duration::ZERO);
        // 2^64 is not u64::MAX: it goes through f64, exact to a few microseconds up there.
        let d = scale(Duration::from_nanos(1), 18_446_744_073_709_551_616.0);
        assert_eq!(d.as_secs(), 18_446_744_073);
        assert!(d.subsec_nanos().abs_diff(709_551_616) < 10_000, "{d:?}");
    }

    #[test]
    fn scale_by_fractions_truncates_and_saturates() {
        assert_eq!(scale(Duration::from_millis(100), 1.5), Duration::from_millis(150));
        assert_eq!(scale(Duration::from_nanos(3), 1.5), Duration::from_nanos(4));
        assert_eq!(scale(Duration::from_secs(1), 1e300), Duration::MAX);
        assert_eq!(scale(Duration::MAX, 1.5), Duration::MAX);
        assert_eq!(scale(Duration::from_secs(1), f64::INFINITY), Duration::MAX);
    }

    #[test]
    fn float_conversion_is_total() {
        assert_eq!(from_nanos_f64(f64::NAN), Duration::ZERO);
        assert_eq!(from_nanos_f64(-1.0), Duration::ZERO);
        assert_eq!(from_nanos_f64(f64::INFINITY), Duration::MAX);
        assert_eq!(from_nanos_f64(1.5e9), Duration::from_millis(1500));
        let big = from_nanos_f64(2e19);
        assert_eq!(big.as_secs(), 20_000_000_000);
        assert_eq!(from_nanos_u128(u128::MAX), Duration::MAX);
        assert_eq!(from_nanos_u128(Duration::MAX.as_nanos()), Duration::MAX);
    }

    #[test]
    fn nanos_fit_a_u64_up_to_its_limit() {
        assert_eq!(nanos_u64(Duration::new(3, 7)), Some(3_000_000_007));
        assert_eq!(nanos_u64(Duration::from_nanos(u64::MAX)), Some(u64::MAX));
        assert_eq!(nanos_u64(Duration::from_nanos(u64::MAX) + Duration::from_nanos(1)), None);
        assert_eq!(nanos_u64(Duration::MAX), None);
    }
}
