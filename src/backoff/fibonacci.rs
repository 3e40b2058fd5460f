//! `initial, initial, 2 * initial, 3 * initial, 5 * initial, …`, capped.

use core::time::Duration;

use super::engine::{Engine, Growth, Step};
use super::math::nanos_u64;

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
#[derive(Clone, Debug, PartialEq)]
pub struct Fibonacci {
    pub(crate) engine: Engine<Law>,
}

/// Two consecutive terms, the first being the next step.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Law {
    pub(crate) initial: Duration,
    /// The terms in nanoseconds while both are below `u64::MAX` (584 years): one add a
    /// step. `current` is `u64::MAX` once past that, and the terms are in `wide`.
    current: u64,
    next: u64,
    /// The terms past u64 nanoseconds, saturating at `Duration::MAX`.
    wide: (Duration, Duration),
    /// Whether the last step was the cap; the terms wait there, so a later, higher cap
    /// resumes them.
    at_cap: bool,
}

impl Law {
    #[inline]
    fn new(initial: Duration) -> Self {
        let mut law = Law { initial, current: 0, next: 0, wide: (initial, initial), at_cap: false };
        match nanos_u64(initial) {
            Some(n) if n != u64::MAX => (law.current, law.next) = (n, n),
            _ => law.current = u64::MAX,
        }
        law
    }

    /// The steps past u64 nanoseconds: `Duration` arithmetic.
    #[cold]
    fn next_wide(&mut self, cap: Duration) -> Duration {
        if self.current != u64::MAX {
            // The next term would reach u64::MAX nanoseconds: carry on in `Duration`s.
            self.wide = (Duration::from_nanos(self.current), Duration::from_nanos(self.next));
            self.current = u64::MAX;
        }
        let (current, next) = self.wide;
        if current >= cap {
            self.at_cap = true;
            return cap;
        }
        self.wide = (next, current.saturating_add(next));
        current
    }
}

impl Growth for Law {
    fn initial(&self) -> Duration {
        self.initial
    }

    // Always inlined: a few instructions, with the rare cases behind a call.
    #[inline(always)]
    fn next_step(&mut self, cap: Duration, cap_nanos: u64) -> Duration {
        let (current, next) = (self.current, self.next);
        if current < cap_nanos {
            return match current.checked_add(next) {
                Some(after) if after != u64::MAX => {
                    (self.current, self.next) = (next, after);
                    Duration::from_nanos(current)
                }
                _ => self.next_wide(cap),
            };
        }
        if current != u64::MAX {
            // `current` is a real term, so the cap fits in u64 nanoseconds and is reached.
            self.at_cap = true;
            return cap;
        }
        self.next_wide(cap)
    }

    /// `next_step`, but the step stays in nanoseconds for jitter to draw from.
    #[inline(always)]
    fn next_nanos(&mut self, cap: Duration, cap_nanos: u64) -> Step {
        let (current, next) = (self.current, self.next);
        if current < cap_nanos {
            if let Some(after) = current.checked_add(next) {
                if after != u64::MAX {
                    (self.current, self.next) = (next, after);
                    return Step::Nanos(current);
                }
            }
        }
        Step::of(self.next_step(cap, cap_nanos))
    }

    fn settled(&self) -> bool {
        self.at_cap || self.initial.is_zero()
    }
}

impl Fibonacci {
    /// A schedule that starts at `initial` and follows the Fibonacci numbers.
    #[inline]
    pub fn new(initial: Duration) -> Self {
        Fibonacci { engine: Engine::new(Law::new(initial)) }
    }
}

super::engine::schedule_api!(Fibonacci, "Fibonacci::new(Duration::from_millis(100))");
