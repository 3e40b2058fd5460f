//! Metrics for dashboards, through the [`metrics`](https://docs.rs/metrics) facade.
//!
//! With the `metrics` cargo feature on, retries, circuit breakers, retry budgets and
//! supervisors report what they do to whatever recorder the application installed: a
//! Prometheus exporter, StatsD, OpenTelemetry, or a test recorder. With no recorder
//! installed, each report costs a thread-local read and an atomic load; with the feature off,
//! nothing at all is compiled in.
//!
#![cfg_attr(
    feature = "metrics",
    doc = r#"
```
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use persevere::{blocking, Fixed};
use std::time::Duration;

// An application installs its exporter once, globally; a test recorder here.
let recorder = DebuggingRecorder::new();
let snapshotter = recorder.snapshotter();
metrics::with_local_recorder(&recorder, || {
    persevere::metrics::describe(); // optional: help texts and units
    let result = blocking::retry(Fixed::new(Duration::ZERO).max_retries(2), || Err::<(), _>("down"))
        .call();
    assert!(result.is_err());
});

let retries = snapshotter.snapshot().into_vec().into_iter().find_map(|(key, _, _, value)| {
    let key = key.key();
    let is_retry = key.name() == persevere::metrics::ATTEMPTS
        && key.labels().any(|l| l.value() == "retry");
    is_retry.then_some(value)
});
assert_eq!(retries, Some(DebugValue::Counter(2)));
```
"#
)]
//!
//! # The metrics
//!
//! | name | type | labels | meaning |
//! |---|---|---|---|
//! | `persevere_attempts_total` | counter | `outcome`, `operation` | attempts made by retries, by what came of each |
//! | `persevere_retry_delay_seconds` | histogram | `operation` | each delay a retry is about to sleep, after `adjust` and its ceiling |
//! | `persevere_gave_up_total` | counter | `reason`, `operation` | retries and supervisors that gave up and returned an error: the dead-letter count |
//! | `persevere_breaker_state` | gauge | `breaker` | a circuit breaker's state: 0 closed, 1 half-open, 2 open |
//! | `persevere_breaker_transitions_total` | counter | `breaker`, `from`, `to` | circuit breaker state changes |
//! | `persevere_budget_tokens` | gauge | none | the tokens left in the retry budget a retry last used |
//! | `persevere_supervisor_restarts_total` | counter | `task` | restarts of supervised background tasks |
//!
//! The labels take few values, so the number of series stays small:
//!
//! * `outcome`: `success` (the attempt succeeded), `retry` (it failed and a retry follows),
//!   `not_retryable` (it failed with an error that `when` does not retry) and `gave_up` (it
//!   failed, and the schedule, `max_elapsed` or the budget ended the retrying).
//! * `reason`: `not_retryable`, `schedule_exhausted`, `max_elapsed`, `budget_exhausted` and
//!   `breaker_open` for retries (one count per call of the `on_give_up` hook); `max_failures` for a
//!   [`Supervisor`](crate::supervise::Supervisor) that failed too often in a row.
//! * `breaker`: the name given to the breaker's builder (`""` if none); `from` and `to`:
//!   `closed`, `half_open` and `open`.
//! * `task`: the supervisor's [`name`](crate::supervise::Supervisor::name) (`""` if none).
//! * `operation`: the retry's `name` (`""` if none, and for a supervisor giving up): a
//!   program has as many as it has named call sites and configured policies.
//!
//! A retry nested in the [sole retrying layer](crate::Policy::sole_layer) reports nothing:
//! its single attempt is the enclosing retry's attempt, which counts it once.
//! `persevere_budget_tokens` has no label, since budgets have no name: with several budgets,
//! it shows whichever a retry touched last.
//!
//! The counters and the histogram of unnamed retries use static labels and allocate nothing
//! beyond what the recorder does; a named retry builds its key (a small `Vec` of labels) each
//! time it reports; the breaker and supervisor metrics copy the name into the label when a
//! breaker changes state or a task restarts, which is rare by design.
//!
//! # Histogram buckets
//!
//! Exporters that need buckets for histograms (Prometheus) pick their own defaults; delays
//! span milliseconds to minutes, so set buckets for [`RETRY_DELAY`] such as
//! `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]`
//! (the example `metrics_prometheus` shows how).

