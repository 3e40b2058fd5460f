//! Retry budgets: one token bucket, shared by many calls, that stops retry storms.
//!
//! A schedule bounds the retries of *one* call. During an outage every call fails, so every
//! call retries to the end of its schedule and the failing service sees several times its
//! normal load (four times, with three retries). A [`RetryBudget`] bounds retries across
//! *all* the calls that share it: each retry pays tokens before it sleeps, successes pay
//! tokens back, and when the bucket runs dry calls stop retrying and return their error at
//! once. Healthy traffic keeps the bucket full, so the budget costs nothing until a large
//! share of calls fails.
//!
//! ```
//! use persevere::budget::{RetryBudget, RetryKind};
//!
//! // 500 tokens; a retry costs 5, or 10 after a timeout.
//! let budget = RetryBudget::aws_standard();
//! let per_client = budget.clone(); // clones share one bucket
//!
//! let first = per_client.try_withdraw(RetryKind::Normal).expect("the bucket starts full");
//! assert_eq!(budget.available(), 495.0);
//!
//! // The retry succeeded: its 5 tokens come back.
//! budget.record_success(Some(first));
//! assert_eq!(budget.available(), 500.0);
//! ```
//!
//! # The protocol a retry loop follows
//!
//! The retry adapters call the budget at three points of every call; anyone writing their
//! own loop calls it the same way:
//!
//! 1. An attempt fails with an error that is worth retrying: call
//!    [`record_failure`](RetryBudget::record_failure), whether or not a retry follows.
//! 2. If the schedule allows another attempt, call [`try_withdraw`](RetryBudget::try_withdraw)
//!    *before* sleeping. `Some` pays for the retry: keep the [`Withdrawal`] as the call's latest
//!    and go on. `None` means the budget is spent: stop retrying and return the error.
//! 3. An attempt succeeds: call [`record_success`](RetryBudget::record_success) with the
//!    call's latest withdrawal (`None` if it succeeded on the first try).
//!
//! Errors that are not retried (a `when` that says no) are recorded nowhere: a malformed
//! request says nothing about the health of the service.
//!
//! ```
//! use persevere::budget::{RetryBudget, RetryKind};
//!
//! fn call(budget: &RetryBudget, mut attempt: impl FnMut() -> Result<u32, &'static str>) -> Result<u32, &'static str> {
//!     let mut retries_left = 3;
//!     let mut last = None;
//!     loop {
//!         match attempt() {
//!             Ok(value) => {
//!                 budget.record_success(last);
//!                 return Ok(value);
//!             }
//!             Err(error) => {
//!                 budget.record_failure();
//!                 if retries_left == 0 {
//!                     return Err(error);
//!                 }
//!                 retries_left -= 1;
//!                 match budget.try_withdraw(RetryKind::Normal) {
//!                     Some(paid) => last = Some(paid),
//!                     None => return Err(error), // budget spent: fail fast
//!                 }
//!                 // ...sleep for the schedule's next delay here...
//!             }
//!         }
//!     }
//! }
//!
//! let budget = RetryBudget::aws_standard();
//! let mut failures = 2;
//! let answer = call(&budget, || if failures > 0 { failures -= 1; Err("busy") } else { Ok(42) });
//! assert_eq!(answer, Ok(42));
//! // Two retries paid 5 each; the success refunded the last one.
//! assert_eq!(budget.available(), 495.0);
//! ```
//!
//! # One mechanism, two published models
//!
//! A budget is a bucket of `capacity` tokens with these rules, set through
//! [`RetryBudget::builder`]:
//!
//! | rule | AWS standard retry quota | gRPC retry throttling |
//! |---|---|---|
//! | capacity, and the starting balance | 500 | `maxTokens` |
//! | a retry costs ([`RetryKind::Normal`] / [`Timeout`](RetryKind::Timeout)) | 5 / 10 | 0 |
//! | a failed attempt costs | 0 | 1 |
//! | a success deposits | 1 | `tokenRatio` |
//! | a success after retries instead refunds its last retry's cost | yes | no |
//! | the reserve: a retry must leave at least | 0 | `maxTokens / 2 + 0.001` |
//!
//! The balance never goes below zero or above `capacity`: a failure on an empty bucket
//! changes nothing, and deposits stop at the brim.
//!
//! Amounts are kept as whole thousandths of a token (gRPC's own resolution), so fractional
//! ratios such as 0.1 add up exactly, with no floating-point drift; settings are rounded to
//! the nearest thousandth. Every operation is one atomic read-modify-write on a single
//! counter: lock-free, no allocation, safe from any number of threads.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

