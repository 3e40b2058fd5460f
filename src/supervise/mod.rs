//! Keep a long-running background task alive: [`Supervisor`].
//!
//! A supervisor runs a task; when the task fails it logs the error (a `warn!`, target
//! `persevere`) and runs it again after the schedule's next delay. A run that stayed healthy
//! for [`healthy_after`](Supervisor::healthy_after) (default one minute) starts the schedule
//! and the failure count afresh; [`max_failures`](Supervisor::max_failures) failures in a
//! row (default 5) make it give up with the last error (an `error!`). A [`StopSignal`] ends
//! it on request, from any thread or task, even in the middle of a long backoff; the task is
//! handed the same signal so that it can end a long run itself.
//!
//! The blocking form [`spawn`](Supervisor::spawn)s its own thread (or [`run`](Supervisor::run)s
//! on the current one) and catches panics, which count as failures. The async form,
//! [`run_async`](Supervisor::run_async), is a future for any executor.
//!
//! ```
//! use persevere::supervise::{Outcome, Supervisor};
//! use persevere::Exponential;
//! use std::time::Duration;
//!
//! let mut checks = 0;
//! let handle = Supervisor::new(Exponential::new(Duration::from_millis(1)))
//!     .name("checker")
//!     .spawn(move |stop| {
//!         // One health check every 10 ms until asked to stop; the first three fail.
//!         while !stop.wait_timeout(Duration::from_millis(10)) {
//!             checks += 1;
//!             if checks <= 3 {
//!                 return Err(format!("check {checks} failed"));
//!             }
//!         }
//!         Ok(())
//!     })?;
//! std::thread::sleep(Duration::from_millis(100));
//! handle.stop();
//! assert_eq!(handle.join(), Outcome::Stopped);
//! # Ok::<(), std::io::Error>(())
//! ```

mod lifecycle;
mod restart;
mod stop;
mod task;
mod thread;

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};

pub use stop::{StopSignal, Stopped};
pub use thread::Handle;

/// The default for [`Supervisor::healthy_after`]: one minute.
///
/// Failures at start-up (a refused connection, a missing file) show within seconds, so a run
/// that lasted a minute was a real recovery; and a task that fails every few minutes still
/// restarts with the schedule's first, shortest delay each time.
pub const DEFAULT_HEALTHY_AFTER: Duration = Duration::from_secs(60);

/// The default for [`Supervisor::max_failures`]: five failures in a row.
///
/// The same count as systemd's default start limit (`StartLimitBurst=5`), which gives up on a
/// service that failed to start five times within ten seconds.
pub const DEFAULT_MAX_FAILURES: u32 = 5;

/// Keeps a background task alive: restart on failure with backoff, reset after a healthy
/// run, give up after too many failures in a row, stop on request.
///
/// Build one from a schedule of restart delays, any `IntoIterator<Item = Duration> + Clone`
/// (a fresh clone starts over after each healthy run; once it runs out, its last delay
/// repeats), set what differs from the defaults, then start it with
/// [`spawn`](Supervisor::spawn), [`run`](Supervisor::run) or
/// [`run_async`](Supervisor::run_async).
///
/// The task returns `Result<(), E>`. `Err` (or, in the blocking form, a panic) is a failure;
/// `Ok(())` means it is done: the supervisor ends with [`Outcome::Finished`], or
/// [`Outcome::Stopped`] if a stop was requested.
///
/// ```
/// use persevere::supervise::{Outcome, StopSignal, Supervisor, TaskError};
/// use persevere::Fixed;
/// use std::time::Duration;
///
/// let mut slept = Vec::new();
/// let outcome = Supervisor::new(Fixed::new(Duration::from_secs(1)))
///     .max_failures(3)
///     .sleep(|d| slept.push(d)) // record the delays instead of sleeping
///     .run(&StopSignal::new(), |_| Err::<(), _>("database unreachable"));
/// assert_eq!(outcome, Outcome::GaveUp { last_error: TaskError::Failed("database unreachable"), failures: 3 });
/// assert_eq!(slept, [Duration::from_secs(1); 2]);
/// ```
#[must_use = "a supervisor does nothing until it is run or spawned"]
pub struct Supervisor<S, Sl = DefaultSleep, C = SystemClock> {
    schedule: S,
    settings: Settings,
    sleep: Sl,
    clock: C,
}

/// The plain settings of a supervisor.
#[derive(Clone, Debug)]
struct Settings {
    healthy_after: Duration,
    max_failures: u32,
    name: Option<Cow<'static, str>>,
}

