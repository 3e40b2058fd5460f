//! Exact state-transition tests for `breaker::CircuitBreaker` on a manual clock, its log
//! lines, its errors and settings checks, and a 16-thread stress test.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use persevere::breaker::{BreakerError, Builder, CircuitBreaker, State};
use persevere::clock::ManualClock;

use State::{Closed, HalfOpen, Open};

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

const fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

type Seen = Arc<Mutex<Vec<(State, State)>>>;

/// A breaker on `clock` whose hook records every transition.
fn watched(clock: &ManualClock, builder: Builder) -> (CircuitBreaker<ManualClock>, Seen) {
    let seen = Seen::default();
    let sink = Arc::clone(&seen);
    let breaker = builder
        .on_state_change(move |from, to| sink.lock().unwrap().push((from, to)))
        .clock(clock.clone())
        .build();
    (breaker, seen)
}

fn seen(seen: &Seen) -> Vec<(State, State)> {
    seen.lock().unwrap().clone()
}

fn fail(breaker: &CircuitBreaker<ManualClock>) -> Result<(), BreakerError<&'static str>> {
    breaker.call(|| Err("down"))
}

fn succeed(breaker: &CircuitBreaker<ManualClock>) -> Result<(), BreakerError<&'static str>> {
    breaker.call(|| Ok(()))
}

fn rejection(result: Result<(), BreakerError<&'static str>>) -> (State, Duration) {
    match result {
        Err(BreakerError::Rejected(r)) => (r.state(), r.retry_after()),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn opens_after_exactly_n_consecutive_failures() {
    let clock = ManualClock::new();
    let (breaker, hook) = watched(&clock, CircuitBreaker::builder().consecutive_failures(3));
    assert_eq!(fail(&breaker), Err(BreakerError::Inner("down")));
    assert_eq!(fail(&breaker), Err(BreakerError::Inner("down")));
    assert_eq!(breaker.state(), Closed);
    assert_eq!(fail(&breaker), Err(BreakerError::Inner("down")));
    assert_eq!(breaker.state(), Open);
    assert_eq!(seen(&hook), [(Closed, Open)]);
}

#[test]
fn a_success_restarts_the_failure_run() {
    let clock = ManualClock::new();
    let (breaker, hook) = watched(&clock, CircuitBreaker::builder().consecutive_failures(3));
    for _ in 0..2 {
        let _ = fail(&breaker);
    }
    succeed(&breaker).unwrap();
    for _ in 0..2 {
        let _ = fail(&breaker);
    }
    assert_eq!(breaker.state(), Closed);
    assert!(seen(&hook).is_empty());
    let _ = fail(&breaker);
    assert_eq!(breaker.state(), Open);
}

#[test]
fn the_default_opens_on_the_fifth_failure() {
    let clock = ManualClock::new();
    let (breaker, _) = watched(&clock, CircuitBreaker::builder());
    for _ in 0..4 {
        let _ = fail(&breaker);
    }
    assert_eq!(breaker.state(), Closed);
    let _ = fail(&breaker);
    assert_eq!(breaker.state(), Open);
    // Default break: 30 s.
    assert_eq!(rejection(succeed(&breaker)), (Open, secs(30)));
}

#[test]
fn open_rejects_without_running_and_counts_down_retry_after() {
    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder().consecutive_failures(1).break_duration(secs(30));
    let (breaker, hook) = watched(&clock, builder);
    let _ = fail(&breaker);

    let ran = AtomicU32::new(0);
    let attempt = || {
        breaker.call(|| {
            ran.fetch_add(1, Ordering::Relaxed);
            Ok::<_, &str>(())
        })
    };
    assert_eq!(rejection(attempt()), (Open, secs(30)));
    clock.advance(secs(10));
    assert_eq!(rejection(attempt()), (Open, secs(20)));
    clock.advance(secs(20) - ms(1));
    assert_eq!(rejection(attempt()), (Open, ms(1)));
    assert_eq!(ran.load(Ordering::Relaxed), 0);
    // Still open: the move to half-open waits for a call after the break.
    clock.advance(ms(1));
    assert_eq!(breaker.state(), Open);
    assert_eq!(seen(&hook), [(Closed, Open)]);
}

#[test]
fn the_first_call_after_the_break_is_a_probe_whose_success_closes() {
    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder().consecutive_failures(1).break_duration(secs(5));
    let (breaker, hook) = watched(&clock, builder);
    let _ = fail(&breaker);
    clock.advance(secs(5));

    let permit = breaker.try_acquire().unwrap();
    assert!(permit.is_probe());
    assert_eq!(breaker.state(), HalfOpen);
    permit.success();
    assert_eq!(breaker.state(), Closed);
    assert_eq!(seen(&hook), [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed)]);
    // A closed breaker hands out ordinary permits again.
    assert!(!breaker.try_acquire().unwrap().is_probe());
}

#[test]
fn a_failed_probe_reopens_for_a_full_break() {
    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder().consecutive_failures(1).break_duration(secs(5));
    let (breaker, hook) = watched(&clock, builder);
    let _ = fail(&breaker);
    clock.advance(secs(7));

    assert_eq!(fail(&breaker), Err(BreakerError::Inner("down")));
    assert_eq!(breaker.state(), Open);
    assert_eq!(rejection(succeed(&breaker)), (Open, secs(5)));
    clock.advance(secs(5));
    succeed(&breaker).unwrap();
    assert_eq!(
        seen(&hook),
        [(Closed, Open), (Open, HalfOpen), (HalfOpen, Open), (Open, HalfOpen), (HalfOpen, Closed)]
    );
}

#[test]
fn half_open_lets_at_most_max_probes_through_at_once() {
    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder()
        .consecutive_failures(1)
        .break_duration(secs(5))
        .max_probes(2)
        .probe_successes(3);
    let (breaker, hook) = watched(&clock, builder);
    let _ = fail(&breaker);
    clock.advance(secs(5));

    let first = breaker.try_acquire().unwrap();
    let second = breaker.try_acquire().unwrap();
    assert!(first.is_probe() && second.is_probe());
    // All slots taken: refused, with the break as the wait.
    let refused = breaker.try_acquire().unwrap_err();
    assert_eq!((refused.state(), refused.retry_after()), (HalfOpen, secs(5)));

    // A finished probe frees its slot; two successes of three keep it half-open.
    first.success();
    let third = breaker.try_acquire().unwrap();
    assert!(breaker.try_acquire().is_err());
    second.success();
    assert_eq!(breaker.state(), HalfOpen);
    third.success();
    assert_eq!(breaker.state(), Closed);
    assert_eq!(seen(&hook), [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed)]);
}

