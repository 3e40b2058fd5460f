//! Budget settings as plain data, and their text form:
//! `budget(capacity=500, retry_cost=5, timeout_retry_cost=10)`.

use std::fmt;
use std::str::FromStr;

use super::{BudgetBuilder, BudgetError, RetryBudget};
use crate::backoff::text::{ParseError, Token, split_call, token};

/// A retry budget's settings as plain data, with a text form for configuration files.
///
/// The fields are the [`BudgetBuilder`]'s settings, with the same defaults; [`build`] checks
/// them and makes a budget. `Display` prints `budget(capacity=…, …)` with the capacity and the
/// settings that differ from the defaults, and `FromStr` reads it back: the keys are the
/// builder's method names, amounts are numbers of tokens and `refund_on_success` is `true`
/// or `false`. Settings the builder would refuse are a [`ParseError`] with the builder's
/// message, pointing at the value.
///
/// `budget(preset=aws_standard)` is [`RetryBudget::aws_standard`]'s settings, and is how
/// `Display` prints them; other keys after the preset change its settings.
///
/// ```
/// use persevere::budget::{BudgetConfig, RetryKind};
///
/// let config: BudgetConfig = "budget(capacity=10, retry_cost=2, reserve=4)".parse()?;
/// assert_eq!(config.retry_cost, 2.0);
/// assert_eq!(config.to_string(), "budget(capacity=10, retry_cost=2, reserve=4)");
///
/// let budget = config.build().expect("checked when read");
/// let mut retries = 0;
/// while budget.try_withdraw(RetryKind::Normal).is_some() {
///     retries += 1;
/// }
/// assert_eq!(retries, 3); // 10 -> 8 -> 6 -> 4
///
/// let err = "budget(capacity=10, initial=12)".parse::<BudgetConfig>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "at byte 28, \"12\": invalid retry budget setting initial = 12: it is above the capacity 10",
/// );
/// # Ok::<(), persevere::ParseError>(())
/// ```
///
/// [`build`]: BudgetConfig::build
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BudgetConfig {
    /// The bucket's size in tokens: [`RetryBudget::builder`]'s argument.
    pub capacity: f64,
    /// See [`BudgetBuilder::initial`]; `None` (full) by default.
    pub initial: Option<f64>,
    /// See [`BudgetBuilder::retry_cost`]; default 1.
    pub retry_cost: f64,
    /// See [`BudgetBuilder::timeout_retry_cost`]; `None` (the retry cost) by default.
    pub timeout_retry_cost: Option<f64>,
    /// See [`BudgetBuilder::throttled_retry_cost`]; `None` (the retry cost) by default.
    pub throttled_retry_cost: Option<f64>,
    /// See [`BudgetBuilder::failure_cost`]; default 0.
    pub failure_cost: f64,
    /// See [`BudgetBuilder::success_deposit`]; default 0.
    pub success_deposit: f64,
    /// See [`BudgetBuilder::refund_on_success`]; default `false`.
    pub refund_on_success: bool,
    /// See [`BudgetBuilder::reserve`]; default 0.
    pub reserve: f64,
}

impl BudgetConfig {
    /// A bucket of `capacity` tokens with the builder's other defaults.
    ///
    /// ```
    /// use persevere::budget::BudgetConfig;
    ///
    /// let config = BudgetConfig::new(100.0);
    /// assert_eq!(config.retry_cost, 1.0);
    /// assert_eq!(config.to_string(), "budget(capacity=100)");
    /// ```
    pub fn new(capacity: f64) -> Self {
        BudgetConfig {
            capacity,
            initial: None,
            retry_cost: 1.0,
            timeout_retry_cost: None,
            throttled_retry_cost: None,
            failure_cost: 0.0,
            success_deposit: 0.0,
            refund_on_success: false,
            reserve: 0.0,
        }
    }

    /// The settings of [`RetryBudget::aws_standard`].
    ///
    /// ```
    /// use persevere::budget::BudgetConfig;
    ///
    /// let config = BudgetConfig::aws_standard();
    /// assert_eq!(config.timeout_retry_cost, Some(10.0));
    /// assert_eq!(config.to_string(), "budget(preset=aws_standard)");
    /// ```
    pub fn aws_standard() -> Self {
        BudgetConfig {
            retry_cost: 5.0,
            timeout_retry_cost: Some(10.0),
            success_deposit: 1.0,
            refund_on_success: true,
            ..BudgetConfig::new(500.0)
        }
    }

    /// A [`BudgetBuilder`] with these settings.
    ///
    /// ```
    /// use persevere::budget::{BudgetConfig, RetryBudget};
    ///
    /// let config: BudgetConfig = "budget(capacity=10, reserve=2)".parse()?;
    /// assert_eq!(config.builder(), RetryBudget::builder(10.0).reserve(2.0));
    /// # Ok::<(), persevere::ParseError>(())
    /// ```
    pub fn builder(&self) -> BudgetBuilder {
        BudgetBuilder::from_config(self)
    }

    /// Checks the settings and makes the budget, as [`BudgetBuilder::build`] does.
    ///
    /// ```
    /// use persevere::budget::{BudgetConfig, RetryKind};
    ///
    /// let budget = "budget(preset=aws_standard)".parse::<BudgetConfig>()?.build().unwrap();
    /// assert_eq!(budget.try_withdraw(RetryKind::Timeout).unwrap().tokens(), 10.0);
    ///
    /// let mut config = BudgetConfig::new(5.0);
    /// config.retry_cost = 6.0;
    /// assert_eq!(config.build().unwrap_err().setting(), "retry_cost");
    /// # Ok::<(), persevere::ParseError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The [`BudgetError`] the builder gives; never for a config read from text.
    pub fn build(&self) -> Result<RetryBudget, BudgetError> {
        self.builder().build()
    }
}

