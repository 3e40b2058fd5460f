//! A [reqwest-middleware] middleware that retries requests under a [`Policy`]:
//! [`RetryMiddleware`].
//!
//! ```
//! use persevere::integrations::reqwest::RetryMiddleware;
//! use std::time::Duration;
//!
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(
//!         RetryMiddleware::default()
//!             .name("rates_api")
//!             .attempt_timeout(Duration::from_secs(2))
//!             .max_elapsed(Duration::from_secs(10)),
//!     )
//!     .build();
//! # drop(client);
//! ```
//!
//! What it does with each request:
//!
//! * It retries only requests that may be sent twice: the idempotent methods (`GET`, `HEAD`,
//!   `OPTIONS`, `PUT`, `DELETE`, `TRACE`), a request carrying an `Idempotency-Key` header, or
//!   any request once [`idempotent_only(false)`](RetryMiddleware::idempotent_only) is set.
//!   Any other request, and one whose body cannot be cloned (a streaming body), is sent
//!   exactly once, still under the breaker and the time limits.
//! * Every answer with a 4xx or 5xx status goes to the policy's `when` as a [`Failure`] (with
//!   the request's method and URL, the status and the headers); what `when` does not retry
//!   comes back as the response it is, so a 404 is an `Ok` response as without the
//!   middleware. The default policy retries 408, 429 and every 5xx but 501 and 505,
//!   timeouts, and connections refused, reset or aborted ([`Failure::verdict`]).
//! * A server's `Retry-After` (seconds, or an HTTP date with persevere's `http-date`
//!   feature) or `x-amz-retry-after` replaces the next delay, capped by the adjust ceiling
//!   (300 s by default) and spread a little later ([`classify::hint_delay`]).
//! * The response carries [`Attempts`] and the retry's [`Report`] in its extensions; a
//!   final error is a [`RetryError`] (inside `reqwest_middleware::Error::Middleware`), which
//!   carries them too.
//!
//! Time is kept with the retry's own sleep (a `futures-timer` delay unless
//! [`sleep`](RetryMiddleware::sleep) replaces it): the middleware needs no runtime.
//!
//! [reqwest-middleware]: https://docs.rs/reqwest-middleware
#![cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]

use std::error::Error as StdError;
use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use http::Extensions;
use reqwest::header::HeaderMap;
use reqwest::{Method, Request, Response, StatusCode, Url};
use reqwest_middleware::{Middleware, Next};

use crate::breaker::{CircuitBreaker, Rejected};
use crate::budget::{RetryBudget, RetryKind};
use crate::classify::{self, HttpFailure};
use crate::{Attempt, Exponential, Jittered, Policy, Report, Stop};

/// A sleep as the middleware keeps it: shared by every request, each sleep a boxed future.
type SleepFn = dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// How many times the middleware sent a request: in the extensions of the response it
/// returns, and in a [`RetryError`].
///
/// ```no_run
/// use persevere::integrations::reqwest::{Attempts, RetryMiddleware};
///
/// # async fn run() -> Result<(), reqwest_middleware::Error> {
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(RetryMiddleware::default())
///     .build();
/// let response = client.get("http://127.0.0.1:8080/quote").send().await?;
/// let attempts = response.extensions().get::<Attempts>().map_or(1, |a| a.0);
/// println!("{} after {attempts} attempt(s)", response.status());
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attempts(pub u32);

/// One failed attempt, as the policy's hooks see it: the request's method and URL, and
/// either a response with an error status, or an error before a response came back.
///
/// It implements [`HttpFailure`], so [`Policy::http`] and [`classify::server_hint`] read it
/// as they are; [`verdict`](Failure::verdict) is the middleware's default `when`.
///
/// ```
/// use persevere::integrations::reqwest::{Failure, RetryMiddleware};
/// use persevere::Policy;
///
/// // Retry the default set, and also a 409 from the orders endpoint.
/// let policy = Policy::http().when(|f: &Failure| {
///     let conflict = f.status().map(|s| s.as_u16()) == Some(409) && f.url().path().starts_with("/orders");
///     if conflict { Ok(persevere::budget::RetryKind::Normal) } else { f.verdict() }
/// });
/// let middleware = RetryMiddleware::new(policy);
/// # drop(middleware);
/// ```
#[derive(Debug)]
pub struct Failure {
    method: Method,
    url: Url,
    kind: Kind,
}

/// What went wrong in one attempt.
#[derive(Debug)]
enum Kind {
    /// A response came back, with a 4xx or 5xx status.
    Status(Response),
    /// The request failed before a response came back.
    Error(reqwest_middleware::Error),
    /// The attempt ran out of time (attempt timeout or `max_elapsed`).
    TimedOut(Duration),
    /// The circuit breaker refused the call.
    Rejected(Rejected),
}

impl Failure {
    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The response's status, if one came back.
    pub fn status(&self) -> Option<StatusCode> {
        self.response().map(Response::status)
    }

    /// The response's headers, if one came back.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.response().map(Response::headers)
    }

    /// The response, if one came back (its body not yet read).
    pub fn response(&self) -> Option<&Response> {
        match &self.kind {
            Kind::Status(response) => Some(response),
            _ => None,
        }
    }

    /// The error of a request that got no response, if that is what happened.
    pub fn error(&self) -> Option<&reqwest_middleware::Error> {
        match &self.kind {
            Kind::Error(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the attempt timed out: reqwest's own timeout, or the middleware's attempt
    /// timeout or `max_elapsed`.
    pub fn is_timeout(&self) -> bool {
        match &self.kind {
            Kind::TimedOut(_) => true,
            Kind::Error(reqwest_middleware::Error::Reqwest(e)) => e.is_timeout(),
            _ => false,
        }
    }

    /// Whether the circuit breaker refused the call (nothing was sent).
    pub fn is_breaker_rejection(&self) -> bool {
        matches!(self.kind, Kind::Rejected(_))
    }

    /// Whether the connection was refused, reset or aborted: the first
    /// [`io::Error`] in the error's `source()` chain is one
    /// [`classify::is_transient_io`] accepts. Other connect errors (a DNS failure, a bad
    /// certificate) are not.
    pub fn is_transient_connection(&self) -> bool {
        let Some(error) = self.error() else { return false };
        let mut next: Option<&(dyn StdError + 'static)> = match error {
            reqwest_middleware::Error::Reqwest(e) => Some(e),
            reqwest_middleware::Error::Middleware(e) => Some(e.as_ref()),
        };
        while let Some(e) = next {
            if let Some(io) = e.downcast_ref::<io::Error>() {
                return classify::is_transient_io(io);
            }
            next = e.source();
        }
        false
    }

    /// The middleware's default `when`: retry 429 (as throttling), 408 and every other 5xx
    /// but 501 and 505 ([`classify::is_retryable_status`]), timeouts (as timeouts, which some
    /// budgets charge more for) and refused, reset or aborted connections; stop with
    /// [`Stop::BreakerOpen`] when the breaker refused the call; anything else is not
    /// retried.
    ///
    /// ```
    /// use persevere::integrations::reqwest::{Failure, RetryMiddleware};
    /// use persevere::Policy;
    ///
    /// // The default middleware's policy, with a schedule of your own.
    /// let policy = Policy::http().when(Failure::verdict).schedule(persevere::Fixed::new(std::time::Duration::from_millis(250)).max_retries(3));
    /// let middleware = RetryMiddleware::new(policy);
    /// # drop(middleware);
    /// ```
    pub fn verdict(&self) -> Result<RetryKind, Stop> {
        match &self.kind {
            Kind::Rejected(_) => Err(Stop::BreakerOpen),
            Kind::Status(response) => match response.status().as_u16() {
                429 => Ok(RetryKind::Throttled),
                status if classify::is_retryable_status(status) => Ok(RetryKind::Normal),
                _ => Err(Stop::NotRetryable),
            },
            _ if self.is_timeout() => Ok(RetryKind::Timeout),
            _ if self.is_transient_connection() => Ok(RetryKind::Normal),
            _ => Err(Stop::NotRetryable),
        }
    }

    /// Whether a circuit breaker should count this attempt as a failure of the server: a
    /// 5xx, a timeout or a failed connection, not a 4xx.
    fn counts_against_server(&self) -> bool {
        match &self.kind {
            Kind::Status(response) => response.status().is_server_error(),
            Kind::Rejected(_) => false,
            Kind::Error(_) | Kind::TimedOut(_) => true,
        }
    }
}

impl HttpFailure for Failure {
    fn status(&self) -> Option<u16> {
        Failure::status(self).map(|s| s.as_u16())
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers()?.get(name).map(|v| v.as_bytes())
    }

    fn transient_without_response(&self) -> bool {
        !self.is_breaker_rejection() && (self.is_timeout() || self.is_transient_connection())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (method, url) = (&self.method, &self.url);
        match &self.kind {
            Kind::Status(response) => write!(f, "{method} {url}: HTTP {}", response.status()),
            Kind::Error(error) => {
                write!(f, "{method} {url}: {error}")?;
                // reqwest's message leaves out the cause ("connection refused"): show the
                // innermost one.
                let mut cause = error.source();
                let mut root = None;
                while let Some(e) = cause {
                    root = Some(e);
                    cause = e.source();
                }
                match root {
                    Some(root) => write!(f, ": {root}"),
                    None => Ok(()),
                }
            }
            Kind::TimedOut(limit) => write!(f, "{method} {url}: no response within {limit:?}"),
            Kind::Rejected(rejected) => write!(f, "{method} {url}: {rejected}"),
        }
    }
}

/// An attempt that ran out of time: the source of a [`RetryError`] whose last attempt was
/// cut by the attempt timeout or `max_elapsed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedOut {
    /// How long the attempt was allowed.
    pub limit: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no response within {:?}", self.limit)
    }
}

impl StdError for TimedOut {}

/// The error the middleware returns when no response came back: the last attempt's error,
/// with how the retry went. It reaches the caller as
/// `reqwest_middleware::Error::Middleware`; [`RetryError::of`] finds it there.
///
/// The last error is [`source`](StdError::source): a `reqwest_middleware::Error` (the
/// client's error, or an inner middleware's), or, as its `Middleware` variant, [`TimedOut`]
/// or the breaker's [`Rejected`] ([`is_timeout`](RetryError::is_timeout) and
/// [`is_breaker_rejection`](RetryError::is_breaker_rejection) tell them apart).
///
/// ```no_run
/// use persevere::integrations::reqwest::{RetryError, RetryMiddleware};
///
/// # async fn run() {
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(RetryMiddleware::default())
///     .build();
/// if let Err(error) = client.get("http://127.0.0.1:9/nobody-listens").send().await {
///     let retry = RetryError::of(&error).expect("the middleware's error");
///     println!("gave up after {} attempts: {}", retry.attempts(), retry.last_error());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct RetryError {
    name: Option<&'static str>,
    method: Method,
    url: Url,
    report: Report,
    error: reqwest_middleware::Error,
}

