//! Arbitrary text through the `FromStr` of every type with a text form: the schedules, the
//! policy, breaker and budget configurations.
//!
//! Parsing never panics; an error points at a token that really is at its position in the
//! input; and whatever parses prints back (`Display`) to text that parses to an equal
//! schedule and prints the same again.
#![no_main]

use std::fmt::{Debug, Display};
use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use persevere::breaker::BreakerConfig;
use persevere::budget::BudgetConfig;
use persevere::policy::PolicyConfig;
use persevere::{Exponential, Fibonacci, Fixed, Jittered, ParseError, Schedule};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    round_trip::<Exponential>(text);
    round_trip::<Fixed>(text);
    round_trip::<Fibonacci>(text);
    round_trip::<Jittered<Exponential>>(text);
    round_trip::<Jittered<Fixed>>(text);
    round_trip::<Jittered<Fibonacci>>(text);
    round_trip::<Schedule>(text);
    round_trip::<PolicyConfig>(text);
    round_trip::<BreakerConfig>(text);
    round_trip::<BudgetConfig>(text);
});

fn round_trip<S>(text: &str)
where
    S: FromStr<Err = ParseError> + Display + Debug + PartialEq,
{
    let schedule = match text.parse::<S>() {
        Ok(schedule) => schedule,
        Err(e) => {
            let at = e.position();
            let token = text.get(at..at + e.token().len());
            assert_eq!(token, Some(e.token()), "{e} does not point into {text:?}");
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let printed = schedule.to_string();
    let again: S = printed
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which does not parse: {e}"));
    assert_eq!(again, schedule, "{text:?} printed as {printed:?}");
    assert_eq!(again.to_string(), printed, "{text:?}");
}
