//! A whole retry policy in text, for configuration files and environment variables:
//! [`PolicyConfig`], and [`Policy::from_env`].

use core::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::Policy;
use crate::backoff::text::{DurationText, Token, parse_duration, split_call, token};
use crate::retry::limits::Name;
use crate::{DEFAULT_ADJUST_CEILING, ParseError, Schedule};

/// The settings of a [`Policy`] that text can carry: the schedule, `max_elapsed`,
/// `adjust_ceiling` and the name. Hooks are code, so they are set on the policy built from
/// it.
///
/// Its text form is `policy(schedule=…, max_elapsed=…, adjust_ceiling=…, name=…)`, with the
/// schedule in its own text form and only the schedule required. `Display` prints what
/// differs from the defaults and reads back equal; errors point at the bad token.
///
/// ```
/// use persevere::policy::PolicyConfig;
/// use std::time::Duration;
///
/// let text = "policy(schedule=exponential(initial=100ms, factor=2, max_retries=5, jitter=full), max_elapsed=30s, name=charge_card)";
/// let config: PolicyConfig = text.parse()?;
/// assert_eq!(config.max_elapsed, Some(Duration::from_secs(30)));
/// assert_eq!(config.name.as_deref(), Some("charge_card"));
/// assert_eq!(config.to_string(), text);
/// # Ok::<(), persevere::ParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PolicyConfig {
    /// The delays between attempts.
    pub schedule: Schedule,
    /// See [`Policy::max_elapsed`]; `None` for no limit.
    pub max_elapsed: Option<Duration>,
    /// See [`Policy::adjust_ceiling`].
    pub adjust_ceiling: Duration,
    /// See [`Policy::name`]: letters, digits, `_`, `-`, `.` and `:`.
    pub name: Option<String>,
}

impl PolicyConfig {
    /// A configuration with `schedule` and every other setting at its default.
    ///
    /// ```
    /// use persevere::policy::PolicyConfig;
    /// use persevere::Fixed;
    /// use std::time::Duration;
    ///
    /// let config = PolicyConfig::new(Fixed::new(Duration::from_secs(1)).into());
    /// assert_eq!(config.to_string(), "policy(schedule=fixed(delay=1s, max_retries=3))");
    /// ```
    pub fn new(schedule: Schedule) -> Self {
        PolicyConfig {
            schedule,
            max_elapsed: None,
            adjust_ceiling: DEFAULT_ADJUST_CEILING,
            name: None,
        }
    }
}

#[cfg(feature = "serde")]
crate::backoff::serde::text_serde!(PolicyConfig);

/// Whether `name` survives the text form: no separators, no spaces, not empty.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

impl FromStr for PolicyConfig {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Self, ParseError> {
        let whole = token(input, input);
        if !input.contains('(') {
            return Err(whole.error("expected policy(schedule=…)"));
        }
        let (found, pairs) = split_call(input)?;
        if found.text != "policy" {
            return Err(found.error("expected `policy`"));
        }
        let mut seen: Vec<&str> = Vec::new();
        let mut schedule = None;
        let mut config = PolicyConfig::new(Schedule::from(crate::Fixed::new(Duration::ZERO)));
        for &(key, value) in &pairs {
            if seen.contains(&key.text) {
                return Err(key.error("setting given twice"));
            }
            seen.push(key.text);
            match key.text {
                "schedule" => schedule = Some(parse_schedule(input, value)?),
                "max_elapsed" => config.max_elapsed = Some(parse_duration(value)?),
                "adjust_ceiling" => config.adjust_ceiling = parse_duration(value)?,
                "name" if valid_name(value.text) => config.name = Some(value.text.to_owned()),
                "name" => {
                    return Err(
                        value.error("invalid name: expected letters, digits, `_`, `-`, `.` or `:`")
                    );
                }
                _ => return Err(key.error("unknown setting")),
            }
        }
        config.schedule = schedule.ok_or_else(|| found.error("missing setting `schedule`"))?;
        Ok(config)
    }
}

