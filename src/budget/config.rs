//! Turning settings in tokens into checked rules in thousandths.

use std::fmt;

use super::{BudgetConfig, MAX_TOKENS, MILLI, RetryBudget, Rules};

/// Free parameters for a [`RetryBudget`]; made by [`RetryBudget::builder`].
///
/// Every amount is in tokens, rounded to the nearest thousandth. Settings left alone: the
/// bucket starts full, every retry costs 1 token, failures cost nothing, successes deposit
/// nothing (so the budget is a fixed allowance of `capacity` retries until something is
/// deposited), nothing is refunded and there is no reserve.
///
/// ```
/// use persevere::budget::{RetryBudget, RetryKind};
///
/// // Retries cost 1; a success earns back a tenth; keep 10 tokens that retries cannot use.
/// let budget = RetryBudget::builder(100.0).success_deposit(0.1).reserve(10.0).build()?;
/// let mut retries = 0;
/// while budget.try_withdraw(RetryKind::Normal).is_some() {
///     retries += 1;
/// }
/// assert_eq!(retries, 90);
/// for _ in 0..10 {
///     budget.record_success(None);
/// }
/// assert!(budget.try_withdraw(RetryKind::Normal).is_some());
/// # Ok::<(), persevere::budget::BudgetError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use = "call `build` to make the budget"]
pub struct BudgetBuilder {
    capacity: f64,
    initial: Option<f64>,
    retry_cost: f64,
    timeout_retry_cost: Option<f64>,
    throttled_retry_cost: Option<f64>,
    failure_cost: f64,
    success_deposit: f64,
    refund_on_success: bool,
    reserve: f64,
}

impl BudgetBuilder {
    pub(super) fn new(capacity: f64) -> Self {
        BudgetBuilder::from_config(&BudgetConfig::new(capacity))
    }

    /// A builder with the settings of `config`, whose defaults are the builder's.
    pub(super) fn from_config(config: &BudgetConfig) -> Self {
        BudgetBuilder {
            capacity: config.capacity,
            initial: config.initial,
            retry_cost: config.retry_cost,
            timeout_retry_cost: config.timeout_retry_cost,
            throttled_retry_cost: config.throttled_retry_cost,
            failure_cost: config.failure_cost,
            success_deposit: config.success_deposit,
            refund_on_success: config.refund_on_success,
            reserve: config.reserve,
        }
    }

