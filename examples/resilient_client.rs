//! User story: retries, a circuit breaker and a retry budget together in front of a flaky
//! service, so that an outage is met with fast failures instead of a retry storm.
//!
//! 200 requests arrive a millisecond apart; the service is down for requests 50 to 149.
//! Run it with `cargo run --example resilient_client`.

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use persevere::breaker::{BreakerError, CircuitBreaker};
use persevere::budget::RetryBudget;
use persevere::{Fixed, Policy, Stop};

#[derive(Debug)]
struct Unavailable;

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("503 service unavailable")
    }
}

fn main() {
    // Only errors: the point is to see how little noise an outage makes.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("persevere=error"))
        .init();

    let request = Cell::new(0);
    let service_calls = Cell::new(0);
    let service = || {
        service_calls.set(service_calls.get() + 1);
        if (50..150).contains(&request.get()) { Err(Unavailable) } else { Ok("200 ok") }
    };

    let breaker = CircuitBreaker::builder()
        .consecutive_failures(5)
        .break_duration(Duration::from_millis(20))
        .build();
    let budget = RetryBudget::aws_standard();
    let policy = Policy::new(Fixed::new(Duration::from_millis(1)).max_retries(3))
        // Retry what the service said; a breaker rejection fails fast instead.
        .when(|e: &BreakerError<Unavailable>| matches!(e, BreakerError::Inner(_)))
        .budget(&budget);

    let (mut ok, mut rejected, mut gave_up, mut budget_stops) = (0, 0, 0, 0);
    for i in 0..200 {
        request.set(i);
        std::thread::sleep(Duration::from_millis(1)); // requests arrive a millisecond apart
        let (result, report) = policy.retry(|| breaker.call(service)).call_with_report();
        match (result, report.stop) {
            (Ok(_), _) => ok += 1,
            (Err(BreakerError::Rejected(_)), _) => rejected += 1,
            (Err(_), Stop::BudgetExhausted) => budget_stops += 1,
            (Err(_), _) => gave_up += 1,
        }
        if i % 50 == 49 {
            println!(
                "after {:>3} requests: {:>3} service calls, breaker {:?}, budget {:>5.1} tokens",
                i + 1,
                service_calls.get(),
                breaker.state(),
                budget.available()
            );
        }
    }
    println!(
        "\n{ok} succeeded, {rejected} refused by the open breaker, {gave_up} gave up, {budget_stops} stopped by the budget"
    );
    println!("{} calls reached the service for 200 requests", service_calls.get());
    println!("(without breaker and budget, the outage alone would have cost 400 calls)");
}
