//! The user guide: persevere for people who know another retry library, and recipes for
//! the situations our users meet most.
//!
//! This module holds no code. Every example below is a doctest that runs against an
//! in-memory stand-in for the service it calls. Where a recipe's delays are seconds long, a
//! hidden line swaps the sleep for a no-op (see [`blocking::Retry::sleep`]), and where a
//! time limit decides the outcome, the clock for a [`ManualClock`]; the tokio examples run
//! on a runtime whose clock is paused, which jumps ahead whenever every task waits. So the
//! whole guide runs in a moment with `cargo test --doc guide`.
//!
//! * [Coming from another library](#coming-from-another-library): [tenacity](#tenacity-python)
//!   and [your own decorators and presets](#your-own-decorators-and-presets),
//!   [Polly](#polly-net), [cenkalti/backoff](#cenkaltibackoff-go), [`backon`](#backon),
//!   [`backoff`](#backoff-rust), [`tokio-retry`](#tokio-retry).
//! * [Recipes](#recipes): [a database connection](#a-database-connection),
//!   [publishing to a message broker](#publishing-to-a-message-broker),
//!   [an HTTP API with 429, 5xx and `Retry-After`](#an-http-api-with-429-5xx-and-retry-after),
//!   [a file upload](#a-file-upload), [a payment](#a-payment), [a cache read](#a-cache-read),
//!   [a retry in a spawned task](#a-retry-in-a-spawned-task),
//!   [a background loop that must never die](#a-background-loop-that-must-never-die),
//!   [retry, circuit breaker and budget together](#retry-circuit-breaker-and-budget-together).
//!
//! # Coming from another library
//!
//! Three ideas cover most of what other libraries spread over many options:
//!
//! * A **schedule** is an iterator of delays: [`Exponential`], [`Fixed`], [`Fibonacci`], or
//!   any `IntoIterator<Item = Duration>`. `n` delays allow `n + 1` attempts, and a schedule
//!   ends after [`DEFAULT_MAX_RETRIES`] (3) delays unless you say otherwise.
//! * An **adapter** runs the operation: [`blocking::retry`] on a thread, [`future::retry`]
//!   under any executor. Both take the same settings ([`when`], [`notify`], [`adjust`],
//!   [`max_elapsed`], [`on_give_up`], [`budget`], [`name`], [`log_level`]; the async one
//!   also [`attempt_timeout`]) and return the operation's own error.
//! * A [`Policy`] is a schedule plus settings, kept once and applied at many call sites; its
//!   type names only the schedule and the error, so it fits a struct field or a `static`.
//!   Two come ready-made: [`Policy::network`] for `io::Error`s and [`Policy::http`] for
//!   HTTP calls.
//!
//! A retry loop written by hand is a `for` loop over a schedule; that is what tenacity's
//! `for attempt in Retrying(...)` and Go's `backoff.NewTicker` become:
//!
//! ```
//! use persevere::Fixed;
//! use std::{io, time::Duration};
//!
//! # let mut refusals = 1;
//! # let mut connect = || -> io::Result<&'static str> {
//! #     if refusals > 0 { refusals -= 1; Err(io::ErrorKind::ConnectionRefused.into()) } else { Ok("connected") }
//! # };
//! // Python: for attempt in Retrying(stop=stop_after_attempt(3), wait=wait_fixed(0.01)):
//! //             with attempt: connect()
//! let mut delays = Fixed::new(Duration::from_millis(10)).max_retries(2);
//! let connection = loop {
//!     match connect() {
//!         Ok(c) => break Ok(c),
//!         Err(e) => match delays.next() {
//!             Some(delay) => std::thread::sleep(delay),
//!             None => break Err(e),
//!         },
//!     }
//! };
//! assert_eq!(connection?, "connected");
//! # Ok::<(), io::Error>(())
//! ```
//!
//! ## tenacity (Python)
//!
//! A decorated function becomes a call to an adapter; the decorator's keyword arguments
//! become the schedule's setters and the retry's:
//!
//! ```
//! use persevere::{blocking, Exponential, Jitter};
//! use std::{io, time::Duration};
//!
//! # let mut replies = vec![Ok("body"), Err(io::Error::from(io::ErrorKind::ConnectionReset))];
//! # let mut fetch = || replies.pop().unwrap();
//! // @retry(stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=0.5, max=30),
//! //        retry=retry_if_exception_type(ConnectionError), reraise=True)
//! let schedule = Exponential::new(Duration::from_millis(500))
//!     .max_delay(Duration::from_secs(30))
//!     .jitter(Jitter::Full)
//!     .max_retries(4); // 4 waits between 5 attempts
//! let body = blocking::retry(schedule, || fetch())
//!     .when(persevere::classify::is_transient_io)
//! #   .sleep(|_| {})
//!     .call()?;
//! assert_eq!(body, "body");
//! # Ok::<(), io::Error>(())
//! ```
//!
//! | tenacity | persevere |
//! |---|---|
//! | `@retry` with no arguments: forever, no wait | a schedule always has an end: [`max_retries`] (3 by default), or [`forever`] by name |
//! | `stop=stop_after_attempt(n)` | `.max_retries(n - 1)` on the schedule: it counts waits, not attempts |
//! | `stop=stop_after_delay(s)` | [`max_elapsed`]`(limit)`; it stops *before* a wait that would end past the limit, where tenacity checks after an attempt |
//! | `stop_after_attempt(n) \| stop_after_delay(s)` | set both; the first limit reached stops the retry |
//! | `wait=wait_fixed(s)` | [`Fixed::new`]`(d)` |
//! | `wait=wait_exponential(multiplier=m, max=b)` | [`Exponential::new`]`(m).max_delay(b)`; the first wait is `m`, then `2m`, `4m`… (`min` has no twin: start the schedule there) |
//! | `wait=wait_random_exponential(multiplier=m, max=b)` | the same with [`.jitter(Jitter::Full)`](crate::Jitter::Full): each wait is uniform in `[0, step]` |
//! | `wait_fixed(1) + wait_random(0, 2)` | a schedule is an iterator: `.map(\|d\| d + extra())` |
//! | `retry=retry_if_exception_type(T)` | [`.when(\|e\| ..)`][`when`]: match on your error's variant, or use [`is_transient_io`] |
//! | `retry=retry_if_result(pred)` | return `Err` from the operation for the results to retry |
//! | `before_sleep=before_sleep_log(log, WARNING)` | built in: a `warn!` per failed attempt, target `persevere` ("attempt 2/4 failed: …; retrying in 200ms"); [`notify`] for your own |
//! | the function's name in `before_sleep_log`'s line | [`name`]`("charge_card")`: every line of the retry begins with it ("charge_card: attempt 2/4 failed: …") |
//! | `before_sleep_log(log, ERROR)` | [`log_level`]`(log::Level::Error)`, the level of the per-attempt lines |
//! | `retry_error_callback=f` | [`on_give_up`]`(\|e, report\| ..)` for a side effect, with the [`Report`] (attempts, time slept, and why it stopped); `.call().or_else(\|e\| ..)` for a fallback value. It also runs for an error that was never retried, which tenacity re-raises without calling back: `report.stop` is then [`Stop::NotRetryable`] |
//! | `asyncio.wait_for(call(), timeout)` inside the retried function | async: [`attempt_timeout`]`(limit, \|\| MyError::TimedOut)` drops an attempt at the limit and fails it with your error, which `when` then judges like any other |
//! | your own `with_network_retry`, `with_api_retry` decorators, a dict of presets | [`Policy::network`], [`Policy::http`], and policies in a struct: [below](#your-own-decorators-and-presets) |
//! | `reraise=True` | always: the operation's own error comes back, never a wrapper like `RetryError` |
//! | `retry_state.attempt_number`, `statistics` | [`retry_with`] hands the operation its [`Attempt`]; [`call_with_report`] returns a [`Report`] |
//! | a `Retrying(...)` object reused across calls | a [`Policy`] |
//! | `@retry` on an `async def`, `AsyncRetrying` | [`future::retry`] |
//!
//! ### Your own decorators and presets
//!
//! Projects often wrap tenacity in decorators of their own, one per kind of call, or keep a
//! dict of preset arguments. The two commonest decorators have ready-made policies, on the
//! schedule such decorators use: 100 ms doubling, full jitter, 5 retries (at most 6
//! attempts, each wait at most 0.1, 0.2, 0.4, 0.8 and 1.6 s).
//!
//! | your decorator | persevere |
//! |---|---|
//! | `with_network_retry`: connection errors and timeouts | [`Policy::network`]: the `io::Error`s a fresh attempt can cure ([`is_transient_io`]: refused, reset or aborted connections, timeouts, unreachable networks…) |
//! | `with_api_retry`: 5xx answers | [`Policy::http`], for an error type that implements [`HttpFailure`]: 408, 429 and every 5xx but 501 and 505, and failures before a response; a server's `Retry-After`, `x-amz-retry-after` or `X-RateLimit-Reset` replaces the wait, up to 5 minutes |
//!
//! ```python
//! def with_network_retry(fn):
//!     return retry(retry=retry_if_exception_type((ConnectionError, TimeoutError)),
//!                  wait=wait_random_exponential(multiplier=0.1, max=10),
//!                  stop=stop_after_attempt(6), reraise=True)(fn)
//!
//! def with_api_retry(fn):
//!     return retry(retry=retry_if_exception(lambda e: e.response.status_code >= 500),
//!                  wait=wait_random_exponential(multiplier=0.1, max=10),
//!                  stop=stop_after_attempt(6), reraise=True)(fn)
//! ```
//!
//! A decorator is written once and named on each function it wraps; a policy is kept once,
//! in a `static` or a field of your client, and named at each call:
//!
//! ```
//! use persevere::classify::HttpFailure;
//! use persevere::{Exponential, Jittered, Policy};
//! use std::{io, sync::LazyLock};
//!
//! #[derive(Debug)]
//! struct ApiError { status: u16, retry_after: Option<String> }
//!
//! impl HttpFailure for ApiError {
//!     fn status(&self) -> Option<u16> {
//!         Some(self.status)
//!     }
//!     fn header(&self, name: &str) -> Option<&[u8]> {
//!         (name == "retry-after").then_some(self.retry_after.as_deref()?.as_bytes())
//!     }
//! }
//! # impl std::fmt::Display for ApiError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "HTTP {}", self.status) }
//! # }
//!
//! static NETWORK: LazyLock<Policy<Jittered<Exponential>, io::Error>> = LazyLock::new(Policy::network);
//! static API: LazyLock<Policy<Jittered<Exponential>, ApiError>> = LazyLock::new(Policy::http);
//!
//! # let mut reads = vec![Ok("debug = false"), Err(io::Error::from(io::ErrorKind::TimedOut))];
//! # let mut read_config = || reads.pop().unwrap();
//! # let mut answers = vec![Ok(1.08), Err(ApiError { status: 502, retry_after: None })];
//! # let mut get_rate = || answers.pop().unwrap();
//! // @with_network_retry
//! // def read_config(): ...
//! let config = NETWORK
//!     .retry(|| read_config())
//! #   .sleep(|_| {})
//!     .call();
//! assert_eq!(config.unwrap(), "debug = false"); // after a timeout
//!
//! // @with_api_retry
//! // def get_rate(): ...
//! let rate = API
//!     .retry(|| get_rate())
//! #   .sleep(|_| {})
//!     .call();
//! assert_eq!(rate.unwrap(), 1.08); // after a 502
//!
//! // A 404 is an answer, not a failure: returned at once.
//! let missing = API.retry(|| Err::<f64, _>(ApiError { status: 404, retry_after: None })).call();
//! assert_eq!(missing.unwrap_err().status, 404);
//! ```
//!
//! A dict of presets becomes a struct of policies, each a ready-made one with adjustments.
//! A preset's schedule is fixed; for longer waits, start from [`Policy::new`] with your
//! schedule and the preset's hooks (for [`Policy::http`] they are written out in
//! [a file upload](#a-file-upload)).
//!
//! ```python
//! RETRY_PRESETS = {
//!     "api": dict(retry=retry_if_exception(is_server_error), stop=stop_after_attempt(6),
//!                 wait=wait_random_exponential(multiplier=0.1, max=10)),
//!     "database": dict(retry=retry_if_exception_type(OperationalError),
//!                      stop=stop_after_attempt(6),
//!                      wait=wait_random_exponential(multiplier=0.1, max=10),
//!                      before_sleep=before_sleep_log(log, logging.ERROR)),
//!     "file_upload": dict(retry=retry_if_exception_type((ConnectionError, TimeoutError)),
//!                         stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=5)),
//! }
//! ```
//!
//! ```
//! use persevere::{classify, Exponential, Jitter, Jittered, Policy};
//! use std::{io, time::Duration};
//! # use persevere::classify::HttpFailure;
//! # #[derive(Debug)]
//! # struct ApiError(u16);
//! # impl HttpFailure for ApiError {
//! #     fn status(&self) -> Option<u16> { Some(self.0) }
//! #     fn header(&self, _: &str) -> Option<&[u8]> { None }
//! # }
//! # impl std::fmt::Display for ApiError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "HTTP {}", self.0) }
//! # }
//!
//! struct RetryPresets {
//!     api: Policy<Jittered<Exponential>, ApiError>,
//!     database: Policy<Jittered<Exponential>, io::Error>,
//!     file_upload: Policy<Jittered<Exponential>, io::Error>,
//! }
//!
//! impl RetryPresets {
//!     fn new() -> Self {
//!         RetryPresets {
//!             api: Policy::http(),
//!             // Each failed attempt at `error!`, its line beginning "orders_db: ".
//!             database: Policy::network().name("orders_db").log_level(log::Level::Error),
//!             // Waits of up to 5, 10, 20 and 40 s between 5 attempts; in async code, an
//!             // attempt that stalls is dropped after 2 minutes and retried as a timeout.
//!             file_upload: Policy::new(
//!                 Exponential::new(Duration::from_secs(5)).jitter(Jitter::Full).max_retries(4),
//!             )
//!             .when(classify::is_transient_io)
//!             .attempt_timeout(Duration::from_secs(120), || io::ErrorKind::TimedOut.into())
//!             .name("file_upload"),
//!         }
//!     }
//! }
//!
//! let presets = RetryPresets::new();
//! # let mut answers = vec![Ok("rates"), Err(ApiError(503))];
//! # let mut rows = vec![Ok(3), Err(io::Error::from(io::ErrorKind::ConnectionReset))];
//! # let stalled = std::cell::Cell::new(false);
//! # let upload = |name: &str| {
//! #     let stall = !stalled.replace(true);
//! #     let receipt = format!("stored {name}");
//! #     async move {
//! #         if stall { std::future::pending::<()>().await }
//! #         Ok::<_, io::Error>(receipt)
//! #     }
//! # };
//! let rates = presets.api.retry(|| answers.pop().unwrap())
//! #   .sleep(|_| {})
//!     .call();
//! assert_eq!(rates.unwrap(), "rates");
//! let orders = presets.database.retry(|| rows.pop().unwrap())
//! #   .sleep(|_| {})
//!     .call();
//! assert_eq!(orders.unwrap(), 3);
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build()?;
//! # runtime.block_on(async {
//! // The first attempt stalls; the second goes through.
//! let receipt = presets.file_upload.retry_async(|| upload("report.pdf"))
//!     .sleep(tokio::time::sleep) // tokio's timer, which times the attempts too
//!     .call()
//!     .await;
//! assert_eq!(receipt.unwrap(), "stored report.pdf");
//! # });
//! # Ok::<(), io::Error>(())
//! ```
//!
//! ## Polly (.NET)
//!
//! | Polly v8 | persevere |
//! |---|---|
//! | `RetryStrategyOptions { MaxRetryAttempts = n }` (3 by default) | [`max_retries`]`(n)` (3 by default); both count the retries after the first call |
//! | `MaxRetryAttempts = int.MaxValue` | [`forever`] |
//! | `BackoffType = Constant` / `Exponential` | [`Fixed`] / [`Exponential`]; `Linear` is an iterator away: `(1..=n).map(\|k\| d * k)` |
//! | `Delay` (2 s by default) | the schedule's first delay: [`Exponential::new`]`(d)`, [`Fixed::new`]`(d)` |
//! | `MaxDelay` | [`max_delay`] |
//! | `UseJitter = true` | [`jitter`]`(..)`; Polly's exponential jitter is a formula of its own (with `Delay` as the *median* first wait), and [`Jitter::Full`] or [`Jitter::Decorrelated`] are the nearest here |
//! | `ShouldHandle = new PredicateBuilder().Handle<T>()` | [`when`]; until it is set every error is retried, as Polly retries every exception but `OperationCanceledException` |
//! | `OnRetry = args => ..` | [`notify`]`(\|e, delay\| ..)`, with the delay about to be slept |
//! | the strategy's `Name` in telemetry, and `TelemetryOptions.SeverityProvider` | built in: a `warn!` per failed attempt, target `persevere`; [`name`]`("charge_card")` begins each line with the name (and labels the metrics), [`log_level`] sets the per-attempt lines' level |
//! | `DelayGenerator` (a `Retry-After` header) | [`adjust`]`(\|e, scheduled\| ..)`; `None` keeps the schedule's delay, as a null `TimeSpan?` does, and [`adjust_ceiling`] caps it |
//! | `TimeProvider` and `Randomizer` in tests | [`sleep`](crate::blocking::Retry::sleep), [`clock`](crate::blocking::Retry::clock) and [`seed`] |
//! | `new ResiliencePipelineBuilder().AddRetry(..).AddCircuitBreaker(..)` | `policy.retry(\|\| breaker.call(op))`: see [the recipe](#retry-circuit-breaker-and-budget-together) |
//! | `AddTimeout` after `AddRetry`: a limit on each attempt | async: [`attempt_timeout`]`(limit, \|\| MyError::TimedOut)`; the attempt is dropped at the limit and its error (Polly's `TimeoutRejectedException`) retried like any other |
//! | `AddTimeout` before `AddRetry`: a limit on the whole | [`max_elapsed`], which stops before a wait that would pass it but does not cut an attempt short; or your runtime's timeout around the call (`tokio::time::timeout`) |
//! | `HttpRetryStrategyOptions` (Microsoft.Extensions.Http.Resilience: 408, 429, 5xx, `ShouldRetryAfterHeader`) | [`Policy::http`] |
//! | `CircuitBreakerStrategyOptions { FailureRatio, MinimumThroughput, SamplingDuration, BreakDuration }` | `CircuitBreaker::builder().failure_ratio(r).minimum_calls(n).sampling_window(d).break_duration(d)` (see [`breaker::Builder`]); here the ratio is off until set, and the break lasts 30 s, not 5 s |
//! | the classic `CircuitBreaker(exceptionsAllowedBeforeBreaking, durationOfBreak)` | [`consecutive_failures`](crate::breaker::Builder::consecutive_failures)`(n)` (5 by default) |
//! | `OnOpened`, `OnHalfOpened`, `OnClosed` | [`on_state_change`](crate::breaker::Builder::on_state_change)`(\|from, to\| ..)` |
//! | `BrokenCircuitException` and its `RetryAfter` | [`BreakerError::Rejected`], and [`Rejected::retry_after`] |
//! | `ManualControl` (isolate, close) | no counterpart |
//!
//! ## cenkalti/backoff (Go)
//!
//! | cenkalti/backoff | persevere |
//! |---|---|
//! | `NewExponentialBackOff()`: 500 ms, ×1.5, ±50 % randomization, 60 s interval cap, 15 min in all | `Exponential::new(ms(500)).factor(1.5).max_delay(secs(60)).jitter(Jitter::Equal).forever()` with [`max_elapsed`]`(15 min)` on the retry; no jitter here spreads *above* the step, [`Jitter::Equal`] draws from `[step / 2, step]` |
//! | `InitialInterval`, `Multiplier`, `MaxInterval`, `RandomizationFactor` | [`Exponential::new`], [`factor`], [`max_delay`], [`jitter`] |
//! | `MaxElapsedTime` (v4), `WithMaxElapsedTime` (v5) | [`max_elapsed`], a setting of the retry rather than the schedule |
//! | `MaxElapsedTime = 0`: never stop | [`forever`], with no `max_elapsed` |
//! | `WithMaxRetries(b, n)` (v4: `n` retries) | [`max_retries`]`(n)` |
//! | `WithMaxTries(n)` (v5: `n` attempts) | [`max_retries`]`(n - 1)` |
//! | `NewConstantBackOff(d)` | [`Fixed::new`]`(d)` |
//! | `Permanent(err)` | [`when`] returning `false`; in Rust the error's type already says which kind it is |
//! | `RetryNotify(op, b, notify)` (v4), `WithNotify(n)` (v5) | [`notify`]`(\|e, delay\| ..)` |
//! | `RetryAfter(seconds)` (v5) | [`adjust`] |
//! | `RetryWithData` | any `Result<T, E>`: the value comes back from `call` |
//! | `WithContext(b, ctx)`, a cancelled `ctx` | async: drop the retry future, it stops at once; blocking: [`max_elapsed`], or a [`sleep`](crate::blocking::Retry::sleep) that wakes on your signal |
//! | `b.Reset()` | schedules are values: clone a fresh one (a [`Policy`] does, per call) |
//! | `NewTicker(b)` | a `for delay in schedule` loop |
//!
//! ## `backon`
//!
//! | backon | persevere |
//! |---|---|
//! | `ExponentialBuilder::default()`: 1 s, ×2, 60 s cap, 3 times | `Exponential::new(secs(1)).max_delay(secs(60))` (3 retries is the default here too) |
//! | `.with_min_delay(d)`, `.with_factor(f)`, `.with_max_delay(d)` | [`Exponential::new`]`(d)`, [`factor`]`(f)`, [`max_delay`]`(d)`; no cap unless set |
//! | `.with_max_times(n)`, `.without_max_times()` | [`max_retries`]`(n)`, [`forever`] |
//! | `.with_total_delay(Some(d))` | [`max_total_delay`]`(d)` |
//! | `.with_jitter()`: adds up to one more step, `[d, 2d)` | [`jitter`]`(Jitter::Full)`: `[0, d]`; every [`Jitter`] stays at or below the step and the cap |
//! | `.with_jitter_seed(s)` | [`seed`]`(s)` |
//! | `ConstantBuilder`, `FibonacciBuilder` | [`Fixed`], [`Fibonacci`] |
//! | `fetch.retry(builder).await` (`Retryable`) | [`future::retry`]`(schedule, fetch).call().await` |
//! | `f.retry(builder).call()` (`BlockingRetryable`) | [`blocking::retry`]`(schedule, f).call()` |
//! | `.when(..)`, `.notify(..)`, `.sleep(..)` | the same names: [`when`], [`notify`], [`sleep`](crate::future::Retry::sleep) |
//! | `.adjust(\|e, d: Option<Duration>\| ..)`, where `None` stops | [`adjust`]`(\|e, d: Duration\| ..)`, where `None` keeps `d`; the schedule alone decides when to stop |
//! | `RetryableWithContext` | closures capture what they need; [`future::retry_mut`] for async closures that mutate it |
//!
//! ## `backoff` (Rust)
//!
//! | backoff | persevere |
//! |---|---|
//! | `ExponentialBackoff::default()`: 500 ms, ×1.5, ±50 %, 60 s cap, 15 min in all | as for cenkalti/backoff above, whose port it is |
//! | `ExponentialBackoffBuilder::new().with_initial_interval(..).with_max_elapsed_time(..)` | [`Exponential::new`]`(..)` and [`max_elapsed`]`(..)` |
//! | `backoff::retry(b, op)` with `op` returning `Result<T, backoff::Error<E>>` | [`blocking::retry`]`(schedule, op)` with `op` returning your own `Result<T, E>` |
//! | `Error::transient(e)` / `Error::permanent(e)` | [`when`]`(\|e\| ..)` sorts them |
//! | `Error::retry_after(e, d)` | [`adjust`]`(\|e, _\| e.retry_after())` |
//! | `retry_notify(b, op, notify)` | [`notify`] |
//! | `backoff::future::retry(b, op)` | [`future::retry`]`(schedule, op).call()`, under any executor |
//! | `backoff::backoff::Constant::new(d)` | [`Fixed::new`]`(d)` |
//!
//! ## `tokio-retry`
//!
//! | tokio-retry | persevere |
//! |---|---|
//! | `Retry::spawn(strategy, action).await` | [`future::retry`]`(schedule, action).call().await`; add `.sleep(tokio::time::sleep)` to use tokio's timer and, in tests, its paused clock: [`max_elapsed`] then counts the time slept, and `.clock(\|\| tokio::time::Instant::now().into_std())` adds the time spent in attempts |
//! | `tokio::spawn(Retry::spawn(..))` with an action that borrows | the action must own what it uses: see [a retry in a spawned task](#a-retry-in-a-spawned-task) |
//! | `tokio::time::timeout(d, call())` inside the action | [`attempt_timeout`]`(d, \|\| MyError::TimedOut)` |
//! | `RetryIf::spawn(strategy, action, condition)` | [`when`]`(condition)` |
//! | `ExponentialBackoff::from_millis(10)`: 10 ms, 100 ms, 1 s… (powers of 10) | `Exponential::new(ms(10)).factor(10.0)` |
//! | `.factor(1000)`: a unit multiplier | not needed: delays are `Duration`s |
//! | `.max_delay(d)` | [`max_delay`]`(d)` |
//! | `FixedInterval::from_millis(n)`, `FibonacciBackoff::from_millis(n)` | [`Fixed::new`]`(ms(n))`, [`Fibonacci::new`]`(ms(n))` |
//! | `.map(jitter)`: each delay times uniform `[0, 1)` | [`jitter`]`(Jitter::Full)` |
//! | `.take(n)`: its strategies never end | [`max_retries`]`(n)`; ours end after 3 unless told, so `.take(n)` needs [`forever`] first |
//!
//! ## `reqwest-retry` (reqwest-middleware)
//!
//! With the `reqwest` feature: `persevere::integrations::reqwest`.
//!
//! | reqwest-retry | persevere |
//! |---|---|
//! | `RetryTransientMiddleware::new_with_policy(policy)` | `RetryMiddleware::new(policy)`, or `RetryMiddleware::default()` (the HTTP preset) |
//! | `ExponentialBackoff::builder().build_with_max_retries(n)` | a [`Policy`] over `Exponential::new(..).max_retries(n)` |
//! | `RetryableStrategy::handle(&result)` (sees the result, not the request) | the policy's [`when`], given a `Failure` with the method, URL, status and headers |
//! | `DefaultRetryableStrategy` (retries every connect error, POST too) | `Failure::verdict`: refused, reset or aborted connects only; idempotent methods only unless `Idempotency-Key` or `idempotent_only(false)` |
//! | `Retry-After` not read | honoured in both forms, and `x-amz-retry-after`, capped by the adjust ceiling |
//! | a streaming body fails before it is sent | sent once |
//! | no attempt count on success | `Attempts` and the `Report` in the response's extensions |
//! | tokio's sleep | the retry's own sleep (futures-timer by default, `.sleep(f)`) |
//! | no budget, breaker or attempt timeout | `.budget(&b)`, `.breaker(arc)`, `.attempt_timeout(d)`, `.max_elapsed(d)` |
//!
//! ## tower's `retry`
//!
//! With the `tower` feature: `persevere::integrations::tower`.
//!
//! | tower | persevere |
//! |---|---|
//! | `RetryLayer::new(policy)` with a hand-written `Policy` | `RetryLayer::new(policy, classifier)` with a [`Policy`] and `HttpStatus`, `grpc::A6Classifier` or any `Fn(&Result<Res, Err>) -> Outcome` |
//! | `Policy::retry(&mut self, req, &mut result)` | the classifier's `Outcome`: `Success`, `Retry(hint)`, `Throttled(hint)`, `Fail` |
//! | `Policy::clone_request` returning `None`: no retry, silently | `.clone_request(f)`; a request it cannot copy fails with `RetryError::NotCloneable` |
//! | `TpsBudget` | [`budget`] with a shared `RetryBudget` |
//! | `Backoff` on tokio's timer | the policy's schedule, slept with futures-timer or `.sleep(f)` |
//! | no `Retry-After`, no `grpc-retry-pushback-ms` | honoured by `HttpStatus` and `A6Classifier` (a negative pushback stops) |
//! | tonic: no retry of its own (A6 is asked for in grpc-rust issue 1463) | `A6Classifier` under a tonic `Channel`, with the request buffered once: [the stack](crate::integrations::tower::grpc#under-tonic) |
//!
//! # Recipes
//!
//! ## A database connection
//!
//! The service starts before its database, or the database restarts or fails over. Retry
//! the connection on errors a fresh connection can cure (refused, reset, timed out), never
//! on a wrong password; spread reconnecting clients with full jitter; and bound the whole
//! wait by time, so that a readiness check can report the failure.
//!
//! ```
//! use persevere::classify::is_transient_io;
//! use persevere::{blocking, Exponential, Jitter, Stop};
//! use std::{io, time::Duration};
//!
//! # #[derive(Debug)] struct Connection;
//! # let mut refusals = 2;
//! # let mut connect = |password: &str| -> io::Result<Connection> {
//! #     if password != "secret" { return Err(io::ErrorKind::PermissionDenied.into()) }
//! #     if refusals > 0 { refusals -= 1; return Err(io::ErrorKind::ConnectionRefused.into()) }
//! #     Ok(Connection)
//! # };
//! // The database is restarting: two connections are refused, the third gets through.
//! let reconnect = Exponential::new(Duration::from_millis(100))
//!     .max_delay(Duration::from_secs(5))
//!     .jitter(Jitter::Full)
//!     .forever(); // bounded by time instead of by count
//! let (connection, report) = blocking::retry(reconnect.clone(), || connect("secret"))
//!     .when(is_transient_io)
//!     .max_elapsed(Duration::from_secs(30))
//! #   .sleep(|_| {})
//!     .call_with_report();
//! let _connection = connection?;
//! assert_eq!(report.attempts, 3);
//!
//! // A wrong password is not transient: one attempt, and the error at once.
//! let (refused, report) = blocking::retry(reconnect, || connect("guess"))
//!     .when(is_transient_io)
//!     .max_elapsed(Duration::from_secs(30))
//!     .call_with_report();
//! assert_eq!(refused.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
//! assert_eq!((report.attempts, report.stop), (1, Stop::NotRetryable));
//! # Ok::<(), io::Error>(())
//! ```
//!
//! Retry the *connection*, or a whole transaction from its start; a statement in the middle
//! of a transaction cannot be repeated on a new connection. Behind a connection pool, retry
//! acquiring the connection, and size [`max_elapsed`] together with the pool's own acquire
//! timeout: a single attempt can last that long.
//!
//! Once connected, [`Policy::network`] suits the calls that follow, whose errors are
//! `io::Error`s too: a few quick retries of a dropped connection, at most 6 attempts and
//! 3.1 s of waiting. Name it after the database, so that its log lines say which one failed,
//! and raise them to `error!` if a failing database should page someone:
//!
//! ```
//! use persevere::{Exponential, Jittered, Policy};
//! use std::io;
//!
//! struct OrdersDb {
//!     retry: Policy<Jittered<Exponential>, io::Error>,
//!     // ...and the connection pool
//! }
//!
//! let orders = OrdersDb {
//!     retry: Policy::network().name("orders_db").log_level(log::Level::Error),
//! };
//! # let mut replies = vec![Ok(3), Err(io::Error::from(io::ErrorKind::ConnectionReset))];
//! # let mut count_open_orders = || replies.pop().unwrap();
//! // Logs at error level: "orders_db: attempt 1/6 failed: connection reset; retrying in 61ms".
//! let open = orders
//!     .retry
//!     .retry(|| count_open_orders())
//! #   .sleep(|_| {})
//!     .call()?;
//! assert_eq!(open, 3);
//! # Ok::<(), io::Error>(())
//! ```
//!
//! ## Publishing to a message broker
//!
//! A publish refused before it was sent is safe to repeat. A publish whose acknowledgement
//! timed out is ambiguous: the broker may have stored the message. Retry it only if the
//! broker deduplicates by an id that stays the same on every attempt, made once before the
//! first (Kafka's idempotent producer, JetStream's `Nats-Msg-Id`, SQS FIFO's
//! `MessageDeduplicationId`). What cannot be published goes to a dead-letter store.
//!
//! ```
//! use persevere::{future, Exponential, Jitter, Stop};
//! use std::{cell::RefCell, fmt, time::Duration};
//!
//! #[derive(Debug, PartialEq)]
//! enum PublishError { Refused, AckTimeout, TooLarge }
//!
//! impl PublishError {
//!     /// Refused: nothing was sent. AckTimeout: maybe stored, and the broker drops duplicates.
//!     fn is_retryable(&self) -> bool {
//!         matches!(self, PublishError::Refused | PublishError::AckTimeout)
//!     }
//! }
//! # impl fmt::Display for PublishError {
//! #     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{self:?}") }
//! # }
//! # /// Stores each message id once; loses the acknowledgement of the first send.
//! # #[derive(Default)]
//! # struct Broker { stored: RefCell<Vec<(u64, String)>>, sends: RefCell<u32>, down: std::cell::Cell<bool> }
//! # impl Broker {
//! #     async fn publish(&self, id: u64, body: &str) -> Result<(), PublishError> {
//! #         if self.down.get() { return Err(PublishError::Refused) }
//! #         if body.len() > 64 { return Err(PublishError::TooLarge) }
//! #         *self.sends.borrow_mut() += 1;
//! #         if !self.stored.borrow().iter().any(|(seen, _)| *seen == id) {
//! #             self.stored.borrow_mut().push((id, body.to_owned()));
//! #         }
//! #         if *self.sends.borrow() == 1 { return Err(PublishError::AckTimeout) }
//! #         Ok(())
//! #     }
//! # }
//!
//! # futures::executor::block_on(async {
//! let broker = Broker::default();
//! let dead_letters = RefCell::new(Vec::new());
//! let publish = async |id: u64, body: &str| {
//!     // Waits of up to 50, 100, 200, 400 and 500 ms: at most 1.25 s in all.
//!     let schedule = Exponential::new(Duration::from_millis(50))
//!         .max_delay(Duration::from_millis(500))
//!         .jitter(Jitter::Full)
//!         .max_retries(5);
//!     future::retry(schedule, || broker.publish(id, body)) // the same id on every attempt
//!         .when(PublishError::is_retryable)
//!         .on_give_up(|e, report| {
//!             dead_letters.borrow_mut().push((id, e.to_string(), report.stop))
//!         })
//! #       .sleep(|_| std::future::ready(()))
//!         .call()
//!         .await
//! };
//!
//! // The first acknowledgement is lost; the retry is stored once, not twice.
//! assert_eq!(publish(42, "order 42 paid").await, Ok(()));
//! assert_eq!(*broker.sends.borrow(), 2);
//! assert_eq!(*broker.stored.borrow(), [(42, "order 42 paid".to_owned())]);
//!
//! // What the broker refuses for good is not retried, and lands in the dead letters...
//! assert_eq!(publish(43, &"x".repeat(100)).await, Err(PublishError::TooLarge));
//! // ...as does a message that ran out of retries while the broker was down.
//! # broker.down.set(true);
//! assert_eq!(publish(44, "order 44 paid").await, Err(PublishError::Refused));
//! assert_eq!(
//!     *dead_letters.borrow(),
//!     [
//!         (43, "TooLarge".to_owned(), Stop::NotRetryable),
//!         (44, "Refused".to_owned(), Stop::ScheduleExhausted),
//!     ]
//! );
//! # });
//! ```
//!
//! The give-up hook runs whenever the retry returns an error: for a message refused for good,
//! which was never retried (as a 400 would be), as for one that ran out of retries. The
//! [`Report`] it receives tells them apart: `report.stop` is [`Stop::NotRetryable`] for the
//! first and [`Stop::ScheduleExhausted`] (or [`Stop::MaxElapsed`]) for the second, and
//! `report.attempts` says how many sends were made. Replay the second kind once the broker is
//! back; the first needs a person.
//!
//! Without an id the broker honours, return the timeout to the caller instead: a duplicate
//! payment message is worse than an error.
//!
//! ## An HTTP API with 429, 5xx and `Retry-After`
//!
//! Retry rate limiting and server errors, not other 4xx answers; when the server says how
//! long to wait, wait that long (a little more, at random, so clients told the same instant
//! do not return together) but never longer than a ceiling. [`Policy::http`] does all of it
//! for an error type that implements [`HttpFailure`], which hands it the status and the
//! headers when a response came back: 408, 429 and every 5xx but 501 and 505 are retried, on
//! waits of up to 0.1, 0.2, 0.4, 0.8 and 1.6 s (6 attempts at most), and a server's
//! `Retry-After`, `x-amz-retry-after` or `X-RateLimit-Reset` replaces the wait, up to 5
//! minutes. One policy, kept in the client, serves every endpoint.
//!
//! ```
//! use persevere::classify::{self, HttpFailure};
//! use persevere::{Exponential, Jittered, Policy};
//! use std::time::Duration;
//!
//! #[derive(Debug)]
//! enum ApiError {
//!     /// The server answered with this status and these headers (names in lower case).
//!     Status { code: u16, headers: Vec<(String, String)> },
//!     /// No answer: the request was not sent, or its response was lost.
//!     Transport(std::io::Error),
//! }
//!
//! impl HttpFailure for ApiError {
//!     fn status(&self) -> Option<u16> {
//!         match self {
//!             ApiError::Status { code, .. } => Some(*code),
//!             ApiError::Transport(_) => None,
//!         }
//!     }
//!
//!     fn header(&self, name: &str) -> Option<&[u8]> {
//!         let ApiError::Status { headers, .. } = self else { return None };
//!         headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_bytes())
//!     }
//!
//!     // A refused or reset connection is worth another try; a malformed URL is not.
//!     fn transient_without_response(&self) -> bool {
//!         matches!(self, ApiError::Transport(e) if classify::is_transient_io(e))
//!     }
//! }
//! # impl std::fmt::Display for ApiError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") }
//! # }
//! # /// Answers with the scripted statuses, then 200.
//! # struct Server(std::sync::Mutex<Vec<(u16, Option<&'static str>)>>);
//! # impl Server {
//! #     async fn get(&self, path: &str) -> Result<String, ApiError> {
//! #         match self.0.lock().unwrap().pop() {
//! #             Some((code, hint)) => {
//! #                 let headers = hint.map(|v| ("retry-after".to_owned(), v.to_owned())).into_iter().collect();
//! #                 Err(ApiError::Status { code, headers })
//! #             }
//! #             None => Ok(format!("200 {path}")),
//! #         }
//! #     }
//! # }
//! # let server = Server(std::sync::Mutex::new(vec![(429, Some("2")), (503, None)]));
//!
//! let api: Policy<Jittered<Exponential>, ApiError> =
//!     Policy::http().name("quotes_api").max_elapsed(Duration::from_secs(60));
//!
//! # futures::executor::block_on(async {
//! // The server answers 503, then 429 with `Retry-After: 2`, then 200.
//! let (quote, report) = api
//!     .retry_async(|| server.get("/quote"))
//! #   .sleep(|_| std::future::ready(()))
//!     .call_with_report()
//!     .await;
//! assert_eq!(quote.unwrap(), "200 /quote");
//! assert_eq!(report.attempts, 3);
//! // Up to 100 ms after the 503, then 2 s to 2.4 s as the server asked.
//! assert!(report.slept >= Duration::from_secs(2));
//! assert!(report.slept <= Duration::from_millis(2500));
//!
//! // The same policy at another call site. A 404 is an answer, not a failure: one attempt.
//! # server.0.lock().unwrap().push((404, None));
//! let (user, report) = api.retry_async(|| server.get("/users/0")).call_with_report().await;
//! assert!(matches!(user, Err(ApiError::Status { code: 404, .. })));
//! assert_eq!(report.attempts, 1);
//! # });
//! ```
//!
//! The hints are read by [`classify::server_hint`]: `Retry-After` in both forms (the date
//! form with the `http-date` feature), then `x-amz-retry-after`, then `X-RateLimit-Reset`;
//! [`grpc_retry_pushback`](crate::classify::grpc_retry_pushback) reads gRPC's. For another
//! schedule, write the preset's two hooks on a policy of your own, as in the next recipe.
//! Retry only idempotent requests (`GET`, `PUT`, `DELETE`), or `POST`s that carry an
//! idempotency key, as in [a payment](#a-payment).
//!
//! ## A file upload
//!
//! An upload is long, and every retry sends the whole file again. Wait longer between
//! attempts than for a small request, so that a struggling server has time to recover:
//! here at most 5 attempts, with waits of up to 5, 10, 20 and 40 s, or what the server
//! asks for (up to 5 minutes). Give each attempt a time limit, so that a transfer that
//! stalls is dropped and started over rather than waited on for ever: here 2 minutes. And
//! keep honouring 429, 5xx and `Retry-After`: a preset's schedule is fixed, so this policy
//! has a schedule of its own and [`Policy::http`]'s two hooks, written out.
//!
//! ```
//! use persevere::classify::{self, HttpFailure};
//! use persevere::{Exponential, Jitter, Jittered, Policy, DEFAULT_ADJUST_CEILING};
//! use std::time::{Duration, SystemTime};
//!
//! #[derive(Debug)]
//! enum UploadError {
//!     Status { code: u16, retry_after: Option<String> },
//!     /// The attempt ran past its time limit.
//!     Stalled,
//! }
//!
//! impl HttpFailure for UploadError {
//!     fn status(&self) -> Option<u16> {
//!         match self {
//!             UploadError::Status { code, .. } => Some(*code),
//!             UploadError::Stalled => None, // no response: transient, by default
//!         }
//!     }
//!
//!     fn header(&self, name: &str) -> Option<&[u8]> {
//!         match self {
//!             UploadError::Status { retry_after: Some(value), .. } if name == "retry-after" => {
//!                 Some(value.as_bytes())
//!             }
//!             _ => None,
//!         }
//!     }
//! }
//! # impl std::fmt::Display for UploadError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") }
//! # }
//! # /// Stalls on the first upload, answers the second with a 503, stores the third.
//! # struct Storage { puts: std::cell::Cell<u32> }
//! # impl Storage {
//! #     async fn put(&self, _path: &str, _data: &[u8]) -> Result<String, UploadError> {
//! #         self.puts.set(self.puts.get() + 1);
//! #         match self.puts.get() {
//! #             1 => std::future::pending().await,
//! #             2 => Err(UploadError::Status { code: 503, retry_after: Some("30".to_owned()) }),
//! #             n => Ok(format!("\"etag-{n}\"")),
//! #         }
//! #     }
//! # }
//! # let storage = Storage { puts: 0.into() };
//! # let archive = vec![0_u8; 1024];
//!
//! let uploads: Policy<Jittered<Exponential>, UploadError> = Policy::new(
//!     Exponential::new(Duration::from_secs(5)).jitter(Jitter::Full).max_retries(4),
//! )
//! // What Policy::http retries: 408, 429, 5xx but 501 and 505, failures before a response.
//! .when(|e: &UploadError| match e.status() {
//!     Some(code) => classify::is_retryable_status(code),
//!     None => e.transient_without_response(),
//! })
//! // And how it honours the server: the wait asked for, a little more at random, capped.
//! .adjust(|e, _scheduled| {
//!     let asked = classify::server_hint(e, SystemTime::now())?;
//!     Some(classify::hint_delay(asked, DEFAULT_ADJUST_CEILING))
//! })
//! .attempt_timeout(Duration::from_secs(120), || UploadError::Stalled)
//! .name("upload");
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build()?;
//! # runtime.block_on(async {
//! let started = tokio::time::Instant::now();
//! // The first attempt stalls, the second meets a 503 with `Retry-After: 30`, the third
//! // goes through.
//! let (etag, report) = uploads
//!     .retry_async(|| storage.put("backups/orders.tar.zst", &archive))
//!     .sleep(tokio::time::sleep) // tokio's timer, which also times the attempts
//!     .call_with_report()
//!     .await;
//! assert_eq!(etag.unwrap(), "\"etag-3\"");
//! assert_eq!(report.attempts, 3);
//! // 2 minutes until the stalled attempt was dropped, up to 5 s, then the 30 s to 36 s the
//! // server asked for.
//! let took = started.elapsed();
//! assert!(took >= Duration::from_secs(150) && took <= Duration::from_secs(161));
//! # });
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! An attempt timeout needs async code: a thread cannot be cancelled. A blocking upload sets
//! its client's own timeout instead, to a limit of its own or to what is left of
//! [`max_elapsed`] ([`Attempt::time_left`], handed over by
//! [`retry_with`](crate::blocking::retry_with)).
//!
//! ## A payment
//!
//! A charge that timed out may have gone through. Send one idempotency key with every
//! attempt, so the provider answers a repeat with the first result instead of charging
//! twice; make few attempts, far apart, so the provider has time to recover; and when
//! retrying ends without an answer, hand the payment to reconciliation instead of guessing.
//!
//! ```
//! use persevere::{blocking, Exponential, Jitter};
//! use std::{cell::RefCell, time::Duration};
//!
//! #[derive(Debug, PartialEq)]
//! enum ChargeError { Timeout, ProviderDown, Declined }
//! # impl std::fmt::Display for ChargeError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") }
//! # }
//! # /// Charges once per idempotency key; the first answer is lost in a timeout.
//! # #[derive(Default)]
//! # struct Provider { charges: RefCell<Vec<String>>, requests: RefCell<u32> }
//! # impl Provider {
//! #     fn charge(&self, key: &str, _cents: u64, timeout: Option<Duration>) -> Result<String, ChargeError> {
//! #         assert!(timeout.is_some_and(|t| t <= Duration::from_secs(60)));
//! #         *self.requests.borrow_mut() += 1;
//! #         if !self.charges.borrow().iter().any(|k| k == key) { self.charges.borrow_mut().push(key.to_owned()) }
//! #         if *self.requests.borrow() == 1 { return Err(ChargeError::Timeout) }
//! #         Ok(format!("ch_{key}"))
//! #     }
//! # }
//! # let provider = Provider::default();
//! # let to_reconcile = RefCell::new(Vec::new());
//!
//! let key = "order-1234-payment"; // made once, before the first attempt
//! // Two retries: after 1 s to 2 s, then after 5 s to 10 s.
//! let schedule =
//!     Exponential::new(Duration::from_secs(2)).factor(5.0).jitter(Jitter::Equal).max_retries(2);
//! let (charge, report) = blocking::retry_with(schedule, |attempt| {
//!     // Each attempt gets what is left of the minute as its own timeout.
//!     provider.charge(key, 4_999, attempt.time_left)
//! })
//! .when(|e| matches!(e, ChargeError::Timeout | ChargeError::ProviderDown)) // never a decline
//! .max_elapsed(Duration::from_secs(60))
//! .on_give_up(|e, report| {
//!     // It runs for every error returned, a decline too; only a timeout leaves the outcome
//!     // unknown. The report says how many charges were asked for, and why retrying stopped.
//!     if *e == ChargeError::Timeout {
//!         to_reconcile.borrow_mut().push((key, report.attempts, report.stop));
//!     }
//! })
//! # .sleep(|_| {})
//! .call_with_report();
//!
//! assert_eq!(charge, Ok("ch_order-1234-payment".to_owned()));
//! assert_eq!(report.attempts, 2);
//! assert_eq!(*provider.charges.borrow(), [key]); // charged once, though asked twice
//! assert!(to_reconcile.borrow().is_empty());
//! ```
//!
//! Leave payments out of a shared [`RetryBudget`]: a budget exists to shed retries during an
//! outage, and a payment is the last call to shed.
//!
//! ## A cache read
//!
//! A cache is an optimisation: when it is slow, give up on it quickly and read the source
//! of truth. One short retry absorbs a dropped connection; [`max_elapsed`] keeps a sick
//! cache from slowing every request. A miss is an answer (`Ok(None)`), not an error, so it
//! is never retried. Any array of delays is a schedule.
//!
//! ```
//! use persevere::future;
//! use std::{io, time::Duration};
//!
//! # struct Cache { timeouts: std::cell::Cell<u32> }
//! # impl Cache {
//! #     async fn get(&self, _key: &str) -> io::Result<Option<String>> {
//! #         match self.timeouts.get() {
//! #             0 => Ok(Some("cached".to_owned())),
//! #             n => { self.timeouts.set(n - 1); Err(io::ErrorKind::TimedOut.into()) }
//! #         }
//! #     }
//! # }
//! # async fn load_from_database(_key: &str) -> String { "from the database".to_owned() }
//! async fn read(cache: &Cache, key: &str) -> String {
//!     let cached = future::retry([Duration::from_millis(5)], || cache.get(key))
//!         .when(persevere::classify::is_transient_io)
//!         .max_elapsed(Duration::from_millis(50))
//! #       .clock(persevere::clock::ManualClock::new())
//!         .call()
//!         .await;
//!     match cached {
//!         Ok(Some(value)) => value,
//!         // A miss, or a cache that did not answer twice in a row: go to the source.
//!         Ok(None) | Err(_) => load_from_database(key).await,
//!     }
//! }
//!
//! # futures::executor::block_on(async {
//! let flaky = Cache { timeouts: 1.into() };
//! assert_eq!(read(&flaky, "user:7").await, "cached");
//! let down = Cache { timeouts: 10.into() };
//! assert_eq!(read(&down, "user:7").await, "from the database");
//! assert_eq!(down.timeouts.get(), 8); // two attempts, then the database
//! # });
//! ```
//!
//! ## A retry in a spawned task
//!
//! `tokio::spawn` runs a future that may outlive the function that made it, so the future
//! must own everything it uses; a retry's future holds its operation, so the operation must
//! own what it calls. A retry that calls a local `client`, written as in a function body,
//! meets three errors in a row:
//!
//! 1. `|| client.get("/quote")` borrows `client`: ``error[E0373]: closure may outlive the
//!    current function, but it borrows `client`, which is owned by the current function``.
//!    The compiler suggests `move`.
//! 2. `move || client.get("/quote")` owns `client`, but each attempt's future borrows it from
//!    the closure, which must outlive the attempt to make the next one: ``captured variable
//!    cannot escape `FnMut` closure body``.
//! 3. `async move || client.get("/quote").await` is an async closure, whose futures may
//!    borrow it, and [`future::retry`] takes a closure whose futures do not: ``async closure
//!    does not implement `FnMut` because it captures state from its environment``.
//!
//! ```compile_fail,E0373
//! # use persevere::{future, Exponential};
//! # use std::{io, time::Duration};
//! # struct Client;
//! # impl Client { async fn get(&self, path: &str) -> io::Result<String> { Ok(path.to_owned()) } }
//! # async fn spawn_it(client: Client, schedule: Exponential) {
//! tokio::spawn(future::retry(schedule, || client.get("/quote")).call()); // 1.
//! # }
//! ```
//!
//! ```compile_fail
//! # use persevere::{future, Exponential};
//! # use std::{io, time::Duration};
//! # struct Client;
//! # impl Client { async fn get(&self, path: &str) -> io::Result<String> { Ok(path.to_owned()) } }
//! # async fn spawn_it(client: Client, schedule: Exponential) {
//! tokio::spawn(future::retry(schedule, move || client.get("/quote")).call()); // 2.
//! # }
//! ```
//!
//! ```compile_fail
//! # use persevere::{future, Exponential};
//! # use std::{io, time::Duration};
//! # struct Client;
//! # impl Client { async fn get(&self, path: &str) -> io::Result<String> { Ok(path.to_owned()) } }
//! # async fn spawn_it(client: Client, schedule: Exponential) {
//! tokio::spawn(future::retry(schedule, async move || client.get("/quote").await).call()); // 3.
//! # }
//! ```
//!
//! Two fixes. Move into the task an owned handle to what the retry calls (an `Arc` of it,
//! or a clone of a client that is cheap to clone, as `reqwest::Client` is), and let the
//! operation give each attempt a clone of its own, so that no attempt borrows the closure:
//! `move || { let client = client.clone(); async move { .. } }`. Or keep the async closure
//! that owns its captures and hand it to [`future::retry_mut`], which takes closures whose
//! attempts borrow them; owning its captures, such a retry is `Send` and spawns. A
//! [`Policy`] used in the task must be owned by it too: a clone of an `Arc` holding it, or
//! a `static`.
//!
//! ```
//! use persevere::{future, Exponential};
//! use std::{io, sync::Arc, time::Duration};
//!
//! # /// Resets the first request for each path, then answers.
//! # #[derive(Default)]
//! # struct Client { seen: std::sync::Mutex<Vec<String>> }
//! # impl Client {
//! #     fn connect() -> Self { Client::default() }
//! #     async fn get(&self, path: &str) -> io::Result<String> {
//! #         let mut seen = self.seen.lock().unwrap();
//! #         if seen.iter().any(|p| p == path) { return Ok(format!("200 {path}")) }
//! #         seen.push(path.to_owned());
//! #         Err(io::ErrorKind::ConnectionReset.into())
//! #     }
//! # }
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build()?;
//! # runtime.block_on(async {
//! let client = Arc::new(Client::connect());
//! let schedule = Exponential::new(Duration::from_millis(100));
//!
//! // An Arc for the task, and a clone of it for each attempt.
//! let quote = tokio::spawn({
//!     let client = Arc::clone(&client);
//!     future::retry(schedule.clone(), move || {
//!         let client = Arc::clone(&client);
//!         async move { client.get("/quote").await }
//!     })
//!     .sleep(tokio::time::sleep)
//!     .call()
//! });
//!
//! // Or an async closure that owns its Arc, through retry_mut.
//! let rates = tokio::spawn({
//!     let client = Arc::clone(&client);
//!     future::retry_mut(schedule, async move || client.get("/rates").await)
//!         .sleep(tokio::time::sleep)
//!         .call()
//! });
//!
//! assert_eq!(quote.await.unwrap()?, "200 /quote"); // after a reset connection
//! assert_eq!(rates.await.unwrap()?, "200 /rates");
//! assert_eq!(Arc::strong_count(&client), 1); // the tasks' clones are gone with them
//! # Ok::<(), io::Error>(())
//! # })?;
//! # Ok::<(), io::Error>(())
//! ```
//!
//! ## A background loop that must never die
//!
//! A health checker, a queue consumer or a metrics flusher runs for the life of the
//! process. A [`Supervisor`] restarts it after an error or a panic, with backoff (here 1 s,
//! 2 s, 4 s… up to a minute between restarts); starts the backoff over after a healthy run;
//! and ends it on request, even mid-backoff. To make it never give up, raise
//! [`max_failures`] to `u32::MAX`, and give it a schedule without a count limit
//! ([`forever`]): once a schedule runs out the supervisor repeats its last delay, so with
//! the default 3 retries the delays would stop growing at 4 s and never reach the cap.
//!
//! ```
//! use persevere::supervise::{Outcome, Supervisor};
//! use persevere::Exponential;
//! use std::{sync::mpsc, time::Duration};
//!
//! # fn check_upstream() -> Result<(), String> { Ok(()) }
//! let (healthy, became_healthy) = mpsc::channel();
//! let mut runs = 0;
//! let restarts = Exponential::new(Duration::from_secs(1))
//!     .max_delay(Duration::from_secs(60))
//!     .forever(); // 1 s, 2 s, 4 s… 32 s, then 60 s for good
//! let checker = Supervisor::new(restarts)
//!     .name("health-checker")
//!     .max_failures(u32::MAX) // never give up...
//!     .healthy_after(Duration::from_secs(300)) // ...and after 5 good minutes, start over at 1 s
//! #   .sleep(|_: Duration| {})
//!     .spawn(move |stop| {
//!         runs += 1;
//!         match runs {
//!             1 => panic!("a bug in the checker"), // caught, logged, restarted
//!             2 => return Err("upstream unreachable".to_owned()),
//!             _ => healthy.send(runs).unwrap(),
//!         }
//!         // Check every 10 s until asked to stop; an error ends this run and restarts it.
//!         while !stop.wait_timeout(Duration::from_secs(10)) {
//!             check_upstream()?;
//!         }
//!         Ok(())
//!     })?;
//!
//! assert_eq!(became_healthy.recv().unwrap(), 3); // the third run is the healthy one
//! checker.stop(); // at shutdown
//! assert_eq!(checker.join(), Outcome::Stopped);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! In async code, [`run_async`] is the same loop as a future for any executor; spawn it and
//! keep its [`StopSignal`]. Keep the [`Handle`] of a spawned supervisor too: dropping it
//! detaches the thread, which then runs until the process exits.
//!
//! ## Retry, circuit breaker and budget together
//!
//! Each guards against a different failure. The retry absorbs a blip in one call; the
//! [`CircuitBreaker`] stops every call to a service that is down, so retries do not pile
//! onto it; the [`RetryBudget`] caps retries across all calls when many fail but the
//! breaker has not tripped. Put the retry outside and the breaker inside, so that the
//! breaker counts every attempt and an open breaker ends the retry at once. Share one
//! breaker and one budget per downstream service.
//!
//! ```
//! use persevere::breaker::{BreakerError, CircuitBreaker, State};
//! use persevere::budget::RetryBudget;
//! use persevere::{Exponential, Jitter, Policy};
//! use std::{cell::Cell, time::Duration};
//!
//! # #[derive(Debug)] struct Unavailable;
//! # impl std::fmt::Display for Unavailable {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("503") }
//! # }
//! # let clock = persevere::clock::ManualClock::new();
//! let inventory_up = Cell::new(false);
//! let inventory_calls = Cell::new(0);
//! let inventory = || {
//!     inventory_calls.set(inventory_calls.get() + 1);
//!     if inventory_up.get() { Ok(7) } else { Err(Unavailable) }
//! };
//!
//! let breaker = CircuitBreaker::builder()
//!     .consecutive_failures(3)
//!     .break_duration(Duration::from_secs(30))
//! #   .clock(clock.clone())
//!     .build();
//! let budget = RetryBudget::aws_standard(); // 500 tokens, 5 per retry
//! let schedule = Exponential::new(Duration::from_millis(100)).jitter(Jitter::Full).max_retries(3);
//! let policy = Policy::new(schedule)
//!     // Retry what the service answered; a refusal by the open breaker fails fast.
//!     .when(|e: &BreakerError<Unavailable>| matches!(e, BreakerError::Inner(_)))
//!     .budget(&budget);
//! let stock = || {
//!     policy
//!         .retry(|| breaker.call(inventory))
//! #       .sleep(|_| {})
//!         .call()
//! };
//!
//! // The outage: three failed attempts open the breaker, and the fourth is refused.
//! assert!(matches!(stock(), Err(BreakerError::Rejected(_))));
//! assert_eq!((inventory_calls.get(), breaker.state()), (3, State::Open));
//! // Nine more requests fail fast: no call reaches the service, no retry is paid.
//! for _ in 0..9 {
//!     let refused = stock().unwrap_err();
//!     assert_eq!(refused.retry_after(), Some(Duration::from_secs(30)));
//! }
//! assert_eq!(inventory_calls.get(), 3);
//! assert_eq!(budget.available(), 485.0); // the first request's three retries
//!
//! // The service recovers; after the break, one probe closes the breaker.
//! inventory_up.set(true);
//! clock.advance(Duration::from_secs(30));
//! assert_eq!(stock().ok(), Some(7));
//! assert_eq!(breaker.state(), State::Closed);
//! ```
//!
//! To wait out a short break instead of failing fast, drop the `when` so that rejections are
//! retried too, and let the breaker set the delay: `.adjust(|e, _| e.retry_after())`;
//! [`adjust_ceiling`] then bounds how long a caller waits for it.
//!
//! [`Exponential`]: crate::Exponential
//! [`Exponential::new`]: crate::Exponential::new
//! [`Fixed`]: crate::Fixed
//! [`Fixed::new`]: crate::Fixed::new
//! [`Fibonacci`]: crate::Fibonacci
//! [`Fibonacci::new`]: crate::Fibonacci::new
//! [`Jitter`]: crate::Jitter
//! [`Jitter::Full`]: crate::Jitter::Full
//! [`Jitter::Equal`]: crate::Jitter::Equal
//! [`Jitter::Decorrelated`]: crate::Jitter::Decorrelated
//! [`DEFAULT_MAX_RETRIES`]: crate::backoff::DEFAULT_MAX_RETRIES
//! [`max_retries`]: crate::Exponential::max_retries
//! [`forever`]: crate::Exponential::forever
//! [`max_delay`]: crate::Exponential::max_delay
//! [`max_total_delay`]: crate::Exponential::max_total_delay
//! [`factor`]: crate::Exponential::factor
//! [`jitter`]: crate::Exponential::jitter
//! [`seed`]: crate::Exponential::seed
//! [`blocking::retry`]: crate::blocking::retry
//! [`retry_with`]: crate::blocking::retry_with
//! [`blocking::Retry::sleep`]: crate::blocking::Retry::sleep
//! [`future::retry`]: crate::future::retry
//! [`future::retry_mut`]: crate::future::retry_mut
//! [`when`]: crate::blocking::Retry::when
//! [`notify`]: crate::blocking::Retry::notify
//! [`adjust`]: crate::blocking::Retry::adjust
//! [`adjust_ceiling`]: crate::blocking::Retry::adjust_ceiling
//! [`max_elapsed`]: crate::blocking::Retry::max_elapsed
//! [`on_give_up`]: crate::blocking::Retry::on_give_up
//! [`name`]: crate::blocking::Retry::name
//! [`log_level`]: crate::blocking::Retry::log_level
//! [`attempt_timeout`]: crate::future::Retry::attempt_timeout
//! [`budget`]: crate::blocking::Retry::budget
//! [`call_with_report`]: crate::blocking::Retry::call_with_report
//! [`Policy`]: crate::Policy
//! [`Policy::new`]: crate::Policy::new
//! [`Policy::network`]: crate::Policy::network
//! [`Policy::http`]: crate::Policy::http
//! [`HttpFailure`]: crate::classify::HttpFailure
//! [`classify::server_hint`]: crate::classify::server_hint
//! [`Stop::NotRetryable`]: crate::Stop::NotRetryable
//! [`Stop::ScheduleExhausted`]: crate::Stop::ScheduleExhausted
//! [`Stop::MaxElapsed`]: crate::Stop::MaxElapsed
//! [`Attempt::time_left`]: crate::Attempt::time_left
//! [`Attempt`]: crate::Attempt
//! [`Report`]: crate::Report
//! [`is_transient_io`]: crate::classify::is_transient_io
//! [`classify::retry_after`]: crate::classify::retry_after
//! [`CircuitBreaker`]: crate::breaker::CircuitBreaker
//! [`CircuitBreaker::builder`]: crate::breaker::CircuitBreaker::builder
//! [`BreakerError::Rejected`]: crate::breaker::BreakerError::Rejected
//! [`Rejected::retry_after`]: crate::breaker::Rejected::retry_after
//! [`RetryBudget`]: crate::budget::RetryBudget
//! [`Supervisor`]: crate::supervise::Supervisor
//! [`ManualClock`]: crate::clock::ManualClock
//! [`StopSignal`]: crate::supervise::StopSignal
//! [`Handle`]: crate::supervise::Handle
//! [`max_failures`]: crate::supervise::Supervisor::max_failures
//! [`run_async`]: crate::supervise::Supervisor::run_async
//! [`breaker::Builder`]: crate::breaker::Builder

// The recipes' schedules and policies are repeated in tests/guide_recipes.rs, which holds them
// to what the prose here promises: change both together.
