//! The backoff schedules, held to the semantics in DESIGN.md: exact unjittered sequences,
//! limits, jitter bands and spread, reproducibility, saturation at extreme inputs, refused
//! settings and the text form.
//!
//! Every random test uses fixed seeds, so a run is deterministic; the statistical bounds are
//! still several standard deviations wide, so that a change of random stream does not make
//! them fail by chance.

use std::iter::FusedIterator;
use std::time::Duration;

use persevere::backoff::DEFAULT_MAX_RETRIES;
use persevere::{Exponential, Fibonacci, Fixed, Jitter, Jittered, ParseError, Proportion};

#[path = "support/any_schedule.rs"]
mod any_schedule;
use any_schedule::Any;

/// ±10%.
const TENTH: Jitter = Jitter::Proportional(0.1);
const JITTERS: [Jitter; 5] =
    [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated, TENTH];
const RANDOM: [Jitter; 4] = [Jitter::Full, Jitter::Equal, Jitter::Decorrelated, TENTH];

fn ns(n: u64) -> Duration {
    Duration::from_nanos(n)
}

/// `n` nanoseconds, for `n` up to `Duration::MAX.as_nanos()`.
fn ns128(n: u128) -> Duration {
    let secs = u64::try_from(n / 1_000_000_000).expect("within Duration::MAX");
    Duration::new(secs, u32::try_from(n % 1_000_000_000).expect("below a billion"))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

impl Any {
    /// The three schedules, each starting at `initial`, with the default settings.
    fn all(initial: Duration) -> [Any; 3] {
        [
            Any::exp(Exponential::new(initial)),
            Any::fib(Fibonacci::new(initial)),
            Any::fix(Fixed::new(initial)),
        ]
    }

    /// Applies the same setter to whichever schedule this is.
    fn with(self, f: impl Fn(Setter) -> Setter) -> Any {
        f(Setter(self)).0
    }
}

/// The shared setters, forwarded to the schedule inside.
struct Setter(Any);

macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        impl Setter {
            $(fn $name(self, $($arg: $ty),*) -> Setter {
                Setter(match self.0 {
                    Any::Exp(s) => Any::exp(s.$name($($arg),*)),
                    Any::Fib(s) => Any::fib(s.$name($($arg),*)),
                    Any::Fix(s) => Any::fix(s.$name($($arg),*)),
                })
            })*
        }
    };
}

forward!(
    max_delay(cap: Duration),
    max_retries(n: u32),
    forever(),
    max_total_delay(total: Duration),
    jitter(jitter: Jitter),
    seed(seed: u64),
);

fn fused<I: FusedIterator>(_: &I) {}

// ---------------------------------------------------------------------------------------
// Exact unjittered sequences

#[test]
fn exponential_doubles_by_default() {
    let delays: Vec<_> = Exponential::new(ms(100)).max_retries(6).collect();
    assert_eq!(delays, [100, 200, 400, 800, 1600, 3200].map(ms));
}

#[test]
fn exponential_with_a_whole_factor() {
    let delays: Vec<_> = Exponential::new(ms(10)).factor(3.0).max_retries(5).collect();
    assert_eq!(delays, [10, 30, 90, 270, 810].map(ms));
    // Whole factors from 2^63 up take another path to the same exact integer growth; the
    // third step, past `Duration::MAX`, saturates.
    for factor in [2f64.powi(63) - 1024.0, 2f64.powi(63), 2f64.powi(64) - 2048.0] {
        let delays: Vec<_> = Exponential::new(ns(1)).factor(factor).max_retries(3).collect();
        assert_eq!(delays, [ns(1), ns(factor as u64), Duration::MAX], "factor {factor}");
    }
}

#[test]
fn exponential_with_a_power_of_two_factor_is_exact_for_every_power() {
    // Every power from 2^0 to 2^66 (the fast path takes 2^0 to 2^62), from an odd start,
    // against exact arithmetic: the step saturates at `Duration::MAX` and then stays there.
    let start = Duration::new(1, 7);
    let max = Duration::MAX.as_nanos();
    for power in 0..=66 {
        let factor = 2f64.powi(power);
        let delays: Vec<_> = Exponential::new(start).factor(factor).max_retries(4).collect();
        let mut step = start.as_nanos();
        let mut expected = Vec::new();
        for _ in 0..4 {
            expected.push(if step >= max { Duration::MAX } else { ns128(step) });
            step = step.saturating_mul(1 << power).min(max);
        }
        assert_eq!(delays, expected, "factor 2^{power}");
    }
}

#[test]
fn exponential_with_a_fractional_factor_truncates_to_the_nanosecond() {
    let delays: Vec<_> = Exponential::new(ms(100)).factor(1.5).max_retries(10).collect();
    // 100ms * 1.5^k; 1.5^9 * 1e8 ns = 3_844_335_937.5 ns, truncated.
    let expected = [
        100_000_000,
        150_000_000,
        225_000_000,
        337_500_000,
        506_250_000,
        759_375_000,
        1_139_062_500,
        1_708_593_750,
        2_562_890_625,
        3_844_335_937,
    ]
    .map(ns);
    assert_eq!(delays, expected);
}

#[test]
fn exponential_from_one_nanosecond_with_factor_1_5_still_grows() {
    // Rounding each step before multiplying would stay at 1 ns for ever (1 * 1.5 = 1).
    let delays: Vec<_> = Exponential::new(ns(1)).factor(1.5).max_retries(11).collect();
    assert_eq!(delays, [1, 1, 2, 3, 5, 7, 11, 17, 25, 38, 57].map(ns));

    // 1.5^161 ns is past Duration::MAX; every step before it is longer than the one before.
    let long: Vec<_> = Exponential::new(ns(1)).factor(1.5).max_retries(163).collect();
    for pair in long[1..=160].windows(2) {
        assert!(pair[1] > pair[0], "stalled at {:?}", pair[0]);
    }
    assert!(long[160] > Duration::MAX / 2);
    assert_eq!(long[161..], [Duration::MAX; 2]);
}

#[test]
fn exponential_with_a_factor_barely_above_one_still_grows() {
    let mut schedule = Exponential::new(ns(1)).factor(1.1).forever();
    // 1.1^100 = 13780.61...
    assert_eq!(schedule.nth(100), Some(ns(13_780)));
}

#[test]
fn exponential_with_factor_one_is_constant() {
    let delays: Vec<_> = Exponential::new(ms(250)).factor(1.0).max_retries(5).collect();
    assert_eq!(delays, [ms(250); 5]);
    let odd = Duration::new(3, 1);
    assert!(Exponential::new(odd).factor(1.0).forever().take(1000).all(|d| d == odd));
}

#[test]
fn exponential_whole_factors_are_exact_far_out() {
    // 2^k nanoseconds, exactly, past the 64-bit range of nanoseconds.
    for k in [10u32, 52, 53, 63, 64, 65, 80, 93] {
        let expected = Duration::new(
            u64::try_from((1u128 << k) / 1_000_000_000).unwrap(),
            u32::try_from((1u128 << k) % 1_000_000_000).unwrap(),
        );
        let got = Exponential::new(ns(1)).forever().nth(k as usize);
        assert_eq!(got, Some(expected), "2^{k} ns");
    }
    // 2^94 ns is beyond Duration::MAX: saturate.
    assert_eq!(Exponential::new(ns(1)).forever().nth(94), Some(Duration::MAX));
    // 3^34 needs 55 bits, more than an f64 holds exactly.
    let got = Exponential::new(ns(1)).factor(3.0).forever().nth(34);
    assert_eq!(got, Some(ns(3u64.pow(34))));
    let got = Exponential::new(ms(7)).factor(10.0).forever().nth(17);
    assert_eq!(got, Some(Duration::from_secs(7 * 10u64.pow(14))));
}

#[test]
fn fibonacci_sequence() {
    let delays: Vec<_> = Fibonacci::new(ms(10)).max_retries(10).collect();
    assert_eq!(delays, [10, 10, 20, 30, 50, 80, 130, 210, 340, 550].map(ms));
    let delays: Vec<_> = Fibonacci::new(ns(1)).forever().take(90).collect();
    let (mut a, mut b) = (1u64, 1u64);
    for d in delays {
        assert_eq!(d, ns(a));
        (a, b) = (b, a + b);
    }
}

#[test]
fn fibonacci_is_exact_across_the_word_limit_with_any_cap() {
    // Starts and caps on both sides of u64::MAX / 3 nanoseconds (where the terms leave the
    // one-add path), against exact arithmetic, out to `Duration::MAX`.
    let limit = u128::from(u64::MAX / 3);
    let max = Duration::MAX.as_nanos();
    let starts = [1, 1_000_000_007, limit / 5, limit - 1, limit, limit + 1, u128::from(u64::MAX)];
    let caps =
        [None, Some(limit / 2), Some(limit - 1), Some(limit), Some(limit + 1), Some(max / 2)];
    for start in starts {
        // A cap below the start is refused (`max_delay` panics), so those pairs are left out.
        for cap in caps.into_iter().filter(|cap| cap.is_none_or(|cap| cap >= start)) {
            let mut schedule = Fibonacci::new(ns128(start)).forever();
            if let Some(cap) = cap {
                schedule = schedule.max_delay(ns128(cap));
            }
            let (mut a, mut b) = (start, start);
            for step in 0..200 {
                let term = a.min(max);
                let expected = ns128(cap.map_or(term, |cap| term.min(cap)));
                assert_eq!(
                    schedule.next(),
                    Some(expected),
                    "start {start}, cap {cap:?}, step {step}"
                );
                (a, b) = (b, a.saturating_add(b));
            }
        }
    }
}

#[test]
fn fixed_sequence() {
    let delays: Vec<_> = Fixed::new(ms(300)).max_retries(4).collect();
    assert_eq!(delays, [ms(300); 4]);
    assert!(Fixed::new(ns(7)).forever().take(10_000).all(|d| d == ns(7)));
}

