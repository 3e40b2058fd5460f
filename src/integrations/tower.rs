//! A tower retry layer: [`RetryLayer`] wraps any [`Service`] in a retry loop driven by a
//! [`Policy`] and a classifier.
//!
//! The policy brings the schedule, the limits (`max_elapsed`, a shared
//! [`RetryBudget`](crate::budget::RetryBudget) in place of tower's own `TpsBudget`, the
//! adjust ceiling), and the `notify`, `on_give_up` and `attempt_timeout` hooks. The
//! classifier looks at each attempt's result, a response or an error, and says what it means
//! ([`Outcome`]): a success, a failure worth another attempt (with the delay the server asked
//! for, if any), or a failure to hand back at once. The layer sets the policy's `when` and
//! `adjust` from the classifier's answers, replacing any set before. For an attempt timeout,
//! use [`Failure::timed_out`] as the policy's timeout error.
//!
//! Nothing here depends on a runtime: the layer sleeps with [`future::sleep`] (a
//! `futures-timer` delay) unless you hand it another sleep with [`RetryLayer::sleep`], such as
//! `tokio::time::sleep`.
//!
//! A request is sent again only as a copy: a `Clone` request is cloned, and
//! [`RetryLayer::clone_request`] copies any other (an `http::Request` with a buffered body,
//! say). When the copy cannot be made, the call fails with [`RetryError::NotCloneable`]
//! rather than quietly going out without retries.
//!
//! Each call's future is boxed (one allocation per call, not per attempt), so that the
//! service's future type can be named: [`ResponseFuture`].
//!
//! ```
//! use persevere::integrations::tower::{HttpStatus, RetryLayer, RetryError};
//! use persevere::{Fixed, Policy};
//! use std::time::Duration;
//! use tower_layer::Layer;
//! use tower_service::Service;
//!
//! // A service that answers 503 twice, then 200.
//! #[derive(Clone, Default)]
//! struct Flaky(std::sync::Arc<std::sync::atomic::AtomicUsize>);
//!
//! impl Service<&'static str> for Flaky {
//!     type Response = http::Response<()>;
//!     type Error = std::io::Error;
//!     type Future = std::future::Ready<Result<http::Response<()>, std::io::Error>>;
//!
//!     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), std::io::Error>> {
//!         std::task::Poll::Ready(Ok(()))
//!     }
//!
//!     fn call(&mut self, _: &'static str) -> Self::Future {
//!         let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
//!         let status = if n < 2 { 503 } else { 200 };
//!         std::future::ready(Ok(http::Response::builder().status(status).body(()).unwrap()))
//!     }
//! }
//!
//! let layer = RetryLayer::new(Policy::new(Fixed::new(Duration::from_millis(1)).max_retries(3)), HttpStatus);
//! let mut service = layer.layer(Flaky::default());
//! # futures::executor::block_on(async {
//! std::future::poll_fn(|cx| service.poll_ready(cx)).await.map_err(RetryError::into_inner)?;
//! let response = service.call("GET /").await.map_err(RetryError::into_inner)?;
//! assert_eq!(response.status(), 200);
//! # Ok::<(), std::io::Error>(()) }).unwrap();
//! ```

use core::convert::Infallible;
use core::fmt;
use std::error::Error;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use tower_layer::Layer;
use tower_service::Service;

use crate::budget::RetryKind;
use crate::classify::{self, DEFAULT_HINT_CAP, HttpFailure};
use crate::{Policy, future};

pub mod grpc;

/// What one attempt's result means to the retry, as a classifier says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A success: hand the result back.
    Success,
    /// A failure worth another attempt; with the delay the server asked for, which then
    /// replaces the schedule's next delay (up to the policy's adjust ceiling).
    Retry(Option<Duration>),
    /// Like [`Retry`](Outcome::Retry), for a server that says it is throttling the client (a
    /// 429): a [`RetryBudget`](crate::budget::RetryBudget) charges the retry as
    /// [`RetryKind::Throttled`].
    Throttled(Option<Duration>),
    /// A failure not worth another attempt: hand the result back at once.
    Fail,
}

/// Says what an attempt's result means: [`Outcome`]. Any
/// `Fn(&Result<Res, Err>) -> Outcome` is one, and so are [`HttpStatus`] and
/// [`grpc::A6Classifier`].
pub trait Classify<Res, Err> {
    /// What `result` means.
    fn classify(&self, result: &Result<Res, Err>) -> Outcome;
}

