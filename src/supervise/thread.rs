//! The blocking form: supervise on the current thread, or on a thread of its own.
//!
//! The loop is the async form's, compiled a second time with `async` and `.await` stripped
//! by maybe-async (`must_be_sync`); the helpers below run the task as a plain call and sleep
//! on the thread.

use std::fmt::Display;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::lifecycle::supervise_loop;
use super::restart::{Next, Restarts};
use super::sealed::BlockingSleep;
use super::{Outcome, StopSignal, Supervisor, TaskError, panic_message};
use crate::clock::Clock;

impl<S, Sl, C> Supervisor<S, Sl, C>
where
    S: IntoIterator<Item = Duration> + Clone,
    Sl: BlockingSleep,
    C: Clock,
{
    /// Supervise `task` on the current thread until it is stopped through `stop`, finishes,
    /// or fails [`max_failures`](Supervisor::max_failures) times in a row.
    ///
    /// The task gets the stop signal on each run. A panic in the task is caught, logged and
    /// counted as a failure ([`TaskError::Panicked`]); the task is then run again, so it must
    /// not leave shared state broken when it panics.
    ///
    /// ```
    /// use persevere::supervise::{Outcome, StopSignal, Supervisor, TaskError};
    /// use persevere::Fixed;
    /// use std::time::Duration;
    ///
    /// let mut runs = 0;
    /// let outcome = Supervisor::new(Fixed::new(Duration::from_millis(1))).run(&StopSignal::new(), |_| {
    ///     runs += 1;
    ///     if runs == 1 {
    ///         panic!("corrupt frame");
    ///     }
    ///     Err::<(), _>("socket closed")
    /// });
    /// assert_eq!(runs, 5);
    /// assert_eq!(outcome, Outcome::GaveUp { last_error: TaskError::Failed("socket closed"), failures: 5 });
    /// ```
    pub fn run<E, T>(self, stop: &StopSignal, task: T) -> Outcome<TaskError<E>>
    where
        T: FnMut(&StopSignal) -> Result<(), E>,
        E: Display,
    {
        supervise(self, stop.clone(), task)
    }

    /// Supervise `task` on a new thread; the returned [`Handle`] stops it and collects the
    /// [`Outcome`]. The thread takes the supervisor's [`name`](Supervisor::name).
    ///
    /// Works like [`run`](Supervisor::run). Fails only if the thread cannot be created.
    ///
    /// ```
    /// use persevere::supervise::{Outcome, Supervisor};
    /// use persevere::Exponential;
    /// use std::time::Duration;
    ///
    /// let handle = Supervisor::new(Exponential::new(Duration::from_millis(10)))
    ///     .name("metrics-flusher")
    ///     .spawn(|stop| {
    ///         while !stop.wait_timeout(Duration::from_secs(60)) {
    ///             // flush the metrics once a minute
    ///         }
    ///         Ok::<(), std::io::Error>(())
    ///     })?;
    /// handle.stop();
    /// assert!(matches!(handle.join(), Outcome::Stopped));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawn<E, T>(self, task: T) -> io::Result<Handle<E>>
    where
        S: Send + 'static,
        Sl: Send + 'static,
        C: Send + 'static,
        T: FnMut(&StopSignal) -> Result<(), E> + Send + 'static,
        E: Display + Send + 'static,
    {
        let mut builder = thread::Builder::new();
        // A name with a NUL byte would make `spawn` panic; such a thread goes unnamed.
        if let Some(name) = self.settings.name.as_deref().filter(|n| !n.contains('\0')) {
            builder = builder.name(name.to_owned());
        }
        let stop = StopSignal::new();
        let signal = stop.clone();
        let thread = builder.spawn(move || self.run(&signal, task))?;
        Ok(Handle { stop, thread })
    }
}

supervise_loop!(maybe_async::must_be_sync, FnMut, BlockingSleep);

/// Runs the task once. The task is run again after a panic, as it is after an error; the
/// caller is told so in the docs.
fn run_once<T, E>(task: &mut T, stop: &StopSignal) -> Result<Result<(), E>, String>
where
    T: FnMut(&StopSignal) -> Result<(), E>,
{
    panic::catch_unwind(AssertUnwindSafe(|| task(stop))).map_err(|payload| panic_message(&*payload))
}