#[test]
fn zero_delays_stay_zero() {
    for schedule in Any::all(Duration::ZERO) {
        let delays: Vec<_> = schedule.with(|s| s.forever()).take(1000).collect();
        assert!(delays.iter().all(|d| d.is_zero()));
    }
    let delays: Vec<_> = Exponential::new(Duration::ZERO).max_delay(Duration::ZERO).collect();
    assert_eq!(delays, [Duration::ZERO; 3]);
}

// ---------------------------------------------------------------------------------------
// Cap and retry limits

#[test]
fn the_cap_bounds_every_schedule() {
    let delays: Vec<_> = Exponential::new(ms(100)).max_delay(secs(1)).max_retries(7).collect();
    assert_eq!(delays, [100, 200, 400, 800, 1000, 1000, 1000].map(ms));

    let delays: Vec<_> = Fibonacci::new(ms(10)).max_delay(ms(45)).max_retries(7).collect();
    assert_eq!(delays, [10, 10, 20, 30, 45, 45, 45].map(ms));

    let delays: Vec<_> = Fixed::new(ms(10)).max_delay(ms(10)).max_retries(2).collect();
    assert_eq!(delays, [ms(10); 2]);

    // A cap equal to the initial delay is allowed and flattens the schedule.
    let delays: Vec<_> = Exponential::new(ms(10)).max_delay(ms(10)).max_retries(3).collect();
    assert_eq!(delays, [ms(10); 3]);

    // A cap between steps is hit exactly, not overshot.
    let delays: Vec<_> =
        Exponential::new(ms(100)).factor(1.5).max_delay(ms(300)).max_retries(5).collect();
    assert_eq!(delays, [100, 150, 225, 300, 300].map(ms));
}

#[test]
fn the_default_retry_count_is_finite_and_documented() {
    assert_eq!(DEFAULT_MAX_RETRIES, 3);
    for schedule in Any::all(ms(1)) {
        assert_eq!(schedule.clone().count(), DEFAULT_MAX_RETRIES as usize);
        for jitter in JITTERS {
            let s = schedule.clone().with(|s| s.jitter(jitter).seed(1));
            assert_eq!(s.count(), DEFAULT_MAX_RETRIES as usize, "{jitter:?}");
        }
    }
}

#[test]
fn max_retries_counts_delays_exactly() {
    for schedule in Any::all(ms(1)) {
        for jitter in JITTERS {
            for n in [0, 1, 2, 17, 1000] {
                let s = schedule.clone().with(|s| s.jitter(jitter).seed(9).max_retries(n));
                assert_eq!(s.count(), n as usize, "{jitter:?} {n}");
            }
        }
    }
}

#[test]
fn forever_lifts_the_limit_and_a_later_max_retries_restores_it() {
    for schedule in Any::all(ms(1)) {
        let s = schedule.clone().with(|s| s.forever());
        assert_eq!(s.size_hint(), (usize::MAX, None));
        assert_eq!(s.take(100_000).count(), 100_000);
        let s = schedule.with(|s| s.forever().max_retries(2));
        assert_eq!(s.count(), 2);
    }
}

// ---------------------------------------------------------------------------------------
// max_total_delay

#[test]
fn total_delay_stops_before_the_sum_would_exceed_it() {
    // 100 + 200 + 400 = 700; adding 800 would make 1500 > 1000.
    let delays: Vec<_> = Exponential::new(ms(100)).forever().max_total_delay(secs(1)).collect();
    assert_eq!(delays, [100, 200, 400].map(ms));
    // Reaching the limit exactly is allowed...
    let delays: Vec<_> = Exponential::new(ms(100)).forever().max_total_delay(ms(700)).collect();
    assert_eq!(delays, [100, 200, 400].map(ms));
    // ...one nanosecond less is not.
    let below = ms(700) - ns(1);
    let delays: Vec<_> = Exponential::new(ms(100)).forever().max_total_delay(below).collect();
    assert_eq!(delays, [100, 200].map(ms));

    let delays: Vec<_> = Fixed::new(ms(300)).forever().max_total_delay(secs(1)).collect();
    assert_eq!(delays, [ms(300); 3]);
    let delays: Vec<_> = Fibonacci::new(ms(10)).forever().max_total_delay(ms(125)).collect();
    assert_eq!(delays, [10, 10, 20, 30, 50].map(ms));
    // A first delay above the limit means no delay at all.
    assert_eq!(Fixed::new(secs(2)).max_total_delay(secs(1)).count(), 0);
}

#[test]
fn total_delay_and_retry_count_whichever_comes_first() {
    let s = Fixed::new(ms(100)).max_retries(3).max_total_delay(secs(10));
    assert_eq!(s.count(), 3);
    let s = Fixed::new(ms(100)).max_retries(300).max_total_delay(ms(450));
    assert_eq!(s.count(), 4);
}

#[test]
fn total_delay_holds_for_jittered_schedules_and_stays_stopped() {
    for schedule in Any::all(ms(10)) {
        for jitter in RANDOM {
            for seed in 0..50 {
                let mut s = schedule.clone().with(|s| {
                    s.max_delay(secs(1))
                        .forever()
                        .jitter(jitter)
                        .seed(seed)
                        .max_total_delay(secs(3))
                });
                let mut sum = Duration::ZERO;
                let mut count = 0;
                for d in s.by_ref() {
                    sum += d;
                    count += 1;
                    assert!(count < 1_000_000, "{jitter:?} never stopped");
                }
                assert!(sum <= secs(3), "{jitter:?} seed {seed}: {sum:?}");
                // Fused: a later, shorter draw must not slip in after the refusal.
                for _ in 0..100 {
                    assert_eq!(s.next(), None);
                }
                assert_eq!(s.size_hint(), (0, Some(0)));
            }
        }
    }
}

