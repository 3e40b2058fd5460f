//! The text form of schedules: `exponential(initial=100ms, factor=2, max_retries=5)`.
//!
//! One syntax for `Display` and `FromStr`, so a schedule printed to a config file reads back
//! as the same schedule. Keys are the setter names; durations take a unit (`ns`, `us`, `ms`,
//! `s`, `m`, `h`) and may have a decimal fraction (`1.5s`).

use core::fmt;
use core::str::FromStr;
use core::time::Duration;
use std::string::{String, ToString};
use std::vec::Vec;

use super::engine::Growth;
use super::{
    Exponential, Fibonacci, Fixed, Invalid, Jitter, Jittered, Proportion, Schedule, Unjittered,
};

/// Why a schedule's text form could not be read, and where.
///
/// ```
/// use persevere::Exponential;
///
/// let err = "exponential(initial=100ms, factor=0.5)".parse::<Exponential>().unwrap_err();
/// assert_eq!(err.token(), "0.5");
/// assert_eq!(err.position(), 34);
/// assert_eq!(
///     err.to_string(),
///     "at byte 34, \"0.5\": invalid factor 0.5: expected a finite number of at least 1",
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    position: usize,
    token: String,
    problem: String,
}

impl ParseError {
    pub(crate) fn new(position: usize, token: &str, problem: impl ToString) -> Self {
        ParseError { position, token: token.to_string(), problem: problem.to_string() }
    }

    /// The byte offset of the offending token in the input.
    pub fn position(&self) -> usize {
        self.position
    }

    /// The offending token (empty when the input ended too early).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// What is wrong with the token.
    pub(crate) fn problem(&self) -> &str {
        &self.problem
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}, {:?}: {}", self.position, self.token, self.problem)
    }
}

impl std::error::Error for ParseError {}

/// A piece of the input and where it starts.
///
/// The text form's pieces are shared with the other configuration types (the policy, the
/// breaker and the budget), which read `name(key=value, …)` the same way.
#[derive(Clone, Copy)]
pub(crate) struct Token<'a> {
    pub(crate) text: &'a str,
    pub(crate) at: usize,
}

impl<'a> Token<'a> {
    pub(crate) fn error(self, problem: impl ToString) -> ParseError {
        ParseError::new(self.at, self.text, problem)
    }
}

/// Trims `s` (which starts at byte `at` of the input) to a token.
pub(crate) fn token<'a>(input: &'a str, s: &str) -> Token<'a> {
    let trimmed = s.trim();
    let lead = s.len() - s.trim_start().len();
    let at = s.as_ptr() as usize - input.as_ptr() as usize + lead;
    Token { text: &input[at..at + trimmed.len()], at }
}

/// Splits `name(key=value, …)` into its name and its pairs. A value may itself be a call
/// with commas inside its parentheses (`schedule=fixed(delay=1s, max_retries=2)`).
pub(crate) fn split_call(
    input: &str,
) -> Result<(Token<'_>, Vec<(Token<'_>, Token<'_>)>), ParseError> {
    let whole = token(input, input);
    let Some(open) = input.find('(') else {
        return Err(whole.error("expected a schedule such as exponential(initial=100ms)"));
    };
    let name = token(input, &input[..open]);
    let rest = input[open + 1..].trim_end();
    let Some(body) = rest.strip_suffix(')') else {
        let end = token(input, &input[input.len()..]);
        return Err(end.error("expected `)` at the end"));
    };
    let mut pairs = Vec::new();
    if body.trim().is_empty() {
        return Ok((name, pairs));
    }
    for item in split_top_level(body) {
        let item_token = token(input, item);
        let Some(eq) = item.find('=') else {
            return Err(item_token.error("expected key=value"));
        };
        pairs.push((token(input, &item[..eq]), token(input, &item[eq + 1..])));
    }
    Ok((name, pairs))
}

/// Splits on the commas that are not inside parentheses.
fn split_top_level(body: &str) -> impl Iterator<Item = &str> {
    let mut depth = 0usize;
    let mut start = 0;
    let mut items = Vec::new();
    for (i, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&body[start..]);
    items.into_iter()
}

