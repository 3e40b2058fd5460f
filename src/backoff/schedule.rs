//! One type for whichever schedule a configuration names.

#[cfg(feature = "std")]
use core::fmt;
use core::iter::FusedIterator;
use core::time::Duration;

use super::{Exponential, Fibonacci, Fixed, Jittered};

/// Any of the three schedules, chosen at run time: what a configuration file or an
/// environment variable holds when it may name any of them.
///
/// It is a schedule itself (an `Iterator` of the inner schedule's delays, fused, with its
/// `size_hint` and `nth`), prints as the inner schedule does, and parses the text form of
/// any of the three, with or without jitter: each variant holds a [`Jittered`] schedule,
/// and `From` takes one with or without jitter. With the `serde` feature it, like each schedule, is `Serialize` and
/// `Deserialize` as that text: `retry = "exponential(initial=100ms, max_retries=5)"`.
///
/// ```
/// # #[cfg(feature = "std")] fn main() -> Result<(), persevere::ParseError> {
/// use persevere::{Fixed, Schedule};
/// use std::time::Duration;
///
/// let schedule: Schedule = "fixed(delay=1s, max_retries=2)".parse()?;
/// assert_eq!(schedule, Schedule::from(Fixed::new(Duration::from_secs(1)).max_retries(2)));
/// assert_eq!(schedule.to_string(), "fixed(delay=1s, max_retries=2)");
/// assert_eq!(schedule.collect::<Vec<_>>(), [Duration::from_secs(1); 2]);
///
/// let err = "linear(step=1s)".parse::<Schedule>().unwrap_err();
/// assert_eq!((err.position(), err.token()), (0, "linear"));
/// # Ok(()) }
/// # #[cfg(not(feature = "std"))] fn main() {}
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// An [`Exponential`] schedule: `exponential(initial=…, …)`.
    Exponential(Jittered<Exponential>),
    /// A [`Fixed`] schedule: `fixed(delay=…, …)`.
    Fixed(Jittered<Fixed>),
    /// A [`Fibonacci`] schedule: `fibonacci(initial=…, …)`.
    Fibonacci(Jittered<Fibonacci>),
}

/// Forwards `$body` to whichever schedule `$self` holds, as `$s`.
macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            Schedule::Exponential($s) => $body,
            Schedule::Fixed($s) => $body,
            Schedule::Fibonacci($s) => $body,
        }
    };
}

impl Schedule {
    /// The largest sum of delays the rest of this schedule could yield; see
    /// [`Exponential::worst_case_total`].
    ///
    /// ```
    /// use persevere::{Fibonacci, Schedule};
    /// use std::time::Duration;
    ///
    /// let schedule = Schedule::from(Fibonacci::new(Duration::from_millis(10)).max_retries(4));
    /// assert_eq!(schedule.worst_case_total(), Duration::from_millis(10 + 10 + 20 + 30));
    /// ```
    pub fn worst_case_total(&self) -> Duration {
        each!(self, s => s.worst_case_total())
    }
}

impl Iterator for Schedule {
    type Item = Duration;

    #[inline]
    fn next(&mut self) -> Option<Duration> {
        each!(self, s => s.next())
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        each!(self, s => s.size_hint())
    }

    fn nth(&mut self, n: usize) -> Option<Duration> {
        each!(self, s => s.nth(n))
    }
}

impl FusedIterator for Schedule {}

/// Prints the inner schedule's text form, which [`FromStr`](core::str::FromStr) reads back.
#[cfg(feature = "std")]
impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(self, s => fmt::Display::fmt(s, f))
    }
}

/// `From` each schedule, with or without jitter.
macro_rules! from_schedule {
    ($($ty:ident),*) => {$(
        impl From<$ty> for Schedule {
            fn from(s: $ty) -> Schedule {
                Schedule::$ty(Jittered::from(s))
            }
        }

        impl From<Jittered<$ty>> for Schedule {
            fn from(s: Jittered<$ty>) -> Schedule {
                Schedule::$ty(s)
            }
        }
    )*};
}

from_schedule!(Exponential, Fixed, Fibonacci);
