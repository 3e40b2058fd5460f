//! The async form: supervise inside a future, under any executor.
//!
//! The loop is written once, as async code, and compiled here as it is
//! (`maybe_async::must_be_async`); the helpers below poll the task and race each backoff
//! against the stop request.

use std::fmt::Display;
use std::future::{Future, poll_fn};
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use super::lifecycle::supervise_loop;
use super::restart::{Next, Restarts};
use super::sealed::AsyncSleep;
use super::{Outcome, StopSignal, Supervisor, TaskError, panic_message};
use crate::clock::Clock;

impl<S, Sl, C> Supervisor<S, Sl, C>
where
    S: IntoIterator<Item = Duration> + Clone,
    Sl: AsyncSleep,
    C: Clock,
{
    /// Supervise the async `task` until it is stopped through `stop`, finishes, or fails
    /// [`max_failures`](Supervisor::max_failures) times in a row.
    ///
    /// The returned future runs under any executor and needs no runtime; spawn it, or await
    /// it. A stop request ends a backoff wait at once; a running task sees it through its
    /// [`StopSignal`] (await [`stopped`](StopSignal::stopped) beside its own work) and ends
    /// when it chooses. A panic while polling the task is caught and counted as a failure,
    /// as in [`run`](Supervisor::run). Dropping the future cancels supervision and the task.
    ///
    /// ```
    /// use persevere::supervise::{Outcome, StopSignal, Supervisor};
    /// use persevere::Exponential;
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let stop = StopSignal::new();
    /// let mut runs = 0;
    /// let supervised = Supervisor::new(Exponential::new(Duration::from_millis(1)))
    ///     .run_async(&stop, async |stop: &StopSignal| {
    ///         runs += 1;
    ///         if runs < 3 {
    ///             return Err("consumer lagged");
    ///         }
    ///         stop.stopped().await; // consume messages until asked to stop
    ///         Ok(())
    ///     });
    /// std::thread::spawn(move || stop.stop());
    /// assert_eq!(supervised.await, Outcome::Stopped);
    /// # });
    /// ```
    pub fn run_async<E, T>(
        self,
        stop: &StopSignal,
        task: T,
    ) -> impl Future<Output = Outcome<TaskError<E>>> + use<E, T, S, Sl, C>
    where
        T: AsyncFnMut(&StopSignal) -> Result<(), E>,
        E: Display,
    {
        supervise(self, stop.clone(), task)
    }
}

supervise_loop!(maybe_async::must_be_async, AsyncFnMut, AsyncSleep);

/// Runs the task once, catching a panic in any poll of it; after a panic the future is
/// dropped, never polled again.
async fn run_once<T, E>(task: &mut T, stop: &StopSignal) -> Result<Result<(), E>, String>
where
    T: AsyncFnMut(&StopSignal) -> Result<(), E>,
{
    let mut running = pin!(task(stop));
    poll_fn(|cx| match panic::catch_unwind(AssertUnwindSafe(|| running.as_mut().poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
        Err(payload) => Poll::Ready(Err(panic_message(&*payload))),
    })
    .await
}

/// Waits out a backoff, racing the stop request so that a stop never waits it out.
async fn pause(sleep: &mut impl AsyncSleep, delay: Duration, stop: &StopSignal) {
    let mut nap = pin!(sleep.sleep(delay));
    let mut stopped = pin!(stop.stopped());
    poll_fn(|cx| {
        if stopped.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        nap.as_mut().poll(cx)
    })
    .await;
}
