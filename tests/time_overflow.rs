//! No overflow anywhere in time handling: huge delays and limits neither panic nor hang.

use std::time::Duration;

use persevere::clock::ManualClock;
use persevere::{Exponential, Fixed, Stop, blocking, future};

#[test]
fn duration_max_delays_with_an_unbounded_elapsed_limit() {
    let clock = ManualClock::new();
    let mut slept = Vec::new();
    let (result, report) =
        blocking::retry(Fixed::new(Duration::MAX).max_retries(3), || Err::<(), _>("down"))
            .max_elapsed(Duration::MAX)
            .clock(clock.clone())
            .sleep(|d| {
                slept.push(d);
                clock.advance(d);
            })
            .call_with_report();
    assert_eq!(result, Err("down"));
    // The first Duration::MAX sleep fits in Duration::MAX; after it, any further sleep would
    // pass the limit, and the sum saturates instead of wrapping.
    assert_eq!(slept, [Duration::MAX]);
    assert_eq!((report.attempts, report.stop, report.slept), (2, Stop::MaxElapsed, Duration::MAX));
}

#[test]
fn duration_max_delays_without_a_limit_saturate_the_total() {
    let (result, report) =
        blocking::retry(Fixed::new(Duration::MAX).max_retries(3), || Err::<(), _>("down"))
            .sleep(|_| {})
            .call_with_report();
    assert_eq!(result, Err("down"));
    assert_eq!((report.attempts, report.slept), (4, Duration::MAX));
}

#[test]
fn huge_adjustments_are_capped_by_the_ceiling() {
    let mut slept = Vec::new();
    let _ = blocking::retry(Exponential::new(Duration::MAX).factor(1e300), || Err::<(), _>("down"))
        .adjust(|_, _| Some(Duration::MAX))
        .sleep(|d| slept.push(d))
        .call();
    assert_eq!(slept, [Duration::from_secs(300); 3]);
}

#[test]
fn on_the_system_clock_any_time_spent_makes_a_max_delay_pass_a_max_limit() {
    let (_, report) = blocking::retry(Fixed::new(Duration::MAX), || Err::<(), _>("down"))
        .max_elapsed(Duration::MAX)
        .sleep(|_| {})
        .call_with_report();
    // Unless the clock did not move between the attempt's start and its failure.
    assert!(report.attempts == 1 || report.slept == Duration::MAX);
}

#[test]
fn the_async_adapter_handles_the_same_extremes() {
    let clock = ManualClock::new();
    let (result, report) = futures::executor::block_on(
        future::retry(Fixed::new(Duration::MAX).max_retries(3), || async { Err::<(), _>("down") })
            .max_elapsed(Duration::MAX)
            .clock(clock.clone())
            .sleep(|d| {
                clock.advance(d);
                std::future::ready(())
            })
            .call_with_report(),
    );
    assert_eq!(result, Err("down"));
    assert_eq!((report.attempts, report.stop, report.slept), (2, Stop::MaxElapsed, Duration::MAX));
}

#[test]
fn the_default_timer_accepts_a_huge_delay() {
    // futures-timer before 3.0.4 overflowed computing the deadline of a huge delay; polling
    // it once must simply be pending.
    use std::future::Future;
    use std::task::{Context, Waker};
    let mut sleep = std::pin::pin!(future::sleep(Duration::MAX));
    assert!(sleep.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
}
