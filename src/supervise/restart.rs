//! The restart decision, shared by both forms: after a failed run, restart after which
//! delay, or give up. Every log line of the supervisor is written here.

use std::fmt::{self, Display};
use std::time::Duration;

use super::{Outcome, Settings};

/// What the supervisor does after a failed run.
pub(super) enum Next<E> {
    /// Sleep this long, then run the task again.
    Restart(Duration),
    /// Stop supervising with this outcome.
    GiveUp(Outcome<E>),
}

/// The progress of one supervision: the schedule being consumed and the failures in a row.
pub(super) struct Restarts<S: IntoIterator> {
    /// Kept whole so that a healthy run can start the schedule afresh.
    schedule: S,
    delays: S::IntoIter,
    /// The delay most recently taken, repeated once the schedule runs out.
    last_delay: Duration,
    failures: u32,
    settings: Settings,
}

impl<S> Restarts<S>
where
    S: IntoIterator<Item = Duration> + Clone,
{
    pub(super) fn new(schedule: S, settings: Settings) -> Self {
        let delays = schedule.clone().into_iter();
        Restarts { schedule, delays, last_delay: Duration::ZERO, failures: 0, settings }
    }

    /// After a run that lasted `ran` and failed with `error`: restart after a delay, or
    /// give up once `max_failures` failures came in a row.
    pub(super) fn failed<E: Display>(&mut self, error: E, ran: Duration) -> Next<E> {
        let who = Who(&self.settings.name);
        if ran >= self.settings.healthy_after {
            if self.failures > 0 {
                log::info!(target: "persevere", "{who} ran healthy for {ran:?}; backoff reset");
            }
            self.failures = 0;
            self.delays = self.schedule.clone().into_iter();
            self.last_delay = Duration::ZERO;
        }
        self.failures = self.failures.saturating_add(1);
        let (failures, max) = (self.failures, self.settings.max_failures);
        if failures >= max {
            let times = Times(failures);
            log::error!(target: "persevere", "{who} failed {times} in a row: {error}; giving up");
            crate::metrics::supervisor_gave_up();
            return Next::GiveUp(Outcome::GaveUp { last_error: error, failures });
        }
        if let Some(delay) = self.delays.next() {
            self.last_delay = delay;
        }
        let delay = self.last_delay;
        log::warn!(target: "persevere", "{who} failed ({failures}/{max} in a row): {error}; restarting in {delay:?}");
        crate::metrics::supervisor_restart(self.settings.name.as_ref());
        Next::Restart(delay)
    }

    /// The task ended on a stop request, or a stop came while waiting to restart it.
    pub(super) fn stopped<E>(&self) -> Outcome<E> {
        log::info!(target: "persevere", "{} stopped on request", Who(&self.settings.name));
        Outcome::Stopped
    }

    /// The task returned `Ok` without being asked to stop.
    pub(super) fn finished<E>(&self) -> Outcome<E> {
        log::info!(target: "persevere", "{} finished", Who(&self.settings.name));
        Outcome::Finished
    }
}

/// "background task 'checker'", or "background task" when it has no name.
struct Who<'a>(&'a Option<std::borrow::Cow<'static, str>>);

impl Display for Who<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(name) => write!(f, "background task '{name}'"),
            None => f.write_str("background task"),
        }
    }
}

/// "once", or "3 times": a supervisor with `max_failures(1)` gives up after one failure.
struct Times(u32);

impl Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("once"),
            n => write!(f, "{n} times"),
        }
    }
}
