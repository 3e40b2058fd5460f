//! What every schedule shares: the retry count, the cap, the total-delay limit and jitter.
//!
//! A schedule only says how its unjittered step grows (a [`Growth`]); [`Engine`] turns that
//! into the iterator the user sees.

use core::fmt::Debug;
use core::time::Duration;

use super::jitter::{self, Jitter, Kind};
use super::math::{from_nanos_u128, nanos_u64, scale};
use super::packed::{Span, Word};

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

// `Engine::flags`.
/// No count limit: `forever`.
const FOREVER: u8 = 1;
/// `max_total_delay` was set: `max_total` and `total_left` hold it.
const TOTAL: u8 = 2;
/// `seed` was set: `seed` holds the user's seed rather than one drawn from entropy.
const SEEDED: u8 = 4;
/// The total limit refused a delay: the schedule has ended, whatever its count says.
const ENDED: u8 = 8;
/// The flags proper; the high nibble holds bits 16 to 19 of a proportion's millionths.
const FLAGS: u8 = 15;

/// Past this many growing steps, [`Engine::worst_case_total`] stops summing exactly and
/// bounds the rest by the cap, so that it stays fast for factors barely above one.
const EXACT_STEPS: u32 = 100_000;

/// The growth law of a schedule: its unjittered steps, before the shared limits apply.
pub(crate) trait Growth: Copy + Debug + PartialEq {
    /// The first step, which is also the lower bound of decorrelated jitter.
    fn initial(&self) -> Duration;
    /// Takes note of a new cap, which is at least the initial step.
    fn set_cap(&mut self, cap: &Span);
    /// The next step in nanoseconds, when the law takes it in a few instructions (a step
    /// below the cap whose growth does not overflow), advancing the law; else `None`, with
    /// the law unchanged, for [`full_step`](Growth::full_step). Always inlined, so that the
    /// common step costs no call.
    #[inline(always)]
    fn quick_nanos(&mut self) -> Option<u64> {
        None
    }
    /// The step `quick_nanos` did not take, at most `cap`; advances the law.
    fn full_step(&mut self, cap: &Span) -> Duration;
    /// The next unjittered step, at most `cap`; advances the law.
    #[inline(always)]
    fn next_step(&mut self, cap: &Span) -> Duration {
        match self.quick_nanos() {
            Some(n) => Duration::from_nanos(n),
            None => self.full_step(cap),
        }
    }
    /// `next_step` in the form jitter draws from: nanoseconds when below `u64::MAX`, which
    /// saves a conversion each way on the quick path.
    #[inline(always)]
    fn next_nanos(&mut self, cap: &Span) -> Step {
        match self.quick_nanos() {
            Some(n) => Step::Nanos(n),
            None => Step::of(self.full_step(cap)),
        }
    }
    /// Whether every further step equals the one just returned (the law hit the cap or
    /// never grows), so sums over the rest can be multiplied instead of iterated.
    fn settled(&self) -> bool;
}

