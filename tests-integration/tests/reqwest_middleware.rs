//! `persevere::integrations::reqwest::RetryMiddleware` against a real HTTP server on
//! 127.0.0.1: what it retries, what it sends once, what it reports, and how long it waits.
//!
//! The sleeps between attempts are injected and only record, so no test waits for the
//! seconds a server asks for; only the hanging-server test waits, about 150 ms of real time.

use std::io;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use persevere::breaker::CircuitBreaker;
use persevere::integrations::reqwest::{Attempts, Failure, RetryError, RetryMiddleware};
use persevere::{Policy, Stop};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};

/// One scripted answer of the server.
#[derive(Clone, Default)]
struct Reply {
    status: u16,
    /// `Retry-After`, or another header's name and value.
    retry_after: Option<String>,
    header: Option<(&'static str, &'static str)>,
    /// How long the server waits before answering.
    delay: Duration,
}

fn status(status: u16) -> Reply {
    Reply { status, ..Reply::default() }
}

/// What the server saw of one request.
#[derive(Debug, PartialEq)]
struct Seen {
    method: String,
    body: String,
}

/// An HTTP server on 127.0.0.1 whose n-th request gets the n-th scripted reply, answered on
/// a thread of its own so that a slow answer does not hold up the next request. Requests
/// past the script get a 500.
struct ScriptedServer {
    url: String,
    server: Arc<tiny_http::Server>,
    worker: JoinHandle<Vec<Seen>>,
}

impl ScriptedServer {
    fn start(script: Vec<Reply>) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let addr = server.server_addr().to_ip().expect("an IP listener");
        let url = format!("http://{addr}/items");
        let serving = Arc::clone(&server);
        let worker = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for mut request in serving.incoming_requests() {
                let reply = script.get(seen.len()).cloned().unwrap_or_else(|| status(500));
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                seen.push(Seen { method: request.method().to_string(), body });
                std::thread::spawn(move || {
                    std::thread::sleep(reply.delay);
                    let mut response =
                        tiny_http::Response::from_string("reply").with_status_code(reply.status);
                    if let Some(value) = reply.retry_after {
                        response.add_header(
                            tiny_http::Header::from_bytes("Retry-After", value).expect("header"),
                        );
                    }
                    if let Some((name, value)) = reply.header {
                        response.add_header(
                            tiny_http::Header::from_bytes(name, value).expect("header"),
                        );
                    }
                    // The client may have given up on a slow answer.
                    let _ = request.respond(response);
                });
            }
            seen
        });
        ScriptedServer { url, server, worker }
    }

    /// Stops serving and returns what it saw.
    fn stop(self) -> Vec<Seen> {
        self.server.unblock();
        self.worker.join().expect("the server thread")
    }
}

/// A sleep that returns at once and records what it was asked for.
fn recorder() -> (Arc<Mutex<Vec<Duration>>>, impl Fn(Duration) -> std::future::Ready<()>) {
    let slept = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&slept);
    (slept, move |d| {
        record.lock().unwrap().push(d);
        std::future::ready(())
    })
}

fn client(middleware: RetryMiddleware) -> ClientWithMiddleware {
    ClientBuilder::new(reqwest::Client::new()).with(middleware).build()
}

fn attempts(response: &reqwest::Response) -> u32 {
    response.extensions().get::<Attempts>().expect("Attempts in the extensions").0
}

#[tokio::test]
async fn retries_a_503_and_reports_two_attempts() {
    let server = ScriptedServer::start(vec![status(503), status(200)]);
    let (slept, sleep) = recorder();
    let client = client(RetryMiddleware::default().name("items").sleep(sleep));

    let response = client.get(&server.url).send().await.expect("a response");
    assert_eq!(response.status(), 200);
    assert_eq!(attempts(&response), 2);
    let report = response.extensions().get::<persevere::Report>().expect("the report");
    assert_eq!(report.stop, Stop::Succeeded);
    assert_eq!(slept.lock().unwrap().len(), 1);
    assert!(slept.lock().unwrap()[0] <= Duration::from_millis(100)); // the schedule's own
    assert_eq!(server.stop().len(), 2);
}