    /// The balance the bucket starts with (default: full).
    ///
    /// ```
    /// use persevere::budget::RetryBudget;
    ///
    /// let budget = RetryBudget::builder(10.0).initial(4.0).build()?;
    /// assert_eq!(budget.available(), 4.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn initial(mut self, tokens: f64) -> Self {
        self.initial = Some(tokens);
        self
    }

    /// What a [`RetryKind::Normal`](super::RetryKind::Normal) retry costs (default 1); also
    /// the cost of the other kinds unless they are set.
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let budget = RetryBudget::builder(10.0).retry_cost(2.5).build()?;
    /// assert_eq!(budget.try_withdraw(RetryKind::Timeout).unwrap().tokens(), 2.5);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn retry_cost(mut self, tokens: f64) -> Self {
        self.retry_cost = tokens;
        self
    }

    /// What a retry after a [`RetryKind::Timeout`](super::RetryKind::Timeout) costs
    /// (default: the retry cost).
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let budget = RetryBudget::builder(10.0).timeout_retry_cost(4.0).build()?;
    /// assert_eq!(budget.try_withdraw(RetryKind::Timeout).unwrap().tokens(), 4.0);
    /// assert_eq!(budget.try_withdraw(RetryKind::Normal).unwrap().tokens(), 1.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn timeout_retry_cost(mut self, tokens: f64) -> Self {
        self.timeout_retry_cost = Some(tokens);
        self
    }

    /// What a retry after a [`RetryKind::Throttled`](super::RetryKind::Throttled) error costs
    /// (default: the retry cost).
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let budget = RetryBudget::builder(10.0).retry_cost(3.0).throttled_retry_cost(1.0).build()?;
    /// assert_eq!(budget.try_withdraw(RetryKind::Throttled).unwrap().tokens(), 1.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn throttled_retry_cost(mut self, tokens: f64) -> Self {
        self.throttled_retry_cost = Some(tokens);
        self
    }

    /// What every failed attempt costs, retried or not (default 0; gRPC charges 1).
    ///
    /// ```
    /// use persevere::budget::RetryBudget;
    ///
    /// let budget = RetryBudget::builder(10.0).failure_cost(1.5).build()?;
    /// budget.record_failure();
    /// assert_eq!(budget.available(), 8.5);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn failure_cost(mut self, tokens: f64) -> Self {
        self.failure_cost = tokens;
        self
    }

    /// What a success deposits (default 0; AWS deposits 1 for a first-try success, gRPC
    /// deposits its `tokenRatio` for every success).
    ///
    /// ```
    /// use persevere::budget::RetryBudget;
    ///
    /// let budget = RetryBudget::builder(10.0).initial(0.0).success_deposit(0.25).build()?;
    /// budget.record_success(None);
    /// assert_eq!(budget.available(), 0.25);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn success_deposit(mut self, tokens: f64) -> Self {
        self.success_deposit = tokens;
        self
    }

    /// Whether a success after retries gives back its last retry's cost *instead of* the
    /// success deposit (default `false`; the AWS model does).
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let budget = RetryBudget::builder(10.0).retry_cost(3.0).refund_on_success(true).build()?;
    /// let paid = budget.try_withdraw(RetryKind::Normal).unwrap();
    /// budget.record_success(Some(paid));
    /// assert_eq!(budget.available(), 10.0);
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn refund_on_success(mut self, refund: bool) -> Self {
        self.refund_on_success = refund;
        self
    }

    /// Tokens that retries may not spend (default 0): a retry is paid for only when the
    /// balance minus its cost is still at least `tokens`. Failures can still empty the
    /// bucket; only retries stop at the reserve.
    ///
    /// ```
    /// use persevere::budget::{RetryBudget, RetryKind};
    ///
    /// let budget = RetryBudget::builder(10.0).retry_cost(2.0).reserve(5.0).build()?;
    /// assert!(budget.try_withdraw(RetryKind::Normal).is_some()); // 10 -> 8
    /// assert!(budget.try_withdraw(RetryKind::Normal).is_some()); // 8 -> 6
    /// assert!(budget.try_withdraw(RetryKind::Normal).is_none()); // 6 - 2 < 5
    /// # Ok::<(), persevere::budget::BudgetError>(())
    /// ```
    pub fn reserve(mut self, tokens: f64) -> Self {
        self.reserve = tokens;
        self
    }

    /// Checks the settings and makes the budget.
    ///
    /// ```
    /// use persevere::budget::RetryBudget;
    ///
    /// let err = RetryBudget::builder(10.0).retry_cost(8.0).reserve(5.0).build().unwrap_err();
    /// assert_eq!(err.setting(), "retry_cost");
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid retry budget setting retry_cost = 8: with the reserve of 5 it exceeds the \
    ///      capacity 10, so no such retry could ever be paid for",
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// A [`BudgetError`] naming the setting and its value when an amount is NaN, infinite,
    /// negative or above 1e9 tokens; when the capacity is below 0.001; when the starting
    /// balance is above the capacity; or when a retry cost plus the reserve is above the
    /// capacity (no such retry could ever be paid for).
    pub fn build(&self) -> Result<RetryBudget, BudgetError> {
        let capacity = amount("capacity", self.capacity)?;
        if capacity == 0 {
            return Err(BudgetError::new("capacity", self.capacity, Problem::BelowResolution));
        }
        let initial = match self.initial {
            Some(tokens) => {
                let initial = amount("initial", tokens)?;
                if initial > capacity {
                    return Err(BudgetError::new(
                        "initial",
                        tokens,
                        Problem::AboveCapacity { capacity: self.capacity },
                    ));
                }
                initial
            }
            None => capacity,
        };
        let reserve = amount("reserve", self.reserve)?;
        let retry_cost =
            self.checked_retry_cost("retry_cost", self.retry_cost, capacity, reserve)?;
        let timeout = self.timeout_retry_cost.unwrap_or(self.retry_cost);
        let throttled = self.throttled_retry_cost.unwrap_or(self.retry_cost);
        let rules = Rules {
            capacity,
            retry_cost,
            timeout_retry_cost: self.checked_retry_cost(
                "timeout_retry_cost",
                timeout,
                capacity,
                reserve,
            )?,
            throttled_retry_cost: self.checked_retry_cost(
                "throttled_retry_cost",
                throttled,
                capacity,
                reserve,
            )?,
            failure_cost: amount("failure_cost", self.failure_cost)?,
            success_deposit: amount("success_deposit", self.success_deposit)?,
            refund_on_success: self.refund_on_success,
            reserve,
        };
        Ok(RetryBudget::from_rules(rules, initial))
    }

    fn checked_retry_cost(
        &self,
        setting: &'static str,
        tokens: f64,
        capacity: u64,
        reserve: u64,
    ) -> Result<u64, BudgetError> {
        let cost = amount(setting, tokens)?;
        if cost + reserve > capacity {
            return Err(BudgetError::new(
                setting,
                tokens,
                Problem::LeavesNoRetry { reserve: self.reserve, capacity: self.capacity },
            ));
        }
        Ok(cost)
    }
}

