//! The guide's recipes keep their promises: each test builds the schedule or policy a recipe
//! of `src/guide.rs` shows, spelled exactly as there, and checks what the recipe's text says
//! it does (its delays, caps, counts, totals and why it stops).
//!
//! The guide's doctests show one happy run each; these runs push every recipe to its limits
//! (a service that never recovers, a hostile header, a stalled transfer), where a wrong
//! promise shows. Time is a `ManualClock` moved by the recorded sleeps, or tokio's paused
//! clock; jittered delays are checked against the unjittered steps of the same schedule,
//! over many runs.

mod common;

use std::cell::{Cell, RefCell};
use std::io;
use std::time::Duration;

use persevere::classify::HttpFailure;
use persevere::clock::ManualClock;
use persevere::supervise::{Outcome, StopSignal, Supervisor};
use persevere::{Exponential, Jitter, Jittered, Policy, Stop, blocking, future};

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// How many times each jittered schedule is run: enough for a draw above its step to show.
const RUNS: usize = 200;

/// Asserts that each delay is at most its step, and that there are as many delays as steps.
fn within_steps(slept: &[Duration], steps: &[Duration]) {
    assert_eq!(slept.len(), steps.len(), "{slept:?} against the steps {steps:?}");
    for (delay, step) in slept.iter().zip(steps) {
        assert!(delay <= step, "{delay:?} above its step {step:?}");
    }
}

/// Asserts that tokio's clock measured `expected`: its timers round each deadline up to the
/// next millisecond, so each of the (at most four) jittered waits may end up to 1 ms late.
fn within_a_tick(took: Duration, expected: Duration) {
    let late = took.checked_sub(expected);
    assert!(late.is_some_and(|late| late < ms(4)), "{took:?} for {expected:?}");
}

fn io_error(kind: io::ErrorKind) -> io::Error {
    io::Error::from(kind)
}

/// An HTTP failure with a status and headers, as the guide's `ApiError` and `UploadError`
/// hand them to `Policy::http` and its hooks.
#[derive(Debug)]
struct HttpError {
    status: Option<u16>,
    retry_after: Option<&'static str>,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.status)
    }
}

impl HttpFailure for HttpError {
    fn status(&self) -> Option<u16> {
        self.status
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        (name == "retry-after").then_some(self.retry_after?.as_bytes())
    }
}

fn status(code: u16) -> HttpError {
    HttpError { status: Some(code), retry_after: None }
}

fn asking(code: u16, retry_after: &'static str) -> HttpError {
    HttpError { status: Some(code), retry_after: Some(retry_after) }
}

/// The delays of the presets' schedule, before jitter: "each wait at most 0.1, 0.2, 0.4, 0.8
/// and 1.6 s", 6 attempts at most.
const PRESET_STEPS: [Duration; 5] = [ms(100), ms(200), ms(400), ms(800), ms(1600)];

/// "tenacity (Python)": the decorator with `stop_after_attempt(5)` and
/// `wait_random_exponential(multiplier=0.5, max=30)`; and "Your own decorators and presets".
mod tenacity {
    use super::*;

    #[test]
    fn the_decorator_makes_five_attempts_with_full_jitter_below_each_step() {
        for _ in 0..RUNS {
            let schedule = Exponential::new(Duration::from_millis(500))
                .max_delay(Duration::from_secs(30))
                .jitter(Jitter::Full)
                .max_retries(4);
            let mut slept = Vec::new();
            let (_, report) = blocking::retry(schedule, || {
                Err::<(), _>(io_error(io::ErrorKind::ConnectionReset))
            })
            .when(persevere::classify::is_transient_io)
            .sleep(|d| slept.push(d))
            .call_with_report();
            assert_eq!((report.attempts, report.stop), (5, Stop::ScheduleExhausted));
            // "the first wait is m, then 2m, 4m…", each uniform in [0, step].
            within_steps(&slept, &[500, 1000, 2000, 4000].map(ms));
        }
    }