/// The settings every schedule shares, read from the pairs the schedule did not claim.
/// Jitter and seed are read into `jittered`, which a schedule without jitter refuses
/// (`None`) but for `jitter=none`.
fn apply_common<S: Unjittered>(
    schedule: &mut Jittered<S>,
    jitter_allowed: bool,
    key: Token<'_>,
    value: Token<'_>,
) -> Result<(), ParseError> {
    let needs_jittered = |token: Token<'_>| {
        token.error(format_args!(
            "a schedule with jitter or a seed is a `Jittered<{}>`: read the text as that or as a `Schedule`",
            S::NAME
        ))
    };
    match key.text {
        "max_delay" => {
            let cap = parse_duration(value)?;
            schedule.set_cap(cap).map_err(|e| value.error(e))?;
        }
        "max_retries" => match value.text {
            "forever" => schedule.schedule_mut().engine_mut().set_max_retries(None),
            n => {
                let n = n.parse().map_err(|_| {
                    value.error("invalid max_retries: expected a whole number or `forever`")
                })?;
                schedule.schedule_mut().engine_mut().set_max_retries(Some(n));
            }
        },
        "max_total_delay" => {
            let total = parse_duration(value)?;
            schedule.schedule_mut().engine_mut().set_max_total(total);
        }
        "jitter" => {
            let jitter = parse_jitter(value)?;
            if !jitter_allowed && jitter != Jitter::None {
                return Err(needs_jittered(value));
            }
            schedule.set_jitter(jitter);
        }
        "seed" => {
            let seed = value
                .text
                .parse()
                .map_err(|_| value.error("invalid seed: expected a whole number"))?;
            if !jitter_allowed {
                return Err(needs_jittered(key));
            }
            schedule.set_seed(seed);
        }
        _ => return Err(key.error("unknown setting")),
    }
    Ok(())
}

/// Reads a jitter keyword, or `proportional(p)` with `p` in (0, 1].
fn parse_jitter(value: Token<'_>) -> Result<Jitter, ParseError> {
    const PROPORTIONAL: &str = "proportional(";
    if let Some(jitter) = Jitter::from_keyword(value.text) {
        return Ok(jitter);
    }
    let Some(inner) = value.text.strip_prefix(PROPORTIONAL).and_then(|r| r.strip_suffix(')'))
    else {
        return Err(value
            .error("invalid jitter: expected none, full, equal, decorrelated or proportional(p)"));
    };
    let lead = inner.len() - inner.trim_start().len();
    let p = Token { text: inner.trim(), at: value.at + PROPORTIONAL.len() + lead };
    let number: f64 = p.text.parse().map_err(|_| {
        p.error("invalid jitter proportion: expected a number above 0 and at most 1")
    })?;
    let proportion = Proportion::checked(number).map_err(|e| p.error(e))?;
    Ok(Jitter::Proportional(proportion.get()))
}

/// Reads `name(first=…, …)`: the schedule's first setting, then the rest in any order.
/// With `jitter_allowed` false, a jitter other than `none` or a seed is refused.
fn parse<S: Unjittered>(input: &str, jitter_allowed: bool) -> Result<Jittered<S>, ParseError> {
    let (found, pairs) = split_call(input)?;
    let (name, first) = (S::TEXT, S::FIRST);
    if found.text != name {
        return Err(found.error(format_args!("expected `{name}`")));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in &pairs {
        if seen.contains(&key.text) {
            return Err(key.error("setting given twice"));
        }
        seen.push(key.text);
    }
    let Some(&(_, initial)) = pairs.iter().find(|(k, _)| k.text == first) else {
        return Err(found.error(format_args!("missing setting `{first}`")));
    };
    let mut schedule = Jittered::from(S::build(parse_duration(initial)?));
    // The cap is checked against the initial delay, so the order of keys must not matter.
    for &(key, value) in pairs.iter().filter(|(k, _)| k.text != first) {
        if key.text == "factor" && schedule.schedule().factor().is_some() {
            let factor: f64 =
                value.text.parse().map_err(|_| value.error("invalid factor: expected a number"))?;
            let factor = Invalid::check_factor(factor).map_err(|e| value.error(e))?;
            schedule.schedule_mut().set_factor(factor);
            continue;
        }
        apply_common(&mut schedule, jitter_allowed, key, value)?;
    }
    Ok(schedule)
}

/// Reads the text form `Display` prints. A text with a jitter other than `none`, or a seed,
/// is refused: it is a [`Jittered`] schedule's, which keeps the random state.
impl FromStr for Exponential {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s, false).map(Jittered::into_schedule)
    }
}

/// Reads the text form `Display` prints. A text with a jitter other than `none`, or a seed,
/// is refused: it is a [`Jittered`] schedule's, which keeps the random state.
impl FromStr for Fixed {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s, false).map(Jittered::into_schedule)
    }
}

