//! Retry at one layer: a retry marked `sole_layer` makes every persevere retry started
//! inside its attempts a single attempt, on the same thread or in the same task's poll.

mod common;

use std::cell::Cell;
use std::time::Duration;

use common::{capture_logs, persevere_lines};
use persevere::{Fixed, Stop, blocking, future};

fn no_wait(retries: u32) -> Fixed {
    Fixed::new(Duration::ZERO).max_retries(retries)
}

#[test]
fn without_the_mark_nested_retries_multiply() {
    let calls = Cell::new(0);
    let service = || {
        calls.set(calls.get() + 1);
        Err::<(), _>("down")
    };
    let middle =
        || blocking::retry(no_wait(2), || blocking::retry(no_wait(2), service).call()).call();
    let _ = blocking::retry(no_wait(2), middle).call();
    assert_eq!(calls.get(), 27, "3 attempts at each of 3 layers");
}

#[test]
fn two_deep_blocking() {
    capture_logs();
    let calls = Cell::new(0);
    let inner = || {
        blocking::retry(no_wait(4), || {
            calls.set(calls.get() + 1);
            Err::<(), _>("down")
        })
        .call_with_report()
    };
    let reports = std::cell::RefCell::new(Vec::new());
    let (_, outer) = blocking::retry(no_wait(2), || {
        let (result, report) = inner();
        reports.borrow_mut().push(report);
        result
    })
    .sole_layer()
    .call_with_report();
    assert_eq!(calls.get(), 3);
    assert_eq!(outer.attempts, 3);
    assert!(reports.borrow().iter().all(|r| r.attempts == 1 && r.stop == Stop::OuterLayerRetries));
    let debug: Vec<_> = persevere_lines(log::Level::Debug)
        .into_iter()
        .filter(|(level, _)| *level == log::Level::Debug)
        .map(|(_, line)| line)
        .collect();
    assert_eq!(debug.len(), 3);
    assert_eq!(
        debug[0],
        "attempt 1/5 failed: down; not retrying: an enclosing retry is the sole retrying layer"
    );
}

#[test]
fn three_deep_blocking_makes_only_the_outer_schedules_calls() {
    let calls = Cell::new(0);
    let service = || {
        calls.set(calls.get() + 1);
        Err::<(), _>("down")
    };
    let middle =
        || blocking::retry(no_wait(5), || blocking::retry(no_wait(5), service).call()).call();
    let _ = blocking::retry(no_wait(2), middle).sole_layer().call();
    assert_eq!(calls.get(), 3);
}

#[test]
fn the_scope_ends_with_the_marked_retry() {
    let calls = Cell::new(0);
    let _ = blocking::retry(no_wait(1), || Err::<(), _>("x")).sole_layer().call();
    let _ = blocking::retry(no_wait(2), || {
        calls.set(calls.get() + 1);
        Err::<(), _>("down")
    })
    .call();
    assert_eq!(calls.get(), 3, "a retry after the marked one retries normally");
}

#[test]
fn two_deep_async() {
    let calls = Cell::new(0);
    let service = || async {
        calls.set(calls.get() + 1);
        Err::<(), _>("down")
    };
    let outer =
        future::retry(no_wait(2), || future::retry(no_wait(4), service).call()).sole_layer().call();
    let _ = futures::executor::block_on(outer);
    assert_eq!(calls.get(), 3);
}

#[test]
fn two_deep_async_with_a_mutating_outer_operation() {
    // `retry_mut` runs its own copy of the loop; marked, it must watch its attempts too.
    let calls = Cell::new(0);
    let service = || async {
        calls.set(calls.get() + 1);
        Err::<(), _>("down")
    };
    let mut outer_attempts = 0;
    let outer = future::retry_mut(no_wait(2), async || {
        outer_attempts += 1;
        future::retry(no_wait(4), service).call().await
    })
    .sole_layer()
    .call();
    assert_eq!(futures::executor::block_on(outer), Err("down"));
    assert_eq!((outer_attempts, calls.get()), (3, 3));
}

#[test]
fn three_deep_async_across_a_multi_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = calls.clone();
    let result = runtime.block_on(async move {
        tokio::spawn(async move {
            let service = || async {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // Yield so later polls of the nest may run on another worker thread.
                tokio::task::yield_now().await;
                Err::<(), _>("down")
            };
            let middle = || {
                future::retry(no_wait(5), || {
                    future::retry(no_wait(5), service).sleep(tokio::time::sleep).call()
                })
                .sleep(tokio::time::sleep)
                .call()
            };
            future::retry(no_wait(2), middle).sole_layer().sleep(tokio::time::sleep).call().await
        })
        .await
        .unwrap()
    });
    assert_eq!(result, Err("down"));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[test]
fn a_mixed_nest_blocking_inside_async() {
    let calls = Cell::new(0);
    let outer = future::retry(no_wait(1), || async {
        blocking::retry(no_wait(9), || {
            calls.set(calls.get() + 1);
            Err::<(), _>("down")
        })
        .call()
    })
    .sole_layer()
    .call();
    let _ = futures::executor::block_on(outer);
    assert_eq!(calls.get(), 2);
}
