//! What every schedule shares: the retry count, the cap, the total-delay limit and jitter.
//!
//! A schedule only says how its unjittered step grows (a [`Growth`]); [`Engine`] turns that
//! into the iterator the user sees.

use core::fmt::Debug;
use core::time::Duration;

use super::jitter::{self, Jitter};
use super::math::{from_nanos_u128, nanos_u64, scale};

/// How many delays a schedule yields unless told otherwise: three retries, four attempts.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// An unjittered step as jitter wants it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Step {
    /// Below `u64::MAX` nanoseconds (584 years): every step in practice.
    Nanos(u64),
    /// Longer than that.
    Long(Duration),
}

impl Step {
    #[inline(always)]
    pub(crate) fn of(step: Duration) -> Step {
        match nanos_u64(step) {
            Some(n) if n != u64::MAX => Step::Nanos(n),
            _ => Step::Long(step),
        }
    }
}

/// `Engine::remaining` of a schedule without a count limit: above any `u32` count.
const FOREVER: u64 = u64::MAX;

/// The work `Engine::next` does around the growth law. Kept as one byte so that the common
/// schedules are told apart with one comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// No jitter, no total limit, no count limit: the growth law's step as it is.
    Bare,
    /// No jitter, no total limit, a count limit.
    Counted,
    /// Jitter or a total limit.
    Full,
}

/// Past this many growing steps, [`Engine::worst_case_total`] stops summing exactly and
/// bounds the rest by the cap, so that it stays fast for factors barely above one.
const EXACT_STEPS: u32 = 100_000;

/// The growth law of a schedule: its unjittered steps, before the shared limits apply.
pub(crate) trait Growth: Clone + Debug + PartialEq {
    /// The first step, which is also the lower bound of decorrelated jitter.
    fn initial(&self) -> Duration;
    /// The next unjittered step, at most `cap`; advances the law. `cap_nanos` is the cap in
    /// nanoseconds, or `u64::MAX` when it is that long or longer.
    fn next_step(&mut self, cap: Duration, cap_nanos: u64) -> Duration;
    /// `next_step` in the form jitter draws from: nanoseconds when below `u64::MAX`, which
    /// saves a conversion each way for the laws that keep their steps that way.
    #[inline(always)]
    fn next_nanos(&mut self, cap: Duration, cap_nanos: u64) -> Step {
        Step::of(self.next_step(cap, cap_nanos))
    }
    /// Whether every further step equals the one just returned (the law hit the cap or
    /// never grows), so sums over the rest can be multiplied instead of iterated.
    fn settled(&self) -> bool;
}

/// Settings and run state shared by the three schedules.
#[derive(Debug)]
pub(crate) struct Engine<G> {
    pub(crate) growth: G,
    pub(crate) cap: Duration,
    /// `None` means "forever", which the user has to ask for by name.
    pub(crate) max_retries: Option<u32>,
    pub(crate) max_total: Option<Duration>,
    pub(crate) jitter: Jitter,
    pub(crate) seed: Option<u64>,
    // The run state below is laid out for `next`, which runs once per delay: integers and a
    // one-byte mode, no `Option` to unwrap on the unjittered paths.
    /// Delays left to yield, or [`FOREVER`]; zero ends the schedule, counted or not.
    remaining: u64,
    total_left: Option<Duration>,
    /// `cap` in nanoseconds, or `u64::MAX` when it is that long or longer.
    cap_nanos: u64,
    /// What `next` has to do besides asking the growth law; follows from the settings.
    mode: Mode,
    /// The last decorrelated draw; zero before the first.
    previous: Duration,
    /// `previous` in nanoseconds, saturating: what each decorrelated draw depends on, kept
    /// so that the chain from one draw to the next has no conversion in it.
    previous_nanos: u64,
    /// The initial delay in nanoseconds, saturating: the low end of decorrelated draws.
    initial_nanos: u64,
    rng: fastrand::Rng,
}

impl<G: Growth> Engine<G> {
    #[inline]
    pub(crate) fn new(growth: G) -> Self {
        let initial_nanos = nanos_u64(growth.initial()).unwrap_or(u64::MAX);
        Engine {
            growth,
            cap: Duration::MAX,
            max_retries: Some(DEFAULT_MAX_RETRIES),
            max_total: None,
            jitter: Jitter::None,
            seed: None,
            remaining: DEFAULT_MAX_RETRIES as u64,
            total_left: None,
            cap_nanos: u64::MAX,
            mode: Mode::Counted,
            previous: Duration::ZERO,
            previous_nanos: 0,
            initial_nanos,
            // Replaced by `jitter` or `seed`; a constant keeps unjittered schedules free of
            // the cost of gathering entropy.
            rng: fastrand::Rng::with_seed(0),
        }
    }

