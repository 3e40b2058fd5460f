//! The retry machinery allocates nothing: not per attempt, not per retry, in either adapter.
//!
//! A counting global allocator sees every allocation of this test binary; each test runs
//! its retry on one thread and counts only that thread's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use persevere::{Exponential, Fixed, Jitter, Policy, blocking, future};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // try_with: the thread-local may be gone while a thread shuts down.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

/// Polls a future to completion on this thread with a no-op waker (no executor machinery).
fn poll_to_end<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn failing_twice() -> impl FnMut() -> Result<u32, &'static str> {
    let mut n = 0;
    move || {
        n += 1;
        if n < 3 { Err("busy") } else { Ok(n) }
    }
}

#[test]
fn blocking_retries_allocate_nothing() {
    let schedule =
        Exponential::new(Duration::from_millis(10)).jitter(Jitter::Full).seed(1).max_retries(5);
    let (result, n) = allocations_during(|| {
        blocking::retry(schedule, failing_twice())
            .when(|e: &&str| *e == "busy")
            .notify(|_, _| {})
            .adjust(|_, d| Some(d / 2))
            .max_elapsed(Duration::from_secs(60))
            .sleep(|_| {})
            .call_with_report()
    });
    assert_eq!(result.0, Ok(3));
    assert_eq!(result.1.attempts, 3);
    assert_eq!(n, 0, "allocations in a blocking retry");
}

#[test]
fn async_retries_allocate_nothing() {
    let schedule = Exponential::new(Duration::from_millis(10)).max_retries(5);
    let mut op = failing_twice();
    let (result, n) = allocations_during(|| {
        let retry = future::retry(schedule, || std::future::ready(op()))
            .when(|e: &&str| *e == "busy")
            .max_elapsed(Duration::from_secs(60))
            .sleep(|_| std::future::ready(()))
            .call();
        poll_to_end(retry)
    });
    assert_eq!(result, Ok(3));
    assert_eq!(n, 0, "allocations in an async retry");
}

#[test]
fn the_default_async_sleep_allocates_nothing_for_zero_delays() {
    let mut op = failing_twice();
    let (result, n) = allocations_during(|| {
        poll_to_end(future::retry(Fixed::new(Duration::ZERO), || std::future::ready(op())).call())
    });
    assert_eq!(result, Ok(3));
    assert_eq!(n, 0);
}

#[test]
fn a_shared_policy_allocates_nothing_per_call() {
    let policy =
        Policy::new(Fixed::new(Duration::ZERO).max_retries(3)).when(|e: &&str| *e == "busy");
    let (_, n) = allocations_during(|| {
        for _ in 0..100 {
            assert_eq!(policy.retry(failing_twice()).sleep(|_| {}).call(), Ok(3));
        }
    });
    assert_eq!(n, 0);
}
