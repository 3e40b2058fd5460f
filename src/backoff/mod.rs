//! Backoff schedules: how long to wait between attempts.
//!
//! [`Exponential`], [`Fixed`] and [`Fibonacci`] are `Clone` iterators of [`Duration`]s with
//! the same chainable setters: `max_delay` (the cap), `max_retries` (how many delays;
//! [`DEFAULT_MAX_RETRIES`] unless set), `forever` (no count limit) and `max_total_delay`.
//! `jitter` and `seed` turn one into a [`Jittered`] schedule, which has the same setters
//! and keeps the random state. A schedule of `n` delays allows `n + 1` attempts.
//!
//! Every schedule also has a text form for configuration files and environment variables:
//! `Display` prints it and `FromStr` reads it back.
//!
//! ```
//! # #[cfg(feature = "std")] fn main() -> Result<(), persevere::ParseError> {
//! use persevere::{Exponential, Jittered};
//! use std::time::Duration;
//!
//! let from_env = "exponential(initial=100ms, factor=2, max_delay=5s, max_retries=6, jitter=full)";
//! let schedule: Jittered<Exponential> = from_env.parse()?;
//! assert_eq!(schedule.to_string(), from_env);
//! assert!(schedule.worst_case_total() <= Duration::from_millis(100 + 200 + 400 + 800 + 1600 + 3200));
//! # Ok(()) }
//! # #[cfg(not(feature = "std"))] fn main() {}
//! ```
//!
//! Delay math saturates: any setting, any number of steps, gives a delay between zero and
//! [`Duration::MAX`], never a panic or a wrapped value.

use core::fmt;
use core::time::Duration;

mod engine;
mod exponential;
mod fibonacci;
mod fixed;
mod jitter;
pub(crate) mod jittered;
mod math;
mod packed;
mod schedule;
#[cfg(feature = "serde")]
pub(crate) mod serde;
#[cfg(feature = "std")]
pub(crate) mod text;

pub use engine::DEFAULT_MAX_RETRIES;
pub use exponential::Exponential;
pub use fibonacci::Fibonacci;
pub use fixed::Fixed;
pub use jitter::{Jitter, Proportion};
pub use jittered::{Jittered, Unjittered};
pub use schedule::Schedule;
#[cfg(feature = "std")]
pub use text::ParseError;

/// A setting no schedule accepts; setters panic with its message, parsing returns it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Invalid {
    Factor(f64),
    CapBelowInitial { cap: Duration, initial: Duration },
    Proportion(f64),
}

/// Panics with the message of a setting a setter refused. Out of line, so that the setters
/// inline into a few stores with one branch here.
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn refuse(invalid: Invalid) -> ! {
    panic!("{invalid}")
}

impl Invalid {
    #[inline]
    pub(crate) fn check_factor(factor: f64) -> Result<f64, Invalid> {
        // `>= 1.0` is false for NaN, so one comparison refuses both.
        if factor >= 1.0 && factor.is_finite() { Ok(factor) } else { Err(Invalid::Factor(factor)) }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Factor(x) => {
                write!(f, "invalid factor {x}: expected a finite number of at least 1")
            }
            Invalid::Proportion(x) => write!(
                f,
                "invalid jitter proportion {x}: expected a fraction above 0 and at most 1 \
                 that is at least 0.000001 once rounded to millionths"
            ),
            Invalid::CapBelowInitial { cap, initial } => {
                write!(f, "invalid max_delay {cap:?}: it is below the initial delay {initial:?}")
            }
        }
    }
}
