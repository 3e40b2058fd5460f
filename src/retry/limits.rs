//! The limits of a retry besides its schedule: `max_elapsed`, `adjust_ceiling`,
//! `sole_layer` and `budget`, with the little state they need while the retry runs, and how
//! it names itself in logs and metrics (`name`, `log_level`).
//!
//! A retry that sets none of them carries [`Unset`] in their place, which takes no room:
//! the common retry's future is then as small as a hand-written one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::hooks::Unset;
use crate::budget::{RetryBudget, Withdrawal};

/// The default ceiling on a delay set by `adjust`: five minutes.
///
/// A server's `Retry-After` is honoured up to this long and no longer, so a hostile or
/// broken header cannot park a client for a year. Envoy stops honouring rate-limit hints at
/// the same order of magnitude; raise it with `adjust_ceiling`.
pub const DEFAULT_ADJUST_CEILING: Duration = Duration::from_secs(300);

/// The limits of a retry once one of `max_elapsed`, `adjust_ceiling`, `sole_layer`,
/// `budget`, `name` or `log_level` is set (or the operation reads its
/// [`Attempt`](crate::Attempt)); until then a retry carries [`Unset`] instead. You do not
/// build this type: the setters do.
#[derive(Clone, Debug)]
pub struct Limits {
    pub(crate) max_elapsed: Option<Duration>,
    pub(crate) adjust_ceiling: Duration,
    pub(crate) sole_layer: bool,
    pub(crate) budget: Option<RetryBudget>,
    /// Begins every log line and labels the metrics.
    pub(crate) name: Option<Name>,
    /// The level of the line logged for each failed attempt that is retried.
    pub(crate) level: log::Level,
    /// When the first attempt started; read only when someone looks at the time.
    pub(crate) started: Option<Instant>,
    /// What the latest retry paid the budget, refunded in part on success.
    pub(crate) withdrawal: Option<Withdrawal>,
}

/// A retry's name: a `&'static str` given to `name`, or one read from a configuration text,
/// shared by every call of the policy it configures without a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Name {
    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Name::Static(name) => name,
            Name::Shared(name) => name,
        }
    }
}

impl Default for Limits {
    #[inline]
    fn default() -> Self {
        Limits {
            max_elapsed: None,
            adjust_ceiling: DEFAULT_ADJUST_CEILING,
            sole_layer: false,
            budget: None,
            name: None,
            level: log::Level::Warn,
            started: None,
            withdrawal: None,
        }
    }
}

/// The limits slot of a retry: [`Unset`] or [`Limits`]. Sealed.
pub trait LimitSlot: sealed::Sealed {
    /// The limits, if any is set.
    #[doc(hidden)]
    fn get(&self) -> Option<&Limits>;
    /// The same, to record the state they keep.
    #[doc(hidden)]
    fn get_mut(&mut self) -> Option<&mut Limits>;
    /// The limits, made if none was set yet.
    #[doc(hidden)]
    fn into_limits(self) -> Limits;
}

impl LimitSlot for Unset {
    #[inline(always)]
    fn get(&self) -> Option<&Limits> {
        None
    }

    #[inline(always)]
    fn get_mut(&mut self) -> Option<&mut Limits> {
        None
    }

    #[inline(always)]
    fn into_limits(self) -> Limits {
        Limits::default()
    }
}

impl LimitSlot for Limits {
    #[inline(always)]
    fn get(&self) -> Option<&Limits> {
        Some(self)
    }

    #[inline(always)]
    fn get_mut(&mut self) -> Option<&mut Limits> {
        Some(self)
    }

    #[inline(always)]
    fn into_limits(self) -> Limits {
        self
    }
}

mod sealed {
    pub trait Sealed {}

    impl Sealed for super::Unset {}
    impl Sealed for super::Limits {}
}
