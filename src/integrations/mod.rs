#[cfg(feature = "reqwest")]
pub mod reqwest;