#[tokio::test]
async fn waits_as_long_as_retry_after_seconds_says() {
    let too_many = Reply { status: 429, retry_after: Some("1".into()), ..Reply::default() };
    let server = ScriptedServer::start(vec![too_many, status(200)]);
    let (slept, sleep) = recorder();
    let client = client(RetryMiddleware::default().sleep(sleep));

    let response = client.get(&server.url).send().await.expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (200, 2));
    let slept = slept.lock().unwrap().clone();
    assert_eq!(slept.len(), 1);
    assert!(slept[0] >= Duration::from_secs(1), "slept {slept:?}");
    assert!(slept[0] <= persevere::DEFAULT_ADJUST_CEILING);
    assert_eq!(server.stop().len(), 2);
}

#[tokio::test]
async fn waits_until_a_retry_after_http_date() {
    let in_five = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(5));
    let unavailable = Reply { status: 503, retry_after: Some(in_five), ..Reply::default() };
    let server = ScriptedServer::start(vec![unavailable, status(200)]);
    let (slept, sleep) = recorder();
    let client = client(RetryMiddleware::default().sleep(sleep));

    let response = client.get(&server.url).send().await.expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (200, 2));
    let slept = slept.lock().unwrap().clone();
    // The date has whole seconds, and some time passed since it was written.
    assert!(slept[0] >= Duration::from_secs(3), "slept {slept:?}");
    assert!(slept[0] <= Duration::from_secs(10), "slept {slept:?}");
    assert_eq!(server.stop().len(), 2);
}

#[tokio::test]
async fn waits_as_long_as_x_amz_retry_after_says() {
    let header = Some(("x-amz-retry-after", "1500"));
    let throttled = Reply { status: 503, header, ..Reply::default() };
    let server = ScriptedServer::start(vec![throttled, status(200)]);
    let (slept, sleep) = recorder();
    let client = client(RetryMiddleware::default().sleep(sleep));

    let response = client.get(&server.url).send().await.expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (200, 2));
    let slept = slept.lock().unwrap().clone();
    assert!(slept[0] >= Duration::from_millis(1500), "slept {slept:?}");
    assert_eq!(server.stop().len(), 2);
}

#[tokio::test]
async fn a_hostile_retry_after_is_capped_by_the_adjust_ceiling() {
    let a_day = Reply { status: 429, retry_after: Some("86400".into()), ..Reply::default() };
    let server = ScriptedServer::start(vec![a_day, status(200)]);
    let (slept, sleep) = recorder();
    let policy = Policy::http().when(Failure::verdict).adjust_ceiling(Duration::from_secs(30));
    let client = client(RetryMiddleware::new(policy).sleep(sleep));

    let response = client.get(&server.url).send().await.expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (200, 2));
    assert_eq!(*slept.lock().unwrap(), [Duration::from_secs(30)]);
    assert_eq!(server.stop().len(), 2);
}

#[tokio::test]
async fn post_is_sent_once_without_an_idempotency_key() {
    let server = ScriptedServer::start(vec![status(503), status(200)]);
    let (slept, sleep) = recorder();
    let client = client(RetryMiddleware::default().sleep(sleep));

    let response = client.post(&server.url).body("order").send().await.expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (503, 1));
    assert!(slept.lock().unwrap().is_empty());
    assert_eq!(server.stop(), [Seen { method: "POST".into(), body: "order".into() }]);
}

#[tokio::test]
async fn post_with_an_idempotency_key_is_retried() {
    let server = ScriptedServer::start(vec![status(503), status(200)]);
    let (_, sleep) = recorder();
    let client = client(RetryMiddleware::default().sleep(sleep));

    let response = client
        .post(&server.url)
        .header("Idempotency-Key", "order-17")
        .body("order")
        .send()
        .await
        .expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (200, 2));
    let seen = server.stop();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.body == "order"), "each attempt sends the whole body");
}

#[tokio::test]
async fn post_is_retried_once_idempotent_only_is_off() {
    let server = ScriptedServer::start(vec![status(503), status(200)]);
    let (_, sleep) = recorder();
    let client = client(RetryMiddleware::default().idempotent_only(false).sleep(sleep));

    let response = client.post(&server.url).body("order").send().await.expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (200, 2));
    assert_eq!(server.stop().len(), 2);
}

