//! Arbitrary bytes through every server-hint parser of `persevere::classify`.
//!
//! No parser panics, whatever the bytes, `now` and cap; an error keeps at most 64 bytes of
//! the value and prints on one line; every `grpc-retry-pushback-ms` error means "do not
//! retry"; and a parsed hint turned into a delay by `hint_delay_with` is never above the
//! cap, at least the hint when the hint is below the cap (and at most a fifth more), and
//! within [5/6 cap, cap] otherwise.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use persevere::classify::{self, DEFAULT_HINT_CAP, HintError, HintErrorKind};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    value: &'a [u8],
    now_secs: u64,
    now_nanos: u32,
    cap: Option<(u64, u32)>,
    seed: u64,
}

fuzz_target!(|input: Input<'_>| {
    // A remainder below 10^9 keeps `Duration::new` from carrying into the seconds.
    let now = UNIX_EPOCH
        .checked_add(Duration::new(input.now_secs, input.now_nanos % 1_000_000_000))
        .unwrap_or(UNIX_EPOCH);
    let cap = match input.cap {
        Some((secs, nanos)) => Duration::new(secs, nanos % 1_000_000_000),
        None => DEFAULT_HINT_CAP,
    };
    let mut rng = fastrand::Rng::with_seed(input.seed);

    let hints = [
        classify::retry_after(input.value, now),
        classify::rate_limit_reset(input.value, now),
        classify::amz_retry_after(input.value),
        classify::grpc_retry_pushback(input.value),
    ];
    if let Err(e) = &hints[3] {
        assert_eq!(e.kind(), HintErrorKind::DoNotRetry, "{e}");
    }
    for hint in hints {
        match hint {
            Ok(hint) => check_delay(hint, cap, &mut rng),
            Err(e) => check_error(&e),
        }
    }
});

fn check_delay(hint: Duration, cap: Duration, rng: &mut fastrand::Rng) {
    let delay = classify::hint_delay_with(hint, cap, rng);
    assert!(delay <= cap, "{hint:?} capped at {cap:?} gave {delay:?}");
    if hint < cap {
        assert!(delay >= hint, "{hint:?} capped at {cap:?} gave {delay:?}");
        assert!(delay <= hint.saturating_add(hint / 5), "{hint:?} gave {delay:?}");
    } else {
        assert!(delay >= cap - cap / 6, "{hint:?} capped at {cap:?} gave {delay:?}");
    }
}

fn check_error(e: &HintError) {
    // 64 bytes kept at most, each invalid byte shown as a 3-byte U+FFFD, then '…'.
    assert!(e.value().len() <= 64 * 3 + '…'.len_utf8(), "{e:?}");
    let shown = e.to_string();
    assert!(!shown.contains('\n') && !shown.contains('\r'), "{shown}");
}
