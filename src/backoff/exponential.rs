//! `d_k = min(cap, initial * factor^k)`.

use core::time::Duration;

use super::Invalid;
use super::engine::{Engine, Growth};
use super::math::scale;

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

/// The unjittered step: `initial * scale`, with `scale = factor^k` kept unrounded so that
/// small delays with fractional factors still grow.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Law {
    pub(crate) initial: Duration,
    pub(crate) factor: f64,
    scale: f64,
    at_cap: bool,
}

impl Growth for Law {
    fn initial(&self) -> Duration {
        self.initial
    }

    #[inline]
    fn next_step(&mut self, cap: Duration) -> Duration {
        if self.at_cap {
            return cap;
        }
        let step = scale(self.initial, self.scale);
        if step >= cap {
            self.at_cap = true;
            return cap;
        }
        self.scale *= self.factor;
        step
    }

    fn settled(&self) -> bool {
        self.at_cap || self.factor == 1.0
    }
}

impl Exponential {
    /// A schedule that starts at `initial` and doubles.
    pub fn new(initial: Duration) -> Self {
        Exponential { engine: Engine::new(Law { initial, factor: 2.0, scale: 1.0, at_cap: false }) }
    }

    /// Multiply each delay by `factor` (default 2; 1 gives a constant delay).
    ///
    /// # Panics
    ///
    /// If `factor` is NaN, infinite or below 1, naming the value.
    pub fn factor(mut self, factor: f64) -> Self {
        self.engine.growth.factor = Invalid::check_factor(factor).unwrap_or_else(|e| panic!("{e}"));
        self
    }
}

super::engine::schedule_api!(Exponential, "Exponential::new(Duration::from_millis(100))");
