//! The log lines: a warning per failed attempt, info on a success after retries, an error
//! when retrying ends, nothing on a first-try success; all under the target `persevere`.

mod common;

use std::time::Duration;

use common::{capture_logs, logged, persevere_lines};
use log::Level::{Error, Info, Warn};
use persevere::clock::ManualClock;
use persevere::{Exponential, Fixed, blocking, future};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn a_first_try_success_logs_nothing() {
    capture_logs();
    assert_eq!(blocking::retry(Fixed::new(ms(5)), || Ok::<_, &str>(1)).call(), Ok(1));
    assert_eq!(
        futures::executor::block_on(
            future::retry(Fixed::new(ms(5)), || async { Ok::<_, &str>(1) }).call()
        ),
        Ok(1)
    );
    assert!(logged(log::Level::Trace).is_empty());
}

#[test]
fn warnings_then_info_on_success() {
    capture_logs();
    let mut n = 0;
    let result = blocking::retry(Exponential::new(ms(200)).max_retries(3), || {
        n += 1;
        if n < 3 { Err(format!("connection reset ({n})")) } else { Ok(n) }
    })
    .sleep(|_| {})
    .call();
    assert_eq!(result, Ok(3));
    assert_eq!(
        persevere_lines(log::Level::Trace),
        [
            (Warn, "attempt 1/4 failed: connection reset (1); retrying in 200ms".to_string()),
            (Warn, "attempt 2/4 failed: connection reset (2); retrying in 400ms".to_string()),
            (Info, "attempt 3/4 succeeded after 600ms of backoff".to_string()),
        ]
    );
}

#[test]
fn an_error_when_retries_are_exhausted() {
    capture_logs();
    let _ = blocking::retry([ms(1), ms(2)], || Err::<(), _>("503 Service Unavailable"))
        .sleep(|_| {})
        .call();
    assert_eq!(
        persevere_lines(log::Level::Trace),
        [
            (Warn, "attempt 1/3 failed: 503 Service Unavailable; retrying in 1ms".to_string()),
            (Warn, "attempt 2/3 failed: 503 Service Unavailable; retrying in 2ms".to_string()),
            (
                Error,
                "attempt 3/3 failed: 503 Service Unavailable; giving up: no retries left"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn the_total_is_left_out_when_the_schedule_length_is_unknown() {
    capture_logs();
    let clock = ManualClock::new();
    let _ = blocking::retry(Fixed::new(Duration::from_secs(1)).forever(), || Err::<(), _>("down"))
        .max_elapsed(Duration::from_millis(2500))
        .clock(clock.clone())
        .sleep(|d| clock.advance(d))
        .call();
    assert_eq!(
        persevere_lines(log::Level::Trace),
        [
            (Warn, "attempt 1 failed: down; retrying in 1s".to_string()),
            (Warn, "attempt 2 failed: down; retrying in 1s".to_string()),
            (
                Error,
                "attempt 3 failed: down; giving up: the next delay would pass max_elapsed"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn the_async_adapter_logs_the_same_lines() {
    capture_logs();
    let _ = futures::executor::block_on(
        future::retry([ms(1)], || async { Err::<(), _>("timeout") })
            .sleep(|_| std::future::ready(()))
            .call(),
    );
    assert_eq!(
        persevere_lines(log::Level::Trace),
        [
            (Warn, "attempt 1/2 failed: timeout; retrying in 1ms".to_string()),
            (Error, "attempt 2/2 failed: timeout; giving up: no retries left".to_string()),
        ]
    );
}

#[test]
fn a_named_retry_begins_every_line_with_its_name_in_both_adapters() {
    capture_logs();
    let mut n = 0;
    let _ = blocking::retry(Exponential::new(ms(200)).max_retries(3), || {
        n += 1;
        if n < 3 { Err("card network timeout") } else { Ok(n) }
    })
    .name("charge_card")
    .sleep(|_| {})
    .call();
    let _ = futures::executor::block_on(
        future::retry(Fixed::new(ms(1)).max_retries(1), || async { Err::<(), _>("declined") })
            .name("charge_card")
            .when(|e| *e != "declined")
            .call(),
    );
    let _ = futures::executor::block_on(
        future::retry([ms(7)], || async { Err::<(), _>("503") })
            .name("fetch_rates")
            .sleep(|_| std::future::ready(()))
            .call(),
    );
    assert_eq!(
        persevere_lines(log::Level::Trace),
        [
            (Warn, "charge_card: attempt 1/4 failed: card network timeout; retrying in 200ms".into()),
            (Warn, "charge_card: attempt 2/4 failed: card network timeout; retrying in 400ms".into()),
            (Info, "charge_card: attempt 3/4 succeeded after 600ms of backoff".into()),
            (
                log::Level::Debug,
                "charge_card: attempt 1/2 failed: declined; not retrying: the error is not retryable"
                    .into()
            ),
            (Warn, "fetch_rates: attempt 1/2 failed: 503; retrying in 7ms".into()),
            (Error, "fetch_rates: attempt 2/2 failed: 503; giving up: no retries left".into()),
        ]
    );
}

#[test]
fn the_attempt_lines_take_the_level_they_are_given() {
    capture_logs();
    let policy =
        persevere::Policy::new(Fixed::new(ms(3)).max_retries(1)).name("orders_db").log_level(Error);
    let _ = policy.retry(|| Err::<(), _>("deadlock")).sleep(|_| {}).call();
    let _ = blocking::retry([ms(3)], || Err::<(), _>("slow")).log_level(Info).sleep(|_| {}).call();
    assert_eq!(
        persevere_lines(log::Level::Trace),
        [
            (Error, "orders_db: attempt 1/2 failed: deadlock; retrying in 3ms".into()),
            (Error, "orders_db: attempt 2/2 failed: deadlock; giving up: no retries left".into()),
            (Info, "attempt 1/2 failed: slow; retrying in 3ms".into()),
            (Error, "attempt 2/2 failed: slow; giving up: no retries left".into()),
        ]
    );
}

#[test]
fn a_call_the_breaker_refuses_ends_the_retry_with_an_error_line() {
    use persevere::Stop;
    use persevere::breaker::{BreakerError, CircuitBreaker};
    capture_logs();
    let breaker = CircuitBreaker::builder().consecutive_failures(1).build();
    let gave_up = std::cell::Cell::new(None);
    let (_, report) = blocking::retry([ms(5); 4], || breaker.call(|| Err::<(), _>("503")))
        .when(|e: &BreakerError<&str>| e.verdict(|_| true))
        .name("rates")
        .on_give_up(|_, report| gave_up.set(Some(report.stop)))
        .sleep(|_| {})
        .call_with_report();
    assert_eq!((report.attempts, report.stop), (2, Stop::BreakerOpen));
    assert_eq!(gave_up.get(), Some(Stop::BreakerOpen));
    let all = persevere_lines(log::Level::Warn);
    // The breaker's own line, singular for one failure, then the retry's.
    assert!(
        all[0].1.starts_with("circuit breaker opened after 1 consecutive failure; "),
        "{all:?}"
    );
    let lines: Vec<_> = all.into_iter().filter(|(_, line)| line.starts_with("rates:")).collect();
    assert_eq!(lines[0], (Warn, "rates: attempt 1/5 failed: 503; retrying in 5ms".to_string()));
    assert_eq!(lines[1].0, Error);
    assert!(
        lines[1].1.starts_with("rates: attempt 2/5 failed: circuit breaker is open")
            && lines[1].1.ends_with("; giving up: the circuit breaker is open"),
        "{}",
        lines[1].1
    );
}
