//! Retrying on the current thread: [`retry`] and [`retry_with`].
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

// Builder types spell out every hook type: an alias would only hide what users see in
// compiler messages.
#![allow(clippy::type_complexity)]

use std::fmt::Display;
use std::time::Duration;

use crate::budget::RetryBudget;
use crate::clock::{Clock, SystemClock};
use crate::decide::{Run, Step};
use crate::policy::{Attempt, Hooks, Limits, Report, Rules, rule_setters};
use crate::scope;

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
///     .when(|e: &io::Error| e.kind() == io::ErrorKind::TimedOut)
///     .call()?;
/// assert_eq!(reply, "pong");
/// # Ok::<(), io::Error>(())
/// ```
#[inline]
pub fn retry<S, Op, T, E>(
    schedule: S,
    op: Op,
) -> Retry<S::IntoIter, impl FnMut(Attempt) -> Result<T, E>, Rules<E>, fn(Duration), SystemClock>
where
    S: IntoIterator<Item = Duration>,
    Op: FnMut() -> Result<T, E>,
{
    Retry::plain(schedule, op, Rules::new())
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
) -> Retry<S::IntoIter, Op, Rules<E>, fn(Duration), SystemClock>
where
    S: IntoIterator<Item = Duration>,
    Op: FnMut(Attempt) -> Result<T, E>,
{
    Retry::new(schedule, op, Rules::new())
}

/// The default sleep: `std::thread::sleep`, without the call for a zero delay.
#[inline]
fn thread_sleep(delay: Duration) {
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }
}

/// A blocking retry being configured; run it with [`call`](Retry::call).
///
/// Made by [`retry`], [`retry_with`] or [`Policy::retry`](crate::Policy::retry).
#[must_use = "a retry does nothing until `call` runs it"]
pub struct Retry<I, Op, R, Sl, C> {
    delays: I,
    op: Op,
    rules: R,
    sleep: Sl,
    clock: C,
    /// Whether `op` reads the [`Attempt`] it is handed (false for [`retry`]'s wrapper).
    hands_attempt: bool,
}

impl<I, Op, R> Retry<I, Op, R, fn(Duration), SystemClock> {
    /// A retry of an operation that is handed its [`Attempt`].
    #[inline]
    pub(crate) fn new(schedule: impl IntoIterator<IntoIter = I>, op: Op, rules: R) -> Self {
        Retry {
            delays: schedule.into_iter(),
            op,
            rules,
            sleep: thread_sleep,
            clock: SystemClock,
            hands_attempt: true,
        }
    }
}

impl<I, R> Retry<I, (), R, fn(Duration), SystemClock> {
    /// A retry of an operation that takes nothing, so its attempts need not read the clock.
    #[inline]
    pub(crate) fn plain<T, E>(
        schedule: impl IntoIterator<IntoIter = I>,
        mut op: impl FnMut() -> Result<T, E>,
        rules: R,
    ) -> Retry<I, impl FnMut(Attempt) -> Result<T, E>, R, fn(Duration), SystemClock> {
        Retry {
            delays: schedule.into_iter(),
            op: move |_| op(),
            rules,
            sleep: thread_sleep,
            clock: SystemClock,
            hands_attempt: false,
        }
    }
}

impl<I, Op, E, W, N, A, G, Sl, C> Retry<I, Op, Rules<E, W, N, A, G>, Sl, C> {
    #[inline]
    fn map_rules<W2, N2, A2, G2>(
        self,
        f: impl FnOnce(Rules<E, W, N, A, G>) -> Rules<E, W2, N2, A2, G2>,
    ) -> Retry<I, Op, Rules<E, W2, N2, A2, G2>, Sl, C> {
        Retry {
            delays: self.delays,
            op: self.op,
            rules: f(self.rules),
            sleep: self.sleep,
            clock: self.clock,
            hands_attempt: self.hands_attempt,
        }
    }

    rule_setters!(Retry[I, Op][Sl, C]);

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
    pub fn sleep<Sl2: FnMut(Duration)>(
        self,
        sleep: Sl2,
    ) -> Retry<I, Op, Rules<E, W, N, A, G>, Sl2, C> {
        Retry {
            delays: self.delays,
            op: self.op,
            rules: self.rules,
            sleep,
            clock: self.clock,
            hands_attempt: self.hands_attempt,
        }
    }

