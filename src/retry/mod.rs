//! The retry machinery, in one place.
//!
//! * `report`: what a retry tells its operation and its caller ([`Attempt`], [`Report`],
//!   [`Stop`]).
//! * `hooks` and `limits`: what the caller configures.
//! * `decide`: the decision core, which owns those types and imports neither flavour.
//! * `attempts`: the loop, written once as async code; `blocking` and `future` compile it
//!   into a plain function and a future with maybe-async, each bringing its own helpers to
//!   run an attempt, sleep, and enter the one-layer scope (`scope`).
//! * `builder`: the `Retry` builder both flavours emit, and the setters they share with
//!   [`Policy`](crate::Policy).

mod attempts;
pub mod blocking;
pub(crate) mod builder;
mod decide;
pub mod future;
pub mod hooks;
pub(crate) mod limits;
mod report;
pub(crate) mod scope;

pub use limits::DEFAULT_ADJUST_CEILING;
pub use report::{Attempt, Report, Stop};

/// The operation of a retry made by `retry`: a closure that takes nothing.
///
/// Each operation shape has its own wrapper, so that each flavour can say how to start an
/// attempt of it and whether the attempt needs the clock.
#[derive(Clone, Debug)]
pub struct Plain<F>(pub(crate) F);

/// The operation of a retry made by `retry_with`: a closure taking an [`Attempt`].
#[derive(Clone, Debug)]
pub struct WithAttempt<F>(pub(crate) F);
