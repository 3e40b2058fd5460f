//! The same scripted failures through both adapters give the same attempts, delays, hook
//! calls, log lines and result: they share one decision core.

mod common;

use std::cell::RefCell;
use std::time::Duration;

use common::{Script, capture_logs, persevere_lines};
use persevere::clock::ManualClock;
use persevere::{Exponential, Report, Stop, blocking, future};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A failure scenario: the script, and the settings both adapters get.
#[derive(Clone)]
struct Scenario {
    outcomes: Vec<Result<u32, &'static str>>,
    retry_only: Option<&'static str>,
    hint: Option<Duration>,
    max_elapsed: Option<Duration>,
}

/// Everything an observer can see of one run.
#[derive(Debug, PartialEq)]
struct Observed {
    result: Result<u32, String>,
    report: Report,
    calls: usize,
    attempt_numbers: Vec<u32>,
    slept: Vec<Duration>,
    notified: Vec<(String, Duration)>,
    gave_up: Vec<(String, u32)>,
    logs: Vec<(log::Level, String)>,
}

fn schedule() -> Exponential {
    Exponential::new(ms(100)).max_retries(4)
}

fn observe(s: &Scenario, run: impl FnOnce(&Recorder) -> (Result<u32, String>, Report)) -> Observed {
    capture_logs();
    let rec = Recorder::default();
    let (result, report) = run(&rec);
    Observed {
        result,
        report,
        calls: rec.script_calls(s),
        attempt_numbers: rec.numbers.take(),
        slept: rec.slept.take(),
        notified: rec.notified.take(),
        gave_up: rec.gave_up.take(),
        logs: persevere_lines(log::Level::Trace),
    }
}

#[derive(Default)]
struct Recorder {
    script: RefCell<Option<Script>>,
    numbers: RefCell<Vec<u32>>,
    slept: RefCell<Vec<Duration>>,
    notified: RefCell<Vec<(String, Duration)>>,
    gave_up: RefCell<Vec<(String, u32)>>,
    clock: ManualClock,
}

impl Recorder {
    fn attempt(&self, s: &Scenario, number: u32) -> Result<u32, String> {
        self.numbers.borrow_mut().push(number);
        // Every attempt takes 10 ms of (manual) time, so max_elapsed sees attempts too.
        self.clock.advance(ms(10));
        self.script.borrow_mut().get_or_insert_with(|| Script::new(&s.outcomes)).next()
    }

    fn script_calls(&self, _: &Scenario) -> usize {
        self.script.borrow().as_ref().map_or(0, |s| s.calls)
    }

    fn sleep(&self, d: Duration) {
        self.slept.borrow_mut().push(d);
        self.clock.advance(d);
    }
}

fn via_blocking(s: &Scenario) -> Observed {
    observe(s, |rec| {
        blocking::retry_with(schedule(), |a| rec.attempt(s, a.number))
            .when(|e: &String| s.retry_only.is_none_or(|only| e == only))
            .adjust(|_, _| s.hint)
            .adjust_ceiling(ms(250))
            .max_elapsed(s.max_elapsed.unwrap_or(Duration::MAX))
            .notify(|e, d| rec.notified.borrow_mut().push((e.clone(), d)))
            .on_give_up(|e, report| rec.gave_up.borrow_mut().push((e.clone(), report.attempts)))
            .clock(rec.clock.clone())
            .sleep(|d| rec.sleep(d))
            .call_with_report()
    })
}

fn via_future(s: &Scenario) -> Observed {
    observe(s, |rec| {
        let retry = future::retry_with(schedule(), async |a| rec.attempt(s, a.number))
            .when(|e: &String| s.retry_only.is_none_or(|only| e == only))
            .adjust(|_, _| s.hint)
            .adjust_ceiling(ms(250))
            .max_elapsed(s.max_elapsed.unwrap_or(Duration::MAX))
            .notify(|e, d| rec.notified.borrow_mut().push((e.clone(), d)))
            .on_give_up(|e, report| rec.gave_up.borrow_mut().push((e.clone(), report.attempts)))
            .clock(rec.clock.clone())
            .sleep(|d| {
                rec.sleep(d);
                std::future::ready(())
            });
        futures::executor::block_on(retry.call_with_report())
    })
}