    #[inline]
    pub(crate) fn set_cap(&mut self, cap: Duration) -> Result<(), super::Invalid> {
        let initial = self.growth.initial();
        if cap < initial {
            return Err(super::Invalid::CapBelowInitial { cap, initial });
        }
        self.cap = cap;
        self.cap_nanos = nanos_u64(cap).unwrap_or(u64::MAX);
        Ok(())
    }

    #[inline]
    pub(crate) fn set_max_retries(&mut self, n: Option<u32>) {
        self.max_retries = n;
        self.remaining = n.map_or(FOREVER, u64::from);
        self.set_mode();
    }

    #[inline]
    fn set_mode(&mut self) {
        self.mode = match (self.jitter, self.total_left, self.remaining) {
            (Jitter::None, None, FOREVER) => Mode::Bare,
            (Jitter::None, None, _) => Mode::Counted,
            _ => Mode::Full,
        };
    }

    /// Delays left by count, `None` when only `max_total_delay` (if anything) can end it.
    fn remaining(&self) -> Option<u32> {
        u32::try_from(self.remaining).ok()
    }

    #[inline]
    pub(crate) fn set_max_total(&mut self, total: Option<Duration>) {
        self.max_total = total;
        self.total_left = total;
        self.set_mode();
    }

    #[inline]
    pub(crate) fn set_jitter(&mut self, jitter: Jitter) {
        self.jitter = jitter;
        self.set_mode();
        // Entropy only for a schedule that draws from it.
        if jitter != Jitter::None && self.seed.is_none() {
            self.rng = fresh_rng();
        }
    }

    #[inline]
    pub(crate) fn set_seed(&mut self, seed: u64) {
        self.seed = Some(seed);
        self.rng = fastrand::Rng::with_seed(seed);
    }

    // Small enough to inline into every caller's loop; the rest is behind one call.
    #[inline(always)]
    pub(crate) fn next(&mut self) -> Option<Duration> {
        if self.mode == Mode::Bare {
            return Some(self.growth.next_step(self.cap, self.cap_nanos));
        }
        if self.mode == Mode::Counted {
            if self.remaining == 0 {
                return None;
            }
            self.remaining -= 1;
            return Some(self.growth.next_step(self.cap, self.cap_nanos));
        }
        self.next_full()
    }

    /// `next` with jitter or a total limit. Kept out of line so that the paths above stay
    /// small enough to inline.
    #[inline(never)]
    fn next_full(&mut self) -> Option<Duration> {
        // A schedule without a count limit writes nothing here, so its calls do not wait on
        // each other through this field.
        if self.remaining != FOREVER {
            if self.remaining == 0 {
                return None;
            }
            self.remaining -= 1;
        }
        let delay = match self.jitter {
            Jitter::None => self.growth.next_step(self.cap, self.cap_nanos),
            Jitter::Full => {
                jitter::full(self.growth.next_nanos(self.cap, self.cap_nanos), &mut self.rng)
            }
            Jitter::Equal => {
                jitter::equal(self.growth.next_nanos(self.cap, self.cap_nanos), &mut self.rng)
            }
            Jitter::Decorrelated => self.next_decorrelated(),
        };
        if let Some(left) = self.total_left.as_mut() {
            match left.checked_sub(delay) {
                Some(rest) => *left = rest,
                None => {
                    // Stop for good: a later, shorter draw must not sneak in after a refusal.
                    self.remaining = 0;
                    return None;
                }
            }
        }
        Some(delay)
    }

    #[inline]
    fn next_decorrelated(&mut self) -> Duration {
        if self.cap_nanos != u64::MAX {
            // The cap, and so the initial delay and every draw, are below u64::MAX
            // nanoseconds: `initial_nanos` and `previous_nanos` are exact.
            let (low, cap) = (self.initial_nanos, self.cap_nanos);
            let drawn = jitter::decorrelated(low, cap, self.previous_nanos, &mut self.rng);
            self.previous_nanos = drawn;
            self.previous = Duration::from_nanos(drawn);
            return self.previous;
        }
        let low = self.growth.initial();
        let previous = self.previous.max(low);
        let drawn = jitter::decorrelated_long(low, self.cap, previous, &mut self.rng);
        self.previous = drawn;
        self.previous_nanos = nanos_u64(drawn).unwrap_or(u64::MAX);
        drawn
    }

