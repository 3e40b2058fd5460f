//! A tour of persevere: a schedule, a blocking retry and an async retry, with log lines.
//!
//! Run it with `cargo run --example tour`. It takes about a second.

use std::cell::Cell;
use std::fmt;
use std::io::Write;
use std::time::{Duration, Instant};

use persevere::{Exponential, Fibonacci, Fixed, Jitter, Policy, blocking, future};

/// An operation that fails a set number of times before it succeeds, like a service that
/// is restarting.
struct Flaky {
    failures_left: Cell<u32>,
    calls: Cell<u32>,
}

#[derive(Debug)]
enum ServiceError {
    Unavailable,
    BadRequest,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServiceError::Unavailable => "503 service unavailable",
            ServiceError::BadRequest => "400 bad request",
        })
    }
}

impl Flaky {
    fn new(failures: u32) -> Self {
        Flaky { failures_left: Cell::new(failures), calls: Cell::new(0) }
    }

    fn call(&self) -> Result<&'static str, ServiceError> {
        self.calls.set(self.calls.get() + 1);
        match self.failures_left.get() {
            0 => Ok("200 ok"),
            n => {
                self.failures_left.set(n - 1);
                Err(ServiceError::Unavailable)
            }
        }
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn main() {
    // persevere logs through the `log` facade under the target "persevere". Each line shows
    // the time since the start rather than the wall clock: the gaps between lines are then
    // the delays, and env_logger needs no date library for it.
    let start = Instant::now();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("persevere=info"))
        .format(move |buf, record| {
            let style = buf.default_level_style(record.level());
            let elapsed = start.elapsed().as_millis();
            let (level, target, args) = (record.level(), record.target(), record.args());
            writeln!(buf, "[{elapsed:>5} ms {style}{level:<5}{style:#} {target}] {args}")
        })
        .init();

    println!("1. A schedule is a plain iterator of delays");
    let schedule = Exponential::new(ms(100)).max_delay(ms(1000)).max_retries(6);
    println!("   {schedule}");
    println!("   yields {:?}", schedule.clone().collect::<Vec<_>>());
    println!("   worst case in total: {:?}", schedule.worst_case_total());
    let jittered = Exponential::new(ms(100)).max_retries(6).jitter(Jitter::Full).seed(7);
    println!("   with full jitter: {:?}", jittered.collect::<Vec<_>>());
    let from_config: Fibonacci = "fibonacci(initial=50ms, max_retries=5)".parse().expect("valid");
    println!("   read from a config string: {:?}", from_config.collect::<Vec<_>>());

    println!("\n2. A blocking retry: two failures, then success");
    let service = Flaky::new(2);
    let started = Instant::now();
    let (result, report) =
        blocking::retry(Exponential::new(ms(50)).jitter(Jitter::Equal), || service.call())
            .when(|e| matches!(e, ServiceError::Unavailable))
            .call_with_report();
    println!(
        "   -> {result:?} after {} attempt{} and {:?} of backoff ({:?} wall time)",
        report.attempts,
        if report.attempts == 1 { "" } else { "s" },
        report.slept,
        started.elapsed()
    );

    println!(
        "\n3. An async retry, on any executor (here futures' block_on, with futures-timer sleeps)"
    );
    let service = Flaky::new(1);
    let result = futures::executor::block_on(
        future::retry(Fibonacci::new(ms(80)), || async { service.call() })
            .notify(|e, delay| println!("   notify: {e}, next try in {delay:?}"))
            .call(),
    );
    println!("   -> {result:?}");

    println!("\n4. A policy defined once, applied at many call sites, with a dead-letter hook");
    let api = Policy::new(Fixed::new(ms(40)).max_retries(2))
        .when(|e: &ServiceError| matches!(e, ServiceError::Unavailable))
        // The dead-letter hook runs whenever a call gives up with an error, retried or not;
        // the report says why, so a 400 (never retryable) is told from an outage.
        .on_give_up(|e, report| {
            let (n, why) = (report.attempts, report.stop);
            println!(
                "   dead letter: {e} after {n} attempt{} ({why})",
                if n == 1 { "" } else { "s" }
            )
        });
    let down = Flaky::new(u32::MAX);
    let _ = api.retry(|| down.call()).call();
    let rejected = || Err::<(), _>(ServiceError::BadRequest);
    let result = api.retry(rejected).call();
    println!("   a bad request is not retried: {result:?}");
    println!("\nDone: {} calls to the always-down service.", down.calls.get());
}
