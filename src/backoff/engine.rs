//! What every schedule shares: the retry count, the cap and the total-delay limit.
//!
//! A schedule only says how its unjittered step grows (a [`Growth`]); [`Engine`] turns that
//! into the iterator the user sees. Jitter is a layer above, in
//! [`Jittered`](super::Jittered), so that a schedule without it carries none of its state.

use core::fmt::Debug;
use core::time::Duration;

use super::Jitter;
use super::jitter;
use super::math::{from_nanos_u128, nanos_u64, scale};
use super::packed::Span;

/// How many delays a schedule yields unless told otherwise: three retries, four attempts.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// An unjittered step as jitter wants it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
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

// The flags of `Engine::max_total`.
/// `max_total_delay` was set: `max_total` and `total_left` hold it.
const TOTAL: u8 = 1;
/// No count limit: `forever`.
const FOREVER: u8 = 2;
// The flag of `Engine::total_left`.
/// The total limit refused a delay: the schedule has ended, whatever its count says.
const ENDED: u8 = 1;

/// Past this many growing steps, [`Engine::worst_case_total`] stops summing exactly and
/// bounds the rest by the cap, so that it stays fast for factors barely above one.
const EXACT_STEPS: u32 = 100_000;

/// The growth law of a schedule: its unjittered steps, before the shared limits apply.
///
/// What a law calls out of line takes copies, never `&mut self` or a reference to the cap:
/// a pointer handed to a call makes the compiler keep the whole schedule in memory, where a
/// schedule built and drawn from in one function otherwise lives in registers.
pub trait Growth: Copy + Debug + PartialEq {
    /// The first step, which is also the lower bound of decorrelated jitter.
    fn initial(&self) -> Duration;
    /// Takes note of a new cap, which is at least the initial step.
    fn set_cap(&mut self, cap: Span);
    /// The next step in nanoseconds, when the law takes it in a few instructions (a step
    /// below the cap whose growth does not overflow), advancing the law; else `None`, with
    /// the law unchanged, for [`full_step`](Growth::full_step). Always inlined, so that the
    /// common step costs no call.
    #[inline(always)]
    fn quick_nanos(&mut self) -> Option<u64> {
        None
    }
    /// The step `quick_nanos` did not take, at most `cap`; advances the law.
    fn full_step(&mut self, cap: Span) -> Duration;
    /// The next unjittered step, at most `cap`; advances the law.
    #[inline(always)]
    fn next_step(&mut self, cap: Span) -> Duration {
        match self.quick_nanos() {
            Some(n) => Duration::from_nanos(n),
            None => self.full_step(cap),
        }
    }
    /// `next_step` in the form jitter draws from: nanoseconds when below `u64::MAX`, which
    /// saves a conversion each way on the quick path.
    #[inline(always)]
    fn next_nanos(&mut self, cap: Span) -> Step {
        match self.quick_nanos() {
            Some(n) => Step::Nanos(n),
            None => Step::of(self.full_step(cap)),
        }
    }
    /// Whether every further step equals the one just returned (the law hit the cap or
    /// never grows), so sums over the rest can be multiplied instead of iterated.
    fn settled(&self) -> bool;
}

/// Settings and run state shared by the three schedules: 44 bytes beside the growth law.
///
/// Each field is a setting `Display` prints or progress; what follows from them is worked
/// out where it is needed, except for the caches the growth laws keep for their hot paths.
/// Durations are [`Span`]s, so nothing is aligned to more than 4 bytes, no byte is padding,
/// and the three flags live in the spare bits of two of them.
#[derive(Clone, Copy)]
pub struct Engine<G> {
    pub(crate) growth: G,
    /// `Span::MAX` unless `max_delay` was set.
    cap: Span,
    /// `max_total_delay` when flagged `TOTAL`, zero otherwise; flagged `FOREVER` without a
    /// count limit.
    max_total: Span,
    /// What is left of `max_total`, when it is flagged `TOTAL`; flagged `ENDED` once the
    /// limit refused a delay.
    total_left: Span,
    /// The count limit; zero when `FOREVER`.
    max_retries: u32,
    /// Delays left by count: `max_retries` less those drawn, or without a count limit a
    /// count down from `u32::MAX` that is refilled when it runs out. Zero once ended.
    left: u32,
}

impl<G: Growth> Engine<G> {
    #[inline]
    pub(crate) fn new(growth: G) -> Self {
        Engine {
            growth,
            cap: Span::MAX,
            max_total: Span::ZERO,
            total_left: Span::ZERO,
            max_retries: DEFAULT_MAX_RETRIES,
            left: DEFAULT_MAX_RETRIES,
        }
    }