impl<S> Supervisor<S>
where
    S: IntoIterator<Item = Duration> + Clone,
{
    /// A supervisor that waits between restarts as `schedule` says, with the default
    /// settings: [`DEFAULT_HEALTHY_AFTER`], [`DEFAULT_MAX_FAILURES`], the system clock, and a
    /// sleep that a stop request cuts short.
    ///
    /// ```
    /// use persevere::supervise::Supervisor;
    /// use persevere::Fibonacci;
    /// use std::time::Duration;
    ///
    /// let supervisor = Supervisor::new(Fibonacci::new(Duration::from_millis(500)).max_delay(Duration::from_secs(30)));
    /// # drop(supervisor);
    /// ```
    pub fn new(schedule: S) -> Self {
        Supervisor {
            schedule,
            settings: Settings {
                healthy_after: DEFAULT_HEALTHY_AFTER,
                max_failures: DEFAULT_MAX_FAILURES,
                name: None,
            },
            sleep: DefaultSleep,
            clock: SystemClock,
        }
    }
}

impl<S, Sl, C> Supervisor<S, Sl, C> {
    /// How long a run must last to count as a recovery: when a run that lasted at least
    /// this long fails, the failure count and the schedule start over. Default
    /// [`DEFAULT_HEALTHY_AFTER`].
    ///
    /// `Duration::ZERO` makes every run healthy: each failure is then the first in a row,
    /// so the supervisor waits the schedule's first delay every time and never gives up
    /// (unless [`max_failures`](Supervisor::max_failures) is 1).
    ///
    /// ```
    /// use persevere::supervise::{Outcome, StopSignal, Supervisor};
    /// use persevere::{clock::ManualClock, Exponential};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::new();
    /// let mut slept = Vec::new();
    /// let mut runs = 0;
    /// let outcome = Supervisor::new(Exponential::new(Duration::from_secs(1)))
    ///     .healthy_after(Duration::from_secs(30))
    ///     .clock(clock.clone())
    ///     .sleep(|d| slept.push(d))
    ///     .run(&StopSignal::new(), |_| {
    ///         runs += 1;
    ///         match runs {
    ///             3 => clock.advance(Duration::from_secs(45)), // healthy for a while
    ///             5 => return Ok(()),
    ///             _ => {}
    ///         }
    ///         Err("lost the connection")
    ///     });
    /// assert_eq!(outcome, Outcome::Finished);
    /// assert_eq!(slept, [1, 2, 1, 2].map(Duration::from_secs));
    /// ```
    pub fn healthy_after(mut self, healthy_after: Duration) -> Self {
        self.settings.healthy_after = healthy_after;
        self
    }

    /// Give up after `n` failures in a row, with the last one's error. Default
    /// [`DEFAULT_MAX_FAILURES`]; `u32::MAX` is as good as never.
    ///
    /// # Panics
    ///
    /// If `n` is zero: the task must be allowed to fail at least once.
    ///
    /// ```
    /// use persevere::supervise::{Outcome, StopSignal, Supervisor, TaskError};
    /// use persevere::Fixed;
    /// use std::time::Duration;
    ///
    /// let mut runs = 0;
    /// let outcome = Supervisor::new(Fixed::new(Duration::ZERO))
    ///     .max_failures(2)
    ///     .run(&StopSignal::new(), |_| {
    ///         runs += 1;
    ///         Err(format!("run {runs} failed"))
    ///     });
    /// let Outcome::GaveUp { last_error, failures } = outcome else { panic!("{outcome:?}") };
    /// assert_eq!((last_error.to_string(), failures), ("run 2 failed".to_owned(), 2));
    /// ```
    pub fn max_failures(mut self, n: u32) -> Self {
        assert!(n >= 1, "max_failures must be at least 1, got {n}");
        self.settings.max_failures = n;
        self
    }

    /// A name for the log lines ("background task 'checker' failed …") and, in
    /// [`spawn`](Supervisor::spawn), for the thread.
    ///
    /// ```
    /// use persevere::supervise::Supervisor;
    /// use persevere::Fixed;
    /// use std::time::Duration;
    ///
    /// let supervisor = Supervisor::new(Fixed::new(Duration::from_secs(1))).name("cache-warmer");
    /// # drop(supervisor);
    /// ```
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.settings.name = Some(name.into());
        self
    }

    /// Read time from `clock` instead of the system clock, to measure how long each run
    /// lasted (see [`healthy_after`](Supervisor::healthy_after)).
    ///
    /// ```
    /// use persevere::supervise::Supervisor;
    /// use persevere::{clock::ManualClock, Fixed};
    /// use std::time::Duration;
    ///
    /// let supervisor = Supervisor::new(Fixed::new(Duration::from_secs(1))).clock(ManualClock::new());
    /// # drop(supervisor);
    /// ```
    pub fn clock<C2: Clock>(self, clock: C2) -> Supervisor<S, Sl, C2> {
        Supervisor { schedule: self.schedule, settings: self.settings, sleep: self.sleep, clock }
    }

    /// Wait between runs with `sleep` instead of the default.
    ///
    /// For [`run`](Supervisor::run) and [`spawn`](Supervisor::spawn), `sleep` is an
    /// `FnMut(Duration)`, which a stop request cannot cut short: the supervisor sees the
    /// request when it returns. For [`run_async`](Supervisor::run_async) it is an
    /// `FnMut(Duration) -> impl Future<Output = ()>`, such as `tokio::time::sleep`, and a stop
    /// request ends the wait at once. Tests use it to record the delays and move a
    /// [`ManualClock`](crate::clock::ManualClock).
    ///
    /// ```
    /// use persevere::supervise::{Outcome, StopSignal, Supervisor};
    /// use persevere::Exponential;
    /// use std::time::Duration;
    ///
    /// let stop = StopSignal::new();
    /// let mut slept = Vec::new();
    /// let outcome = Supervisor::new(Exponential::new(Duration::from_secs(2)))
    ///     .sleep(|d| {
    ///         slept.push(d);
    ///         if slept.len() == 2 {
    ///             stop.stop();
    ///         }
    ///     })
    ///     .run(&stop, |_| Err::<(), _>("no route to host"));
    /// assert_eq!(outcome, Outcome::Stopped);
    /// assert_eq!(slept, [2, 4].map(Duration::from_secs));
    /// ```
    pub fn sleep<Sl2>(self, sleep: Sl2) -> Supervisor<S, Sl2, C> {
        Supervisor { schedule: self.schedule, settings: self.settings, sleep, clock: self.clock }
    }
}

