//! `d_k = min(cap, initial * factor^k)`.

use core::time::Duration;

use super::Invalid;
use super::engine::{Engine, Growth, Step};
use super::math::{nanos_f64, nanos_u64, scale};

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
#[derive(Clone, Debug, PartialEq)]
pub struct Exponential {
    pub(crate) engine: Engine<Law>,
}

/// The unjittered sequence: `initial * factor^k`, capped.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Law {
    pub(crate) initial: Duration,
    pub(crate) factor: f64,
    /// `factor` as an integer when it is a whole number below 2^64, else 0.
    whole: u64,
    /// `log2(whole)` when `whole` is a power of two above 1, else 0. A shift is a third of
    /// the latency of a multiply, and the step is a chain of these from one call to the next.
    shift: u32,
    /// The largest step that grows without reaching `u64::MAX` nanoseconds.
    limit: u64,
    next: Next,
}

/// The next unjittered step, before the cap, in the cheapest form that keeps it exact.
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

impl Law {
    #[inline]
    fn new(initial: Duration) -> Self {
        let mut law =
            Law { initial, factor: 1.0, whole: 1, shift: 0, limit: 0, next: Next::exact(initial) };
        law.set_factor(2.0);
        law
    }

    /// Use `factor` from the next step on, keeping the position in the sequence.
    #[inline]
    pub(crate) fn set_factor(&mut self, factor: f64) {
        self.factor = factor;
        let whole = factor as u64;
        // `as` saturates, so 2^64 and above never pass as whole numbers.
        self.whole = if whole as f64 == factor && whole != u64::MAX { whole } else { 0 };
        self.shift = if self.whole > 1 && self.whole.is_power_of_two() {
            self.whole.trailing_zeros()
        } else {
            0
        };
        self.limit = (u64::MAX - 1).checked_div(self.whole).unwrap_or(0);
        let pending = match self.next {
            Next::Capped => return,
            Next::Nanos(n) => Duration::from_nanos(n),
            Next::Wide(d) => d,
            Next::Scale(_) if self.whole == 0 => return,
            Next::Scale(s) => scale(self.initial, s),
        };
        self.next = if self.whole != 0 {
            Next::exact(pending)
        } else if pending == self.initial {
            Next::Scale(1.0)
        } else {
            Next::Scale(nanos_f64(pending) / nanos_f64(self.initial))
        };
    }

    /// Every step `next_step` does not take in a few instructions: reaching the cap,
    /// crossing u64 nanoseconds, and fractional factors.
    #[cold]
    fn next_step_slow(&mut self, cap: Duration) -> Duration {
        let step = match self.next {
            Next::Capped => return cap,
            Next::Nanos(n) => Duration::from_nanos(n),
            Next::Wide(d) => d,
            Next::Scale(s) => scale(self.initial, s),
        };
        if step >= cap {
            self.next = Next::Capped;
            return cap;
        }
        self.next = match self.next {
            Next::Scale(s) => Next::Scale(s * self.factor),
            _ => Next::exact(scale(step, self.factor)),
        };
        step
    }
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

impl Growth for Law {
    fn initial(&self) -> Duration {
        self.initial
    }

    // Always inlined: a few instructions, with the rare cases behind a call.
    #[inline(always)]
    fn next_step(&mut self, cap: Duration, cap_nanos: u64) -> Duration {
        match self.next {
            Next::Nanos(n) => {
                // `n` is below u64::MAX, so this is exact even when the cap is not
                // representable in u64 nanoseconds (`cap_nanos` is then u64::MAX).
                if n >= cap_nanos {
                    self.next = Next::Capped;
                    return cap;
                }
                if n > self.limit {
                    return self.next_step_slow(cap);
                }
                // Neither overflows: `n <= limit`.
                let grown = if self.shift != 0 { n << self.shift } else { n * self.whole };
                self.next = Next::Nanos(grown);
                Duration::from_nanos(n)
            }
            Next::Capped => cap,
            _ => self.next_step_slow(cap),
        }
    }

    /// `next_step`, but the step stays in nanoseconds for jitter to draw from.
    #[inline(always)]
    fn next_nanos(&mut self, cap: Duration, cap_nanos: u64) -> Step {
        if let Next::Nanos(n) = self.next {
            if n < cap_nanos && n <= self.limit {
                let grown = if self.shift != 0 { n << self.shift } else { n * self.whole };
                self.next = Next::Nanos(grown);
                return Step::Nanos(n);
            }
        }
        Step::of(self.next_step(cap, cap_nanos))
    }

    fn settled(&self) -> bool {
        // Zero times any factor stays zero.
        self.next == Next::Capped || self.factor == 1.0 || self.initial.is_zero()
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
    #[inline]
    #[track_caller]
    pub fn factor(mut self, factor: f64) -> Self {
        match Invalid::check_factor(factor) {
            Ok(factor) => self.engine.growth.set_factor(factor),
            Err(e) => super::refuse(e),
        }
        self
    }
}

super::engine::schedule_api!(Exponential, "Exponential::new(Duration::from_millis(100))");
