//! A schedule with jitter: [`Jittered`], what a schedule's `jitter` and `seed` return.

use core::fmt;
use core::iter::FusedIterator;
use core::time::Duration;

use super::engine::{Growth, WorstSteps};
use super::jitter::{self, Jitter, Kind};
use super::math::nanos_u64;
use super::packed::{Span, Word};

/// The step between the states of successive draws: the increment of fastrand's wyrand,
/// so that draw `k` is the `k`-th draw of `Rng::with_seed(seed)`, as it was when the
/// generator was kept whole. Any odd constant would give as good a stream.
const STREAM_STEP: u64 = 0x2d35_8dcc_aa6c_78a5;

// `Jittered::flags`; the high nibble holds bits 16 to 19 of a proportion's millionths.
/// `seed` was set: `seed` holds the user's seed rather than one drawn from entropy.
const SEEDED: u8 = 1;

pub(crate) mod sealed {
    use core::time::Duration;

    use super::super::engine::{Engine, Growth};

    /// What [`Jittered`](super::Jittered) needs of the schedule under it, and the text
    /// form of each schedule. Sealed: only the crate's three schedules have it.
    pub trait Base: Sized {
        /// The schedule's growth law.
        type Law: Growth;
        /// The name `Debug` prints.
        const NAME: &'static str;
        /// The name in the text form.
        const TEXT: &'static str;
        /// The first setting, which `new` takes: `initial` or `delay`.
        const FIRST: &'static str;
        /// `new`.
        fn build(first: Duration) -> Self;
        /// The settings and run state.
        fn engine(&self) -> &Engine<Self::Law>;
        /// The settings and run state.
        fn engine_mut(&mut self) -> &mut Engine<Self::Law>;
        /// The factor, for the one schedule that has one.
        fn factor(&self) -> Option<f64> {
            None
        }
        /// Sets the factor, checked, of the schedule that has one; `false` for the others.
        fn set_factor(&mut self, _factor: f64) -> bool {
            false
        }
    }
}

/// One of the crate's schedules without jitter: [`Exponential`](crate::Exponential),
/// [`Fixed`](crate::Fixed) or [`Fibonacci`](crate::Fibonacci). Sealed.
pub trait Unjittered: sealed::Base + Clone + PartialEq + Iterator<Item = Duration> {}

/// A schedule with jitter: what [`Exponential::jitter`](crate::Exponential::jitter) and
/// `seed` return, for each of the three schedules.
///
/// It has the schedule's setters, yields the schedule's steps jittered as
/// [`Jitter`] says, and, like the schedule, is `Clone`, compares, prints and parses its
/// text form. A schedule without jitter carries none of this state, which keeps it as
/// small as a delay and a few counts.
///
/// ```
/// use persevere::{Exponential, Jitter, Jittered};
/// use std::time::Duration;
///
/// struct Client {
///     backoff: Jittered<Exponential>,
/// }
///
/// let ms = Duration::from_millis;
/// let client = Client { backoff: Exponential::new(ms(100)).max_delay(ms(400)).jitter(Jitter::Full) };
/// let delays: Vec<_> = client.backoff.clone().collect();
/// assert_eq!(delays.len(), 3);
/// assert!(delays.iter().zip([ms(100), ms(200), ms(400)]).all(|(d, step)| *d <= step));
/// ```
pub struct Jittered<S> {
    schedule: S,
    /// Where jitter draws from: the user's seed (`SEEDED`), or one drawn from entropy when
    /// jitter was set without a seed, else zero. Draw `k` comes from the generator seeded
    /// with `seed + k * STREAM_STEP`, which is the `k`-th draw of `Rng::with_seed(seed)`:
    /// the seed stays as the user gave it, for `Display`, and the place in the stream is the
    /// place in the schedule, which the count keeps anyway.
    seed: Word,
    /// The last decorrelated draw, zero before the first. A word of nanoseconds while the
    /// cap is below `u64::MAX` of them (every draw is then below it too), so that the chain
    /// from one draw to the next has no conversion in it; the exact `Duration` otherwise.
    previous: Span,
    /// The jitter's kind; a proportional jitter's millionths are in `millionths` (low 16
    /// bits) and the high nibble of `flags` (the 4 bits above), 0 for the other kinds.
    kind: Kind,
    flags: u8,
    millionths: u16,
}

impl<S: Unjittered> Jittered<S> {
    /// `schedule` with no jitter yet.
    #[inline]
    fn plain(schedule: S) -> Self {
        Jittered {
            schedule,
            seed: Word::new(0),
            previous: Span::ZERO,
            kind: Kind::None,
            flags: 0,
            millionths: 0,
        }
    }

