//! User story: call an HTTP API that sheds load, and honour its `Retry-After`.
//!
//! A local server plays the API: its first answer is 503 (overloaded, no hint), its second
//! is 429 with `Retry-After: 1`, and then it serves. The client retries server errors and
//! rate limiting on a short exponential schedule, but when the server says how long to wait,
//! it waits exactly that long (up to persevere's ceiling of 300 s).
//!
//! Run it with `cargo run -p tests-integration --example http_retry_after`; it takes about
//! 1.2 s. persevere's own log lines are shown at `info` (set `RUST_LOG` to change that).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use persevere::classify::retry_after;
use persevere::{Exponential, blocking};

/// Why a call to the API failed.
#[derive(Debug)]
enum ApiError {
    /// The server answered with a status other than 200, maybe with a hint.
    Status { code: u16, retry_after: Option<Duration> },
    /// No answer at all.
    Transport(ureq::Error),
}

impl ApiError {
    /// Rate limiting (429) and server errors (5xx) may go away; a 404 will not.
    fn is_retryable(&self) -> bool {
        matches!(self, ApiError::Status { code, .. } if *code == 429 || (500..600).contains(code))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Status { code, retry_after: Some(hint) } => {
                write!(f, "HTTP {code}, Retry-After {hint:?}")
            }
            ApiError::Status { code, retry_after: None } => write!(f, "HTTP {code}"),
            ApiError::Transport(e) => write!(f, "no answer: {e}"),
        }
    }
}

/// The call being retried: one GET, the body on 200.
fn get_quote(agent: &ureq::Agent, url: &str) -> Result<String, ApiError> {
    let mut response = agent.get(url).call().map_err(ApiError::Transport)?;
    let code = response.status().as_u16();
    if code != 200 {
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| retry_after(v.as_bytes(), SystemTime::now()).ok());
        return Err(ApiError::Status { code, retry_after });
    }
    response.body_mut().read_to_string().map_err(ApiError::Transport)
}

/// Starts the pretend API on a free local port and returns its URL.
fn start_api(started: Instant) -> String {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
    let addr = server.server_addr().to_ip().expect("an IP listener");
    std::thread::spawn(move || {
        for (n, request) in server.incoming_requests().enumerate() {
            let at = started.elapsed().as_secs_f64();
            let response = match n {
                0 => tiny_http::Response::from_string("overloaded").with_status_code(503),
                1 => {
                    tiny_http::Response::from_string("slow down").with_status_code(429).with_header(
                        tiny_http::Header::from_bytes("Retry-After", "1").expect("a valid header"),
                    )
                }
                _ => tiny_http::Response::from_string("\"Fall seven times, stand up eight.\""),
            };
            println!("server: request {} at {at:.2}s -> {}", n + 1, response.status_code().0);
            if let Err(e) = request.respond(response) {
                eprintln!("server: could not answer: {e}");
            }
        }
    });
    format!("http://{addr}/quote")
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp(None)
        // Beside the example's own lines, in order, even when piped.
        .target(env_logger::Target::Stdout)
        .init();

    let started = Instant::now();
    let url = start_api(started);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false) // read the status and headers ourselves
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();

    // 200 ms, 400 ms, 800 ms... unless the server says otherwise.
    let schedule = Exponential::new(Duration::from_millis(200)).max_retries(4);
    let (result, report) = blocking::retry(schedule, || get_quote(&agent, &url))
        .when(ApiError::is_retryable)
        .adjust(|e, _scheduled| match e {
            ApiError::Status { retry_after, .. } => *retry_after,
            ApiError::Transport(_) => None,
        })
        .call_with_report();

    match result {
        Ok(body) => println!("client: got {body}"),
        Err(e) => println!("client: gave up: {e}"),
    }
    println!(
        "client: {} attempt{}, {:?} slept ({}), {:.2}s in all",
        report.attempts,
        if report.attempts == 1 { "" } else { "s" },
        report.slept,
        report.stop,
        started.elapsed().as_secs_f64()
    );
}