use std::time::Duration;

/// Whether metrics are compiled in: callers test it before doing any work just for metrics.
pub(crate) const ENABLED: bool = cfg!(feature = "metrics");

/// `persevere_attempts_total`, a counter labelled `outcome`.
#[cfg(feature = "metrics")]
pub const ATTEMPTS: &str = "persevere_attempts_total";
/// `persevere_retry_delay_seconds`, a histogram of the delays about to be slept, in seconds.
#[cfg(feature = "metrics")]
pub const RETRY_DELAY: &str = "persevere_retry_delay_seconds";
/// `persevere_gave_up_total`, a counter labelled `reason`: the dead-letter count.
#[cfg(feature = "metrics")]
pub const GAVE_UP: &str = "persevere_gave_up_total";
/// `persevere_breaker_state`, a gauge labelled `breaker`: 0 closed, 1 half-open, 2 open.
#[cfg(feature = "metrics")]
pub const BREAKER_STATE: &str = "persevere_breaker_state";
/// `persevere_breaker_transitions_total`, a counter labelled `breaker`, `from` and `to`.
#[cfg(feature = "metrics")]
pub const BREAKER_TRANSITIONS: &str = "persevere_breaker_transitions_total";
/// `persevere_budget_tokens`, a gauge of the tokens left in the budget a retry last used.
#[cfg(feature = "metrics")]
pub const BUDGET_TOKENS: &str = "persevere_budget_tokens";
/// `persevere_supervisor_restarts_total`, a counter labelled `task`.
#[cfg(feature = "metrics")]
pub const SUPERVISOR_RESTARTS: &str = "persevere_supervisor_restarts_total";

/// Sends the help text and unit of every metric above to the current recorder.
///
/// Optional: exporters that print help lines (Prometheus's `# HELP`) show them. Call it once
/// after installing the recorder.
///
/// ```
/// persevere::metrics::describe();
/// ```
#[cfg(feature = "metrics")]
pub fn describe() {
    use ::metrics::Unit;

    ::metrics::describe_counter!(ATTEMPTS, Unit::Count, "Attempts made by retries, by outcome.");
    ::metrics::describe_histogram!(
        RETRY_DELAY,
        Unit::Seconds,
        "Delays retries were about to sleep, after adjust and its ceiling."
    );
    ::metrics::describe_counter!(
        GAVE_UP,
        Unit::Count,
        "Retries and supervisors that gave up and returned an error, by reason."
    );
    ::metrics::describe_gauge!(
        BREAKER_STATE,
        "Circuit breaker state: 0 closed, 1 half-open, 2 open."
    );
    ::metrics::describe_counter!(
        BREAKER_TRANSITIONS,
        Unit::Count,
        "Circuit breaker state changes."
    );
    ::metrics::describe_gauge!(BUDGET_TOKENS, "Tokens left in the retry budget a retry last used.");
    ::metrics::describe_counter!(
        SUPERVISOR_RESTARTS,
        Unit::Count,
        "Restarts of supervised background tasks."
    );
}

// What the rest of the crate calls. Without the feature each is an empty inline function,
// and the decision core skips even the calls (see ENABLED).

/// A retry named `operation` (`""` if unnamed) failed and will sleep `delay` before its
/// next attempt.
#[inline]
pub(crate) fn retrying(delay: Duration, operation: &str) {
    #[cfg(feature = "metrics")]
    emit::retrying(delay, operation);
    #[cfg(not(feature = "metrics"))]
    let _ = (delay, operation);
}

/// How a retry ended, in this module's own terms: it imports nothing of the crate.
#[derive(Clone, Copy)]
pub(crate) enum Ending {
    Success,
    NotRetryable,
    ScheduleExhausted,
    MaxElapsed,
    BudgetExhausted,
    BreakerOpen,
}

