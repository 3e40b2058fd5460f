//! Prometheus metrics for retries, a circuit breaker and a retry budget.
//!
//! Installs `metrics-exporter-prometheus` with its HTTP listener on 127.0.0.1, runs a few
//! retries that fail and recover, trips a breaker and spends from a budget, then scrapes its
//! own `/metrics` page over HTTP and prints persevere's lines.
//!
//! ```text
//! cargo run -p tests-integration --example metrics_prometheus            # print one scrape
//! cargo run -p tests-integration --example metrics_prometheus -- --serve # keep serving for curl
//! ```

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use persevere::breaker::CircuitBreaker;
use persevere::budget::RetryBudget;
use persevere::{Exponential, Fixed, Jitter, blocking};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The exporter does not report the port it bound, so ask the system for a free one.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port();
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    PrometheusBuilder::new()
        .with_http_listener(address)
        // Retry delays run from milliseconds to minutes.
        .set_buckets_for_metric(
            Matcher::Full(persevere::metrics::RETRY_DELAY.into()),
            &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0],
        )?
        .install()?;
    persevere::metrics::describe();

    // An inventory service that answers every third call; retries with jittered backoff.
    let budget = RetryBudget::aws_standard();
    let mut calls = 0;
    for _ in 0..3 {
        let stock = blocking::retry(
            Exponential::new(Duration::from_millis(5)).jitter(Jitter::Full),
            || {
                calls += 1;
                if calls % 3 == 0 { Ok(calls) } else { Err("503 Service Unavailable") }
            },
        )
        .budget(&budget)
        .call();
        println!("inventory answered: {stock:?}");
    }

    // A payment provider that is down: two retries, then a dead letter.
    let paid = blocking::retry(Fixed::new(Duration::from_millis(10)).max_retries(2), || {
        Err::<(), _>("connection refused")
    })
    .budget(&budget)
    .call();
    println!("payment: {paid:?}");

    // A search backend that trips its breaker after three failures in a row.
    let breaker = CircuitBreaker::builder().name("search").consecutive_failures(3).build();
    for _ in 0..4 {
        let _ = breaker.call(|| Err::<(), _>("timeout"));
    }
    println!("search breaker: {}", breaker.state());

    let url = format!("http://{address}/metrics");
    let page = ureq::get(&url).call()?.body_mut().read_to_string()?;
    println!("\nGET {url}");
    for line in page.lines().filter(|l| l.contains("persevere_")) {
        println!("{line}");
    }

    if std::env::args().any(|a| a == "--serve") {
        println!("\nserving {url}; Ctrl-C to stop");
        loop {
            std::thread::park();
        }
    }
    Ok(())
}
