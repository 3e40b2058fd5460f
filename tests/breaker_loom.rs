//! Exhaustive interleaving checks of the breaker's state machine under `loom`.
//!
//! Run: `RUSTFLAGS="--cfg persevere_loom" cargo test --test breaker_loom --release`
//! (in a target directory of its own, e.g. `CARGO_TARGET_DIR=target/loom`, so that the flag
//! does not rebuild the normal one). The cfg is named for this crate rather than `loom`
//! because tokio, a dev-dependency, changes its API under `cfg(loom)`.
//!
//! Under `cfg(persevere_loom)` the breaker's atomic word and mutex are loom's, so every order in
//! which two threads can interleave their loads, compare-and-swaps and lock acquisitions
//! is tried.
#![cfg(persevere_loom)]

use std::time::Duration;

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread;
use persevere::breaker::{Builder, CircuitBreaker, State};
use persevere::clock::ManualClock;

use State::{Closed, HalfOpen, Open};

type Seen = Arc<Mutex<Vec<(State, State)>>>;

fn build(clock: &ManualClock, builder: Builder) -> (Arc<CircuitBreaker<ManualClock>>, Seen) {
    let seen = Seen::default();
    let sink = Arc::clone(&seen);
    let breaker = builder
        .break_duration(Duration::from_secs(1))
        .on_state_change(move |from, to| sink.lock().unwrap().push((from, to)))
        .clock(clock.clone())
        .build();
    (Arc::new(breaker), seen)
}

/// The transitions form one legal chain from `start` that ends in the breaker's state.
fn check_chain(breaker: &CircuitBreaker<ManualClock>, seen: &[(State, State)], start: State) {
    let mut at = start;
    for &(from, to) in seen {
        assert_eq!(from, at);
        assert!(matches!(
            (from, to),
            (Closed, Open) | (Open, HalfOpen) | (HalfOpen, Closed) | (HalfOpen, Open)
        ));
        at = to;
    }
    assert_eq!(breaker.state(), at);
}

/// Opens the breaker from the main thread and lets the break pass (it stays `Open` until
/// the next call).
fn open_and_wait(breaker: &CircuitBreaker<ManualClock>, clock: &ManualClock) {
    let _ = breaker.call(|| Err::<(), ()>(()));
    assert_eq!(breaker.state(), Open);
    clock.advance(Duration::from_secs(1));
}

#[test]
fn racing_failures_open_exactly_once() {
    loom::model(|| {
        let clock = ManualClock::new();
        let (breaker, seen) = build(&clock, CircuitBreaker::builder().consecutive_failures(2));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || {
                    let _ = breaker.call(|| Err::<(), ()>(()));
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*seen.lock().unwrap(), [(Closed, Open)]);
        assert_eq!(breaker.state(), Open);
    });
}

#[test]
fn a_success_racing_the_last_failure_either_wins_cleanly() {
    loom::model(|| {
        let clock = ManualClock::new();
        let (breaker, seen) = build(&clock, CircuitBreaker::builder().consecutive_failures(2));
        let _ = breaker.call(|| Err::<(), ()>(()));
        let failing = {
            let breaker = Arc::clone(&breaker);
            thread::spawn(move || {
                let _ = breaker.call(|| Err::<(), ()>(()));
            })
        };
        let succeeding = {
            let breaker = Arc::clone(&breaker);
            thread::spawn(move || {
                let _ = breaker.call(|| Ok::<(), ()>(()));
            })
        };
        failing.join().unwrap();
        succeeding.join().unwrap();
        let seen = seen.lock().unwrap().clone();
        check_chain(&breaker, &seen, Closed);
        match breaker.state() {
            // The racing failure was counted right after the first: a run of two.
            Open => assert_eq!(seen, [(Closed, Open)]),
            // The success was counted between the failures and restarted the run.
            _ => assert!(seen.is_empty()),
        }
    });
}

#[test]
fn half_open_never_runs_more_than_max_probes() {
    loom::model(|| {
        let clock = ManualClock::new();
        let builder = CircuitBreaker::builder().consecutive_failures(1).probe_successes(2);
        let (breaker, seen) = build(&clock, builder);
        open_and_wait(&breaker, &clock);
        let running = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (breaker, running) = (Arc::clone(&breaker), Arc::clone(&running));
                thread::spawn(move || {
                    if let Ok(permit) = breaker.try_acquire() {
                        assert!(permit.is_probe());
                        assert_eq!(running.fetch_add(1, Ordering::SeqCst), 0, "two probes at once");
                        running.fetch_sub(1, Ordering::SeqCst);
                        permit.success();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let seen = seen.lock().unwrap().clone();
        check_chain(&breaker, &seen, Closed);
        // Two probes in sequence close it; one probe and one refusal leave it half-open.
        assert!(matches!(breaker.state(), Closed | HalfOpen));
    });
}

#[test]
fn racing_probe_verdicts_leave_half_open_once() {
    loom::model(|| {
        let clock = ManualClock::new();
        let builder = CircuitBreaker::builder().consecutive_failures(1).max_probes(2);
        let (breaker, seen) = build(&clock, builder);
        open_and_wait(&breaker, &clock);
        let threads: Vec<_> = [true, false]
            .into_iter()
            .map(|fails| {
                let breaker = Arc::clone(&breaker);
                thread::spawn(move || {
                    let _ = breaker.call(|| if fails { Err(()) } else { Ok(()) });
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let seen = seen.lock().unwrap().clone();
        check_chain(&breaker, &seen, Closed);
        let exits = seen.iter().filter(|(from, _)| *from == HalfOpen).count();
        assert_eq!(exits, 1, "{seen:?}");
        // Both permits have ended, so both probe slots are free again if it is half-open.
        assert_ne!(breaker.state(), HalfOpen);
    });
}

#[test]
fn a_call_let_in_before_opening_cannot_count_after_it() {
    loom::model(|| {
        let clock = ManualClock::new();
        let (breaker, seen) = build(&clock, CircuitBreaker::builder().consecutive_failures(2));
        let late = {
            let breaker = Arc::clone(&breaker);
            thread::spawn(move || {
                let _ = breaker.call(|| Err::<(), ()>(()));
            })
        };
        let opener = {
            let breaker = Arc::clone(&breaker);
            thread::spawn(move || {
                for _ in 0..2 {
                    let _ = breaker.call(|| Err::<(), ()>(()));
                }
            })
        };
        late.join().unwrap();
        opener.join().unwrap();
        // However the three failures interleave, the breaker opened once and stays open.
        assert_eq!(*seen.lock().unwrap(), [(Closed, Open)]);
        assert_eq!(breaker.state(), Open);
        assert_eq!(breaker.try_acquire().unwrap_err().retry_after(), Duration::from_secs(1));
    });
}