    /// `Iterator::nth`, without walking a run of equal steps one by one: once an unjittered
    /// law has settled, every step is the same, so `nth(u32::MAX as usize)` returns at once.
    /// Jittered schedules still draw every delay they skip, so a seeded stream is the same
    /// however it is walked.
    pub(crate) fn nth(&mut self, mut n: usize) -> Option<Duration> {
        while n > 0 && self.remaining != 0 {
            if self.jitter == Jitter::None && self.growth.settled() {
                n -= self.skip_settled(n);
                if n == 0 {
                    break;
                }
            }
            self.next()?;
            n -= 1;
        }
        self.next()
    }

    /// Skips up to `n` steps of a settled, unjittered law, as many as the count and the
    /// total limit allow, and says how many it skipped.
    fn skip_settled(&mut self, n: usize) -> usize {
        let step = self.growth.clone().next_step(self.cap, self.cap_nanos).as_nanos();
        let counted = self.remaining != FOREVER;
        let mut skip = n as u128;
        if counted {
            skip = skip.min(u128::from(self.remaining));
        }
        if let Some(left) = self.total_left {
            // A zero step fits any number of times: `checked_div` leaves `skip` alone.
            if let Some(fits) = left.as_nanos().checked_div(step) {
                skip = skip.min(fits);
            }
            self.total_left = Some(from_nanos_u128(left.as_nanos() - step * skip));
        }
        if counted {
            // At most `remaining`, so it fits.
            self.remaining -= skip as u64;
        }
        // At most `n`, so it fits.
        skip as usize
    }

    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        match (self.remaining(), self.total_left) {
            (Some(n), None) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                (n, Some(n))
            }
            (Some(n), Some(_)) => (0, usize::try_from(n).ok()),
            (None, None) => (usize::MAX, None),
            (None, Some(_)) => (0, None),
        }
    }

    /// The largest sum of delays the rest of this schedule could yield.
    pub(crate) fn worst_case_total(&self) -> Duration {
        let mut steps = WorstSteps::new(self);
        let mut remaining = self.remaining();
        let mut sum = Duration::ZERO;
        let mut left = self.total_left;
        // An unjittered schedule stops before the step that would overflow the limit; a
        // jittered one can get arbitrarily close to the limit, so it is bounded by it.
        let exact = self.jitter == Jitter::None;
        let mut counted = 0u32;
        while remaining != Some(0) {
            let step = steps.next(self.cap, self.cap_nanos);
            if step.is_zero() && steps.settled() {
                break;
            }
            if steps.settled() || counted == EXACT_STEPS {
                // The rest repeats `step` (or, past EXACT_STEPS, is bounded by the cap).
                let settled = steps.settled();
                let step = if settled { step } else { self.cap };
                let mut times = remaining.map_or(u128::MAX, u128::from);
                if let (true, true, Some(l)) = (exact, settled, left) {
                    times = times.min(l.as_nanos() / step.as_nanos().max(1));
                }
                let mut rest = super::math::from_nanos_u128(step.as_nanos().saturating_mul(times));
                if let (true, false, Some(l)) = (exact, settled, left) {
                    // Steps below the cap can fill the limit further than whole caps do.
                    rest = rest.min(l);
                }
                sum = sum.saturating_add(rest);
                break;
            }
            if let (true, Some(l)) = (exact, left.as_mut()) {
                match l.checked_sub(step) {
                    Some(rest) => *l = rest,
                    None => break,
                }
            }
            sum = sum.saturating_add(step);
            counted += 1;
            if let Some(n) = remaining.as_mut() {
                *n -= 1;
            }
        }
        match self.total_left {
            Some(limit) if !exact => sum.min(limit),
            _ => sum,
        }
    }
}

/// The largest step each draw could take: the unjittered step for Full and Equal jitter,
/// and three times the previous one for Decorrelated.
enum WorstSteps<G> {
    Growth(G),
    Tripling { previous: Duration, at_cap: bool },
}

impl<G: Growth> WorstSteps<G> {
    fn new(engine: &Engine<G>) -> Self {
        match engine.jitter {
            Jitter::Decorrelated => WorstSteps::Tripling {
                previous: engine.previous.max(engine.growth.initial()),
                at_cap: false,
            },
            _ => WorstSteps::Growth(engine.growth.clone()),
        }
    }

    fn next(&mut self, cap: Duration, cap_nanos: u64) -> Duration {
        match self {
            WorstSteps::Growth(g) => g.next_step(cap, cap_nanos),
            WorstSteps::Tripling { previous, at_cap } => {
                let step = scale(*previous, 3.0).min(cap);
                *at_cap = step == cap || step == *previous;
                *previous = step;
                step
            }
        }
    }