    /// For the text form, as are the growth laws' own settings.
    #[cfg(feature = "std")]
    pub(crate) fn cap(&self) -> Duration {
        self.cap.get()
    }

    /// The cap as the growth laws get it.
    #[inline(always)]
    pub(crate) fn cap_span(&self) -> Span {
        self.cap
    }

    #[inline(always)]
    fn forever(&self) -> bool {
        self.max_total.flags() & FOREVER != 0
    }

    #[inline(always)]
    fn has_total(&self) -> bool {
        self.max_total.flags() & TOTAL != 0
    }

    #[inline(always)]
    fn ended(&self) -> bool {
        self.total_left.flags() & ENDED != 0
    }

    /// `None` means "forever".
    #[inline]
    pub(crate) fn max_retries(&self) -> Option<u32> {
        if self.forever() { None } else { Some(self.max_retries) }
    }

    #[inline]
    pub(crate) fn max_total(&self) -> Option<Duration> {
        if self.has_total() { Some(self.max_total.get_flagged()) } else { None }
    }

    #[inline]
    pub(crate) fn set_cap(&mut self, cap: Duration) -> Result<(), super::Invalid> {
        let initial = self.growth.initial();
        if cap < initial {
            return Err(super::Invalid::CapBelowInitial { cap, initial });
        }
        self.cap = Span::of(cap);
        self.growth.set_cap(self.cap);
        Ok(())
    }

    /// Sets the count limit (`None`: forever) and starts counting again, which also lifts
    /// an end the total limit put.
    #[inline]
    pub(crate) fn set_max_retries(&mut self, n: Option<u32>) {
        let total = self.max_total.flags() & TOTAL;
        (self.max_retries, self.left, self.max_total) = match n {
            Some(n) => (n, n, self.max_total.with_flags(total)),
            None => (0, u32::MAX, self.max_total.with_flags(total | FOREVER)),
        };
        self.total_left = self.total_left.with_flags(0);
    }

    #[inline]
    pub(crate) fn set_max_total(&mut self, total: Duration) {
        self.max_total = Span::of(total).with_flags(self.max_total.flags() | TOTAL);
        self.total_left = Span::of(total).with_flags(self.total_left.flags());
    }

    /// Takes one delay from the count, saying where it is in the schedule (0 for the first;
    /// without a count limit the place wraps after 2^32 delays), or `None` at the end.
    #[inline(always)]
    pub(crate) fn take(&mut self) -> Option<u32> {
        if self.left == 0 {
            if !self.forever() || self.ended() {
                return None;
            }
            // Once every 2^32 delays without a count limit.
            self.left = u32::MAX;
            return Some(u32::MAX);
        }
        let place = if self.forever() { u32::MAX } else { self.max_retries } - self.left;
        self.left -= 1;
        Some(place)
    }

    /// Charges `delay` to the total limit, if there is one: `None` ends the schedule for
    /// good when it does not fit, so that a later, shorter delay cannot sneak in after it.
    #[inline(always)]
    pub(crate) fn charge(&mut self, delay: Duration) -> Option<Duration> {
        if self.has_total() {
            let Some(rest) = self.total_left.get_flagged().checked_sub(delay) else {
                self.left = 0;
                self.total_left = self.total_left.with_flags(ENDED);
                return None;
            };
            self.total_left = Span::of(rest);
        }
        Some(delay)
    }

    // Small enough to inline into every caller's loop, and free of calls that take the
    // schedule's address, so that a schedule built and drawn from in one place stays in
    // registers.
    #[inline(always)]
    pub(crate) fn next(&mut self) -> Option<Duration> {
        self.take()?;
        let step = self.growth.next_step(self.cap);
        self.charge(step)
    }

    /// Delays left by count, `None` when only `max_total_delay` (if anything) can end it.
    #[inline]
    pub(crate) fn remaining(&self) -> Option<u32> {
        if self.ended() {
            Some(0)
        } else if self.forever() {
            None
        } else {
            Some(self.left)
        }
    }

    fn total_left(&self) -> Option<Duration> {
        if self.has_total() { Some(self.total_left.get_flagged()) } else { None }
    }

