//! The tower retry layer around a real hyper client, against a hyper server on 127.0.0.1
//! that answers from a script: HTTP/1.1 for the HTTP classifier, HTTP/2 for gRPC's.
//!
//! The sleeps are injected and only record, so no test waits for a delay.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo};
use persevere::budget::RetryBudget;
use persevere::integrations::tower::grpc::{A6Classifier, Code};
use persevere::integrations::tower::{Failure, HttpStatus, RetryError, RetryLayer};
use persevere::{Fixed, Policy};
use tokio::net::TcpListener;
use tower_layer::Layer;
use tower_service::Service;

use common::{Slept, recording};

type Body = Full<Bytes>;
type HttpClient = Client<HttpConnector, Body>;
type ClientError = hyper_util::client::legacy::Error;

/// One scripted answer: a status and headers; status 0 never answers. Past the script, the
/// server answers 200.
type Reply = (u16, &'static [(&'static str, &'static str)]);

/// A server on 127.0.0.1 answering from `script`; it counts the requests it got.
struct Server {
    url: String,
    hits: Arc<AtomicUsize>,
}

async fn serve(script: &[Reply], h2: bool) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<Reply>>()));
    let counted = Arc::clone(&hits);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let (script, hits) = (Arc::clone(&script), Arc::clone(&counted));
            let service = hyper::service::service_fn(move |_: Request<Incoming>| {
                hits.fetch_add(1, Ordering::SeqCst);
                let (status, headers) = script.lock().unwrap().pop_front().unwrap_or((200, &[]));
                async move {
                    if status == 0 {
                        std::future::pending::<()>().await;
                    }
                    let mut response = Response::builder().status(status);
                    for (name, value) in headers {
                        response = response.header(*name, *value);
                    }
                    Ok::<_, Infallible>(response.body(Body::new(Bytes::new())).unwrap())
                }
            });
            let io = TokioIo::new(stream);
            tokio::spawn(async move {
                if h2 {
                    let builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
                    let _ = builder.serve_connection(io, service).await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                }
            });
        }
    });
    Server { url, hits }
}

fn client(h2: bool) -> HttpClient {
    Client::builder(TokioExecutor::new()).http2_only(h2).build_http()
}

/// `http::Request` is not `Clone`: copy one whose body is in memory.
fn copy(request: &Request<Body>) -> Option<Request<Body>> {
    let mut copy = Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .version(request.version())
        .body(request.body().clone())
        .ok()?;
    *copy.headers_mut() = request.headers().clone();
    Some(copy)
}

fn get(url: &str) -> Request<Body> {
    Request::get(url).body(Body::new(Bytes::new())).unwrap()
}

fn policy() -> Policy<Fixed, Failure<Response<Incoming>, ClientError>> {
    Policy::new(Fixed::new(Duration::from_millis(100)).max_retries(4))
}

async fn send<Svc>(service: &mut Svc, request: Request<Body>) -> Result<Svc::Response, Svc::Error>
where
    Svc: Service<Request<Body>>,
{
    poll_fn(|cx| service.poll_ready(cx)).await?;
    service.call(request).await
}

/// The HTTP classifier's layer over an HTTP/1.1 client, with [`policy`] and a recording
/// sleep.
fn http_service() -> (
    Slept,
    impl Service<Request<Body>, Response = Response<Incoming>, Error = RetryError<ClientError>>,
) {
    let (slept, sleep) = recording();
    let layer = RetryLayer::new(policy(), HttpStatus).clone_request(copy).sleep(sleep);
    (slept, layer.layer(client(false)))
}

#[tokio::test]
async fn two_503s_then_200_is_a_200_after_three_requests() {
    let server = serve(&[(503, &[]), (503, &[])], false).await;
    let (slept, mut service) = http_service();

    let response = send(&mut service, get(&server.url)).await.expect("a response");

    assert_eq!(response.status(), 200);
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
    assert_eq!(*slept.lock().unwrap(), [Duration::from_millis(100); 2]);
}

#[tokio::test]
async fn retry_after_replaces_the_delay() {
    let server = serve(&[(429, &[("retry-after", "2")])], false).await;
    let (slept, mut service) = http_service();

    let response = send(&mut service, get(&server.url)).await.expect("a response");

    assert_eq!((response.status().as_u16(), server.hits.load(Ordering::SeqCst)), (200, 2));
    let slept = slept.lock().unwrap();
    assert!(slept[0] >= Duration::from_secs(2) && slept[0] <= Duration::from_millis(2400));
}