    fn settled(&self) -> bool {
        match self {
            WorstSteps::Growth(g) => g.settled(),
            WorstSteps::Tripling { at_cap, .. } => *at_cap,
        }
    }
}

/// Cloning an unseeded schedule gives the clone its own random stream, so that one schedule
/// cloned for many calls does not hand them all the same "random" delays. A seeded schedule
/// clones its stream exactly, so seeded runs stay reproducible.
impl<G: Clone> Clone for Engine<G> {
    fn clone(&self) -> Self {
        Engine {
            growth: self.growth.clone(),
            cap: self.cap,
            max_retries: self.max_retries,
            max_total: self.max_total,
            jitter: self.jitter,
            seed: self.seed,
            remaining: self.remaining,
            total_left: self.total_left,
            cap_nanos: self.cap_nanos,
            mode: self.mode,
            previous: self.previous,
            previous_nanos: self.previous_nanos,
            initial_nanos: self.initial_nanos,
            rng: match (self.seed, self.jitter) {
                (None, j) if j != Jitter::None => fresh_rng(),
                _ => self.rng.clone(),
            },
        }
    }
}

/// Two schedules are equal when their settings and progress are; the random state is not
/// compared, since two unseeded schedules never share it.
impl<G: PartialEq> PartialEq for Engine<G> {
    fn eq(&self, other: &Self) -> bool {
        self.growth == other.growth
            && self.cap == other.cap
            && self.max_retries == other.max_retries
            && self.max_total == other.max_total
            && self.jitter == other.jitter
            && self.seed == other.seed
            && self.remaining == other.remaining
            && self.total_left == other.total_left
            && self.previous == other.previous
    }
}

#[cfg(feature = "std")]
fn fresh_rng() -> fastrand::Rng {
    fastrand::Rng::new()
}

/// Without `std` there is no entropy to draw from: the docs ask for an explicit seed.
#[cfg(not(feature = "std"))]
fn fresh_rng() -> fastrand::Rng {
    fastrand::Rng::with_seed(0x5EED_0F_F0CC_ACC1A)
}

