//! The decision core: after each attempt, return, retry after a delay, or give up.
//!
//! Both adapters drive a [`Run`] and do only what it says, so every rule lives here once:
//! `when`, the schedule, `adjust` and its ceiling, `max_elapsed`, the one-layer scope, the
//! hooks, the log lines and the metrics.

use std::fmt::Display;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use log::Level;

use crate::budget::{RetryBudget, RetryKind, Withdrawal};
use crate::clock::Clock;
use crate::metrics;
use crate::policy::{Attempt, Hooks, Limits, Report, Stop};
use crate::scope;

/// What the adapter does next after a failed attempt.
#[derive(Clone, Copy)]
pub(crate) enum Step {
    Retry(Duration),
    Stop(Stop),
}

/// The progress of one retry: the schedule being consumed and what happened so far.
pub(crate) struct Run<I> {
    delays: I,
    attempts: u32,
    slept: Duration,
    started: Option<Instant>,
    /// The most attempts the schedule allows, when its length is known: "attempt 2/4".
    /// Never zero, so the `Option` takes four bytes.
    max_attempts: Option<NonZeroU32>,
    /// Whether an enclosing retry is the sole retrying layer, read once, when it first
    /// matters: at the first failure, or at a success that pays back a budget. Reading it
    /// then rather than at the start gives the same answer (every layer lowers what it
    /// raised before control comes back here) and keeps a first-try success off the
    /// thread-local.
    nested: Option<bool>,
    /// Whether the operation is handed its [`Attempt`]. If not, and no `max_elapsed` is
    /// set, nobody looks at the time and the clock is never read.
    hands_attempt: bool,
    /// What the latest retry paid the budget, refunded in part on success.
    withdrawal: Option<Withdrawal>,
}

impl<I: Iterator<Item = Duration>> Run<I> {
    /// A run over `delays`; `hands_attempt` says whether the operation reads its [`Attempt`].
    #[inline]
    pub(crate) fn new(delays: I, hands_attempt: bool) -> Self {
        let max_attempts = match delays.size_hint() {
            (low, Some(high)) if low == high => {
                u32::try_from(high).ok().and_then(|n| NonZeroU32::MIN.checked_add(n))
            }
            _ => None,
        };
        Run {
            delays,
            attempts: 0,
            slept: Duration::ZERO,
            started: None,
            max_attempts,
            nested: None,
            hands_attempt,
            withdrawal: None,
        }
    }

    /// Counts an attempt that starts now and describes it to the operation.
    ///
    /// An operation that is not handed its attempt gets only the number: the clock is read
    /// just once, for the start of a `max_elapsed` limit, or not at all.
    #[inline]
    pub(crate) fn begin(&mut self, limits: &Limits, clock: &impl Clock) -> Attempt {
        self.attempts = self.attempts.saturating_add(1);
        let max_elapsed = limits.max_elapsed;
        if !self.hands_attempt && (max_elapsed.is_none() || self.started.is_some()) {
            return Attempt { number: self.attempts, elapsed: Duration::ZERO, time_left: None };
        }
        let now = clock.now();
        let started = *self.started.get_or_insert(now);
        let elapsed = now.saturating_duration_since(started);
        let time_left = max_elapsed.map(|max| max.saturating_sub(elapsed));
        Attempt { number: self.attempts, elapsed, time_left }
    }

    /// Records a sleep the adapter finished.
    #[inline]
    pub(crate) fn slept(&mut self, delay: Duration) {
        self.slept = self.slept.saturating_add(delay);
    }