fn scenario(outcomes: &[Result<u32, &'static str>]) -> Scenario {
    Scenario { outcomes: outcomes.to_vec(), retry_only: None, hint: None, max_elapsed: None }
}

fn both(s: &Scenario) -> Observed {
    let blocking = via_blocking(s);
    let future = via_future(s);
    assert_eq!(blocking, future, "the adapters disagree");
    blocking
}

#[test]
fn success_after_two_failures() {
    let seen = both(&scenario(&[Err("reset"), Err("timeout"), Ok(7)]));
    assert_eq!(seen.result, Ok(7));
    assert_eq!(seen.calls, 3);
    assert_eq!(seen.attempt_numbers, [1, 2, 3]);
    assert_eq!(seen.slept, [ms(100), ms(200)]);
    assert_eq!(seen.notified, [("reset".into(), ms(100)), ("timeout".into(), ms(200))]);
    assert!(seen.gave_up.is_empty());
    assert_eq!(seen.report.stop, Stop::Succeeded);
    assert_eq!((seen.report.attempts, seen.report.slept), (3, ms(300)));
    assert_eq!(
        seen.logs,
        [
            (log::Level::Warn, "attempt 1/5 failed: reset; retrying in 100ms".to_string()),
            (log::Level::Warn, "attempt 2/5 failed: timeout; retrying in 200ms".to_string()),
            (log::Level::Info, "attempt 3/5 succeeded after 300ms of backoff".to_string()),
        ]
    );
}

#[test]
fn schedule_exhausted() {
    let seen = both(&scenario(&[]));
    assert_eq!(seen.result, Err("past the script".into()));
    assert_eq!(seen.calls, 5);
    assert_eq!(seen.slept, [ms(100), ms(200), ms(400), ms(800)]);
    assert_eq!(seen.gave_up, [("past the script".into(), 5)]);
    assert_eq!(seen.report.stop, Stop::ScheduleExhausted);
    assert_eq!(
        seen.logs.last().unwrap(),
        &(
            log::Level::Error,
            "attempt 5/5 failed: past the script; giving up: no retries left".to_string()
        )
    );
}

#[test]
fn error_that_when_refuses() {
    let mut s = scenario(&[Err("reset"), Err("forbidden"), Ok(1)]);
    s.retry_only = Some("reset");
    let seen = both(&s);
    assert_eq!(seen.result, Err("forbidden".into()));
    assert_eq!(seen.calls, 2);
    assert_eq!(seen.slept, [ms(100)]);
    assert_eq!(seen.report.stop, Stop::NotRetryable);
    assert_eq!(seen.gave_up, [("forbidden".into(), 2)]);
    assert_eq!(
        seen.logs.last().unwrap(),
        &(
            log::Level::Debug,
            "attempt 2/5 failed: forbidden; not retrying: the error is not retryable".to_string()
        )
    );
}

#[test]
fn adjusted_delays_are_capped_and_reported_as_slept() {
    let mut s = scenario(&[Err("busy"), Err("busy"), Ok(3)]);
    s.hint = Some(Duration::from_secs(3600));
    let seen = both(&s);
    // The hint replaces the schedule's delay, capped by the 250 ms ceiling, and every
    // observer (sleeper, notify, log) sees the same capped value.
    assert_eq!(seen.slept, [ms(250), ms(250)]);
    assert_eq!(seen.notified, [("busy".into(), ms(250)), ("busy".into(), ms(250))]);
    assert_eq!(seen.logs[0].1, "attempt 1/5 failed: busy; retrying in 250ms");
    assert_eq!(seen.result, Ok(3));
}

#[test]
fn max_elapsed_stops_before_the_delay_that_would_pass_it() {
    let mut s = scenario(&[]);
    // Attempts take 10 ms: 10 + 100 + 10 + 200 + 10 = 330 ms, and 330 + 400 > 500.
    s.max_elapsed = Some(ms(500));
    let seen = both(&s);
    assert_eq!(seen.calls, 3);
    assert_eq!(seen.slept, [ms(100), ms(200)]);
    assert_eq!(seen.report.stop, Stop::MaxElapsed);
    assert_eq!(
        seen.logs.last().unwrap().1,
        "attempt 3/5 failed: past the script; giving up: the next delay would pass max_elapsed"
    );
}
