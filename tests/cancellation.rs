//! Dropping an async retry cancels it: no further attempt runs and its timer is released.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use persevere::{Fixed, future};

/// A sleep that never ends by itself and says when it is dropped.
struct Pending(Arc<AtomicBool>);

impl Future for Pending {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn dropping_mid_sleep_stops_attempts_and_drops_the_sleep() {
    let calls = AtomicU32::new(0);
    let dropped = Arc::new(AtomicBool::new(false));
    let mut retry = Box::pin(
        future::retry(Fixed::new(Duration::from_secs(3600)), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>("down")
        })
        .sleep(|_| Pending(dropped.clone()))
        .call(),
    );
    let mut cx = Context::from_waker(Waker::noop());
    assert!(retry.as_mut().poll(&mut cx).is_pending(), "parked in the first sleep");
    assert!(retry.as_mut().poll(&mut cx).is_pending());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(!dropped.load(Ordering::SeqCst));
    drop(retry);
    assert!(dropped.load(Ordering::SeqCst), "the sleep future was released with the retry");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "no attempt after the drop");
}

#[tokio::test(start_paused = true)]
async fn an_aborted_task_makes_no_more_attempts_on_tokios_clock() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let task = tokio::spawn(async move {
        future::retry(Fixed::new(Duration::from_secs(10)).forever(), move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>("down")
            }
        })
        .sleep(tokio::time::sleep)
        .call()
        .await
    });
    tokio::time::sleep(Duration::from_secs(25)).await; // attempts at 0 s, 10 s and 20 s
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3, "no attempt after the abort");
}

#[test]
fn dropping_the_default_timer_sleep_is_clean() {
    // The default futures-timer sleep registers a timer on the first poll; dropping the
    // retry deregisters it (futures-timer removes a Delay's node on drop). What we can
    // observe from outside: the drop does not block, and the op is never called again.
    let calls = AtomicU32::new(0);
    let mut retry = Box::pin(
        future::retry(Fixed::new(Duration::from_secs(3600)), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>("down")
        })
        .call(),
    );
    let mut cx = Context::from_waker(Waker::noop());
    assert!(retry.as_mut().poll(&mut cx).is_pending());
    drop(retry);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
