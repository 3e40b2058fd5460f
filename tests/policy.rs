//! A policy defined once and applied at many call sites, blocking and async; what the
//! operation learns about its attempt.

use std::cell::RefCell;
use std::io;
use std::sync::LazyLock;
use std::time::Duration;

use persevere::clock::ManualClock;
use persevere::{Exponential, Fixed, Jitter, Policy, Stop, blocking};

fn transient(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::TimedOut)
}

/// A preset kept in settings, as users keep `API_RETRY`: its type names only the schedule
/// and the error, whatever the hooks are (a function here, a closure below), with no cast.
static API_RETRY: LazyLock<Policy<Exponential, io::Error>> = LazyLock::new(|| {
    Policy::new(Exponential::new(Duration::from_millis(100)).max_retries(3))
        .when(transient)
        .adjust(|_, _| None)
});

fn flaky(failures: &RefCell<Vec<io::ErrorKind>>) -> io::Result<&'static str> {
    match failures.borrow_mut().pop() {
        Some(kind) => Err(kind.into()),
        None => Ok("ok"),
    }
}

#[test]
fn one_preset_many_call_sites() {
    for (script, expected_attempts, ok) in [
        (vec![], 1, true),
        (vec![io::ErrorKind::TimedOut, io::ErrorKind::ConnectionReset], 3, true),
        (vec![io::ErrorKind::PermissionDenied], 1, false),
        (vec![io::ErrorKind::TimedOut; 5], 4, false),
    ] {
        let failures = RefCell::new(script);
        let mut slept = Vec::new();
        let (result, report) =
            API_RETRY.retry(|| flaky(&failures)).sleep(|d| slept.push(d)).call_with_report();
        assert_eq!(result.is_ok(), ok);
        assert_eq!(report.attempts, expected_attempts);
        // Each call starts from the top of the schedule: the policy's schedule is cloned.
        let expected: Vec<_> = [100, 200, 400][..expected_attempts as usize - 1]
            .iter()
            .map(|&n| Duration::from_millis(n))
            .collect();
        if result.is_ok() || report.stop == Stop::ScheduleExhausted {
            assert_eq!(slept, expected);
        }
    }
}

#[test]
fn the_same_policy_serves_async_calls() {
    let policy = Policy::new(Fixed::new(Duration::from_millis(1)).max_retries(2)).when(transient);
    for _ in 0..3 {
        let failures = RefCell::new(vec![io::ErrorKind::ConnectionReset]);
        let (result, report) = futures::executor::block_on(
            policy
                .retry_async(|| async { flaky(&failures) })
                .sleep(|_| std::future::ready(()))
                .call_with_report(),
        );
        assert_eq!(result.unwrap(), "ok");
        assert_eq!(report.attempts, 2);
    }
}

#[test]
fn a_jittered_policy_gives_each_call_its_own_draws() {
    let policy =
        Policy::new(Exponential::new(Duration::from_secs(1)).jitter(Jitter::Full).max_retries(8));
    let delays = |_| {
        let mut slept = Vec::new();
        let _ = policy.retry(|| Err::<(), _>("down")).sleep(|d| slept.push(d)).call();
        slept
    };
    let runs: Vec<Vec<Duration>> = (0..4).map(delays).collect();
    assert!(runs.windows(2).any(|w| w[0] != w[1]), "identical jitter across calls: {runs:?}");
}

#[test]
fn the_operation_learns_its_attempt_and_the_time_left() {
    let clock = ManualClock::new();
    let seen = RefCell::new(Vec::new());
    let _ = blocking::retry_with(Fixed::new(Duration::from_secs(2)).forever(), |attempt| {
        seen.borrow_mut().push((attempt.number, attempt.elapsed, attempt.time_left));
        clock.advance(Duration::from_secs(1)); // the attempt itself takes a second
        Err::<(), _>("down")
    })
    .max_elapsed(Duration::from_secs(10))
    .clock(clock.clone())
    .sleep(|d| clock.advance(d))
    .call();
    let secs = Duration::from_secs;
    assert_eq!(
        seen.into_inner(),
        // The fourth attempt fails at 10 s: a further 2 s delay would pass the limit.
        [
            (1, secs(0), Some(secs(10))),
            (2, secs(3), Some(secs(7))),
            (3, secs(6), Some(secs(4))),
            (4, secs(9), Some(secs(1)))
        ]
    );
}

#[test]
fn async_operations_learn_their_attempt_too() {
    let numbers = RefCell::new(Vec::new());
    let policy = Policy::new(Fixed::new(Duration::ZERO).max_retries(2));
    let result = futures::executor::block_on(
        policy
            .retry_async_with(|attempt| {
                numbers.borrow_mut().push((attempt.number, attempt.time_left));
                async move { if attempt.number < 3 { Err("no") } else { Ok(attempt.number) } }
            })
            .call(),
    );
    assert_eq!(result, Ok(3));
    assert_eq!(numbers.into_inner(), [(1, None), (2, None), (3, None)]);
}

#[test]
fn give_up_sees_the_final_error_for_every_kind_of_stop() {
    // A policy's hooks are shared by every thread that uses it: `Send + Sync + 'static`.
    let dead = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = dead.clone();
    let policy = Policy::new(Fixed::new(Duration::ZERO).max_retries(1))
        .when(|e: &&str| *e != "fatal")
        .on_give_up(move |e, report| {
            seen.lock().unwrap().push((e.to_string(), report.attempts, report.stop))
        });
    let _ = policy.retry(|| Err::<(), _>("busy")).call();
    let _ = policy.retry(|| Err::<(), _>("fatal")).call();
    let _ = policy.retry(|| Ok::<_, &str>(())).call();
    assert_eq!(
        *dead.lock().unwrap(),
        [
            ("busy".to_string(), 2, Stop::ScheduleExhausted),
            ("fatal".to_string(), 1, Stop::NotRetryable)
        ]
    );
}

#[test]
fn a_policy_in_a_struct_field_serves_many_threads() {
    struct Client {
        retry: Policy<Fixed, io::Error>,
    }
    let client = Client {
        retry: Policy::new(Fixed::new(Duration::ZERO).max_retries(2))
            .when(transient)
            .adjust(|_, d| Some(d * 2)),
    };
    let attempts: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut left = 2;
                    let (result, report) = client
                        .retry
                        .retry(|| {
                            left -= 1;
                            if left > 0 { Err(io::ErrorKind::TimedOut.into()) } else { Ok(()) }
                        })
                        .call_with_report();
                    assert!(result.is_ok());
                    report.attempts
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(attempts, [2; 4]);
}

#[test]
fn any_iterator_of_durations_is_a_schedule() {
    let ms = Duration::from_millis;
    let mut slept = Vec::new();
    let schedule =
        [ms(10), ms(50)].into_iter().chain(std::iter::repeat_n(ms(70), 2)).map(|d| d * 2);
    let _ = blocking::retry(schedule, || Err::<(), _>("down")).sleep(|d| slept.push(d)).call();
    assert_eq!(slept, [ms(20), ms(100), ms(140), ms(140)]);
}
