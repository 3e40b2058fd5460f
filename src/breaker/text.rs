//! Breaker settings as plain data, and their text form:
//! `breaker(consecutive_failures=3, break_duration=10s, name=db)`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::config::{Invalid, Settings, check_break, check_count, check_ratio, check_window};
use super::{Builder, CircuitBreaker};
use crate::backoff::text::{DurationText, ParseError, Token, parse_duration, split_call};
use crate::clock::SystemClock;

/// A circuit breaker's settings as plain data, with a text form for configuration files.
///
/// The fields are the [`Builder`]'s settings, with the same defaults; [`build`] makes a
/// breaker from them. `Display` prints `breaker(…)` with only the settings that differ from
/// the defaults, and `FromStr` reads it back: the keys are the builder's method names and
/// durations take a unit (`ns`, `us`, `ms`, `s`, `m`, `h`). A value the builder would refuse
/// is a [`ParseError`] with the builder's message, pointing at the value.
///
/// ```
/// use persevere::breaker::{BreakerConfig, State};
/// use std::time::Duration;
///
/// let config: BreakerConfig = "breaker(consecutive_failures=2, break_duration=10s, name=db)".parse()?;
/// assert_eq!(config.consecutive_failures, 2);
/// assert_eq!(config.break_duration, Duration::from_secs(10));
/// assert_eq!(config.to_string(), "breaker(consecutive_failures=2, break_duration=10s, name=db)");
/// assert_eq!(BreakerConfig::default().to_string(), "breaker()");
///
/// let breaker = config.build();
/// assert_eq!(breaker.name(), "db");
/// for _ in 0..2 {
///     let _ = breaker.call(|| Err::<(), _>("down"));
/// }
/// assert_eq!(breaker.state(), State::Open);
///
/// let err = "breaker(max_probes=0)".parse::<BreakerConfig>().unwrap_err();
/// assert_eq!(err.to_string(), "at byte 19, \"0\": invalid max_probes 0: expected at least 1");
/// # Ok::<(), persevere::ParseError>(())
/// ```
///
/// A name is written as it is, except that `%`, `,`, `(`, `)`, control characters and
/// whitespace at either end are written as `%` and two hex digits per byte (`%2C` for a
/// comma), so that every name reads back.
///
/// [`build`]: BreakerConfig::build
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BreakerConfig {
    /// See [`Builder::consecutive_failures`]; default 5.
    pub consecutive_failures: u32,
    /// See [`Builder::failure_ratio`]; default `None` (off).
    pub failure_ratio: Option<f64>,
    /// See [`Builder::sampling_window`]; default 30 s.
    pub sampling_window: Duration,
    /// See [`Builder::minimum_calls`]; default 100.
    pub minimum_calls: u32,
    /// See [`Builder::break_duration`]; default 30 s.
    pub break_duration: Duration,
    /// See [`Builder::max_probes`]; default 1.
    pub max_probes: u32,
    /// See [`Builder::probe_successes`]; default 1.
    pub probe_successes: u32,
    /// See [`Builder::name`]; default empty.
    pub name: String,
}

impl Default for BreakerConfig {
    /// The [`Builder`]'s defaults.
    ///
    /// ```
    /// use persevere::breaker::BreakerConfig;
    ///
    /// assert_eq!(BreakerConfig::default().consecutive_failures, 5);
    /// ```
    fn default() -> Self {
        let defaults = Settings::default();
        BreakerConfig {
            consecutive_failures: defaults.consecutive_failures,
            failure_ratio: defaults.failure_ratio,
            sampling_window: defaults.sampling_window,
            minimum_calls: defaults.minimum_calls,
            break_duration: defaults.break_duration,
            max_probes: defaults.max_probes,
            probe_successes: defaults.probe_successes,
            name: String::new(),
        }
    }
}