#[test]
fn closing_needs_m_probe_successes_one_probe_at_a_time() {
    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder().consecutive_failures(1).probe_successes(3);
    let (breaker, _) = watched(&clock, builder);
    let _ = fail(&breaker);
    clock.advance(secs(30));
    succeed(&breaker).unwrap();
    succeed(&breaker).unwrap();
    assert_eq!(breaker.state(), HalfOpen);
    succeed(&breaker).unwrap();
    assert_eq!(breaker.state(), Closed);
}

#[test]
fn closing_starts_a_fresh_failure_run() {
    let clock = ManualClock::new();
    let (breaker, _) = watched(&clock, CircuitBreaker::builder().consecutive_failures(2));
    let _ = fail(&breaker);
    let _ = fail(&breaker);
    clock.advance(secs(30));
    succeed(&breaker).unwrap();
    let _ = fail(&breaker);
    assert_eq!(breaker.state(), Closed);
    let _ = fail(&breaker);
    assert_eq!(breaker.state(), Open);
}

#[test]
fn a_dropped_permit_records_nothing_and_frees_its_probe_slot() {
    let clock = ManualClock::new();
    let (breaker, hook) = watched(&clock, CircuitBreaker::builder().consecutive_failures(1));
    // Closed: a dropped permit is not a failure.
    drop(breaker.try_acquire().unwrap());
    assert_eq!(breaker.state(), Closed);
    let _ = fail(&breaker);
    clock.advance(secs(30));

    drop(breaker.try_acquire().unwrap());
    assert_eq!(breaker.state(), HalfOpen);
    let probe = breaker.try_acquire().expect("the dropped probe freed its slot");
    probe.success();
    assert_eq!(seen(&hook), [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed)]);
}

