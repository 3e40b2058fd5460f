//! The round trip every configuration type's text form must make. Included by the text
//! tests with `#[path]`.

use std::fmt::{Debug, Display};
use std::str::FromStr;

use persevere::ParseError;

/// `config` prints to text that reads back as an equal config.
pub fn round_trip<T>(config: &T)
where
    T: FromStr<Err = ParseError> + Display + Debug + PartialEq,
{
    let text = config.to_string();
    assert_eq!(text.parse::<T>().as_ref(), Ok(config), "{text}");
}

/// Reading `text` as a `T` fails at byte `at` with `message`, the setter's own words.
pub fn fails_at<T>(text: &str, at: usize, message: &str)
where
    T: FromStr<Err = ParseError> + Debug,
{
    let err = text.parse::<T>().unwrap_err();
    assert_eq!(err.position(), at, "{text}");
    assert_eq!(err.to_string(), format!("at byte {at}, {:?}: {message}", err.token()), "{text}");
}