    #[inline]
    pub(crate) fn new(schedule: S, jitter: Jitter) -> Self {
        let mut jittered = Jittered::plain(schedule);
        jittered.set_jitter(jitter);
        jittered
    }

    /// The schedule under the jitter.
    pub(crate) fn schedule(&self) -> &S {
        &self.schedule
    }

    #[cfg(feature = "std")]
    pub(crate) fn schedule_mut(&mut self) -> &mut S {
        &mut self.schedule
    }

    /// The schedule under the jitter, which the text form of a schedule without jitter
    /// has checked is none.
    #[cfg(feature = "std")]
    pub(crate) fn into_schedule(self) -> S {
        self.schedule
    }

    pub(crate) fn jitter_setting(&self) -> Jitter {
        Jitter::from_parts(self.kind, self.proportion())
    }

    /// The seed the user gave, if any.
    pub(crate) fn seed_setting(&self) -> Option<u64> {
        if self.flags & SEEDED != 0 { Some(self.seed.get()) } else { None }
    }

    /// A proportional jitter's millionths, 0 for the other kinds.
    #[inline(always)]
    fn proportion(&self) -> u32 {
        u32::from(self.flags >> 4) << 16 | u32::from(self.millionths)
    }

    #[inline]
    #[track_caller]
    pub(crate) fn set_jitter(&mut self, jitter: Jitter) {
        self.kind = jitter.kind();
        // At most 1,000,000, 20 bits: the low 16 here, the rest in the flags' high nibble.
        let millionths = jitter.millionths().unwrap_or_else(|e| super::refuse(e));
        self.millionths = millionths as u16;
        self.flags = (self.flags & SEEDED) | ((millionths >> 16) as u8) << 4;
        if self.kind != Kind::None && self.flags & SEEDED == 0 {
            self.seed = Word::new(fresh_seed());
        }
    }

    #[inline]
    pub(crate) fn set_seed(&mut self, seed: u64) {
        self.seed = Word::new(seed);
        self.flags |= SEEDED;
    }

    /// Sets the cap, keeping the last decorrelated draw in the form the new cap asks for.
    pub(crate) fn set_cap(&mut self, cap: Duration) -> Result<(), super::Invalid> {
        let previous = self.previous();
        self.schedule.engine_mut().set_cap(cap)?;
        self.previous = self.previous_span(previous);
        Ok(())
    }

    fn cap(&self) -> Span {
        self.schedule.engine().cap_span()
    }

    /// The last decorrelated draw as a `Duration`.
    pub(crate) fn previous(&self) -> Duration {
        if self.cap().nanos_or_max() != u64::MAX {
            Duration::from_nanos(self.previous.word())
        } else {
            self.previous.get()
        }
    }

    /// `previous` in the form the current cap asks for.
    fn previous_span(&self, previous: Duration) -> Span {
        if self.cap().nanos_or_max() != u64::MAX {
            // A draw above a cap lowered since is as good as u64::MAX nanoseconds: either
            // way three times it is past the cap.
            Span::from_word(nanos_u64(previous).unwrap_or(u64::MAX))
        } else {
            Span::of(previous)
        }
    }

    /// `next` with jitter. Out of line: inside a retry future the schedule lives in memory
    /// anyway, and the caller's loop stays small.
    #[inline(never)]
    fn next_jittered(&mut self) -> Option<Duration> {
        let cap = self.cap();
        let (seed, kind, proportion) = (self.seed.get(), self.kind, self.proportion());
        let engine = self.schedule.engine_mut();
        let place = engine.take()?;
        let position = u64::from(place).wrapping_mul(STREAM_STEP);
        let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(position));
        let delay = match kind {
            Kind::None => engine.growth.next_step(cap),
            Kind::Full => jitter::full(engine.growth.next_nanos(cap), &mut rng),
            Kind::Equal => jitter::equal(engine.growth.next_nanos(cap), &mut rng),
            Kind::Proportional => {
                let step = engine.growth.next_nanos(cap);
                jitter::proportional(step, proportion, &cap, &mut rng)
            }
            Kind::Decorrelated => {
                let initial = engine.growth.initial();
                let (drawn, previous) = decorrelated(initial, cap, self.previous, &mut rng);
                self.previous = previous;
                drawn
            }
        };
        self.schedule.engine_mut().charge(delay)
    }

    /// The largest sum of delays the rest of this schedule could yield; see
    /// [`Exponential::worst_case_total`](crate::Exponential::worst_case_total).
    ///
    /// ```
    /// use persevere::{Fixed, Jitter};
    /// use std::time::Duration;
    ///
    /// let schedule = Fixed::new(Duration::from_secs(1)).max_retries(4).jitter(Jitter::Full);
    /// let worst = schedule.worst_case_total();
    /// assert_eq!(worst, Duration::from_secs(4));
    /// assert!(schedule.sum::<Duration>() <= worst);
    /// ```
    pub fn worst_case_total(&self) -> Duration {
        let engine = self.schedule.engine();
        let steps = match self.kind {
            Kind::Decorrelated => WorstSteps::Tripling {
                previous: self.previous().max(engine.growth.initial()),
                at_cap: false,
            },
            Kind::Proportional => {
                WorstSteps::Widened { growth: engine.growth, millionths: self.proportion() }
            }
            _ => WorstSteps::Growth(engine.growth),
        };
        engine.worst_case_of(steps, self.kind == Kind::None)
    }
}

