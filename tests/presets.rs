//! The ready-made policies: `Policy::network` over `io::Error` and `Policy::http` over any
//! error that implements `HttpFailure`: what they retry, the delays they sleep, the server
//! hints they honour, and that they adjust like any policy.

use std::io;
use std::time::Duration;

use persevere::classify::HttpFailure;
use persevere::{Policy, Stop};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn network_retries_transient_io_errors_five_times_with_full_jitter() {
    let policy = Policy::network();
    for _ in 0..50 {
        let mut slept = Vec::new();
        let (result, report) = policy
            .retry(|| Err::<(), _>(io::Error::from(io::ErrorKind::ConnectionRefused)))
            .sleep(|d| slept.push(d))
            .call_with_report();
        assert!(result.is_err());
        assert_eq!((report.attempts, report.stop), (6, Stop::ScheduleExhausted));
        for (delay, step) in slept.iter().zip([100, 200, 400, 800, 1600].map(ms)) {
            assert!(*delay <= step, "{delay:?} above its step {step:?}");
        }
    }
    for kind in
        [io::ErrorKind::PermissionDenied, io::ErrorKind::NotFound, io::ErrorKind::InvalidInput]
    {
        let (_, report) =
            policy.retry(|| Err::<(), _>(io::Error::from(kind))).sleep(|_| {}).call_with_report();
        assert_eq!((report.attempts, report.stop), (1, Stop::NotRetryable), "{kind:?}");
    }
}

#[test]
fn network_adjusts_like_any_policy() {
    let policy = Policy::network().max_elapsed(Duration::ZERO).name("db");
    let (_, report) = policy
        .retry(|| Err::<(), _>(io::Error::from(io::ErrorKind::TimedOut)))
        .sleep(|_| {})
        .call_with_report();
    // Any delay but zero would pass a limit of zero; a zero delay (full jitter can draw one)
    // still fits.
    assert!(report.stop == Stop::MaxElapsed || report.attempts > 1);
}

#[derive(Debug)]
struct Failure {
    status: Option<u16>,
    headers: Vec<(&'static str, &'static str)>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.status)
    }
}

impl HttpFailure for Failure {
    fn status(&self) -> Option<u16> {
        self.status
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_bytes())
    }
}

fn status(code: u16) -> Failure {
    Failure { status: Some(code), headers: Vec::new() }
}

#[test]
fn http_retries_the_retryable_statuses_and_failures_before_a_response() {
    let policy = Policy::http();
    let attempts = |make: fn() -> Failure| {
        policy.retry(|| Err::<(), _>(make())).sleep(|_| {}).call_with_report().1.attempts
    };
    for code in [408, 429, 500, 502, 503, 504, 599] {
        let (_, report) =
            policy.retry(|| Err::<(), _>(status(code))).sleep(|_| {}).call_with_report();
        assert_eq!(report.attempts, 6, "{code}");
    }
    for code in [400, 401, 403, 404, 409, 501, 505] {
        let (_, report) =
            policy.retry(|| Err::<(), _>(status(code))).sleep(|_| {}).call_with_report();
        assert_eq!((report.attempts, report.stop), (1, Stop::NotRetryable), "{code}");
    }
    assert_eq!(attempts(|| Failure { status: None, headers: Vec::new() }), 6);
}

#[test]
fn http_honours_the_servers_hints_within_the_ceiling() {
    let policy = Policy::http();
    for (header, value, low, high) in [
        ("retry-after", "3", ms(3000), ms(3600)),
        ("x-amz-retry-after", "1500", ms(1500), ms(1800)),
        // Past the 300 s ceiling: spread over [5/6, 1] of it, not piled on it.
        ("retry-after", "86400", ms(250_000), ms(300_000)),
    ] {
        let mut slept = Vec::new();
        let _ = policy
            .retry(|| Err::<(), _>(Failure { status: Some(429), headers: vec![(header, value)] }))
            .sleep(|d| slept.push(d))
            .call();
        assert_eq!(slept.len(), 5);
        for delay in slept {
            assert!(delay >= low && delay <= high, "{header}: {value} gave {delay:?}");
        }
    }
    // A hint that does not read is ignored: the schedule's delay stands.
    let mut slept = Vec::new();
    let _ = policy
        .retry(|| {
            Err::<(), _>(Failure { status: Some(503), headers: vec![("retry-after", "soon")] })
        })
        .sleep(|d| slept.push(d))
        .call();
    assert!(slept[0] <= ms(100));
}
