//! `Serialize` and `Deserialize` through the text form, behind the `serde` feature.
//!
//! A schedule is written as the string `Display` prints and read with `FromStr`, so a
//! configuration file holds the same text an environment variable would:
//!
//! ```
//! use persevere::{Exponential, Schedule};
//! use std::time::Duration;
//!
//! #[derive(serde::Deserialize, serde::Serialize)]
//! struct Config {
//!     retry: Schedule,
//! }
//!
//! let config: Config =
//!     serde_json::from_str(r#"{ "retry": "exponential(initial=100ms, max_retries=5)" }"#)?;
//! assert_eq!(config.retry, Schedule::from(Exponential::new(Duration::from_millis(100)).max_retries(5)));
//! assert_eq!(
//!     serde_json::to_string(&config)?,
//!     r#"{"retry":"exponential(initial=100ms, factor=2, max_retries=5)"}"#,
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! A text that does not parse is refused with the [`ParseError`] message, which names the
//! byte and the token.

use core::fmt;
use core::marker::PhantomData;
use core::str::FromStr;

use serde::de::{self, Visitor};

use super::{Exponential, Fibonacci, Fixed, ParseError, Schedule};

/// Reads a string through `T`'s `FromStr`. Shared with the other configuration types that
/// have a text form (the policy's), through [`text_serde!`].
pub(crate) struct Text<T>(pub(crate) PhantomData<T>);

impl<T: FromStr<Err = ParseError>> Visitor<'_> for Text<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a setting in its text form, such as \"exponential(initial=100ms)\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
}

/// `Serialize` and `Deserialize` through `Display` and `FromStr` for each type given.
macro_rules! text_serde {
    ($($ty:ident),*) => {$(
        /// Writes the text form `Display` prints (settings, not progress).
        #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        /// Reads the text form `FromStr` reads; a parse error becomes the format's error.
        #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str($crate::backoff::serde::Text(::core::marker::PhantomData))
            }
        }
    )*};
}
pub(crate) use text_serde;

text_serde!(Exponential, Fixed, Fibonacci, Schedule);

/// Writes the text form `Display` prints (settings, not progress or random state).
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<S: super::Unjittered> ::serde::Serialize for super::Jittered<S> {
    fn serialize<T: ::serde::Serializer>(&self, serializer: T) -> Result<T::Ok, T::Error> {
        serializer.collect_str(self)
    }
}

/// Reads the text form `FromStr` reads; a parse error becomes the format's error.
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de, S: super::Unjittered> ::serde::Deserialize<'de> for super::Jittered<S> {
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(Text(PhantomData))
    }
}