/// The decorrelated draw after `previous`, and `previous` for the next one.
#[inline]
fn decorrelated(
    initial: Duration,
    cap: Span,
    previous: Span,
    rng: &mut fastrand::Rng,
) -> (Duration, Span) {
    let cap_nanos = cap.nanos_or_max();
    if cap_nanos != u64::MAX {
        // The cap, and so the initial delay and every draw, are below u64::MAX
        // nanoseconds: the initial delay converts exactly, and `previous` is a word.
        let low = nanos_u64(initial).unwrap_or(cap_nanos);
        let drawn = jitter::decorrelated(low, cap_nanos, previous.word(), rng);
        return (Duration::from_nanos(drawn), Span::from_word(drawn));
    }
    let previous = previous.get().max(initial);
    let drawn = jitter::decorrelated_long(initial, cap.get(), previous, rng);
    (drawn, Span::of(drawn))
}

/// The setters of [`Exponential`](crate::Exponential), [`Fixed`](crate::Fixed) and
/// [`Fibonacci`](crate::Fibonacci), with the same meaning and panics; see them for examples.
impl<S: Unjittered> Jittered<S> {
    /// Never wait longer than `cap`; see [`Exponential::max_delay`](crate::Exponential::max_delay).
    ///
    /// # Panics
    ///
    /// If `cap` is below the initial delay, naming both.
    #[inline]
    #[track_caller]
    pub fn max_delay(mut self, cap: Duration) -> Self {
        if let Err(e) = self.set_cap(cap) {
            super::refuse(e);
        }
        self
    }

    /// Yield at most `n` delays; see [`Exponential::max_retries`](crate::Exponential::max_retries).
    #[inline]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.schedule.engine_mut().set_max_retries(Some(n));
        self
    }

    /// Yield delays without a count limit; see [`Exponential::forever`](crate::Exponential::forever).
    #[inline]
    pub fn forever(mut self) -> Self {
        self.schedule.engine_mut().set_max_retries(None);
        self
    }

    /// Stop before the sum of the delays would exceed `total`; see
    /// [`Exponential::max_total_delay`](crate::Exponential::max_total_delay).
    #[inline]
    pub fn max_total_delay(mut self, total: Duration) -> Self {
        self.schedule.engine_mut().set_max_total(total);
        self
    }

    /// Use another jitter from the next delay on; `Jitter::None` turns it off.
    ///
    /// # Panics
    ///
    /// If `jitter` is `Proportional(p)` with a `p` that is NaN, not above 0, above 1,
    /// or below half a millionth, naming the value.
    #[inline]
    #[track_caller]
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.set_jitter(jitter);
        self
    }

    /// Draw jitter from a generator seeded with `seed`, so runs are reproducible; see
    /// [`Exponential::seed`](crate::Exponential::seed).
    #[inline]
    pub fn seed(mut self, seed: u64) -> Self {
        self.set_seed(seed);
        self
    }
}

impl Jittered<super::Exponential> {
    /// Multiply each step by `factor`; see [`Exponential::factor`](crate::Exponential::factor).
    ///
    /// # Panics
    ///
    /// If `factor` is NaN, infinite or below 1, naming the value.
    #[inline]
    #[track_caller]
    pub fn factor(mut self, factor: f64) -> Self {
        self.schedule = self.schedule.factor(factor);
        self
    }
}

/// Jitter over `schedule`'s delays, none yet: what [`Schedule`](crate::Schedule) holds.
impl<S: Unjittered> From<S> for Jittered<S> {
    fn from(schedule: S) -> Self {
        Jittered::plain(schedule)
    }
}

/// A clone continues from where this schedule is. Unseeded jitter gets its own random
/// stream, so that one schedule cloned for many calls does not hand them all the same
/// delays; a seeded schedule repeats its stream exactly.
impl<S: Unjittered> Clone for Jittered<S> {
    #[inline]
    fn clone(&self) -> Self {
        let mut clone = Jittered { schedule: self.schedule.clone(), ..*self };
        if self.flags & SEEDED == 0 && self.kind != Kind::None {
            clone.seed = Word::new(fresh_seed());
        }
        clone
    }
}

