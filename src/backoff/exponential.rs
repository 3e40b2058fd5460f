//! `d_k = min(cap, initial * factor^k)`.

use core::time::Duration;

use super::Invalid;
use super::engine::{Engine, Growth};
use super::math::{nanos_f64, nanos_u64, scale};
use super::packed::{Span, Word};

/// Delays that grow by a constant factor: `initial`, `initial * factor`,
/// `initial * factor²`, … each capped by `max_delay`.
///
/// Defaults: factor 2, no cap, [`DEFAULT_MAX_RETRIES`](super::DEFAULT_MAX_RETRIES) delays.
/// Whole factors are computed exactly in integer nanoseconds; other factors in `f64`,
/// truncated to the nanosecond. Every computation saturates at [`Duration::MAX`].
///
/// With [`Jitter::Decorrelated`](super::Jitter::Decorrelated) the factor is not used: that
/// formula brings its own growth.
///
/// ```
/// use persevere::Exponential;
/// use std::time::Duration;
///
/// let ms = Duration::from_millis;
/// let delays: Vec<_> = Exponential::new(ms(100)).factor(3.0).max_delay(ms(1000)).max_retries(4).collect();
/// assert_eq!(delays, [ms(100), ms(300), ms(900), ms(1000)]);
/// ```
#[derive(Clone, PartialEq)]
pub struct Exponential {
    pub(crate) engine: Engine<Law>,
}

/// The unjittered sequence: `initial * factor^k`, capped.
///
/// Every field is canonical for the value it stands for, so the derived `PartialEq`
/// compares values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Law {
    initial: Span,
    /// The next step before the cap, in the form `kind` says: a word of nanoseconds
    /// (`Nanos`), a duration (`Wide`), the bits of `factor^k` (`Scale`), or zero (`Capped`).
    next: Span,
    /// A whole factor below 2^64 as an integer (`whole`), else the bits of the `f64`.
    factor: Word,
    /// Below this `next` is a `Nanos` step that is returned as it is and grows with one
    /// shift or multiply: the lower of the cap in nanoseconds and the first step whose
    /// growth would reach `u64::MAX` nanoseconds, and zero unless `kind` is `Nanos`. The hot
    /// path then asks one question where it would ask three (the form, the cap, overflow);
    /// the slow path tells them apart.
    stop: Word,
    kind: Kind,
    /// `log2(factor)` when the factor is a power of two above 1, else 0. A shift is a third
    /// of the latency of a multiply, and the step is a chain of these from one call to the
    /// next.
    shift: u8,
    whole: bool,
}

/// What `Law::next` holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Nanos,
    Wide,
    Scale,
    Capped,
}

/// The next unjittered step, before the cap, in the cheapest form that keeps it exact:
/// `Law::next` and `Law::kind` unpacked, for the code off the hot path.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Next {
    /// Whole factor, below `u64::MAX` nanoseconds (584 years): one shift or multiply a step.
    Nanos(u64),
    /// Whole factor, past that: `Duration` arithmetic, saturating at `Duration::MAX`.
    Wide(Duration),
    /// Fractional factor: `factor^k`, kept unrounded so that small delays still grow.
    Scale(f64),
    /// Every further step is the cap.
    Capped,
}

impl Next {
    #[inline]
    fn exact(step: Duration) -> Next {
        match nanos_u64(step) {
            Some(n) if n != u64::MAX => Next::Nanos(n),
            _ => Next::Wide(step),
        }
    }
}

/// The first `Nanos` step that must leave the hot path, for a whole factor and a cap.
#[inline(always)]
fn stop(whole: u64, shift: u8, cap: Span) -> u64 {
    // The largest step that grows without reaching u64::MAX, plus one; `whole` is at least 1.
    // A power of two shifts instead of dividing: a 64-bit division is most of what building
    // a schedule with a factor known only at run time costs.
    let growing = match (shift, whole) {
        (0, 1) => u64::MAX,
        (0, _) => (u64::MAX - 1) / whole + 1,
        _ => ((u64::MAX - 1) >> shift) + 1,
    };
    growing.min(cap.nanos_or_max())
}

