//! The decision core: after each attempt, return, retry after a delay, or give up.
//!
//! Both flavours of the retry loop drive a [`Run`] and do only what it says, so every rule
//! lives here once: `when`, the schedule, `adjust` and its ceiling, `max_elapsed`, the
//! budget, the one-layer scope, the hooks, the log lines and the metrics.

use std::fmt::Display;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use log::Level;

use super::hooks::RetryHooks;
use super::settings::Settings;
use super::{Attempt, Report, Stop, scope};
use crate::budget::{RetryBudget, RetryKind, Withdrawal};
use crate::clock::Clock;
use crate::metrics;

/// What the loop does next after a failed attempt.
#[derive(Clone, Copy)]
pub(crate) enum Step {
    Retry(Duration),
    Stop(Stop),
}

/// The progress of one retry: the schedule it consumes and what happened so far.
///
/// It owns the schedule and lives inside the retry being built, so that a running retry
/// holds one copy of each and the async flavour's future nothing twice.
pub(crate) struct Run<S> {
    schedule: S,
    attempts: u32,
    /// The most attempts the schedule allows, when its length is known at the start:
    /// "attempt 2/4". Never zero, so the `Option` takes four bytes beside `attempts`.
    max_attempts: Option<NonZeroU32>,
    /// What the latest retry paid the budget, refunded in part on success.
    withdrawal: Option<Withdrawal>,
    slept: Duration,
    /// When the first attempt started; read only by someone who looks at the time.
    started: Option<Instant>,
}

impl<S: Iterator<Item = Duration>> Run<S> {
    #[inline]
    pub(crate) fn new(schedule: impl IntoIterator<IntoIter = S>) -> Self {
        let schedule = schedule.into_iter();
        let max_attempts = match schedule.size_hint() {
            (low, Some(high)) if low == high => {
                u32::try_from(high).ok().and_then(|n| NonZeroU32::MIN.checked_add(n))
            }
            _ => None,
        };
        Run {
            schedule,
            attempts: 0,
            max_attempts,
            withdrawal: None,
            slept: Duration::ZERO,
            started: None,
        }
    }

    /// Counts an attempt that starts now and describes it to the operation.
    ///
    /// An operation that is not handed its attempt (`hands_attempt` false) gets only the
    /// number: the clock is then read just once, for the start of a `max_elapsed` limit, or
    /// not at all.
    #[inline]
    pub(crate) fn begin(
        &mut self,
        hands_attempt: bool,
        settings: &Settings,
        clock: &impl Clock,
    ) -> Attempt {
        self.attempts = self.attempts.saturating_add(1);
        let max_elapsed = settings.max_elapsed;
        if !hands_attempt && (max_elapsed.is_none() || self.started.is_some()) {
            return Attempt { number: self.attempts, elapsed: Duration::ZERO, time_left: None };
        }
        let now = clock.now();
        let started = *self.started.get_or_insert(now);
        let elapsed = now.saturating_duration_since(started);
        let time_left = max_elapsed.map(|max| max.saturating_sub(elapsed));
        Attempt { number: self.attempts, elapsed, time_left }
    }

    /// After a success: the report, and an info line if it took retries.
    #[inline]
    pub(crate) fn succeeded(&mut self, settings: &Settings) -> Report {
        let budget = settings.budget.as_ref();
        if budget.is_some() || metrics::ENABLED {
            let nested = scope::inside_sole_layer();
            if let (Some(budget), false) = (budget, nested) {
                budget.record_success(self.withdrawal);
            }
            if metrics::ENABLED && !nested {
                count(Step::Stop(Stop::Succeeded), budget);
            }
        }
        if self.attempts > 1 && enabled(Level::Info) {
            log_success(self.counter(), self.slept);
        }
        self.report(Stop::Succeeded)
    }

    /// After a failed attempt: retry after a delay, or stop. `clock` is read only to
    /// check `max_elapsed`.
    ///
    /// On `Step::Retry` the delay is counted as slept, the `notify` hook has run and the
    /// warning is logged; on `Step::Stop` the give-up hook has run and the reason is logged.
    #[inline(always)]
    pub(crate) fn failed<E: Display>(
        &mut self,
        hooks: &impl RetryHooks<E>,
        settings: &Settings,
        error: &E,
        clock: &impl Clock,
    ) -> Step {
        let nested = scope::inside_sole_layer();
        // A retry nested in a sole layer makes a single attempt and must not count the
        // enclosing layer's failures twice, in the budget or in the metrics.
        let budget = settings.budget.as_ref().filter(|_| !nested);
        let step = self.decide(hooks, settings, budget, nested, error, clock);
        if metrics::ENABLED && !nested {
            count(step, budget);
        }
        match step {
            Step::Retry(delay) => {
                self.slept = self.slept.saturating_add(delay);
                if enabled(Level::Warn) {
                    log_retry(self.counter(), error, delay);
                }
                hooks.notify(error, delay);
            }
            Step::Stop(stop) => {
                // Error is the least verbose of the two levels a stop logs at.
                if enabled(Level::Error) {
                    log_stop(self.counter(), error, stop);
                }
                hooks.give_up(error, &self.report(stop));
            }
        }
        step
    }