impl RetryError {
    /// The `RetryError` inside `error`, if the middleware made it.
    pub fn of(error: &reqwest_middleware::Error) -> Option<&RetryError> {
        match error {
            reqwest_middleware::Error::Middleware(e) => e.downcast_ref(),
            reqwest_middleware::Error::Reqwest(_) => None,
        }
    }

    /// How many times the request was sent (at least 1; a call the breaker refused counts
    /// as an attempt that sent nothing).
    pub fn attempts(&self) -> u32 {
        self.report.attempts
    }

    /// How the retry went: attempts, time slept, and why it stopped.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The last attempt's error.
    pub fn last_error(&self) -> &reqwest_middleware::Error {
        &self.error
    }

    /// Whether the last attempt timed out: reqwest's own timeout, or the middleware's
    /// attempt timeout or `max_elapsed` ([`TimedOut`]).
    pub fn is_timeout(&self) -> bool {
        match &self.error {
            reqwest_middleware::Error::Reqwest(e) => e.is_timeout(),
            reqwest_middleware::Error::Middleware(e) => e.is::<TimedOut>(),
        }
    }

    /// Whether the circuit breaker refused the last attempt ([`Rejected`]).
    pub fn is_breaker_rejection(&self) -> bool {
        matches!(&self.error, reqwest_middleware::Error::Middleware(e) if e.is::<Rejected>())
    }