    /// Read time from `clock` instead of the system clock (for `max_elapsed` and
    /// [`Attempt`]).
    #[inline]
    pub fn clock<C2: Clock>(self, clock: C2) -> Retry<I, Op, Rules<E, W, N, A, G>, Sl, C2> {
        Retry {
            delays: self.delays,
            op: self.op,
            rules: self.rules,
            sleep: self.sleep,
            clock,
            hands_attempt: self.hands_attempt,
        }
    }

    /// Run the retry: the first `Ok`, or the last error when retrying stops.
    #[inline]
    pub fn call<T>(self) -> Result<T, E>
    where
        I: Iterator<Item = Duration>,
        Op: FnMut(Attempt) -> Result<T, E>,
        E: Display,
        W: Fn(&E) -> bool,
        N: Fn(&E, Duration),
        A: Fn(&E, Duration) -> Option<Duration>,
        G: Fn(&E, u32),
        Sl: FnMut(Duration),
        C: Clock,
    {
        self.call_with_report().0
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
    pub fn call_with_report<T>(self) -> (Result<T, E>, Report)
    where
        I: Iterator<Item = Duration>,
        Op: FnMut(Attempt) -> Result<T, E>,
        E: Display,
        W: Fn(&E) -> bool,
        N: Fn(&E, Duration),
        A: Fn(&E, Duration) -> Option<Duration>,
        G: Fn(&E, u32),
        Sl: FnMut(Duration),
        C: Clock,
    {
        // Taken apart, so the optimiser can keep each piece in registers.
        let Retry { delays, mut op, rules, mut sleep, clock, hands_attempt } = self;
        let Rules { hooks, limits, budget } = rules;
        let run = Run::new(delays, hands_attempt);
        // Without a budget, the loop runs in a copy where none of the budget's code, its
        // drop included, is left; with one, in a copy of its own, out of line.
        match budget {
            None => attempts(run, &mut op, &hooks, &limits, None, &mut sleep, &clock),
            Some(budget) => {
                attempts_with_budget(run, &mut op, &hooks, &limits, &budget, &mut sleep, &clock)
            }
        }
    }
}

/// The retry loop: attempt, ask the decision core, sleep, until it says stop.
#[inline(always)]
fn attempts<I, T, E, W, N, A, G>(
    mut run: Run<I>,
    op: &mut impl FnMut(Attempt) -> Result<T, E>,
    hooks: &Hooks<E, W, N, A, G>,
    limits: &Limits,
    budget: Option<&RetryBudget>,
    sleep: &mut impl FnMut(Duration),
    clock: &impl Clock,
) -> (Result<T, E>, Report)
where
    I: Iterator<Item = Duration>,
    E: Display,
    W: Fn(&E) -> bool,
    N: Fn(&E, Duration),
    A: Fn(&E, Duration) -> Option<Duration>,
    G: Fn(&E, u32),
{
    loop {
        let attempt = run.begin(limits, clock);
        let error = match scope::enter(limits.sole_layer, || op(attempt)) {
            Ok(value) => return (Ok(value), run.succeeded(budget)),
            Err(error) => error,
        };
        match run.failed(hooks, limits, budget, &error, clock) {
            Step::Retry(delay) => {
                sleep(delay);
                run.slept(delay);
            }
            Step::Stop(stop) => return (Err(error), run.report(stop)),
        }
    }
}

#[inline(never)]
fn attempts_with_budget<I, T, E, W, N, A, G>(
    run: Run<I>,
    op: &mut impl FnMut(Attempt) -> Result<T, E>,
    hooks: &Hooks<E, W, N, A, G>,
    limits: &Limits,
    budget: &RetryBudget,
    sleep: &mut impl FnMut(Duration),
    clock: &impl Clock,
) -> (Result<T, E>, Report)
where
    I: Iterator<Item = Duration>,
    E: Display,
    W: Fn(&E) -> bool,
    N: Fn(&E, Duration),
    A: Fn(&E, Duration) -> Option<Duration>,
    G: Fn(&E, u32),
{
    attempts(run, op, hooks, limits, Some(budget), sleep, clock)
}