/// Reads the text form `Display` prints. A text with a jitter other than `none`, or a seed,
/// is refused: it is a [`Jittered`] schedule's, which keeps the random state.
impl FromStr for Fibonacci {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s, false).map(Jittered::into_schedule)
    }
}

/// Reads the schedule's text form, with or without `jitter` and `seed`.
impl<S: Unjittered> FromStr for Jittered<S> {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s, true)
    }
}

/// Reads the text form of any of the three schedules, by the name before its settings.
impl FromStr for Schedule {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (name, _) = split_call(s)?;
        match name.text {
            "exponential" => s.parse().map(Schedule::Exponential),
            "fixed" => s.parse().map(Schedule::Fixed),
            "fibonacci" => s.parse().map(Schedule::Fibonacci),
            _ => Err(name.error("expected `exponential`, `fixed` or `fibonacci`")),
        }
    }
}

/// Writes a schedule's text form: its own settings, then those that differ from the
/// defaults, `max_retries` always.
fn write<S: Unjittered>(
    f: &mut fmt::Formatter<'_>,
    schedule: &S,
    jitter: Jitter,
    seed: Option<u64>,
) -> fmt::Result {
    let engine = schedule.engine();
    write!(f, "{}({}={}", S::TEXT, S::FIRST, DurationText(engine.growth.initial()))?;
    if let Some(factor) = schedule.factor() {
        write!(f, ", factor={factor}")?;
    }
    if engine.cap() != Duration::MAX {
        write!(f, ", max_delay={}", DurationText(engine.cap()))?;
    }
    match engine.max_retries() {
        Some(n) => write!(f, ", max_retries={n}")?,
        None => f.write_str(", max_retries=forever")?,
    }
    if let Some(total) = engine.max_total() {
        write!(f, ", max_total_delay={}", DurationText(total))?;
    }
    if jitter != Jitter::None {
        write!(f, ", jitter={jitter}")?;
    }
    if let Some(seed) = seed {
        write!(f, ", seed={seed}")?;
    }
    f.write_str(")")
}

/// Prints the schedule's settings (not its progress) in the syntax `FromStr` reads.
impl fmt::Display for Exponential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self, Jitter::None, None)
    }
}

/// Prints the schedule's settings (not its progress) in the syntax `FromStr` reads.
impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self, Jitter::None, None)
    }
}

/// Prints the schedule's settings (not its progress) in the syntax `FromStr` reads.
impl fmt::Display for Fibonacci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self, Jitter::None, None)
    }
}

/// Prints the schedule's settings (not its progress or random state) in the syntax
/// `FromStr` reads, with the jitter and the seed if one was given.
impl<S: Unjittered> fmt::Display for Jittered<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self.schedule(), self.jitter_setting(), self.seed_setting())
    }
}

const UNITS: [(&str, u128); 6] = [
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
];

/// A duration in the largest unit that divides it exactly: `1500ms`, `2m`, `7ns`.
pub(crate) struct DurationText(pub(crate) Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_nanos();
        if nanos == 0 {
            return f.write_str("0s");
        }
        let (unit, size) =
            UNITS.into_iter().find(|&(_, size)| nanos % size == 0).unwrap_or(("ns", 1));
        write!(f, "{}{unit}", nanos / size)
    }
}