impl Law {
    #[inline]
    fn new(initial: Duration) -> Self {
        let span = Span::of(initial);
        let (kind, next, stop) = match nanos_u64(initial) {
            // Without a cap (`Span::MAX`): the doubling limit alone.
            Some(n) if n != u64::MAX => (Kind::Nanos, Span::from_word(n), stop(2, 1, Span::MAX)),
            _ => (Kind::Wide, span, 0),
        };
        Law {
            initial: span,
            next,
            factor: Word::new(2),
            stop: Word::new(stop),
            kind,
            shift: 1,
            whole: true,
        }
    }

    pub(crate) fn factor(&self) -> f64 {
        if self.whole { self.factor.get() as f64 } else { f64::from_bits(self.factor.get()) }
    }

    fn next(&self) -> Next {
        match self.kind {
            Kind::Nanos => Next::Nanos(self.next.word()),
            Kind::Wide => Next::Wide(self.next.get()),
            Kind::Scale => Next::Scale(f64::from_bits(self.next.word())),
            Kind::Capped => Next::Capped,
        }
    }

    /// Stores `next` and the `stop` that goes with it.
    fn set_next(&mut self, next: Next, cap: Span) {
        (self.kind, self.next) = match next {
            Next::Nanos(n) => (Kind::Nanos, Span::from_word(n)),
            Next::Wide(d) => (Kind::Wide, Span::of(d)),
            Next::Scale(s) => (Kind::Scale, Span::from_word(s.to_bits())),
            Next::Capped => (Kind::Capped, Span::ZERO),
        };
        self.set_stop(cap);
    }

    #[inline(always)]
    fn set_stop(&mut self, cap: Span) {
        let stop =
            if self.kind == Kind::Nanos { stop(self.factor.get(), self.shift, cap) } else { 0 };
        self.stop = Word::new(stop);
    }

    /// Use `factor` from the next step on, keeping the position in the sequence.
    #[inline(always)]
    pub(crate) fn set_factor(&mut self, factor: f64, cap: Span) {
        // Below 2^63 a factor converts to an integer and back with one signed instruction
        // each way, where `as u64` takes a dozen; larger whole factors are rare enough for
        // the slow path, which takes them too.
        const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
        const MANTISSA: u64 = (1 << 52) - 1;
        if factor < TWO_TO_63 && self.kind != Kind::Scale {
            // A power of two (1, 2, 4, …) is read off its bits: its exponent is the shift,
            // found without a conversion or a bit scan.
            let bits = factor.to_bits();
            let power = (bits >> 52).wrapping_sub(1023);
            if bits & MANTISSA == 0 && power < 63 {
                self.set_whole(1 << power, power as u8, cap);
                return;
            }
            let whole = factor as i64;
            if whole as f64 == factor {
                // A whole factor keeps a step exact in whatever form it is: only the
                // factor's own fields change. The common case, and constant-folded for a
                // literal. `factor` is at least 1, so `whole` is positive, and not a power
                // of two (those were taken above), so it multiplies rather than shifts.
                self.set_whole(whole as u64, 0, cap);
                return;
            }
        }
        *self = self.set_factor_slow(factor, cap);
    }

    /// A whole factor, and its `log2` when it is a power of two above 1 (else 0).
    #[inline(always)]
    fn set_whole(&mut self, whole: u64, shift: u8, cap: Span) {
        self.factor = Word::new(whole);
        self.whole = true;
        self.shift = shift;
        self.set_stop(cap);
    }

    /// `set_factor` for a fractional factor, or from a fractional one: the pending step
    /// changes form. On a copy, as every out-of-line call of a law is.
    #[inline(never)]
    fn set_factor_slow(mut self, factor: f64, cap: Span) -> Self {
        let whole = factor as u64;
        let pending = match self.next() {
            Next::Capped => None,
            Next::Nanos(n) => Some(Duration::from_nanos(n)),
            Next::Wide(d) => Some(d),
            Next::Scale(s) => Some(scale(self.initial.get(), s)),
        };
        if whole as f64 == factor && whole != u64::MAX {
            let shift =
                if whole > 1 && whole.is_power_of_two() { whole.trailing_zeros() } else { 0 };
            self.set_whole(whole, shift as u8, cap);
            if let Some(pending) = pending {
                self.set_next(Next::exact(pending), cap);
            }
            return self;
        }
        let was_scale = self.kind == Kind::Scale;
        self.factor = Word::new(factor.to_bits());
        self.whole = false;
        self.shift = 0;
        let Some(pending) = pending else { return self };
        if was_scale {
            // Already `factor^k`, which the new factor carries on from.
            return self;
        }
        let initial = self.initial.get();
        let scale = if pending == initial { 1.0 } else { nanos_f64(pending) / nanos_f64(initial) };
        self.set_next(Next::Scale(scale), cap);
        self
    }