    #[test]
    fn with_network_retry_is_policy_network_on_connection_errors_and_timeouts() {
        let network: Policy<Jittered<Exponential>, io::Error> = Policy::network();
        for kind in [
            io::ErrorKind::TimedOut,
            io::ErrorKind::ConnectionRefused,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionAborted,
        ] {
            for _ in 0..RUNS / 4 {
                let mut slept = Vec::new();
                let (_, report) = network
                    .retry(|| Err::<(), _>(io_error(kind)))
                    .sleep(|d| slept.push(d))
                    .call_with_report();
                assert_eq!((report.attempts, report.stop), (6, Stop::ScheduleExhausted));
                within_steps(&slept, &PRESET_STEPS);
            }
        }
        let (_, report) = network
            .retry(|| Err::<(), _>(io_error(io::ErrorKind::PermissionDenied)))
            .call_with_report();
        assert_eq!((report.attempts, report.stop), (1, Stop::NotRetryable));
    }

    #[test]
    fn with_api_retry_is_policy_http_on_5xx_answers() {
        let api: Policy<Jittered<Exponential>, HttpError> = Policy::http();
        for code in [500, 502, 503, 504, 429, 408] {
            let mut slept = Vec::new();
            let (_, report) = api
                .retry(|| Err::<(), _>(status(code)))
                .sleep(|d| slept.push(d))
                .call_with_report();
            assert_eq!((report.attempts, report.stop), (6, Stop::ScheduleExhausted), "{code}");
            within_steps(&slept, &PRESET_STEPS);
        }
        // "A 404 is an answer, not a failure: returned at once."
        for code in [400, 401, 404, 501, 505] {
            let (_, report) = api.retry(|| Err::<(), _>(status(code))).call_with_report();
            assert_eq!((report.attempts, report.stop), (1, Stop::NotRetryable), "{code}");
        }
    }

    /// The file_upload preset, in async code: waits of up to 5, 10, 20 and 40 s between 5
    /// attempts, and an attempt that stalls dropped after 2 minutes and retried as a timeout.
    #[tokio::test(start_paused = true)]
    async fn the_file_upload_preset_cuts_stalled_attempts_at_two_minutes() {
        let file_upload: Policy<Jittered<Exponential>, io::Error> = Policy::new(
            Exponential::new(Duration::from_secs(5)).jitter(Jitter::Full).max_retries(4),
        )
        .when(persevere::classify::is_transient_io)
        .attempt_timeout(Duration::from_secs(120), || io::ErrorKind::TimedOut.into())
        .name("file_upload");

        let started = tokio::time::Instant::now();
        let slept = RefCell::new(Vec::new());
        let (result, report) = file_upload
            .retry_async(std::future::pending::<io::Result<()>>)
            .sleep(|d| {
                slept.borrow_mut().push(d);
                tokio::time::sleep(d)
            })
            .call_with_report()
            .await;
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert_eq!((report.attempts, report.stop), (5, Stop::ScheduleExhausted));
        // The sleeper times the attempts too: five cuts of 2 minutes, then the four waits.
        let slept = slept.into_inner();
        let (cuts, waits): (Vec<Duration>, Vec<Duration>) =
            slept.iter().partition(|d| **d == secs(120));
        assert_eq!(cuts.len(), 5);
        within_steps(&waits, &[5, 10, 20, 40].map(secs));
        within_a_tick(started.elapsed(), 5 * secs(120) + report.slept);
        assert!(report.slept <= secs(75));
    }
}

/// "A database connection".
mod database_connection {
    use super::*;
    use common::{capture_logs, persevere_lines};
    use log::Level::Error;
    use persevere::classify::is_transient_io;

    /// The recipe's reconnect schedule.
    fn reconnect() -> Jittered<Exponential> {
        Exponential::new(Duration::from_millis(100))
            .max_delay(Duration::from_secs(5))
            .jitter(Jitter::Full)
            .forever()
    }