/// Settings and run state shared by the three schedules.
///
/// Each field is a setting `Display` prints or progress; what follows from them is worked
/// out where it is needed, except for the caches the growth laws keep for their hot paths.
/// The progress of the count is in one of two fields, whichever makes `next` cheapest for
/// the settings (`left` or `drawn`). Durations are [`Span`]s and the `u64` a [`Word`], so
/// nothing is aligned to more than 4 bytes and no byte is padding.
///
/// `Copy` within the crate; the schedules' `Clone` is [`Engine::clone_schedule`], which
/// gives unseeded jitter a stream of its own.
#[derive(Clone, Copy)]
pub(crate) struct Engine<G> {
    pub(crate) growth: G,
    /// `Span::MAX` unless `max_delay` was set.
    cap: Span,
    /// `max_total_delay`, when the `TOTAL` flag is set; zero otherwise.
    max_total: Span,
    /// What is left of `max_total`, when the `TOTAL` flag is set; zero otherwise.
    total_left: Span,
    /// The last decorrelated draw, zero before the first. A word of nanoseconds while the
    /// cap is below `u64::MAX` of them (every draw is then below it too), so that the chain
    /// from one draw to the next has no conversion in it; the exact `Duration` otherwise.
    previous: Span,
    /// Where jitter draws from: the user's seed (`SEEDED`), or one drawn from entropy when
    /// jitter was set without a seed, else zero. Draw `k` comes from the generator seeded
    /// with `seed + k * STREAM_STEP`, which is the `k`-th draw of `Rng::with_seed(seed)`:
    /// the seed stays as the user gave it, for `Display`, and the position in the stream
    /// is `drawn`, which the count needs anyway.
    seed: Word,
    /// The count limit, unless `FOREVER`.
    max_retries: u32,
    /// How many more steps `next` may take on its fast path, which then asks nothing else:
    /// a plain schedule's delays left, or for a plain schedule without a count, a count
    /// down from `u32::MAX` that the slow path refills. Zero for the rest, which always
    /// take the slow path. "Plain" is no jitter and no total limit: its delays are the
    /// growth law's steps, and only the count ends it.
    left: u32,
    /// What the slow path counts when `left` is zero for good: delays drawn since the count
    /// was set, which ends a counted schedule at `max_retries` and places each draw in the
    /// random stream. Wraps without a count limit, after 2^32 draws (the stream then
    /// repeats). Zero for plain schedules, whose count is in `left`.
    drawn: u32,
    /// The jitter's kind; a proportional jitter's millionths are in `millionths` (low 16
    /// bits) and the high nibble of `flags` (the 4 bits above), 0 for the other kinds: three
    /// bytes where a `u32` would round `Fixed` up by four.
    jitter: Kind,
    flags: u8,
    millionths: u16,
}

/// The step between the states of successive draws: the increment of fastrand's wyrand,
/// so that draw `k` is the `k`-th draw of `Rng::with_seed(seed)`, as it was when the
/// generator was kept whole. Any odd constant would give as good a stream.
const STREAM_STEP: u64 = 0x2d35_8dcc_aa6c_78a5;

impl<G: Growth> Engine<G> {
    #[inline]
    pub(crate) fn new(growth: G) -> Self {
        Engine {
            growth,
            cap: Span::MAX,
            max_total: Span::ZERO,
            total_left: Span::ZERO,
            previous: Span::ZERO,
            // No jitter yet, so no entropy: `set_jitter` draws it when it is needed.
            seed: Word::new(0),
            max_retries: DEFAULT_MAX_RETRIES,
            left: DEFAULT_MAX_RETRIES,
            drawn: 0,
            jitter: Kind::None,
            flags: 0,
            millionths: 0,
        }
    }

    /// For the text form, as are `jitter` and the growth laws' own settings.
    #[cfg(feature = "std")]
    pub(crate) fn cap(&self) -> Duration {
        self.cap.get()
    }

    /// `None` means "forever".
    #[inline]
    pub(crate) fn max_retries(&self) -> Option<u32> {
        if self.flags & FOREVER != 0 { None } else { Some(self.max_retries) }
    }

    #[inline]
    pub(crate) fn max_total(&self) -> Option<Duration> {
        if self.flags & TOTAL != 0 { Some(self.max_total.get()) } else { None }
    }

    pub(crate) fn jitter(&self) -> Jitter {
        Jitter::from_parts(self.jitter, self.proportion())
    }

    /// A proportional jitter's millionths, 0 for the other kinds.
    #[inline(always)]
    fn proportion(&self) -> u32 {
        u32::from(self.flags >> 4) << 16 | u32::from(self.millionths)
    }

    /// The seed the user gave, if any.
    #[inline]
    pub(crate) fn seed(&self) -> Option<u64> {
        if self.flags & SEEDED != 0 { Some(self.seed.get()) } else { None }
    }

    /// The cap as the growth laws get it.
    #[inline(always)]
    pub(crate) fn cap_span(&self) -> Span {
        self.cap
    }

    #[inline]
    pub(crate) fn set_cap(&mut self, cap: Duration) -> Result<(), super::Invalid> {
        let initial = self.growth.initial();
        if cap < initial {
            return Err(super::Invalid::CapBelowInitial { cap, initial });
        }
        let previous = self.previous();
        self.cap = Span::of(cap);
        self.previous = self.previous_span(previous);
        self.growth.set_cap(&self.cap);
        Ok(())
    }