#[test]
fn total_delay_of_duration_max_saturates_instead_of_overflowing() {
    let delays: Vec<_> =
        Fixed::new(Duration::MAX).forever().max_total_delay(Duration::MAX).take(10).collect();
    assert_eq!(delays, [Duration::MAX]);
    let delays: Vec<_> =
        Exponential::new(secs(1)).max_retries(200).max_total_delay(Duration::MAX).collect();
    // 1s * 2^k: the sum stays below Duration::MAX (2^64 - 1 s) for k up to 63.
    assert_eq!(delays.len(), 64);
    assert_eq!(delays[63], secs(1 << 63));
    for schedule in Any::all(ms(5)) {
        for jitter in JITTERS {
            let s =
                schedule.clone().with(|s| s.jitter(jitter).seed(3).max_total_delay(Duration::MAX));
            assert_eq!(s.count(), 3, "{jitter:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// size_hint and FusedIterator

#[test]
fn size_hint_is_exact_when_only_the_count_limits() {
    for schedule in Any::all(ms(3)) {
        for jitter in JITTERS {
            let mut s = schedule.clone().with(|s| s.jitter(jitter).seed(4).max_retries(5));
            for left in (0..=5).rev() {
                assert_eq!(s.size_hint(), (left, Some(left)), "{jitter:?}");
                assert_eq!(s.next().is_some(), left > 0);
            }
            assert_eq!(s.size_hint(), (0, Some(0)));
        }
    }
    let s = Fixed::new(ms(1)).max_retries(u32::MAX);
    assert_eq!(s.size_hint(), (u32::MAX as usize, Some(u32::MAX as usize)));
}

#[test]
fn size_hint_bounds_hold_under_a_total_limit() {
    for schedule in Any::all(ms(3)) {
        for jitter in JITTERS {
            let s = schedule
                .clone()
                .with(|s| s.jitter(jitter).seed(4).max_retries(50).max_total_delay(ms(200)));
            let mut rest = s.clone().count();
            let mut s = s;
            loop {
                let (low, high) = s.size_hint();
                assert!(low <= rest && high.is_none_or(|h| rest <= h), "{jitter:?}");
                if s.next().is_none() {
                    break;
                }
                rest -= 1;
            }
            let s = schedule.clone().with(|s| s.forever().max_total_delay(ms(200)));
            assert_eq!(s.size_hint().1, None);
        }
    }
}

#[test]
fn exhausted_schedules_stay_exhausted() {
    fused(&Exponential::new(ms(1)));
    fused(&Fibonacci::new(ms(1)));
    fused(&Fixed::new(ms(1)));
    for schedule in Any::all(ms(1)) {
        for jitter in JITTERS {
            let mut s = schedule.clone().with(|s| s.jitter(jitter).max_retries(2));
            assert!(s.next().is_some() && s.next().is_some());
            for _ in 0..10 {
                assert_eq!(s.next(), None);
            }
            assert_eq!(s.nth(5), None);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Jitter bands

/// Each unjittered step of the schedule, to compare jittered draws against.
fn steps(schedule: &Any, n: usize) -> Vec<Duration> {
    schedule.clone().with(|s| s.jitter(Jitter::None).forever()).take(n).collect()
}

fn jittered(schedule: &Any, jitter: Jitter, seed: u64, n: usize) -> Vec<Duration> {
    schedule.clone().with(|s| s.jitter(jitter).seed(seed).forever()).take(n).collect()
}

fn bases() -> Vec<Any> {
    let mut all = Vec::new();
    for cap in [ms(900), secs(10), Duration::MAX] {
        all.extend(Any::all(ms(100)).map(|s| s.with(|s| s.max_delay(cap))));
    }
    all.push(Any::exp(Exponential::new(ns(1)).factor(1.5).max_delay(ns(1000))));
    all.push(Any::exp(Exponential::new(ms(1)).factor(7.25)));
    all.push(Any::fib(Fibonacci::new(ns(3))));
    all
}

#[test]
fn full_jitter_stays_within_zero_and_the_step() {
    for base in bases() {
        let steps = steps(&base, 40);
        for seed in 0..250 {
            for (k, (d, s)) in
                jittered(&base, Jitter::Full, seed, 40).into_iter().zip(&steps).enumerate()
            {
                assert!(d <= *s, "{base:?} seed {seed} step {k}: {d:?} > {s:?}");
            }
        }
    }
}

#[test]
fn equal_jitter_stays_within_half_the_step_and_the_step() {
    for base in bases() {
        let steps = steps(&base, 40);
        for seed in 0..250 {
            for (k, (d, s)) in
                jittered(&base, Jitter::Equal, seed, 40).into_iter().zip(&steps).enumerate()
            {
                assert!(*s / 2 <= d && d <= *s, "{base:?} seed {seed} step {k}: {d:?} vs {s:?}");
            }
        }
    }
}

/// Asserts the decorrelated law on the yielded delays.
fn assert_decorrelated(delays: &[Duration], initial: Duration, cap: Duration) {
    let mut previous = initial;
    for (k, &d) in delays.iter().enumerate() {
        let high = previous.saturating_mul(3).min(cap);
        assert!(
            initial <= d && d <= high,
            "step {k}: {d:?} outside [{initial:?}, {high:?}] (previous {previous:?})"
        );
        previous = d;
    }
}

#[test]
fn decorrelated_jitter_draws_from_initial_to_three_times_the_previous_delay() {
    let cases = [
        (ms(100), secs(10)),
        (ms(100), Duration::MAX),
        (ms(100), ms(150)),
        (ms(100), ms(100)),
        (ns(1), ns(1000)),
        (ns(1), Duration::MAX),
        (ns(7), secs(1)),
    ];
    for (initial, cap) in cases {
        let schedules = [
            Any::exp(Exponential::new(initial)),
            Any::exp(Exponential::new(initial).factor(1.5)),
            Any::fib(Fibonacci::new(initial)),
            Any::fix(Fixed::new(initial)),
        ];
        for base in schedules {
            let base = base.with(|s| s.max_delay(cap));
            for seed in 0..200 {
                let delays = jittered(&base, Jitter::Decorrelated, seed, 60);
                assert_decorrelated(&delays, initial, cap);
            }
        }
    }
}

#[test]
fn decorrelated_jitter_replaces_the_schedules_growth() {
    // Same seed, same initial and cap: the growth law underneath makes no difference.
    for seed in 0..20 {
        let exp: Vec<_> = Exponential::new(ms(10))
            .factor(5.0)
            .max_delay(secs(60))
            .jitter(Jitter::Decorrelated)
            .seed(seed)
            .max_retries(30)
            .collect();
        let fixed: Vec<_> = Fixed::new(ms(10))
            .max_delay(secs(60))
            .jitter(Jitter::Decorrelated)
            .seed(seed)
            .max_retries(30)
            .collect();
        assert_eq!(exp, fixed);
    }
}

#[test]
fn no_jittered_delay_exceeds_the_cap() {
    for cap in [ms(100), ms(250), secs(3)] {
        for base in Any::all(ms(100)) {
            for jitter in JITTERS {
                for seed in 0..100 {
                    let delays =
                        jittered(&base.clone().with(|s| s.max_delay(cap)), jitter, seed, 100);
                    assert!(delays.iter().all(|&d| d <= cap), "{base:?} {jitter:?}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Jitter spread

/// The Kolmogorov-Smirnov distance between samples in [0, 1] and the uniform distribution.
fn ks_uniform(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    let mut worst: f64 = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        worst = worst.max((i as f64 + 1.0) / n - x).max(x - i as f64 / n);
    }
    worst
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Counts of `xs` (in [0, 1]) in ten equal buckets.
fn buckets(xs: &[f64]) -> [usize; 10] {
    let mut counts = [0; 10];
    for &x in xs {
        counts[((x * 10.0) as usize).min(9)] += 1;
    }
    counts
}

// For n = 10,000 uniform samples the KS distance exceeds 0.0195 with probability 0.001;
// 0.03 leaves a wide margin. Each bucket expects 1,000 ± 30 (one standard deviation).

#[test]
fn full_jitter_is_uniform_below_the_step() {
    let step = secs(1);
    let xs: Vec<f64> = Fixed::new(step)
        .forever()
        .jitter(Jitter::Full)
        .seed(0xF011)
        .take(10_000)
        .map(|d| d.as_secs_f64() / step.as_secs_f64())
        .collect();
    let m = mean(&xs);
    assert!((m - 0.5).abs() < 0.015, "mean {m}");
    let d = ks_uniform(xs.clone());
    assert!(d < 0.03, "KS distance {d}");
    for count in buckets(&xs) {
        assert!((850..=1150).contains(&count), "{:?}", buckets(&xs));
    }
}

#[test]
fn full_jitter_follows_the_growing_step() {
    // Normalised by its own unjittered step, every draw of a growing schedule is uniform too.
    let base = Exponential::new(ms(10)).max_delay(secs(30)).forever();
    let steps: Vec<_> = base.clone().take(20).collect();
    let mut xs = Vec::new();
    for seed in 0..500 {
        let draws = base.clone().jitter(Jitter::Full).seed(seed).take(20);
        xs.extend(draws.zip(&steps).map(|(d, s)| d.as_secs_f64() / s.as_secs_f64()));
    }
    let m = mean(&xs);
    assert!((m - 0.5).abs() < 0.015, "mean {m}");
    let d = ks_uniform(xs);
    assert!(d < 0.03, "KS distance {d}");
}

#[test]
fn equal_jitter_is_uniform_over_the_upper_half() {
    let step = secs(1);
    let xs: Vec<f64> = Fixed::new(step)
        .forever()
        .jitter(Jitter::Equal)
        .seed(0xE9A1)
        .take(10_000)
        .map(|d| d.as_secs_f64() / step.as_secs_f64())
        .collect();
    let m = mean(&xs);
    assert!((m - 0.75).abs() < 0.01, "mean {m}");
    let upper: Vec<f64> = xs.iter().map(|x| (x - 0.5) * 2.0).collect();
    assert!(upper.iter().all(|u| (0.0..=1.0).contains(u)));
    let d = ks_uniform(upper.clone());
    assert!(d < 0.03, "KS distance {d}");
    for count in buckets(&upper) {
        assert!((850..=1150).contains(&count), "{:?}", buckets(&upper));
    }
}

#[test]
fn decorrelated_jitter_is_uniform_within_its_range() {
    // Each draw, placed within its own range [initial, min(cap, 3 * previous)], is uniform.
    let initial = ms(100);
    let cap = secs(20);
    let delays: Vec<_> = Fixed::new(initial)
        .max_delay(cap)
        .forever()
        .jitter(Jitter::Decorrelated)
        .seed(0xDEC0)
        .take(10_000)
        .collect();
    let mut previous = initial;
    let mut xs = Vec::new();
    for d in delays {
        let high = (previous * 3).min(cap);
        xs.push((d - initial).as_secs_f64() / (high - initial).as_secs_f64());
        previous = d;
    }
    let d = ks_uniform(xs.clone());
    assert!(d < 0.03, "KS distance {d}");
    assert!((mean(&xs) - 0.5).abs() < 0.015, "mean {}", mean(&xs));
}

#[test]
fn decorrelated_first_draw_averages_twice_the_initial_delay() {
    let initial = ms(100);
    let firsts: Vec<f64> = (0..10_000)
        .map(|seed| {
            let mut s = Exponential::new(initial).jitter(Jitter::Decorrelated).seed(seed);
            s.next().unwrap().as_secs_f64()
        })
        .collect();
    let m = mean(&firsts);
    // Uniform on [0.1 s, 0.3 s]: mean 0.2 s, standard error 0.00058 s.
    assert!((m - 0.2).abs() < 0.004, "mean {m}");
}

#[test]
fn jittered_delays_do_not_pile_up_on_the_cap() {
    // Polly issue 530: clamping each draw to the cap put 19% of 10th retries exactly on it.
    // Here the range is capped instead, so hitting the cap exactly is a measure-zero event.
    let cap = secs(10);
    let cases = [
        (Any::exp(Exponential::new(ms(100))), Jitter::Full),
        (Any::exp(Exponential::new(ms(100))), Jitter::Equal),
        (Any::fib(Fibonacci::new(ms(500))), Jitter::Full),
        (Any::fib(Fibonacci::new(ms(500))), Jitter::Equal),
        (Any::fix(Fixed::new(cap)), Jitter::Full),
        (Any::fix(Fixed::new(cap)), Jitter::Equal),
        (Any::exp(Exponential::new(ms(100))), Jitter::Decorrelated),
        (Any::fix(Fixed::new(secs(1))), Jitter::Decorrelated),
    ];
    for (base, jitter) in cases {
        let base = base.with(|s| s.max_delay(cap).forever());
        let tenth_step = steps(&base, 10)[9];
        let mut at_cap = 0;
        let mut range_capped = 0;
        for seed in 0..10_000 {
            let delays: Vec<_> =
                base.clone().with(|s| s.jitter(jitter).seed(seed)).take(10).collect();
            let tenth = delays[9];
            assert!(tenth <= cap);
            if tenth == cap {
                at_cap += 1;
            }
            // Whether the range of the 10th draw reached past the cap, so that clamping
            // draws (instead of the range) would have put delays on it.
            let top = match jitter {
                Jitter::Decorrelated => delays[8] * 3,
                _ => tenth_step,
            };
            if top >= cap {
                range_capped += 1;
            }
        }
        assert!(at_cap < 100, "{base:?} {jitter:?}: {at_cap} of 10,000 at the cap");
        // The check means something only where the 10th range did reach the cap.
        assert!(range_capped > 2_000, "{base:?} {jitter:?}: {range_capped} capped ranges");
    }
}

// ---------------------------------------------------------------------------------------
// Seeds and clones

#[test]
fn a_seed_makes_jitter_reproducible() {
    for base in Any::all(ms(10)) {
        let base = base.with(|s| s.max_delay(secs(5)).max_retries(50));
        for jitter in RANDOM {
            let a: Vec<_> = base.clone().with(|s| s.jitter(jitter).seed(42)).collect();
            let b: Vec<_> = base.clone().with(|s| s.jitter(jitter).seed(42)).collect();
            assert_eq!(a, b, "{jitter:?}");
            let c: Vec<_> = base.clone().with(|s| s.jitter(jitter).seed(43)).collect();
            assert_ne!(a, c, "{jitter:?}: different seeds gave the same delays");
        }
    }
}

#[test]
fn the_order_of_jitter_and_seed_does_not_matter() {
    for base in Any::all(ms(10)) {
        for jitter in RANDOM {
            let a: Vec<_> = base
                .clone()
                .with(|s| s.jitter(jitter).seed(7).max_delay(secs(1)).max_retries(40))
                .collect();
            let b: Vec<_> = base
                .clone()
                .with(|s| s.seed(7).max_retries(40).jitter(jitter).max_delay(secs(1)))
                .collect();
            assert_eq!(a, b, "{jitter:?}");
            // Changing the jitter after seeding keeps the seed.
            let c: Vec<_> = base
                .clone()
                .with(|s| {
                    s.seed(7).jitter(Jitter::Full).jitter(jitter).max_delay(secs(1)).max_retries(40)
                })
                .collect();
            assert_eq!(a, c, "{jitter:?}");
        }
    }
}

#[test]
fn unseeded_jitter_differs_between_schedules() {
    for base in Any::all(secs(1)) {
        for jitter in RANDOM {
            let a: Vec<_> = base.clone().with(|s| s.jitter(jitter).max_retries(20)).collect();
            let b: Vec<_> = base.clone().with(|s| s.jitter(jitter).max_retries(20)).collect();
            assert_ne!(a, b, "{jitter:?}: two unseeded schedules drew the same delays");
        }
    }
}

#[test]
fn a_seeded_clone_repeats_the_stream_from_where_it_was_cloned() {
    for base in Any::all(ms(10)) {
        for jitter in JITTERS {
            let mut s =
                base.clone().with(|s| s.jitter(jitter).seed(11).max_delay(secs(9)).max_retries(30));
            let twin = s.clone();
            assert_eq!(twin, s);
            for _ in 0..5 {
                s.next();
            }
            let midway = s.clone();
            assert_eq!(midway, s);
            let rest: Vec<_> = s.collect();
            assert_eq!(rest.len(), 25);
            assert_eq!(midway.collect::<Vec<_>>(), rest, "{jitter:?}");
            assert_eq!(twin.skip(5).collect::<Vec<_>>(), rest, "{jitter:?}");
        }
    }
}

#[test]
fn an_unseeded_jittered_clone_draws_its_own_stream() {
    for base in Any::all(secs(1)) {
        for jitter in RANDOM {
            let s = base.clone().with(|s| s.jitter(jitter).max_delay(secs(60)).max_retries(20));
            let clone = s.clone();
            // Settings and progress compare equal; the random stream is not compared.
            assert_eq!(clone, s);
            let a: Vec<_> = s.collect();
            let b: Vec<_> = clone.collect();
            assert_ne!(a, b, "{jitter:?}: the clone repeated the original's delays");
        }
    }
}

#[test]
fn an_unjittered_clone_is_identical() {
    for base in Any::all(ms(10)) {
        let mut s = base.with(|s| s.max_delay(secs(1)).max_retries(12));
        s.next();
        let clone = s.clone();
        assert_eq!(clone, s);
        assert_eq!(clone.collect::<Vec<_>>(), s.collect::<Vec<_>>());
    }
}

#[test]
fn settings_changed_midway_keep_the_count_and_the_stream() {
    // Jitter and a total limit move a schedule off its fast path, where the count is kept
    // in another field; the delays already drawn still count, and a seeded stream goes on.
    for base in Any::all(ms(10)) {
        let mut s = base.clone().with(|s| s.max_delay(secs(1)).max_retries(10).seed(5));
        s.next();
        s.next();
        let mut s = s.with(|s| s.jitter(Jitter::Full));
        assert_eq!(s.size_hint(), (8, Some(8)));
        s.next();
        let s = s.with(|s| s.jitter(Jitter::None));
        assert_eq!(s.size_hint(), (7, Some(7)));
        let s = s.with(|s| s.max_total_delay(secs(100)));
        assert_eq!(s.clone().count(), 7);
        let s = s.with(|s| s.forever());
        assert_eq!(s.take(20).count(), 20);

        let mut a = base.clone().with(|s| s.jitter(Jitter::Equal).seed(9).max_retries(6));
        let b = base.clone().with(|s| s.jitter(Jitter::Equal).seed(9).max_retries(6));
        a.next();
        a.next();
        let a = a.with(|s| s.max_total_delay(secs(100)));
        assert_eq!(a.collect::<Vec<_>>(), b.skip(2).collect::<Vec<_>>());
    }
}

#[test]
fn display_after_jittered_delays_prints_the_seed_given() {
    let mut s = Exponential::new(ms(10)).jitter(Jitter::Decorrelated).seed(42).max_retries(9);
    let before = s.to_string();
    for _ in 0..5 {
        s.next();
    }
    assert_eq!(s.to_string(), before);
    assert!(before.ends_with("seed=42)"), "{before}");
}

// ---------------------------------------------------------------------------------------
// Size

#[test]
fn schedules_stay_small() {
    // A schedule is moved by each setter and kept inside every retry loop and future: each
    // setting stored once, progress beside it, one cache per growth law for its hot path.
    // Lower these when the schedules shrink. Without jitter a schedule keeps no random
    // state: `Fixed` is its delay, the cap, the total limit and what is left of it, and two
    // counts, 56 bytes, as backon's constant backoff (which has no cap or total limit).
    use std::mem::size_of;
    assert!(size_of::<Exponential>() <= 88, "Exponential: {} bytes", size_of::<Exponential>());
    assert!(size_of::<Fibonacci>() <= 92, "Fibonacci: {} bytes", size_of::<Fibonacci>());
    assert!(size_of::<Fixed>() <= 56, "Fixed: {} bytes", size_of::<Fixed>());
    // Jitter adds the seed, the last decorrelated draw and the jitter itself: 24 bytes.
    for (plain, jittered) in [
        (size_of::<Exponential>(), size_of::<Jittered<Exponential>>()),
        (size_of::<Fibonacci>(), size_of::<Jittered<Fibonacci>>()),
        (size_of::<Fixed>(), size_of::<Jittered<Fixed>>()),
    ] {
        assert_eq!(jittered, plain + 24);
    }
    // The growth law's own enum leaves a niche, so an optional schedule costs nothing more.
    assert_eq!(size_of::<Option<Exponential>>(), size_of::<Exponential>());
    assert_eq!(size_of::<Option<Jittered<Exponential>>>(), size_of::<Jittered<Exponential>>());
}

// ---------------------------------------------------------------------------------------
// worst_case_total

#[test]
fn worst_case_total_is_exact_without_jitter() {
    assert_eq!(Exponential::new(ms(100)).max_retries(5).worst_case_total(), ms(3100));
    assert_eq!(
        Exponential::new(ms(100)).max_delay(secs(1)).max_retries(5).worst_case_total(),
        ms(2500)
    );
    assert_eq!(
        Exponential::new(ms(100)).forever().max_total_delay(secs(1)).worst_case_total(),
        ms(700)
    );
    assert_eq!(Fixed::new(ms(250)).max_retries(4).worst_case_total(), secs(1));
    assert_eq!(Fixed::new(ms(250)).forever().max_total_delay(secs(1)).worst_case_total(), secs(1));
    assert_eq!(Fixed::new(ms(300)).forever().max_total_delay(secs(1)).worst_case_total(), ms(900));
    assert_eq!(Fibonacci::new(ms(10)).max_retries(6).worst_case_total(), ms(200));
    // 10 + 10 + 20 + 30 + 18 * 50 = 970; one more 50 would pass 1000.
    let fib = Fibonacci::new(ms(10)).max_delay(ms(50)).forever().max_total_delay(secs(1));
    assert_eq!(fib.worst_case_total(), ms(970));
    assert_eq!(fib.sum::<Duration>(), ms(970));
    // Four billion retries: 100 + 200 + 400 + 800, then the cap for the rest.
    let many = Exponential::new(ms(100)).max_delay(secs(1)).max_retries(u32::MAX);
    assert_eq!(many.worst_case_total(), ms(1500) + secs(1) * (u32::MAX - 4));
    // No limit at all saturates; zero delays sum to zero however many there are.
    for base in Any::all(ms(1)) {
        assert_eq!(base.with(|s| s.forever()).worst_case_total(), Duration::MAX);
    }
    for base in Any::all(Duration::ZERO) {
        assert_eq!(
            base.clone().with(|s| s.forever()).worst_case_total(),
            Duration::ZERO,
            "{base:?}"
        );
        let many = base.with(|s| s.max_retries(u32::MAX));
        assert_eq!(many.worst_case_total(), Duration::ZERO, "{many:?}");
    }
}

#[test]
fn worst_case_total_equals_the_sum_of_every_unjittered_schedule() {
    for initial in [Duration::ZERO, ns(1), ms(1), ms(100), secs(3)] {
        for base in Any::all(initial) {
            for cap in [None, Some(initial), Some(initial * 5 + ns(3)), Some(secs(60))] {
                for retries in [0, 1, 5, 60] {
                    for total in [None, Some(Duration::ZERO), Some(ms(10)), Some(secs(100))] {
                        let mut s = base.clone().with(|s| s.max_retries(retries));
                        if let Some(cap) = cap {
                            s = s.with(|s| s.max_delay(cap));
                        }
                        if let Some(total) = total {
                            s = s.with(|s| s.max_total_delay(total));
                        }
                        let worst = s.worst_case_total();
                        let sum = s.clone().fold(Duration::ZERO, Duration::saturating_add);
                        assert_eq!(worst, sum, "{s:?}");
                        // And for what is left after a few steps.
                        let mut rest = s;
                        rest.next();
                        rest.next();
                        let worst = rest.worst_case_total();
                        assert_eq!(worst, rest.fold(Duration::ZERO, Duration::saturating_add));
                    }
                }
            }
        }
    }
}

#[test]
fn worst_case_total_bounds_every_jittered_run() {
    for base in Any::all(ms(100)) {
        for cap in [secs(1), secs(30)] {
            for total in [None, Some(secs(4))] {
                for jitter in RANDOM {
                    let mut s =
                        base.clone().with(|s| s.max_delay(cap).max_retries(12).jitter(jitter));
                    if let Some(total) = total {
                        s = s.with(|s| s.max_total_delay(total));
                    }
                    let worst = s.worst_case_total();
                    if let Some(total) = total {
                        assert!(worst <= total);
                    }
                    let unjittered = s.clone().with(|s| s.jitter(Jitter::None)).worst_case_total();
                    if jitter != Jitter::Decorrelated {
                        // Full and Equal never exceed the unjittered step.
                        assert!(worst >= unjittered.min(total.unwrap_or(Duration::MAX)));
                    }
                    for seed in 0..300 {
                        let sum: Duration = s.clone().with(|s| s.seed(seed)).sum();
                        assert!(sum <= worst, "{jitter:?}: {sum:?} > {worst:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn worst_case_total_of_decorrelated_jitter_triples_up_to_the_cap() {
    let s = Fixed::new(ms(100)).max_delay(secs(1)).max_retries(4).jitter(Jitter::Decorrelated);
    // 300 + 900 + 1000 + 1000
    assert_eq!(s.worst_case_total(), ms(3200));
    let mut s = s.seed(5);
    let first = s.next().unwrap();
    // The rest can start from three times the first draw.
    let expected =
        [first * 3, first * 9, first * 27].map(|d| d.min(secs(1))).iter().sum::<Duration>();
    assert_eq!(s.worst_case_total(), expected);
    assert_eq!(
        Fixed::new(ms(1)).forever().jitter(Jitter::Decorrelated).worst_case_total(),
        Duration::MAX
    );
}

// ---------------------------------------------------------------------------------------
// Extreme inputs

#[test]
fn attempt_counts_up_to_u32_max_and_beyond_via_nth() {
    let last = u32::MAX as usize - 1;
    let s = Exponential::new(ms(100)).max_delay(secs(30)).max_retries(u32::MAX);
    assert_eq!(s.clone().nth(last), Some(secs(30)));
    assert_eq!(s.clone().nth(last + 1), None);
    let s = Fixed::new(ms(7)).max_retries(u32::MAX).max_total_delay(Duration::MAX);
    assert_eq!(s.clone().nth(last), Some(ms(7)));
    assert_eq!(s.clone().nth(last + 1), None);

    for base in [
        Any::exp(Exponential::new(ms(100))),
        Any::exp(Exponential::new(ns(1)).factor(1.5)),
        Any::exp(Exponential::new(secs(1)).factor(1e300)),
        Any::exp(Exponential::new(Duration::MAX).factor(1.0)),
        Any::exp(Exponential::new(Duration::ZERO)),
        Any::fib(Fibonacci::new(ns(1))),
        Any::fib(Fibonacci::new(Duration::ZERO)),
        Any::fix(Fixed::new(ms(7))),
    ] {
        let first = base.clone().next().unwrap();
        // Far out, the schedule sits at its cap, or saturates without one.
        let growing = !matches!(base, Any::Fix(_)) && !first.is_zero();
        let far = if growing { Duration::MAX } else { first };
        for n in [u32::MAX as usize, u32::MAX as usize + 1, usize::MAX] {
            assert_eq!(base.clone().with(|s| s.forever()).nth(n), Some(far), "{base:?} {n}");
            if first <= secs(30) {
                let capped = base.clone().with(|s| s.max_delay(secs(30)).forever()).nth(n);
                assert_eq!(capped, Some(if growing { secs(30) } else { first }), "{base:?} {n}");
            }
        }
        // nth agrees with stepping one at a time, also where a total limit ends the run.
        let cap = if first <= secs(30) { secs(30) } else { first };
        for total in [None, Some(secs(95))] {
            let mut s = base.clone().with(|s| s.max_delay(cap).max_retries(300));
            if let Some(total) = total {
                s = s.with(|s| s.max_total_delay(total));
            }
            let stepped: Vec<_> = s.clone().collect();
            for n in [0, 1, 5, 50, 299, 300, 1000] {
                assert_eq!(s.clone().nth(n), stepped.get(n).copied(), "{s:?} nth({n})");
            }
            let mut walker = s.clone();
            let mut seen = Vec::new();
            while let Some(d) = walker.nth(6) {
                seen.push(d);
            }
            let every_seventh: Vec<_> = stepped.iter().copied().skip(6).step_by(7).collect();
            assert_eq!(seen, every_seventh, "{s:?}");
            assert_eq!(walker.next(), None);
        }
    }
}

#[test]
fn jittered_nth_draws_the_same_delays_as_stepping() {
    for base in Any::all(ms(10)) {
        for jitter in RANDOM {
            let s = base.clone().with(|s| s.jitter(jitter).seed(21).max_delay(secs(2)).forever());
            let stepped: Vec<_> = s.clone().take(1000).collect();
            assert_eq!(s.clone().nth(999), Some(stepped[999]), "{jitter:?}");
            let mut walker = s.clone();
            assert_eq!([walker.nth(3), walker.nth(3)], [Some(stepped[3]), Some(stepped[7])]);
            let limited = s.with(|s| s.max_total_delay(secs(20)));
            let stepped: Vec<_> = limited.clone().collect();
            assert_eq!(limited.clone().nth(stepped.len() - 1), stepped.last().copied());
            assert_eq!(limited.clone().nth(stepped.len()), None);
        }
    }
}

#[test]
fn duration_max_as_the_initial_delay_saturates() {
    for factor in [1.0, 1.5, 2.0, 1e300] {
        let delays: Vec<_> =
            Exponential::new(Duration::MAX).factor(factor).forever().take(5).collect();
        assert_eq!(delays, [Duration::MAX; 5]);
    }
    for base in Any::all(Duration::MAX) {
        let delays: Vec<_> = base.clone().with(|s| s.forever()).take(5).collect();
        assert_eq!(delays, [Duration::MAX; 5]);
        let capped: Vec<_> =
            base.clone().with(|s| s.max_delay(Duration::MAX).forever()).take(5).collect();
        assert_eq!(capped, [Duration::MAX; 5]);
        for jitter in RANDOM {
            for seed in 0..100 {
                let delays = jittered(&base, jitter, seed, 20);
                if jitter == Jitter::Decorrelated {
                    assert!(delays.iter().all(|&d| d == Duration::MAX), "{delays:?}");
                }
                if jitter == Jitter::Equal {
                    assert!(delays.iter().all(|&d| d >= Duration::MAX / 2), "{delays:?}");
                }
            }
        }
    }
}

#[test]
fn huge_factors_saturate() {
    let delays: Vec<_> = Exponential::new(secs(1)).factor(1e300).forever().take(5).collect();
    assert_eq!(delays, [secs(1), Duration::MAX, Duration::MAX, Duration::MAX, Duration::MAX]);
    let delays: Vec<_> = Exponential::new(ns(1)).factor(1e300).forever().take(5).collect();
    assert_eq!(delays, [ns(1), Duration::MAX, Duration::MAX, Duration::MAX, Duration::MAX]);
    let delays: Vec<_> =
        Exponential::new(ns(1)).factor(1e300).max_delay(secs(2)).forever().take(3).collect();
    assert_eq!(delays, [ns(1), secs(2), secs(2)]);
    let delays: Vec<_> = Exponential::new(Duration::ZERO).factor(1e300).forever().take(5).collect();
    assert_eq!(delays, [Duration::ZERO; 5]);
    assert_eq!(Exponential::new(ns(1)).factor(f64::MAX).forever().nth(3), Some(Duration::MAX));
}

#[test]
fn a_million_steps_of_every_schedule_never_panic_exceed_the_cap_or_shrink() {
    /// Walks `steps` delays: unjittered ones must never shrink, all stay within `cap`.
    fn walk(schedule: impl Iterator<Item = Duration>, steps: usize, jitter: Jitter, cap: Duration) {
        let mut previous = Duration::ZERO;
        let mut count = 0;
        for d in schedule.take(steps) {
            assert!(d >= previous || jitter != Jitter::None, "shrank at step {count}");
            assert!(d <= cap, "{jitter:?}: {d:?} at step {count}");
            previous = d;
            count += 1;
        }
        assert_eq!(count, steps);
    }
    const MILLION: usize = 1_000_000;
    for j in JITTERS {
        // From one nanosecond, each schedule grows through u64 nanoseconds to saturation.
        walk(Exponential::new(ns(1)).forever().jitter(j).seed(1), MILLION, j, Duration::MAX);
        let slow = Exponential::new(ns(1)).factor(1.5).forever();
        walk(slow.jitter(j).seed(1), MILLION, j, Duration::MAX);
        walk(Fibonacci::new(ns(1)).forever().jitter(j).seed(1), MILLION, j, Duration::MAX);
        walk(Fixed::new(Duration::MAX).forever().jitter(j).seed(1), MILLION, j, Duration::MAX);

        // Shorter walks for the other shapes: capped, saturated from the start, a factor
        // barely above one, a huge factor.
        let cap = secs(3600);
        for s in Any::all(ms(100)) {
            walk(s.with(|s| s.max_delay(cap).forever().jitter(j).seed(2)), 100_000, j, cap);
        }
        let mut more = Any::all(Duration::MAX).to_vec();
        more.push(Any::exp(Exponential::new(ns(1)).factor(1.000_001)));
        more.push(Any::exp(Exponential::new(ns(1)).factor(1e300)));
        for s in more {
            walk(s.with(|s| s.forever().jitter(j).seed(3)), 100_000, j, Duration::MAX);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Refused settings

#[test]
#[should_panic(expected = "invalid factor NaN")]
fn a_nan_factor_is_refused() {
    let _ = Exponential::new(ms(1)).factor(f64::NAN);
}

#[test]
#[should_panic(expected = "invalid factor inf")]
fn an_infinite_factor_is_refused() {
    let _ = Exponential::new(ms(1)).factor(f64::INFINITY);
}

#[test]
#[should_panic(expected = "invalid factor -inf")]
fn a_negative_infinite_factor_is_refused() {
    let _ = Exponential::new(ms(1)).factor(f64::NEG_INFINITY);
}

#[test]
#[should_panic(expected = "invalid factor 0.5")]
fn a_factor_below_one_is_refused() {
    let _ = Exponential::new(ms(1)).factor(0.5);
}

#[test]
#[should_panic(expected = "invalid factor 0.9999")]
fn a_factor_just_below_one_is_refused() {
    let _ = Exponential::new(ms(1)).factor(0.9999);
}

#[test]
#[should_panic(expected = "invalid factor 0")]
fn a_zero_factor_is_refused() {
    let _ = Exponential::new(ms(1)).factor(0.0);
}

#[test]
#[should_panic(expected = "invalid factor -2")]
fn a_negative_factor_is_refused() {
    let _ = Exponential::new(ms(1)).factor(-2.0);
}

#[test]
#[should_panic(expected = "invalid max_delay 50ms: it is below the initial delay 100ms")]
fn an_exponential_cap_below_the_initial_delay_is_refused() {
    let _ = Exponential::new(ms(100)).max_delay(ms(50));
}

#[test]
#[should_panic(expected = "invalid max_delay 50ms: it is below the initial delay 100ms")]
fn a_fibonacci_cap_below_the_initial_delay_is_refused() {
    let _ = Fibonacci::new(ms(100)).max_delay(ms(50));
}

#[test]
#[should_panic(expected = "invalid max_delay 999.999999ms: it is below the initial delay 1s")]
fn a_fixed_cap_below_the_delay_is_refused() {
    let _ = Fixed::new(secs(1)).max_delay(secs(1) - ns(1));
}

#[test]
#[should_panic(expected = "invalid max_delay 0ns: it is below the initial delay 1ns")]
fn a_zero_cap_is_refused_above_zero() {
    let _ = Exponential::new(ns(1)).max_delay(Duration::ZERO);
}

#[test]
fn edge_settings_are_accepted() {
    let _ = Exponential::new(ms(1)).factor(1.0).factor(1e300).factor(f64::MAX);
    let _ = Exponential::new(ms(1)).max_delay(ms(1));
    let _ = Exponential::new(Duration::MAX).max_delay(Duration::MAX);
    let _ = Fixed::new(Duration::ZERO).max_delay(Duration::ZERO);
}

/// Fractions of a unit read exactly whenever they are whole nanoseconds, in any unit.
#[test]
fn fractions_that_are_whole_nanoseconds_parse_exactly() {
    let e: Exponential = "exponential(initial=0.000000000005h)".parse().unwrap();
    assert_eq!(e.clone().next(), Some(ns(18)));
    assert_eq!(e.to_string(), "exponential(initial=18ns, factor=2, max_retries=3)");
    let f: Fixed = "fixed(delay=0.00000000005m, max_delay=0.0000000001h)".parse().unwrap();
    assert_eq!(f.collect::<Vec<_>>(), [ns(3); 3]);
    let f: Fibonacci = "fibonacci(initial=1.000000001s)".parse().unwrap();
    assert_eq!(f.clone().next(), Some(Duration::new(1, 1)));
    type E = Exponential;
    parse_fails::<E>(
        "exponential(initial=0.0000000000001h)",
        20,
        "0.0000000000001h",
        "finer than a nanosecond",
    );
    parse_fails::<E>("exponential(initial=0.0005us)", 20, "0.0005us", "finer than a nanosecond");
}

// ---------------------------------------------------------------------------------------
// Parse errors

/// Parses `input` as `T`, expecting an error at `position` on `token` mentioning `problem`.
fn parse_fails<T: std::str::FromStr<Err = ParseError> + std::fmt::Debug>(
    input: &str,
    position: usize,
    token: &str,
    problem: &str,
) {
    let err = input.parse::<T>().expect_err(input);
    assert_eq!((err.position(), err.token()), (position, token), "{input}: {err}");
    assert_eq!(&input[position..position + token.len()], token);
    let text = err.to_string();
    assert!(text.contains(problem), "{input}: {text:?} lacks {problem:?}");
    assert!(text.contains(&format!("{token:?}")), "{input}: {text:?} lacks the token");
    assert!(text.contains(&position.to_string()), "{input}: {text:?} lacks the position");
}

#[test]
fn parse_errors_point_at_the_bad_token() {
    type E = Exponential;
    parse_fails::<E>("exponential(initial=100ms, factor=0.5)", 34, "0.5", "invalid factor 0.5");
    parse_fails::<E>("exponential(initial=100ms, factor=NaN)", 34, "NaN", "invalid factor NaN");
    parse_fails::<E>("exponential(initial=100ms, factor=inf)", 34, "inf", "invalid factor inf");
    parse_fails::<E>("exponential(initial=100ms, factor=fast)", 34, "fast", "factor");
    parse_fails::<E>(
        "exponential(initial=1s, max_delay=10ms)",
        34,
        "10ms",
        "invalid max_delay 10ms",
    );
    parse_fails::<E>(
        "exponential(max_delay=10ms, initial=1s)",
        22,
        "10ms",
        "below the initial delay 1s",
    );
    parse_fails::<E>("exponential(factor=2)", 0, "exponential", "missing setting `initial`");
    parse_fails::<E>("fixed(delay=1s)", 0, "fixed", "expected `exponential`");
    parse_fails::<E>("exponential", 0, "exponential", "expected a schedule");
    parse_fails::<E>("", 0, "", "expected a schedule");
    parse_fails::<E>("exponential(initial=1s", 22, "", "expected `)`");
    parse_fails::<E>("exponential(initial=1s, factor)", 24, "factor", "expected key=value");
    parse_fails::<E>("exponential(initial=1s, initial=2s)", 24, "initial", "setting given twice");
    parse_fails::<E>("exponential(initial=1s, colour=red)", 24, "colour", "unknown setting");
    parse_fails::<E>("exponential(initial=1s, jitter=wild)", 31, "wild", "invalid jitter");
    parse_fails::<E>("exponential(initial=1s, max_retries=-1)", 36, "-1", "invalid max_retries");
    parse_fails::<E>(
        "exponential(initial=1s, max_retries=4294967296)",
        36,
        "4294967296",
        "max_retries",
    );
    parse_fails::<E>("exponential(initial=1s, seed=x)", 29, "x", "invalid seed");
    parse_fails::<E>("exponential(initial=10)", 20, "10", "invalid duration");
    parse_fails::<E>("exponential(initial=1.5ns)", 20, "1.5ns", "finer than a nanosecond");
    parse_fails::<E>("exponential(initial=-1s)", 20, "-1s", "invalid duration");
    parse_fails::<E>("exponential(initial=1 s)", 20, "1 s", "invalid duration");
    parse_fails::<E>("exponential(initial=5parsecs)", 20, "5parsecs", "invalid duration");
    parse_fails::<E>(
        "exponential(initial=99999999999999999999999h)",
        20,
        "99999999999999999999999h",
        "too large",
    );
    parse_fails::<E>(
        "exponential(initial=1s, max_total_delay=forever)",
        40,
        "forever",
        "invalid duration",
    );
    // Positions count bytes, also after multi-byte characters, and skip surrounding spaces.
    parse_fails::<E>("exponential(initial=1µs, factor=½)", 33, "½", "factor");
    parse_fails::<E>("  exponential( initial = 1s ,  factor =  0 )", 41, "0", "invalid factor 0");

    parse_fails::<Fixed>("fixed(delay=1s, factor=2)", 16, "factor", "unknown setting");
    parse_fails::<Fixed>("fixed(initial=1s)", 0, "fixed", "missing setting `delay`");
    parse_fails::<Fixed>(
        "fixed(delay=1s, max_delay=999ms)",
        26,
        "999ms",
        "invalid max_delay 999ms",
    );
    parse_fails::<Fibonacci>("fibonacci(initial=1s, factor=2)", 22, "factor", "unknown setting");
    parse_fails::<Fibonacci>("exponential(initial=1s)", 0, "exponential", "expected `fibonacci`");
}

#[test]
fn parse_error_is_a_standard_error() {
    let err = "fixed(delay=soon)".parse::<Fixed>().unwrap_err();
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err.clone());
    assert_eq!(boxed.to_string(), err.to_string());
    assert_eq!(
        err.to_string(),
        "at byte 12, \"soon\": invalid duration: expected a number and a unit (ns, us, ms, s, m, h), like 100ms or 1.5s"
    );
}

#[test]
fn parsing_accepts_any_order_spacing_and_units() {
    let a: Exponential =
        "exponential(initial=100ms, factor=1.5, max_delay=5s, max_retries=7)".parse().unwrap();
    let b: Exponential =
        " exponential ( max_retries = 7 ,max_delay=5000ms,factor=1.5,  initial=0.1s ) "
            .parse()
            .unwrap();
    assert_eq!(a, b);
    let expected = Exponential::new(ms(100)).factor(1.5).max_delay(secs(5)).max_retries(7);
    assert_eq!(a, expected);
    assert_eq!(a.collect::<Vec<_>>(), expected.collect::<Vec<_>>());

    for (text, delay) in [
        ("1ns", ns(1)),
        ("1us", Duration::from_micros(1)),
        ("1µs", Duration::from_micros(1)),
        ("2.5ms", Duration::from_micros(2500)),
        ("1.5s", ms(1500)),
        ("2m", secs(120)),
        ("0.25h", secs(900)),
        ("0s", Duration::ZERO),
    ] {
        let s: Fixed = format!("fixed(delay={text})").parse().unwrap();
        assert_eq!(s, Fixed::new(delay), "{text}");
    }
    let s: Fixed = "fixed(delay=1s, max_retries=forever)".parse().unwrap();
    assert_eq!(s, Fixed::new(secs(1)).forever());
    let s: Jittered<Fibonacci> =
        "fibonacci(initial=1s, jitter=decorrelated, seed=18446744073709551615)".parse().unwrap();
    assert_eq!(s, Fibonacci::new(secs(1)).jitter(Jitter::Decorrelated).seed(u64::MAX));
}

// ---------------------------------------------------------------------------------------
// Display and FromStr

#[test]
fn display_prints_the_settings_in_the_parsed_syntax() {
    assert_eq!(
        Exponential::new(ms(100)).to_string(),
        "exponential(initial=100ms, factor=2, max_retries=3)"
    );
    assert_eq!(
        Exponential::new(ms(1500))
            .factor(1.5)
            .max_delay(secs(120))
            .forever()
            .max_total_delay(secs(3600))
            .jitter(Jitter::Equal)
            .seed(9)
            .to_string(),
        "exponential(initial=1500ms, factor=1.5, max_delay=2m, max_retries=forever, \
         max_total_delay=1h, jitter=equal, seed=9)"
    );
    assert_eq!(
        Fixed::new(Duration::new(1, 1)).to_string(),
        "fixed(delay=1000000001ns, max_retries=3)"
    );
    assert_eq!(
        Fibonacci::new(Duration::ZERO).max_retries(0).jitter(Jitter::Full).to_string(),
        "fibonacci(initial=0s, max_retries=0, jitter=full)"
    );
    // Settings, not progress: a half-used schedule prints the same.
    let mut s = Exponential::new(ms(100)).max_retries(5);
    let before = s.to_string();
    s.next();
    assert_eq!(s.to_string(), before);
}

#[test]
fn display_and_from_str_round_trip() {
    let mut cases = Vec::new();
    for initial in [Duration::ZERO, ns(1), ms(100), Duration::new(7, 123_456_789), Duration::MAX] {
        for base in Any::all(initial) {
            cases.push(base.clone());
            for jitter in JITTERS {
                cases.push(base.clone().with(|s| {
                    s.max_delay(Duration::MAX).max_retries(u32::MAX).jitter(jitter).seed(u64::MAX)
                }));
                cases.push(base.clone().with(|s| {
                    s.max_delay(initial.saturating_add(ns(1)))
                        .forever()
                        .max_total_delay(Duration::new(3, 5))
                        .jitter(jitter)
                }));
            }
        }
    }
    for factor in [1.0, 1.000_000_000_1, 1.5, 2.0, std::f64::consts::E, 1e300, f64::MAX] {
        cases.push(Any::exp(Exponential::new(ms(3)).factor(factor).max_retries(20).seed(2)));
    }
    for schedule in cases {
        let text = schedule.text();
        let back = schedule.parse_like(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back, schedule, "{text}");
        assert_eq!(back.text(), text);
        let a: Vec<_> = schedule.clone().take(50).collect();
        let b: Vec<_> = back.take(50).collect();
        // Unseeded jitter draws afresh, so only seeded or unjittered runs can be compared.
        if text.contains("seed=") || !text.contains("jitter=") {
            assert_eq!(a, b, "{text}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Jittered: what `jitter` and `seed` return

/// A schedule without jitter and the same schedule turned `Jittered` with `Jitter::None`
/// (what `Schedule` holds) agree on everything: delays, hints, `nth`, the worst case and
/// the text.
#[test]
fn jittered_without_jitter_is_the_schedule_itself() {
    macro_rules! same {
        ($plain:expr) => {{
            let mut a = $plain;
            let mut b = a.clone().jitter(Jitter::None);
            assert_eq!(a.to_string(), b.to_string());
            assert_eq!(a.worst_case_total(), b.worst_case_total());
            assert_eq!(a.nth(2), b.nth(2));
            for _ in 0..40 {
                assert_eq!(a.size_hint(), b.size_hint());
                assert_eq!(a.next(), b.next());
            }
        }};
    }
    same!(Exponential::new(ms(3)).factor(1.5).max_delay(ms(50)).max_retries(12));
    same!(Fibonacci::new(ms(1)).max_delay(ms(20)).forever().max_total_delay(ms(300)));
    same!(Fixed::new(ms(7)).max_retries(9).max_total_delay(ms(40)));
    same!(Exponential::new(Duration::MAX).forever());
}

/// Jitter set halfway through a schedule jitters the delays left, and the count goes on:
/// three of five delays drawn, two jittered ones follow.
#[test]
fn jitter_set_halfway_keeps_the_count() {
    let mut plain = Fixed::new(secs(1)).max_retries(5);
    assert_eq!(plain.nth(2), Some(secs(1)));
    let rest: Vec<_> = plain.jitter(Jitter::Full).seed(9).collect();
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|d| *d <= secs(1)), "{rest:?}");
    // A seeded stream is placed by the count: the same two draws as the last two of a
    // schedule jittered from the start.
    let whole: Vec<_> = Fixed::new(secs(1)).max_retries(5).jitter(Jitter::Full).seed(9).collect();
    assert_eq!(rest, whole[3..]);
}

/// `Jittered` has every setter of the schedule under it, with the same effect.
#[test]
fn jittered_has_the_schedules_setters() {
    let set_after = Exponential::new(ms(10))
        .jitter(Jitter::Equal)
        .seed(4)
        .factor(3.0)
        .max_delay(ms(200))
        .max_retries(6)
        .max_total_delay(secs(1));
    let set_before = Exponential::new(ms(10))
        .factor(3.0)
        .max_delay(ms(200))
        .max_retries(6)
        .max_total_delay(secs(1))
        .jitter(Jitter::Equal)
        .seed(4);
    assert_eq!(set_after, set_before);
    assert_eq!(set_after.to_string(), set_before.to_string());
    assert_eq!(set_after.collect::<Vec<_>>(), set_before.collect::<Vec<_>>());
    let endless = Fibonacci::new(ms(1)).jitter(Jitter::Full).forever();
    assert_eq!(endless.size_hint(), (usize::MAX, None));
    // `Jitter::None` turns jitter off again: the steps themselves.
    let off: Vec<_> = Fixed::new(ms(5)).jitter(Jitter::Full).jitter(Jitter::None).collect();
    assert_eq!(off, [ms(5); 3]);
}

/// The text form of a schedule without jitter has no jitter or seed: reading one into it
/// is refused, naming the token and the type that reads it; `jitter=none` is accepted.
#[test]
fn a_schedule_without_jitter_refuses_jitter_in_its_text() {
    let text = "exponential(initial=1s, jitter=full)";
    let err = text.parse::<Exponential>().unwrap_err();
    assert_eq!((err.position(), err.token()), (31, "full"));
    assert!(err.to_string().contains("`Jittered<Exponential>`"), "{err}");
    let jittered: Jittered<Exponential> = text.parse().unwrap();
    assert_eq!(jittered, Exponential::new(secs(1)).jitter(Jitter::Full));
    let err = "fixed(delay=1s, seed=3)".parse::<Fixed>().unwrap_err();
    assert_eq!((err.position(), err.token()), (16, "seed"));
    assert!(err.to_string().contains("`Jittered<Fixed>`"), "{err}");
    let none: Fibonacci = "fibonacci(initial=1s, jitter=none)".parse().unwrap();
    assert_eq!(none, Fibonacci::new(secs(1)));
    assert_eq!(none.to_string(), "fibonacci(initial=1s, max_retries=3)");
}

// ---------------------------------------------------------------------------------------
// Debug

/// `Debug` prints the settings `Display` prints, in struct form, and no internals: not the
/// packed fields, the progress or the random state.
#[test]
fn debug_prints_the_settings() {
    let e = Exponential::new(ms(100)).factor(1.5).max_delay(secs(5)).jitter(Jitter::Full).seed(7);
    assert_eq!(
        format!("{e:?}"),
        "Exponential { initial: 100ms, factor: 1.5, max_delay: Some(5s), max_retries: 3, \
         max_total_delay: None, jitter: Full, seed: Some(7) }"
    );
    let f = Fixed::new(secs(1)).forever().max_total_delay(secs(10));
    assert_eq!(
        format!("{f:?}"),
        "Fixed { delay: 1s, max_delay: None, max_retries: forever, \
         max_total_delay: Some(10s), jitter: None, seed: None }"
    );
    let mut b = Fibonacci::new(ms(10)).max_retries(6);
    let before = format!("{b:?}");
    assert_eq!(
        before,
        "Fibonacci { initial: 10ms, max_delay: None, max_retries: 6, \
         max_total_delay: None, jitter: None, seed: None }"
    );
    // Progress is not a setting: a schedule halfway through prints the same.
    b.nth(3);
    assert_eq!(format!("{b:?}"), before);
    // An unseeded jittered schedule prints no drawn seed, so its clones print the same.
    let j = Fixed::new(ms(1)).jitter(Jitter::Equal);
    assert_eq!(format!("{j:?}"), format!("{:?}", j.clone()));
    assert!(!format!("{j:#?}").contains("Span") && !format!("{j:?}").contains("flags"));
}

// ---------------------------------------------------------------------------------------
// Proportional jitter

/// Whether `d` is in `[s (1 - p), min(cap, s (1 + p))]`, for `p` in millionths, exactly.
fn in_proportional_band(d: Duration, s: Duration, millionths: u32, cap: Duration) -> bool {
    let (d, s, m) = (d.as_nanos(), s.as_nanos(), u128::from(millionths));
    d * 1_000_000 >= s * (1_000_000 - m)
        && d * 1_000_000 <= s * (1_000_000 + m)
        && d <= cap.as_nanos()
}

#[test]
fn proportional_jitter_stays_in_its_band() {
    let cap = secs(3);
    for millionths in [1, 1_000, 100_000, 333_333, 500_000, 999_999, 1_000_000] {
        let jitter = Jitter::Proportional(Proportion::from_millionths(millionths).get());
        for base in Any::all(ms(7)) {
            let base = base.with(|s| s.max_delay(cap).forever());
            let steps: Vec<_> = base.clone().take(40).collect();
            for seed in 0..50 {
                let delays = base.clone().with(|s| s.jitter(jitter).seed(seed)).take(40);
                for (k, (d, &s)) in delays.zip(&steps).enumerate() {
                    assert!(
                        in_proportional_band(d, s, millionths, cap),
                        "{jitter} step {k}: {d:?} outside the band of {s:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn proportional_jitter_is_uniform_around_the_step() {
    let step = secs(1);
    let xs: Vec<f64> = Fixed::new(step)
        .forever()
        .jitter(Jitter::proportional(0.2))
        .seed(0x9A0)
        .take(10_000)
        // [0.8, 1.2] onto [0, 1].
        .map(|d| (d.as_secs_f64() / step.as_secs_f64() - 0.8) / 0.4)
        .collect();
    assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
    let m = mean(&xs);
    assert!((m - 0.5).abs() < 0.015, "mean {m}");
    let d = ks_uniform(xs.clone());
    assert!(d < 0.03, "KS distance {d}");
    for count in buckets(&xs) {
        assert!((850..=1150).contains(&count), "{:?}", buckets(&xs));
    }
}

#[test]
fn proportional_jitter_caps_the_range_not_the_draw() {
    // At the cap the range is [0.5 cap, cap]: uniform there, no pile-up on the cap itself.
    let cap = secs(1);
    let delays: Vec<_> = Exponential::new(secs(1))
        .max_delay(cap)
        .forever()
        .jitter(Jitter::proportional(0.5))
        .seed(0xCA9)
        .take(10_000)
        .collect();
    assert!(delays.iter().all(|&d| d <= cap && d >= cap / 2));
    let at_cap = delays.iter().filter(|&&d| d == cap).count();
    assert!(at_cap <= 2, "{at_cap} delays sit on the cap");
    let xs: Vec<f64> = delays.iter().map(|d| (d.as_secs_f64() - 0.5) * 2.0).collect();
    let d = ks_uniform(xs);
    assert!(d < 0.03, "KS distance {d}");
    // Below the cap the range reaches above the step, up to the cap.
    let near = Fixed::new(ms(900)).max_delay(cap).forever().jitter(Jitter::proportional(0.5));
    let near: Vec<_> = near.seed(3).take(10_000).collect();
    assert!(near.iter().all(|&d| d >= ms(450) && d <= cap));
    assert!(near.iter().any(|&d| d > ms(990)), "the range does not reach the cap");
    // The mean is the step's when the cap is out of reach.
    let free = Fixed::new(secs(1)).forever().jitter(Jitter::proportional(1.0)).seed(5);
    let m = mean(&free.take(10_000).map(|d| d.as_secs_f64()).collect::<Vec<_>>());
    assert!((m - 1.0).abs() < 0.03, "mean {m}");
}

#[test]
fn proportional_jitter_extremes_saturate() {
    for initial in [Duration::ZERO, ns(1), ns(3), Duration::from_nanos(u64::MAX), Duration::MAX] {
        for jitter in [Jitter::proportional(1.0), Jitter::proportional(0.000001)] {
            let s = Exponential::new(initial).forever().jitter(jitter).seed(9);
            for d in s.take(70) {
                assert!(d <= Duration::MAX);
            }
            let capped = Fixed::new(initial).max_delay(Duration::MAX).jitter(jitter).seed(1);
            assert_eq!(capped.count(), 3);
        }
    }
    // A zero step has an empty range: zero.
    let zero = Fixed::new(Duration::ZERO).jitter(Jitter::proportional(0.5)).seed(1);
    assert!(zero.into_iter().all(|d| d.is_zero()));
    // A whole step either way of Duration::MAX stays within it.
    let huge = Fixed::new(Duration::MAX / 2).forever().jitter(Jitter::proportional(1.0)).seed(2);
    assert!(huge.take(100).all(|d| d <= Duration::MAX));
}

#[test]
fn proportional_jitter_is_reproducible_and_clones_like_the_others() {
    let make = || Exponential::new(ms(10)).forever().jitter(Jitter::proportional(0.3));
    let a: Vec<_> = make().seed(11).take(30).collect();
    let b: Vec<_> = make().seed(11).take(30).collect();
    assert_eq!(a, b);
    let c: Vec<_> = make().seed(12).take(30).collect();
    assert_ne!(a, c);
    // Unseeded: each clone draws its own stream; seeded: a clone repeats it.
    let unseeded = make();
    let x: Vec<_> = unseeded.clone().take(30).collect();
    let y: Vec<_> = unseeded.clone().take(30).collect();
    assert_ne!(x, y);
    let mut seeded = make().seed(4);
    seeded.next();
    let copy = seeded.clone();
    assert_eq!(seeded.take(29).collect::<Vec<_>>(), copy.take(29).collect::<Vec<_>>());
}

#[test]
fn proportional_jitter_worst_case_covers_its_top() {
    let s = Fixed::new(secs(1)).max_retries(10).jitter(Jitter::proportional(0.5)).seed(1);
    assert_eq!(s.worst_case_total(), ms(15_000));
    let capped = Fixed::new(secs(1)).max_delay(ms(1200)).max_retries(10);
    let capped = capped.jitter(Jitter::proportional(0.5));
    assert_eq!(capped.worst_case_total(), ms(12_000));
    for seed in 0..100 {
        let e = Exponential::new(ms(5)).max_delay(secs(2)).max_retries(12);
        let e = e.jitter(Jitter::proportional(0.9)).seed(seed);
        assert!(e.clone().sum::<Duration>() <= e.worst_case_total());
    }
}

#[test]
fn proportional_jitter_text_round_trips() {
    for (p, text) in [(0.1, "0.1"), (1.0, "1"), (0.000001, "0.000001"), (0.25, "0.25")] {
        let jitter = Jitter::proportional(p);
        assert_eq!(jitter.to_string(), format!("proportional({text})"));
        let e = Exponential::new(ms(100)).max_retries(5).jitter(jitter).seed(3);
        let printed = e.to_string();
        assert_eq!(
            printed,
            format!(
                "exponential(initial=100ms, factor=2, max_retries=5, jitter=proportional({text}), seed=3)"
            )
        );
        let back: Jittered<Exponential> = printed.parse().unwrap();
        assert_eq!(back, e);
        assert_eq!(back.collect::<Vec<_>>(), e.collect::<Vec<_>>());
    }
    let spaced: Jittered<Fixed> = "fixed(delay=1s, jitter=proportional( 0.5 ))".parse().unwrap();
    assert_eq!(spaced.to_string(), "fixed(delay=1s, max_retries=3, jitter=proportional(0.5))");
    let rounded: Jittered<Fibonacci> =
        "fibonacci(initial=1s, jitter=proportional(0.1234567))".parse().unwrap();
    assert!(rounded.to_string().contains("proportional(0.123457)"), "{rounded}");
    assert_eq!(format!("{:?}", Jitter::proportional(0.1)), "Proportional(0.1)");
}

#[test]
fn proportional_jitter_parse_errors_name_the_value() {
    type E = Exponential;
    let head = "exponential(initial=1s, jitter=proportional(";
    let at = head.len();
    for bad in ["0", "-0.1", "1.5", "NaN", "inf", "0.0000001"] {
        parse_fails::<E>(
            &format!("{head}{bad}))"),
            at,
            bad,
            &format!("invalid jitter proportion {}", bad.parse::<f64>().unwrap()),
        );
    }
    parse_fails::<E>(&format!("{head}lots))"), at, "lots", "invalid jitter proportion");
    parse_fails::<E>(&format!("{head} 2 ))"), at + 1, "2", "invalid jitter proportion 2");
    parse_fails::<E>(
        "exponential(initial=1s, jitter=proportional)",
        31,
        "proportional",
        "proportional(p)",
    );
    parse_fails::<E>(
        "exponential(initial=1s, jitter=proportional(0.1)",
        31,
        "proportional(0.1",
        "proportional(p)",
    );
}

#[test]
#[should_panic(expected = "invalid jitter proportion NaN")]
fn a_nan_proportion_is_refused() {
    let _ = Jitter::proportional(f64::NAN);
}

#[test]
#[should_panic(expected = "invalid jitter proportion 0:")]
fn a_zero_proportion_is_refused() {
    let _ = Fixed::new(ms(1)).jitter(Jitter::proportional(0.0));
}

#[test]
#[should_panic(expected = "invalid jitter proportion 1.01")]
fn a_proportion_above_one_is_refused() {
    let _ = Proportion::new(1.01);
}

#[test]
#[should_panic(expected = "invalid jitter proportion -0.5")]
fn a_negative_proportion_is_refused() {
    let _ = Jitter::proportional(-0.5);
}

#[test]
#[should_panic(expected = "1.5")]
fn a_proportion_above_one_is_refused_by_the_setter_naming_it() {
    let _ = Fixed::new(ms(1)).jitter(Jitter::Proportional(1.5));
}

#[test]
#[should_panic(expected = "invalid proportion")]
fn too_many_millionths_are_refused() {
    let _ = Proportion::from_millionths(1_000_001);
}

#[test]
fn proportional_jitter_keeps_schedules_small() {
    // `Jitter::Proportional(p)` holds the `f64` the caller wrote; a schedule keeps only the
    // kind and the millionths, so the schedules do not grow.
    assert_eq!(std::mem::size_of::<Jitter>(), 16);
    assert!(std::mem::size_of::<Jittered<Exponential>>() <= 120);
    assert_eq!(Jitter::Proportional(0.1), Jitter::proportional(0.1));
    assert_eq!(Proportion::new(0.1).millionths(), 100_000);
    assert_eq!(Proportion::new(0.0000014).millionths(), 1);
    assert_eq!(Proportion::ONE.get(), 1.0);
}
