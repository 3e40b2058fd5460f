//! The decision core: after each attempt, return, retry after a delay, or give up.
//!
//! Both flavours of the retry loop drive a [`Run`] and do only what it says, so every rule
//! lives here once: `when`, the schedule, `adjust` and its ceiling, `max_elapsed`, the
//! budget, the one-layer scope, the hooks, the log lines and the metrics.

use std::fmt::Display;
use std::time::Duration;

use log::Level;

use super::hooks::RetryHooks;
use super::limits::{DEFAULT_ADJUST_CEILING, LimitSlot, Limits, Name};
use super::{Attempt, Report, Stop, scope};
use crate::budget::{RetryBudget, RetryKind};
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
/// holds one copy of each and the async flavour's future nothing twice. Whatever only the
/// limits need (when the first attempt started, what the budget was paid) lives with them,
/// so a retry without limits keeps the schedule and sixteen bytes.
pub(crate) struct Run<S> {
    schedule: S,
    /// The attempts that failed and were retried: the one running (or the last, once the
    /// run stops) is number `failed + 1`. Counting these rather than starts leaves a first
    /// try that succeeds nothing to store.
    failed: u32,
    /// The time slept, as `Duration`'s two parts: kept apart, the nanoseconds share eight
    /// bytes with `failed` rather than pad a `Duration` of their own.
    slept_nanos: u32,
    slept_secs: u64,
}

impl<S: Iterator<Item = Duration>> Run<S> {
    #[inline]
    pub(crate) fn new(schedule: impl IntoIterator<IntoIter = S>) -> Self {
        Run { schedule: schedule.into_iter(), failed: 0, slept_nanos: 0, slept_secs: 0 }
    }

    /// The number of the attempt running or last run, from 1.
    #[inline(always)]
    fn attempt(&self) -> u32 {
        self.failed.saturating_add(1)
    }

    /// Describes the attempt that starts now to the operation.
    ///
    /// An operation that is not handed its attempt (`hands_attempt` false) gets only the
    /// number: the clock is then read just once, for the start of a `max_elapsed` limit, or
    /// not at all.
    #[inline]
    pub(crate) fn begin(
        &mut self,
        hands_attempt: bool,
        limits: &mut impl LimitSlot,
        clock: &impl Clock,
    ) -> Attempt {
        let number = self.attempt();
        let Some(limits) = limits.get_mut() else {
            return Attempt { number, elapsed: Duration::ZERO, time_left: None };
        };
        let max_elapsed = limits.max_elapsed;
        if !hands_attempt && (max_elapsed.is_none() || limits.started.is_some()) {
            return Attempt { number, elapsed: Duration::ZERO, time_left: None };
        }
        let now = clock.now();
        let started = *limits.started.get_or_insert(now);
        let elapsed = self.elapsed(now.saturating_duration_since(started));
        let time_left = max_elapsed.map(|max| max.saturating_sub(elapsed));
        Attempt { number, elapsed, time_left }
    }

    /// After a success: the report, and an info line if it took retries.
    // Always inlined, as `failed` is, and for the same reason as `counter`.
    #[inline(always)]
    pub(crate) fn succeeded(&mut self, limits: &impl LimitSlot) -> Report {
        let budget = limits.get().and_then(|l| l.budget.as_ref().map(|b| (b, l.withdrawal)));
        if budget.is_some() || metrics::ENABLED {
            let nested = scope::inside_sole_layer();
            if let (Some((budget, withdrawal)), false) = (budget, nested) {
                budget.record_success(withdrawal);
            }
            if metrics::ENABLED && !nested {
                let name = limits.get().and_then(|l| l.name.as_ref());
                count(Step::Stop(Stop::Succeeded), budget.map(|(b, _)| b), name);
            }
        }
        if self.failed > 0 && enabled(Level::Info) {
            log_success(self.counter(false, limits.get()), self.slept());
        }
        self.report(Stop::Succeeded)
    }