/// `tokens` in thousandths, if it is a number from 0 to `MAX_TOKENS`.
fn amount(setting: &'static str, tokens: f64) -> Result<u64, BudgetError> {
    // Written so that NaN fails the test too.
    if !(0.0..=MAX_TOKENS).contains(&tokens) {
        return Err(BudgetError::new(setting, tokens, Problem::OutOfRange));
    }
    // In range, so the product is below 2^53 and the cast is exact.
    Ok((tokens * MILLI as f64).round() as u64)
}

/// gRPC's `maxTokens` in thousandths: above 0 and at most 1000, as grpc-go accepts.
pub(super) fn grpc_max_tokens(tokens: f64) -> Result<u64, BudgetError> {
    if tokens.is_nan() || tokens <= 0.0 || tokens > 1000.0 {
        return Err(BudgetError::new("max_tokens", tokens, Problem::GrpcMaxTokens));
    }
    let milli = amount("max_tokens", tokens)?;
    if milli == 0 {
        return Err(BudgetError::new("max_tokens", tokens, Problem::BelowResolution));
    }
    Ok(milli)
}

/// gRPC's `tokenRatio` in thousandths: A6 requires it above zero.
pub(super) fn grpc_token_ratio(tokens: f64) -> Result<u64, BudgetError> {
    let milli = amount("token_ratio", tokens)?;
    if milli == 0 {
        return Err(BudgetError::new("token_ratio", tokens, Problem::BelowResolution));
    }
    Ok(milli)
}

/// A retry budget setting that cannot work, with its name and value.
///
/// ```
/// use persevere::budget::RetryBudget;
///
/// let err = RetryBudget::grpc(10.0, f64::NAN).unwrap_err();
/// assert_eq!(err.setting(), "token_ratio");
/// assert!(err.value().is_nan());
/// assert_eq!(
///     err.to_string(),
///     "invalid retry budget setting token_ratio = NaN: expected a number of tokens from 0 to 1e9",
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetError {
    setting: &'static str,
    value: f64,
    problem: Problem,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Problem {
    OutOfRange,
    BelowResolution,
    AboveCapacity { capacity: f64 },
    LeavesNoRetry { reserve: f64, capacity: f64 },
    GrpcMaxTokens,
}

impl BudgetError {
    fn new(setting: &'static str, value: f64, problem: Problem) -> Self {
        BudgetError { setting, value, problem }
    }

    /// The name of the bad setting, as the builder method or preset parameter spells it.
    ///
    /// ```
    /// use persevere::budget::RetryBudget;
    ///
    /// let err = RetryBudget::builder(5.0).initial(6.0).build().unwrap_err();
    /// assert_eq!(err.setting(), "initial");
    /// ```
    pub fn setting(&self) -> &'static str {
        self.setting
    }

    /// The bad value, as it was given.
    ///
    /// ```
    /// use persevere::budget::RetryBudget;
    ///
    /// let err = RetryBudget::builder(-3.0).build().unwrap_err();
    /// assert_eq!(err.value(), -3.0);
    /// ```
    pub fn value(&self) -> f64 {
        self.value
    }
}

impl fmt::Display for BudgetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid retry budget setting {} = {}: ", self.setting, self.value)?;
        match self.problem {
            Problem::OutOfRange => write!(f, "expected a number of tokens from 0 to 1e9"),
            Problem::BelowResolution => {
                write!(f, "expected at least 0.001, the smallest amount a budget counts")
            }
            Problem::AboveCapacity { capacity } => {
                write!(f, "it is above the capacity {capacity}")
            }
            Problem::LeavesNoRetry { reserve, capacity } => write!(
                f,
                "with the reserve of {reserve} it exceeds the capacity {capacity}, \
                 so no such retry could ever be paid for"
            ),
            Problem::GrpcMaxTokens => {
                write!(f, "gRPC's maxTokens must be above 0 and at most 1000")
            }
        }
    }
}

impl std::error::Error for BudgetError {}
