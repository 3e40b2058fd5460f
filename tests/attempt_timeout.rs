//! Attempt timeouts of async retries: an attempt that runs past its limit is dropped and
//! fails with the caller's error, timed with the retry's own sleep (tokio's paused clock,
//! futures-timer), and a budget charges its retry as a timeout.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use persevere::budget::{RetryBudget, RetryKind};
use persevere::{Fixed, Policy, Stop, future};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Error {
    TimedOut,
    Refused,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Sets its flag when dropped: shows that a timed-out attempt's future is dropped.
struct DropFlag(Arc<AtomicU32>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_attempt_is_cut_at_its_limit_on_tokios_paused_clock() {
    let start = tokio::time::Instant::now();
    let dropped = Arc::new(AtomicU32::new(0));
    let seen = Mutex::new(Vec::new());
    let gave_up = Mutex::new(None);
    let (result, report) = future::retry(Fixed::new(secs(2)).max_retries(2), || {
        let flag = DropFlag(dropped.clone());
        async move {
            let _flag = flag;
            tokio::time::sleep(secs(60)).await; // a server that hangs for a minute
            Ok::<_, Error>("late")
        }
    })
    .attempt_timeout(secs(5), || Error::TimedOut)
    .when(|e| *e == Error::TimedOut)
    .notify(|e, delay| seen.lock().unwrap().push((*e, delay)))
    .on_give_up(|e, report| *gave_up.lock().unwrap() = Some((*e, report.stop)))
    .sleep(tokio::time::sleep)
    .call_with_report()
    .await;
    assert_eq!(result, Err(Error::TimedOut));
    assert_eq!((report.attempts, report.stop, report.slept), (3, Stop::ScheduleExhausted, secs(4)));
    // Three attempts of 5 s and two delays of 2 s, in virtual time.
    assert_eq!(start.elapsed(), secs(19));
    assert_eq!(dropped.load(Ordering::SeqCst), 3, "every timed-out attempt was dropped");
    assert_eq!(*seen.lock().unwrap(), [(Error::TimedOut, secs(2)); 2]);
    assert_eq!(*gave_up.lock().unwrap(), Some((Error::TimedOut, Stop::ScheduleExhausted)));
}

#[tokio::test(start_paused = true)]
async fn a_mutating_operation_is_cut_at_its_limit_too() {
    // `retry_mut` runs its own copy of the loop; with a timeout it must watch its attempts.
    let start = tokio::time::Instant::now();
    let mut attempts = 0;
    let (result, report) = future::retry_mut(Fixed::new(secs(1)).max_retries(1), async || {
        attempts += 1;
        tokio::time::sleep(secs(60)).await;
        Ok::<_, Error>(attempts)
    })
    .attempt_timeout(secs(3), || Error::TimedOut)
    .sleep(tokio::time::sleep)
    .call_with_report()
    .await;
    assert_eq!(result, Err(Error::TimedOut));
    assert_eq!((report.attempts, report.stop), (2, Stop::ScheduleExhausted));
    assert_eq!(attempts, 2);
    // Two attempts of 3 s and one delay of 1 s, in virtual time.
    assert_eq!(start.elapsed(), secs(7));
}

#[tokio::test(start_paused = true)]
async fn an_attempt_within_its_limit_is_not_cut() {
    let calls = AtomicU32::new(0);
    let result = future::retry(Fixed::new(secs(1)).max_retries(3), || async {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(secs(4)).await;
        if n == 0 { Err(Error::Refused) } else { Ok(n) }
    })
    .attempt_timeout(secs(5), || Error::TimedOut)
    .sleep(tokio::time::sleep)
    .call()
    .await;
    assert_eq!(result, Ok(1));
}

#[test]
fn the_default_futures_timer_sleep_times_attempts_too() {
    let (result, report) = futures::executor::block_on(
        future::retry(Fixed::new(Duration::ZERO).max_retries(2), || {
            std::future::pending::<Result<(), Error>>()
        })
        .attempt_timeout(Duration::from_millis(5), || Error::TimedOut)
        .call_with_report(),
    );
    assert_eq!(result, Err(Error::TimedOut));
    assert_eq!((report.attempts, report.stop), (3, Stop::ScheduleExhausted));
}

#[tokio::test(start_paused = true)]
async fn a_budget_charges_timed_out_attempts_as_timeouts() {
    // AWS: 500 tokens, 5 per retry, 10 per retry after a timeout.
    let budget = RetryBudget::aws_standard();
    let _ = future::retry(Fixed::new(secs(1)).max_retries(2), || async {
        tokio::time::sleep(secs(60)).await;
        Ok::<_, Error>(())
    })
    .attempt_timeout(secs(1), || Error::TimedOut)
    .budget(&budget)
    .sleep(tokio::time::sleep)
    .call()
    .await;
    assert_eq!(budget.available(), 500.0 - 2.0 * 10.0);

    // Any error can say it was a timeout through `when`.
    let budget = RetryBudget::aws_standard();
    let mut errors = vec![Error::Refused, Error::TimedOut];
    let _ = future::retry(Fixed::new(secs(1)).max_retries(2), || {
        std::future::ready(Err::<(), _>(errors.pop().unwrap_or(Error::Refused)))
    })
    .when(|e| Some(if *e == Error::TimedOut { RetryKind::Timeout } else { RetryKind::Normal }))
    .budget(&budget)
    .sleep(tokio::time::sleep)
    .call()
    .await;
    assert_eq!(budget.available(), 500.0 - 10.0 - 5.0);
}

#[tokio::test(start_paused = true)]
async fn a_policy_times_its_async_attempts() {
    let policy = Policy::new(Fixed::new(secs(1)).max_retries(1))
        .attempt_timeout(secs(3), || Error::TimedOut)
        .name("slow_api");
    let start = tokio::time::Instant::now();
    let (result, report) = policy
        .retry_async(|| async {
            tokio::time::sleep(secs(60)).await;
            Ok::<_, Error>(())
        })
        .sleep(tokio::time::sleep)
        .call_with_report()
        .await;
    assert_eq!(result, Err(Error::TimedOut));
    assert_eq!(report.attempts, 2);
    assert_eq!(start.elapsed(), secs(3 + 1 + 3));
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_attempt_counts_toward_max_elapsed() {
    let (result, report) = future::retry(Fixed::new(secs(1)).forever(), || async {
        tokio::time::sleep(secs(60)).await;
        Ok::<_, Error>(())
    })
    .attempt_timeout(secs(4), || Error::TimedOut)
    .max_elapsed(secs(12))
    .clock(|| tokio::time::Instant::now().into_std())
    .sleep(tokio::time::sleep)
    .call_with_report()
    .await;
    assert_eq!(result, Err(Error::TimedOut));
    // Attempts end at 4, 9 and 14 s: after the second, 9 + 1 s still fits in 12 s; after
    // the third, 14 s is past it.
    assert_eq!((report.attempts, report.stop), (3, Stop::MaxElapsed));
}