mod config;
mod text;

pub use config::{BudgetBuilder, BudgetError};
pub use text::BudgetConfig;

/// Thousandths of a token per token.
const MILLI: u64 = 1000;

/// The largest amount any setting accepts, in tokens; it keeps every sum far from `u64::MAX`.
const MAX_TOKENS: f64 = 1e9;

/// What a retry is retrying after; some budgets charge kinds differently.
///
/// The AWS standard preset charges a retry after a timeout twice as much as other retries;
/// the gRPC preset charges nothing per retry at all.
///
/// ```
/// use persevere::budget::{RetryBudget, RetryKind};
///
/// let budget = RetryBudget::aws_standard();
/// assert_eq!(budget.try_withdraw(RetryKind::Normal).map(|w| w.tokens()), Some(5.0));
/// assert_eq!(budget.try_withdraw(RetryKind::Timeout).map(|w| w.tokens()), Some(10.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryKind {
    /// Any retryable failure not listed below (a refused connection, a 503, ...).
    #[default]
    Normal,
    /// The attempt timed out: it may have held a server busy for the whole timeout, so some
    /// budgets charge more for retrying it.
    Timeout,
    /// The server said it is throttling the client (a 429, `ThrottlingException`, ...).
    Throttled,
}

/// The receipt for a paid retry: how many tokens it cost.
///
/// A retry loop keeps the latest receipt of a call and hands it to
/// [`RetryBudget::record_success`], which refunds it when the budget refunds successful
/// retries (the AWS model).
///
/// ```
/// use persevere::budget::{RetryBudget, RetryKind};
///
/// let budget = RetryBudget::aws_standard();
/// let paid = budget.try_withdraw(RetryKind::Timeout).unwrap();
/// assert_eq!(paid.tokens(), 10.0);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[must_use = "hand the latest withdrawal of a call to `record_success`"]
pub struct Withdrawal {
    /// The cost plus one: never zero, so `Option<Withdrawal>`, which every retry keeps,
    /// takes eight bytes rather than sixteen. Costs are at most 10^12, far from the top.
    milli_plus_one: NonZeroU64,
}

impl Withdrawal {
    #[inline]
    fn new(milli: u64) -> Self {
        Withdrawal { milli_plus_one: NonZeroU64::MIN.saturating_add(milli) }
    }

    #[inline]
    fn milli(self) -> u64 {
        self.milli_plus_one.get() - 1
    }

    /// The tokens this retry paid.
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let grpc = RetryBudget::grpc(10.0, 0.1)?;
    /// // gRPC charges failures, not retries.
    /// assert_eq!(grpc.try_withdraw(RetryKind::Normal).unwrap().tokens(), 0.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn tokens(self) -> f64 {
        to_tokens(self.milli())
    }
}

impl fmt::Debug for Withdrawal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Withdrawal").field("milli", &self.milli()).finish()
    }
}

/// The settings of a bucket, in thousandths of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rules {
    capacity: u64,
    retry_cost: u64,
    timeout_retry_cost: u64,
    throttled_retry_cost: u64,
    failure_cost: u64,
    success_deposit: u64,
    refund_on_success: bool,
    reserve: u64,
}