    #[test]
    fn reconnecting_is_bounded_by_thirty_seconds_with_jitter_below_a_five_second_cap() {
        // The steps the jitter draws below: doubling from 100 ms, and the 5 s cap reached.
        let steps: Vec<Duration> = Exponential::new(Duration::from_millis(100))
            .max_delay(Duration::from_secs(5))
            .forever()
            .take(40)
            .collect();
        assert_eq!(steps[..8], [100, 200, 400, 800, 1600, 3200, 5000, 5000].map(ms));

        for _ in 0..RUNS {
            let clock = ManualClock::new();
            let mut slept = Vec::new();
            let (result, report) = blocking::retry(reconnect(), || {
                Err::<(), _>(io_error(io::ErrorKind::ConnectionRefused))
            })
            .when(is_transient_io)
            .max_elapsed(Duration::from_secs(30))
            .clock(clock.clone())
            .sleep(|d| {
                clock.advance(d);
                slept.push(d);
            })
            .call_with_report();
            assert!(result.is_err());
            // "bound the whole wait by time, so that a readiness check can report the failure"
            assert_eq!(report.stop, Stop::MaxElapsed);
            assert!(clock.elapsed() <= secs(30), "{:?}", clock.elapsed());
            within_steps(&slept, &steps[..slept.len()]);
        }
    }

    #[test]
    fn a_wrong_password_is_returned_at_once() {
        let (result, report) = blocking::retry(reconnect(), || {
            Err::<(), _>(io_error(io::ErrorKind::PermissionDenied))
        })
        .when(is_transient_io)
        .max_elapsed(Duration::from_secs(30))
        .call_with_report();
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        assert_eq!((report.attempts, report.stop), (1, Stop::NotRetryable));
    }

    #[test]
    fn orders_db_logs_every_failed_attempt_at_error_under_its_name() {
        capture_logs();
        let retry = Policy::network().name("orders_db").log_level(log::Level::Error);
        let mut slept = Vec::new();
        let (_, report) = retry
            .retry(|| Err::<(), _>(io_error(io::ErrorKind::ConnectionReset)))
            .sleep(|d| slept.push(d))
            .call_with_report();
        // "at most 6 attempts and 3.1 s of waiting"
        assert_eq!(report.attempts, 6);
        assert!(report.slept <= Duration::from_millis(3100));
        within_steps(&slept, &PRESET_STEPS);

        let lines = persevere_lines(log::Level::Trace);
        assert_eq!(lines.len(), 6, "{lines:#?}");
        for (n, (level, line)) in lines.iter().enumerate() {
            assert_eq!(*level, Error, "{line}");
            let attempt = format!("orders_db: attempt {}/6 failed: connection reset; ", n + 1);
            assert!(line.starts_with(&attempt), "{line}");
        }
        assert!(lines[0].1.contains("; retrying in "), "{}", lines[0].1);
        assert!(lines[5].1.ends_with("; giving up: no retries left"), "{}", lines[5].1);
    }
}

/// "Publishing to a message broker".
mod message_broker {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum PublishError {
        Refused,
        AckTimeout,
        TooLarge,
    }

    impl std::fmt::Display for PublishError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    impl PublishError {
        fn is_retryable(&self) -> bool {
            matches!(self, PublishError::Refused | PublishError::AckTimeout)
        }
    }

    /// The recipe's schedule.
    fn schedule() -> Jittered<Exponential> {
        Exponential::new(Duration::from_millis(50))
            .max_delay(Duration::from_millis(500))
            .jitter(Jitter::Full)
            .max_retries(5)
    }

    #[test]
    fn waits_reach_the_500_ms_cap_and_at_most_1_25_s_in_all() {
        let steps: Vec<Duration> = Exponential::new(Duration::from_millis(50))
            .max_delay(Duration::from_millis(500))
            .max_retries(5)
            .collect();
        assert_eq!(steps, [50, 100, 200, 400, 500].map(ms));
        assert_eq!(schedule().worst_case_total(), ms(1250));
        for _ in 0..RUNS {
            let slept: Vec<Duration> = schedule().collect();
            within_steps(&slept, &steps);
        }
    }

