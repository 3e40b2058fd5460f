//! The same delay every time.

use core::time::Duration;

use super::engine::{Engine, Growth};
use super::packed::Span;

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
#[derive(Clone, PartialEq)]
pub struct Fixed {
    pub(crate) engine: Engine<Law>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Law {
    delay: Span,
}

impl Growth for Law {
    #[inline]
    fn initial(&self) -> Duration {
        self.delay.get()
    }

    #[inline]
    fn set_cap(&mut self, _cap: Span) {
        // `max_delay` refuses a cap below the initial delay, which is this one.
    }

    #[inline(always)]
    fn full_step(&mut self, _cap: Span) -> Duration {
        self.delay.get()
    }

    fn settled(&self) -> bool {
        true
    }
}

impl Fixed {
    /// A schedule that waits `delay` before each retry.
    #[inline]
    pub fn new(delay: Duration) -> Self {
        Fixed { engine: Engine::new(Law { delay: Span::of(delay) }) }
    }
}

super::engine::schedule_api!(Fixed, "Fixed::new(Duration::from_millis(100))", "fixed", "delay", {});
