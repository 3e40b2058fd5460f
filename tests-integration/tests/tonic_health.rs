//! The tower retry layer under tonic: a tonic `Channel` to tonic's own health service on
//! 127.0.0.1 (no code generation), classified by the A6 classifier.
//!
//! The server's interceptor answers the first calls from a script with a Trailers-Only gRPC
//! status (and a `grpc-retry-pushback-ms` where a script asks for one), as a server that is
//! warming up or shedding load would; past the script the health service answers. The sleeps
//! are injected and only record, so no test waits for a delay.
//!
//! A tonic request body is a stream, which the layer cannot copy; the client stack buffers
//! the encoded message once, before the retry sees it, and every attempt sends a copy of the
//! buffer (the recipe in the guide).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

mod common;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use persevere::integrations::tower::grpc::{A6Classifier, Code as A6Code};
use persevere::integrations::tower::{Failure, RetryLayer};
use persevere::{Fixed, Policy};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};
use tower::ServiceBuilder;
use tower::filter::AsyncFilterLayer;
use tower_layer::Layer;

use common::{Slept, recording};

/// The service whose health the tests ask for.
const SERVICE: &str = "persevere.Test";

/// One scripted refusal: the status code, and the pushback header's value if any.
type Refusal = (Code, Option<&'static str>);

/// A health server on 127.0.0.1 that refuses its first calls as `script` says; returns its
/// address and the number of calls it got.
async fn serve(script: &'static [Refusal]) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let reporter = HealthReporter::new();
    reporter.set_service_status(SERVICE, tonic_health::ServingStatus::Serving).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let health = HealthServer::with_interceptor(
        HealthService::from_health_reporter(reporter),
        move |request| {
            let Some(&(code, pushback)) = script.get(counted.fetch_add(1, Ordering::SeqCst)) else {
                return Ok(request);
            };
            let mut status = Status::new(code, "scripted refusal");
            if let Some(ms) = pushback {
                status.metadata_mut().insert("grpc-retry-pushback-ms", ms.parse().unwrap());
            }
            Err(status)
        },
    );
    let server = Server::builder().add_service(health);
    tokio::spawn(server.serve_with_incoming(TcpIncoming::from(listener)));
    (url, calls)
}

/// A request whose encoded message is in memory: `Clone`, so every attempt sends a copy.
type Buffered = http::Request<Full<Bytes>>;
type Reply = http::Response<tonic::body::Body>;

/// Reads the request's body, the encoded message, into memory once.
async fn buffer(request: http::Request<tonic::body::Body>) -> Result<Buffered, Status> {
    let (parts, body) = request.into_parts();
    let message = body.collect().await?.to_bytes();
    Ok(http::Request::from_parts(parts, Full::new(message)))
}

/// Turns a copy of the buffer back into the body the channel sends.
fn unbuffer(request: Buffered) -> http::Request<tonic::body::Body> {
    request.map(tonic::body::Body::new)
}

fn policy() -> Policy<Fixed, Failure<Reply, tonic::transport::Error>> {
    Policy::new(Fixed::new(Duration::from_millis(100)).max_retries(4))
}

/// Asks the server at `url` for [`SERVICE`]'s health through the retry layer; returns the
/// answer and the delays slept.
async fn check(url: String, classifier: A6Classifier) -> (Result<ServingStatus, Status>, Slept) {
    let channel: Channel = Endpoint::from_shared(url).unwrap().connect().await.expect("connect");
    let (slept, sleep) = recording();
    let retrying = RetryLayer::new(policy(), classifier)
        .sleep(sleep)
        .layer(ServiceBuilder::new().map_request(unbuffer).service(channel));
    let stack = ServiceBuilder::new().layer(AsyncFilterLayer::new(buffer)).service(retrying);
    let mut client = HealthClient::new(stack);
    let answer = client
        .check(HealthCheckRequest { service: SERVICE.to_owned() })
        .await
        .map(|response| response.into_inner().status());
    (answer, slept)
}

#[tokio::test]
async fn unavailable_is_retried_until_the_health_service_answers() {
    let (url, calls) = serve(&[(Code::Unavailable, None), (Code::Unavailable, None)]).await;

    let (answer, slept) = check(url, A6Classifier::new()).await;

    assert_eq!(answer.expect("the third call is answered"), ServingStatus::Serving);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(*slept.lock().unwrap(), [Duration::from_millis(100); 2]);
}

#[tokio::test]
async fn pushback_sets_the_delay_and_a_negative_one_stops() {
    let script = &[(Code::Unavailable, Some("250")), (Code::Unavailable, Some("-1"))];
    let (url, calls) = serve(script).await;

    let (answer, slept) = check(url, A6Classifier::new()).await;

    let status = answer.expect_err("a negative pushback ends the retry");
    assert_eq!((status.code(), status.message()), (Code::Unavailable, "scripted refusal"));
    assert_eq!(status.metadata().get("grpc-retry-pushback-ms").unwrap(), "-1");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(*slept.lock().unwrap(), [Duration::from_millis(250)]);
}

#[tokio::test]
async fn codes_outside_the_retryable_set_come_back_at_once() {
    let exhausted: &[Refusal] = &[(Code::ResourceExhausted, None)];
    let (url, calls) = serve(exhausted).await;
    let (answer, slept) = check(url, A6Classifier::new()).await;
    assert_eq!(answer.expect_err("not retried").code(), Code::ResourceExhausted);
    assert_eq!((calls.load(Ordering::SeqCst), slept.lock().unwrap().len()), (1, 0));

    let (url, calls) = serve(exhausted).await;
    let classifier = A6Classifier::new().retryable(&[A6Code::ResourceExhausted]);
    let (answer, _) = check(url, classifier).await;
    assert_eq!(answer.expect("retried once"), ServingStatus::Serving);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_last_refusal_comes_back_when_the_retries_run_out() {
    let (url, calls) = serve(&[(Code::Unavailable, None); 6]).await;

    let (answer, slept) = check(url, A6Classifier::new()).await;

    assert_eq!(answer.expect_err("five refusals").code(), Code::Unavailable);
    // `max_retries(4)`: five attempts, four sleeps.
    assert_eq!((calls.load(Ordering::SeqCst), slept.lock().unwrap().len()), (5, 4));
}