impl Rules {
    fn cost(&self, kind: RetryKind) -> u64 {
        match kind {
            RetryKind::Normal => self.retry_cost,
            RetryKind::Timeout => self.timeout_retry_cost,
            RetryKind::Throttled => self.throttled_retry_cost,
        }
    }
}

/// What every clone of a budget points at.
struct Bucket {
    // One counter holds all the state, so the budget publishes no other memory through it:
    // `Relaxed` read-modify-writes keep every update (they are totally ordered per atomic)
    // and that is all the bucket needs.
    balance: AtomicU64,
    rules: Rules,
}

/// A token bucket shared by many calls that caps how much they retry, together.
///
/// Cloning is cheap (one reference count) and clones share the same tokens, so give every
/// client of a service a clone of one budget. See the [module docs](self) for the protocol a
/// retry loop follows and for how the presets' numbers were chosen.
///
/// ```
/// use persevere::budget::{RetryBudget, RetryKind};
///
/// let budget = RetryBudget::aws_standard();
/// // A full outage: every call fails, nothing refills. 500 tokens pay for 100 retries.
/// let mut retries = 0;
/// while budget.try_withdraw(RetryKind::Normal).is_some() {
///     retries += 1;
/// }
/// assert_eq!(retries, 100);
/// assert_eq!(budget.available(), 0.0);
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    bucket: Arc<Bucket>,
}