    /// `Iterator::nth`, without walking a run of equal steps one by one: once the law has
    /// settled, every step is the same, so `nth(u32::MAX as usize)` returns at once.
    pub(crate) fn nth(&mut self, mut n: usize) -> Option<Duration> {
        while n > 0 && self.remaining() != Some(0) {
            if self.growth.settled() {
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

    /// Skips up to `n` steps of a settled law, as many as the count and the total limit
    /// allow, and says how many it skipped.
    fn skip_settled(&mut self, n: usize) -> usize {
        let mut growth = self.growth;
        let step = growth.next_step(self.cap).as_nanos();
        let remaining = self.remaining();
        let mut skip = n as u128;
        if let Some(left) = remaining {
            skip = skip.min(u128::from(left));
        }
        if let Some(left) = self.total_left() {
            // A zero step fits any number of times: `checked_div` leaves `skip` alone.
            if let Some(fits) = left.as_nanos().checked_div(step) {
                skip = skip.min(fits);
            }
            self.total_left = Span::of(from_nanos_u128(left.as_nanos() - step * skip));
        }
        if remaining.is_some() {
            // At most what is left of the count, so it fits.
            self.left -= skip as u32;
        }
        // At most `n`, so it fits.
        skip as usize
    }

    #[inline]
    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        match (self.remaining(), self.has_total()) {
            (Some(n), false) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                (n, Some(n))
            }
            (Some(n), true) => (0, usize::try_from(n).ok()),
            (None, false) => (usize::MAX, None),
            (None, true) => (0, None),
        }
    }

    /// The largest sum of delays the rest of this schedule could yield, unjittered.
    pub(crate) fn worst_case_total(&self) -> Duration {
        self.worst_case_of(WorstSteps::Growth(self.growth), true)
    }

    /// The largest sum of the `steps` the rest of this schedule could yield. `exact` says
    /// that each delay is its step (no jitter), so the total limit stops the sum at the step
    /// that would cross it; a jittered delay can come arbitrarily close to the limit, so the
    /// sum is then bounded by it.
    pub(crate) fn worst_case_of(&self, mut steps: WorstSteps<G>, exact: bool) -> Duration {
        let cap = self.cap.get();
        let mut remaining = self.remaining();
        let mut sum = Duration::ZERO;
        let mut left = self.total_left();
        let mut counted = 0u32;
        while remaining != Some(0) {
            let step = steps.next(self.cap);
            if step.is_zero() && steps.settled() {
                break;
            }
            if steps.settled() || counted == EXACT_STEPS {
                // The rest repeats `step` (or, past EXACT_STEPS, is bounded by the cap).
                let settled = steps.settled();
                let step = if settled { step } else { cap };
                let mut times = remaining.map_or(u128::MAX, u128::from);
                if let (true, true, Some(l)) = (exact, settled, left) {
                    times = times.min(l.as_nanos() / step.as_nanos().max(1));
                }
                let mut rest = from_nanos_u128(step.as_nanos().saturating_mul(times));
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
        match self.total_left() {
            Some(limit) if !exact => sum.min(limit),
            _ => sum,
        }
    }
}

/// The largest step each draw could take: the unjittered step for Full and Equal jitter,
/// `s_k (1 + p)` for Proportional, and three times the previous one for Decorrelated.
pub(crate) enum WorstSteps<G> {
    Growth(G),
    /// Proportional jitter's top: `min(cap, s_k (1 + p))`.
    Widened {
        growth: G,
        millionths: u32,
    },
    Tripling {
        previous: Duration,
        at_cap: bool,
    },
}

impl<G: Growth> WorstSteps<G> {
    fn next(&mut self, cap: Span) -> Duration {
        match self {
            WorstSteps::Growth(g) => g.next_step(cap),
            WorstSteps::Widened { growth, millionths } => {
                // `s (1 + p)` in whole nanoseconds: below 2^95 * 2, no overflow.
                let step = growth.next_step(cap).as_nanos();
                let m = u128::from(jitter::MILLION);
                from_nanos_u128(step * (m + u128::from(*millionths)) / m).min(cap.get())
            }
            WorstSteps::Tripling { previous, at_cap } => {
                let cap = cap.get();
                let step = scale(*previous, 3.0).min(cap);
                *at_cap = step == cap || step == *previous;
                *previous = step;
                step
            }
        }
    }

    fn settled(&self) -> bool {
        match self {
            WorstSteps::Growth(g) | WorstSteps::Widened { growth: g, .. } => g.settled(),
            WorstSteps::Tripling { at_cap, .. } => *at_cap,
        }
    }
}

/// Two schedules are equal when their settings and progress are.
impl<G: Growth> PartialEq for Engine<G> {
    fn eq(&self, other: &Self) -> bool {
        self.growth == other.growth
            && self.cap == other.cap
            && self.max_retries() == other.max_retries()
            && self.max_total() == other.max_total()
            && self.remaining() == other.remaining()
            && self.total_left() == other.total_left()
    }
}

impl<G: Growth> Debug for Engine<G> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("growth", &self.growth)
            .field("cap", &self.cap.get())
            .field("max_retries", &self.max_retries())
            .field("max_total", &self.max_total())
            .field("remaining", &self.remaining())
            .field("total_left", &self.total_left())
            .finish()
    }
}

impl<G: Growth> Engine<G> {
    /// The shared settings of a schedule's `Debug`, after its own: `max_delay` and
    /// `max_total_delay` are `None` when not set, `max_retries` is `forever` or a number;
    /// then the jitter and seed, which a schedule without jitter prints as `None`.
    pub(crate) fn debug_settings(
        &self,
        d: &mut core::fmt::DebugStruct<'_, '_>,
        jitter: Jitter,
        seed: Option<u64>,
    ) -> core::fmt::Result {
        let cap = self.cap.get();
        d.field("max_delay", &(cap != Duration::MAX).then_some(cap));
        match self.max_retries() {
            Some(n) => d.field("max_retries", &n),
            None => d.field("max_retries", &format_args!("forever")),
        };
        d.field("max_total_delay", &self.max_total())
            .field("jitter", &jitter)
            .field("seed", &seed)
            .finish()
    }
}

/// The setters and trait impls every schedule shares, with examples for the type at hand.
macro_rules! schedule_api {
    ($ty:ident, $new:literal, $text:literal, $first:literal, { $($base:tt)* }) => {
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
                self.engine.set_max_total(total);
                self
            }

            /// Randomise the delays; see [`Jitter`](crate::Jitter) for the formulas.
            ///
            /// Returns a [`Jittered`](crate::Jittered) schedule, which has the same setters
            /// and keeps the random state that a schedule without jitter does without.
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
            ///
            /// # Panics
            ///
            /// If `jitter` is `Proportional(p)` with a `p` that is NaN, not above 0, above 1,
            /// or below half a millionth, naming the value.
            #[inline]
            #[track_caller]
            pub fn jitter(self, jitter: crate::Jitter) -> crate::Jittered<Self> {
                crate::Jittered::new(self, jitter)
            }

            /// Draw jitter from a generator seeded with `seed`, so runs are reproducible.
            /// Returns a [`Jittered`](crate::Jittered) schedule, without jitter until
            /// `jitter` is set on it.
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
            pub fn seed(self, seed: u64) -> crate::Jittered<Self> {
                crate::Jittered::new(self, crate::Jitter::None).seed(seed)
            }

            /// The largest sum of delays the rest of this schedule could yield, for sizing
            /// timeouts: the sum of its steps within `max_total_delay`, saturating at
            /// `Duration::MAX` (an unbounded schedule with non-zero delays). A
            /// [`Jittered`](crate::Jittered) schedule's is the sum of its largest draws.
            ///
            /// ```
            #[doc = concat!("use persevere::", stringify!($ty), ";")]
            /// use std::time::Duration;
            ///
            #[doc = concat!("let schedule = ", $new, ".max_retries(4);")]
            /// let worst = schedule.worst_case_total();
            /// assert_eq!(schedule.sum::<Duration>(), worst);
            /// ```
            pub fn worst_case_total(&self) -> Duration {
                self.engine.worst_case_total()
            }
        }

        impl crate::backoff::jittered::sealed::Base for $ty {
            type Law = Law;
            const NAME: &'static str = stringify!($ty);
            const TEXT: &'static str = $text;
            const FIRST: &'static str = $first;

            #[inline]
            fn build(first: Duration) -> Self {
                $ty::new(first)
            }

            #[inline(always)]
            fn engine(&self) -> &Engine<Law> {
                &self.engine
            }

            #[inline(always)]
            fn engine_mut(&mut self) -> &mut Engine<Law> {
                &mut self.engine
            }

            $($base)*
        }

        impl crate::backoff::Unjittered for $ty {}

        /// Prints the settings, as `Display` does, in struct form; not the progress.
        impl core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                crate::backoff::jittered::debug(self, f, crate::Jitter::None, None)
            }
        }

        impl Iterator for $ty {
            type Item = Duration;

            // Always inlined, as `Engine::next` is: a few instructions and no call.
            #[inline(always)]
            fn next(&mut self) -> Option<Duration> {
                self.engine.next()
            }

            #[inline]
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
