//! Where "now" comes from, so that tests can move time by hand.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A source of the current time.
///
/// Retries, breakers and supervisors read time only through this trait. The real clock is
/// [`SystemClock`]; tests use [`ManualClock`] or any `Fn() -> Instant`.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;
}

/// The monotonic system clock, [`Instant::now`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl<F: Fn() -> Instant> Clock for F {
    fn now(&self) -> Instant {
        self()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// A clock that moves only when told to; clones share the same time.
///
/// ```
/// use persevere::clock::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now() - start, Duration::from_secs(90));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    start: Instant,
    offset_nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at the current system time.
    pub fn new() -> Self {
        ManualClock { start: Instant::now(), offset_nanos: Arc::new(AtomicU64::new(0)) }
    }

    /// Moves the clock forward by `by`, saturating after about 584 years.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .offset_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| Some(now.saturating_add(by)));
    }

    /// How far the clock has been moved since it was made.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        // `checked_add` because an `Instant` far in the future may not be representable.
        let offset = self.elapsed();
        self.start.checked_add(offset).unwrap_or_else(|| saturating_far_future(self.start, offset))
    }
}

/// The latest `Instant` reachable from `start` within `offset`, found by halving.
fn saturating_far_future(start: Instant, mut offset: Duration) -> Instant {
    let mut at = start;
    while !offset.is_zero() {
        match at.checked_add(offset) {
            Some(later) => at = later,
            None => offset /= 2,
        }
        if offset < Duration::from_nanos(2) {
            break;
        }
    }
    at
}