    #[inline(always)]
    fn decide<E>(
        &mut self,
        hooks: &impl RetryHooks<E>,
        settings: &Settings,
        budget: Option<&RetryBudget>,
        nested: bool,
        error: &E,
        clock: &impl Clock,
    ) -> Step {
        if !hooks.retryable(error) {
            return Step::Stop(Stop::NotRetryable);
        }
        if nested {
            return Step::Stop(Stop::OuterLayerRetries);
        }
        if let Some(budget) = budget {
            budget.record_failure();
        }
        let Some(mut delay) = self.schedule.next() else {
            return Step::Stop(Stop::ScheduleExhausted);
        };
        if let Some(wanted) = hooks.adjust(error, delay) {
            delay = wanted.min(settings.adjust_ceiling);
        }
        if let Some(max) = settings.max_elapsed {
            let elapsed =
                self.started.map_or(Duration::ZERO, |s| clock.now().saturating_duration_since(s));
            // An overflowing sum is past any limit, Duration::MAX included.
            if elapsed.checked_add(delay).is_none_or(|end| end > max) {
                return Step::Stop(Stop::MaxElapsed);
            }
        }
        if let Some(budget) = budget {
            match budget.try_withdraw(RetryKind::Normal) {
                Some(paid) => self.withdrawal = Some(paid),
                None => return Step::Stop(Stop::BudgetExhausted),
            }
        }
        Step::Retry(delay)
    }

    #[inline]
    pub(crate) fn report(&self, stop: Stop) -> Report {
        Report { attempts: self.attempts, slept: self.slept, stop }
    }

    #[inline]
    fn counter(&self) -> Counter {
        Counter(self.attempts, self.max_attempts.map(NonZeroU32::get))
    }
}

/// Reports a step to the `metrics` recorder, and the budget's level after the step changed it.
///
/// A retry nested in a sole layer does not call this: its attempt is the enclosing retry's
/// attempt, which counts it.
#[inline(never)]
fn count(step: Step, budget: Option<&RetryBudget>) {
    use metrics::Ending;
    match step {
        Step::Retry(delay) => metrics::retrying(delay),
        Step::Stop(stop) => metrics::ended(match stop {
            Stop::Succeeded => Ending::Success,
            Stop::NotRetryable => Ending::NotRetryable,
            Stop::ScheduleExhausted => Ending::ScheduleExhausted,
            Stop::MaxElapsed => Ending::MaxElapsed,
            Stop::BudgetExhausted => Ending::BudgetExhausted,
            // The enclosing retry counts this attempt.
            Stop::OuterLayerRetries => return,
        }),
    }
    if let Some(budget) = budget {
        metrics::budget_tokens(budget.available());
    }
}

// The log lines live in plain functions, out of the retry loop and compiled once: with no
// logger listening at their level, a retry pays one comparison for each.

/// Whether a line at `level` could be logged at all.
#[inline]
fn enabled(level: Level) -> bool {
    level <= log::STATIC_MAX_LEVEL && level <= log::max_level()
}

#[cold]
#[inline(never)]
fn log_success(attempt: Counter, slept: Duration) {
    log::info!(target: "persevere", "attempt {attempt} succeeded after {slept:?} of backoff");
}

#[cold]
#[inline(never)]
fn log_retry(attempt: Counter, error: &dyn Display, delay: Duration) {
    log::warn!(target: "persevere", "attempt {attempt} failed: {error}; retrying in {delay:?}");
}

#[cold]
#[inline(never)]
fn log_stop(attempt: Counter, error: &dyn Display, stop: Stop) {
    match stop {
        Stop::NotRetryable | Stop::OuterLayerRetries => {
            log::debug!(target: "persevere", "attempt {attempt} failed: {error}; not retrying: {stop}")
        }
        _ => {
            log::error!(target: "persevere", "attempt {attempt} failed: {error}; giving up: {stop}")
        }
    }
}

/// "2/4" when the schedule's length is known, "2" otherwise.
#[derive(Clone, Copy)]
struct Counter(u32, Option<u32>);

impl Display for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(max) => write!(f, "{}/{max}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}
