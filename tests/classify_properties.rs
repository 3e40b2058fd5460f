//! Properties of `persevere::classify`'s hint parsers and hinted delays: no input makes them
//! panic, and no hint, however hostile, yields a delay above the cap.

use persevere::classify::{
    DEFAULT_HINT_CAP, HintErrorKind, amz_retry_after, grpc_retry_pushback, hint_delay_with,
    rate_limit_reset, retry_after,
};
use proptest::prelude::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn any_now() -> impl Strategy<Value = SystemTime> {
    // From the epoch to beyond the year 9999, with sub-second parts.
    (0u64..400_000_000_000, 0u32..1_000_000_000).prop_map(|(s, n)| UNIX_EPOCH + Duration::new(s, n))
}

fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        (0u64..1_000_000, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

/// Text that looks like header values often enough to reach the deeper branches.
fn header_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \t]*-?[0-9]{0,30}(\\.[0-9]{0,12})?[ \t]*",
        "(Mon|Sun|Sunday), [0-9]{2}[ -](Nov|Feb)[ -][0-9]{2,4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
    ]
}

/// Every parser's verdict on one value, each hint already turned into a delay.
fn all_delays(value: &[u8], now: SystemTime, cap: Duration, seed: u64) -> Vec<Duration> {
    let mut rng = fastrand::Rng::with_seed(seed);
    [
        retry_after(value, now),
        rate_limit_reset(value, now),
        amz_retry_after(value),
        grpc_retry_pushback(value),
    ]
    .into_iter()
    .flatten()
    .map(|hint| hint_delay_with(hint, cap, &mut rng))
    .collect()
}

proptest! {
    #[test]
    fn parsers_never_panic_on_any_text(value in header_like(), now in any_now(), seed: u64) {
        for delay in all_delays(value.as_bytes(), now, DEFAULT_HINT_CAP, seed) {
            prop_assert!(delay <= DEFAULT_HINT_CAP);
        }
    }

    #[test]
    fn parsers_never_panic_on_any_bytes(
        value in proptest::collection::vec(any::<u8>(), 0..80),
        now in any_now(),
        cap in any_duration(),
        seed: u64,
    ) {
        for delay in all_delays(&value, now, cap, seed) {
            prop_assert!(delay <= cap);
        }
    }

    #[test]
    fn errors_always_name_the_value(value in header_like(), now in any_now()) {
        for result in [
            retry_after(&value, now),
            rate_limit_reset(&value, now),
            amz_retry_after(&value),
            grpc_retry_pushback(&value),
        ] {
            if let Err(e) = result {
                if value.len() <= 64 {
                    prop_assert_eq!(e.value(), value.as_str());
                } else {
                    let kept = e.value().strip_suffix('…').unwrap();
                    prop_assert!(value.starts_with(kept));
                    prop_assert!(kept.len() <= 64 && kept.len() >= 61);
                }
                prop_assert!(!e.to_string().contains('\n'));
            }
        }
    }

    #[test]
    fn hinted_delays_respect_the_hint_below_the_cap_and_never_pass_the_cap(
        hint in any_duration(),
        cap in any_duration(),
        seed: u64,
    ) {
        let d = hint_delay_with(hint, cap, &mut fastrand::Rng::with_seed(seed));
        prop_assert!(d <= cap);
        if hint < cap {
            prop_assert!(d >= hint);
            prop_assert!(d <= hint.saturating_add(hint / 5));
        } else {
            prop_assert!(d >= cap - cap / 6);
        }
    }

    #[test]
    fn delay_seconds_are_read_exactly(n: u64, pad_left in "[ \t]{0,3}", pad_right in "[ \t]{0,3}") {
        let value = format!("{pad_left}{n}{pad_right}");
        prop_assert_eq!(retry_after(&value, UNIX_EPOCH), Ok(Duration::from_secs(n)));
        prop_assert_eq!(amz_retry_after(&value), Ok(Duration::from_millis(n)));
    }

    #[test]
    fn grpc_pushback_is_an_i32_of_milliseconds(n: i64) {
        let result = grpc_retry_pushback(n.to_string());
        if (0..=i64::from(i32::MAX)).contains(&n) {
            prop_assert_eq!(result, Ok(Duration::from_millis(n as u64)));
        } else {
            prop_assert_eq!(result.unwrap_err().kind(), HintErrorKind::DoNotRetry);
        }
    }

    #[test]
    fn grpc_pushback_errors_always_mean_do_not_retry(value in header_like()) {
        if let Err(e) = grpc_retry_pushback(&value) {
            prop_assert_eq!(e.kind(), HintErrorKind::DoNotRetry);
        }
    }

    #[test]
    fn rate_limit_reset_counts_from_now(now_secs in 0u64..4_000_000_000, ahead in 0u64..10_000_000) {
        let now = UNIX_EPOCH + Duration::from_secs(now_secs);
        let reset = (now_secs + ahead).to_string();
        prop_assert_eq!(rate_limit_reset(&reset, now), Ok(Duration::from_secs(ahead)));
        let past = now_secs.saturating_sub(ahead).to_string();
        prop_assert_eq!(rate_limit_reset(&past, now), Ok(Duration::ZERO));
    }
}

#[cfg(feature = "http-date")]
proptest! {
    #[test]
    fn http_dates_are_read_relative_to_now(now_secs in 0u64..200_000_000_000, ahead in 0u64..100_000_000) {
        // Whole seconds: an HTTP-date has no finer grain.
        let now = UNIX_EPOCH + Duration::from_secs(now_secs);
        let date = httpdate::fmt_http_date(now + Duration::from_secs(ahead));
        prop_assert_eq!(retry_after(&date, now), Ok(Duration::from_secs(ahead)));
        prop_assert_eq!(retry_after(&date, now + Duration::from_secs(ahead + 1)), Ok(Duration::ZERO));
    }
}