    /// The last attempt's error, owned.
    pub fn into_last_error(self) -> reqwest_middleware::Error {
        self.error
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's URL.
    pub fn url(&self) -> &Url {
        &self.url
    }
}

impl fmt::Display for RetryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.name {
            write!(f, "{name}: ")?;
        }
        let Report { attempts, stop, .. } = self.report;
        let s = if attempts == 1 { "" } else { "s" };
        write!(f, "{} {}: {attempts} attempt{s} ({stop})", self.method, self.url)
    }
}

impl StdError for RetryError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.error)
    }
}

/// A reqwest-middleware [`Middleware`] that retries requests under a [`Policy`] of
/// [`Failure`]s; see the [module docs](self) for what it retries and reports.
///
/// ```
/// use persevere::budget::RetryBudget;
/// use persevere::breaker::CircuitBreaker;
/// use persevere::integrations::reqwest::{Failure, RetryMiddleware};
/// use persevere::{Exponential, Policy};
/// use std::{sync::Arc, time::Duration};
///
/// let budget = RetryBudget::aws_standard();
/// let breaker = Arc::new(CircuitBreaker::new());
/// let retry = RetryMiddleware::new(
///     Policy::http()
///         .when(Failure::verdict)
///         .schedule(Exponential::new(Duration::from_millis(50)).max_retries(3)),
/// )
/// .name("inventory_api")
/// .budget(&budget)
/// .breaker(breaker)
/// .attempt_timeout(Duration::from_secs(1))
/// .max_elapsed(Duration::from_secs(5));
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new()).with(retry).build();
/// # drop(client);
/// ```
pub struct RetryMiddleware<S = Jittered<Exponential>> {
    policy: Policy<S, Failure>,
    name: Option<&'static str>,
    idempotent_only: bool,
    breaker: Option<Arc<CircuitBreaker>>,
    attempt_timeout: Option<Duration>,
    max_elapsed: Option<Duration>,
    sleep: Option<Arc<SleepFn>>,
}