#[test]
fn a_panicking_call_frees_its_probe_slot() {
    let clock = ManualClock::new();
    let (breaker, _) = watched(&clock, CircuitBreaker::builder().consecutive_failures(1));
    let _ = fail(&breaker);
    clock.advance(secs(30));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        breaker.call(|| -> Result<(), &str> { panic!("boom") })
    }));
    assert!(caught.is_err());
    assert_eq!(breaker.state(), HalfOpen);
    succeed(&breaker).unwrap();
    assert_eq!(breaker.state(), Closed);
}

#[test]
fn outcomes_from_an_earlier_period_are_ignored() {
    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder().consecutive_failures(2).break_duration(secs(10));
    let (breaker, hook) = watched(&clock, builder);

    // Let two calls in while closed, then open the breaker with other calls.
    let late_failure = breaker.try_acquire().unwrap();
    let late_success = breaker.try_acquire().unwrap();
    let _ = fail(&breaker);
    let _ = fail(&breaker);
    clock.advance(secs(4));
    // A late failure neither re-opens nor extends the break.
    late_failure.failure();
    assert_eq!(rejection(succeed(&breaker)), (Open, secs(6)));

    // A late success from the closed period does not close a half-open breaker.
    clock.advance(secs(6));
    let probe = breaker.try_acquire().unwrap();
    late_success.success();
    assert_eq!(breaker.state(), HalfOpen);
    probe.failure();
    assert_eq!(seen(&hook), [(Closed, Open), (Open, HalfOpen), (HalfOpen, Open)]);
}

#[test]
fn a_probe_from_an_earlier_half_open_period_keeps_its_slot_but_not_its_vote() {
    let clock = ManualClock::new();
    let builder =
        CircuitBreaker::builder().consecutive_failures(1).break_duration(secs(10)).max_probes(2);
    let (breaker, hook) = watched(&clock, builder);
    let _ = fail(&breaker);
    clock.advance(secs(10));
    let failing = breaker.try_acquire().unwrap();
    let slow = breaker.try_acquire().unwrap();
    failing.failure();
    assert_eq!(breaker.state(), Open);

    clock.advance(secs(10));
    let fresh = breaker.try_acquire().unwrap();
    assert!(fresh.is_probe());
    // `slow` still runs: two probes in flight, so a third is refused.
    assert_eq!(breaker.try_acquire().unwrap_err().state(), HalfOpen);
    // Its success belongs to the previous period: no close, but the slot is free.
    slow.success();
    assert_eq!(breaker.state(), HalfOpen);
    let another = breaker.try_acquire().unwrap();
    fresh.success();
    assert_eq!(breaker.state(), Closed);
    another.failure(); // late again: ignored
    assert_eq!(breaker.state(), Closed);
    assert_eq!(
        seen(&hook),
        [(Closed, Open), (Open, HalfOpen), (HalfOpen, Open), (Open, HalfOpen), (HalfOpen, Closed)]
    );
}

/// A breaker that trips only on the ratio (the consecutive trigger set out of reach).
fn ratio_breaker(clock: &ManualClock, minimum_calls: u32) -> (CircuitBreaker<ManualClock>, Seen) {
    let builder = CircuitBreaker::builder()
        .consecutive_failures(u32::MAX)
        .failure_ratio(0.5)
        .sampling_window(secs(10))
        .minimum_calls(minimum_calls)
        .break_duration(secs(5));
    watched(clock, builder)
}