impl<S: fmt::Debug, Sl, C> fmt::Debug for Supervisor<S, Sl, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("schedule", &self.schedule)
            .field("healthy_after", &self.settings.healthy_after)
            .field("max_failures", &self.settings.max_failures)
            .field("name", &self.settings.name)
            .finish_non_exhaustive()
    }
}

/// Why supervision ended.
///
/// ```
/// use persevere::supervise::{Outcome, StopSignal, Supervisor};
/// use persevere::Fixed;
/// use std::time::Duration;
///
/// let outcome = Supervisor::new(Fixed::new(Duration::ZERO)).run(&StopSignal::new(), |_| Ok::<(), String>(()));
/// match outcome {
///     Outcome::Stopped => println!("stopped on request"),
///     Outcome::Finished => println!("the task ended by itself"),
///     Outcome::GaveUp { last_error, failures } => eprintln!("dead after {failures} failures: {last_error}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<E> {
    /// A stop was requested, and the supervisor ended without starting the task again.
    Stopped,
    /// The task returned `Ok(())` without a stop request.
    Finished,
    /// The task failed [`max_failures`](Supervisor::max_failures) times in a row.
    GaveUp {
        /// The error of the last failure.
        last_error: E,
        /// How many failures came in a row: the `max_failures` setting.
        failures: u32,
    },
}

/// Why one run of a supervised task failed: the task's own error, or a panic.
///
/// ```
/// use persevere::supervise::TaskError;
///
/// let failed: TaskError<&str> = TaskError::Failed("timed out");
/// assert_eq!(failed.to_string(), "timed out");
/// let panicked: TaskError<&str> = TaskError::Panicked("index out of bounds".to_owned());
/// assert_eq!(panicked.to_string(), "panicked: index out of bounds");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskError<E> {
    /// The task returned `Err`.
    Failed(E),
    /// The task panicked, with this message (or a placeholder if the panic carried neither a
    /// `&str` nor a `String`).
    Panicked(String),
}

impl<E: fmt::Display> fmt::Display for TaskError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Failed(error) => error.fmt(f),
            TaskError::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for TaskError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TaskError::Failed(error) => Some(error),
            TaskError::Panicked(_) => None,
        }
    }
}

/// The default wait between runs: in the blocking form, a
/// [`wait_timeout`](StopSignal::wait_timeout) on the stop signal; in the async form, a
/// [`futures-timer`](crate::future::sleep) delay. Either ends early on a stop request.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultSleep;

/// The kinds of sleep each form accepts; sealed, so that only the impls below exist.
mod sealed {
    use std::future::Future;
    use std::time::Duration;

    use super::{DefaultSleep, StopSignal};

    pub trait BlockingSleep {
        fn sleep(&mut self, delay: Duration, stop: &StopSignal);
    }

    impl BlockingSleep for DefaultSleep {
        fn sleep(&mut self, delay: Duration, stop: &StopSignal) {
            stop.wait_timeout(delay);
        }
    }

    impl<F: FnMut(Duration)> BlockingSleep for F {
        fn sleep(&mut self, delay: Duration, _: &StopSignal) {
            self(delay)
        }
    }

    pub trait AsyncSleep {
        type Sleep: Future<Output = ()>;
        fn sleep(&mut self, delay: Duration) -> Self::Sleep;
    }

    impl AsyncSleep for DefaultSleep {
        type Sleep = crate::future::Sleep;
        fn sleep(&mut self, delay: Duration) -> Self::Sleep {
            crate::future::sleep(delay)
        }
    }

    impl<F, Fut> AsyncSleep for F
    where
        F: FnMut(Duration) -> Fut,
        Fut: Future<Output = ()>,
    {
        type Sleep = Fut;
        fn sleep(&mut self, delay: Duration) -> Fut {
            self(delay)
        }
    }
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic without a message".to_owned()
    }
}