/// A circuit breaker's state, in this module's own terms.
#[derive(Clone, Copy)]
pub(crate) enum Circuit {
    Closed,
    HalfOpen,
    Open,
}

/// The last attempt of a retry named `operation` (`""` if unnamed) ended it, as `ending`
/// says.
#[inline]
pub(crate) fn ended(ending: Ending, operation: &str) {
    #[cfg(feature = "metrics")]
    emit::ended(ending, operation);
    #[cfg(not(feature = "metrics"))]
    let _ = (ending, operation);
}

/// A retry withdrew from, paid into or was refunded by a budget, which has `tokens` left.
#[inline]
pub(crate) fn budget_tokens(tokens: f64) {
    #[cfg(feature = "metrics")]
    emit::budget(tokens);
    #[cfg(not(feature = "metrics"))]
    let _ = tokens;
}

/// A breaker named `name` was built (`from` is `None`) or moved from `from` to `to`.
#[inline]
pub(crate) fn breaker(name: &str, from: Option<Circuit>, to: Circuit) {
    #[cfg(feature = "metrics")]
    emit::breaker(name, from, to);
    #[cfg(not(feature = "metrics"))]
    let _ = (name, from, to);
}

/// A supervisor restarts its task named `task`.
#[inline]
pub(crate) fn supervisor_restart(task: Option<&std::borrow::Cow<'static, str>>) {
    #[cfg(feature = "metrics")]
    emit::supervisor_restart(task);
    #[cfg(not(feature = "metrics"))]
    let _ = task;
}

/// A supervisor gave up after too many failures in a row.
#[inline]
pub(crate) fn supervisor_gave_up() {
    #[cfg(feature = "metrics")]
    emit::counter(&emit::GAVE_UP_MAX_FAILURES.key(""));
}

#[cfg(feature = "metrics")]
mod emit {
    use std::borrow::Cow;
    use std::time::Duration;

    use ::metrics::{Key, Label, Level, Metadata, with_recorder};

    use super::*;

    static METADATA: Metadata<'static> =
        Metadata::new("persevere", Level::INFO, Some(module_path!()));

    /// A series of a retry metric: its key for unnamed retries (`operation` is `""`), with
    /// its hash computed at compile time, and what a named retry's key is made of.
    pub(super) struct Series {
        unnamed: Key,
        name: &'static str,
        label: Option<Label>,
    }