#[tokio::test]
async fn streaming_body_is_sent_once() {
    let server = ScriptedServer::start(vec![status(503), status(200)]);
    let (slept, sleep) = recorder();
    let client = client(RetryMiddleware::default().sleep(sleep));

    let chunks = futures::stream::iter([Ok::<_, io::Error>("stre"), Ok("amed")]);
    let response = client
        .put(&server.url)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (503, 1));
    assert!(slept.lock().unwrap().is_empty());
    assert_eq!(server.stop(), [Seen { method: "PUT".into(), body: "streamed".into() }]);
}

#[tokio::test]
async fn hanging_response_is_cut_by_the_attempt_timeout() {
    let hang = Reply { status: 200, delay: Duration::from_secs(3), ..Reply::default() };
    let server = ScriptedServer::start(vec![hang, status(200)]);
    // The default sleep (futures-timer) times the attempt: about 150 ms of real time.
    let client = client(RetryMiddleware::default().attempt_timeout(Duration::from_millis(150)));

    let started = std::time::Instant::now();
    let response = client.get(&server.url).send().await.expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (200, 2));
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    assert_eq!(server.stop().len(), 2);
}

#[tokio::test]
async fn not_found_is_returned_at_once() {
    let server = ScriptedServer::start(vec![status(404), status(200)]);
    let (slept, sleep) = recorder();
    let client = client(RetryMiddleware::default().sleep(sleep));

    let response = client.get(&server.url).send().await.expect("a response");
    assert_eq!((response.status().as_u16(), attempts(&response)), (404, 1));
    let report = response.extensions().get::<persevere::Report>().expect("the report");
    assert_eq!(report.stop, Stop::NotRetryable);
    assert!(slept.lock().unwrap().is_empty());
    assert_eq!(server.stop().len(), 1);
}

#[tokio::test]
async fn refused_connection_is_retried_and_the_error_reports_attempts() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (slept, sleep) = recorder();
    let client = client(RetryMiddleware::default().name("refused").sleep(sleep));

    let error = client.get(format!("http://127.0.0.1:{port}/")).send().await.unwrap_err();
    let retry = RetryError::of(&error).expect("a RetryError");
    assert_eq!((retry.attempts(), retry.report().stop), (6, Stop::ScheduleExhausted));
    assert!(matches!(retry.last_error(), reqwest_middleware::Error::Reqwest(e) if e.is_connect()));
    assert!(error.to_string().starts_with("refused: GET"), "{error}");
    assert_eq!(slept.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn an_open_breaker_stops_the_retry() {
    let server = ScriptedServer::start(vec![status(503); 5]);
    let (_, sleep) = recorder();
    let breaker = Arc::new(CircuitBreaker::builder().consecutive_failures(2).build());
    let client = client(RetryMiddleware::default().breaker(Arc::clone(&breaker)).sleep(sleep));

    let error = client.get(&server.url).send().await.unwrap_err();
    let retry = RetryError::of(&error).expect("a RetryError");
    // Two 503s open the breaker; the third attempt is refused without sending.
    assert_eq!((retry.attempts(), retry.report().stop), (3, Stop::BreakerOpen));
    assert!(retry.is_breaker_rejection());
    assert_eq!(server.stop().len(), 2);
}

#[tokio::test]
async fn max_elapsed_cuts_the_attempt_in_flight() {
    let hang = Reply { status: 200, delay: Duration::from_secs(3), ..Reply::default() };
    let server = ScriptedServer::start(vec![hang; 3]);
    let client = client(RetryMiddleware::default().max_elapsed(Duration::from_millis(150)));

    let started = std::time::Instant::now();
    let error = client.get(&server.url).send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    let retry = RetryError::of(&error).expect("a RetryError");
    assert_eq!((retry.attempts(), retry.report().stop), (1, Stop::MaxElapsed));
    assert!(retry.is_timeout(), "{:?}", retry.last_error());
    assert_eq!(server.stop().len(), 1);
}
