//! A real HTTP round trip: a local server answers 503, then 429 with `Retry-After: 1`, then
//! 200, and real clients retried through persevere see three attempts, the scheduled delay
//! after the 503, exactly one second after the 429, and the body.
//!
//! The sleepers are injected and only record, so no test waits for the second it is told to.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use persevere::classify::retry_after;
use persevere::{Exponential, Stop, blocking, future};

/// The schedule every test retries on: its first delay is what the 503 gets, and its second
/// (200 ms) is what the 429's `Retry-After: 1` must replace.
fn schedule() -> Exponential {
    Exponential::new(Duration::from_millis(100)).max_retries(4)
}

const BODY: &str = "{\"quote\":\"persevere\"}";

/// One scripted answer of the server.
#[derive(Clone, Copy)]
struct Reply {
    status: u16,
    retry_after: Option<&'static str>,
    body: &'static str,
}

/// The script of the round trip: overloaded, then rate limited with a hint, then served.
const FLAKY_THEN_OK: [Reply; 3] = [
    Reply { status: 503, retry_after: None, body: "overloaded" },
    Reply { status: 429, retry_after: Some("1"), body: "slow down" },
    Reply { status: 200, retry_after: None, body: BODY },
];

/// An HTTP server on 127.0.0.1 whose n-th request gets the n-th scripted reply.
///
/// Requests past the script get a 500, so an extra attempt fails the test's request count
/// rather than hanging it.
struct ScriptedServer {
    url: String,
    server: Arc<tiny_http::Server>,
    worker: JoinHandle<u32>,
}

impl ScriptedServer {
    fn start(script: &'static [Reply]) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let addr = server.server_addr().to_ip().expect("an IP listener");
        let url = format!("http://{addr}/quote");
        let serving = Arc::clone(&server);
        let worker = std::thread::spawn(move || {
            let mut served = 0;
            // Ends when `stop` unblocks the queue, after every request already received.
            for request in serving.incoming_requests() {
                let reply = script.get(served as usize).copied().unwrap_or(Reply {
                    status: 500,
                    retry_after: None,
                    body: "past the end of the script",
                });
                served += 1;
                let mut response =
                    tiny_http::Response::from_string(reply.body).with_status_code(reply.status);
                if let Some(seconds) = reply.retry_after {
                    let header = tiny_http::Header::from_bytes("Retry-After", seconds)
                        .expect("a valid header");
                    response.add_header(header);
                }
                request.respond(response).expect("write the response");
            }
            served
        });
        ScriptedServer { url, server, worker }
    }

    /// Stops serving and returns how many requests were served.
    fn stop(self) -> u32 {
        self.server.unblock();
        self.worker.join().expect("the server thread panicked")
    }
}

/// Why a call failed: an HTTP status worth looking at, or the transport (`T`) itself.
#[derive(Debug)]
enum CallError<T> {
    Status { code: u16, retry_after: Option<Duration> },
    Transport(T),
}

impl<T> CallError<T> {
    /// Rate limiting and server errors are worth another try; anything else is returned.
    fn is_retryable(&self) -> bool {
        match self {
            CallError::Status { code, .. } => *code == 429 || (500..600).contains(code),
            CallError::Transport(_) => false,
        }
    }

    /// The server's hint, which replaces the scheduled delay when present.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::Status { retry_after, .. } => *retry_after,
            CallError::Transport(_) => None,
        }
    }
}

impl<T: fmt::Display> fmt::Display for CallError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Status { code, retry_after: Some(hint) } => {
                write!(f, "HTTP {code} (Retry-After: {hint:?})")
            }
            CallError::Status { code, retry_after: None } => write!(f, "HTTP {code}"),
            CallError::Transport(e) => write!(f, "transport: {e}"),
        }
    }
}

/// One GET with ureq: the body on 200, a `CallError` otherwise.
fn ureq_get(agent: &ureq::Agent, url: &str) -> Result<String, CallError<ureq::Error>> {
    let mut response = agent.get(url).call().map_err(CallError::Transport)?;
    let code = response.status().as_u16();
    if code != 200 {
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| retry_after(v.as_bytes(), SystemTime::now()).ok());
        return Err(CallError::Status { code, retry_after });
    }
    response.body_mut().read_to_string().map_err(CallError::Transport)
}