    /// What the recipe's give-up hook files: the message id, the error, why it stopped.
    type DeadLetter = (u64, String, Stop);

    /// Publishes with the recipe's retry against a broker that answers with `answer`;
    /// returns the result, the attempts and the dead letters.
    fn publish(
        answer: fn() -> Result<(), PublishError>,
    ) -> (Result<(), PublishError>, u32, Vec<DeadLetter>) {
        let id = 44;
        let dead_letters = RefCell::new(Vec::new());
        let attempts = Cell::new(0);
        let result = futures::executor::block_on(
            future::retry(schedule(), || {
                attempts.set(attempts.get() + 1);
                std::future::ready(answer())
            })
            .when(PublishError::is_retryable)
            .on_give_up(|e, report| {
                dead_letters.borrow_mut().push((id, e.to_string(), report.stop))
            })
            .sleep(|_| std::future::ready(()))
            .call(),
        );
        (result, attempts.get(), dead_letters.into_inner())
    }

    #[test]
    fn the_dead_letters_tell_a_refusal_for_good_from_an_outage() {
        let (result, attempts, dead) = publish(|| Err(PublishError::TooLarge));
        assert_eq!((result, attempts), (Err(PublishError::TooLarge), 1));
        assert_eq!(dead, [(44, "TooLarge".to_owned(), Stop::NotRetryable)]);

        let (result, attempts, dead) = publish(|| Err(PublishError::Refused));
        assert_eq!((result, attempts), (Err(PublishError::Refused), 6));
        assert_eq!(dead, [(44, "Refused".to_owned(), Stop::ScheduleExhausted)]);

        // An ambiguous timeout is retried: the broker drops the duplicate.
        let (result, attempts, dead) = publish(|| Err(PublishError::AckTimeout));
        assert_eq!((result, attempts), (Err(PublishError::AckTimeout), 6));
        assert_eq!(dead, [(44, "AckTimeout".to_owned(), Stop::ScheduleExhausted)]);

        let (result, attempts, dead) = publish(|| Ok(()));
        assert_eq!((result, attempts, dead), (Ok(()), 1, Vec::new()));
    }
}

/// "An HTTP API with 429, 5xx and `Retry-After`".
mod http_api {
    use super::*;

    /// The recipe's policy.
    fn api() -> Policy<Jittered<Exponential>, HttpError> {
        Policy::http().name("quotes_api").max_elapsed(Duration::from_secs(60))
    }

    /// Runs the recipe's policy over `answers` (the last first), on a manual clock.
    fn call(mut answers: Vec<Result<&'static str, HttpError>>) -> (Vec<Duration>, Stop, u32) {
        let clock = ManualClock::new();
        let mut slept = Vec::new();
        let (_, report) = api()
            .retry(|| answers.pop().unwrap_or_else(|| Err(status(503))))
            .clock(clock.clone())
            .sleep(|d| {
                clock.advance(d);
                slept.push(d);
            })
            .call_with_report();
        (slept, report.stop, report.attempts)
    }

    #[test]
    fn server_errors_get_six_attempts_on_the_preset_schedule() {
        for _ in 0..RUNS {
            let (slept, stop, attempts) = call(Vec::new());
            assert_eq!((stop, attempts), (Stop::ScheduleExhausted, 6));
            within_steps(&slept, &PRESET_STEPS);
        }
    }

    #[test]
    fn retry_after_is_honoured_a_little_late_never_early() {
        for _ in 0..RUNS {
            let (slept, stop, attempts) = call(vec![Ok("200"), Err(asking(429, "2"))]);
            assert_eq!((stop, attempts), (Stop::Succeeded, 2));
            assert!(slept[0] >= secs(2) && slept[0] <= ms(2400), "{slept:?}");
        }
    }