    /// The budget this run pays into: none for a retry nested in a sole layer, which makes
    /// a single attempt and must not count the outer layer's failures twice.
    #[inline]
    fn budget<'b>(&mut self, budget: Option<&'b RetryBudget>) -> Option<&'b RetryBudget> {
        budget.filter(|_| !self.nested())
    }

    #[inline]
    fn nested(&mut self) -> bool {
        *self.nested.get_or_insert_with(scope::inside_sole_layer)
    }

    /// After a success: the report, and an info line if it took retries.
    #[inline]
    pub(crate) fn succeeded(&mut self, budget: Option<&RetryBudget>) -> Report {
        if let Some(budget) = self.budget(budget) {
            budget.record_success(self.withdrawal);
        }
        if metrics::ENABLED && !self.nested() {
            count(Step::Stop(Stop::Succeeded), budget);
        }
        if self.attempts > 1 && enabled(Level::Info) {
            log_success(self.counter(), self.slept);
        }
        self.report(Stop::Succeeded)
    }

    /// After a failed attempt: retry after a delay, or stop. `clock` is read only to
    /// check `max_elapsed`.
    ///
    /// The rules come in their three parts, so that the blocking adapter can keep each in
    /// registers where it can (see [`Rules`](crate::policy::Rules)).
    ///
    /// On `Step::Retry` the `notify` hook has run and the warning is logged; on
    /// `Step::Stop` the give-up hook has run and the reason is logged.
    #[inline(always)]
    pub(crate) fn failed<E, W, N, A, G>(
        &mut self,
        hooks: &Hooks<E, W, N, A, G>,
        limits: &Limits,
        budget: Option<&RetryBudget>,
        error: &E,
        clock: &impl Clock,
    ) -> Step
    where
        E: Display,
        W: Fn(&E) -> bool,
        N: Fn(&E, Duration),
        A: Fn(&E, Duration) -> Option<Duration>,
        G: Fn(&E, u32),
    {
        let step = self.decide(hooks, limits, budget, error, clock);
        if metrics::ENABLED && !self.nested() {
            count(step, budget);
        }
        match step {
            Step::Retry(delay) => {
                if enabled(Level::Warn) {
                    log_retry(self.counter(), error, delay);
                }
                if let Some(notify) = &hooks.notify {
                    notify(error, delay);
                }
            }
            Step::Stop(stop) => {
                // Error is the least verbose of the two levels a stop logs at.
                if enabled(Level::Error) {
                    log_stop(self.counter(), error, stop);
                }
                if let Some(give_up) = &hooks.give_up {
                    give_up(error, self.attempts);
                }
            }
        }
        step
    }

    #[inline(always)]
    fn decide<E, W, N, A, G>(
        &mut self,
        hooks: &Hooks<E, W, N, A, G>,
        limits: &Limits,
        budget: Option<&RetryBudget>,
        error: &E,
        clock: &impl Clock,
    ) -> Step
    where
        W: Fn(&E) -> bool,
        A: Fn(&E, Duration) -> Option<Duration>,
    {
        if let Some(when) = &hooks.when {
            if !when(error) {
                return Step::Stop(Stop::NotRetryable);
            }
        }
        if self.nested() {
            return Step::Stop(Stop::OuterLayerRetries);
        }
        if let Some(budget) = self.budget(budget) {
            budget.record_failure();
        }
        let Some(mut delay) = self.delays.next() else {
            return Step::Stop(Stop::ScheduleExhausted);
        };
        if let Some(adjust) = &hooks.adjust {
            if let Some(wanted) = adjust(error, delay) {
                delay = wanted.min(limits.adjust_ceiling);
            }
        }
        if let Some(max) = limits.max_elapsed {
            let elapsed =
                self.started.map_or(Duration::ZERO, |s| clock.now().saturating_duration_since(s));
            // An overflowing sum is past any limit, Duration::MAX included.
            if elapsed.checked_add(delay).is_none_or(|end| end > max) {
                return Step::Stop(Stop::MaxElapsed);
            }
        }
        if let Some(budget) = self.budget(budget) {
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
    match step {
        Step::Retry(delay) => metrics::retrying(delay),
        Step::Stop(stop) => metrics::stopped(stop),
    }
    if let Some(budget) = budget {
        metrics::budget_used(budget);
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