fn ureq_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        // Statuses come back as responses, so the Retry-After header can be read.
        .http_status_as_error(false)
        // A proxy from the environment must not get between the test and 127.0.0.1.
        .proxy(None)
        // A broken server fails the test instead of hanging it.
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

#[test]
fn blocking_ureq_honours_retry_after() {
    let server = ScriptedServer::start(&FLAKY_THEN_OK);
    let agent = ureq_agent();
    let client_attempts = AtomicU32::new(0);
    let mut slept = Vec::new();

    let (result, report) = blocking::retry(schedule(), || {
        client_attempts.fetch_add(1, Ordering::Relaxed);
        ureq_get(&agent, &server.url)
    })
    .when(CallError::is_retryable)
    .adjust(|e, _scheduled| e.retry_after())
    .sleep(|d| slept.push(d))
    .call_with_report();

    let served = server.stop();
    assert_eq!(result.expect("the third attempt succeeds"), BODY);
    assert_eq!(client_attempts.load(Ordering::Relaxed), 3);
    assert_eq!(served, 3, "requests the server saw");
    assert_eq!(slept, [Duration::from_millis(100), Duration::from_secs(1)]);
    assert_eq!(report.attempts, 3);
    assert_eq!(report.slept, Duration::from_millis(1100));
    assert_eq!(report.stop, Stop::Succeeded);
}

/// A 404 is not one `when` retries: one request, the error back unchanged, no sleep.
#[test]
fn blocking_ureq_returns_a_client_error_at_once() {
    const NOT_FOUND: [Reply; 2] = [
        Reply { status: 404, retry_after: Some("1"), body: "no such quote" },
        Reply { status: 200, retry_after: None, body: BODY },
    ];
    let server = ScriptedServer::start(&NOT_FOUND);
    let agent = ureq_agent();
    let mut slept = Vec::new();

    let (result, report) = blocking::retry(schedule(), || ureq_get(&agent, &server.url))
        .when(CallError::is_retryable)
        .adjust(|e, _scheduled| e.retry_after())
        .sleep(|d| slept.push(d))
        .call_with_report();

    let served = server.stop();
    match result {
        Err(CallError::Status { code: 404, retry_after }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(1)));
        }
        other => panic!("expected the 404 back, got {other:?}"),
    }
    assert_eq!(served, 1, "requests the server saw");
    assert_eq!(slept, []);
    assert_eq!(
        (report.attempts, report.slept, report.stop),
        (1, Duration::ZERO, Stop::NotRetryable)
    );
}

/// One GET with reqwest: the body on 200, a `CallError` otherwise.
async fn reqwest_get(
    client: &reqwest::Client,
    url: &str,
) -> Result<String, CallError<reqwest::Error>> {
    let response = client.get(url).send().await.map_err(CallError::Transport)?;
    let code = response.status().as_u16();
    if code != 200 {
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| retry_after(v.as_bytes(), SystemTime::now()).ok());
        return Err(CallError::Status { code, retry_after });
    }
    response.text().await.map_err(CallError::Transport)
}

#[tokio::test]
async fn async_reqwest_honours_retry_after() {
    let server = ScriptedServer::start(&FLAKY_THEN_OK);
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a plain-HTTP client");
    let client_attempts = AtomicU32::new(0);
    let mut slept = Vec::new();

    let (result, report) = future::retry(schedule(), || {
        client_attempts.fetch_add(1, Ordering::Relaxed);
        reqwest_get(&client, &server.url)
    })
    .when(CallError::is_retryable)
    .adjust(|e, _scheduled| e.retry_after())
    .sleep(|d| {
        slept.push(d);
        std::future::ready(())
    })
    .call_with_report()
    .await;

    // Joining blocks only briefly: the server thread has answered everything and needs
    // nothing from this runtime to finish.
    let served = server.stop();
    assert_eq!(result.expect("the third attempt succeeds"), BODY);
    assert_eq!(client_attempts.load(Ordering::Relaxed), 3);
    assert_eq!(served, 3, "requests the server saw");
    assert_eq!(slept, [Duration::from_millis(100), Duration::from_secs(1)]);
    assert_eq!(report.attempts, 3);
    assert_eq!(report.slept, Duration::from_millis(1100));
    assert_eq!(report.stop, Stop::Succeeded);
}