#[tokio::test]
async fn a_non_retryable_status_comes_back_at_once() {
    let server = serve(&[(404, &[]), (501, &[])], false).await;
    let (slept, mut service) = http_service();

    let first = send(&mut service, get(&server.url)).await.expect("a response");
    let second = send(&mut service, get(&server.url)).await.expect("a response");

    assert_eq!((first.status().as_u16(), second.status().as_u16()), (404, 501));
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
    assert!(slept.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_last_response_comes_back_when_the_schedule_runs_out() {
    let server = serve(&[(503, &[] as &[_]); 5], false).await;
    let (slept, sleep) = recording();
    let policy = policy().schedule(Fixed::new(Duration::from_millis(100)).max_retries(2));
    let mut service =
        RetryLayer::new(policy, HttpStatus).clone_request(copy).sleep(sleep).layer(client(false));

    let response = send(&mut service, get(&server.url)).await.expect("a response");

    assert_eq!(response.status(), 503);
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
    assert_eq!(slept.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_exhausted_budget_stops_retrying_across_calls() {
    let server = serve(&[(503, &[] as &[_]); 10], false).await;
    let (slept, sleep) = recording();
    // Room for exactly one retry, shared by every call through the layer.
    let budget = RetryBudget::builder(1.0).build().unwrap();
    let layer =
        RetryLayer::new(policy().budget(&budget), HttpStatus).clone_request(copy).sleep(sleep);
    let mut service = layer.layer(client(false));

    let first = send(&mut service, get(&server.url)).await.expect("a response");
    assert_eq!((first.status().as_u16(), server.hits.load(Ordering::SeqCst)), (503, 2));
    let second = send(&mut service, get(&server.url)).await.expect("a response");
    assert_eq!((second.status().as_u16(), server.hits.load(Ordering::SeqCst)), (503, 3));
    assert_eq!(slept.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_budget_charges_429s_as_throttled() {
    let server = serve(&[(429, &[] as &[_]); 4], false).await;
    let (slept, sleep) = recording();
    // One normal retry's worth, or ten throttled ones.
    let budget =
        RetryBudget::builder(10.0).retry_cost(10.0).throttled_retry_cost(1.0).build().unwrap();
    let layer =
        RetryLayer::new(policy().budget(&budget), HttpStatus).clone_request(copy).sleep(sleep);
    let mut service = layer.layer(client(false));

    let response = send(&mut service, get(&server.url)).await.expect("a response");

    assert_eq!((response.status().as_u16(), server.hits.load(Ordering::SeqCst)), (200, 5));
    assert_eq!(slept.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_request_that_cannot_be_copied_is_an_error_and_is_not_sent() {
    let server = serve(&[(503, &[])], false).await;
    let (_, sleep) = recording();
    let refuse = |_: &Request<Body>| None;
    let mut service = RetryLayer::new(policy(), HttpStatus)
        .clone_request(refuse)
        .sleep(sleep)
        .layer(client(false));

    let error = send(&mut service, get(&server.url)).await.expect_err("no copy, no request");

    assert!(matches!(error, RetryError::NotCloneable), "{error}");
    assert_eq!(server.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_copy_refused_before_a_retry_is_an_error_after_one_request() {
    let server = serve(&[(503, &[])], false).await;
    let (_, sleep) = recording();
    // Copies once, then no more: a body that can be read only once.
    let copies = Arc::new(AtomicUsize::new(0));
    let once = move |request: &Request<Body>| {
        (copies.fetch_add(1, Ordering::SeqCst) == 0).then(|| copy(request)).flatten()
    };
    let mut service =
        RetryLayer::new(policy(), HttpStatus).clone_request(once).sleep(sleep).layer(client(false));

    let error = send(&mut service, get(&server.url)).await.expect_err("no second copy");

    assert!(matches!(error, RetryError::NotCloneable), "{error}");
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_and_its_error_returned() {
    // Bind, then close: nothing listens on the port.
    let url = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}/", listener.local_addr().unwrap())
    };
    let (slept, mut service) = http_service();

    let error = send(&mut service, get(&url)).await.expect_err("refused");

    assert!(matches!(&error, RetryError::Inner(e) if e.is_connect()), "{error}");
    assert_eq!(slept.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn the_default_sleep_needs_no_runtime_timer() {
    let server = serve(&[(503, &[])], false).await;
    let policy = policy().schedule(Fixed::new(Duration::from_millis(1)).max_retries(2));
    let mut service = RetryLayer::new(policy, HttpStatus).clone_request(copy).layer(client(false));

    let response = send(&mut service, get(&server.url)).await.expect("a response");

    assert_eq!((response.status().as_u16(), server.hits.load(Ordering::SeqCst)), (200, 2));
}

const UNAVAILABLE: &[(&str, &str)] = &[("content-type", "application/grpc"), ("grpc-status", "14")];

#[tokio::test]
async fn grpc_unavailable_is_retried_over_http2() {
    let server = serve(&[(200, UNAVAILABLE), (200, UNAVAILABLE)], true).await;
    let (slept, sleep) = recording();
    let mut service = RetryLayer::new(policy(), A6Classifier::new())
        .clone_request(copy)
        .sleep(sleep)
        .layer(client(true));

    let response = send(&mut service, get(&server.url)).await.expect("a response");

    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.headers().get("grpc-status"), None);
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
    assert_eq!(slept.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn grpc_pushback_sets_the_delay_and_a_negative_one_stops() {
    let pushback: &[(&str, &str)] = &[("grpc-status", "14"), ("grpc-retry-pushback-ms", "250")];
    let stop: &[(&str, &str)] = &[("grpc-status", "14"), ("grpc-retry-pushback-ms", "-1")];
    let server = serve(&[(200, pushback), (200, stop)], true).await;
    let (slept, sleep) = recording();
    let mut service = RetryLayer::new(policy(), A6Classifier::new())
        .clone_request(copy)
        .sleep(sleep)
        .layer(client(true));

    let response = send(&mut service, get(&server.url)).await.expect("a response");

    // The second answer said "do not retry": it comes back as it is.
    assert_eq!(response.headers()["grpc-retry-pushback-ms"], "-1");
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
    assert_eq!(*slept.lock().unwrap(), [Duration::from_millis(250)]);
}

#[tokio::test]
async fn grpc_codes_outside_the_retryable_set_come_back_at_once() {
    let exhausted: &[(&str, &str)] = &[("grpc-status", "8")];
    let server = serve(&[(200, exhausted), (200, exhausted), (200, UNAVAILABLE)], true).await;
    let (slept, sleep) = recording();
    let default = RetryLayer::new(policy(), A6Classifier::new());
    let mut service = default.clone_request(copy).sleep(sleep.clone()).layer(client(true));

    let response = send(&mut service, get(&server.url)).await.expect("a response");
    assert_eq!(response.headers()["grpc-status"], "8");
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);

    // With RESOURCE_EXHAUSTED listed it is retried; UNAVAILABLE, no longer listed, is not.
    let classifier = A6Classifier::new().retryable(&[Code::ResourceExhausted]);
    let mut service =
        RetryLayer::new(policy(), classifier).clone_request(copy).sleep(sleep).layer(client(true));
    let response = send(&mut service, get(&server.url)).await.expect("a response");
    assert_eq!(response.headers()["grpc-status"], "14");
    assert_eq!(server.hits.load(Ordering::SeqCst), 3);
    assert_eq!(slept.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_attempt_that_runs_out_of_time_is_retried() {
    // The first request never gets an answer. The timer is the layer's default sleep.
    let server = serve(&[(0, &[])], false).await;
    let policy = policy()
        .schedule(Fixed::new(Duration::from_millis(1)).max_retries(2))
        .attempt_timeout(Duration::from_millis(300), Failure::timed_out);
    let mut service = RetryLayer::new(policy, HttpStatus).clone_request(copy).layer(client(false));

    let response = send(&mut service, get(&server.url)).await.expect("a response");

    assert_eq!((response.status().as_u16(), server.hits.load(Ordering::SeqCst)), (200, 2));
}

#[tokio::test]
async fn a_last_attempt_that_runs_out_of_time_is_a_timeout_error() {
    let server = serve(&[(0, &[]), (0, &[])], false).await;
    let policy = policy()
        .schedule(Fixed::new(Duration::from_millis(1)).max_retries(1))
        .attempt_timeout(Duration::from_millis(50), Failure::timed_out);
    let mut service = RetryLayer::new(policy, HttpStatus).clone_request(copy).layer(client(false));

    let error = send(&mut service, get(&server.url)).await.expect_err("no answer");

    assert!(matches!(error, RetryError::TimedOut), "{error}");
    assert_eq!(server.hits.load(Ordering::SeqCst), 2);
}