/// The setters and trait impls every schedule shares, with examples for the type at hand.
macro_rules! schedule_api {
    ($ty:ident, $new:literal) => {
        impl $ty {
            /// Never wait longer than `cap`: every step, jittered or not, is at most `cap`.
            ///
            /// Jitter draws from a range bounded by the cap instead of clamping its draws,
            /// so delays do not pile up on it.
            ///
            /// ```
            #[doc = concat!("use persevere::", stringify!($ty), ";")]
            /// use std::time::Duration;
            ///
            #[doc = concat!("let schedule = ", $new, ".max_delay(Duration::from_millis(150)).forever();")]
            /// assert!(schedule.take(100).all(|d| d <= Duration::from_millis(150)));
            /// ```
            ///
            /// # Panics
            ///
            /// If `cap` is below the initial delay, naming both.
            #[inline]
            #[track_caller]
            pub fn max_delay(mut self, cap: Duration) -> Self {
                if let Err(e) = self.engine.set_cap(cap) {
                    crate::backoff::refuse(e);
                }
                self
            }

            /// Yield at most `n` delays, so the operation runs at most `n + 1` times.
            #[doc = concat!("The default is [`DEFAULT_MAX_RETRIES`](crate::backoff::DEFAULT_MAX_RETRIES); use [`forever`](", stringify!($ty), "::forever) to lift the limit.")]
            ///
            /// ```
            #[doc = concat!("use persevere::", stringify!($ty), ";")]
            /// use std::time::Duration;
            ///
            #[doc = concat!("assert_eq!(", $new, ".max_retries(5).count(), 5);")]
            #[doc = concat!("assert_eq!(", $new, ".count(), 3);")]
            /// ```
            #[inline]
            pub fn max_retries(mut self, n: u32) -> Self {
                self.engine.set_max_retries(Some(n));
                self
            }

            /// Yield delays without a count limit.
            ///
            /// The schedule then ends only through
            #[doc = concat!("[`max_total_delay`](", stringify!($ty), "::max_total_delay),")]
            /// or never: combine it with a cap, an elapsed-time limit on the retry, or
            /// `Iterator::take`.
            ///
            /// ```
            #[doc = concat!("use persevere::", stringify!($ty), ";")]
            /// use std::time::Duration;
            ///
            #[doc = concat!("let mut schedule = ", $new, ".max_delay(Duration::from_secs(1)).forever();")]
            /// let far = schedule.nth(1_000_000).expect("a schedule without a limit never ends");
            /// assert!(far <= Duration::from_secs(1));
            /// ```
            #[inline]
            pub fn forever(mut self) -> Self {
                self.engine.set_max_retries(None);
                self
            }

            /// Stop before the sum of the delays yielded so far would exceed `total`.
            ///
            /// The delay that would cross the limit is not shortened: the schedule ends
            /// instead, so the sum of what it yields is always at most `total`.
            ///
            /// ```
            #[doc = concat!("use persevere::", stringify!($ty), ";")]
            /// use std::time::Duration;
            ///
            #[doc = concat!("let schedule = ", $new, ".forever().max_total_delay(Duration::from_secs(2));")]
            /// assert!(schedule.sum::<Duration>() <= Duration::from_secs(2));
            /// ```
            #[inline]
            pub fn max_total_delay(mut self, total: Duration) -> Self {
                self.engine.set_max_total(Some(total));
                self
            }

            /// Randomise the delays; see [`Jitter`](crate::Jitter) for the formulas.
            ///
            /// ```
            #[doc = concat!("use persevere::{", stringify!($ty), ", Jitter};")]
            /// use std::time::Duration;
            ///
            #[doc = concat!("let plain: Vec<_> = ", $new, ".collect();")]
            #[doc = concat!("let jittered = ", $new, ".jitter(Jitter::Full);")]
            /// for (j, p) in jittered.zip(plain) {
            ///     assert!(j <= p);
            /// }
            /// ```
            #[inline]
            pub fn jitter(mut self, jitter: crate::Jitter) -> Self {
                self.engine.set_jitter(jitter);
                self
            }

            /// Draw jitter from a generator seeded with `seed`, so runs are reproducible.
            ///
            /// Without `std` there is no entropy source, and jitter is only as varied as
            /// the seeds you give your clients.
            ///
            /// ```
            #[doc = concat!("use persevere::{", stringify!($ty), ", Jitter};")]
            /// use std::time::Duration;
            ///
            #[doc = concat!("let a: Vec<_> = ", $new, ".jitter(Jitter::Full).seed(42).collect();")]
            #[doc = concat!("let b: Vec<_> = ", $new, ".seed(42).jitter(Jitter::Full).collect();")]
            /// assert_eq!(a, b);
            /// ```
            #[inline]
            pub fn seed(mut self, seed: u64) -> Self {
                self.engine.set_seed(seed);
                self
            }

            /// The largest sum of delays the rest of this schedule could yield, for sizing
            /// timeouts: the unjittered sum, or with decorrelated jitter the sum of its
            /// largest draws, within `max_total_delay`. Saturates at `Duration::MAX` (an
            /// unbounded schedule with non-zero delays).
            ///
            /// ```
            #[doc = concat!("use persevere::{", stringify!($ty), ", Jitter};")]
            /// use std::time::Duration;
            ///
            #[doc = concat!("let schedule = ", $new, ".max_retries(4).jitter(Jitter::Full);")]
            /// let worst = schedule.worst_case_total();
            /// assert!(schedule.sum::<Duration>() <= worst);
            /// ```
            pub fn worst_case_total(&self) -> Duration {
                self.engine.worst_case_total()
            }
        }

        impl Iterator for $ty {
            type Item = Duration;

            // Always inlined, as `Engine::next` is: its unjittered paths are a few instructions.
            #[inline(always)]
            fn next(&mut self) -> Option<Duration> {
                self.engine.next()
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.engine.size_hint()
            }

            fn nth(&mut self, n: usize) -> Option<Duration> {
                self.engine.nth(n)
            }
        }

        impl core::iter::FusedIterator for $ty {}
    };
}
pub(crate) use schedule_api;

#[cfg(test)]
mod tests {
    use core::time::Duration;

    use crate::Exponential;

    /// Found by the `schedule_invariants` fuzz target: past `EXACT_STEPS` the rest of a
    /// total limit was filled with whole caps only, although steps below the cap fill it
    /// further, so the worst case came out below what the schedule then yielded.
    #[test]
    fn worst_case_total_past_exact_steps_covers_the_limit() {
        let limit = Duration::from_secs(1);
        let schedule = Exponential::new(Duration::from_nanos(1))
            .factor(1.0001)
            .max_delay(limit)
            .forever()
            .max_total_delay(limit);
        let worst = schedule.worst_case_total();
        let mut steps = 0u32;
        let sum: Duration = schedule.inspect(|_| steps += 1).sum();
        assert!(steps > super::EXACT_STEPS, "only {steps} steps");
        assert!(sum > Duration::from_millis(999), "sum {sum:?}");
        assert!(worst >= sum, "worst case {worst:?} below the sum {sum:?}");
        assert_eq!(worst, limit);
    }
}
