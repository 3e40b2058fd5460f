//! Properties of the backoff schedules over arbitrary settings: any initial delay up to
//! `Duration::MAX`, any factor in [1, 1e300], any cap at or above the initial delay, any
//! retry count or none, any total limit, every jitter, any seed.
//!
//! Each case walks at most `STEPS` delays, so the file runs in a few seconds in a debug build.

use std::time::Duration;

use persevere::{Exponential, Fibonacci, Fixed, Jitter, Proportion};
use proptest::prelude::*;

#[path = "support/any_schedule.rs"]
mod any_schedule;
use any_schedule::Any;

/// How many delays a case walks at most.
const STEPS: usize = 200;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Exponential,
    Fibonacci,
    Fixed,
}

/// Everything a schedule can be configured with.
#[derive(Clone, Debug)]
struct Settings {
    kind: Kind,
    initial: Duration,
    factor: f64,
    cap: Option<Duration>,
    /// `None` is `forever`.
    retries: Option<u32>,
    total: Option<Duration>,
    jitter: Jitter,
    seed: Option<u64>,
}

macro_rules! each {
    ($any:expr, $s:ident => $e:expr) => {
        match $any {
            Any::Exp($s) => Any::Exp($e),
            Any::Fib($s) => Any::Fib($e),
            Any::Fix($s) => Any::Fix($e),
        }
    };
}

impl Settings {
    /// The schedule, its setters applied in the usual order.
    fn build(&self) -> Any {
        self.build_in_order(&[0, 1, 2, 3, 4])
    }

    /// The schedule, with cap, count, total, jitter and seed (0 to 4) set in `order`.
    fn build_in_order(&self, order: &[usize]) -> Any {
        let mut s = match self.kind {
            Kind::Exponential => Any::exp(Exponential::new(self.initial).factor(self.factor)),
            Kind::Fibonacci => Any::fib(Fibonacci::new(self.initial)),
            Kind::Fixed => Any::fix(Fixed::new(self.initial)),
        };
        for &setting in order {
            s = match setting {
                0 => match self.cap {
                    Some(cap) => each!(s, x => x.max_delay(cap)),
                    None => s,
                },
                1 => match self.retries {
                    Some(n) => each!(s, x => x.max_retries(n)),
                    None => each!(s, x => x.forever()),
                },
                2 => match self.total {
                    Some(total) => each!(s, x => x.max_total_delay(total)),
                    None => s,
                },
                3 => each!(s, x => x.jitter(self.jitter)),
                _ => match self.seed {
                    Some(seed) => each!(s, x => x.seed(seed)),
                    None => s,
                },
            };
        }
        s
    }

    /// The same schedule without jitter or total limit: its unjittered steps `s_k`.
    fn steps(&self) -> Vec<Duration> {
        let plain = Settings { jitter: Jitter::None, total: None, retries: None, ..self.clone() };
        plain.build().take(STEPS).collect()
    }

    fn cap(&self) -> Duration {
        self.cap.unwrap_or(Duration::MAX)
    }

    /// Whether the same settings give the same delays: unjittered or seeded.
    fn reproducible(&self) -> bool {
        self.jitter == Jitter::None || self.seed.is_some()
    }
}

// ---------------------------------------------------------------------------------------
// Strategies: weighted towards the edges, where saturation and rounding live.

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        (1u64..1_000).prop_map(Duration::from_nanos),
        (1u64..100_000_000_000).prop_map(Duration::from_nanos),
        any::<u64>().prop_map(Duration::from_nanos),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

fn factor() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(1.0),
        Just(2.0),
        (2u32..=64).prop_map(f64::from),
        1.0f64..4.0,
        1.0f64..1.001,
        (0.0f64..300.0).prop_map(|e| 10f64.powf(e).clamp(1.0, 1e300)),
        1.0f64..=1e300,
    ]
}

fn jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated),
        Just(Jitter::proportional(1.0)),
        Just(Jitter::proportional(0.000001)),
        (1u32..=1_000_000).prop_map(|m| Jitter::Proportional(Proportion::from_millionths(m).get())),
    ]
}

fn settings() -> impl Strategy<Value = Settings> {
    let kind = prop_oneof![Just(Kind::Exponential), Just(Kind::Fibonacci), Just(Kind::Fixed)];
    let retries = prop_oneof![
        (0u32..=10).prop_map(Some),
        (0u32..=(STEPS as u32 + 10)).prop_map(Some),
        any::<u32>().prop_map(Some),
        Just(None),
    ];
    (
        kind,
        duration(),
        factor(),
        proptest::option::of(duration()),
        retries,
        proptest::option::of(duration()),
        jitter(),
        proptest::option::weighted(0.8, any::<u64>()),
    )
        .prop_map(|(kind, initial, factor, extra, retries, total, jitter, seed)| Settings {
            kind,
            initial,
            factor,
            // The cap is never below the initial delay (that panics, tested elsewhere).
            cap: extra.map(|e| initial.saturating_add(e)),
            retries,
            total,
            jitter,
            seed,
        })
}

