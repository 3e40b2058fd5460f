//! Supervised background tasks: restarts with the schedule's delays, reset after a healthy
//! run, giving up, panics, and stop requests from other threads and tasks.
//!
//! Time is a `ManualClock` the task moves to say how long a run lasted, and the backoff sleep
//! records its delays instead of sleeping; the tests that use the real, interruptible sleep
//! give it an hour-long schedule, which they pass only if a stop cuts it short.

mod common;

use std::cell::RefCell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use common::{capture_logs, persevere_lines};
use log::Level::{Error, Info, Warn};
use persevere::clock::ManualClock;
use persevere::supervise::{
    DEFAULT_HEALTHY_AFTER, DEFAULT_MAX_FAILURES, Outcome, StopSignal, Supervisor, TaskError,
};
use persevere::{Exponential, Fixed};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

const HOUR: Duration = Duration::from_secs(3600);

/// What one run of a scripted task does after running for its time.
#[derive(Clone, Copy, Debug)]
enum End {
    Fail(&'static str),
    Panic(&'static str),
    Ok,
    /// Raises the stop signal itself, as another thread would, then returns this.
    StopThen(Result<(), &'static str>),
}

use End::{Fail, Panic, StopThen};

/// A task's script: run `i` lasts `.0` on the manual clock, then ends as `.1`. Runs past the
/// script fail with "past the script".
type Script<'a> = &'a [(Duration, End)];

/// What a supervision did, for both forms alike.
#[derive(Debug, PartialEq)]
struct Trace {
    outcome: Outcome<TaskError<String>>,
    runs: usize,
    slept: Vec<Duration>,
    lines: Vec<(log::Level, String)>,
}

fn line(level: log::Level, text: &str) -> (log::Level, String) {
    (level, text.to_owned())
}

/// Plays run number `run` (from 0) of `script` on `clock`.
fn play(
    script: Script<'_>,
    run: usize,
    clock: &ManualClock,
    stop: &StopSignal,
) -> Result<(), String> {
    let (lasts, end) =
        script.get(run).copied().unwrap_or((Duration::ZERO, Fail("past the script")));
    clock.advance(lasts);
    match end {
        Fail(e) => Err(e.to_owned()),
        Panic(message) => panic!("{message}"),
        End::Ok => Ok(()),
        StopThen(result) => {
            stop.stop();
            result.map_err(str::to_owned)
        }
    }
}

/// Supervises `script` on this thread with the blocking form.
fn blocking<S>(supervisor: Supervisor<S>, script: Script<'_>) -> Trace
where
    S: IntoIterator<Item = Duration> + Clone,
{
    capture_logs();
    let clock = ManualClock::new();
    let stop = StopSignal::new();
    let slept = RefCell::new(Vec::new());
    let mut runs = 0;
    let outcome = supervisor
        .clock(clock.clone())
        .sleep(|d| {
            slept.borrow_mut().push(d);
            clock.advance(d);
        })
        .run(&stop, |stop| {
            runs += 1;
            play(script, runs - 1, &clock, stop)
        });
    Trace { outcome, runs, slept: slept.into_inner(), lines: persevere_lines(log::Level::Info) }
}

/// Supervises `script` with the async form, on this thread's executor.
fn asynchronous<S>(supervisor: Supervisor<S>, script: Script<'_>) -> Trace
where
    S: IntoIterator<Item = Duration> + Clone,
{
    capture_logs();
    let clock = ManualClock::new();
    let stop = StopSignal::new();
    let slept = RefCell::new(Vec::new());
    let mut runs = 0;
    let supervised = supervisor
        .clock(clock.clone())
        .sleep(|d| {
            slept.borrow_mut().push(d);
            clock.advance(d);
            std::future::ready(())
        })
        .run_async(&stop, async |stop: &StopSignal| {
            runs += 1;
            // A real await before the outcome, so the run spans more than one poll.
            yield_once().await;
            play(script, runs - 1, &clock, stop)
        });
    let outcome = futures::executor::block_on(supervised);
    Trace { outcome, runs, slept: slept.into_inner(), lines: persevere_lines(log::Level::Info) }
}

/// Pending once, then ready.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// Runs `script` through both forms, asserts they agree, and returns the trace.
fn both<S>(supervisor: impl Fn() -> Supervisor<S>, script: Script<'_>) -> Trace
where
    S: IntoIterator<Item = Duration> + Clone,
{
    let blocking = blocking(supervisor(), script);
    let asynchronous = asynchronous(supervisor(), script);
    assert_eq!(blocking, asynchronous, "the blocking and async forms disagree");
    blocking
}

fn failed(error: &str, failures: u32) -> Outcome<TaskError<String>> {
    Outcome::GaveUp { last_error: TaskError::Failed(error.to_owned()), failures }
}

#[test]
fn three_failures_then_a_healthy_run_restart_three_times_with_the_schedules_delays() {
    let trace = both(
        || Supervisor::new(Exponential::new(ms(100))).name("checker"),
        &[
            (ms(5), Fail("connection refused")),
            (ms(5), Fail("connection refused")),
            (ms(5), Fail("timed out")),
            (secs(600), StopThen(Ok(()))),
        ],
    );
    assert_eq!(trace.outcome, Outcome::Stopped);
    assert_eq!(trace.runs, 4);
    assert_eq!(trace.slept, [ms(100), ms(200), ms(400)]);
    assert_eq!(
        trace.lines,
        [
            line(
                Warn,
                "background task 'checker' failed (1/5 in a row): connection refused; restarting in 100ms"
            ),
            line(
                Warn,
                "background task 'checker' failed (2/5 in a row): connection refused; restarting in 200ms"
            ),
            line(
                Warn,
                "background task 'checker' failed (3/5 in a row): timed out; restarting in 400ms"
            ),
            line(Info, "background task 'checker' stopped on request"),
        ]
    );
}

#[test]
fn a_task_that_always_fails_gives_up_after_max_failures_with_the_last_error() {
    let trace = both(
        || Supervisor::new(Fixed::new(secs(2))).max_failures(3),
        &[(ms(1), Fail("first")), (ms(1), Fail("second")), (ms(1), Fail("third"))],
    );
    assert_eq!(trace.outcome, failed("third", 3));
    assert_eq!(trace.runs, 3);
    assert_eq!(trace.slept, [secs(2), secs(2)]);
    assert_eq!(
        trace.lines,
        [
            line(Warn, "background task failed (1/3 in a row): first; restarting in 2s"),
            line(Warn, "background task failed (2/3 in a row): second; restarting in 2s"),
            line(Error, "background task failed 3 times in a row: third; giving up"),
        ]
    );
}

#[test]
fn the_defaults_give_up_after_five_failures_and_reset_after_a_minute() {
    assert_eq!((DEFAULT_MAX_FAILURES, DEFAULT_HEALTHY_AFTER), (5, secs(60)));
    let trace = both(|| Supervisor::new(Fixed::new(secs(1)).forever()), &[]);
    assert_eq!(trace.outcome, failed("past the script", 5));
    assert_eq!((trace.runs, trace.slept.len()), (5, 4));

    // Runs of 59.999 s are not healthy; a run of exactly 60 s is.
    let almost = ms(59_999);
    let trace = both(
        || Supervisor::new(Exponential::new(secs(1)).forever()),
        &[(almost, Fail("a")), (almost, Fail("b")), (secs(60), Fail("c")), (almost, Fail("d"))],
    );
    assert_eq!(trace.slept[..4], [secs(1), secs(2), secs(1), secs(2)]);
}

#[test]
fn a_healthy_run_resets_the_backoff_and_the_failure_count() {
    let trace = both(
        || {
            Supervisor::new(Exponential::new(secs(1)).forever())
                .max_failures(3)
                .healthy_after(secs(30))
        },
        &[
            (secs(1), Fail("a")),
            (secs(1), Fail("b")),
            (secs(30), Fail("c")), // healthy for 30 s: counts as the first failure again
            (secs(29), Fail("d")),
            (secs(1), Fail("e")),
        ],
    );
    assert_eq!(trace.slept, [secs(1), secs(2), secs(1), secs(2)]);
    assert_eq!(trace.outcome, failed("e", 3));
    assert_eq!(trace.runs, 5);
    assert_eq!(
        trace.lines[2..4],
        [
            line(Info, "background task ran healthy for 30s; backoff reset"),
            line(Warn, "background task failed (1/3 in a row): c; restarting in 1s"),
        ]
    );
}

#[test]
fn a_panicking_task_is_restarted_and_counted_as_a_failure() {
    let trace = both(
        || Supervisor::new(Exponential::new(ms(10))).name("panicky"),
        &[
            (ms(1), Panic("index out of bounds")),
            (ms(1), Fail("refused")),
            (ms(1), StopThen(Ok(()))),
        ],
    );
    assert_eq!(trace.outcome, Outcome::Stopped);
    assert_eq!((trace.runs, &trace.slept[..]), (3, &[ms(10), ms(20)][..]));
    assert_eq!(
        trace.lines[..2],
        [
            line(
                Warn,
                "background task 'panicky' failed (1/5 in a row): panicked: index out of bounds; restarting in 10ms"
            ),
            line(
                Warn,
                "background task 'panicky' failed (2/5 in a row): refused; restarting in 20ms"
            ),
        ]
    );

    // Panics alone exhaust the failures too, and the outcome carries the panic message.
    let trace = both(
        || Supervisor::new(Fixed::new(ms(1))).max_failures(2),
        &[(ms(1), Panic("boom")), (ms(1), Panic("boom again"))],
    );
    assert_eq!(
        trace.outcome,
        Outcome::GaveUp { last_error: TaskError::Panicked("boom again".to_owned()), failures: 2 }
    );
    assert_eq!(
        trace.lines.last(),
        Some(&line(
            Error,
            "background task failed 2 times in a row: panicked: boom again; giving up"
        ))
    );
}

#[test]
fn a_single_failure_reads_once() {
    let trace =
        both(|| Supervisor::new(Fixed::new(ms(1))).max_failures(1), &[(ms(1), Fail("gone"))]);
    assert_eq!(
        trace.lines.last(),
        Some(&line(Error, "background task failed once in a row: gone; giving up"))
    );
}

#[test]
fn a_panic_with_a_payload_other_than_a_string_still_counts() {
    let mut runs = 0;
    let outcome =
        Supervisor::new(Fixed::new(Duration::ZERO)).max_failures(1).run(&StopSignal::new(), |_| {
            runs += 1;
            panic::panic_any(42_u32);
            #[allow(unreachable_code)]
            Ok::<(), String>(())
        });
    assert_eq!(runs, 1);
    assert_eq!(
        outcome,
        Outcome::GaveUp {
            last_error: TaskError::Panicked("a panic without a message".to_owned()),
            failures: 1
        }
    );
}

#[test]
fn once_the_schedule_runs_out_its_last_delay_repeats() {
    // Three delays by default; the supervisor keeps the last one until it gives up.
    let trace = both(|| Supervisor::new(Exponential::new(secs(1))).max_failures(6), &[]);
    assert_eq!(trace.slept, [1, 2, 4, 4, 4].map(secs));
    assert_eq!(trace.outcome, failed("past the script", 6));

    // An empty schedule restarts at once.
    let trace = both(|| Supervisor::new(Vec::<Duration>::new()).max_failures(3), &[]);
    assert_eq!(trace.slept, [Duration::ZERO; 2]);
}

#[test]
fn a_task_that_returns_ok_finishes_supervision() {
    let trace = both(
        || Supervisor::new(Fixed::new(secs(1))),
        &[(ms(1), Fail("warming up")), (secs(5), End::Ok)],
    );
    assert_eq!(
        (trace.outcome, trace.runs, &trace.slept[..]),
        (Outcome::Finished, 2, &[secs(1)][..])
    );
    assert_eq!(trace.lines.last(), Some(&line(Info, "background task finished")));
}

#[test]
fn a_failure_after_a_stop_request_is_not_restarted_or_counted() {
    let trace = both(
        || Supervisor::new(Fixed::new(secs(1))).max_failures(1),
        &[(ms(1), StopThen(Err("interrupted")))],
    );
    assert_eq!((trace.outcome, trace.runs, trace.slept.len()), (Outcome::Stopped, 1, 0));
    assert_eq!(trace.lines, [line(Info, "background task stopped on request")]);
}

#[test]
fn a_stop_requested_before_the_start_runs_nothing() {
    let stop = StopSignal::new();
    stop.stop();
    let mut runs = 0;
    let outcome = Supervisor::new(Fixed::new(secs(1))).run(&stop, |_| {
        runs += 1;
        Err::<(), _>("unreachable")
    });
    assert_eq!((outcome, runs), (Outcome::Stopped, 0));

    let outcome = futures::executor::block_on(Supervisor::new(Fixed::new(secs(1))).run_async(
        &stop,
        async |_: &StopSignal| {
            runs += 1;
            Err::<(), _>("unreachable")
        },
    ));
    assert_eq!((outcome, runs), (Outcome::Stopped, 0));
}

#[test]
fn a_stop_during_the_blocking_sleep_wakes_it_at_once() {
    // The sleep is the default one (a wait on the stop signal) behind a wrapper that says when
    // it starts, so the stop is known to land while the supervisor waits its hour.
    let stop = StopSignal::new();
    let (sleeping, started) = mpsc::channel();
    let supervisor = {
        let stop = stop.clone();
        thread::spawn(move || {
            let signal = stop.clone();
            Supervisor::new(Fixed::new(HOUR))
                .sleep(move |d| {
                    sleeping.send(d).unwrap();
                    signal.wait_timeout(d);
                })
                .run(&stop, |_| Err::<(), _>("down"))
        })
    };
    assert_eq!(started.recv().unwrap(), HOUR);
    stop.stop();
    assert_eq!(supervisor.join().unwrap(), Outcome::Stopped);
}

#[test]
fn a_spawned_supervisor_stops_from_another_thread_during_an_hour_of_backoff() {
    let (ran, runs) = mpsc::channel();
    let handle = Supervisor::new(Exponential::new(HOUR))
        .spawn(move |_| {
            ran.send(()).unwrap();
            Err::<(), _>("unreachable service")
        })
        .unwrap();
    runs.recv().unwrap(); // failed once: the supervisor is about to wait an hour, or waiting
    let stopper = {
        let stop = handle.stop_signal().clone();
        thread::spawn(move || stop.stop())
    };
    stopper.join().unwrap();
    assert_eq!(handle.join(), Outcome::Stopped);
    assert_eq!(runs.try_iter().count(), 0, "no second run after the stop");
}

#[test]
fn a_long_run_observes_the_stop_and_ends() {
    let (started, running) = mpsc::channel();
    let handle = Supervisor::new(Fixed::new(secs(1)))
        .name("long-runner")
        .spawn(move |stop| {
            started.send(thread::current().name().map(str::to_owned)).unwrap();
            // Work in hour-long naps; the stop request cuts the nap short.
            while !stop.wait_timeout(HOUR) {}
            Ok::<(), String>(())
        })
        .unwrap();
    assert_eq!(running.recv().unwrap().as_deref(), Some("long-runner"));
    assert!(!handle.is_finished());
    handle.stop();
    assert_eq!(handle.join(), Outcome::Stopped);
}

#[test]
fn a_spawned_supervisor_reports_giving_up_through_join() {
    let slept = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = slept.clone();
    let handle = Supervisor::new(Exponential::new(secs(1)).forever())
        .max_failures(4)
        .clock(ManualClock::new())
        .sleep(move |d| record.lock().unwrap().push(d))
        .spawn(|_| Err::<(), _>(std::io::Error::other("disk full")))
        .unwrap();
    let Outcome::GaveUp { last_error, failures } = handle.join() else { panic!("did not give up") };
    assert_eq!(failures, 4);
    assert_eq!(*slept.lock().unwrap(), [1, 2, 4].map(secs));
    assert_eq!(last_error.to_string(), "disk full");
    let TaskError::Failed(io) = &last_error else { panic!("not the task's error") };
    assert_eq!(io.kind(), std::io::ErrorKind::Other);
    assert!(std::error::Error::source(&last_error).is_some());
}

#[test]
fn join_passes_on_a_panic_of_the_supervisor_itself() {
    let handle = Supervisor::new(Fixed::new(secs(1)))
        .sleep(|_| panic!("the sleeper broke"))
        .spawn(|_| Err::<(), _>("down"))
        .unwrap();
    let payload = panic::catch_unwind(AssertUnwindSafe(|| handle.join())).unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"the sleeper broke"));
}

#[test]
fn a_name_that_cannot_name_a_thread_leaves_it_unnamed() {
    let handle = Supervisor::new(Fixed::new(secs(1)))
        .name("bad\0name")
        .spawn(|_| if thread::current().name().is_none() { Ok(()) } else { Err("named") })
        .unwrap();
    assert_eq!(handle.join(), Outcome::Finished);
}

#[test]
fn healthy_after_zero_makes_every_failure_the_first() {
    let trace = both(
        || Supervisor::new(Exponential::new(secs(1))).healthy_after(Duration::ZERO),
        &[
            (ms(1), Fail("a")),
            (ms(1), Fail("b")),
            (ms(1), Fail("c")),
            (ms(1), Fail("d")),
            (ms(1), Fail("e")),
            (ms(1), StopThen(Ok(()))),
        ],
    );
    assert_eq!((trace.outcome, trace.slept), (Outcome::Stopped, vec![secs(1); 5]));
}

#[test]
#[should_panic(expected = "max_failures must be at least 1, got 0")]
fn zero_max_failures_is_refused() {
    let _ = Supervisor::new(Fixed::new(secs(1))).max_failures(0);
}

mod asynchronous {
    use super::*;

    #[test]
    fn a_stop_from_another_task_ends_an_hour_of_backoff() {
        capture_logs();
        let stop = StopSignal::new();
        let (ran, mut runs) = futures::channel::mpsc::unbounded();
        // The default sleep: a futures-timer delay of an hour, raced against the stop.
        let supervised = Supervisor::new(Fixed::new(HOUR)).name("async").run_async(
            &stop,
            async move |_: &StopSignal| {
                ran.unbounded_send(()).unwrap();
                Err::<(), _>("gateway timeout")
            },
        );
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let outcome = runtime.block_on(async {
            // Spawned, so the supervisor is a separate task (and must be Send).
            let supervisor = tokio::spawn(supervised);
            futures::StreamExt::next(&mut runs).await.unwrap();
            // On this single-threaded runtime the supervisor ran until it awaited its hour.
            stop.stop();
            supervisor.await.unwrap()
        });
        assert_eq!(outcome, Outcome::Stopped);
        assert_eq!(
            persevere_lines(log::Level::Info),
            [
                line(
                    Warn,
                    "background task 'async' failed (1/5 in a row): gateway timeout; restarting in 3600s"
                ),
                line(Info, "background task 'async' stopped on request"),
            ]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_running_task_awaits_the_stop_on_a_multi_threaded_runtime() {
        let stop = StopSignal::new();
        let (started, mut running) = futures::channel::mpsc::unbounded();
        let supervisor = tokio::spawn(Supervisor::new(Fixed::new(HOUR)).run_async(
            &stop,
            async move |stop: &StopSignal| {
                started.unbounded_send(()).unwrap();
                stop.stopped().await;
                Ok::<(), String>(())
            },
        ));
        futures::StreamExt::next(&mut running).await.unwrap();
        let stopper = stop.clone();
        tokio::spawn(async move { stopper.stop() }).await.unwrap();
        assert_eq!(supervisor.await.unwrap(), Outcome::Stopped);
    }

    #[test]
    fn a_custom_sleep_is_cut_short_by_a_stop_too() {
        let stop = StopSignal::new();
        let mut supervised = pin!(
            Supervisor::new(Fixed::new(HOUR))
                .sleep(|_| std::future::pending::<()>())
                .run_async(&stop, async |_: &StopSignal| Err::<(), _>("down"))
        );
        let wakes = Arc::new(CountWakes::default());
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(supervised.as_mut().poll(&mut cx).is_pending());
        stop.stop();
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "the stop woke the supervisor");
        assert_eq!(supervised.as_mut().poll(&mut cx), Poll::Ready(Outcome::Stopped));
    }
}

mod stop_signal {
    use super::*;

    #[test]
    fn wait_timeout_without_a_stop_waits_the_timeout_and_reports_no_stop() {
        let stop = StopSignal::new();
        assert!(!stop.wait_timeout(ms(1)));
        assert!(!stop.wait_timeout(Duration::ZERO));
        assert!(!stop.is_stopped());
    }

    #[test]
    fn an_unbounded_wait_ends_on_a_stop_from_another_thread() {
        let stop = StopSignal::new();
        let waiter = {
            let stop = stop.clone();
            thread::spawn(move || stop.wait_timeout(Duration::MAX))
        };
        stop.stop();
        stop.stop(); // twice is harmless
        assert!(waiter.join().unwrap());
    }

    #[test]
    fn stopped_wakes_each_pending_waiter_once_and_forgets_dropped_ones() {
        let stop = StopSignal::new();
        let (first, second, dropped) = (
            Arc::new(CountWakes::default()),
            Arc::new(CountWakes::default()),
            Arc::new(CountWakes::default()),
        );
        let mut a = Box::pin(stop.stopped());
        let mut b = Box::pin(stop.stopped());
        let mut c = Box::pin(stop.stopped());
        for (future, wakes) in [(&mut a, &first), (&mut b, &second), (&mut c, &dropped)] {
            let waker = Waker::from(wakes.clone());
            assert!(future.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
            // Polled again with the same waker: still registered once.
            assert!(future.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        }
        drop(c);
        // A new waiter reuses the dropped one's slot without disturbing the others.
        let late = Arc::new(CountWakes::default());
        let mut d = Box::pin(stop.stopped());
        assert!(d.as_mut().poll(&mut Context::from_waker(&Waker::from(late.clone()))).is_pending());
        stop.stop();
        let counts = [&first, &second, &dropped, &late].map(|w| w.0.load(Ordering::SeqCst));
        assert_eq!(counts, [1, 1, 0, 1]);
        let noop = Waker::noop();
        for future in [&mut a, &mut b, &mut d] {
            assert!(future.as_mut().poll(&mut Context::from_waker(noop)).is_ready());
        }
        // Once raised, a new future is ready at once.
        assert!(pin!(stop.stopped()).poll(&mut Context::from_waker(noop)).is_ready());
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountWakes(AtomicUsize);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
