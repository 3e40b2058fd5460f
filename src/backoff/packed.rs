//! Settings and run state stored in 4-byte alignment.
//!
//! A `Duration` is 16 bytes aligned to 8, of which 34 bits are padding; a schedule keeps
//! several, and its `u64`s would round it up to a multiple of 8 too. Stored as [`Span`]s
//! and [`Word`]s, the fields pack with no padding between them, and a span's two unused
//! bits hold flags that would otherwise take a field of their own.

use core::fmt;
use core::time::Duration;

const NANOS_PER_SEC: u64 = 1_000_000_000;
/// Below a billion, `nanos` needs 30 bits; the two above hold a span's flags.
const FLAG_SHIFT: u32 = 30;
const NANOS_MASK: u32 = (1 << FLAG_SHIFT) - 1;

/// A `Duration` in 12 bytes, or a `u64` word in the same place.
///
/// Run state that is in nanoseconds most of the time and an exact `Duration` past
/// `u64::MAX` of them keeps both forms here: [`Span::word`] for the first, with the owner
/// knowing which form it holds. A word is stored with `nanos` zero, so that comparing two
/// spans in the same form compares their values.
///
/// A duration may also carry two flags ([`Span::flags`]), which `get_flagged` leaves out;
/// the owner says what they mean, and reads the duration with that. `Span::of` and
/// `from_word` clear them.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub struct Span {
    secs: u64,
    /// Below one billion for a duration, in the low 30 bits; the flags above.
    nanos: u32,
}

impl Span {
    pub(crate) const ZERO: Span = Span { secs: 0, nanos: 0 };
    pub(crate) const MAX: Span = Span::of(Duration::MAX);

    #[inline(always)]
    pub(crate) const fn of(d: Duration) -> Span {
        Span { secs: d.as_secs(), nanos: d.subsec_nanos() }
    }

    #[inline(always)]
    pub(crate) const fn get(self) -> Duration {
        // `nanos` is always below a billion; saying so in a way the compiler sees drops
        // `Duration::new`'s carry into the seconds and its overflow panic from every caller,
        // which keeps the loops that draw delays small enough to unroll.
        let nanos = if self.nanos < NANOS_PER_SEC as u32 { self.nanos } else { 0 };
        Duration::new(self.secs, nanos)
    }

    /// `get` for a span that may carry flags: one more instruction, so only those spans
    /// pay it.
    #[inline(always)]
    pub(crate) const fn get_flagged(self) -> Duration {
        Span { secs: self.secs, nanos: self.nanos & NANOS_MASK }.get()
    }

    /// The duration in whole nanoseconds, or `u64::MAX` when it is that long or longer.
    #[inline(always)]
    pub(crate) const fn nanos_or_max(self) -> u64 {
        // Both steps are checked, so anything past u64::MAX nanoseconds saturates.
        match self.secs.checked_mul(NANOS_PER_SEC) {
            Some(n) => n.saturating_add(self.nanos as u64),
            None => u64::MAX,
        }
    }

    /// The two flags (0 to 3) a duration carries beside its value.
    #[inline(always)]
    pub(crate) const fn flags(self) -> u8 {
        (self.nanos >> FLAG_SHIFT) as u8
    }

    /// This span with `flags` (0 to 3) in place of its own.
    #[inline(always)]
    pub(crate) const fn with_flags(self, flags: u8) -> Span {
        Span { secs: self.secs, nanos: self.nanos & NANOS_MASK | (flags as u32 & 3) << FLAG_SHIFT }
    }

    /// A span holding a word instead of a duration.
    #[inline(always)]
    pub(crate) const fn from_word(word: u64) -> Span {
        Span { secs: word, nanos: 0 }
    }

    #[inline(always)]
    pub(crate) const fn word(self) -> u64 {
        self.secs
    }

    /// Replaces the word of a span that holds one; leaves `nanos` (zero) alone.
    #[inline(always)]
    pub(crate) fn set_word(&mut self, word: u64) {
        self.secs = word;
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos & NANOS_MASK < NANOS_PER_SEC as u32 {
            fmt::Debug::fmt(&self.get(), f)
        } else {
            // Never stored; printed rather than panicked on, should it ever be.
            write!(f, "Span({}, {})", { self.secs }, { self.nanos })
        }
    }
}

/// A `u64` aligned to 4.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub(crate) struct Word(u64);

impl Word {
    #[inline(always)]
    pub(crate) const fn new(value: u64) -> Word {
        Word(value)
    }

    #[inline(always)]
    pub(crate) const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&{ self.0 }, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_keep_durations_exactly() {
        for d in [Duration::ZERO, Duration::new(7, 123_456_789), Duration::MAX] {
            assert_eq!(Span::of(d).get(), d);
        }
        assert_eq!(Span::of(Duration::from_nanos(u64::MAX)).nanos_or_max(), u64::MAX);
        assert_eq!(Span::of(Duration::new(3, 7)).nanos_or_max(), 3_000_000_007);
        assert_eq!(Span::MAX.nanos_or_max(), u64::MAX);
        assert_eq!(Span::from_word(42).word(), 42);
        for d in [Duration::ZERO, Duration::new(7, 999_999_999), Duration::MAX] {
            for flags in 0..4 {
                let span = Span::of(d).with_flags(flags);
                assert_eq!((span.get_flagged(), span.flags()), (d, flags));
                assert_eq!(Span::of(d).get_flagged(), d);
            }
        }
        assert_eq!(core::mem::size_of::<Span>(), 12);
        assert_eq!(core::mem::align_of::<Word>(), 4);
    }
}