    #[inline]
    pub(crate) fn set_max_retries(&mut self, n: Option<u32>) {
        match n {
            Some(n) => {
                self.max_retries = n;
                self.flags &= !(FOREVER | ENDED);
            }
            None => {
                self.max_retries = 0;
                self.flags = (self.flags | FOREVER) & !ENDED;
            }
        }
        self.count_from(0);
    }

    /// No jitter and no total limit: every delay is the growth law's step.
    #[inline(always)]
    fn plain(&self) -> bool {
        self.jitter == Kind::None && self.flags & TOTAL == 0
    }

    /// Delays drawn since the count was set, from whichever field holds it.
    #[inline]
    fn drawn(&self) -> u32 {
        match (self.plain(), self.flags & FOREVER != 0) {
            (false, _) => self.drawn,
            (true, false) => self.max_retries - self.left,
            // Only the steps since the last refill; without jitter nothing depends on it.
            (true, true) => u32::MAX - self.left,
        }
    }

    /// Keeps `drawn` in the field the settings ask for. Called by every setter that
    /// changes them, as a schedule may leave or enter the fast path.
    #[inline]
    fn count_from(&mut self, drawn: u32) {
        (self.left, self.drawn) = match (self.plain(), self.flags & FOREVER != 0) {
            (false, _) => (0, drawn),
            (true, false) => (self.max_retries - drawn, 0),
            (true, true) => (u32::MAX, 0),
        };
    }

    /// Delays left by count, `None` when only `max_total_delay` (if anything) can end it.
    fn remaining(&self) -> Option<u32> {
        if self.flags & ENDED != 0 {
            Some(0)
        } else if self.flags & FOREVER != 0 {
            None
        } else {
            Some(self.max_retries - self.drawn())
        }
    }

    fn total_left(&self) -> Option<Duration> {
        if self.flags & TOTAL != 0 { Some(self.total_left.get()) } else { None }
    }

    #[inline]
    pub(crate) fn set_max_total(&mut self, total: Duration) {
        let drawn = self.drawn();
        self.max_total = Span::of(total);
        self.total_left = self.max_total;
        self.flags |= TOTAL;
        self.count_from(drawn);
    }

    #[inline]
    pub(crate) fn set_jitter(&mut self, jitter: Jitter) {
        let drawn = self.drawn();
        self.jitter = jitter.kind();
        // At most 1,000,000, 20 bits: the low 16 here, the rest in the flags' high nibble.
        let millionths = jitter.millionths().unwrap_or_else(|e| super::refuse(e));
        self.millionths = millionths as u16;
        self.flags = (self.flags & FLAGS) | ((millionths >> 16) as u8) << 4;
        self.count_from(drawn);
        if self.jitter != Kind::None && self.flags & SEEDED == 0 {
            self.seed = Word::new(fresh_seed());
        }
    }

    #[inline]
    pub(crate) fn set_seed(&mut self, seed: u64) {
        self.seed = Word::new(seed);
        self.flags |= SEEDED;
    }

    /// The generator for the next draw, of a schedule that is not plain.
    #[inline(always)]
    fn rng(&self) -> fastrand::Rng {
        let position = u64::from(self.drawn).wrapping_mul(STREAM_STEP);
        fastrand::Rng::with_seed(self.seed.get().wrapping_add(position))
    }

    /// The last decorrelated draw as a `Duration`.
    fn previous(&self) -> Duration {
        if self.cap.nanos_or_max() != u64::MAX {
            Duration::from_nanos(self.previous.word())
        } else {
            self.previous.get()
        }
    }

    /// `previous` in the form the current cap asks for.
    fn previous_span(&self, previous: Duration) -> Span {
        if self.cap.nanos_or_max() != u64::MAX {
            // A draw above a cap lowered since is as good as u64::MAX nanoseconds: either
            // way three times it is past the cap.
            Span::from_word(nanos_u64(previous).unwrap_or(u64::MAX))
        } else {
            Span::of(previous)
        }
    }