impl<F, Res, Err> Classify<Res, Err> for F
where
    F: Fn(&Result<Res, Err>) -> Outcome,
{
    #[inline]
    fn classify(&self, result: &Result<Res, Err>) -> Outcome {
        self(result)
    }
}

/// Makes the copy of a request that an attempt sends: [`ByClone`] for a `Clone` request,
/// or any `Fn(&Req) -> Option<Req>`, which returns `None` when it cannot copy the request.
pub trait CloneRequest<Req> {
    /// A copy of `request`, or `None` when it cannot be copied.
    fn clone_request(&self, request: &Req) -> Option<Req>;
}

/// Copies a request with its `Clone` impl: the layer's default.
#[derive(Clone, Copy, Debug, Default)]
pub struct ByClone;

impl<Req: Clone> CloneRequest<Req> for ByClone {
    #[inline]
    fn clone_request(&self, request: &Req) -> Option<Req> {
        Some(request.clone())
    }
}

impl<F, Req> CloneRequest<Req> for F
where
    F: Fn(&Req) -> Option<Req>,
{
    #[inline]
    fn clone_request(&self, request: &Req) -> Option<Req> {
        self(request)
    }
}

/// How the layer sleeps between attempts: any cloneable `FnMut(Duration) -> impl Future<Output
/// = ()>`; each call gets a clone.
pub trait Sleeper: Clone {
    /// The future of one sleep.
    type Sleep: Future<Output = ()>;

    /// Starts a sleep of `delay`.
    fn sleep(&mut self, delay: Duration) -> Self::Sleep;
}

impl<F, Fut> Sleeper for F
where
    F: FnMut(Duration) -> Fut + Clone,
    Fut: Future<Output = ()>,
{
    type Sleep = Fut;

    #[inline]
    fn sleep(&mut self, delay: Duration) -> Fut {
        self(delay)
    }
}

/// The layer's default sleep: [`future::sleep`], a `futures-timer` delay.
pub type DefaultSleep = fn(Duration) -> future::Sleep;

/// A failed attempt, as the policy's hooks (`notify`, `on_give_up`) see it: the response or
/// error the classifier did not call a success, or a request that could not be copied.
pub struct Failure<Res, Err> {
    kind: Kind<Res, Err>,
    outcome: Outcome,
}

enum Kind<Res, Err> {
    Result(Result<Res, Err>),
    NotCloneable,
    TimedOut,
}

impl<Res, Err> Failure<Res, Err> {
    /// An attempt that ran out of time: what the policy's `attempt_timeout` should make, as in
    /// `policy.attempt_timeout(limit, Failure::timed_out)`. It is retried (a budget charges it
    /// as a timeout), and if it is the last attempt the call fails with
    /// [`RetryError::TimedOut`].
    ///
    /// ```
    /// use persevere::integrations::tower::{Failure, HttpStatus, RetryLayer};
    /// use persevere::{Fixed, Policy};
    /// use std::time::Duration;
    ///
    /// let policy: Policy<_, Failure<http::Response<()>, std::io::Error>> =
    ///     Policy::new(Fixed::new(Duration::from_millis(100)).max_retries(3))
    ///         .attempt_timeout(Duration::from_secs(2), Failure::timed_out);
    /// let layer = RetryLayer::new(policy, HttpStatus);
    /// # drop(layer);
    /// ```
    pub fn timed_out() -> Self {
        Failure { kind: Kind::TimedOut, outcome: Outcome::Retry(None) }
    }

    /// The response of the attempt, if the service answered.
    pub fn response(&self) -> Option<&Res> {
        match &self.kind {
            Kind::Result(Ok(response)) => Some(response),
            _ => None,
        }
    }

    /// The service's error, if it failed.
    pub fn error(&self) -> Option<&Err> {
        match &self.kind {
            Kind::Result(Err(error)) => Some(error),
            _ => None,
        }
    }

    /// Whether the attempt did not run because the request could not be copied.
    pub fn is_not_cloneable(&self) -> bool {
        matches!(self.kind, Kind::NotCloneable)
    }

    /// Whether the attempt ran out of the policy's `attempt_timeout`.
    pub fn is_timed_out(&self) -> bool {
        matches!(self.kind, Kind::TimedOut)
    }

    /// What the classifier said: [`Outcome::Retry`] or [`Outcome::Fail`].
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The layer's `when`: retry what the classifier said to retry, of its kind.
    fn retry_kind(&self) -> Option<RetryKind> {
        match self.outcome {
            Outcome::Retry(_) => Some(RetryKind::Normal),
            Outcome::Throttled(_) => Some(RetryKind::Throttled),
            Outcome::Success | Outcome::Fail => None,
        }
    }

