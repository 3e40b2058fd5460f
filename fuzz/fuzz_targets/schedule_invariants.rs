//! Arbitrary settings, iterated for up to 2,000 steps, with the schedule contract asserted.
//!
//! For every schedule, setting and jitter: no panic; no delay above the cap; at most
//! `max_retries` delays (exactly that many without a total limit); their sum within
//! `max_total_delay`; `worst_case_total` at least the sum yielded (equal without jitter);
//! unjittered delays never decrease and follow their law exactly; jittered delays stay in
//! the band DESIGN.md gives; the iterator is fused and its `size_hint` true; `Display`
//! parses back to an equal schedule; and a far step (`nth`) of an endless schedule is a
//! value within the cap. The schedules run as `Jittered` ones, jitter or not; without
//! jitter or a seed, the schedule without jitter must match them in every respect.
#![no_main]

use std::fmt::{Debug, Display};
use std::str::FromStr;
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use persevere::backoff::DEFAULT_MAX_RETRIES;
use persevere::{Exponential, Fibonacci, Fixed, Jitter, Jittered, ParseError, Proportion};

/// The most steps one input iterates.
const MAX_STEPS: u16 = 2_000;

/// The furthest step `nth` is asked for in a jittered schedule, which draws every delay it
/// skips (about 10 ns each, ten times that instrumented): the whole `u32` range would cost
/// minutes per input. Unjittered schedules skip settled steps at once, so they get any
/// `u32`.
const FAR: u32 = 1 << 16;

/// A duration from a few magnitudes, so that small, ordinary and extreme values all occur.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Dur {
    Zero,
    Nanos(u16),
    Millis(u32),
    Secs(u32),
    /// Anything up to `Duration::MAX`.
    Any(u64, u32),
    Max,
}

