//! The sliding window of recent outcomes behind the failure-ratio trigger.

use std::time::Duration;

/// How many slices the window is cut into; the window moves a slice at a time.
pub(crate) const SLICES: u64 = 10;

#[derive(Clone, Copy, Debug, Default)]
struct Slice {
    /// Which slice of time (`at / slice_nanos`) the counts belong to.
    index: u64,
    calls: u32,
    failures: u32,
}

/// Outcomes over the last `span`, kept in [`SLICES`] fixed slices so that recording costs no
/// allocation and old outcomes fall out without a scan.
///
/// Time is nanoseconds since the breaker was built. Slices are aligned to that origin: an
/// outcome at `t` lands in slice `t / (span / 10)` and leaves the window once the current
/// slice is 10 further on, so it counts for more than nine tenths of `span` and at most all
/// of it.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    slice_nanos: u64,
    slices: [Slice; SLICES as usize],
}

impl Window {
    pub(crate) fn new(span: Duration) -> Window {
        let span = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX);
        // The builder refuses spans under 10 ms, so slices are never empty; `max` keeps the
        // division safe regardless.
        Window { slice_nanos: (span / SLICES).max(1), slices: [Slice::default(); SLICES as usize] }
    }

    pub(crate) fn record(&mut self, at: u64, failed: bool) {
        let index = at / self.slice_nanos;
        let slice = &mut self.slices[(index % SLICES) as usize];
        if slice.index < index {
            *slice = Slice { index, calls: 0, failures: 0 };
        } else if slice.index > index {
            // Older than the window already (its slot moved on): a thread that read the
            // clock, then waited long for the lock, or a clock that went back.
            return;
        }
        slice.calls = slice.calls.saturating_add(1);
        slice.failures = slice.failures.saturating_add(u32::from(failed));
    }

    /// `(calls, failures)` still inside the window at time `at`.
    pub(crate) fn totals(&self, at: u64) -> (u64, u64) {
        let now = at / self.slice_nanos;
        let mut calls = 0;
        let mut failures = 0;
        for slice in &self.slices {
            // A slice from the future (a clock that went back) is left out rather than trusted.
            if slice.index <= now && now - slice.index < SLICES {
                calls += u64::from(slice.calls);
                failures += u64::from(slice.failures);
            }
        }
        (calls, failures)
    }

    pub(crate) fn clear(&mut self) {
        self.slices = [Slice::default(); SLICES as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn outcomes_leave_a_slice_at_a_time() {
        // 1 s window: ten 100 ms slices.
        let mut w = Window::new(Duration::from_secs(1));
        w.record(0, true);
        w.record(150 * MS, false);
        w.record(150 * MS, true);
        assert_eq!(w.totals(150 * MS), (3, 2));
        // The first outcome (slice 0) is counted up to 999 ms and gone at 1000 ms.
        assert_eq!(w.totals(999 * MS), (3, 2));
        assert_eq!(w.totals(1000 * MS), (2, 1));
        assert_eq!(w.totals(1099 * MS), (2, 1));
        assert_eq!(w.totals(1100 * MS), (0, 0));
    }

    #[test]
    fn a_reused_slice_forgets_its_old_counts() {
        let mut w = Window::new(Duration::from_secs(1));
        w.record(50 * MS, true);
        w.record(1050 * MS, false); // same slot, ten slices later
        assert_eq!(w.totals(1050 * MS), (1, 0));
    }

    #[test]
    fn an_outcome_older_than_its_slot_is_dropped() {
        let mut w = Window::new(Duration::from_secs(1));
        w.record(1050 * MS, false);
        w.record(50 * MS, true); // same slot, ten slices earlier
        assert_eq!(w.totals(1050 * MS), (1, 0));
    }

    #[test]
    fn clear_and_backward_time() {
        let mut w = Window::new(Duration::from_secs(1));
        w.record(500 * MS, true);
        assert_eq!(w.totals(100 * MS), (0, 0));
        w.clear();
        assert_eq!(w.totals(500 * MS), (0, 0));
    }
}
