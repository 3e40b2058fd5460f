//! The async adapter under every executor, and the blocking one from many threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use persevere::{Exponential, Fixed, Stop, blocking, future};

/// Fails twice, then returns the attempt count; shared so a test can read the count.
async fn flaky(calls: &AtomicU32) -> Result<u32, String> {
    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
    if n < 3 { Err(format!("failure {n}")) } else { Ok(n) }
}

fn short() -> Exponential {
    Exponential::new(Duration::from_millis(1)).max_retries(5)
}

#[tokio::test(flavor = "current_thread")]
async fn tokio_current_thread_with_tokio_sleep() {
    let calls = AtomicU32::new(0);
    let result = future::retry(short(), || flaky(&calls)).sleep(tokio::time::sleep).call().await;
    assert_eq!(result, Ok(3));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_multi_thread_spawned_with_default_sleep() {
    let calls = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let calls = Arc::new(AtomicU32::new(0));
            tokio::spawn(async move {
                let result = future::retry(short(), || flaky(&calls)).call().await;
                (result, calls.load(Ordering::SeqCst))
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), (Ok(3), 3));
    }
    // A retry of an async closure that owns and mutates its captures is Send too.
    let counter = calls.clone();
    let result = tokio::spawn(async move {
        let mut local = 0;
        future::retry_mut(short(), async move || {
            local += 1;
            counter.fetch_add(1, Ordering::SeqCst);
            if local < 2 { Err("cold") } else { Ok(local) }
        })
        .call()
        .await
    })
    .await
    .unwrap();
    assert_eq!(result, Ok(2));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn an_hour_of_backoff_passes_at_once_on_tokios_paused_clock() {
    let start = tokio::time::Instant::now();
    let calls = AtomicU32::new(0);
    let hour = Fixed::new(Duration::from_secs(20 * 60)).max_retries(3);
    let (result, report) = future::retry(hour, || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err::<(), _>("down")
    })
    .sleep(tokio::time::sleep)
    .call_with_report()
    .await;
    assert_eq!(result, Err("down"));
    assert_eq!((report.attempts, report.stop), (4, Stop::ScheduleExhausted));
    assert_eq!(report.slept, Duration::from_secs(3600));
    // Virtual time moved by exactly the hour slept.
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
}

/// `max_elapsed` ends a retry under tokio's paused clock with no more than tokio's sleep:
/// the elapsed time is never less than the time slept, though std's clock stands still.
#[tokio::test(start_paused = true)]
async fn max_elapsed_ends_a_forever_schedule_on_tokios_paused_clock() {
    let start = tokio::time::Instant::now();
    let forever = Fixed::new(Duration::from_secs(60)).forever();
    let (result, report) = future::retry(forever, || async { Err::<(), _>("down") })
        .max_elapsed(Duration::from_secs(10 * 60))
        .sleep(tokio::time::sleep)
        .call_with_report()
        .await;
    assert_eq!(result, Err("down"));
    // Ten delays of a minute fit in ten minutes; the eleventh would pass the limit.
    assert_eq!((report.attempts, report.stop), (11, Stop::MaxElapsed));
    assert_eq!(report.slept, Duration::from_secs(600));
    assert_eq!(start.elapsed(), Duration::from_secs(600));
}

/// The attempts learn the virtual time too: `elapsed` and `time_left` follow the sleeps.
#[tokio::test(start_paused = true)]
async fn attempts_see_virtual_time_on_tokios_paused_clock() {
    let seen = std::sync::Mutex::new(Vec::new());
    let _ = future::retry_with(Fixed::new(Duration::from_secs(30)).max_retries(2), |attempt| {
        seen.lock().unwrap().push((attempt.elapsed.as_secs(), attempt.time_left));
        async { Err::<(), _>("down") }
    })
    .max_elapsed(Duration::from_secs(100))
    .sleep(tokio::time::sleep)
    .call()
    .await;
    let left = |s| Some(Duration::from_secs(s));
    assert_eq!(*seen.lock().unwrap(), [(0, left(100)), (30, left(70)), (60, left(40))]);
}

#[test]
fn async_std() {
    let calls = AtomicU32::new(0);
    let result = async_std::task::block_on(
        future::retry(short(), || flaky(&calls)).sleep(async_std::task::sleep).call(),
    );
    assert_eq!(result, Ok(3));
}

#[test]
fn smol_with_its_own_timer() {
    let calls = AtomicU32::new(0);
    let result = smol::block_on(
        future::retry(short(), || flaky(&calls))
            .sleep(|d| async move {
                smol::Timer::after(d).await;
            })
            .call(),
    );
    assert_eq!(result, Ok(3));
}

#[test]
fn futures_block_on_with_the_default_timer() {
    let calls = AtomicU32::new(0);
    let result = futures::executor::block_on(future::retry(short(), || flaky(&calls)).call());
    assert_eq!(result, Ok(3));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn blocking_from_many_threads_at_once() {
    let shared_calls = Arc::new(AtomicU32::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let shared_calls = shared_calls.clone();
            std::thread::spawn(move || {
                let mut mine = 0;
                blocking::retry(short(), || {
                    mine += 1;
                    shared_calls.fetch_add(1, Ordering::SeqCst);
                    if mine < 3 { Err("busy") } else { Ok(mine) }
                })
                .call()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), Ok(3));
    }
    assert_eq!(shared_calls.load(Ordering::SeqCst), 24);
}
