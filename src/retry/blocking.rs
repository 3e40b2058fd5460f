//! Retrying on the current thread: [`retry`] and [`retry_with`].
//!
//! The loop is the async flavour's, compiled a second time with `async` and `.await`
//! stripped by maybe-async (`must_be_sync`); this module brings the blocking helpers it
//! calls: an attempt is a plain call inside the one-layer scope, and a sleep blocks the
//! thread.
//!
//! ```
//! use persevere::{blocking, Exponential};
//! use std::time::Duration;
//!
//! let mut attempts = 0;
//! let value = blocking::retry(Exponential::new(Duration::from_millis(1)), || {
//!     attempts += 1;
//!     if attempts < 3 { Err("not yet") } else { Ok(attempts) }
//! })
//! .call()?;
//! assert_eq!(value, 3);
//! # Ok::<(), &str>(())
//! ```

use std::fmt::Display;
use std::time::Duration;

use super::attempts::{JustResult, WithReport, retry_loop};
use super::builder::builder;
use super::decide::{Run, Step};
use super::hooks::{Hooks, RetryHooks, Unset};
use super::limits::{LimitSlot, Limits};
use super::{Attempt, Plain, Report, WithAttempt, scope};
use crate::clock::{Clock, SystemClock};

/// Retry `op` on the current thread, sleeping between attempts as `schedule` says.
///
/// `schedule` is any `IntoIterator<Item = Duration>`: one of the crate's schedules, an array
/// of delays, or an iterator chain. Configure with the builder methods, then run with
/// [`call`](Retry::call) (the op's result, its own error unchanged) or
/// [`call_with_report`](Retry::call_with_report) (also how it went).
///
/// ```
/// use persevere::{blocking, Fixed};
/// use std::{io, time::Duration};
///
/// let mut replies = vec![Ok("pong"), Err(io::Error::from(io::ErrorKind::TimedOut))];
/// let reply = blocking::retry(Fixed::new(Duration::from_millis(1)), || replies.pop().unwrap())
///     .when(|e| e.kind() == io::ErrorKind::TimedOut)
///     .call()?;
/// assert_eq!(reply, "pong");
/// # Ok::<(), io::Error>(())
/// ```
#[inline]
pub fn retry<S, Op, T, E>(schedule: S, op: Op) -> Retry<S::IntoIter, Plain<Op>, Hooks<E>>
where
    S: IntoIterator<Item = Duration>,
    Op: FnMut() -> Result<T, E>,
{
    Retry::new(schedule, Plain(op), Hooks::new(), Unset)
}

/// Like [`retry`], handing the operation an [`Attempt`]: its number and the time left
/// before `max_elapsed`.
///
/// ```
/// use persevere::{blocking, Fixed};
/// use std::time::Duration;
///
/// let key = "payment-42"; // one idempotency key for every attempt
/// let mut log = Vec::new();
/// let _ = blocking::retry_with(Fixed::new(Duration::ZERO).max_retries(1), |attempt| {
///     log.push(format!("{key} try {}", attempt.number));
///     Err::<(), _>("timeout")
/// })
/// .call();
/// assert_eq!(log, ["payment-42 try 1", "payment-42 try 2"]);
/// ```
#[inline]
pub fn retry_with<S, Op, T, E>(
    schedule: S,
    op: Op,
) -> Retry<S::IntoIter, WithAttempt<Op>, Hooks<E>, Limits>
where
    S: IntoIterator<Item = Duration>,
    Op: FnMut(Attempt) -> Result<T, E>,
{
    Retry::new(schedule, WithAttempt(op), Hooks::new(), Limits::default())
}

builder!(ThreadSleep, "run it with [`call`](Retry::call)");

impl<S, Op, H, L, Sl, C> Retry<S, Op, H, L, Sl, C> {
    /// Sleep with `sleep` instead of `std::thread::sleep`: to record delays in a test, to
    /// advance a [`ManualClock`](crate::clock::ManualClock), or to wait on a condition.
    ///
    /// ```
    /// use persevere::{blocking, Exponential};
    /// use std::time::Duration;
    ///
    /// let mut slept = Vec::new();
    /// let _ = blocking::retry(Exponential::new(Duration::from_secs(1)), || Err::<(), _>("down"))
    ///     .sleep(|d| slept.push(d))
    ///     .call();
    /// assert_eq!(slept, [1, 2, 4].map(Duration::from_secs));
    /// ```
    #[inline]
    pub fn sleep<Sl2: FnMut(Duration)>(self, sleep: Sl2) -> Retry<S, Op, H, L, Sl2, C> {
        self.with_sleep(sleep)
    }
}