#[test]
fn the_ratio_waits_for_the_minimum_number_of_calls() {
    let clock = ManualClock::new();
    let (breaker, hook) = ratio_breaker(&clock, 10);
    // Nine calls, five failed (56%): too few calls to judge.
    for i in 0..9 {
        let _ = if i % 2 == 0 { fail(&breaker) } else { succeed(&breaker) };
    }
    assert_eq!(breaker.state(), Closed);
    // The tenth call succeeds: 5 of 10 is at the ratio, but only a failure can open.
    succeed(&breaker).unwrap();
    assert_eq!(breaker.state(), Closed);
    // 6 of 11 failed.
    let _ = fail(&breaker);
    assert_eq!(breaker.state(), Open);
    assert_eq!(seen(&hook), [(Closed, Open)]);
}

#[test]
fn the_ratio_opens_at_the_threshold_and_not_below() {
    let clock = ManualClock::new();
    let (at, _) = ratio_breaker(&clock, 4);
    for outcome in [true, true, false, false] {
        let _ = if outcome { succeed(&at) } else { fail(&at) };
    }
    assert_eq!(at.state(), Open, "2 of 4 failed: 0.5 opens a 0.5 breaker");

    let (below, _) = ratio_breaker(&clock, 4);
    for outcome in [true, true, true, false, false] {
        let _ = if outcome { succeed(&below) } else { fail(&below) };
    }
    assert_eq!(below.state(), Closed, "2 of 5 failed stays closed");
}

#[test]
fn old_outcomes_slide_out_of_the_window() {
    // 10 s window in 1 s slices, measured from when the breaker was built.
    let run = |last_failure_at: Duration| {
        let clock = ManualClock::new();
        let (breaker, _) = ratio_breaker(&clock, 4);
        let _ = fail(&breaker);
        let _ = fail(&breaker);
        clock.advance(secs(5));
        for _ in 0..3 {
            succeed(&breaker).unwrap();
        }
        clock.advance(last_failure_at - secs(5));
        let _ = fail(&breaker);
        breaker.state()
    };
    // Still inside: 3 of 6 failed.
    assert_eq!(run(secs(10) - ms(1)), Open);
    // The first slice has left: 1 of 4 failed.
    assert_eq!(run(secs(10)), Closed);
}

#[test]
fn closing_empties_the_window() {
    let clock = ManualClock::new();
    let (breaker, hook) = ratio_breaker(&clock, 4);
    for _ in 0..4 {
        let _ = fail(&breaker);
    }
    assert_eq!(breaker.state(), Open);
    clock.advance(secs(5));
    succeed(&breaker).unwrap();
    assert_eq!(breaker.state(), Closed);
    // Three fresh failures: the old four no longer count towards the minimum.
    for _ in 0..3 {
        let _ = fail(&breaker);
    }
    assert_eq!(breaker.state(), Closed);
    let _ = fail(&breaker);
    assert_eq!(breaker.state(), Open);
    assert_eq!(seen(&hook), [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed), (Closed, Open)]);
}

#[test]
fn either_trigger_opens() {
    let clock = ManualClock::new();
    let builder =
        CircuitBreaker::builder().consecutive_failures(3).failure_ratio(0.9).minimum_calls(100);
    let (breaker, _) = watched(&clock, builder);
    for _ in 0..3 {
        let _ = fail(&breaker);
    }
    assert_eq!(breaker.state(), Open, "3 in a row, long before 100 calls");
}

#[test]
fn the_predicate_decides_which_errors_count() {
    let clock = ManualClock::new();
    let (breaker, _) = watched(&clock, CircuitBreaker::builder().consecutive_failures(2));
    let is_failure = |e: &u16| *e >= 500;
    let _ = breaker.call_with(is_failure, || Err::<(), u16>(503));
    // A 404 is an answer: it counts as a success and ends the run.
    let r = breaker.call_with(is_failure, || Err::<(), u16>(404));
    assert_eq!(r, Err(BreakerError::Inner(404)));
    let _ = breaker.call_with(is_failure, || Err::<(), u16>(503));
    assert_eq!(breaker.state(), Closed);
    let _ = breaker.call_with(is_failure, || Err::<(), u16>(500));
    assert_eq!(breaker.state(), Open);
}

