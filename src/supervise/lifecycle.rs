//! The supervision loop, written once as async code and compiled into both forms.
//!
//! [`supervise_loop!`] emits it under the maybe-async attribute it is given; the blocking
//! form (`thread.rs`) and the async form (`task.rs`) each bring the same-named helpers it
//! calls: `run_once`, which runs the task once and catches a panic, and `pause`, which
//! waits out a backoff unless a stop request ends it first.

/// Emits `supervise`: run the task, and after each failure ask [`Restarts`] whether to
/// restart after a delay or give up, until a stop request, a finished run or giving up
/// ends it. `$Task` is the closure trait the form runs (`FnMut` or `AsyncFnMut`), `$Sleep`
/// its sleep trait.
///
/// [`Restarts`]: super::restart::Restarts
macro_rules! supervise_loop {
    ($flavour:path, $Task:ident, $Sleep:ident) => {
        #[$flavour]
        pub(super) async fn supervise<S, Sl, C, T, E>(
            supervisor: Supervisor<S, Sl, C>,
            stop: StopSignal,
            mut task: T,
        ) -> Outcome<TaskError<E>>
        where
            S: IntoIterator<Item = Duration> + Clone,
            Sl: $Sleep,
            C: Clock,
            T: $Task(&StopSignal) -> Result<(), E>,
            E: Display,
        {
            let Supervisor { schedule, settings, mut sleep, clock } = supervisor;
            let mut restarts = Restarts::new(schedule, settings);
            loop {
                if stop.is_stopped() {
                    return restarts.stopped();
                }
                let started = clock.now();
                let result = run_once(&mut task, &stop).await;
                let ran = clock.now().saturating_duration_since(started);
                let error = match result {
                    _ if stop.is_stopped() => return restarts.stopped(),
                    Ok(Ok(())) => return restarts.finished(),
                    Ok(Err(error)) => TaskError::Failed(error),
                    Err(message) => TaskError::Panicked(message),
                };
                match restarts.failed(error, ran) {
                    Next::Restart(delay) => pause(&mut sleep, delay, &stop).await,
                    Next::GiveUp(outcome) => return outcome,
                }
            }
        }
    };
}
pub(super) use supervise_loop;