    /// After a failed attempt: retry after a delay, or stop. `timed_out` says the attempt
    /// ran out of its attempt timeout, which a budget charges as a timeout. `clock` is read
    /// only to check `max_elapsed`.
    ///
    /// On `Step::Retry` the delay is counted as slept, the `notify` hook has run and the
    /// warning is logged; on `Step::Stop` the give-up hook has run and the reason is logged.
    #[inline(always)]
    pub(crate) fn failed<E: Display>(
        &mut self,
        hooks: &impl RetryHooks<E>,
        limits: &mut impl LimitSlot,
        error: &E,
        timed_out: bool,
        clock: &impl Clock,
    ) -> Step {
        let nested = scope::inside_sole_layer();
        let mut limits = limits.get_mut();
        let step = self.decide(hooks, limits.as_deref_mut(), nested, timed_out, error, clock);
        // A retry nested in a sole layer makes a single attempt and must not count the
        // enclosing layer's failures twice, in the budget or in the metrics.
        if metrics::ENABLED && !nested {
            let limits = limits.as_deref();
            count(
                step,
                limits.and_then(|l| l.budget.as_ref()),
                limits.and_then(|l| l.name.as_ref()),
            );
        }
        match step {
            Step::Retry(delay) => {
                self.add_slept(delay);
                let level = limits.as_ref().map_or(Level::Warn, |l| l.level);
                if enabled(level) {
                    log_retry(level, self.counter(true, limits.as_deref()), error, delay);
                }
                hooks.notify(error, delay);
                self.failed = self.failed.saturating_add(1);
            }
            Step::Stop(stop) => {
                // Error is the least verbose of the two levels a stop logs at.
                if enabled(Level::Error) {
                    let took_delay = matches!(stop, Stop::MaxElapsed | Stop::BudgetExhausted);
                    log_stop(self.counter(took_delay, limits.as_deref()), error, stop);
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
        limits: Option<&mut Limits>,
        nested: bool,
        timed_out: bool,
        error: &E,
        clock: &impl Clock,
    ) -> Step {
        let mut kind = match hooks.verdict(error) {
            Ok(kind) => kind,
            Err(stop) => return Step::Stop(stop),
        };
        if timed_out {
            kind = RetryKind::Timeout;
        }
        if nested {
            return Step::Stop(Stop::OuterLayerRetries);
        }
        if let Some(budget) = limits.as_ref().and_then(|l| l.budget.as_ref()) {
            budget.record_failure();
        }
        let Some(mut delay) = self.schedule.next() else {
            return Step::Stop(Stop::ScheduleExhausted);
        };
        if let Some(wanted) = hooks.adjust(error, delay) {
            let ceiling = limits.as_ref().map_or(DEFAULT_ADJUST_CEILING, |l| l.adjust_ceiling);
            delay = wanted.min(ceiling);
        }
        let Some(limits) = limits else {
            return Step::Retry(delay);
        };
        if let Some(max) = limits.max_elapsed {
            let measured =
                limits.started.map_or(Duration::ZERO, |s| clock.now().saturating_duration_since(s));
            let elapsed = self.elapsed(measured);
            // An overflowing sum is past any limit, Duration::MAX included.
            if elapsed.checked_add(delay).is_none_or(|end| end > max) {
                return Step::Stop(Stop::MaxElapsed);
            }
        }
        if let Some(budget) = &limits.budget {
            match budget.try_withdraw(kind) {
                Some(paid) => limits.withdrawal = Some(paid),
                None => return Step::Stop(Stop::BudgetExhausted),
            }
        }
        Step::Retry(delay)
    }

    /// The time since the first attempt started: what the clock measured, and never less
    /// than the time slept. A clock that stands still while the sleeps advance virtual time
    /// (std's clock under tokio's paused time in tests) then still ends `max_elapsed`; a
    /// real clock always measures at least the sleeps.
    #[inline]
    fn elapsed(&self, measured: Duration) -> Duration {
        measured.max(self.slept())
    }

    #[inline]
    fn slept(&self) -> Duration {
        // `slept_nanos` comes from `subsec_nanos`, below a billion; saying so where the
        // compiler sees it drops `Duration::new`'s carry and its panic, so a report nobody
        // reads (`call`) is not built at all.
        let nanos = if self.slept_nanos < 1_000_000_000 { self.slept_nanos } else { 0 };
        Duration::new(self.slept_secs, nanos)
    }

    #[inline]
    fn add_slept(&mut self, delay: Duration) {
        let slept = self.slept().saturating_add(delay);
        (self.slept_secs, self.slept_nanos) = (slept.as_secs(), slept.subsec_nanos());
    }

    #[inline]
    pub(crate) fn report(&self, stop: Stop) -> Report {
        Report { attempts: self.attempt(), slept: self.slept(), stop }
    }

    /// "attempt 2/4" when the schedule says how many delays it has left, which with the
    /// attempts so far gives the most attempts there can be; `took_delay` says whether the
    /// failure being logged took a delay from the schedule.
    ///
    /// Inlined, and what it calls out of line takes values: a call handed the address of
    /// the run would keep the schedule in memory for the whole loop, and make a first try
    /// that succeeds store it there before the attempt.
    #[inline(always)]
    fn counter<'a>(&self, took_delay: bool, limits: Option<&'a Limits>) -> Counter<'a> {
        let attempt = self.attempt();
        let max = max_attempts(self.schedule.size_hint(), attempt, took_delay);
        Counter { name: limits.and_then(|l| l.name.as_ref()), attempt, max }
    }
}

/// The most attempts there can be, when the schedule's `size_hint` is exact.
#[cold]
#[inline(never)]
fn max_attempts(hint: (usize, Option<usize>), attempts: u32, took_delay: bool) -> Option<u32> {
    match hint {
        (low, Some(high)) if low == high => u32::try_from(high)
            .ok()
            .and_then(|left| attempts.checked_add(left))
            .and_then(|max| max.checked_add(u32::from(took_delay))),
        _ => None,
    }
}

/// Reports a step to the `metrics` recorder, and the budget's level after the step changed it.
///
/// A retry nested in a sole layer does not call this: its attempt is the enclosing retry's
/// attempt, which counts it.
#[inline(never)]
fn count(step: Step, budget: Option<&RetryBudget>, name: Option<&Name>) {
    use metrics::Ending;
    let operation = name.map_or("", Name::as_str);
    match step {
        Step::Retry(delay) => metrics::retrying(delay, operation),
        Step::Stop(stop) => metrics::ended(
            match stop {
                Stop::Succeeded => Ending::Success,
                Stop::NotRetryable => Ending::NotRetryable,
                Stop::ScheduleExhausted => Ending::ScheduleExhausted,
                Stop::MaxElapsed => Ending::MaxElapsed,
                Stop::BudgetExhausted => Ending::BudgetExhausted,
                Stop::BreakerOpen => Ending::BreakerOpen,
                // The enclosing retry counts this attempt.
                Stop::OuterLayerRetries => return,
            },
            operation,
        ),
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
    log::info!(target: "persevere", "{attempt} succeeded after {slept:?} of backoff");
}

#[cold]
#[inline(never)]
fn log_retry(level: Level, attempt: Counter, error: &dyn Display, delay: Duration) {
    log::log!(target: "persevere", level, "{attempt} failed: {error}; retrying in {delay:?}");
}

#[cold]
#[inline(never)]
fn log_stop(attempt: Counter, error: &dyn Display, stop: Stop) {
    match stop {
        Stop::NotRetryable | Stop::OuterLayerRetries => {
            log::debug!(target: "persevere", "{attempt} failed: {error}; not retrying: {stop}")
        }
        _ => {
            log::error!(target: "persevere", "{attempt} failed: {error}; giving up: {stop}")
        }
    }
}

/// "attempt 2/4" when the schedule's length is known, "attempt 2" otherwise; after the
/// retry's name and a colon when it has one.
#[derive(Clone, Copy)]
struct Counter<'a> {
    name: Option<&'a Name>,
    attempt: u32,
    max: Option<u32>,
}

impl Display for Counter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(name) = self.name {
            write!(f, "{}: ", name.as_str())?;
        }
        write!(f, "attempt {}", self.attempt)?;
        match self.max {
            Some(max) => write!(f, "/{max}"),
            None => Ok(()),
        }
    }
}