    /// The layer's `adjust`: the delay the server asked for.
    fn hint(&self) -> Option<Duration> {
        match self.outcome {
            Outcome::Retry(hint) | Outcome::Throttled(hint) => hint,
            Outcome::Success | Outcome::Fail => None,
        }
    }
}

/// The service's error, or what the classifier said of a response; for the log lines.
impl<Res, Err: fmt::Display> fmt::Display for Failure<Res, Err> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, self.outcome) {
            (Kind::Result(Err(error)), _) => error.fmt(f),
            (Kind::Result(Ok(_)), Outcome::Retry(_)) => f.write_str("retryable response"),
            (Kind::Result(Ok(_)), Outcome::Throttled(_)) => f.write_str("throttled response"),
            (Kind::Result(Ok(_)), _) => f.write_str("response classified as a failure"),
            (Kind::NotCloneable, _) => f.write_str(NOT_CLONEABLE),
            (Kind::TimedOut, _) => f.write_str(TIMED_OUT),
        }
    }
}

impl<Res: fmt::Debug, Err: fmt::Debug> fmt::Debug for Failure<Res, Err> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Failure");
        match &self.kind {
            Kind::Result(Ok(response)) => s.field("response", response),
            Kind::Result(Err(error)) => s.field("error", error),
            Kind::NotCloneable => s.field("not_cloneable", &true),
            Kind::TimedOut => s.field("timed_out", &true),
        };
        s.field("outcome", &self.outcome).finish()
    }
}

const NOT_CLONEABLE: &str = "the request could not be copied for an attempt, so it was not sent";
const TIMED_OUT: &str = "the attempt ran out of its attempt timeout";

/// The error of a [`RetryService`]: the inner service's own, a request that could not be
/// copied, or an attempt that ran out of time.
#[derive(Debug)]
#[non_exhaustive]
pub enum RetryError<E> {
    /// The inner service's error, from the last attempt.
    Inner(E),
    /// The request could not be copied ([`CloneRequest`] returned `None`), so it was not
    /// sent: not at all when this happened before the first attempt, not again when it
    /// happened before a retry (the earlier attempt's result is then dropped).
    NotCloneable,
    /// The last attempt ran out of the policy's `attempt_timeout` (see
    /// [`Failure::timed_out`]).
    TimedOut,
}

impl<E> RetryError<E> {
    /// The inner service's error; the layer's own errors become an `E` through `From`
    /// (`io::Error`, `Box<dyn Error + Send + Sync>` and the like).
    pub fn into_inner(self) -> E
    where
        E: From<RetryError<Infallible>>,
    {
        match self {
            RetryError::Inner(error) => error,
            RetryError::NotCloneable => E::from(RetryError::NotCloneable),
            RetryError::TimedOut => E::from(RetryError::TimedOut),
        }
    }
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryError::Inner(error) => error.fmt(f),
            RetryError::NotCloneable => f.write_str(NOT_CLONEABLE),
            RetryError::TimedOut => f.write_str(TIMED_OUT),
        }
    }
}

/// Its source is `None`: `E` need only be `Debug` and `Display`, so that boxed errors
/// (tower's `BoxError`) fit; match on [`RetryError::Inner`] to reach the inner error.
impl<E: fmt::Debug + fmt::Display> Error for RetryError<E> {}

/// The layer's own errors as an `io::Error` (of kind `TimedOut` for a timeout), for
/// [`RetryError::into_inner`].
impl From<RetryError<Infallible>> for std::io::Error {
    fn from(error: RetryError<Infallible>) -> Self {
        match error {
            RetryError::TimedOut => std::io::Error::new(std::io::ErrorKind::TimedOut, error),
            error => std::io::Error::other(error),
        }
    }
}

/// A [`Layer`] that wraps services in a [`RetryService`].
///
/// `S` is the policy's schedule; `Res` and `Err` are the wrapped service's response and error;
/// `C` the classifier, `Cl` how requests are copied, `Sl` how to sleep.
pub struct RetryLayer<S, Res, Err, C, Cl = ByClone, Sl = DefaultSleep> {
    policy: Arc<Policy<S, Failure<Res, Err>>>,
    classify: Arc<C>,
    clone_request: Arc<Cl>,
    sleep: Sl,
}

