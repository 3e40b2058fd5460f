//! The `metrics` feature: exact counts, delays and gauge values after scripted retries, a
//! breaker trip, a budget spend and a supervisor giving up, read from a test recorder local
//! to each test. The same lines read over HTTP from a real Prometheus exporter are checked
//! in `tests-integration/tests/prometheus.rs`, beside the example they follow.
#![cfg(feature = "metrics")]

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use persevere::breaker::CircuitBreaker;
use persevere::budget::RetryBudget;
use persevere::clock::ManualClock;
use persevere::metrics::{
    ATTEMPTS, BREAKER_STATE, BREAKER_TRANSITIONS, BUDGET_TOKENS, GAVE_UP, RETRY_DELAY,
    SUPERVISOR_RESTARTS,
};
use persevere::supervise::{Outcome, StopSignal, Supervisor};
use persevere::{Exponential, Fixed, Stop, blocking, future};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A metric's name and its labels, sorted.
type Id = (String, Vec<(String, String)>);

/// What a recorder held at one moment. The debugging recorder drains on snapshot, so each
/// read covers what happened since the previous one.
struct Seen {
    values: HashMap<Id, DebugValue>,
    descriptions: HashMap<String, String>,
}

impl Seen {
    fn take(snapshotter: &Snapshotter) -> Seen {
        let mut values = HashMap::new();
        let mut descriptions = HashMap::new();
        for (key, _unit, description, value) in snapshotter.snapshot().into_vec() {
            let key = key.key();
            let mut labels: Vec<(String, String)> =
                key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
            labels.sort();
            if let Some(description) = description {
                descriptions.insert(key.name().to_owned(), description.to_string());
            }
            values.insert((key.name().to_owned(), labels), value);
        }
        Seen { values, descriptions }
    }

    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<&DebugValue> {
        let mut labels: Vec<(String, String)> =
            labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        labels.sort();
        self.values.get(&(name.to_owned(), labels))
    }

    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
        match self.get(name, labels)? {
            DebugValue::Counter(n) => Some(*n),
            other => panic!("{name} is not a counter: {other:?}"),
        }
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        match self.get(name, labels)? {
            DebugValue::Gauge(x) => Some(x.into_inner()),
            other => panic!("{name} is not a gauge: {other:?}"),
        }
    }

    /// The histogram of unnamed retries.
    fn histogram(&self, name: &str) -> Option<Vec<f64>> {
        self.histogram_of(name, "")
    }

    fn histogram_of(&self, name: &str, operation: &str) -> Option<Vec<f64>> {
        match self.get(name, &[("operation", operation)])? {
            DebugValue::Histogram(xs) => Some(xs.iter().map(|x| x.into_inner()).collect()),
            other => panic!("{name} is not a histogram: {other:?}"),
        }
    }

    /// Every series seen, as `name{k=v,...}`, sorted: for checking nothing else was reported.
    fn series(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .values
            .keys()
            .map(|(name, labels)| {
                let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{name}{{{}}}", labels.join(","))
            })
            .collect();
        all.sort();
        all
    }
}

/// Runs `f` with a fresh recorder for this thread only, then reads what it recorded.
fn recorded<T>(f: impl FnOnce(&Snapshotter) -> T) -> (T, Seen) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let out = metrics::with_local_recorder(&recorder, || f(&snapshotter));
    (out, Seen::take(&snapshotter))
}

/// Polls a future whose sleeps are ready at once; the local recorder stays on this thread.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Fails `failures` times with "busy", then succeeds with the attempt count.
fn flaky(failures: u32) -> impl FnMut() -> Result<u32, &'static str> {
    let mut calls = 0;
    move || {
        calls += 1;
        if calls > failures { Ok(calls) } else { Err("busy") }
    }
}