impl Default for RetryMiddleware<Jittered<Exponential>> {
    /// [`Policy::http`] with [`Failure::verdict`] as its `when`: 100 ms doubling, 5 retries,
    /// full jitter, server hints honoured, idempotent requests only.
    fn default() -> Self {
        RetryMiddleware::new(Policy::http().when(Failure::verdict))
    }
}

impl<S> RetryMiddleware<S> {
    /// A middleware that retries under `policy`: its schedule, hooks and limits.
    ///
    /// Set the name and `max_elapsed` here rather than on the policy: a request sent only
    /// once (not idempotent, or a streaming body) is still cut at `max_elapsed`, and the
    /// name labels the [`RetryError`] (the attempt timeout and the breaker exist only here).
    /// Such a request does not go through the policy: it spends no budget, and its log
    /// line is a `debug!`. [`Policy::http`] works as it is; add `.when(Failure::verdict)`
    /// to stop at once when a breaker refuses a call.
    ///
    /// ```
    /// use persevere::integrations::reqwest::RetryMiddleware;
    /// use persevere::Policy;
    ///
    /// let middleware = RetryMiddleware::new(Policy::http().adjust_ceiling(std::time::Duration::from_secs(30)));
    /// # drop(middleware);
    /// ```
    pub fn new(policy: Policy<S, Failure>) -> Self {
        RetryMiddleware {
            policy,
            name: None,
            idempotent_only: true,
            breaker: None,
            attempt_timeout: None,
            max_elapsed: None,
            sleep: None,
        }
    }

    /// Whether to retry only requests that may be sent twice (default `true`): the
    /// idempotent methods, and requests with an `Idempotency-Key` header. With `false`,
    /// every request whose body can be cloned is retried, `POST` and `PATCH` included.
    pub fn idempotent_only(mut self, yes: bool) -> Self {
        self.idempotent_only = yes;
        self
    }

    /// Name the retry: its log lines begin with `name`, its metrics carry it as their
    /// `operation` label, and a [`RetryError`] shows it.
    pub fn name(mut self, name: &'static str) -> Self {
        self.name = Some(name);
        self.policy = self.policy.name(name);
        self
    }

    /// Spend retries from `budget`, shared with everything else that uses it; when it is
    /// spent, the last answer comes back at once.
    pub fn budget(mut self, budget: &RetryBudget) -> Self {
        self.policy = self.policy.budget(budget);
        self
    }