impl<S, Res: 'static, Err: 'static, C> RetryLayer<S, Res, Err, C> {
    /// A layer that retries as `policy` says, with the policy's `when` and `adjust` replaced
    /// by `classify`'s answers; requests are copied with `Clone`, sleeps are
    /// [`future::sleep`].
    pub fn new(policy: Policy<S, Failure<Res, Err>>, classify: C) -> Self {
        let policy = policy.when(Failure::retry_kind).adjust(|failure, _| failure.hint());
        RetryLayer {
            policy: Arc::new(policy),
            classify: Arc::new(classify),
            clone_request: Arc::new(ByClone),
            sleep: future::sleep,
        }
    }
}

impl<S, Res, Err, C, Cl, Sl> RetryLayer<S, Res, Err, C, Cl, Sl> {
    /// Copy requests with `clone_request` instead of `Clone`: it returns `None` for a request
    /// it cannot copy (a streamed body, say), and the call then fails with
    /// [`RetryError::NotCloneable`]. The request the caller passed is kept as the original
    /// and never sent itself: every attempt sends a copy.
    pub fn clone_request<Cl2>(self, clone_request: Cl2) -> RetryLayer<S, Res, Err, C, Cl2, Sl> {
        RetryLayer {
            policy: self.policy,
            classify: self.classify,
            clone_request: Arc::new(clone_request),
            sleep: self.sleep,
        }
    }

    /// Sleep between attempts with `sleep` (such as `tokio::time::sleep`, or a recording
    /// sleep in tests) instead of [`future::sleep`].
    pub fn sleep<Sl2: Sleeper>(self, sleep: Sl2) -> RetryLayer<S, Res, Err, C, Cl, Sl2> {
        RetryLayer {
            policy: self.policy,
            classify: self.classify,
            clone_request: self.clone_request,
            sleep,
        }
    }
}

impl<S, Res, Err, C, Cl, Sl: Clone> Clone for RetryLayer<S, Res, Err, C, Cl, Sl> {
    fn clone(&self) -> Self {
        RetryLayer {
            policy: Arc::clone(&self.policy),
            classify: Arc::clone(&self.classify),
            clone_request: Arc::clone(&self.clone_request),
            sleep: self.sleep.clone(),
        }
    }
}

impl<S: fmt::Debug, Res, Err, C, Cl, Sl> fmt::Debug for RetryLayer<S, Res, Err, C, Cl, Sl> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryLayer").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl<Svc, S, Res, Err, C, Cl, Sl: Clone> Layer<Svc> for RetryLayer<S, Res, Err, C, Cl, Sl> {
    type Service = RetryService<Svc, S, Res, Err, C, Cl, Sl>;

    fn layer(&self, inner: Svc) -> Self::Service {
        RetryService { inner, layer: self.clone() }
    }
}

/// A [`Service`] that retries the calls of the service it wraps; made by [`RetryLayer`].
///
/// `poll_ready` asks the inner service. `call` moves the inner service, ready, into the call's
/// future (keeping a clone, so `Svc` must be `Clone`), and each retry sends a fresh copy of
/// the request through a fresh clone, polled ready first.
///
/// What a call costs beyond the inner service's own work: one boxed future, a few reference
/// count increments, one service clone plus one per retry, and one request copy per attempt.
/// When retrying stops on a response the classifier did not call a success (a 503 after the
/// last retry, a 404), that response comes back as `Ok`, as tower's own retry does; when it
/// stops on an error, the error comes back as [`RetryError::Inner`].
pub struct RetryService<Svc, S, Res, Err, C, Cl = ByClone, Sl = DefaultSleep> {
    inner: Svc,
    layer: RetryLayer<S, Res, Err, C, Cl, Sl>,
}

impl<Svc: Clone, S, Res, Err, C, Cl, Sl: Clone> Clone
    for RetryService<Svc, S, Res, Err, C, Cl, Sl>
{
    fn clone(&self) -> Self {
        RetryService { inner: self.inner.clone(), layer: self.layer.clone() }
    }
}

impl<Svc: fmt::Debug, S: fmt::Debug, Res, Err, C, Cl, Sl> fmt::Debug
    for RetryService<Svc, S, Res, Err, C, Cl, Sl>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryService")
            .field("inner", &self.inner)
            .field("policy", &self.layer.policy)
            .finish_non_exhaustive()
    }
}

/// The future of a [`RetryService`] call: boxed, once per call.
pub type ResponseFuture<Res, Err> =
    Pin<Box<dyn Future<Output = Result<Res, RetryError<Err>>> + Send + 'static>>;

