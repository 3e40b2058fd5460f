//! The async form: supervise inside a future, under any executor.

use std::fmt::Display;
use std::future::{Future, poll_fn};
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

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
        mut task: T,
    ) -> impl Future<Output = Outcome<TaskError<E>>> + use<E, T, S, Sl, C>
    where
        T: AsyncFnMut(&StopSignal) -> Result<(), E>,
        E: Display,
    {
        let stop = stop.clone();
        async move {
            let Supervisor { schedule, settings, mut sleep, clock } = self;
            let mut restarts = Restarts::new(schedule, settings);
            loop {
                if stop.is_stopped() {
                    return restarts.stopped();
                }
                let started = clock.now();
                let result = {
                    let mut running = pin!(task(&stop));
                    // After a panic the future is dropped, never polled again.
                    poll_fn(|cx| {
                        match panic::catch_unwind(AssertUnwindSafe(|| running.as_mut().poll(cx))) {
                            Ok(Poll::Pending) => Poll::Pending,
                            Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
                            Err(payload) => Poll::Ready(Err(panic_message(&*payload))),
                        }
                    })
                    .await
                };
                let ran = clock.now().saturating_duration_since(started);
                let error = match result {
                    _ if stop.is_stopped() => return restarts.stopped(),
                    Ok(Ok(())) => return restarts.finished(),
                    Ok(Err(error)) => TaskError::Failed(error),
                    Err(message) => TaskError::Panicked(message),
                };
                let delay = match restarts.failed(error, ran) {
                    Next::Restart(delay) => delay,
                    Next::GiveUp(outcome) => return outcome,
                };
                // The backoff races the stop request, so a stop never waits it out.
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
        }
    }
}
