//! What a guarded call returns when the breaker refuses it or the call itself fails.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use super::State;

/// A call the breaker refused without running it.
///
/// [`retry_after`](Rejected::retry_after) says how long until the breaker will let a call
/// through again, so a retry can wait exactly that long, or stop if it is too long.
///
/// ```
/// use persevere::breaker::{CircuitBreaker, State};
/// use persevere::clock::ManualClock;
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let breaker = CircuitBreaker::builder()
///     .consecutive_failures(1)
///     .break_duration(Duration::from_secs(10))
///     .clock(clock.clone())
///     .build();
/// let _ = breaker.call(|| Err::<(), _>("down"));
///
/// clock.advance(Duration::from_secs(4));
/// let rejected = breaker.try_acquire().unwrap_err();
/// assert_eq!(rejected.retry_after(), Duration::from_secs(6));
/// assert_eq!(rejected.state(), State::Open);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub(crate) retry_after: Duration,
    pub(crate) state: State,
}

impl Rejected {
    /// How long until a call may be let through.
    ///
    /// While open, this is the rest of the break duration. While half-open with every probe
    /// slot taken, it is the full break duration: what a caller would face if the probes in
    /// flight fail (if they succeed the breaker closes sooner).
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// The state that refused the call: [`State::Open`] or [`State::HalfOpen`].
    pub fn state(&self) -> State {
        self.state
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.state {
            State::HalfOpen => write!(
                f,
                "circuit breaker is half-open and its probe calls are all in flight; retry in {:?}",
                self.retry_after
            ),
            _ => write!(f, "circuit breaker is open; next probe in {:?}", self.retry_after),
        }
    }
}

impl Error for Rejected {}

/// The error of a call made through a [`CircuitBreaker`](super::CircuitBreaker): either the
/// breaker refused it, or it ran and returned its own error.
///
/// `Display` and `source` pass through to the call's error, so `?` and error reporters show
/// the real cause.
///
/// ```
/// use persevere::breaker::{BreakerError, CircuitBreaker};
///
/// let breaker = CircuitBreaker::new();
/// let err = breaker.call(|| Err::<(), _>("timed out")).unwrap_err();
/// assert_eq!(err.retry_after(), None);
/// assert_eq!(err.into_inner(), Some("timed out"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreakerError<E> {
    /// The breaker refused the call; the operation did not run.
    Rejected(Rejected),
    /// The operation ran and failed with this error.
    Inner(E),
}

impl<E> BreakerError<E> {
    /// How long until the breaker lets a call through, if this is a rejection.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            BreakerError::Rejected(r) => Some(r.retry_after),
            BreakerError::Inner(_) => None,
        }
    }

    /// What a retry's `when` hook should say of this error: a call the breaker refused
    /// stops the retry ([`Stop::BreakerOpen`](crate::Stop::BreakerOpen): logged, counted
    /// and handed to the give-up hook as such), and the operation's own error is judged by
    /// `inner`.
    ///
    /// ```
    /// use persevere::breaker::{BreakerError, CircuitBreaker};
    /// use persevere::{blocking, Fixed, Stop};
    /// use std::time::Duration;
    ///
    /// let breaker = CircuitBreaker::builder().consecutive_failures(2).build();
    /// let (result, report) = blocking::retry(Fixed::new(Duration::ZERO).max_retries(5), || {
    ///     breaker.call(|| Err::<(), _>("503"))
    /// })
    /// .when(|e: &BreakerError<&str>| e.verdict(|inner| *inner == "503"))
    /// .call_with_report();
    /// // Two failures open the breaker; the third call is refused and the retry stops.
    /// assert!(matches!(result, Err(BreakerError::Rejected(_))));
    /// assert_eq!((report.attempts, report.stop), (3, Stop::BreakerOpen));
    /// ```
    pub fn verdict<R: crate::hooks::Verdict>(
        &self,
        inner: impl FnOnce(&E) -> R,
    ) -> Result<crate::budget::RetryKind, crate::Stop> {
        match self {
            BreakerError::Rejected(_) => Err(crate::Stop::BreakerOpen),
            BreakerError::Inner(e) => crate::hooks::Verdict::kind(inner(e)),
        }
    }

    /// The operation's own error, if it ran.
    pub fn into_inner(self) -> Option<E> {
        match self {
            BreakerError::Rejected(_) => None,
            BreakerError::Inner(e) => Some(e),
        }
    }
}

impl<E> From<Rejected> for BreakerError<E> {
    fn from(rejected: Rejected) -> Self {
        BreakerError::Rejected(rejected)
    }
}

impl<E: fmt::Display> fmt::Display for BreakerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakerError::Rejected(r) => r.fmt(f),
            BreakerError::Inner(e) => e.fmt(f),
        }
    }
}

impl<E: Error> Error for BreakerError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            BreakerError::Rejected(_) => None,
            // Display already shows `e`, so the chain continues below it, not at it.
            BreakerError::Inner(e) => e.source(),
        }
    }
}
