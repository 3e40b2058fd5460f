//! What a retry tells its operation and its caller: [`Attempt`], [`Report`] and [`Stop`].

use core::fmt;
use std::time::Duration;

/// What the operation can learn about the attempt it is making.
///
/// Handed to the operation by [`blocking::retry_with`](crate::blocking::retry_with) and
/// [`future::retry_with`](crate::future::retry_with).
///
/// ```
/// use persevere::{blocking, Fixed};
/// use std::time::Duration;
///
/// let mut seen = Vec::new();
/// let result: Result<(), &str> = blocking::retry_with(Fixed::new(Duration::ZERO).max_retries(2), |attempt| {
///     seen.push(attempt.number);
///     Err("still down")
/// })
/// .call();
/// assert!(result.is_err());
/// assert_eq!(seen, [1, 2, 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// Which attempt this is, starting at 1. Pass it downstream, or keep one idempotency key
    /// for every attempt of the same logical operation.
    pub number: u32,
    /// How long since the first attempt started.
    pub elapsed: Duration,
    /// The time left before `max_elapsed` runs out, if one is set: a deadline to pass on.
    pub time_left: Option<Duration>,
}

/// Why a retry stopped, as reported by `call_with_report` and to the give-up hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stop {
    /// An attempt succeeded.
    Succeeded,
    /// The error was not one to retry: `when` said no.
    NotRetryable,
    /// The schedule had no delay left.
    ScheduleExhausted,
    /// Waiting for the next delay would have passed `max_elapsed`.
    MaxElapsed,
    /// The shared [`RetryBudget`](crate::budget::RetryBudget) had no tokens left.
    BudgetExhausted,
    /// An enclosing retry is the sole retrying layer (`sole_layer`), so this one made a
    /// single attempt.
    OuterLayerRetries,
    /// A circuit breaker refused the call: its error said so through `when` (see
    /// [`BreakerError::verdict`](crate::breaker::BreakerError::verdict)).
    BreakerOpen,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stop::Succeeded => "succeeded",
            Stop::NotRetryable => "the error is not retryable",
            Stop::ScheduleExhausted => "no retries left",
            Stop::MaxElapsed => "the next delay would pass max_elapsed",
            Stop::BudgetExhausted => "the retry budget is exhausted",
            Stop::OuterLayerRetries => "an enclosing retry is the sole retrying layer",
            Stop::BreakerOpen => "the circuit breaker is open",
        })
    }
}

/// How a retry went: returned beside the result by `call_with_report`, and handed to the
/// give-up hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// How many times the operation ran.
    pub attempts: u32,
    /// The sum of the delays slept between attempts.
    pub slept: Duration,
    /// Why retrying stopped.
    pub stop: Stop,
}