/// Two schedules are equal when their settings and progress are; the random state is not
/// compared, since two unseeded schedules never share it.
impl<S: Unjittered> PartialEq for Jittered<S> {
    fn eq(&self, other: &Self) -> bool {
        self.schedule == other.schedule
            && self.jitter_setting() == other.jitter_setting()
            && self.seed_setting() == other.seed_setting()
            && self.previous() == other.previous()
    }
}

/// Prints the settings, as `Display` does, in struct form, as the schedule under it does:
/// `Exponential { initial: …, …, jitter: Full, seed: None }`.
impl<S: Unjittered> fmt::Debug for Jittered<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(&self.schedule, f, self.jitter_setting(), self.seed_setting())
    }
}

/// A schedule's `Debug`, with the jitter and seed given.
pub(crate) fn debug<S: Unjittered>(
    schedule: &S,
    f: &mut fmt::Formatter<'_>,
    jitter: Jitter,
    seed: Option<u64>,
) -> fmt::Result {
    let engine = schedule.engine();
    let mut d = f.debug_struct(S::NAME);
    d.field(S::FIRST, &engine.growth.initial());
    if let Some(factor) = schedule.factor() {
        d.field("factor", &factor);
    }
    engine.debug_settings(&mut d, jitter, seed)
}

impl<S: Unjittered> Iterator for Jittered<S> {
    type Item = Duration;

    // Without jitter (only a seed, or `Jitter::None`), the schedule's own inlined path.
    #[inline(always)]
    fn next(&mut self) -> Option<Duration> {
        if self.kind == Kind::None {
            return self.schedule.engine_mut().next();
        }
        self.next_jittered()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.schedule.engine().size_hint()
    }

    /// Without jitter, skips a settled run at once, as the schedule does; with it, draws
    /// every delay it skips, so a seeded stream is the same however it is walked.
    fn nth(&mut self, mut n: usize) -> Option<Duration> {
        if self.kind == Kind::None {
            return self.schedule.engine_mut().nth(n);
        }
        while n > 0 {
            self.next()?;
            n -= 1;
        }
        self.next()
    }
}

impl<S: Unjittered> FusedIterator for Jittered<S> {}

/// A seed for jitter that was not given one.
#[cfg(feature = "std")]
fn fresh_seed() -> u64 {
    fastrand::u64(..)
}

/// Without `std` there is no entropy to draw from: the docs ask for an explicit seed.
#[cfg(not(feature = "std"))]
fn fresh_seed() -> u64 {
    0x05EE_D0FF_0CCA_CC1A
}

#[cfg(test)]
mod tests {
    use core::time::Duration;

    use super::super::engine::Step;
    use super::super::jitter;
    use crate::{Fixed, Jitter};

    /// Draws come from `seed + k * STREAM_STEP`, which must be the `k`-th draw of
    /// `Rng::with_seed(seed)`: the stream a kept generator gave, so seeded runs recorded
    /// before the generator was dropped from the schedule still replay.
    #[test]
    fn draws_follow_the_seeded_generator() {
        let step = Duration::from_secs(1);
        for seed in [0, 7, u64::MAX] {
            let mut rng = fastrand::Rng::with_seed(seed);
            let expected: [Duration; 20] =
                core::array::from_fn(|_| jitter::full(Step::of(step), &mut rng));
            let mut schedule = Fixed::new(step).forever().jitter(Jitter::Full).seed(seed);
            let got: [Duration; 20] = core::array::from_fn(|_| schedule.next().unwrap());
            assert_eq!(got, expected, "seed {seed}");
            let mut counted = Fixed::new(step).max_retries(20).jitter(Jitter::Full).seed(seed);
            let got: [Duration; 20] = core::array::from_fn(|_| counted.next().unwrap());
            assert_eq!(got, expected, "seed {seed}, counted");
        }
    }

    /// The last decorrelated draw is a word of nanoseconds under a cap below u64::MAX of
    /// them, a duration otherwise; changing the cap converts it.
    #[test]
    fn decorrelated_draws_carry_over_a_change_of_cap() {
        let initial = Duration::from_millis(10);
        let big = Duration::from_secs(u64::MAX / 2);
        for seed in 0..50 {
            let mut s = Fixed::new(initial).max_delay(big).forever().jitter(Jitter::Decorrelated);
            s = s.seed(seed);
            let mut previous = initial;
            for cap in [big, Duration::from_secs(1), big, Duration::from_millis(30)] {
                s = s.max_delay(cap);
                for _ in 0..30 {
                    let d = s.next().unwrap();
                    let high = previous.max(initial).saturating_mul(3).min(cap);
                    assert!(initial <= d && d <= high, "{d:?} outside [{initial:?}, {high:?}]");
                    previous = d;
                }
                assert_eq!(s.previous(), previous);
            }
        }
    }
}