impl BreakerConfig {
    /// A [`Builder`] with these settings, to add a hook or a clock before building.
    ///
    /// ```
    /// use persevere::breaker::BreakerConfig;
    /// use persevere::clock::ManualClock;
    ///
    /// let config: BreakerConfig = "breaker(name=cache)".parse()?;
    /// let breaker = config.builder().clock(ManualClock::new()).build();
    /// assert_eq!(breaker.name(), "cache");
    /// # Ok::<(), persevere::ParseError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// If a field holds a value the builder refuses, with the builder's message, e.g.
    /// "invalid consecutive_failures 0: expected at least 1". A config read from text never
    /// does.
    #[track_caller]
    pub fn builder(&self) -> Builder<SystemClock> {
        let mut builder = CircuitBreaker::builder()
            .consecutive_failures(self.consecutive_failures)
            .sampling_window(self.sampling_window)
            .minimum_calls(self.minimum_calls)
            .break_duration(self.break_duration)
            .max_probes(self.max_probes)
            .probe_successes(self.probe_successes)
            .name(self.name.clone());
        if let Some(ratio) = self.failure_ratio {
            builder = builder.failure_ratio(ratio);
        }
        builder
    }

    /// Builds a closed breaker with these settings on the system clock.
    ///
    /// ```
    /// use persevere::breaker::{BreakerConfig, State};
    ///
    /// let breaker = "breaker(consecutive_failures=1)".parse::<BreakerConfig>()?.build();
    /// let _ = breaker.call(|| Err::<(), _>("down"));
    /// assert_eq!(breaker.state(), State::Open);
    /// # Ok::<(), persevere::ParseError>(())
    /// ```
    ///
    /// # Panics
    ///
    /// As [`builder`](BreakerConfig::builder) does.
    #[track_caller]
    pub fn build(&self) -> CircuitBreaker {
        self.builder().build()
    }
}

/// Prints `breaker(…)` with the settings that differ from the defaults, in the order of the
/// fields.
impl fmt::Display for BreakerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = BreakerConfig::default();
        let mut sep = "";
        let mut item = |f: &mut fmt::Formatter<'_>, key: &str, value: &dyn fmt::Display| {
            let result = write!(f, "{sep}{key}={value}");
            sep = ", ";
            result
        };
        f.write_str("breaker(")?;
        if self.consecutive_failures != default.consecutive_failures {
            item(f, "consecutive_failures", &self.consecutive_failures)?;
        }
        if let Some(ratio) = self.failure_ratio {
            item(f, "failure_ratio", &ratio)?;
        }
        if self.sampling_window != default.sampling_window {
            item(f, "sampling_window", &DurationText(self.sampling_window))?;
        }
        if self.minimum_calls != default.minimum_calls {
            item(f, "minimum_calls", &self.minimum_calls)?;
        }
        if self.break_duration != default.break_duration {
            item(f, "break_duration", &DurationText(self.break_duration))?;
        }
        if self.max_probes != default.max_probes {
            item(f, "max_probes", &self.max_probes)?;
        }
        if self.probe_successes != default.probe_successes {
            item(f, "probe_successes", &self.probe_successes)?;
        }
        if !self.name.is_empty() {
            item(f, "name", &NameText(&self.name))?;
        }
        f.write_str(")")
    }
}