/// Reads `250ms`, `1.5s`, `2m`, `0.25h`, exactly, in integer arithmetic: any value that is
/// a whole number of nanoseconds (`0.000000000005h` is 18ns) reads, a true sub-nanosecond
/// remainder is refused, and so is a value beyond `Duration::MAX`.
pub(crate) fn parse_duration(t: Token<'_>) -> Result<Duration, ParseError> {
    let bad = |why: &str| t.error(format_args!("invalid duration: {why}"));
    let text = t.text;
    let digits_end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let unit = if unit == "µs" { "us" } else { unit };
    let Some(&(_, size)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(bad("expected a number and a unit (ns, us, ms, s, m, h), like 100ms or 1.5s"));
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() || frac.contains('.') {
        return Err(bad("expected a number before the unit"));
    }
    let too_big = || bad("too large");
    let mut nanos: u128 = 0;
    for d in whole.bytes() {
        nanos = nanos
            .checked_mul(10)
            .and_then(|n| n.checked_add(u128::from(d - b'0')))
            .ok_or_else(too_big)?;
    }
    nanos = nanos.checked_mul(size).ok_or_else(too_big)?;
    // The fraction is `digits / 10^places` of a unit: exact in nanoseconds when
    // `digits * size` is a multiple of `10^places`. Trailing zeros change nothing. Once they
    // are gone the last digit is not 0, so `digits` lacks a factor 2 or a factor 5, and
    // `10^places` can only divide `digits * size` if `size` has that factor `places` times:
    // at most 13 times for an hour (3.6e12 = 2^13 * 3^2 * 5^11). More places than that are
    // finer than a nanosecond, and below it the products fit a u128.
    let frac = frac.trim_end_matches('0');
    if !frac.is_empty() {
        const MAX_PLACES: usize = 20;
        if frac.len() > MAX_PLACES {
            return Err(bad("finer than a nanosecond"));
        }
        let digits = frac.bytes().fold(0u128, |n, d| n * 10 + u128::from(d - b'0'));
        let scaled = digits * size;
        let denominator = 10u128.pow(frac.len() as u32);
        if scaled % denominator != 0 {
            return Err(bad("finer than a nanosecond"));
        }
        nanos = nanos.checked_add(scaled / denominator).ok_or_else(too_big)?;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| too_big())?;
    Ok(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dur(s: &str) -> Result<Duration, ParseError> {
        parse_duration(Token { text: s, at: 0 })
    }

    #[test]
    fn durations_read_back_what_they_print() {
        for d in [
            Duration::ZERO,
            Duration::from_nanos(7),
            Duration::from_millis(1500),
            Duration::from_secs(120),
            Duration::from_secs(7200),
            Duration::new(1, 1),
            Duration::MAX,
        ] {
            let text = DurationText(d).to_string();
            assert_eq!(dur(&text), Ok(d), "{text}");
        }
        assert_eq!(DurationText(Duration::from_millis(1500)).to_string(), "1500ms");
        assert_eq!(DurationText(Duration::ZERO).to_string(), "0s");
    }

    #[test]
    fn durations_accept_fractions_and_refuse_nonsense() {
        assert_eq!(dur("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(dur("0.25h"), Ok(Duration::from_secs(900)));
        assert_eq!(dur(".5ms"), Ok(Duration::from_micros(500)));
        assert_eq!(dur("1.0ns"), Ok(Duration::from_nanos(1)));
        // Whole numbers of nanoseconds, however they are written.
        assert_eq!(dur("0.000000000005h"), Ok(Duration::from_nanos(18)));
        assert_eq!(dur("0.00000000005m"), Ok(Duration::from_nanos(3)));
        assert_eq!(dur("0.0000000001h"), Ok(Duration::from_nanos(360)));
        assert_eq!(dur("0.0000000000025h"), Ok(Duration::from_nanos(9)));
        let one = "1.000000000000000000000000000000000000000000s";
        assert_eq!(dur(one), Ok(Duration::from_secs(1)));
        assert_eq!(dur("0.001us"), Ok(Duration::from_nanos(1)));
        assert_eq!(dur("2.5us"), Ok(Duration::from_nanos(2500)));
        assert_eq!(dur("1.000000001s"), Ok(Duration::new(1, 1)));
        for finer in [
            "1.5ns",
            "0.0001us",
            "1.0000000001s",
            "0.0000000000001h",
            "0.0000000000000000000000000000001s",
            "0.00000000000000000000000000000000000000000000000001h",
        ] {
            let err = dur(finer).unwrap_err().to_string();
            assert!(err.ends_with("finer than a nanosecond"), "{finer}: {err}");
        }
        // Duration::MAX, written in hours with a fraction, and a nanosecond past it.
        let max_h = "5124095576030431.0000000000000000001h";
        assert!(dur(max_h).is_err());
        assert_eq!(dur("18446744073709551615.999999999s"), Ok(Duration::MAX));
        assert!(dur("18446744073709551615.9999999999s").is_err());
        assert!(dur("18446744073709551616s").unwrap_err().to_string().ends_with("too large"));
        assert!(dur("5124095576030431.5h").unwrap_err().to_string().ends_with("too large"));
        assert_eq!(
            dur("1.5ns").unwrap_err().to_string(),
            "at byte 0, \"1.5ns\": invalid duration: finer than a nanosecond"
        );
        for bad in [
            "",
            "ms",
            "10",
            "10 parsecs",
            "1.2.3s",
            ".s",
            "-1s",
            "99999999999999999999999999999999h",
        ] {
            assert!(dur(bad).is_err(), "{bad:?} parsed");
        }
    }
}