/// Reads the schedule inside the policy's text, with errors placed in the whole input.
fn parse_schedule(input: &str, value: Token<'_>) -> Result<Schedule, ParseError> {
    value.text.parse::<Schedule>().map_err(|e| {
        let at = value.at + e.position();
        let bad = token(input, &input[at..at + e.token().len()]);
        bad.error(e.problem())
    })
}

impl fmt::Display for PolicyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy(schedule={}", self.schedule)?;
        if let Some(max) = self.max_elapsed {
            write!(f, ", max_elapsed={}", DurationText(max))?;
        }
        if self.adjust_ceiling != DEFAULT_ADJUST_CEILING {
            write!(f, ", adjust_ceiling={}", DurationText(self.adjust_ceiling))?;
        }
        if let Some(name) = &self.name {
            write!(f, ", name={name}")?;
        }
        f.write_str(")")
    }
}

/// Why a policy could not be read from the environment: the variable is missing or not
/// Unicode, or its text does not parse. Says which variable.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    variable: String,
    problem: Problem,
}

#[derive(Clone, Debug, PartialEq)]
enum Problem {
    Missing,
    NotUnicode,
    Parse(ParseError),
}

impl ConfigError {
    /// The environment variable read.
    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// The parse error, when the variable was there but its text did not read.
    pub fn parse_error(&self) -> Option<&ParseError> {
        match &self.problem {
            Problem::Parse(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variable = &self.variable;
        match &self.problem {
            Problem::Missing => write!(f, "environment variable {variable} is not set"),
            Problem::NotUnicode => write!(f, "environment variable {variable} is not Unicode"),
            Problem::Parse(e) => write!(f, "environment variable {variable}: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            Problem::Parse(e) => Some(e),
            _ => None,
        }
    }
}

impl<E> Policy<Schedule, E> {
    /// A policy with the settings of `config` and no hooks; set them on the result.
    ///
    /// ```
    /// use persevere::policy::PolicyConfig;
    /// use persevere::Policy;
    ///
    /// let config: PolicyConfig = "policy(schedule=fixed(delay=10ms, max_retries=2), name=search)".parse()?;
    /// let search = Policy::from_config(&config).when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut);
    /// let (_, report) = search.retry(|| Err::<(), _>(std::io::ErrorKind::TimedOut.into())).sleep(|_| {}).call_with_report();
    /// assert_eq!(report.attempts, 3);
    /// # Ok::<(), persevere::ParseError>(())
    /// ```
    pub fn from_config(config: &PolicyConfig) -> Self {
        let mut policy = Policy::new(config.schedule.clone());
        policy.limits.max_elapsed = config.max_elapsed;
        policy.limits.adjust_ceiling = config.adjust_ceiling;
        policy.limits.name = config.name.as_deref().map(|name| Name::Shared(Arc::from(name)));
        policy
    }

    /// A policy read from the environment variable `variable`, in [`PolicyConfig`]'s text
    /// form. One line at start-up: `let api = Policy::from_env("API_RETRY")?.when(is_transient);`
    ///
    /// ```
    /// use persevere::Policy;
    ///
    /// // API_RETRY="policy(schedule=exponential(initial=100ms, max_retries=5), max_elapsed=30s)"
    /// match Policy::<_, std::io::Error>::from_env("API_RETRY") {
    ///     Ok(policy) => drop(policy),
    ///     Err(e) => assert_eq!(e.to_string(), "environment variable API_RETRY is not set"),
    /// }
    /// ```
    pub fn from_env(variable: &str) -> Result<Self, ConfigError> {
        let error = |problem| ConfigError { variable: variable.to_owned(), problem };
        let text = std::env::var(variable).map_err(|e| match e {
            std::env::VarError::NotPresent => error(Problem::Missing),
            std::env::VarError::NotUnicode(_) => error(Problem::NotUnicode),
        })?;
        let config: PolicyConfig = text.parse().map_err(|e| error(Problem::Parse(e)))?;
        Ok(Policy::from_config(&config))
    }
}