    #[test]
    fn a_wait_past_the_minute_ends_the_retry_instead_of_parking_the_client() {
        // The ceiling: a day's Retry-After would be cut to at most 5 minutes, which is past
        // the recipe's max_elapsed of a minute, so the retry returns the 429 at once.
        let (slept, stop, attempts) = call(vec![Err(asking(429, "86400"))]);
        assert_eq!((slept, stop, attempts), (Vec::new(), Stop::MaxElapsed, 1));

        // The preset alone cuts it to between 250 s and 300 s.
        let mut slept = Vec::new();
        let mut answers = vec![Ok(()), Err(asking(503, "86400"))];
        let _ = Policy::http().retry(|| answers.pop().unwrap()).sleep(|d| slept.push(d)).call();
        assert!(slept[0] >= secs(250) && slept[0] <= secs(300), "{slept:?}");
    }

    #[test]
    fn other_4xx_answers_are_returned_at_once() {
        for code in [400, 403, 404, 409, 422] {
            let (slept, stop, attempts) = call(vec![Err(status(code))]);
            assert_eq!((slept.len(), stop, attempts), (0, Stop::NotRetryable, 1), "{code}");
        }
    }
}

/// "A file upload".
mod file_upload {
    use super::*;
    use persevere::DEFAULT_ADJUST_CEILING;
    use persevere::classify;
    use std::time::SystemTime;

    const STALLED: HttpError = HttpError { status: None, retry_after: None };

    /// The recipe's policy, with the guide's `UploadError::Stalled` as a failure without a
    /// response.
    fn uploads() -> Policy<Jittered<Exponential>, HttpError> {
        Policy::new(Exponential::new(Duration::from_secs(5)).jitter(Jitter::Full).max_retries(4))
            .when(|e: &HttpError| match e.status() {
                Some(code) => classify::is_retryable_status(code),
                None => e.transient_without_response(),
            })
            .adjust(|e, _scheduled| {
                let asked = classify::server_hint(e, SystemTime::now())?;
                Some(classify::hint_delay(asked, DEFAULT_ADJUST_CEILING))
            })
            .attempt_timeout(Duration::from_secs(120), || STALLED)
            .name("upload")
    }