#[test]
fn errors_say_what_happened() {
    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder().consecutive_failures(1).break_duration(ms(1500));
    let (breaker, _) = watched(&clock, builder);
    let inner = breaker.call(|| Err::<(), _>(std::io::Error::other("refused"))).unwrap_err();
    assert_eq!(inner.to_string(), "refused");
    assert_eq!(inner.retry_after(), None);

    let rejected = breaker.call(|| Ok::<(), std::io::Error>(())).unwrap_err();
    assert_eq!(rejected.to_string(), "circuit breaker is open; next probe in 1.5s");
    assert_eq!(rejected.retry_after(), Some(ms(1500)));
    assert!(rejected.into_inner().is_none());

    clock.advance(ms(1500));
    let _probe = breaker.try_acquire().unwrap();
    let busy = breaker.try_acquire().unwrap_err();
    assert_eq!(
        busy.to_string(),
        "circuit breaker is half-open and its probe calls are all in flight; retry in 1.5s"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(BreakerError::<std::io::Error>::from(busy));
    assert!(boxed.source().is_none());
}

#[test]
fn a_huge_break_saturates_instead_of_panicking() {
    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder().consecutive_failures(1).break_duration(Duration::MAX);
    let (breaker, _) = watched(&clock, builder);
    let _ = fail(&breaker);
    let (state, wait) = rejection(succeed(&breaker));
    assert_eq!(state, Open);
    assert_eq!(wait, Duration::from_nanos(u64::MAX));
    clock.advance(secs(100 * 365 * 24 * 3600));
    assert_eq!(rejection(succeed(&breaker)).0, Open);
}

#[test]
fn bad_settings_panic_naming_the_setting_and_value() {
    type Setter = fn(Builder) -> Builder;
    let cases: [(Setter, &str); 11] = [
        (|b| b.consecutive_failures(0), "invalid consecutive_failures 0: expected at least 1"),
        (
            |b| b.failure_ratio(f64::NAN),
            "invalid failure_ratio NaN: expected a number above 0 and at most 1",
        ),
        (
            |b| b.failure_ratio(0.0),
            "invalid failure_ratio 0.0: expected a number above 0 and at most 1",
        ),
        (
            |b| b.failure_ratio(1.5),
            "invalid failure_ratio 1.5: expected a number above 0 and at most 1",
        ),
        (
            |b| b.failure_ratio(-0.1),
            "invalid failure_ratio -0.1: expected a number above 0 and at most 1",
        ),
        (|b| b.sampling_window(ms(5)), "invalid sampling_window 5ms: expected at least 10ms"),
        (|b| b.minimum_calls(0), "invalid minimum_calls 0: expected at least 1"),
        (
            |b| b.break_duration(Duration::ZERO),
            "invalid break_duration 0ns: expected more than zero",
        ),
        (|b| b.max_probes(0), "invalid max_probes 0: expected at least 1"),
        (|b| b.probe_successes(0), "invalid probe_successes 0: expected at least 1"),
        (
            |b| b.failure_ratio(f64::INFINITY),
            "invalid failure_ratio inf: expected a number above 0 and at most 1",
        ),
    ];
    for (setter, message) in cases {
        let payload = std::panic::catch_unwind(|| setter(CircuitBreaker::builder())).unwrap_err();
        let text = payload.downcast_ref::<String>().expect("a formatted panic message");
        assert_eq!(text, message);
    }
    // The edges are accepted.
    let _ = CircuitBreaker::builder().failure_ratio(1.0).sampling_window(ms(10)).minimum_calls(1);
    let _ = CircuitBreaker::builder().break_duration(Duration::from_nanos(1));
}

/// Polls a future to completion on this thread; the futures here never wait on anything.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Pending on its first poll, then ready with `value`.
struct Later<T>(Option<T>, bool);

impl<T: Unpin> Future for Later<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        if !self.1 {
            self.1 = true;
            return Poll::Pending;
        }
        Poll::Ready(self.0.take().expect("polled after completion"))
    }
}