/// Sum in u128 nanoseconds, which no number of `Duration`s here can overflow.
fn nanos_sum(delays: &[Duration]) -> u128 {
    delays.iter().map(Duration::as_nanos).sum()
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 512, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Every delay is within the cap, the count within `max_retries`, the sum within
    /// `max_total_delay` and `worst_case_total`; `size_hint` brackets what is left.
    #[test]
    fn limits_hold(settings in settings()) {
        let mut schedule = settings.build();
        let worst = schedule.worst_case_total();
        let mut delays = Vec::new();
        let mut ended = false;
        while delays.len() < STEPS {
            let (low, high) = schedule.size_hint();
            match schedule.next() {
                Some(d) => {
                    prop_assert!(d <= settings.cap(), "{:?} above the cap", d);
                    prop_assert!(high != Some(0), "yielded past an upper size_hint of 0");
                    delays.push(d);
                }
                None => {
                    prop_assert_eq!(low, 0);
                    ended = true;
                    break;
                }
            }
        }
        if let Some(n) = settings.retries {
            prop_assert!(delays.len() <= n as usize);
            if settings.total.is_none() {
                prop_assert_eq!(delays.len(), (n as usize).min(STEPS));
            }
        } else if settings.total.is_none() {
            prop_assert!(!ended, "a schedule without limits ended");
        }
        let sum = nanos_sum(&delays);
        if let Some(total) = settings.total {
            prop_assert!(sum <= total.as_nanos(), "{} ns > {:?}", sum, total);
        }
        let sum_saturated = sum.min(Duration::MAX.as_nanos());
        prop_assert!(worst.as_nanos() >= sum_saturated, "worst {:?} < sum {} ns", worst, sum);
        if ended {
            // Once ended, a schedule stays ended, and has nothing left to wait.
            for _ in 0..3 {
                prop_assert_eq!(schedule.next(), None);
            }
            prop_assert_eq!(schedule.size_hint(), (0, Some(0)));
            prop_assert_eq!(schedule.worst_case_total(), Duration::ZERO);
            if settings.jitter == Jitter::None {
                prop_assert_eq!(worst.as_nanos(), sum_saturated, "inexact worst case");
            }
        }
    }

    /// Without jitter: the first delay is the initial one, the sequence never decreases,
    /// and it follows the schedule's law.
    #[test]
    fn unjittered_steps_follow_the_law(settings in settings()) {
        let settings = Settings { jitter: Jitter::None, total: None, retries: None, ..settings };
        let delays: Vec<_> = settings.build().take(STEPS).collect();
        prop_assert_eq!(delays.len(), STEPS);
        prop_assert_eq!(delays[0], settings.initial);
        for pair in delays.windows(2) {
            prop_assert!(pair[0] <= pair[1], "decreased: {:?} then {:?}", pair[0], pair[1]);
        }
        let cap = settings.cap().as_nanos();
        let initial = settings.initial.as_nanos();
        let max = Duration::MAX.as_nanos();
        match settings.kind {
            Kind::Fixed => prop_assert!(delays.iter().all(|&d| d == settings.initial)),
            Kind::Fibonacci => {
                // initial * F(k), computed exactly and saturated.
                let (mut a, mut b) = (1u128, 1u128);
                for &d in &delays {
                    prop_assert_eq!(d.as_nanos(), initial.saturating_mul(a).min(max).min(cap));
                    (a, b) = (b, a.saturating_add(b));
                }
            }
            Kind::Exponential if settings.factor.fract() == 0.0 && settings.factor < 1e9 => {
                // A whole factor: initial * factor^k exactly, saturated.
                let factor = settings.factor as u128;
                let mut power = 1u128;
                for &d in &delays {
                    prop_assert_eq!(d.as_nanos(), initial.saturating_mul(power).min(max).min(cap));
                    power = power.saturating_mul(factor);
                }
            }
            Kind::Exponential => {
                // A fractional factor: initial * factor^k to within float rounding.
                for (k, &d) in delays.iter().enumerate() {
                    if initial == 0 {
                        prop_assert_eq!(d, Duration::ZERO);
                        continue;
                    }
                    let exact = initial as f64 * settings.factor.powi(k as i32);
                    let expected = exact.min(cap as f64).min(max as f64);
                    let got = d.as_nanos() as f64;
                    prop_assert!(
                        (got - expected).abs() <= expected * 1e-9 + 1.0,
                        "step {}: {} ns, expected about {} ns", k, got, expected
                    );
                }
            }
        }
    }

    /// Full and Equal jitter draw below the unjittered step (Equal from its upper half);
    /// Decorrelated draws from [initial, min(cap, 3 * previous)]; Proportional from
    /// [s (1 - p), min(cap, s (1 + p))], exactly below u64::MAX nanoseconds and within float
    /// rounding (a part in 2^40) above.
    #[test]
    fn jitter_stays_in_its_band(settings in settings()) {
        let steps = settings.steps();
        let delays: Vec<_> = settings.build().take(STEPS).collect();
        let mut previous = settings.initial;
        for (k, (&d, &s)) in delays.iter().zip(&steps).enumerate() {
            match settings.jitter {
                Jitter::None => prop_assert_eq!(d, s),
                Jitter::Full => prop_assert!(d <= s, "step {}: {:?} > {:?}", k, d, s),
                Jitter::Equal => {
                    prop_assert!(s / 2 <= d && d <= s, "step {}: {:?} vs {:?}", k, d, s);
                }
                Jitter::Decorrelated => {
                    let high = previous.saturating_mul(3).min(settings.cap());
                    prop_assert!(
                        settings.initial <= d && d <= high,
                        "step {}: {:?} outside [{:?}, {:?}]", k, d, settings.initial, high
                    );
                }
                Jitter::Proportional(p) => {
                    let m = Proportion::new(p).millionths();
                    let (dn, sn, m) = (d.as_nanos(), s.as_nanos(), u128::from(m));
                    let slack = if sn < u128::from(u64::MAX) { 0 } else { sn >> 40 };
                    prop_assert!(d <= settings.cap(), "step {}: {:?} above the cap", k, d);
                    prop_assert!(
                        dn * 1_000_000 + slack * 1_000_000 >= sn * (1_000_000 - m)
                            && dn * 1_000_000 <= sn * (1_000_000 + m) + slack * 1_000_000,
                        "step {}: {:?} outside the {} band of {:?}", k, d, p, s
                    );
                }
            }
            previous = d;
        }
    }

    /// `Display` prints what `FromStr` reads back as an equal schedule with the same delays.
    #[test]
    fn text_round_trips(settings in settings()) {
        let schedule = settings.build();
        let text = schedule.text();
        let back = schedule.parse_like(&text);
        prop_assert!(back.is_ok(), "{} did not parse: {:?}", text, back);
        let back = back.unwrap();
        prop_assert_eq!(&back, &schedule, "{}", text);
        prop_assert_eq!(back.text(), text.clone());
        if settings.reproducible() {
            let a: Vec<_> = schedule.take(50).collect();
            let b: Vec<_> = back.take(50).collect();
            prop_assert_eq!(a, b, "{}", text);
        }
    }

    /// The order of the setters does not matter (cap, count, total, jitter and seed are
    /// independent), and a seeded schedule repeats itself.
    #[test]
    fn setter_order_does_not_matter(settings in settings(), order in Just(vec![0usize, 1, 2, 3, 4]).prop_shuffle()) {
        let a = settings.build();
        let b = settings.build_in_order(&order);
        prop_assert_eq!(&a, &b);
        if settings.reproducible() {
            let a: Vec<_> = a.take(STEPS).collect();
            let b: Vec<_> = b.take(STEPS).collect();
            prop_assert_eq!(a, b);
        }
    }

    /// `nth` lands where stepping one delay at a time does, including past the end.
    #[test]
    fn nth_agrees_with_stepping(settings in settings(), n in 0usize..STEPS + 20, m in 0usize..30) {
        prop_assume!(settings.reproducible());
        let stepped: Vec<_> = settings.build().take(STEPS + 60).collect();
        let mut schedule = settings.build();
        prop_assert_eq!(schedule.nth(n), stepped.get(n).copied());
        prop_assert_eq!(schedule.nth(m), stepped.get(n + 1 + m).copied());
    }

    /// The parser returns an error for nonsense, never panics, and points inside the input.
    #[test]
    fn parsing_never_panics(input in "\\PC{0,60}") {
        for result in [
            input.parse::<Exponential>().map(|_| ()),
            input.parse::<Fibonacci>().map(|_| ()),
            input.parse::<Fixed>().map(|_| ()),
        ] {
            if let Err(e) = result {
                let end = e.position() + e.token().len();
                prop_assert!(input.get(e.position()..end) == Some(e.token()), "{:?}: {}", input, e);
            }
        }
    }

    /// Valid text with one piece replaced by arbitrary text parses or fails cleanly.
    #[test]
    fn damaged_text_fails_cleanly(settings in settings(), cut in any::<prop::sample::Index>(), len in 0usize..12, junk in "[a-z0-9=,()._ -]{0,8}") {
        let text = settings.build().text();
        let start = cut.index(text.len());
        let end = (start + len).min(text.len());
        let damaged = format!("{}{}{}", &text[..start], junk, &text[end..]);
        let result = settings.build().parse_like(&damaged);
        if let Err(e) = result {
            let end = e.position() + e.token().len();
            prop_assert!(damaged.get(e.position()..end) == Some(e.token()), "{:?}: {}", damaged, e);
            prop_assert!(!e.to_string().is_empty());
        }
    }
}
