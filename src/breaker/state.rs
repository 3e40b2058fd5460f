//! The three states, and the atomic word that lets the closed path run without a lock.

use core::fmt;

/// Where a [`CircuitBreaker`](super::CircuitBreaker) stands.
///
/// ```
/// use persevere::breaker::{CircuitBreaker, State};
///
/// let breaker = CircuitBreaker::new();
/// assert_eq!(breaker.state(), State::Closed);
/// assert_eq!(State::HalfOpen.to_string(), "half-open");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Calls go through; outcomes are counted.
    Closed,
    /// Calls are rejected until the break duration has passed.
    Open,
    /// A bounded number of probe calls go through to test the service.
    HalfOpen,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half-open",
        })
    }
}

impl State {
    /// The state as the metrics module names it.
    pub(crate) fn circuit(self) -> crate::metrics::Circuit {
        use crate::metrics::Circuit;
        match self {
            State::Closed => Circuit::Closed,
            State::Open => Circuit::Open,
            State::HalfOpen => Circuit::HalfOpen,
        }
    }
}

const STATE_BITS: u32 = 2;
const EPOCH_BITS: u32 = 30;
const EPOCH_MASK: u64 = (1 << EPOCH_BITS) - 1;

/// The hot part of a breaker's state in one `u64`: the state (2 bits), an epoch bumped by
/// every transition (30 bits), and the current run of consecutive failures (32 bits).
///
/// Packing the run with the epoch is what makes counting exact without a lock: an outcome
/// reported under an old epoch fails its compare-and-swap instead of leaking into the next
/// closed period. The state and epoch change only under the breaker's mutex; the failure run
/// also changes lock-free while closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word(pub(crate) u64);

impl Word {
    /// A closed breaker that has seen no transition yet.
    pub(crate) const START: Word = Word(0);

    pub(crate) fn state(self) -> State {
        match self.0 & ((1 << STATE_BITS) - 1) {
            0 => State::Closed,
            1 => State::Open,
            _ => State::HalfOpen,
        }
    }

    /// The transition count, modulo 2^30; permits remember it to spot stale outcomes.
    pub(crate) fn epoch(self) -> u32 {
        // The mask keeps the value below 2^30, so the narrowing cannot lose bits.
        ((self.0 >> STATE_BITS) & EPOCH_MASK) as u32
    }

    pub(crate) fn failures(self) -> u32 {
        (self.0 >> (STATE_BITS + EPOCH_BITS)) as u32
    }

    pub(crate) fn with_failures(self, failures: u32) -> Word {
        let low = self.0 & ((1 << (STATE_BITS + EPOCH_BITS)) - 1);
        Word(low | (u64::from(failures) << (STATE_BITS + EPOCH_BITS)))
    }

    /// The word after a transition to `to`: next epoch (wrapping), empty failure run.
    pub(crate) fn next(self, to: State) -> Word {
        let epoch = (u64::from(self.epoch()) + 1) & EPOCH_MASK;
        let state = match to {
            State::Closed => 0,
            State::Open => 1,
            State::HalfOpen => 2,
        };
        Word(state | (epoch << STATE_BITS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_epoch_wraps() {
        let w = Word::START.with_failures(u32::MAX);
        assert_eq!((w.state(), w.epoch(), w.failures()), (State::Closed, 0, u32::MAX));
        let w = w.next(State::Open);
        assert_eq!((w.state(), w.epoch(), w.failures()), (State::Open, 1, 0));
        let w = w.next(State::HalfOpen).with_failures(7);
        assert_eq!((w.state(), w.epoch(), w.failures()), (State::HalfOpen, 2, 7));

        let last = Word((EPOCH_MASK << STATE_BITS) | 2);
        assert_eq!(last.epoch(), (1 << 30) - 1);
        let wrapped = last.next(State::Closed);
        assert_eq!((wrapped.state(), wrapped.epoch()), (State::Closed, 0));
    }
}