    // Small enough to inline into every caller's loop; the rest is behind one call.
    #[inline(always)]
    pub(crate) fn next(&mut self) -> Option<Duration> {
        // One question per delay for a plain schedule; everything else is behind `left`
        // being zero.
        if self.left != 0 {
            self.left -= 1;
            return Some(self.growth.next_step(&self.cap));
        }
        self.next_slow()
    }

    /// `next` with jitter or a total limit, at the end of a count, and every 2^32 delays of
    /// a plain schedule without one. Kept out of line so that the path above stays small
    /// enough to inline; cold so that callers lay that path out as the straight line (a
    /// fixed schedule's loop takes a quarter less time).
    #[cold]
    #[inline(never)]
    fn next_slow(&mut self) -> Option<Duration> {
        if self.plain() {
            if self.flags & FOREVER == 0 {
                return None;
            }
            self.left = u32::MAX;
            return Some(self.growth.next_step(&self.cap));
        }
        if self.flags & ENDED != 0 {
            return None;
        }
        if self.flags & FOREVER == 0 && self.drawn == self.max_retries {
            return None;
        }
        let mut rng = self.rng();
        self.drawn = self.drawn.wrapping_add(1);
        let delay = match self.jitter {
            Kind::None => self.growth.next_step(&self.cap),
            Kind::Full => jitter::full(self.growth.next_nanos(&self.cap), &mut rng),
            Kind::Equal => jitter::equal(self.growth.next_nanos(&self.cap), &mut rng),
            Kind::Decorrelated => self.next_decorrelated(&mut rng),
            Kind::Proportional => {
                let step = self.growth.next_nanos(&self.cap);
                jitter::proportional(step, self.proportion(), &self.cap, &mut rng)
            }
        };
        if self.flags & TOTAL != 0 {
            match self.total_left.get().checked_sub(delay) {
                Some(rest) => self.total_left = Span::of(rest),
                None => {
                    // Stop for good: a later, shorter draw must not sneak in after a refusal.
                    self.flags |= ENDED;
                    return None;
                }
            }
        }
        Some(delay)
    }

    #[inline]
    fn next_decorrelated(&mut self, rng: &mut fastrand::Rng) -> Duration {
        let cap = self.cap.nanos_or_max();
        if cap != u64::MAX {
            // The cap, and so the initial delay and every draw, are below u64::MAX
            // nanoseconds: the initial delay converts exactly, and `previous` is a word.
            let low = nanos_u64(self.growth.initial()).unwrap_or(cap);
            let drawn = jitter::decorrelated(low, cap, self.previous.word(), rng);
            self.previous.set_word(drawn);
            return Duration::from_nanos(drawn);
        }
        let low = self.growth.initial();
        let previous = self.previous.get().max(low);
        let drawn = jitter::decorrelated_long(low, self.cap.get(), previous, rng);
        self.previous = Span::of(drawn);
        drawn
    }