    /// Uploads against a server whose attempts play `answers` in order (`None` stalls for
    /// an hour); returns the waits between attempts, the report and the virtual time taken.
    async fn upload(
        answers: &[Option<Result<(), HttpError>>],
    ) -> (Vec<Duration>, persevere::Report, Duration) {
        let started = tokio::time::Instant::now();
        let calls = Cell::new(0);
        let waits = RefCell::new(Vec::new());
        let (_, report) = uploads()
            .retry_async(|| {
                let n = calls.replace(calls.get() + 1);
                let answer = match answers.get(n) {
                    Some(Some(Ok(()))) => Some(Ok(())),
                    Some(Some(Err(e))) => Some(Err(HttpError { ..*e })),
                    Some(None) | None => None,
                };
                async move {
                    match answer {
                        Some(answer) => answer,
                        None => {
                            tokio::time::sleep(secs(3600)).await;
                            Ok(())
                        }
                    }
                }
            })
            .sleep(|d| {
                waits.borrow_mut().push(d);
                tokio::time::sleep(d)
            })
            .call_with_report()
            .await;
        // The sleeper also times each attempt: those 2-minute timers are not waits.
        let waits = waits.into_inner().into_iter().filter(|d| *d != secs(120)).collect();
        (waits, report, started.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn stalled_attempts_are_cut_at_two_minutes_and_five_attempts_at_most() {
        for _ in 0..20 {
            let (waits, report, took) = upload(&[]).await;
            assert_eq!((report.attempts, report.stop), (5, Stop::ScheduleExhausted));
            within_steps(&waits, &[5, 10, 20, 40].map(secs));
            within_a_tick(took, 5 * secs(120) + report.slept);
            assert!(report.slept <= secs(75));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_server_sets_the_wait_up_to_five_minutes() {
        let (waits, report, _) = upload(&[Some(Err(asking(503, "30"))), Some(Ok(()))]).await;
        assert_eq!(report.attempts, 2);
        assert!(waits[0] >= secs(30) && waits[0] <= secs(36), "{waits:?}");

        let (waits, _, _) = upload(&[Some(Err(asking(429, "86400"))), Some(Ok(()))]).await;
        assert!(waits[0] >= secs(250) && waits[0] <= secs(300), "{waits:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_upload_is_not_sent_again() {
        let (_, report, took) = upload(&[Some(Err(status(413)))]).await;
        assert_eq!((report.attempts, report.stop, took), (1, Stop::NotRetryable, Duration::ZERO));
    }
}

/// "A payment".
mod payment {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum ChargeError {
        Timeout,
        ProviderDown,
        Declined,
    }

    impl std::fmt::Display for ChargeError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    /// How a charge went.
    struct Charged {
        waits: Vec<Duration>,
        /// What each attempt was handed as its own timeout.
        time_left: Vec<Option<Duration>>,
        report: persevere::Report,
        /// What the recipe's give-up hook handed to reconciliation.
        reconcile: Vec<(&'static str, u32, Stop)>,
    }

    /// Charges with the recipe's retry; each attempt lasts `lasts` on a manual clock and
    /// fails with `error`.
    fn charge(lasts: Duration, error: fn() -> ChargeError) -> Charged {
        let key = "order-1234-payment";
        let clock = ManualClock::new();
        let to_reconcile = RefCell::new(Vec::new());
        let mut waits = Vec::new();
        let mut time_left = Vec::new();
        let schedule = Exponential::new(Duration::from_secs(2))
            .factor(5.0)
            .jitter(Jitter::Equal)
            .max_retries(2);
        let (_, report) = blocking::retry_with(schedule, |attempt| {
            time_left.push(attempt.time_left);
            clock.advance(lasts);
            Err::<&str, _>(error())
        })
        .when(|e| matches!(e, ChargeError::Timeout | ChargeError::ProviderDown))
        .max_elapsed(Duration::from_secs(60))
        .on_give_up(|e, report| {
            if *e == ChargeError::Timeout {
                to_reconcile.borrow_mut().push((key, report.attempts, report.stop));
            }
        })
        .clock(clock.clone())
        .sleep(|d| {
            clock.advance(d);
            waits.push(d);
        })
        .call_with_report();
        Charged { waits, time_left, report, reconcile: to_reconcile.into_inner() }
    }

    #[test]
    fn two_retries_after_one_to_two_then_five_to_ten_seconds() {
        for _ in 0..RUNS {
            let Charged { waits, report, reconcile, .. } = charge(ms(300), || ChargeError::Timeout);
            assert_eq!((report.attempts, report.stop), (3, Stop::ScheduleExhausted));
            assert!(waits[0] >= secs(1) && waits[0] <= secs(2), "{waits:?}");
            assert!(waits[1] >= secs(5) && waits[1] <= secs(10), "{waits:?}");
            // The outcome is unknown: reconciliation gets it.
            assert_eq!(reconcile, [("order-1234-payment", 3, Stop::ScheduleExhausted)]);
        }
    }

    #[test]
    fn each_attempt_is_handed_what_is_left_of_the_minute() {
        let Charged { time_left, report, reconcile, .. } =
            charge(secs(28), || ChargeError::Timeout);
        assert_eq!(time_left[0], Some(secs(60)));
        assert!(time_left[1].unwrap() <= secs(60) - secs(28) - secs(1), "{time_left:?}");
        // Two attempts of 28 s and a wait leave too little for the second wait (5 s at least).
        assert_eq!((report.attempts, report.stop), (2, Stop::MaxElapsed));
        assert_eq!(reconcile, [("order-1234-payment", 2, Stop::MaxElapsed)]);
    }

    #[test]
    fn a_decline_is_answered_at_once_and_not_reconciled() {
        let Charged { waits, report, reconcile, .. } = charge(ms(300), || ChargeError::Declined);
        assert_eq!((waits.len(), report.attempts, report.stop), (0, 1, Stop::NotRetryable));
        assert!(reconcile.is_empty());

        let Charged { report, reconcile, .. } = charge(ms(300), || ChargeError::ProviderDown);
        assert_eq!(report.attempts, 3);
        assert!(reconcile.is_empty(), "a provider that was down charged nothing");
    }
}

/// "A cache read".
mod cache_read {
    use super::*;

    /// The recipe's read, against a cache whose every answer is `answer` and takes `lasts`.
    fn read(
        lasts: Duration,
        answer: fn() -> io::Result<Option<&'static str>>,
    ) -> (io::Result<Option<&'static str>>, persevere::Report) {
        let clock = ManualClock::new();
        futures::executor::block_on(
            future::retry([Duration::from_millis(5)], || {
                clock.advance(lasts);
                std::future::ready(answer())
            })
            .when(persevere::classify::is_transient_io)
            .max_elapsed(Duration::from_millis(50))
            .clock(clock.clone())
            .sleep(|d| {
                clock.advance(d);
                std::future::ready(())
            })
            .call_with_report(),
        )
    }

    #[test]
    fn one_short_retry_then_the_source_of_truth() {
        let (result, report) = read(ms(1), || Err(io_error(io::ErrorKind::TimedOut)));
        assert!(result.is_err());
        assert_eq!((report.attempts, report.slept), (2, ms(5)));
    }

    #[test]
    fn a_sick_cache_is_not_retried_past_fifty_milliseconds() {
        let (_, report) = read(ms(48), || Err(io_error(io::ErrorKind::TimedOut)));
        assert_eq!((report.attempts, report.stop), (1, Stop::MaxElapsed));
    }

    #[test]
    fn a_miss_is_an_answer() {
        let (result, report) = read(ms(1), || Ok(None));
        assert_eq!((result.unwrap(), report.attempts), (None, 1));
    }
}

/// "A retry in a spawned task": both fixes give `tokio::spawn` a future that owns what it
/// uses, while the caller keeps its own handle.
mod spawned_task {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Resets the first request for each path, then answers.
    #[derive(Default)]
    struct Client {
        requests: Mutex<Vec<String>>,
    }

    impl Client {
        async fn get(&self, path: &str) -> io::Result<String> {
            let mut requests = self.requests.lock().unwrap();
            let again = requests.iter().any(|p| p == path);
            requests.push(path.to_owned());
            if again {
                Ok(format!("200 {path}"))
            } else {
                Err(io::ErrorKind::ConnectionReset.into())
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn both_fixes_spawn_and_leave_the_client_to_its_owner() {
        let client = Arc::new(Client::default());
        let schedule = Exponential::new(Duration::from_millis(100));

        let quote = tokio::spawn({
            let client = Arc::clone(&client);
            future::retry(schedule.clone(), move || {
                let client = Arc::clone(&client);
                async move { client.get("/quote").await }
            })
            .sleep(tokio::time::sleep)
            .call()
        });
        let rates = tokio::spawn({
            let client = Arc::clone(&client);
            future::retry_mut(schedule, async move || client.get("/rates").await)
                .sleep(tokio::time::sleep)
                .call()
        });

        assert_eq!(quote.await.unwrap().unwrap(), "200 /quote");
        assert_eq!(rates.await.unwrap().unwrap(), "200 /rates");
        assert_eq!(Arc::strong_count(&client), 1);
        assert_eq!(client.requests.lock().unwrap().len(), 4, "two attempts each");
    }
}

/// "A background loop that must never die": a supervisor that keeps restarting its task,
/// with delays that grow to a minute, never gives up, and starts over after 5 good minutes.
mod background_loop {
    use super::*;

    /// The recipe's restart schedule.
    fn restarts() -> Exponential {
        Exponential::new(Duration::from_secs(1)).max_delay(Duration::from_secs(60)).forever()
    }

    /// Runs a supervisor with the recipe's settings over `task` until it has slept `sleeps`
    /// times; returns the delays and the outcome.
    fn supervise(
        sleeps: usize,
        clock: &ManualClock,
        task: impl FnMut(&StopSignal) -> Result<(), String>,
    ) -> (Vec<Duration>, Outcome<persevere::supervise::TaskError<String>>) {
        let stop = StopSignal::new();
        let mut slept = Vec::new();
        let outcome = Supervisor::new(restarts())
            .name("health-checker")
            .max_failures(u32::MAX)
            .healthy_after(Duration::from_secs(300))
            .clock(clock.clone())
            .sleep(|d| {
                clock.advance(d);
                slept.push(d);
                if slept.len() == sleeps {
                    stop.stop();
                }
            })
            .run(&stop, task);
        (slept, outcome)
    }

    #[test]
    fn restarts_grow_to_the_one_minute_cap_and_stay_there() {
        let (slept, outcome) = supervise(12, &ManualClock::new(), |_| Err("unreachable".into()));
        assert_eq!(slept, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60].map(secs));
        assert_eq!(outcome, Outcome::Stopped);
    }

    #[test]
    fn it_never_gives_up() {
        let (slept, outcome) = supervise(1000, &ManualClock::new(), |_| Err("down".into()));
        assert_eq!(slept.len(), 1000);
        assert!(slept.iter().all(|d| *d <= secs(60)));
        assert_eq!(outcome, Outcome::Stopped, "a thousand failures in a row, and still running");
    }

    #[test]
    fn five_good_minutes_start_the_backoff_over_at_one_second() {
        let clock = ManualClock::new();
        let mut runs = 0;
        let (slept, _) = supervise(10, &clock, |_| {
            runs += 1;
            if runs == 8 {
                clock.advance(secs(300)); // healthy for five minutes, then fails
            }
            Err("lost the connection".into())
        });
        assert_eq!(slept, [1, 2, 4, 8, 16, 32, 60, 1, 2, 4].map(secs));
    }
}

/// "Retry, circuit breaker and budget together".
mod breaker_and_budget {
    use super::*;
    use persevere::breaker::{BreakerError, CircuitBreaker, State};
    use persevere::budget::RetryBudget;

    #[derive(Debug)]
    struct Unavailable;

    impl std::fmt::Display for Unavailable {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("503")
        }
    }

    #[test]
    fn an_outage_costs_three_calls_and_three_retries_then_one_probe_after_thirty_seconds() {
        let clock = ManualClock::new();
        let up = Cell::new(false);
        let calls = Cell::new(0);
        let inventory = || {
            calls.set(calls.get() + 1);
            if up.get() { Ok(7) } else { Err(Unavailable) }
        };
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(3)
            .break_duration(Duration::from_secs(30))
            .clock(clock.clone())
            .build();
        let budget = RetryBudget::aws_standard();
        let schedule =
            Exponential::new(Duration::from_millis(100)).jitter(Jitter::Full).max_retries(3);
        let policy = Policy::new(schedule)
            .when(|e: &BreakerError<Unavailable>| matches!(e, BreakerError::Inner(_)))
            .budget(&budget);
        let stock = || policy.retry(|| breaker.call(inventory)).sleep(|_| {}).call_with_report();

        let (result, report) = stock();
        assert!(matches!(result, Err(BreakerError::Rejected(_))));
        assert_eq!((report.attempts, report.stop), (4, Stop::NotRetryable));
        assert_eq!((calls.get(), breaker.state()), (3, State::Open));
        assert_eq!(budget.available(), 485.0);

        // However many requests come while it is open: no call, no retry paid.
        for _ in 0..100 {
            let (result, report) = stock();
            assert_eq!(result.unwrap_err().retry_after(), Some(secs(30)));
            assert_eq!(report.attempts, 1);
        }
        assert_eq!((calls.get(), budget.available()), (3, 485.0));

        // Not a moment before the break ends.
        up.set(true);
        clock.advance(secs(30) - ms(1));
        assert!(matches!(stock().0, Err(BreakerError::Rejected(_))));
        clock.advance(ms(1));
        assert_eq!(stock().0.ok(), Some(7));
        assert_eq!((calls.get(), breaker.state()), (4, State::Closed));
    }
}
