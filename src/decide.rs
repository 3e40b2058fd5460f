//! The decision core: after each attempt, return, retry after a delay, or give up.
//!
//! Both adapters drive a [`Run`] and do only what it says, so every rule lives here once:
//! `when`, the schedule, `adjust` and its ceiling, `max_elapsed`, the one-layer scope, the
//! hooks and the log lines.

use std::fmt::Display;
use std::time::{Duration, Instant};

use crate::budget::{RetryBudget, RetryKind, Withdrawal};
use crate::policy::{Attempt, Limits, Report, Rules, Stop};
use crate::scope;

/// What the adapter does next after a failed attempt.
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
    max_attempts: Option<u32>,
    /// Whether an enclosing retry is the sole retrying layer; read once, at the start.
    nested: bool,
    /// What the latest retry paid the budget, refunded in part on success.
    withdrawal: Option<Withdrawal>,
}

impl<I: Iterator<Item = Duration>> Run<I> {
    pub(crate) fn new(delays: I) -> Self {
        let max_attempts = match delays.size_hint() {
            (low, Some(high)) if low == high => u32::try_from(high).ok().and_then(|n| n.checked_add(1)),
            _ => None,
        };
        Run { delays, attempts: 0, slept: Duration::ZERO, started: None, max_attempts, nested: scope::inside_sole_layer(), withdrawal: None }
    }

    /// Counts an attempt that starts at `now` and describes it to the operation.
    pub(crate) fn begin<E, W, N, A, G>(&mut self, rules: &Rules<E, W, N, A, G>, now: Instant) -> Attempt {
        self.attempts = self.attempts.saturating_add(1);
        let started = *self.started.get_or_insert(now);
        let elapsed = now.saturating_duration_since(started);
        let time_left = rules.limits.max_elapsed.map(|max| max.saturating_sub(elapsed));
        Attempt { number: self.attempts, elapsed, time_left }
    }

    /// Records a sleep the adapter finished.
    pub(crate) fn slept(&mut self, delay: Duration) {
        self.slept = self.slept.saturating_add(delay);
    }

    /// The budget this run pays into: none for a retry nested in a sole layer, which makes
    /// a single attempt and must not count the outer layer's failures twice.
    fn budget<'r>(&self, limits: &'r Limits) -> Option<&'r RetryBudget> {
        limits.budget.as_ref().filter(|_| !self.nested)
    }

    /// After a success: the report, and an info line if it took retries.
    pub(crate) fn succeeded<E, W, N, A, G>(&self, rules: &Rules<E, W, N, A, G>) -> Report {
        if let Some(budget) = self.budget(&rules.limits) {
            budget.record_success(self.withdrawal);
        }
        if self.attempts > 1 {
            log::info!(
                target: "persevere",
                "attempt {} succeeded after {:?} of backoff",
                Counter(self.attempts, self.max_attempts),
                self.slept
            );
        }
        self.report(Stop::Succeeded)
    }

    /// After a failed attempt that ended at `now`: retry after a delay, or stop.
    ///
    /// On `Step::Retry` the `notify` hook has run and the warning is logged; on
    /// `Step::Stop` the give-up hook has run and the reason is logged.
    pub(crate) fn failed<E, W, N, A, G>(&mut self, rules: &Rules<E, W, N, A, G>, error: &E, now: Instant) -> Step
    where
        E: Display,
        W: Fn(&E) -> bool,
        N: Fn(&E, Duration),
        A: Fn(&E, Duration) -> Option<Duration>,
        G: Fn(&E, u32),
    {
        let step = self.decide(rules, error, now);
        let attempt = Counter(self.attempts, self.max_attempts);
        match step {
            Step::Retry(delay) => {
                log::warn!(target: "persevere", "attempt {attempt} failed: {error}; retrying in {delay:?}");
                if let Some(notify) = &rules.notify {
                    notify(error, delay);
                }
            }
            Step::Stop(stop) => {
                match stop {
                    Stop::NotRetryable | Stop::OuterLayerRetries => {
                        log::debug!(target: "persevere", "attempt {attempt} failed: {error}; not retrying: {stop}")
                    }
                    _ => log::error!(target: "persevere", "attempt {attempt} failed: {error}; giving up: {stop}"),
                }
                if let Some(give_up) = &rules.give_up {
                    give_up(error, self.attempts);
                }
            }
        }
        step
    }

    fn decide<E, W, N, A, G>(&mut self, rules: &Rules<E, W, N, A, G>, error: &E, now: Instant) -> Step
    where
        W: Fn(&E) -> bool,
        A: Fn(&E, Duration) -> Option<Duration>,
    {
        if let Some(when) = &rules.when {
            if !when(error) {
                return Step::Stop(Stop::NotRetryable);
            }
        }
        if self.nested {
            return Step::Stop(Stop::OuterLayerRetries);
        }
        if let Some(budget) = self.budget(&rules.limits) {
            budget.record_failure();
        }
        let Some(mut delay) = self.delays.next() else {
            return Step::Stop(Stop::ScheduleExhausted);
        };
        if let Some(adjust) = &rules.adjust {
            if let Some(wanted) = adjust(error, delay) {
                delay = wanted.min(rules.limits.adjust_ceiling);
            }
        }
        if let Some(max) = rules.limits.max_elapsed {
            let elapsed = self.started.map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
            // An overflowing sum is past any limit, Duration::MAX included.
            if elapsed.checked_add(delay).is_none_or(|end| end > max) {
                return Step::Stop(Stop::MaxElapsed);
            }
        }
        if let Some(budget) = self.budget(&rules.limits) {
            match budget.try_withdraw(RetryKind::Normal) {
                Some(paid) => self.withdrawal = Some(paid),
                None => return Step::Stop(Stop::BudgetExhausted),
            }
        }
        Step::Retry(delay)
    }

    pub(crate) fn report(&self, stop: Stop) -> Report {
        Report { attempts: self.attempts, slept: self.slept, stop }
    }
}

/// "2/4" when the schedule's length is known, "2" otherwise.
struct Counter(u32, Option<u32>);

impl Display for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(max) => write!(f, "{}/{max}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}
