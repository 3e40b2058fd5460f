//! The settings of a retry that are neither hooks nor its schedule.

use std::time::Duration;

use crate::budget::RetryBudget;

/// The default ceiling on a delay set by `adjust`: five minutes.
///
/// A server's `Retry-After` is honoured up to this long and no longer, so a hostile or
/// broken header cannot park a client for a year. Envoy stops honouring rate-limit hints at
/// the same order of magnitude; raise it with `adjust_ceiling`.
pub const DEFAULT_ADJUST_CEILING: Duration = Duration::from_secs(300);

/// `max_elapsed`, `adjust_ceiling`, `sole_layer` and `budget`, as the setters left them.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) max_elapsed: Option<Duration>,
    pub(crate) adjust_ceiling: Duration,
    pub(crate) sole_layer: bool,
    pub(crate) budget: Option<RetryBudget>,
}

impl Settings {
    #[inline]
    pub(crate) const fn new() -> Self {
        Settings {
            max_elapsed: None,
            adjust_ceiling: DEFAULT_ADJUST_CEILING,
            sole_layer: false,
            budget: None,
        }
    }
}
