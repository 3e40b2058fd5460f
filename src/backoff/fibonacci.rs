//! `initial, initial, 2 * initial, 3 * initial, 5 * initial, …`, capped.

use core::time::Duration;

use super::engine::{Engine, Growth};

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

/// Two consecutive terms, `current` being the next step.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Law {
    pub(crate) initial: Duration,
    current: Duration,
    next: Duration,
    at_cap: bool,
}

impl Growth for Law {
    fn initial(&self) -> Duration {
        self.initial
    }

    #[inline]
    fn next_step(&mut self, cap: Duration) -> Duration {
        if self.current >= cap {
            self.at_cap = true;
            return cap;
        }
        let step = self.current;
        let after = self.current.saturating_add(self.next);
        self.current = self.next;
        self.next = after;
        step
    }

    fn settled(&self) -> bool {
        self.at_cap || self.initial.is_zero()
    }
}

impl Fibonacci {
    /// A schedule that starts at `initial` and follows the Fibonacci numbers.
    pub fn new(initial: Duration) -> Self {
        Fibonacci {
            engine: Engine::new(Law { initial, current: initial, next: initial, at_cap: false }),
        }
    }
}

super::engine::schedule_api!(Fibonacci, "Fibonacci::new(Duration::from_millis(100))");
