//! The `metrics_prometheus` example's setup, checked end to end: persevere's metrics read
//! over HTTP from a real Prometheus exporter. It lives here rather than beside
//! `tests/metrics.rs` at the root because the exporter and an HTTP client are heavy
//! dependencies a first build of persevere should not pay for.

use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use persevere::breaker::CircuitBreaker;
use persevere::metrics::RETRY_DELAY;
use persevere::{Exponential, Fixed, blocking};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Fails `failures` times with "busy", then succeeds with the attempt count.
fn flaky(failures: u32) -> impl FnMut() -> Result<u32, &'static str> {
    let mut calls = 0;
    move || {
        calls += 1;
        if calls > failures { Ok(calls) } else { Err("busy") }
    }
}

/// A Prometheus exporter listening on 127.0.0.1 serves what the retries reported.
#[test]
fn prometheus_exporter_serves_the_metrics_over_http() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    // The exporter cannot say which port it bound, so take a free one from the system.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let (recorder, exporter) = {
        let _entered = runtime.enter();
        PrometheusBuilder::new()
            .with_http_listener(([127, 0, 0, 1], port))
            .set_buckets_for_metric(Matcher::Full(RETRY_DELAY.into()), &[0.05, 0.1, 0.25])
            .expect("valid buckets")
            .build()
            .expect("the exporter binds its port")
    };
    runtime.spawn(exporter);

    metrics::with_local_recorder(&recorder, || {
        persevere::metrics::describe();
        let ok = blocking::retry(Exponential::new(ms(100)), flaky(2)).sleep(|_| {}).call();
        assert_eq!(ok, Ok(3));
        let err = blocking::retry(Fixed::new(ms(50)).max_retries(1), flaky(u32::MAX))
            .name("export_job")
            .sleep(|_| {})
            .call();
        assert_eq!(err, Err("busy"));
        let breaker = CircuitBreaker::builder().name("db").consecutive_failures(1).build();
        assert!(breaker.call(|| Err::<(), _>("down")).is_err());
    });

    let body = ureq::get(&format!("http://127.0.0.1:{port}/metrics"))
        .call()
        .expect("the exporter answers")
        .body_mut()
        .read_to_string()
        .expect("a text body");
    let lines: Vec<&str> = body.lines().filter(|l| l.starts_with("persevere_")).collect();
    for expected in [
        r#"persevere_attempts_total{outcome="success",operation=""} 1"#,
        r#"persevere_attempts_total{outcome="retry",operation=""} 2"#,
        r#"persevere_attempts_total{outcome="retry",operation="export_job"} 1"#,
        r#"persevere_attempts_total{outcome="gave_up",operation="export_job"} 1"#,
        r#"persevere_gave_up_total{reason="schedule_exhausted",operation="export_job"} 1"#,
        r#"persevere_retry_delay_seconds_bucket{operation="",le="0.05"} 0"#,
        r#"persevere_retry_delay_seconds_bucket{operation="",le="0.1"} 1"#,
        r#"persevere_retry_delay_seconds_bucket{operation="",le="0.25"} 2"#,
        r#"persevere_retry_delay_seconds_bucket{operation="",le="+Inf"} 2"#,
        r#"persevere_retry_delay_seconds_count{operation=""} 2"#,
        r#"persevere_retry_delay_seconds_bucket{operation="export_job",le="0.05"} 1"#,
        r#"persevere_retry_delay_seconds_count{operation="export_job"} 1"#,
        r#"persevere_breaker_state{breaker="db"} 2"#,
        r#"persevere_breaker_transitions_total{breaker="db",from="closed",to="open"} 1"#,
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in:\n{}", lines.join("\n"));
    }
    let sum = lines
        .iter()
        .find_map(|l| l.strip_prefix(r#"persevere_retry_delay_seconds_sum{operation=""} "#))
        .and_then(|v| v.parse::<f64>().ok());
    assert!(sum.is_some_and(|s| (s - 0.3).abs() < 1e-9), "sum {sum:?} in:\n{body}");
    assert!(body.contains("# HELP persevere_attempts_total Attempts made by retries, by outcome."));
}
