//! Retry fallible work.
//!
//! persevere splits retrying into two ideas that compose:
//!
//! * **schedules** say how long to wait between attempts. [`Exponential`], [`Fixed`] and
//!   [`Fibonacci`] are plain `Iterator<Item = Duration>`s; `.jitter(..)` makes one a
//!   [`Jittered`] schedule (see [`Jitter`] for the formulas). Any
//!   `IntoIterator<Item = Duration>` (an array, `iter::repeat(d).take(3)`) is a schedule too.
//! * **adapters** run an operation until it succeeds, a schedule runs out, or an error is not
//!   worth retrying: `blocking::retry` on a thread, `future::retry` in any async executor.
//!   A `Policy` keeps one configuration for many call sites.
//!
//! Around them sit the `breaker` (circuit breaker), `budget` (retry budget), `supervise`
//! (background tasks that must not die) and `classify` (which errors and server hints to
//! honour) modules. New here, or coming from tenacity, Polly, cenkalti/backoff, backon,
//! backoff or tokio-retry? The `guide` module maps their names to ours and has recipes.
//!
//! ```
//! use persevere::{Exponential, Jitter};
//! use std::time::Duration;
//!
//! let schedule = Exponential::new(Duration::from_millis(100))
//!     .max_delay(Duration::from_secs(1))
//!     .max_retries(5);
//! let delays: Vec<Duration> = schedule.collect();
//! assert_eq!(delays, [100, 200, 400, 800, 1000].map(Duration::from_millis));
//!
//! // Jitter spreads clients apart; every delay stays within its unjittered step.
//! let jittered = Exponential::new(Duration::from_millis(100)).jitter(Jitter::Full);
//! for (delay, step) in jittered.zip([100, 200, 400].map(Duration::from_millis)) {
//!     assert!(delay <= step);
//! }
//! ```
//!
//! # Features
//!
//! * `std` (default): the retry adapters and everything that needs a clock. Without it the
//!   schedules still build for `no_std` targets; jitter then draws from a fixed seed unless
//!   you call `seed`, so give each client its own seed there.
//! * `http-date`: `classify::retry_after` also reads `Retry-After` in its HTTP-date form.
//! * `metrics`: retries, breakers, budgets and supervisors report counters, a delay histogram
//!   and gauges through the `metrics` facade, to any exporter; the `metrics` module lists
//!   the names and labels.
//! * `serde`: schedules (and [`Schedule`]), [`PolicyConfig`](policy::PolicyConfig),
//!   [`BreakerConfig`](breaker::BreakerConfig) and [`BudgetConfig`](budget::BudgetConfig)
//!   serialize and deserialize through their text form, so a TOML or JSON config can say
//!   `retry = "exponential(initial=100ms)"`.
//! * `tower`: `integrations::tower`, a tower retry layer built from a `Policy` and a
//!   classifier, with ready classifiers for HTTP statuses and gRPC (gRFC A6) responses.
//! * `reqwest`: `integrations::reqwest::RetryMiddleware`, a reqwest-middleware middleware
//!   built from a `Policy`: idempotent methods only, `Retry-After` honoured, the attempt
//!   count on the response.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backoff;
#[cfg(feature = "std")]
pub mod breaker;
#[cfg(feature = "std")]
pub mod budget;
#[cfg(feature = "std")]
pub mod classify;
#[cfg(feature = "std")]
pub mod clock;
#[cfg(feature = "std")]
pub mod guide;
#[cfg(feature = "std")]
pub mod integrations;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
#[cfg(all(feature = "std", not(feature = "metrics")))]
mod metrics;
#[cfg(feature = "std")]
pub mod policy;
#[cfg(feature = "std")]
mod presets;
#[cfg(feature = "std")]
mod retry;
#[cfg(feature = "std")]
pub mod supervise;

#[cfg(feature = "std")]
pub use backoff::ParseError;
pub use backoff::{Exponential, Fibonacci, Fixed, Jitter, Jittered, Proportion, Schedule};
#[cfg(feature = "std")]
pub use policy::Policy;
#[cfg(feature = "std")]
pub use retry::{Attempt, DEFAULT_ADJUST_CEILING, Report, Stop, blocking, future, hooks};

// The README's code blocks run as doctests, so what it shows compiles and does what it says.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