    /// `Iterator::nth`, without walking a run of equal steps one by one: once an unjittered
    /// law has settled, every step is the same, so `nth(u32::MAX as usize)` returns at once.
    /// Jittered schedules still draw every delay they skip, so a seeded stream is the same
    /// however it is walked.
    pub(crate) fn nth(&mut self, mut n: usize) -> Option<Duration> {
        while n > 0 && self.remaining() != Some(0) {
            if self.jitter == Kind::None && self.growth.settled() {
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
        let mut growth = self.growth;
        let step = growth.next_step(&self.cap).as_nanos();
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
            self.count_from(self.drawn() + skip as u32);
        }
        // At most `n`, so it fits.
        skip as usize
    }

    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        match (self.remaining(), self.flags & TOTAL != 0) {
            (Some(n), false) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                (n, Some(n))
            }
            (Some(n), true) => (0, usize::try_from(n).ok()),
            (None, false) => (usize::MAX, None),
            (None, true) => (0, None),
        }
    }

    /// The largest sum of delays the rest of this schedule could yield.
    pub(crate) fn worst_case_total(&self) -> Duration {
        let cap = self.cap.get();
        let mut steps = WorstSteps::new(self);
        let mut remaining = self.remaining();
        let mut sum = Duration::ZERO;
        let mut left = self.total_left();
        // An unjittered schedule stops before the step that would overflow the limit; a
        // jittered one can get arbitrarily close to the limit, so it is bounded by it.
        let exact = self.jitter == Kind::None;
        let mut counted = 0u32;
        while remaining != Some(0) {
            let step = steps.next(&self.cap);
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
enum WorstSteps<G> {
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
    fn new(engine: &Engine<G>) -> Self {
        match engine.jitter {
            Kind::Decorrelated => WorstSteps::Tripling {
                previous: engine.previous().max(engine.growth.initial()),
                at_cap: false,
            },
            Kind::Proportional => {
                WorstSteps::Widened { growth: engine.growth, millionths: engine.proportion() }
            }
            _ => WorstSteps::Growth(engine.growth),
        }
    }

    fn next(&mut self, cap: &Span) -> Duration {
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

impl<G: Copy> Engine<G> {
    /// What a schedule's `Clone` gives: an unseeded, jittered schedule gets its own random
    /// stream, so that one schedule cloned for many calls does not hand them all the same
    /// "random" delays. A seeded schedule clones its stream exactly, so seeded runs stay
    /// reproducible.
    #[inline]
    pub(crate) fn clone_schedule(&self) -> Self {
        let mut clone = *self;
        if self.flags & SEEDED == 0 && self.jitter != Kind::None {
            clone.seed = Word::new(fresh_seed());
        }
        clone
    }
}

/// Two schedules are equal when their settings and progress are; the random state is not
/// compared, since two unseeded schedules never share it.
impl<G: Growth> PartialEq for Engine<G> {
    fn eq(&self, other: &Self) -> bool {
        self.growth == other.growth
            && self.cap == other.cap
            && self.max_retries() == other.max_retries()
            && self.max_total() == other.max_total()
            && self.jitter() == other.jitter()
            && self.seed() == other.seed()
            && self.remaining() == other.remaining()
            && self.total_left() == other.total_left()
            && self.previous() == other.previous()
    }
}

impl<G: Growth> Debug for Engine<G> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("growth", &self.growth)
            .field("cap", &self.cap)
            .field("max_retries", &self.max_retries())
            .field("max_total", &self.max_total())
            .field("jitter", &self.jitter())
            .field("seed", &self.seed())
            .field("remaining", &self.remaining())
            .field("total_left", &self.total_left())
            .field("previous", &self.previous())
            .finish()
    }
}

impl<G: Growth> Engine<G> {
    /// The shared settings of a schedule's `Debug`, after its own: `max_delay` and
    /// `max_total_delay` are `None` when not set, `max_retries` is `forever` or a number.
    pub(crate) fn debug_settings(
        &self,
        d: &mut core::fmt::DebugStruct<'_, '_>,
    ) -> core::fmt::Result {
        let cap = self.cap.get();
        d.field("max_delay", &(cap != Duration::MAX).then_some(cap));
        match self.max_retries() {
            Some(n) => d.field("max_retries", &n),
            None => d.field("max_retries", &format_args!("forever")),
        };
        d.field("max_total_delay", &self.max_total())
            .field("jitter", &self.jitter())
            .field("seed", &self.seed())
            .finish()
    }
}

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
                self.engine.set_max_total(total);
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
            ///
            /// # Panics
            ///
            /// If `jitter` is `Proportional(p)` with a `p` that is NaN, not above 0, above 1,
            /// or below half a millionth, naming the value.
            #[inline]
            #[track_caller]
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
            /// timeouts: the unjittered sum, or with decorrelated or proportional jitter the
            /// sum of its largest draws, within `max_total_delay`. Saturates at `Duration::MAX` (an
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

        /// A clone continues from where this schedule is. Unseeded jitter gets its own
        /// random stream, so that one schedule cloned for many calls does not hand them
        /// all the same delays; a seeded schedule repeats its stream exactly.
        impl Clone for $ty {
            #[inline]
            fn clone(&self) -> Self {
                $ty { engine: self.engine.clone_schedule() }
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

    use super::super::engine::Step;
    use super::super::jitter;
    use crate::{Exponential, Fixed, Jitter};

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
                assert_eq!(s.engine.previous(), previous);
            }
        }
    }

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