#[test]
fn a_named_retry_is_the_operation_label_of_its_metrics() {
    let ((), seen) = recorded(|_| {
        let charge = blocking::retry(Fixed::new(ms(10)).max_retries(3), flaky(1))
            .name("charge_card")
            .sleep(|_| {})
            .call();
        assert_eq!(charge, Ok(2));
        let rates = block_on(
            future::retry(Fixed::new(ms(20)).max_retries(1), || {
                std::future::ready(Err::<(), _>("503"))
            })
            .name("fetch_rates")
            .sleep(|_| std::future::ready(()))
            .call(),
        );
        assert_eq!(rates, Err("503"));
        // The same policy names every call it makes.
        let policy = persevere::Policy::new(Fixed::new(ms(30)).max_retries(1)).name("fetch_rates");
        assert_eq!(policy.retry(flaky(0)).call(), Ok(1));
        assert_eq!(blocking::retry(Fixed::new(ms(40)), flaky(0)).call(), Ok(1));
    });
    let attempts = |outcome, operation| {
        seen.counter(ATTEMPTS, &[("outcome", outcome), ("operation", operation)])
    };
    assert_eq!(attempts("retry", "charge_card"), Some(1));
    assert_eq!(attempts("success", "charge_card"), Some(1));
    assert_eq!(attempts("retry", "fetch_rates"), Some(1));
    assert_eq!(attempts("gave_up", "fetch_rates"), Some(1));
    assert_eq!(attempts("success", "fetch_rates"), Some(1));
    assert_eq!(attempts("success", ""), Some(1));
    let gave_up = &[("reason", "schedule_exhausted"), ("operation", "fetch_rates")];
    assert_eq!(seen.counter(GAVE_UP, gave_up), Some(1));
    assert_eq!(seen.histogram_of(RETRY_DELAY, "charge_card"), Some(vec![0.01]));
    assert_eq!(seen.histogram_of(RETRY_DELAY, "fetch_rates"), Some(vec![0.02]));
    assert_eq!(seen.histogram(RETRY_DELAY), None);
}

#[test]
fn blocking_retries_count_attempts_delays_and_give_ups() {
    let ((), seen) = recorded(|_| {
        // Two failures, then success: delays 100 ms and 200 ms.
        let ok = blocking::retry(Exponential::new(ms(100)), flaky(2)).sleep(|_| {}).call();
        assert_eq!(ok, Ok(3));
        // Always failing, two retries of 50 ms: the schedule runs out.
        let (err, report) = blocking::retry(Fixed::new(ms(50)).max_retries(2), flaky(u32::MAX))
            .sleep(|_| {})
            .call_with_report();
        assert_eq!((err, report.stop), (Err("busy"), Stop::ScheduleExhausted));
        // An error `when` refuses.
        let err = blocking::retry(Fixed::new(ms(50)), flaky(u32::MAX))
            .when(|_| false)
            .sleep(|_| {})
            .call();
        assert_eq!(err, Err("busy"));
        // The first delay would pass max_elapsed: no sleep at all.
        let (_, report) = blocking::retry(Fixed::new(Duration::from_secs(1)), flaky(u32::MAX))
            .max_elapsed(ms(500))
            .sleep(|_| {})
            .call_with_report();
        assert_eq!(report.stop, Stop::MaxElapsed);
        // A first-try success.
        assert_eq!(blocking::retry(Fixed::new(ms(50)), flaky(0)).call(), Ok(1));
    });

    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "success"), ("operation", "")]), Some(2));
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "retry"), ("operation", "")]), Some(4));
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "not_retryable"), ("operation", "")]), Some(1));
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "gave_up"), ("operation", "")]), Some(2));
    assert_eq!(
        seen.counter(GAVE_UP, &[("reason", "schedule_exhausted"), ("operation", "")]),
        Some(1)
    );
    assert_eq!(seen.counter(GAVE_UP, &[("reason", "not_retryable"), ("operation", "")]), Some(1));
    assert_eq!(seen.counter(GAVE_UP, &[("reason", "max_elapsed"), ("operation", "")]), Some(1));
    assert_eq!(seen.histogram(RETRY_DELAY), Some(vec![0.1, 0.2, 0.05, 0.05]));
    // No budget, no breaker, no supervisor: nothing else.
    assert_eq!(seen.series().len(), 8, "{:#?}", seen.series());
}