impl<Req, Svc, S, Res, Err, C, Cl, Sl> Service<Req> for RetryService<Svc, S, Res, Err, C, Cl, Sl>
where
    Req: Send + 'static,
    Svc: Service<Req, Response = Res, Error = Err> + Clone + Send + 'static,
    Svc::Future: Send,
    Res: Send + 'static,
    Err: fmt::Display + Send + 'static,
    S: Clone + IntoIterator<Item = Duration> + Send + Sync + 'static,
    S::IntoIter: Send,
    C: Classify<Res, Err> + Send + Sync + 'static,
    Cl: CloneRequest<Req> + Send + Sync + 'static,
    Sl: Sleeper + Send + 'static,
    Sl::Sleep: Send,
{
    type Response = Res;
    type Error = RetryError<Err>;
    type Future = ResponseFuture<Res, Err>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(RetryError::Inner)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // The ready service goes with this call; the clone stays for the next one.
        let fresh = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, fresh);
        let spare = self.inner.clone();
        let RetryLayer { policy, classify, clone_request, sleep } = self.layer.clone();
        Box::pin(async move {
            let Some(first) = clone_request.clone_request(&request) else {
                return Err(RetryError::NotCloneable);
            };
            let (classify, clone_request) = (&*classify, &*clone_request);
            let mut first = Some((first, ready));
            let op = move || {
                let (copy, service) = match first.take() {
                    Some((copy, ready)) => (Some(copy), ready),
                    None => (clone_request.clone_request(&request), spare.clone()),
                };
                attempt(service, copy, classify)
            };
            let mut sleep = sleep;
            let outcome = policy.retry_async(op).sleep(move |d| sleep.sleep(d)).call().await;
            match outcome {
                Ok(result) => result.map_err(RetryError::Inner),
                Err(Failure { kind: Kind::Result(result), .. }) => {
                    result.map_err(RetryError::Inner)
                }
                Err(Failure { kind: Kind::NotCloneable, .. }) => Err(RetryError::NotCloneable),
                Err(Failure { kind: Kind::TimedOut, .. }) => Err(RetryError::TimedOut),
            }
        })
    }
}

/// One attempt: `request` through `service` once it is ready, classified.
async fn attempt<Req, Svc, C>(
    mut service: Svc,
    request: Option<Req>,
    classify: &C,
) -> Result<Result<Svc::Response, Svc::Error>, Failure<Svc::Response, Svc::Error>>
where
    Svc: Service<Req>,
    C: Classify<Svc::Response, Svc::Error>,
{
    let Some(request) = request else {
        return Err(Failure { kind: Kind::NotCloneable, outcome: Outcome::Fail });
    };
    let result = match poll_fn(|cx| service.poll_ready(cx)).await {
        Ok(()) => service.call(request).await,
        Err(error) => Err(error),
    };
    match classify.classify(&result) {
        Outcome::Success => Ok(result),
        outcome => Err(Failure { kind: Kind::Result(result), outcome }),
    }
}

/// A classifier for HTTP responses (`http::Response`): the statuses of
/// [`classify::is_retryable_status`] are retried after the server's hint
/// ([`classify::server_hint`], spread by [`classify::hint_delay`]) or the schedule's delay,
/// a 429 as [`Outcome::Throttled`]; every other response is a success, as the caller decides what a 404 means. An error
/// (no response) is retried.
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpStatus;

impl<B, E> Classify<http::Response<B>, E> for HttpStatus {
    fn classify(&self, result: &Result<http::Response<B>, E>) -> Outcome {
        match result {
            Err(_) => Outcome::Retry(None),
            Ok(response) if classify::is_retryable_status(response.status().as_u16()) => {
                let hint = classify::server_hint(&Headers(response.headers()), SystemTime::now())
                    .map(|asked| classify::hint_delay(asked, DEFAULT_HINT_CAP));
                if response.status() == http::StatusCode::TOO_MANY_REQUESTS {
                    Outcome::Throttled(hint)
                } else {
                    Outcome::Retry(hint)
                }
            }
            Ok(_) => Outcome::Success,
        }
    }
}

/// A response's headers, for [`classify::server_hint`].
struct Headers<'a>(&'a http::HeaderMap);

impl HttpFailure for Headers<'_> {
    fn status(&self) -> Option<u16> {
        None
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.get(name).map(http::HeaderValue::as_bytes)
    }
}