/// Reads `breaker(key=value, …)`; every key is optional and may appear once.
impl FromStr for BreakerConfig {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (name, pairs) = if s.contains('(') {
            split_call(s)?
        } else {
            let whole = crate::backoff::text::token(s, s);
            return Err(whole.error("expected breaker settings such as breaker(name=db)"));
        };
        if name.text != "breaker" {
            return Err(name.error("expected `breaker`"));
        }
        let mut config = BreakerConfig::default();
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in pairs {
            if seen.contains(&key.text) {
                return Err(key.error("setting given twice"));
            }
            seen.push(key.text);
            let at = |invalid: Invalid| value.error(invalid);
            match key.text {
                "consecutive_failures" => {
                    config.consecutive_failures =
                        check_count("consecutive_failures", count(key, value)?).map_err(at)?;
                }
                "failure_ratio" => {
                    let ratio = value.text.parse().map_err(|_| {
                        value
                            .error("invalid failure_ratio: expected a number above 0 and at most 1")
                    })?;
                    config.failure_ratio = Some(check_ratio(ratio).map_err(at)?);
                }
                "sampling_window" => {
                    config.sampling_window = check_window(parse_duration(value)?).map_err(at)?;
                }
                "minimum_calls" => {
                    config.minimum_calls =
                        check_count("minimum_calls", count(key, value)?).map_err(at)?;
                }
                "break_duration" => {
                    config.break_duration = check_break(parse_duration(value)?).map_err(at)?;
                }
                "max_probes" => {
                    config.max_probes =
                        check_count("max_probes", count(key, value)?).map_err(at)?;
                }
                "probe_successes" => {
                    config.probe_successes =
                        check_count("probe_successes", count(key, value)?).map_err(at)?;
                }
                "name" => config.name = parse_name(value)?,
                _ => {
                    return Err(key.error(
                        "unknown setting: expected consecutive_failures, failure_ratio, \
                         sampling_window, minimum_calls, break_duration, max_probes, \
                         probe_successes or name",
                    ));
                }
            }
        }
        Ok(config)
    }
}

/// Reads a count; the zero check is the builder's.
fn count(key: Token<'_>, value: Token<'_>) -> Result<u32, ParseError> {
    value.text.parse().map_err(|_| {
        value.error(format_args!(
            "invalid {}: expected a whole number from 1 to {}",
            key.text,
            u32::MAX
        ))
    })
}

/// Whether a name's character must be escaped at `index` of a name of `len` bytes.
fn needs_escape(c: char, index: usize, len: usize) -> bool {
    matches!(c, '%' | ',' | '(' | ')')
        || c.is_control()
        || (c.is_whitespace() && (index == 0 || index + c.len_utf8() == len))
}

/// Writes a name so that it reads back: see [`BreakerConfig`].
struct NameText<'a>(&'a str);

impl fmt::Display for NameText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.0.len();
        for (index, c) in self.0.char_indices() {
            if needs_escape(c, index, len) {
                let mut bytes = [0; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    write!(f, "%{byte:02X}")?;
                }
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Reads a name, decoding `%` and two hex digits to a byte.
fn parse_name(value: Token<'_>) -> Result<String, ParseError> {
    let text = value.text.as_bytes();
    let mut bytes = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%' {
            let hex = text.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                // `%` and what follows, up to two characters, cut at a character boundary.
                let rest = &value.text[i..];
                let end = rest.char_indices().nth(3).map_or(rest.len(), |(j, _)| j);
                let escape = &rest[..end];
                let escape = Token { text: escape, at: value.at + i };
                return Err(escape.error("invalid name: `%` must be followed by two hex digits"));
            };
            bytes.push(byte);
            i += 3;
        } else {
            bytes.push(text[i]);
            i += 1;
        }
    }
    String::from_utf8(bytes)
        .map_err(|_| value.error("invalid name: the escapes do not decode to UTF-8"))
}

#[cfg(feature = "serde")]
mod serde_impls {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};
    use serde::{Deserialize, Serialize, Serializer};

    use super::BreakerConfig;

    /// Writes the text form `Display` prints.
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    impl Serialize for BreakerConfig {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(self)
        }
    }

    struct Text;

    impl Visitor<'_> for Text {
        type Value = BreakerConfig;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("breaker settings in their text form, such as \"breaker(name=db)\"")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<BreakerConfig, E> {
            text.parse().map_err(E::custom)
        }
    }

    /// Reads the text form `FromStr` reads; a parse error becomes the format's error.
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    impl<'de> Deserialize<'de> for BreakerConfig {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_str(Text)
        }
    }
}