#[test]
fn async_retries_report_the_same_as_blocking_ones() {
    let run = |asynchronous: bool| {
        recorded(|_| {
            let schedule = Exponential::new(ms(100)).max_retries(3);
            if asynchronous {
                let (mut flaky_op, mut failing_op) = (flaky(2), flaky(u32::MAX));
                let ok = block_on(
                    future::retry_mut(schedule.clone(), async || flaky_op())
                        .sleep(|_| std::future::ready(()))
                        .call(),
                );
                let err = block_on(
                    future::retry_mut(schedule, async || failing_op())
                        .sleep(|_| std::future::ready(()))
                        .call(),
                );
                (ok, err)
            } else {
                let ok = blocking::retry(schedule.clone(), flaky(2)).sleep(|_| {}).call();
                let err = blocking::retry(schedule, flaky(u32::MAX)).sleep(|_| {}).call();
                (ok, err)
            }
        })
    };
    let (results, seen) = run(true);
    let (blocking_results, blocking_seen) = run(false);
    assert_eq!(results, (Ok(3), Err("busy")));
    assert_eq!(results, blocking_results);
    assert_eq!(seen.values, blocking_seen.values);

    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "success"), ("operation", "")]), Some(1));
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "retry"), ("operation", "")]), Some(5));
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "gave_up"), ("operation", "")]), Some(1));
    assert_eq!(
        seen.counter(GAVE_UP, &[("reason", "schedule_exhausted"), ("operation", "")]),
        Some(1)
    );
    assert_eq!(seen.histogram(RETRY_DELAY), Some(vec![0.1, 0.2, 0.1, 0.2, 0.4]));
}

#[test]
fn a_retry_nested_in_a_sole_layer_is_counted_once_by_the_outer_one() {
    let calls = Cell::new(0);
    // An inner retry of an operation that fails (`fails`) or succeeds at once, which retries
    // every error (`retried`) or none, inside an outer sole layer with two retries.
    let nested = |fails: bool, retried: bool| {
        let inner = || {
            blocking::retry(Fixed::new(ms(10)).max_retries(3), || {
                calls.set(calls.get() + 1);
                if fails { Err("down") } else { Ok(()) }
            })
            .when(|_| retried)
            .sleep(|_| {})
            .call()
        };
        blocking::retry(Fixed::new(ms(20)).max_retries(2), inner).sole_layer().sleep(|_| {}).call()
    };
    let (results, seen) =
        recorded(|_| [nested(true, true), nested(true, false), nested(false, true)]);
    assert_eq!((results, calls.get()), ([Err("down"), Err("down"), Ok(())], 7));
    // The outer layers' attempts only: 3 + 3 + 1.
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "retry"), ("operation", "")]), Some(4));
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "gave_up"), ("operation", "")]), Some(2));
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "success"), ("operation", "")]), Some(1));
    assert_eq!(
        seen.counter(GAVE_UP, &[("reason", "schedule_exhausted"), ("operation", "")]),
        Some(2)
    );
    assert_eq!(seen.histogram(RETRY_DELAY), Some(vec![0.02; 4]));
    assert_eq!(seen.series().len(), 5, "{:#?}", seen.series());
}

#[test]
fn budget_spend_sets_the_token_gauge() {
    // 12 tokens; a retry costs 5 and a success after retries refunds it.
    let budget = RetryBudget::builder(12.0)
        .retry_cost(5.0)
        .success_deposit(0.0)
        .refund_on_success(true)
        .build()
        .expect("valid budget");
    let ((), seen) = recorded(|snapshotter| {
        // One retry paid (12 -> 7), refunded by the success (-> 12).
        let ok = blocking::retry(Fixed::new(ms(10)), flaky(1)).budget(&budget).sleep(|_| {}).call();
        assert_eq!(ok, Ok(2));
        let after_success = Seen::take(snapshotter);
        assert_eq!(after_success.gauge(BUDGET_TOKENS, &[]), Some(12.0));
        assert_eq!(
            after_success.counter(ATTEMPTS, &[("outcome", "retry"), ("operation", "")]),
            Some(1)
        );

        // Always failing: two retries paid (-> 7 -> 2), then 2 tokens cannot pay a third.
        let (_, report) = blocking::retry(Fixed::new(ms(10)).max_retries(5), flaky(u32::MAX))
            .budget(&budget)
            .sleep(|_| {})
            .call_with_report();
        assert_eq!((report.attempts, report.stop), (3, Stop::BudgetExhausted));
    });
    assert_eq!(budget.available(), 2.0);
    assert_eq!(seen.gauge(BUDGET_TOKENS, &[]), Some(2.0));
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "retry"), ("operation", "")]), Some(2));
    assert_eq!(seen.counter(ATTEMPTS, &[("outcome", "gave_up"), ("operation", "")]), Some(1));
    assert_eq!(
        seen.counter(GAVE_UP, &[("reason", "budget_exhausted"), ("operation", "")]),
        Some(1)
    );
}