    /// Send every attempt through `breaker`: a 5xx, a timeout or a failed connection counts
    /// as a failure, any other answer as a success. A refused call sends nothing; with
    /// [`Failure::verdict`] as `when` (the default middleware's) it stops the retry
    /// ([`Stop::BreakerOpen`]) with a [`RetryError`] whose last error is the breaker's
    /// [`Rejected`].
    pub fn breaker(mut self, breaker: Arc<CircuitBreaker>) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// End an attempt that has no response after `limit` (headers received; reading the
    /// body is the caller's). The attempt fails with a [`Failure`] whose
    /// [`is_timeout`](Failure::is_timeout) is true, retried by the default `when`.
    pub fn attempt_timeout(mut self, limit: Duration) -> Self {
        self.attempt_timeout = Some(limit);
        self
    }

    /// Give the whole call, attempts and sleeps, at most `limit`: no retry starts whose
    /// delay would pass it, and the attempt in flight is cut when it runs out.
    pub fn max_elapsed(mut self, limit: Duration) -> Self {
        self.max_elapsed = Some(limit);
        self.policy = self.policy.max_elapsed(limit);
        self
    }

    /// Sleep (between attempts, and to time the attempt timeout and `max_elapsed`) with
    /// `sleep` instead of a `futures-timer` delay: `tokio::time::sleep` for tokio's paused
    /// clock, or a recording sleep in tests.
    ///
    /// ```
    /// use persevere::integrations::reqwest::RetryMiddleware;
    ///
    /// let middleware = RetryMiddleware::default().sleep(tokio::time::sleep);
    /// # drop(middleware);
    /// ```
    pub fn sleep<F, Fut>(mut self, sleep: F) -> Self
    where
        F: Fn(Duration) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.sleep = Some(Arc::new(move |d| Box::pin(sleep(d))));
        self
    }

    /// A sleep of `delay` with the configured sleeper.
    fn sleep_for(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        match &self.sleep {
            Some(sleep) => sleep(delay),
            None => Box::pin(crate::future::sleep(delay)),
        }
    }

    /// Whether the request may be sent more than once.
    fn replayable(&self, request: &Request) -> bool {
        !self.idempotent_only
            || is_idempotent(request.method())
            || request.headers().contains_key("idempotency-key")
    }

    /// Sends `request` once, through the breaker, within `limit`.
    async fn attempt(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
        limit: Option<Duration>,
    ) -> Result<Response, Failure> {
        let (method, url) = (request.method().clone(), request.url().clone());
        let permit = match self.breaker.as_deref().map(CircuitBreaker::try_acquire) {
            Some(Err(rejected)) => {
                return Err(Failure { method, url, kind: Kind::Rejected(rejected) });
            }
            Some(Ok(permit)) => Some(permit),
            None => None,
        };
        let sent = next.run(request, extensions);
        let outcome = match limit {
            None => Some(sent.await),
            Some(limit) => {
                let mut sent = pin!(sent);
                let mut timer = self.sleep_for(limit);
                poll_fn(|cx| match sent.as_mut().poll(cx) {
                    Poll::Ready(outcome) => Poll::Ready(Some(outcome)),
                    Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
                })
                .await
            }
        };
        let kind = match outcome {
            Some(Ok(response)) if !is_error_status(response.status()) => {
                if let Some(permit) = permit {
                    permit.success();
                }
                return Ok(response);
            }
            Some(Ok(response)) => Kind::Status(response),
            Some(Err(error)) => Kind::Error(error),
            None => Kind::TimedOut(limit.unwrap_or_default()),
        };
        let failure = Failure { method, url, kind };
        if let Some(permit) = permit {
            if failure.counts_against_server() { permit.failure() } else { permit.success() }
        }
        Err(failure)
    }

    /// The retry of a request that may be sent again: each attempt sends a clone of it, with
    /// a clone of the extensions, which it hands back when it succeeds.
    fn retried<'a>(
        &'a self,
        request: &'a Request,
        base: &'a Extensions,
        next: Next<'a>,
    ) -> impl Future<Output = (Result<(Response, Extensions), Failure>, Report)> + Send + 'a
    where
        S: Clone + IntoIterator<Item = Duration> + Send + Sync,
        S::IntoIter: Send,
    {
        self.policy
            .retry_async_with(move |attempt: Attempt| {
                let next = next.clone();
                let mut own = base.clone();
                let copy = request.try_clone();
                let limit = shorter(self.attempt_timeout, attempt.time_left);
                async move {
                    let Some(copy) = copy else {
                        // Not reached: the body was cloned once above, so it clones again.
                        return Err(Failure {
                            method: request.method().clone(),
                            url: request.url().clone(),
                            kind: Kind::Error(reqwest_middleware::Error::middleware(
                                io::Error::other("the request's body cannot be cloned"),
                            )),
                        });
                    };
                    let response = self.attempt(copy, &mut own, next, limit).await?;
                    Ok((response, own))
                }
            })
            .sleep(move |d| self.sleep_for(d))
            .call_with_report()
    }

    /// Turns the retry's outcome into the middleware's: a response (successful, or the last
    /// one with an error status) carrying the attempt count, or a [`RetryError`].
    fn finish(
        &self,
        outcome: Result<Response, Failure>,
        report: Report,
    ) -> reqwest_middleware::Result<Response> {
        let (method, url, error) = match outcome {
            Ok(response) | Err(Failure { kind: Kind::Status(response), .. }) => {
                return Ok(stamp(response, report));
            }
            Err(Failure { method, url, kind: Kind::Error(error) }) => (method, url, error),
            Err(Failure { method, url, kind: Kind::TimedOut(limit) }) => {
                (method, url, reqwest_middleware::Error::middleware(TimedOut { limit }))
            }
            Err(Failure { method, url, kind: Kind::Rejected(rejected) }) => {
                (method, url, reqwest_middleware::Error::middleware(rejected))
            }
        };
        Err(reqwest_middleware::Error::middleware(RetryError {
            name: self.name,
            method,
            url,
            report,
            error,
        }))
    }
}

