//! `initial, initial, 2 * initial, 3 * initial, 5 * initial, …`, capped.

use core::time::Duration;

use super::engine::{Engine, Growth};
use super::math::nanos_u64;
use super::packed::{Span, Word};

/// Delays that follow the Fibonacci numbers: `initial`, `initial`, `2 * initial`,
/// `3 * initial`, `5 * initial`, … each capped by `max_delay`.
///
/// Growth is gentler than doubling (about x1.618 a step) and computed exactly in integer
/// nanoseconds, saturating at [`Duration::MAX`].
/// Defaults: no cap, [`DEFAULT_MAX_RETRIES`](super::DEFAULT_MAX_RETRIES) delays.
/// With [`Jitter::Decorrelated`](super::Jitter::Decorrelated) the sequence is not used: that
/// formula brings its own growth.
///
/// ```
/// use persevere::Fibonacci;
/// use std::time::Duration;
///
/// let ms = Duration::from_millis;
/// let delays: Vec<_> = Fibonacci::new(ms(10)).max_retries(6).collect();
/// assert_eq!(delays, [ms(10), ms(10), ms(20), ms(30), ms(50), ms(80)]);
/// ```
#[derive(Clone, PartialEq)]
pub struct Fibonacci {
    pub(crate) engine: Engine<Law>,
}

/// Two consecutive terms, the first being the next step.
///
/// Every field is canonical for the value it stands for, so the derived `PartialEq`
/// compares values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Law {
    initial: Span,
    /// The terms: words of nanoseconds while both are below `u64::MAX` (584 years), one
    /// add a step; exact durations once past that (`wide`), saturating at `Duration::MAX`.
    current: Span,
    next: Span,
    /// While the terms are words, the lower of the cap in nanoseconds and [`WORD_LIMIT`];
    /// zero once they are wide. Below it, `current` is not yet the cap and the next term
    /// fits a word, so the hot path asks one question.
    stop: Word,
    wide: bool,
    /// Whether the last step was the cap; the terms wait there, so a later, higher cap
    /// resumes them.
    at_cap: bool,
}

/// Where the terms leave the hot path if no cap stops them first: below it, a term plus
/// the next (which is at most twice the term) stays below `u64::MAX`, so the sum needs no
/// overflow check. About 195 years of nanoseconds.
const WORD_LIMIT: u64 = u64::MAX / 3;

impl Law {
    #[inline]
    fn new(initial: Duration) -> Self {
        let span = Span::of(initial);
        match nanos_u64(initial) {
            Some(n) if n != u64::MAX => Law {
                initial: span,
                current: Span::from_word(n),
                next: Span::from_word(n),
                stop: Word::new(WORD_LIMIT),
                wide: false,
                at_cap: false,
            },
            _ => Law {
                initial: span,
                current: span,
                next: span,
                stop: Word::new(0),
                wide: true,
                at_cap: false,
            },
        }
    }

    /// The steps past u64 nanoseconds: `Duration` arithmetic. On a copy, returned with
    /// the step, as every out-of-line call of a law is, and with the cap as a `Duration`,
    /// which goes in registers.
    #[cold]
    #[inline(never)]
    fn next_wide(mut self, cap: Duration) -> (Self, Duration) {
        if !self.wide {
            // The next term would reach u64::MAX nanoseconds: carry on in `Duration`s.
            self.current = Span::of(Duration::from_nanos(self.current.word()));
            self.next = Span::of(Duration::from_nanos(self.next.word()));
            self.wide = true;
            self.stop = Word::new(0);
        }
        let (current, next) = (self.current.get(), self.next.get());
        if current >= cap {
            self.at_cap = true;
            return (self, cap);
        }
        (self.current, self.next) = (Span::of(next), Span::of(current.saturating_add(next)));
        (self, current)
    }
}

impl Growth for Law {
    #[inline]
    fn initial(&self) -> Duration {
        self.initial.get()
    }

    #[inline]
    fn set_cap(&mut self, cap: Span) {
        if !self.wide {
            self.stop = Word::new(cap.nanos_or_max().min(WORD_LIMIT));
        }
    }

    #[inline(always)]
    fn quick_nanos(&mut self) -> Option<u64> {
        let current = self.current.word();
        if current < self.stop.get() {
            let next = self.next.word();
            self.current.set_word(next);
            self.next.set_word(current + next);
            return Some(current);
        }
        None
    }

    // Always inlined: the cap is one question, the rare cases are behind a call.
    #[inline(always)]
    fn full_step(&mut self, cap: Span) -> Duration {
        let stop = self.stop.get();
        if !self.wide && stop < WORD_LIMIT {
            // The stop is the cap, and `current` a real term at or above it: reached.
            self.at_cap = true;
            return cap.get();
        }
        // Past the word limit: the rest in `Duration`s, which compare with the cap too.
        let step;
        (*self, step) = self.next_wide(cap.get());
        step
    }

    fn settled(&self) -> bool {
        self.at_cap || self.initial.get().is_zero()
    }
}

impl Fibonacci {
    /// A schedule that starts at `initial` and follows the Fibonacci numbers.
    #[inline]
    pub fn new(initial: Duration) -> Self {
        Fibonacci { engine: Engine::new(Law::new(initial)) }
    }
}

super::engine::schedule_api!(
    Fibonacci,
    "Fibonacci::new(Duration::from_millis(100))",
    "fibonacci",
    "initial",
    {}
);