#[test]
fn breaker_trip_reports_state_and_transitions() {
    let clock = ManualClock::new();
    let ((), seen) = recorded(|snapshotter| {
        let breaker = CircuitBreaker::builder()
            .name("search")
            .consecutive_failures(2)
            .break_duration(Duration::from_secs(10))
            .clock(clock.clone())
            .build();
        let built = Seen::take(snapshotter);
        assert_eq!(built.gauge(BREAKER_STATE, &[("breaker", "search")]), Some(0.0));
        assert_eq!(built.series(), ["persevere_breaker_state{breaker=search}"]);

        for _ in 0..2 {
            assert!(breaker.call(|| Err::<(), _>("down")).is_err());
        }
        let tripped = Seen::take(snapshotter);
        assert_eq!(tripped.gauge(BREAKER_STATE, &[("breaker", "search")]), Some(2.0));
        let closed_to_open = [("breaker", "search"), ("from", "closed"), ("to", "open")];
        assert_eq!(tripped.counter(BREAKER_TRANSITIONS, &closed_to_open), Some(1));

        clock.advance(Duration::from_secs(10));
        let probe = breaker.try_acquire().expect("the break is over");
        let half_open = Seen::take(snapshotter);
        assert_eq!(half_open.gauge(BREAKER_STATE, &[("breaker", "search")]), Some(1.0));
        let open_to_half = [("breaker", "search"), ("from", "open"), ("to", "half_open")];
        assert_eq!(half_open.counter(BREAKER_TRANSITIONS, &open_to_half), Some(1));
        probe.success();
    });
    let half_to_closed = [("breaker", "search"), ("from", "half_open"), ("to", "closed")];
    assert_eq!(seen.counter(BREAKER_TRANSITIONS, &half_to_closed), Some(1));
    assert_eq!(seen.gauge(BREAKER_STATE, &[("breaker", "search")]), Some(0.0));
}

#[test]
fn a_supervisor_counts_restarts_and_giving_up() {
    let (outcome, seen) = recorded(|_| {
        let mut runs = 0;
        let outcome = Supervisor::new(Fixed::new(ms(5)))
            .name("indexer")
            .max_failures(3)
            .sleep(|_| {})
            .run(&StopSignal::new(), |_| {
                runs += 1;
                Err::<(), _>("crashed")
            });
        (outcome, runs)
    });
    assert!(matches!(outcome, (Outcome::GaveUp { failures: 3, .. }, 3)), "{outcome:?}");
    assert_eq!(seen.counter(SUPERVISOR_RESTARTS, &[("task", "indexer")]), Some(2));
    assert_eq!(seen.counter(GAVE_UP, &[("reason", "max_failures"), ("operation", "")]), Some(1));
    assert_eq!(seen.series().len(), 2, "{:#?}", seen.series());
}

#[test]
fn describe_sends_help_texts() {
    let ((), seen) = recorded(|_| {
        persevere::metrics::describe();
        let _ = blocking::retry(Fixed::new(ms(1)).max_retries(1), flaky(1)).sleep(|_| {}).call();
    });
    let help = |name: &str| seen.descriptions.get(name).map(String::as_str);
    assert_eq!(help(ATTEMPTS), Some("Attempts made by retries, by outcome."));
    assert!(help(RETRY_DELAY).is_some_and(|h| h.starts_with("Delays retries were about to sleep")));
}
