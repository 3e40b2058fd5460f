//! The same delay every time.

use core::time::Duration;

use super::engine::{Engine, Growth, Step};

/// The same delay between every attempt.
///
/// Defaults: no cap, [`DEFAULT_MAX_RETRIES`](super::DEFAULT_MAX_RETRIES) delays.
/// With [`Jitter::Decorrelated`](super::Jitter::Decorrelated) the delay becomes the lower
/// bound of a range that grows about x1.5 a step: that formula replaces the constant, so
/// set `max_delay` to bound it.
///
/// ```
/// use persevere::Fixed;
/// use std::time::Duration;
///
/// let delays: Vec<_> = Fixed::new(Duration::from_secs(1)).max_retries(2).collect();
/// assert_eq!(delays, [Duration::from_secs(1); 2]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fixed {
    pub(crate) engine: Engine<Law>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Law {
    pub(crate) delay: Duration,
    /// `delay` as jitter draws from it, converted once.
    step: Step,
}

impl Growth for Law {
    fn initial(&self) -> Duration {
        self.delay
    }

    #[inline(always)]
    fn next_step(&mut self, _cap: Duration, _cap_nanos: u64) -> Duration {
        // `max_delay` refuses a cap below the initial delay, which is this one.
        self.delay
    }

    #[inline(always)]
    fn next_nanos(&mut self, _cap: Duration, _cap_nanos: u64) -> Step {
        self.step
    }

    fn settled(&self) -> bool {
        true
    }
}

impl Fixed {
    /// A schedule that waits `delay` before each retry.
    #[inline]
    pub fn new(delay: Duration) -> Self {
        Fixed { engine: Engine::new(Law { delay, step: Step::of(delay) }) }
    }
}

super::engine::schedule_api!(Fixed, "Fixed::new(Duration::from_millis(100))");