impl RetryBudget {
    /// The retry quota of the AWS SDKs' `standard` retry mode.
    ///
    /// 500 tokens, starting full. A retry costs 5 tokens, or 10 when the failed attempt timed
    /// out ([`RetryKind::Timeout`]; throttled retries cost the normal 5). A call that succeeds
    /// on its first attempt deposits 1 token; a call that succeeds after retrying instead gets
    /// back what its last retry cost. Failures cost nothing by themselves, and the balance may
    /// be spent down to zero. With the bucket full, 100 retries in a row are allowed.
    ///
    /// Sources: the AWS SDKs and Tools Reference Guide, "Retry behavior"
    /// (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>), and
    /// the SDKs that implement it: botocore's `RetryQuota` (500) and `RetryQuotaChecker`
    /// (`_RETRY_COST` 5, `_TIMEOUT_RETRY_REQUEST` 10, `_NO_RETRY_INCREMENT` 1, and the refund of
    /// the last acquired amount on a 2xx after retries), and the JavaScript v3 SDK's
    /// `INITIAL_RETRY_TOKENS`, `RETRY_COST`, `TIMEOUT_RETRY_COST` and `NO_RETRY_INCREMENT`.
    ///
    /// The SDKs' updated behavior, opt-in with `AWS_NEW_RETRIES_2026=true` and announced as
    /// the default from November 2026, charges 14 tokens per retry and 5 per throttled retry,
    /// with no special cost for timeouts. It is one builder away:
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let aws_2026 = RetryBudget::builder(500.0)
    ///     .retry_cost(14.0)
    ///     .throttled_retry_cost(5.0)
    ///     .success_deposit(1.0)
    ///     .refund_on_success(true)
    ///     .build()?;
    /// assert_eq!(aws_2026.try_withdraw(RetryKind::Timeout).unwrap().tokens(), 14.0);
    /// assert_eq!(aws_2026.try_withdraw(RetryKind::Throttled).unwrap().tokens(), 5.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn aws_standard() -> Self {
        RetryBudget::from_rules(
            Rules {
                capacity: 500 * MILLI,
                retry_cost: 5 * MILLI,
                timeout_retry_cost: 10 * MILLI,
                throttled_retry_cost: 5 * MILLI,
                failure_cost: 0,
                success_deposit: MILLI,
                refund_on_success: true,
                reserve: 0,
            },
            500 * MILLI,
        )
    }

    /// gRPC's retry throttling, with the `retryThrottling` settings of a service config.
    ///
    /// The balance starts at `max_tokens` and stays between 0 and `max_tokens`. Every failed
    /// attempt takes 1 token and every success adds `token_ratio`. Retries are allowed only
    /// while the balance is *above* `max_tokens / 2`; retries themselves cost nothing. Since
    /// amounts are thousandths, "above half" is a reserve of `max_tokens / 2 + 0.001`.
    ///
    /// Source: gRPC proposal A6, "gRPC Retry Design", section "Throttling Retry Attempts and
    /// Hedged RPCs" (<https://github.com/grpc/proposal/blob/master/A6-client-retries.md>).
    /// The thousandths and the strict threshold follow gRPC's C core (`retry_throttle.cc`
    /// counts milli-tokens and allows a retry while `tokens > max / 2`); the accepted range of
    /// `max_tokens` is grpc-go's.
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let budget = RetryBudget::grpc(10.0, 0.1)?;
    /// for _ in 0..4 {
    ///     budget.record_failure();
    /// }
    /// assert_eq!(budget.available(), 6.0);
    /// assert!(budget.try_withdraw(RetryKind::Normal).is_some()); // 6 > 5
    /// budget.record_failure();
    /// assert!(budget.try_withdraw(RetryKind::Normal).is_none()); // 5 is not above 5
    /// budget.record_success(None);
    /// assert_eq!(budget.available(), 5.1);
    /// assert!(budget.try_withdraw(RetryKind::Normal).is_some());
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// These settings usually arrive at run time (a service config), so bad values are an
    /// error, not a panic: `max_tokens` must be finite, above 0 and at most 1000;
    /// `token_ratio` must be finite and at least 0.001 (A6 requires it above zero and
    /// supports three decimal places). The error names the setting and the value.
    pub fn grpc(max_tokens: f64, token_ratio: f64) -> Result<Self, BudgetError> {
        let max = config::grpc_max_tokens(max_tokens)?;
        let ratio = config::grpc_token_ratio(token_ratio)?;
        Ok(RetryBudget::from_rules(
            Rules {
                capacity: max,
                retry_cost: 0,
                timeout_retry_cost: 0,
                throttled_retry_cost: 0,
                failure_cost: MILLI,
                success_deposit: ratio,
                refund_on_success: false,
                reserve: max / 2 + 1,
            },
            max,
        ))
    }

    /// Starts a budget of `capacity` tokens with free parameters; see [`BudgetBuilder`].
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// // At most 20 retries in a row; each success earns a fifth of a retry back.
    /// let budget = RetryBudget::builder(20.0).success_deposit(0.2).build()?;
    /// assert_eq!(budget.try_withdraw(RetryKind::Normal).unwrap().tokens(), 1.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn builder(capacity: f64) -> BudgetBuilder {
        BudgetBuilder::new(capacity)
    }

    fn from_rules(rules: Rules, initial: u64) -> Self {
        RetryBudget { bucket: Arc::new(Bucket { balance: AtomicU64::new(initial), rules }) }
    }

    /// Pays for one retry of `kind`, or returns `None` if the budget cannot afford it.
    ///
    /// Call it after a failed attempt, before sleeping. A retry is paid for when the balance
    /// minus the retry's cost is still at least the reserve; then the cost is taken from the
    /// bucket. `None` leaves the bucket untouched and means: stop retrying this call.
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let budget = RetryBudget::builder(12.0).retry_cost(5.0).timeout_retry_cost(10.0).build()?;
    /// assert!(budget.try_withdraw(RetryKind::Normal).is_some()); // 12 -> 7
    /// assert!(budget.try_withdraw(RetryKind::Timeout).is_none()); // 7 < 10
    /// assert!(budget.try_withdraw(RetryKind::Normal).is_some()); // 7 -> 2
    /// assert_eq!(budget.available(), 2.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn try_withdraw(&self, kind: RetryKind) -> Option<Withdrawal> {
        let rules = &self.bucket.rules;
        let cost = rules.cost(kind);
        // Both are at most the capacity (checked when built), so the sum cannot overflow.
        let floor = cost + rules.reserve;
        let balance = &self.bucket.balance;
        if cost == 0 {
            // Free retries only need the balance to clear the reserve; skipping the write
            // keeps the shared counter's cache line quiet.
            return (balance.load(Ordering::Relaxed) >= floor).then_some(Withdrawal::new(0));
        }
        balance
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                (now >= floor).then(|| now - cost)
            })
            .ok()
            .map(|_| Withdrawal::new(cost))
    }

    /// Records a failed attempt whose error was worth retrying.
    ///
    /// Call it for every such failure, also the last one of a call. It takes the failure
    /// cost (1 token for gRPC, nothing for AWS), stopping at zero.
    ///
    /// ```
    /// use persevere::budget::RetryBudget;
    ///
    /// let budget = RetryBudget::grpc(2.0, 0.5)?;
    /// budget.record_failure();
    /// budget.record_failure();
    /// budget.record_failure();
    /// assert_eq!(budget.available(), 0.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn record_failure(&self) {
        let cost = self.bucket.rules.failure_cost;
        if cost == 0 {
            return;
        }
        // `None` (already empty) skips the write; an `Err` from it is not a failure.
        let _ = self.bucket.balance.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
            (now > 0).then(|| now.saturating_sub(cost))
        });
    }

    /// Records a call's success; `last_retry` is the call's latest [`Withdrawal`], or `None`
    /// if the first attempt succeeded.
    ///
    /// It deposits the success deposit, except that a budget that refunds successful retries
    /// (the AWS model) gives back `last_retry`'s cost instead when there is one. The balance
    /// stops at the capacity.
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let budget = RetryBudget::aws_standard();
    /// let first = budget.try_withdraw(RetryKind::Timeout).unwrap();
    /// let second = budget.try_withdraw(RetryKind::Normal).unwrap();
    /// assert_eq!(budget.available(), 485.0);
    /// budget.record_success(Some(second)); // refunds the last retry only
    /// assert_eq!(budget.available(), 490.0);
    /// budget.record_success(None); // a first-try success elsewhere
    /// assert_eq!(budget.available(), 491.0);
    /// # let _ = first;
    /// ```
    pub fn record_success(&self, last_retry: Option<Withdrawal>) {
        let rules = &self.bucket.rules;
        let amount = match last_retry {
            Some(paid) if rules.refund_on_success => paid.milli(),
            _ => rules.success_deposit,
        };
        if amount == 0 {
            return;
        }
        let capacity = rules.capacity;
        // Healthy traffic finds the bucket full: `None` then skips the write, so successes
        // from many threads do not fight over the counter's cache line.
        let _ = self.bucket.balance.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
            (now < capacity).then(|| now.saturating_add(amount).min(capacity))
        });
    }

    /// The tokens in the bucket now, to the thousandth.
    ///
    /// With other threads at work the value may be stale by the time it is read; it is for
    /// metrics and logs, not for deciding whether to retry (use
    /// [`try_withdraw`](RetryBudget::try_withdraw)).
    ///
    /// ```
    /// use persevere::budget::RetryBudget;
    ///
    /// assert_eq!(RetryBudget::aws_standard().available(), 500.0);
    /// ```
    pub fn available(&self) -> f64 {
        to_tokens(self.bucket.balance.load(Ordering::Relaxed))
    }

    /// The most tokens the bucket holds.
    ///
    /// ```
    /// use persevere::budget::RetryBudget;
    ///
    /// assert_eq!(RetryBudget::grpc(10.0, 0.1)?.capacity(), 10.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn capacity(&self) -> f64 {
        to_tokens(self.bucket.rules.capacity)
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("available", &self.available())
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

fn to_tokens(milli: u64) -> f64 {
    // Exact below 2^53 thousandths, far above the largest setting.
    milli as f64 / MILLI as f64
}