/// Waits out a backoff; the default sleep wakes at once on a stop request.
fn pause(sleep: &mut impl BlockingSleep, delay: Duration, stop: &StopSignal) {
    sleep.sleep(delay, stop);
}

/// The handle of a supervisor running on its own thread, made by
/// [`Supervisor::spawn`]: stop it, then [`join`](Handle::join) it for the outcome.
///
/// Dropping the handle detaches the thread, as dropping a [`JoinHandle`] does: the task
/// keeps being supervised until the process exits.
///
/// ```
/// use persevere::supervise::{Outcome, Supervisor};
/// use persevere::Fixed;
/// use std::time::Duration;
///
/// let handle = Supervisor::new(Fixed::new(Duration::from_secs(3600)))
///     .spawn(|_| Err::<(), _>("broker unreachable"))?;
/// // The first run fails and the supervisor settles into an hour of backoff;
/// // a stop request ends that at once.
/// handle.stop();
/// assert_eq!(handle.join(), Outcome::Stopped);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "dropping the handle detaches the supervisor; call `stop` and `join` to end it"]
pub struct Handle<E> {
    stop: StopSignal,
    thread: JoinHandle<Outcome<TaskError<E>>>,
}

impl<E> Handle<E> {
    /// Asks the supervisor to stop: it wakes from a backoff sleep at once, does not start the
    /// task again, and the running task sees [`StopSignal::is_stopped`]. Does not wait; see
    /// [`join`](Handle::join).
    ///
    /// ```
    /// use persevere::supervise::Supervisor;
    /// use persevere::Fixed;
    /// use std::time::Duration;
    ///
    /// let handle = Supervisor::new(Fixed::new(Duration::ZERO)).spawn(|stop| {
    ///     while !stop.wait_timeout(Duration::from_secs(1)) {}
    ///     Ok::<(), String>(())
    /// })?;
    /// handle.stop();
    /// assert!(handle.stop_signal().is_stopped());
    /// # drop(handle.join());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(&self) {
        self.stop.stop();
    }

    /// The supervisor's stop signal, to hand to another thread or task that should be able
    /// to stop it too.
    ///
    /// ```
    /// use persevere::supervise::{Outcome, Supervisor};
    /// use persevere::Fixed;
    /// use std::time::Duration;
    ///
    /// let handle = Supervisor::new(Fixed::new(Duration::from_secs(60)))
    ///     .spawn(|_| Err::<(), _>("disk full"))?;
    /// let stop = handle.stop_signal().clone();
    /// std::thread::spawn(move || stop.stop());
    /// assert_eq!(handle.join(), Outcome::Stopped);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop_signal(&self) -> &StopSignal {
        &self.stop
    }

    /// Whether the supervisor has ended, so that [`join`](Handle::join) returns at once.
    ///
    /// ```
    /// use persevere::supervise::Supervisor;
    /// use persevere::Fixed;
    /// use std::time::Duration;
    ///
    /// let handle = Supervisor::new(Fixed::new(Duration::ZERO)).spawn(|_| Ok::<(), String>(()))?;
    /// while !handle.is_finished() {
    ///     std::thread::yield_now();
    /// }
    /// # drop(handle.join());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Waits for the supervisor to end and returns why it ended. It ends on its own when it
    /// gives up or the task finishes; call [`stop`](Handle::stop) first to end it early.
    ///
    /// # Panics
    ///
    /// Only if the supervisor itself panicked, not the task (whose panics are caught): that
    /// can come from a custom sleep or clock, and the panic is passed on here.
    ///
    /// ```
    /// use persevere::supervise::{Outcome, Supervisor};
    /// use persevere::Fixed;
    /// use std::time::Duration;
    ///
    /// let handle = Supervisor::new(Fixed::new(Duration::ZERO)).spawn(|_| Ok::<(), String>(()))?;
    /// assert_eq!(handle.join(), Outcome::Finished);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn join(self) -> Outcome<TaskError<E>> {
        match self.thread.join() {
            Ok(outcome) => outcome,
            Err(payload) => panic::resume_unwind(payload),
        }
    }
}
