//! User story: a reqwest client that retries a flaky API through reqwest-middleware, side by
//! side with what the same client looks like with the `reqwest-retry` crate.
//!
//! A local server plays the API: its first answer is 503, its second 429 with
//! `Retry-After: 1`, and then it serves. A `POST` without an `Idempotency-Key` is then sent
//! once, and one with the header is retried.
//!
//! Run it with `cargo run -p tests-integration --example reqwest_middleware`; it takes a
//! little over a second. persevere's log lines are shown at `info` (set `RUST_LOG` to change
//! that).
//!
//! # The same client with reqwest-retry, in prose
//!
//! With `reqwest-retry` one builds an exponential backoff policy from its builder with a
//! maximum number of retries, wraps it in its transient-retry middleware, and hands that to
//! `reqwest_middleware::ClientBuilder::with`, exactly where `RetryMiddleware` goes below.
//! Custom classification there means implementing its retryable-strategy trait, which
//! sees the `Result<Response, Error>` of an attempt; here it is a `when` closure on the
//! [`Failure`] of an attempt, which also knows the request's method and URL. Its final error
//! carries the number of retries in its own error type; here [`RetryError::of`] finds the
//! attempts and the full `Report`, and a successful response carries [`Attempts`].
//!
//! What persevere adds on top of a plain backoff middleware, each shown below or in
//! `tests/reqwest_middleware.rs`:
//!
//! * only idempotent methods are retried unless the request has an `Idempotency-Key`;
//! * a body that cannot be cloned (a stream) is sent once instead of failing;
//! * `Retry-After` (seconds or HTTP date) and `x-amz-retry-after` set the next delay, capped;
//! * a shared retry budget, a circuit breaker, an attempt timeout and an overall deadline,
//!   all timed by the middleware's own sleep, with no runtime dependency.

use std::time::{Duration, Instant};

use persevere::budget::RetryBudget;
use persevere::integrations::reqwest::{Attempts, Failure, RetryError, RetryMiddleware};
use persevere::{Exponential, Jitter, Policy};

/// Serves `script` in order (then 200s) on 127.0.0.1 until the process ends; returns the URL.
fn start_server(script: &'static [(u16, Option<&'static str>)]) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let url = format!("http://{}/rates", server.server_addr().to_ip().expect("an IP listener"));
    std::thread::spawn(move || {
        for (served, request) in server.incoming_requests().enumerate() {
            let (status, retry_after) = script.get(served).copied().unwrap_or((200, None));
            let mut response =
                tiny_http::Response::from_string("{\"eur\":1.08}").with_status_code(status);
            if let Some(seconds) = retry_after {
                response.add_header(
                    tiny_http::Header::from_bytes("Retry-After", seconds).expect("a header"),
                );
            }
            let _ = request.respond(response);
        }
    });
    url
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    // GET: 503, 429, 200; POST without a key: 503; POST with one: 503, 200.
    let url = start_server(&[(503, None), (429, Some("1")), (200, None), (503, None), (503, None)]);

    // persevere: a Policy of `Failure`s (the preset for HTTP, with the middleware's own
    // classification), then the middleware's settings.
    let budget = RetryBudget::aws_standard();
    let retry =
        RetryMiddleware::new(Policy::http().when(Failure::verdict).schedule(
            Exponential::new(Duration::from_millis(50)).max_retries(4).jitter(Jitter::Full),
        ))
        .name("rates_api")
        .budget(&budget)
        .attempt_timeout(Duration::from_secs(2))
        .max_elapsed(Duration::from_secs(10));
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new()).with(retry).build();

    let started = Instant::now();
    let response = client.get(&url).send().await.expect("the rates");
    let attempts = response.extensions().get::<Attempts>().map_or(1, |a| a.0);
    println!(
        "GET: {} after {attempts} attempts in {:.1?} (the 429 asked for 1 s)",
        response.status(),
        started.elapsed()
    );

    // Not idempotent: sent once, the 503 comes back as it is.
    let response = client.post(&url).body("{}").send().await.expect("an answer");
    let attempts = response.extensions().get::<Attempts>().map_or(1, |a| a.0);
    println!("POST without Idempotency-Key: {} after {attempts} attempt", response.status());

    // With a key the server can deduplicate, so it is retried.
    let response = client
        .post(&url)
        .header("Idempotency-Key", "rates-refresh-1")
        .body("{}")
        .send()
        .await
        .expect("an answer");
    let attempts = response.extensions().get::<Attempts>().map_or(1, |a| a.0);
    println!("POST with Idempotency-Key: {} after {attempts} attempts", response.status());

    // No server at all: the error says how the retry went.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let quick = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(RetryMiddleware::default().name("nobody"))
        .build();
    let error = quick.get(format!("http://127.0.0.1:{port}/")).send().await.unwrap_err();
    if let Some(retry) = RetryError::of(&error) {
        println!("{retry}: {}", retry.last_error());
    }
}