#[test]
fn the_async_form_behaves_like_the_blocking_one() {
    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder().consecutive_failures(2).break_duration(secs(3));
    let (breaker, hook) = watched(&clock, builder);
    let is_failure = |e: &&str| *e != "not found";
    for _ in 0..2 {
        let r = block_on(breaker.call_async(|| Later(Some(Err::<(), _>("down")), false)));
        assert_eq!(r, Err(BreakerError::Inner("down")));
    }
    let ran = AtomicU32::new(0);
    let r = block_on(breaker.call_async_with(is_failure, || {
        ran.fetch_add(1, Ordering::Relaxed);
        Later(Some(Ok::<_, &str>(1)), false)
    }));
    assert_eq!(r.unwrap_err().retry_after(), Some(secs(3)));
    assert_eq!(ran.load(Ordering::Relaxed), 0);

    clock.advance(secs(3));
    // A probe future dropped mid-flight frees its slot and records nothing.
    let mut cancelled = Box::pin(breaker.call_async(|| Later(Some(Ok::<_, &str>(())), false)));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(cancelled.as_mut().poll(&mut cx).is_pending());
    assert!(breaker.try_acquire().is_err(), "the probe slot is taken while it runs");
    drop(cancelled);
    assert_eq!(breaker.state(), HalfOpen);

    let r = block_on(
        breaker.call_async_with(is_failure, || Later(Some(Err::<(), _>("not found")), false)),
    );
    assert_eq!(r, Err(BreakerError::Inner("not found")));
    assert_eq!(breaker.state(), Closed);
    assert_eq!(seen(&hook), [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed)]);
}

#[test]
fn breakers_and_their_futures_cross_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let breaker = CircuitBreaker::new();
    send_sync(&breaker);
    send(&breaker.try_acquire().unwrap());
    let future = breaker.call_async(|| async { Ok::<_, std::io::Error>(1) });
    send(&future);
    assert_eq!(block_on(future).unwrap(), 1);
}

mod logging {
    use super::*;
    use log::{Level, LevelFilter, Log, Metadata, Record};
    use std::sync::Once;

    struct Capture(Mutex<Vec<(Level, String, String)>>);

    impl Log for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &Record<'_>) {
            let line = (record.level(), record.target().to_owned(), record.args().to_string());
            self.0.lock().unwrap().push(line);
        }
        fn flush(&self) {}
    }

    static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

    /// The captured lines that mention `name`; tests in this binary run in parallel and
    /// share the one logger, so each names its breaker.
    fn lines_for(name: &str) -> Vec<(Level, String, String)> {
        let needle = format!("'{name}'");
        LOGGER.0.lock().unwrap().iter().filter(|l| l.2.contains(&needle)).cloned().collect()
    }

    fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            log::set_logger(&LOGGER).unwrap();
            log::set_max_level(LevelFilter::Trace);
        });
    }

    fn line(level: Level, text: &str) -> (Level, String, String) {
        (level, "persevere".to_owned(), text.to_owned())
    }

    #[test]
    fn each_transition_is_logged_once_with_its_reason() {
        install();
        let clock = ManualClock::new();
        let builder = CircuitBreaker::builder()
            .name("log-consecutive")
            .consecutive_failures(2)
            .break_duration(secs(5));
        let (breaker, _) = watched(&clock, builder);
        let _ = fail(&breaker);
        let _ = fail(&breaker);
        let _ = succeed(&breaker); // rejected: not logged
        clock.advance(secs(5));
        let _ = fail(&breaker);
        clock.advance(secs(5));
        succeed(&breaker).unwrap();
        succeed(&breaker).unwrap(); // closed: nothing to log
        assert_eq!(
            lines_for("log-consecutive"),
            [
                line(
                    Level::Warn,
                    "circuit breaker 'log-consecutive' opened after 2 consecutive failures; next probe in 5s"
                ),
                line(
                    Level::Info,
                    "circuit breaker 'log-consecutive' half-open: letting up to 1 probe call through"
                ),
                line(
                    Level::Warn,
                    "circuit breaker 'log-consecutive' reopened: a probe call failed; next probe in 5s"
                ),
                line(
                    Level::Info,
                    "circuit breaker 'log-consecutive' half-open: letting up to 1 probe call through"
                ),
                line(
                    Level::Info,
                    "circuit breaker 'log-consecutive' closed after 1 successful probe call"
                ),
            ]
        );
    }

    #[test]
    fn a_ratio_trip_logs_the_counts() {
        install();
        let clock = ManualClock::new();
        let builder = CircuitBreaker::builder()
            .name("log-ratio")
            .consecutive_failures(u32::MAX)
            .failure_ratio(0.75)
            .minimum_calls(4)
            .break_duration(ms(250))
            .max_probes(3)
            .probe_successes(2);
        let (breaker, _) = watched(&clock, builder);
        succeed(&breaker).unwrap();
        for _ in 0..3 {
            let _ = fail(&breaker);
        }
        clock.advance(ms(250));
        succeed(&breaker).unwrap();
        succeed(&breaker).unwrap();
        assert_eq!(
            lines_for("log-ratio"),
            [
                line(
                    Level::Warn,
                    "circuit breaker 'log-ratio' opened: 3 of the last 4 calls failed; next probe in 250ms"
                ),
                line(
                    Level::Info,
                    "circuit breaker 'log-ratio' half-open: letting up to 3 probe calls through"
                ),
                line(
                    Level::Info,
                    "circuit breaker 'log-ratio' closed after 2 successful probe calls"
                ),
            ]
        );
    }
}