    impl Series {
        /// The key for a retry named `operation`: static for an unnamed one; built (and
        /// allocated) for a named one.
        pub(super) fn key(&self, operation: &str) -> Cow<'_, Key> {
            if operation.is_empty() {
                return Cow::Borrowed(&self.unnamed);
            }
            let named = Label::new("operation", operation.to_owned());
            let labels: Vec<Label> = self.label.iter().cloned().chain([named]).collect();
            Cow::Owned(Key::from_parts(self.name, labels))
        }
    }

    /// Series with one static label beside `operation`.
    macro_rules! keys {
        ($($key:ident, $labels:ident = $name:expr, $label:literal => $value:literal;)*) => {$(
            static $labels: [Label; 2] =
                [Label::from_static_parts($label, $value), Label::from_static_parts("operation", "")];
            pub(super) static $key: Series = Series {
                unnamed: Key::from_static_parts($name, &$labels),
                name: $name,
                label: Some(Label::from_static_parts($label, $value)),
            };
        )*};
    }

    keys! {
        SUCCESS, SUCCESS_LABELS = ATTEMPTS, "outcome" => "success";
        RETRY, RETRY_LABELS = ATTEMPTS, "outcome" => "retry";
        NOT_RETRYABLE, NOT_RETRYABLE_LABELS = ATTEMPTS, "outcome" => "not_retryable";
        EXHAUSTED, EXHAUSTED_LABELS = ATTEMPTS, "outcome" => "gave_up";
        GAVE_UP_NOT_RETRYABLE, GAVE_UP_NOT_RETRYABLE_LABELS = GAVE_UP, "reason" => "not_retryable";
        GAVE_UP_SCHEDULE, GAVE_UP_SCHEDULE_LABELS = GAVE_UP, "reason" => "schedule_exhausted";
        GAVE_UP_MAX_ELAPSED, GAVE_UP_MAX_ELAPSED_LABELS = GAVE_UP, "reason" => "max_elapsed";
        GAVE_UP_BUDGET, GAVE_UP_BUDGET_LABELS = GAVE_UP, "reason" => "budget_exhausted";
        GAVE_UP_BREAKER, GAVE_UP_BREAKER_LABELS = GAVE_UP, "reason" => "breaker_open";
        GAVE_UP_MAX_FAILURES, GAVE_UP_MAX_FAILURES_LABELS = GAVE_UP, "reason" => "max_failures";
    }

    static DELAY_LABELS: [Label; 1] = [Label::from_static_parts("operation", "")];
    static DELAY: Series = Series {
        unnamed: Key::from_static_parts(RETRY_DELAY, &DELAY_LABELS),
        name: RETRY_DELAY,
        label: None,
    };
    static TOKENS: Key = Key::from_static_name(BUDGET_TOKENS);

    pub(super) fn counter(key: &Key) {
        with_recorder(|r| r.register_counter(key, &METADATA).increment(1));
    }

    pub(super) fn retrying(delay: Duration, operation: &str) {
        counter(&RETRY.key(operation));
        let delays = DELAY.key(operation);
        with_recorder(|r| r.register_histogram(&delays, &METADATA).record(delay.as_secs_f64()));
    }

    pub(super) fn ended(ending: Ending, operation: &str) {
        let (attempt, gave_up) = match ending {
            Ending::Success => (&SUCCESS, None),
            Ending::NotRetryable => (&NOT_RETRYABLE, Some(&GAVE_UP_NOT_RETRYABLE)),
            Ending::ScheduleExhausted => (&EXHAUSTED, Some(&GAVE_UP_SCHEDULE)),
            Ending::MaxElapsed => (&EXHAUSTED, Some(&GAVE_UP_MAX_ELAPSED)),
            Ending::BudgetExhausted => (&EXHAUSTED, Some(&GAVE_UP_BUDGET)),
            Ending::BreakerOpen => (&EXHAUSTED, Some(&GAVE_UP_BREAKER)),
        };
        counter(&attempt.key(operation));
        if let Some(series) = gave_up {
            counter(&series.key(operation));
        }
    }

    pub(super) fn budget(tokens: f64) {
        with_recorder(|r| r.register_gauge(&TOKENS, &METADATA).set(tokens));
    }

    fn state_label(state: Circuit) -> &'static str {
        match state {
            Circuit::Closed => "closed",
            Circuit::HalfOpen => "half_open",
            Circuit::Open => "open",
        }
    }

    fn state_value(state: Circuit) -> f64 {
        match state {
            Circuit::Closed => 0.0,
            Circuit::HalfOpen => 1.0,
            Circuit::Open => 2.0,
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn breaker(name: &str, from: Option<Circuit>, to: Circuit) {
        let name = Label::new("breaker", name.to_owned());
        let state = Key::from_parts(BREAKER_STATE, vec![name.clone()]);
        with_recorder(|r| r.register_gauge(&state, &METADATA).set(state_value(to)));
        if let Some(from) = from {
            let labels = vec![
                name,
                Label::from_static_parts("from", state_label(from)),
                Label::from_static_parts("to", state_label(to)),
            ];
            let transitions = Key::from_parts(BREAKER_TRANSITIONS, labels);
            counter(&transitions);
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn supervisor_restart(task: Option<&Cow<'static, str>>) {
        let task = task.cloned().unwrap_or(Cow::Borrowed(""));
        let key = Key::from_parts(SUPERVISOR_RESTARTS, vec![Label::new("task", task)]);
        counter(&key);
    }
}