    /// The steps `full_step` does not take inline: crossing u64 nanoseconds, and fractional
    /// factors. On a copy, returned with the step; the cap comes as a `Duration`, which is
    /// passed in registers where a packed `Span` is passed through memory, stored again
    /// before every step that might make the call.
    #[cold]
    #[inline(never)]
    fn next_step_slow(mut self, cap: Duration) -> (Self, Duration) {
        let (cap, cap_span) = (cap, Span::of(cap));
        let step = match self.next() {
            Next::Capped => return (self, cap),
            Next::Nanos(n) => Duration::from_nanos(n),
            Next::Wide(d) => d,
            Next::Scale(s) => scale(self.initial.get(), s),
        };
        if step >= cap {
            self.set_next(Next::Capped, cap_span);
            return (self, cap);
        }
        let factor = self.factor();
        let next = match self.next() {
            Next::Scale(s) => Next::Scale(s * factor),
            _ => Next::exact(scale(step, factor)),
        };
        self.set_next(next, cap_span);
        (self, step)
    }

    /// The step after `n` nanoseconds, below `stop`: one shift or multiply, no overflow.
    #[inline(always)]
    fn grow(&self, n: u64) -> u64 {
        if self.shift != 0 { n << self.shift } else { n * self.factor.get() }
    }
}

impl Growth for Law {
    #[inline]
    fn initial(&self) -> Duration {
        self.initial.get()
    }

    #[inline]
    fn set_cap(&mut self, cap: Span) {
        self.set_stop(cap);
    }

    #[inline(always)]
    fn quick_nanos(&mut self) -> Option<u64> {
        let n = self.next.word();
        if n < self.stop.get() {
            // A `Nanos` step below the cap whose growth fits.
            self.next.set_word(self.grow(n));
            return Some(n);
        }
        None
    }

    // Always inlined: the cap is one question, the rare cases are behind a call.
    #[inline(always)]
    fn full_step(&mut self, cap: Span) -> Duration {
        if self.kind == Kind::Capped {
            return cap.get();
        }
        if self.kind == Kind::Nanos && self.next.word() >= cap.nanos_or_max() {
            // Reaching the cap, once per schedule: `set_next(Next::Capped)` without a call,
            // which would take the schedule's address.
            (self.kind, self.next, self.stop) = (Kind::Capped, Span::ZERO, Word::new(0));
            return cap.get();
        }
        let step;
        (*self, step) = self.next_step_slow(cap.get());
        step
    }

    fn settled(&self) -> bool {
        // Zero times any factor stays zero.
        self.kind == Kind::Capped || self.factor() == 1.0 || self.initial.get().is_zero()
    }
}

impl Engine<Law> {
    /// `Law::set_factor` with this schedule's cap.
    #[inline]
    pub(crate) fn set_factor(&mut self, factor: f64) {
        let cap = self.cap_span();
        self.growth.set_factor(factor, cap);
    }
}

impl Exponential {
    /// A schedule that starts at `initial` and doubles.
    #[inline]
    pub fn new(initial: Duration) -> Self {
        Exponential { engine: Engine::new(Law::new(initial)) }
    }

    /// Multiply each delay by `factor` (default 2; 1 gives a constant delay).
    ///
    /// # Panics
    ///
    /// If `factor` is NaN, infinite or below 1, naming the value.
    #[inline(always)]
    #[track_caller]
    pub fn factor(mut self, factor: f64) -> Self {
        match Invalid::check_factor(factor) {
            Ok(factor) => self.engine.set_factor(factor),
            Err(e) => super::refuse(e),
        }
        self
    }
}

super::engine::schedule_api!(
    Exponential,
    "Exponential::new(Duration::from_millis(100))",
    "exponential",
    "initial",
    {
        fn factor(&self) -> Option<f64> {
            Some(self.engine.growth.factor())
        }

        fn set_factor(&mut self, factor: f64) -> bool {
            self.engine.set_factor(factor);
            true
        }
    }
);