/// Puts the attempt count and the report into the response's extensions.
fn stamp(mut response: Response, report: Report) -> Response {
    response.extensions_mut().insert(Attempts(report.attempts));
    response.extensions_mut().insert(report);
    response
}

/// The statuses that go to the policy as failures: 4xx and 5xx.
fn is_error_status(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

/// The methods RFC 9110 defines as idempotent.
fn is_idempotent(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::OPTIONS, Method::PUT, Method::DELETE, Method::TRACE]
        .contains(method)
}

/// The shorter of two optional limits.
fn shorter(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[async_trait::async_trait]
impl<S> Middleware for RetryMiddleware<S>
where
    S: Clone + IntoIterator<Item = Duration> + Send + Sync + 'static,
    S::IntoIter: Send,
{
    async fn handle(
        &self,
        request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if !self.replayable(&request) || request.try_clone().is_none() {
            // Sent once: not idempotent, or a body that cannot be sent again.
            log::debug!(
                target: "persevere",
                "{}{} {}: sent once, not retried (not idempotent, or its body cannot be cloned)",
                self.name.map(|n| format!("{n}: ")).unwrap_or_default(),
                request.method(),
                request.url()
            );
            let limit = shorter(self.attempt_timeout, self.max_elapsed);
            let outcome = self.attempt(request, extensions, next, limit).await;
            let stop = if outcome.is_ok() { Stop::Succeeded } else { Stop::NotRetryable };
            return self.finish(outcome, Report { attempts: 1, slept: Duration::ZERO, stop });
        }
        let (outcome, report) = self.retried(&request, extensions, next).await;
        let outcome = outcome.map(|(response, own)| {
            *extensions = own;
            response
        });
        self.finish(outcome, report)
    }
}

impl<S: fmt::Debug> fmt::Debug for RetryMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryMiddleware")
            .field("policy", &self.policy)
            .field("name", &self.name)
            .field("idempotent_only", &self.idempotent_only)
            .field("breaker", &self.breaker)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("max_elapsed", &self.max_elapsed)
            .field("sleep", &self.sleep.as_ref().map(|_| "custom"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotent_methods() {
        for method in ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"] {
            assert!(is_idempotent(&method.parse().unwrap()), "{method}");
        }
        for method in ["POST", "PATCH", "CONNECT"] {
            assert!(!is_idempotent(&method.parse().unwrap()), "{method}");
        }
    }

    #[test]
    fn shorter_limit() {
        let s = Duration::from_secs;
        assert_eq!(shorter(Some(s(1)), Some(s(2))), Some(s(1)));
        assert_eq!(shorter(None, Some(s(2))), Some(s(2)));
        assert_eq!(shorter(None, None), None);
    }
}