impl<S, Op, H, L, Sl, C> Retry<S, Op, H, L, Sl, C>
where
    S: Iterator<Item = Duration>,
    Sl: Sleeper,
    C: Clock,
    L: LimitSlot,
{
    /// Run the retry: the first `Ok`, or the last error when retrying stops.
    #[inline]
    pub fn call<T, E>(self) -> Result<T, E>
    where
        Op: Operation<T, E>,
        H: RetryHooks<E>,
        E: Display,
    {
        attempts(self, JustResult)
    }

    /// Run the retry, and also report how many attempts ran, how long was slept and why
    /// retrying stopped.
    ///
    /// ```
    /// use persevere::{blocking, Fixed, Stop};
    /// use std::time::Duration;
    ///
    /// let (result, report) = blocking::retry(Fixed::new(Duration::from_millis(5)), || Err::<(), _>("down"))
    ///     .sleep(|_| {})
    ///     .call_with_report();
    /// assert_eq!(result, Err("down"));
    /// assert_eq!((report.attempts, report.slept, report.stop), (4, Duration::from_millis(15), Stop::ScheduleExhausted));
    /// ```
    #[inline]
    pub fn call_with_report<T, E>(self) -> (Result<T, E>, Report)
    where
        Op: Operation<T, E>,
        H: RetryHooks<E>,
        E: Display,
    {
        attempts(self, WithReport)
    }
}

/// One attempt, inside the one-layer scope when the retry is the sole layer; with whether it
/// timed out, which a blocking attempt never does.
macro_rules! attempt {
    ($retry:ident, $attempt:expr, $sole:expr) => {
        (scope::enter($sole, || $retry.op.start($attempt)), false)
    };
}
#[allow(unused_imports)] // used by the loop `retry_loop!` emits
use attempt;

retry_loop!(maybe_async::must_be_sync, attempts, Operation, attempt);

/// What a blocking retry can run: the closures [`retry`] and [`retry_with`] take.
///
/// Sealed: those two shapes are the only ones.
pub trait Operation<T, E>: sealed::Sealed {
    /// Whether the operation reads the [`Attempt`] it is handed; if not, and no
    /// `max_elapsed` is set, the clock is never read.
    #[doc(hidden)]
    const HANDS_ATTEMPT: bool;

    /// Runs one attempt.
    #[doc(hidden)]
    fn start(&mut self, attempt: Attempt) -> Result<T, E>;
}

impl<F: FnMut() -> Result<T, E>, T, E> Operation<T, E> for Plain<F> {
    const HANDS_ATTEMPT: bool = false;

    #[inline(always)]
    fn start(&mut self, _: Attempt) -> Result<T, E> {
        (self.0)()
    }
}

impl<F: FnMut(Attempt) -> Result<T, E>, T, E> Operation<T, E> for WithAttempt<F> {
    const HANDS_ATTEMPT: bool = true;

    #[inline(always)]
    fn start(&mut self, attempt: Attempt) -> Result<T, E> {
        (self.0)(attempt)
    }
}

/// The default sleep: `std::thread::sleep`, without the call for a zero delay.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadSleep;

/// How a blocking retry sleeps between attempts: [`ThreadSleep`], or any `FnMut(Duration)`
/// passed to [`Retry::sleep`].
///
/// Sealed: those two kinds are the only ones.
pub trait Sleeper: sealed::Sealed {
    /// Sleeps for `delay`.
    #[doc(hidden)]
    fn sleep(&mut self, delay: Duration);
}

impl Sleeper for ThreadSleep {
    #[inline]
    fn sleep(&mut self, delay: Duration) {
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    }
}

impl<F: FnMut(Duration)> Sleeper for F {
    #[inline(always)]
    fn sleep(&mut self, delay: Duration) {
        self(delay)
    }
}

mod sealed {
    use std::time::Duration;

    pub trait Sealed {}

    impl<F> Sealed for super::Plain<F> {}
    impl<F> Sealed for super::WithAttempt<F> {}
    impl Sealed for super::ThreadSleep {}
    impl<F: FnMut(Duration)> Sealed for F {}
}