impl Dur {
    fn get(self) -> Duration {
        match self {
            Dur::Zero => Duration::ZERO,
            Dur::Nanos(n) => Duration::from_nanos(n.into()),
            Dur::Millis(n) => Duration::from_millis(n.into()),
            Dur::Secs(n) => Duration::from_secs(n.into()),
            Dur::Any(secs, nanos) => Duration::new(secs, nanos % 1_000_000_000),
            Dur::Max => Duration::MAX,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Factor {
    Default,
    Whole(u8),
    /// `1 + n / 10_000`: factors barely above one, where growth is slowest.
    Near(u16),
    /// Any `f64`; the fuzzer only goes on with those in `[1, finite]`.
    Raw(f64),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    Exponential(Factor),
    Fixed,
    Fibonacci,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Retries {
    Default,
    Small(u8),
    Any(u32),
    Forever,
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum JitterIn {
    None,
    Full,
    Equal,
    Decorrelated,
    /// Millionths, taken modulo a million, plus one.
    Proportional(u32),
}

#[derive(Arbitrary, Debug)]
struct Settings {
    kind: Kind,
    initial: Dur,
    /// Added to `initial` (saturating) to give the cap, so the cap is never below it.
    cap_above_initial: Option<Dur>,
    retries: Retries,
    total: Option<Dur>,
    jitter: JitterIn,
    seed: Option<u64>,
    seed_before_jitter: bool,
    steps: u8,
    /// Instrumented steps cost about 100 ns each, so most inputs take at most 255 of them;
    /// `u8::MAX` here asks for `more_steps`, up to `MAX_STEPS`.
    longer: u8,
    more_steps: u16,
    /// The step after which `worst_case_total` of the rest is checked too.
    probe: u16,
    /// `u8::MAX` also asks an endless copy for step `far` (`far % FAR` when jittered); rare,
    /// since it can cost milliseconds.
    go_far: u8,
    far: u32,
}

/// What the three schedules share, so one generic check covers them all.
trait Schedule:
    Iterator<Item = Duration> + Clone + Debug + Display + PartialEq + FromStr<Err = ParseError>
{
    fn set_cap(self, cap: Duration) -> Self;
    fn set_retries(self, n: u32) -> Self;
    fn set_forever(self) -> Self;
    fn set_total(self, total: Duration) -> Self;
    fn set_jitter(self, jitter: Jitter) -> Self;
    fn set_seed(self, seed: u64) -> Self;
    fn worst(&self) -> Duration;
    /// Without jitter or a seed, the schedule without jitter read from `text` gives the
    /// same text, delays, hints and worst case as `self`, for `steps` delays.
    fn same_as_plain(&self, text: &str, steps: u32);
}

macro_rules! schedule {
    ($ty:ty) => {
        impl Schedule for Jittered<$ty> {
            fn set_cap(self, cap: Duration) -> Self {
                self.max_delay(cap)
            }
            fn set_retries(self, n: u32) -> Self {
                self.max_retries(n)
            }
            fn set_forever(self) -> Self {
                self.forever()
            }
            fn set_total(self, total: Duration) -> Self {
                self.max_total_delay(total)
            }
            fn set_jitter(self, jitter: Jitter) -> Self {
                self.jitter(jitter)
            }
            fn set_seed(self, seed: u64) -> Self {
                self.seed(seed)
            }
            fn worst(&self) -> Duration {
                self.worst_case_total()
            }
            fn same_as_plain(&self, text: &str, steps: u32) {
                let mut plain: $ty =
                    text.parse().unwrap_or_else(|e| panic!("{text:?} is not plain: {e}"));
                assert_eq!(plain.to_string(), text);
                assert_eq!(plain.worst_case_total(), self.worst_case_total(), "{text}");
                let mut jittered = self.clone();
                for _ in 0..steps {
                    assert_eq!(plain.size_hint(), jittered.size_hint(), "{text}");
                    let delay = plain.next();
                    assert_eq!(delay, jittered.next(), "{text}");
                    if delay.is_none() {
                        break;
                    }
                }
            }
        }
    };
}
schedule!(Exponential);
schedule!(Fixed);
schedule!(Fibonacci);

/// The unjittered law the reference sequence must follow exactly.
#[derive(Clone, Copy)]
enum Law {
    /// A whole factor: each step is the previous one times it, exactly.
    Times(u64),
    /// A fractional factor: only monotony is checked.
    Grows(f64),
    Constant,
    Fibonacci,
}

fuzz_target!(|s: Settings| {
    let initial = s.initial.get();
    match s.kind {
        Kind::Exponential(f) => {
            let factor = match f {
                Factor::Default => 2.0,
                Factor::Whole(w) => f64::from(w.max(1)),
                Factor::Near(n) => 1.0 + f64::from(n) / 10_000.0,
                Factor::Raw(x) if x >= 1.0 && x.is_finite() => x,
                Factor::Raw(_) => return,
            };
            let base = match f {
                Factor::Default => Jittered::from(Exponential::new(initial)),
                _ => Jittered::from(Exponential::new(initial).factor(factor)),
            };
            let law = if factor.fract() == 0.0 && factor < u64::MAX as f64 {
                Law::Times(factor as u64)
            } else {
                Law::Grows(factor)
            };
            check(base, law, &s);
        }
        Kind::Fixed => check(Jittered::from(Fixed::new(initial)), Law::Constant, &s),
        Kind::Fibonacci => check(Jittered::from(Fibonacci::new(initial)), Law::Fibonacci, &s),
    }
});

fn check<S: Schedule>(base: S, law: Law, s: &Settings) {
    let initial = s.initial.get();
    let cap = s.cap_above_initial.map(|extra| initial.saturating_add(extra.get()));
    let jitter = match s.jitter {
        JitterIn::None => Jitter::None,
        JitterIn::Full => Jitter::Full,
        JitterIn::Equal => Jitter::Equal,
        JitterIn::Decorrelated => Jitter::Decorrelated,
        JitterIn::Proportional(m) => {
            Jitter::Proportional(Proportion::from_millionths(1 + m % 1_000_000).get())
        }
    };
    let total = s.total.map(Dur::get);

    let mut shaped = base.clone();
    if let Some(cap) = cap {
        shaped = shaped.set_cap(cap);
    }
    let limit = match s.retries {
        Retries::Default => Some(DEFAULT_MAX_RETRIES),
        Retries::Small(n) => Some(u32::from(n)),
        Retries::Any(n) => Some(n),
        Retries::Forever => None,
    };
    shaped = match s.retries {
        Retries::Default => shaped,
        Retries::Forever => shaped.set_forever(),
        Retries::Small(_) | Retries::Any(_) => shaped.set_retries(limit.unwrap_or(0)),
    };
    if let Some(total) = total {
        shaped = shaped.set_total(total);
    }
    // Seeding before or after choosing the jitter must make no difference.
    let randomise = |mut schedule: S| {
        let seed = s.seed.filter(|_| s.seed_before_jitter);
        if let Some(seed) = seed {
            schedule = schedule.set_seed(seed);
        }
        if jitter != Jitter::None {
            schedule = schedule.set_jitter(jitter);
        }
        match s.seed {
            Some(seed) if !s.seed_before_jitter => schedule.set_seed(seed),
            _ => schedule,
        }
    };
    let mut schedule = randomise(shaped);
    let cap = cap.unwrap_or(Duration::MAX);

    // The text form carries every setting.
    let text = schedule.to_string();
    let parsed: S = text.parse().unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
    assert_eq!(parsed, schedule, "{text}");
    assert_eq!(parsed.to_string(), text);
    if jitter == Jitter::None && s.seed.is_none() {
        schedule.same_as_plain(&text, u32::from(s.steps));
    }

    // A clone replays the same delays when they are deterministic.
    let deterministic = jitter == Jitter::None || s.seed.is_some();
    let mut replay = schedule.clone();

    // The unjittered steps underneath, endless and without a total limit.
    let mut reference = {
        let mut r = base.clone().set_forever();
        if s.cap_above_initial.is_some() {
            r = r.set_cap(cap);
        }
        r
    };

    let worst = schedule.worst();
    let constant = matches!(law, Law::Constant | Law::Times(1)) || cap == initial;
    if let Some(expected) = constant_worst(initial, limit, total, jitter, constant) {
        assert_eq!(worst, expected, "worst_case_total of {initial:?} each time");
    }
    let steps = match s.longer {
        u8::MAX => u32::from(s.more_steps % (MAX_STEPS + 1)),
        _ => u32::from(s.steps),
    };
    let probe = u32::from(s.probe) % (steps + 1);
    let mut count: u32 = 0;
    let mut sum: u128 = 0;
    let mut last_delay: Option<Duration> = None;
    let mut previous: Option<Duration> = None;
    let mut before: Option<Duration> = None;
    let mut ended = false;
    for _ in 0..steps {
        let hint = schedule.size_hint();
        let Some(delay) = schedule.next() else {
            assert_eq!(hint.0, 0, "size_hint {hint:?} promised more");
            ended = true;
            break;
        };
        if let Some(n) = limit {
            let left = usize::try_from(n - count).unwrap_or(usize::MAX);
            assert_eq!(hint.1, Some(left), "size_hint upper bound");
            if total.is_none() {
                assert_eq!(hint.0, left, "size_hint lower bound");
            }
        }
        if deterministic && count < 32 {
            assert_eq!(replay.next(), Some(delay), "a clone went its own way");
        }
        let step = reference.next().expect("an endless schedule ended");
        assert!(step <= cap, "step {step:?} above cap {cap:?}");
        assert!(delay <= cap, "delay {delay:?} above cap {cap:?}");
        count += 1;
        sum += delay.as_nanos();
        if let Some(n) = limit {
            assert!(count <= n, "{count} delays, max_retries {n}");
        }
        if let Some(total) = total {
            assert!(sum <= total.as_nanos(), "sum {sum} ns above max_total_delay {total:?}");
        }
        check_law(law, step, previous, before, initial, cap);
        match jitter {
            Jitter::None => assert_eq!(delay, step),
            Jitter::Full => assert!(delay <= step, "full jitter {delay:?} above step {step:?}"),
            Jitter::Equal => {
                assert!(delay <= step && delay >= step / 2, "equal jitter {delay:?}, step {step:?}")
            }
            Jitter::Decorrelated => {
                assert!(delay >= initial, "decorrelated {delay:?} below initial {initial:?}");
                // The range ends at three times the previous draw, which the yielded delay
                // truncates by under a nanosecond; allow for float rounding on top.
                let last = last_delay.unwrap_or(initial).as_nanos() as f64;
                let high = 3.0 * (last + 1.0) * (1.0 + 1e-12);
                assert!(delay.as_nanos() as f64 <= high, "decorrelated {delay:?} after {last} ns");
            }
            Jitter::Proportional(p) => {
                // [s (1 - p), min(cap, s (1 + p))]: exact below u64::MAX nanoseconds, within
                // float rounding (a part in 2^40) above.
                let m = Proportion::new(p).millionths();
                let (d, st, m) = (delay.as_nanos(), step.as_nanos(), u128::from(m));
                let slack = if st < u128::from(u64::MAX) { 0 } else { (st >> 40) * 1_000_000 };
                assert!(
                    d * 1_000_000 + slack >= st * (1_000_000 - m),
                    "proportional({p}) {delay:?} below the band of {step:?}"
                );
                assert!(
                    d * 1_000_000 <= st * (1_000_000 + m) + slack,
                    "proportional({p}) {delay:?} above the band of {step:?}"
                );
            }
        }
        if count == probe {
            // What is left can add at most what the whole schedule could, minus what came.
            let rest = schedule.worst();
            assert!(
                saturate(sum + rest.as_nanos()) <= worst.as_nanos(),
                "yielded {sum} ns, then a worst case of {rest:?} for the rest, above {worst:?}"
            );
        }
        last_delay = Some(delay);
        before = previous;
        previous = Some(step);
    }
    assert!(saturate(sum) <= worst.as_nanos(), "yielded {sum} ns, worst_case_total {worst:?}");
    if ended {
        assert_eq!(schedule.next(), None, "not fused");
        assert_eq!(schedule.size_hint(), (0, Some(0)));
        assert_eq!(schedule.worst(), Duration::ZERO, "an exhausted schedule has no worst case");
        if total.is_none() {
            assert_eq!(Some(count), limit, "ended early without a total limit");
        }
        if jitter == Jitter::None {
            assert_eq!(saturate(sum), worst.as_nanos(), "worst_case_total is not the sum");
        }
    } else {
        assert_eq!(count, steps);
    }

    if s.go_far == u8::MAX {
        let mut endless = base.set_forever();
        if s.cap_above_initial.is_some() {
            endless = endless.set_cap(cap);
        }
        let mut endless = randomise(endless);
        let quick = jitter == Jitter::None && settles_soon(law, initial, cap);
        let index = if quick { s.far } else { s.far % FAR };
        let delay = endless.nth(index as usize).expect("an endless schedule ended");
        assert!(delay <= cap, "step {index}: {delay:?} above cap {cap:?}");
        if jitter == Jitter::Decorrelated {
            assert!(delay >= initial, "step {index}: {delay:?} below initial {initial:?}");
        }
        if jitter == Jitter::None && index >= count && count > 0 {
            assert!(Some(delay) >= previous, "step {index}: {delay:?} after {previous:?}");
        }
    }
}

/// The worst case of a schedule whose unjittered steps all equal `initial`, worked out
/// without iterating; `None` where there is no such closed form.
fn constant_worst(
    initial: Duration,
    limit: Option<u32>,
    total: Option<Duration>,
    jitter: Jitter,
    constant: bool,
) -> Option<Duration> {
    if initial.is_zero() {
        // Every step, and every decorrelated draw from `[0, 3 * 0]`, is zero.
        return Some(Duration::ZERO);
    }
    if !constant || matches!(jitter, Jitter::Decorrelated | Jitter::Proportional(_)) {
        // Proportional jitter's top is `min(cap, initial (1 + p))`, which needs the cap.
        return None;
    }
    let step = initial.as_nanos();
    let mut times = limit.map_or(u128::MAX, u128::from);
    if let (Jitter::None, Some(total)) = (jitter, total) {
        // Unjittered, it stops before the step that would cross the limit.
        times = times.min(total.as_nanos() / step);
    }
    let sum = Duration::from_nanos_u128(saturate(step.saturating_mul(times)));
    // Jittered, the draws can come arbitrarily close to the limit.
    Some(match total {
        Some(total) if jitter != Jitter::None => sum.min(total),
        _ => sum,
    })
}

/// Whether the unjittered law reaches the cap (or stops growing) within a million steps, so
/// that `nth` can skip the rest of any `u32` index at once.
fn settles_soon(law: Law, initial: Duration, cap: Duration) -> bool {
    let Law::Grows(factor) = law else {
        return true;
    };
    if initial.is_zero() {
        return true;
    }
    let growth = cap.as_nanos() as f64 / initial.as_nanos() as f64;
    growth.ln() / factor.ln() < 1e6
}

/// A sum of nanoseconds as `worst_case_total` reports it: saturated at `Duration::MAX`.
fn saturate(nanos: u128) -> u128 {
    nanos.min(Duration::MAX.as_nanos())
}

/// The unjittered step against the law and the two steps before it.
fn check_law(
    law: Law,
    step: Duration,
    previous: Option<Duration>,
    before: Option<Duration>,
    initial: Duration,
    cap: Duration,
) {
    let Some(previous) = previous else {
        assert_eq!(step, initial, "the first step is the initial delay");
        return;
    };
    assert!(step >= previous, "unjittered step {step:?} after {previous:?}");
    if previous == cap {
        assert_eq!(step, cap, "a step left the cap");
        return;
    }
    match law {
        Law::Constant => assert_eq!(step, initial),
        Law::Grows(_) => {}
        Law::Times(factor) => {
            // A whole factor is exact as long as factor^k is an exact f64.
            let exact = previous.as_nanos().saturating_mul(u128::from(factor));
            if exact <= 1 << 53 {
                assert_eq!(
                    step.as_nanos(),
                    exact.min(cap.as_nanos()),
                    "x{factor} after {previous:?}"
                );
            }
        }
        Law::Fibonacci => {
            let expected = match before {
                None => initial,
                Some(before) => previous.saturating_add(before).min(cap),
            };
            assert_eq!(step, expected, "fibonacci after {before:?}, {previous:?}");
        }
    }
}