/// 16 threads make 100,000 calls through one breaker while the service flips between
/// healthy and failing and time moves on. Probes in flight never exceed `max_probes`, and
/// the hook's transitions form one legal chain that ends in the breaker's state.
#[test]
fn stress_sixteen_threads_never_exceed_the_probe_limit() {
    const THREADS: u64 = 16;
    const CALLS: u64 = 100_000;
    const MAX_PROBES: usize = 2;

    let clock = ManualClock::new();
    let builder = CircuitBreaker::builder()
        .consecutive_failures(3)
        .failure_ratio(0.5)
        .sampling_window(ms(10))
        .minimum_calls(20)
        .break_duration(Duration::from_micros(300))
        .max_probes(MAX_PROBES as u32)
        .probe_successes(2);
    let (breaker, hook) = watched(&clock, builder);
    let in_flight = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let rejected = AtomicUsize::new(0);

    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (breaker, clock, in_flight, most, rejected) =
                (&breaker, &clock, &in_flight, &most, &rejected);
            scope.spawn(move || {
                let mut rng = fastrand::Rng::with_seed(t);
                for i in 0..CALLS / THREADS {
                    clock.advance(Duration::from_micros(1));
                    // The service fails 90% of calls for 400 calls, then 5% for 400.
                    let failing = (i / 400) % 2 == 0;
                    let fails = rng.f64() < if failing { 0.9 } else { 0.05 };
                    let Ok(permit) = breaker.try_acquire() else {
                        rejected.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    if permit.is_probe() {
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                    }
                    if fails { permit.failure() } else { permit.success() }
                }
            });
        }
    });

    let most = most.load(Ordering::SeqCst);
    assert!((1..=MAX_PROBES).contains(&most), "at most {MAX_PROBES} probes at once, saw {most}");
    assert!(rejected.load(Ordering::Relaxed) > 0);

    let seen = seen(&hook);
    let mut at = Closed;
    for &(from, to) in &seen {
        assert_eq!(from, at, "transitions chain: {from} follows {at}");
        assert!(
            matches!(
                (from, to),
                (Closed, Open) | (Open, HalfOpen) | (HalfOpen, Closed) | (HalfOpen, Open)
            ),
            "illegal transition {from} -> {to}"
        );
        at = to;
    }
    assert_eq!(breaker.state(), at);
    // Every kind of transition happened, so the checks above had something to check.
    for kind in [(Closed, Open), (Open, HalfOpen), (HalfOpen, Closed), (HalfOpen, Open)] {
        assert!(seen.contains(&kind), "no {} -> {} in {} transitions", kind.0, kind.1, seen.len());
    }
}