/// Prints `budget(capacity=…, …)` with the settings that differ from the defaults, or
/// `budget(preset=aws_standard)` for that preset's settings.
impl fmt::Display for BudgetConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == BudgetConfig::aws_standard() {
            return f.write_str("budget(preset=aws_standard)");
        }
        let default = BudgetConfig::new(self.capacity);
        write!(f, "budget(capacity={}", self.capacity)?;
        if let Some(tokens) = self.initial {
            write!(f, ", initial={tokens}")?;
        }
        if self.retry_cost != default.retry_cost {
            write!(f, ", retry_cost={}", self.retry_cost)?;
        }
        if let Some(tokens) = self.timeout_retry_cost {
            write!(f, ", timeout_retry_cost={tokens}")?;
        }
        if let Some(tokens) = self.throttled_retry_cost {
            write!(f, ", throttled_retry_cost={tokens}")?;
        }
        if self.failure_cost != default.failure_cost {
            write!(f, ", failure_cost={}", self.failure_cost)?;
        }
        if self.success_deposit != default.success_deposit {
            write!(f, ", success_deposit={}", self.success_deposit)?;
        }
        if self.refund_on_success != default.refund_on_success {
            write!(f, ", refund_on_success={}", self.refund_on_success)?;
        }
        if self.reserve != default.reserve {
            write!(f, ", reserve={}", self.reserve)?;
        }
        f.write_str(")")
    }
}

/// Reads `budget(capacity=…, …)` or `budget(preset=aws_standard, …)`, then checks the
/// settings as [`BudgetBuilder::build`] does.
impl FromStr for BudgetConfig {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        if !s.contains('(') {
            let whole = token(s, s);
            return Err(whole.error("expected budget settings such as budget(capacity=100)"));
        }
        let (name, pairs) = split_call(s)?;
        if name.text != "budget" {
            return Err(name.error("expected `budget`"));
        }
        let mut seen: Vec<&str> = Vec::new();
        for (key, _) in &pairs {
            if seen.contains(&key.text) {
                return Err(key.error("setting given twice"));
            }
            seen.push(key.text);
        }
        let preset = pairs.iter().find(|(key, _)| key.text == "preset").map(|&(_, value)| value);
        let mut config = match preset {
            Some(value) if value.text == "aws_standard" => BudgetConfig::aws_standard(),
            Some(value) => return Err(value.error("unknown preset: expected aws_standard")),
            None => {
                let Some(&(_, value)) = pairs.iter().find(|(key, _)| key.text == "capacity") else {
                    return Err(name.error("missing setting `capacity` (or `preset`)"));
                };
                BudgetConfig::new(tokens(value)?)
            }
        };
        for &(key, value) in &pairs {
            match key.text {
                "preset" => {}
                "capacity" => config.capacity = tokens(value)?,
                "initial" => config.initial = Some(tokens(value)?),
                "retry_cost" => config.retry_cost = tokens(value)?,
                "timeout_retry_cost" => config.timeout_retry_cost = Some(tokens(value)?),
                "throttled_retry_cost" => config.throttled_retry_cost = Some(tokens(value)?),
                "failure_cost" => config.failure_cost = tokens(value)?,
                "success_deposit" => config.success_deposit = tokens(value)?,
                "refund_on_success" => {
                    config.refund_on_success = value.text.parse().map_err(|_| {
                        value.error("invalid refund_on_success: expected true or false")
                    })?;
                }
                "reserve" => config.reserve = tokens(value)?,
                _ => {
                    return Err(key.error(
                        "unknown setting: expected capacity, initial, retry_cost, \
                         timeout_retry_cost, throttled_retry_cost, failure_cost, \
                         success_deposit, refund_on_success, reserve or preset",
                    ));
                }
            }
        }
        if let Err(err) = config.build() {
            // Blame the refused setting's value or, when it came from the preset, the capacity
            // or reserve that no longer leaves room for it.
            let given = |setting: &str| pairs.iter().find(|(key, _)| key.text == setting);
            let blame = given(err.setting())
                .or_else(|| given("capacity"))
                .or_else(|| given("reserve"))
                .map_or(name, |&(_, value)| value);
            return Err(blame.error(err));
        }
        Ok(config)
    }
}

/// Reads an amount of tokens; its range is checked with the other settings.
fn tokens(value: Token<'_>) -> Result<f64, ParseError> {
    value.text.parse().map_err(|_| value.error("invalid amount: expected a number of tokens"))
}

#[cfg(feature = "serde")]
mod serde_impls {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::{Deserialize, Serialize, Serializer};

    use super::BudgetConfig;

    /// Writes the text form `Display` prints.
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    impl Serialize for BudgetConfig {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(self)
        }
    }

    struct Text;

    impl Visitor<'_> for Text {
        type Value = BudgetConfig;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("budget settings in their text form, such as \"budget(capacity=100)\"")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<BudgetConfig, E> {
            text.parse().map_err(E::custom)
        }
    }

    /// Reads the text form `FromStr` reads; a parse error becomes the format's error.
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    impl<'de> Deserialize<'de> for BudgetConfig {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_str(Text)
        }
    }
}
