//! Table tests for `persevere::classify`: every io::ErrorKind, every status code, every hint
//! format with hostile input, and the hinted-delay draw.

use persevere::classify::{
    DEFAULT_HINT_CAP, HintErrorKind, amz_retry_after, grpc_retry_pushback, hint_delay,
    hint_delay_with, is_retryable_status, is_transient_io, is_transient_kind, rate_limit_reset,
    retry_after,
};
use std::io::{Error, ErrorKind};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

/// A fixed "now" so date arithmetic is exact: 2023-11-14T22:13:20Z.
fn now() -> SystemTime {
    UNIX_EPOCH + secs(1_700_000_000)
}

// ---------------------------------------------------------------- io::ErrorKind

/// Every ErrorKind stable on Rust 1.85 (the crate's minimum), with its verdict. Only
/// `InvalidFilename` (1.87) and the unstable ones are left out.
const KINDS: &[(ErrorKind, bool)] = &[
    (ErrorKind::ConnectionRefused, true),
    (ErrorKind::ConnectionReset, true),
    (ErrorKind::ConnectionAborted, true),
    (ErrorKind::BrokenPipe, true),
    (ErrorKind::NotConnected, true),
    (ErrorKind::UnexpectedEof, true),
    (ErrorKind::TimedOut, true),
    (ErrorKind::WouldBlock, true),
    (ErrorKind::Interrupted, true),
    (ErrorKind::HostUnreachable, true),
    (ErrorKind::NetworkUnreachable, true),
    (ErrorKind::NetworkDown, true),
    (ErrorKind::StaleNetworkFileHandle, true),
    (ErrorKind::NotFound, false),
    (ErrorKind::PermissionDenied, false),
    (ErrorKind::AddrInUse, false),
    (ErrorKind::AddrNotAvailable, false),
    (ErrorKind::AlreadyExists, false),
    (ErrorKind::NotADirectory, false),
    (ErrorKind::IsADirectory, false),
    (ErrorKind::DirectoryNotEmpty, false),
    (ErrorKind::ReadOnlyFilesystem, false),
    (ErrorKind::InvalidInput, false),
    (ErrorKind::InvalidData, false),
    (ErrorKind::WriteZero, false),
    (ErrorKind::StorageFull, false),
    (ErrorKind::NotSeekable, false),
    (ErrorKind::QuotaExceeded, false),
    (ErrorKind::FileTooLarge, false),
    (ErrorKind::ResourceBusy, false),
    (ErrorKind::ExecutableFileBusy, false),
    (ErrorKind::Deadlock, false),
    (ErrorKind::CrossesDevices, false),
    (ErrorKind::TooManyLinks, false),
    (ErrorKind::ArgumentListTooLong, false),
    (ErrorKind::Unsupported, false),
    (ErrorKind::OutOfMemory, false),
    (ErrorKind::Other, false),
];

#[test]
fn every_error_kind_has_its_verdict() {
    for &(kind, transient) in KINDS {
        assert_eq!(is_transient_kind(kind), transient, "{kind:?}");
        // The same verdict whichever way the io::Error was built.
        assert_eq!(is_transient_io(&Error::from(kind)), transient, "{kind:?} (simple)");
        assert_eq!(is_transient_io(&Error::new(kind, "context")), transient, "{kind:?} (custom)");
    }
    // Exactly the thirteen documented kinds are retried.
    assert_eq!(KINDS.iter().filter(|(_, t)| *t).count(), 13);
}

#[test]
fn an_error_with_an_inner_cause_is_judged_by_its_own_kind() {
    let inner = Error::from(ErrorKind::ConnectionReset);
    assert!(!is_transient_io(&Error::other(inner)));
}

#[cfg(target_os = "linux")]
#[test]
fn os_errors_are_judged_through_their_kind() {
    // errno values from Linux's asm-generic/errno(-base).h.
    let table = [
        (111, true), // ECONNREFUSED
        (104, true), // ECONNRESET
        (32, true),  // EPIPE
        (11, true),  // EAGAIN
        (4, true),   // EINTR
        (110, true), // ETIMEDOUT
        (113, true), // EHOSTUNREACH
        (101, true), // ENETUNREACH
        (2, false),  // ENOENT
        (13, false), // EACCES
        (98, false), // EADDRINUSE
        (28, false), // ENOSPC
    ];
    for (errno, transient) in table {
        assert_eq!(is_transient_io(&Error::from_raw_os_error(errno)), transient, "errno {errno}");
    }
}

// ---------------------------------------------------------------- HTTP status

#[test]
fn timeouts_rate_limits_and_server_errors_but_501_and_505_are_retried() {
    for status in 100..=599u16 {
        let expected = matches!(status, 408 | 429 | 500..=599) && status != 501 && status != 505;
        assert_eq!(is_retryable_status(status), expected, "{status}");
    }
    for status in [408, 429, 500, 502, 503, 504, 507, 520, 599] {
        assert!(is_retryable_status(status), "{status}");
    }
}

#[test]
fn permanent_answers_and_non_statuses_are_not_retried() {
    for status in [400, 401, 403, 404, 409, 422, 501, 505] {
        assert!(!is_retryable_status(status), "{status}");
    }
    for status in [0, 1, 99, 600, 999, 1000, u16::MAX] {
        assert!(!is_retryable_status(status), "{status}");
    }
}

// ---------------------------------------------------------------- Retry-After

#[test]
fn retry_after_reads_delay_seconds() {
    let table: &[(&str, Duration)] = &[
        ("0", Duration::ZERO),
        ("1", secs(1)),
        ("120", secs(120)),
        ("00120", secs(120)),
        (" 120", secs(120)),
        ("120 ", secs(120)),
        ("\t120\r\n", secs(120)),
        ("86400", secs(86_400)),
        ("18446744073709551615", secs(u64::MAX)),
        // Past u64: saturate, as RFC 9111 §1.2.2 asks of oversized delta-seconds.
        ("18446744073709551616", secs(u64::MAX)),
        ("99999999999999999999999999999999999999999", secs(u64::MAX)),
    ];
    for &(value, want) in table {
        assert_eq!(retry_after(value, now()), Ok(want), "{value:?}");
    }
}

#[test]
fn retry_after_refuses_what_is_not_delay_seconds() {
    let table: &[(&str, HintErrorKind)] = &[
        ("", HintErrorKind::Empty),
        ("   ", HintErrorKind::Empty),
        ("\t\r\n", HintErrorKind::Empty),
        ("-1", HintErrorKind::Malformed),
        ("-0", HintErrorKind::Malformed),
        ("+5", HintErrorKind::Malformed),
        ("1.5", HintErrorKind::Malformed),
        ("1e3", HintErrorKind::Malformed),
        ("120s", HintErrorKind::Malformed),
        ("1 20", HintErrorKind::Malformed),
        ("0x10", HintErrorKind::Malformed),
        ("١٢٠", HintErrorKind::Malformed), // Arabic-Indic digits are not DIGIT
        ("%", HintErrorKind::Malformed),
        ("\0", HintErrorKind::Malformed),
    ];
    for &(value, kind) in table {
        let err = retry_after(value, now()).unwrap_err();
        assert_eq!(err.kind(), kind, "{value:?}");
        assert_eq!(err.value(), value, "{value:?}");
    }
}

#[test]
fn retry_after_takes_bytes_and_refuses_invalid_utf8() {
    assert_eq!(retry_after(b"30".as_slice(), now()), Ok(secs(30)));
    assert_eq!(retry_after(String::from("30"), now()), Ok(secs(30)));
    let err = retry_after([0xff, 0xfe, b'1'].as_slice(), now()).unwrap_err();
    assert_eq!(err.kind(), HintErrorKind::Malformed);
    assert_eq!(err.value(), "\u{fffd}\u{fffd}1");
}

#[test]
fn errors_name_the_header_and_the_value() {
    let err = retry_after("soon-ish\nX-Injected: 1", now()).unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("Retry-After \"soon-ish\\nX-Injected: 1\": "), "{shown}");
    assert!(!shown.contains('\n'), "a newline in the value must be escaped: {shown}");
}

#[test]
fn errors_keep_only_the_start_of_a_huge_value() {
    let huge = "x".repeat(100_000);
    let err = amz_retry_after(&huge).unwrap_err();
    assert_eq!(err.value(), format!("{}…", "x".repeat(64)));
    let exact = "y".repeat(64);
    assert_eq!(amz_retry_after(&exact).unwrap_err().value(), exact);
    // A character that straddles the 64-byte mark is left out whole, not garbled.
    let straddling = format!("{}é and more", "a".repeat(63));
    assert_eq!(amz_retry_after(&straddling).unwrap_err().value(), format!("{}…", "a".repeat(63)));
}

#[cfg(not(feature = "http-date"))]
#[test]
fn without_the_feature_a_date_is_refused_clearly() {
    let err = retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now()).unwrap_err();
    assert_eq!(err.kind(), HintErrorKind::DateNeedsFeature);
    assert!(err.to_string().contains("`http-date` feature"), "{err}");
}

#[cfg(feature = "http-date")]
mod http_date {
    use super::*;

    /// RFC 9110's example instant, Sun, 06 Nov 1994 08:49:37 GMT.
    const EXAMPLE: u64 = 784_111_777;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + secs(s)
    }

    #[test]
    fn all_three_date_forms_are_read_relative_to_now() {
        let forms = [
            "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
            "Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850
            "Sun Nov  6 08:49:37 1994",       // obsolete asctime
        ];
        for form in forms {
            assert_eq!(retry_after(form, at(EXAMPLE - 120)), Ok(secs(120)), "{form}");
            assert_eq!(retry_after(format!("  {form}\t"), at(EXAMPLE - 1)), Ok(secs(1)), "{form}");
        }
    }

    #[test]
    fn a_date_now_or_past_means_no_wait() {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(retry_after(date, at(EXAMPLE)), Ok(Duration::ZERO));
        assert_eq!(retry_after(date, at(EXAMPLE + 5)), Ok(Duration::ZERO));
        assert_eq!(retry_after(date, now()), Ok(Duration::ZERO));
        // Sub-second "now" just past the date: still zero, never an underflow.
        assert_eq!(retry_after(date, at(EXAMPLE) + ms(1)), Ok(Duration::ZERO));
    }

    #[test]
    fn a_far_future_date_is_read_in_full_and_capped_by_hint_delay() {
        let hint = retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now()).unwrap();
        assert_eq!(hint, secs(253_402_300_799 - 1_700_000_000));
        let mut rng = fastrand::Rng::with_seed(1);
        for _ in 0..1000 {
            let d = hint_delay_with(hint, DEFAULT_HINT_CAP, &mut rng);
            assert!(d <= DEFAULT_HINT_CAP && d >= secs(250), "{d:?}");
        }
    }

    #[test]
    fn bad_dates_are_malformed() {
        for value in [
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994",
            "tomorrow",
            "Ѕun, 06 Nov 1994 08:49:37 GMT", // Cyrillic S
        ] {
            let err = retry_after(value, now()).unwrap_err();
            assert_eq!(err.kind(), HintErrorKind::Malformed, "{value:?}");
        }
    }
}

// ---------------------------------------------------------------- X-RateLimit-Reset

#[test]
fn rate_limit_reset_is_a_unix_time_relative_to_now() {
    let table: &[(&str, Duration)] = &[
        ("1700000090", secs(90)),
        (" 1700000090 ", secs(90)),
        ("1700000000", Duration::ZERO),
        ("1699999990", Duration::ZERO),
        ("0", Duration::ZERO),
        ("1700000001.250", ms(1250)),
        ("1700000001.5", ms(1500)),
        ("1700000000.000000001", Duration::from_nanos(1)),
        ("1700000000.0000000019", Duration::from_nanos(1)), // past nanoseconds: dropped
        ("1700000000.999999999999", Duration::from_nanos(999_999_999)),
        ("1700003600", secs(3600)),
    ];
    for &(value, want) in table {
        assert_eq!(rate_limit_reset(value, now()), Ok(want), "{value:?}");
    }
}

#[test]
fn rate_limit_reset_far_in_the_future_saturates() {
    let hint = rate_limit_reset("99999999999999999999999", now()).unwrap();
    assert!(hint >= secs(u64::MAX / 2), "{hint:?}");
    assert!(hint_delay(hint, DEFAULT_HINT_CAP) <= DEFAULT_HINT_CAP);
}

#[test]
fn rate_limit_reset_refuses_non_numbers() {
    let table: &[(&str, HintErrorKind)] = &[
        ("", HintErrorKind::Empty),
        (" ", HintErrorKind::Empty),
        ("-1", HintErrorKind::Malformed),
        ("+1700000090", HintErrorKind::Malformed),
        (".5", HintErrorKind::Malformed),
        ("5.", HintErrorKind::Malformed),
        ("1.2.3", HintErrorKind::Malformed),
        ("1700000090ms", HintErrorKind::Malformed),
        ("Sun, 06 Nov 1994 08:49:37 GMT", HintErrorKind::Malformed),
        ("1 7", HintErrorKind::Malformed),
    ];
    for &(value, kind) in table {
        let err = rate_limit_reset(value, now()).unwrap_err();
        assert_eq!(err.kind(), kind, "{value:?}");
        assert!(err.to_string().starts_with("X-RateLimit-Reset "), "{err}");
    }
}

// ---------------------------------------------------------------- x-amz-retry-after

#[test]
fn amz_retry_after_is_milliseconds() {
    let table: &[(&str, Duration)] = &[
        ("0", Duration::ZERO),
        ("1", ms(1)),
        ("1500", ms(1500)),
        (" 250\t", ms(250)),
        ("18446744073709551615", ms(u64::MAX)),
        ("1844674407370955161500", ms(u64::MAX)),
    ];
    for &(value, want) in table {
        assert_eq!(amz_retry_after(value), Ok(want), "{value:?}");
    }
}

#[test]
fn amz_retry_after_refuses_non_numbers() {
    let table: &[(&str, HintErrorKind)] = &[
        ("", HintErrorKind::Empty),
        ("  ", HintErrorKind::Empty),
        ("-5", HintErrorKind::Malformed),
        ("1.5", HintErrorKind::Malformed),
        ("1500ms", HintErrorKind::Malformed),
        ("abc", HintErrorKind::Malformed),
        ("Sun, 06 Nov 1994 08:49:37 GMT", HintErrorKind::Malformed),
    ];
    for &(value, kind) in table {
        assert_eq!(amz_retry_after(value).unwrap_err().kind(), kind, "{value:?}");
    }
}

// ---------------------------------------------------------------- grpc-retry-pushback-ms

#[test]
fn grpc_pushback_reads_milliseconds_up_to_i32_max() {
    let table: &[(&str, Duration)] = &[
        ("0", Duration::ZERO),
        ("-0", Duration::ZERO),
        ("250", ms(250)),
        (" 250 ", ms(250)),
        ("2147483647", ms(2_147_483_647)),
    ];
    for &(value, want) in table {
        assert_eq!(grpc_retry_pushback(value), Ok(want), "{value:?}");
    }
}

#[test]
fn grpc_pushback_negative_or_unparseable_means_do_not_retry() {
    for value in [
        "-1",
        "-2147483648",
        "-99999999999999999999999",
        "2147483648",
        "99999999999999999999999",
        "",
        "   ",
        "abc",
        "1.5",
        "+5",
        "--1",
        "-",
        "5 0",
        "250ms",
    ] {
        let err = grpc_retry_pushback(value).unwrap_err();
        assert_eq!(err.kind(), HintErrorKind::DoNotRetry, "{value:?}");
        assert!(err.to_string().contains("asks not to retry"), "{err}");
    }
}

// ---------------------------------------------------------------- hint_delay

#[test]
fn default_cap_is_five_minutes() {
    assert_eq!(DEFAULT_HINT_CAP, secs(300));
}

#[test]
fn a_hinted_delay_is_at_least_the_hint_and_at_most_a_fifth_more() {
    let mut rng = fastrand::Rng::with_seed(42);
    for hint in [ms(1), ms(10), secs(1), secs(10), secs(60), secs(249)] {
        let high = hint + hint / 5;
        for _ in 0..2000 {
            let d = hint_delay_with(hint, DEFAULT_HINT_CAP, &mut rng);
            assert!(hint <= d && d <= high, "{hint:?} -> {d:?}");
        }
    }
}

#[test]
fn hinted_delays_spread_over_the_whole_range() {
    // 10,000 draws for a 10 s hint: uniform over [10 s, 12 s], mean 11 s, both ends reached.
    let mut rng = fastrand::Rng::with_seed(7);
    let hint = secs(10);
    let draws: Vec<Duration> =
        (0..10_000).map(|_| hint_delay_with(hint, DEFAULT_HINT_CAP, &mut rng)).collect();
    let min = *draws.iter().min().unwrap();
    let max = *draws.iter().max().unwrap();
    assert!(min < ms(10_010), "lowest draw {min:?}");
    assert!(max > ms(11_990), "highest draw {max:?}");
    let mean = draws.iter().sum::<Duration>() / 10_000;
    assert!(ms(10_950) < mean && mean < ms(11_050), "mean {mean:?}");
    // Each fifth of the range gets about a fifth of the draws (binomial sd ≈ 40).
    let mut buckets = [0u32; 5];
    for d in &draws {
        let i = ((d.as_nanos() - hint.as_nanos()) * 5 / (hint / 5).as_nanos()).min(4);
        buckets[i as usize] += 1;
    }
    for count in buckets {
        assert!((1800..=2200).contains(&count), "{buckets:?}");
    }
}

#[test]
fn a_hint_near_the_cap_stays_at_or_above_the_hint() {
    let mut rng = fastrand::Rng::with_seed(3);
    for _ in 0..1000 {
        let d = hint_delay_with(secs(280), DEFAULT_HINT_CAP, &mut rng);
        assert!(secs(280) <= d && d <= DEFAULT_HINT_CAP, "{d:?}");
    }
}

#[test]
fn a_hint_at_or_over_the_cap_is_spread_below_the_cap() {
    let mut rng = fastrand::Rng::with_seed(9);
    for hint in [secs(300), secs(301), secs(86_400), Duration::MAX] {
        let draws: Vec<Duration> =
            (0..2000).map(|_| hint_delay_with(hint, DEFAULT_HINT_CAP, &mut rng)).collect();
        assert!(draws.iter().all(|d| secs(250) <= *d && *d <= secs(300)), "{hint:?}");
        // Spread, not piled up at the cap.
        assert!(draws.iter().filter(|d| **d == DEFAULT_HINT_CAP).count() <= 1, "{hint:?}");
        assert!(draws.iter().any(|d| *d < secs(260)), "{hint:?}");
    }
}

#[test]
fn zero_hints_and_zero_caps_give_zero() {
    let mut rng = fastrand::Rng::with_seed(0);
    assert_eq!(hint_delay_with(Duration::ZERO, DEFAULT_HINT_CAP, &mut rng), Duration::ZERO);
    assert_eq!(hint_delay_with(secs(10), Duration::ZERO, &mut rng), Duration::ZERO);
    assert_eq!(hint_delay(Duration::ZERO, DEFAULT_HINT_CAP), Duration::ZERO);
}

#[test]
fn extreme_hints_and_caps_never_panic_or_exceed_the_cap() {
    let mut rng = fastrand::Rng::with_seed(5);
    let values =
        [Duration::ZERO, Duration::from_nanos(1), secs(1), secs(u64::MAX / 2), Duration::MAX];
    for hint in values {
        for cap in values {
            for _ in 0..100 {
                let d = hint_delay_with(hint, cap, &mut rng);
                assert!(d <= cap, "{hint:?}, {cap:?} -> {d:?}");
                if hint < cap {
                    assert!(d >= hint, "{hint:?}, {cap:?} -> {d:?}");
                }
            }
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_delays() {
    let run = |seed| {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..50).map(|_| hint_delay_with(secs(30), DEFAULT_HINT_CAP, &mut rng)).collect::<Vec<_>>()
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

#[test]
fn the_thread_local_draw_obeys_the_same_bounds() {
    for _ in 0..1000 {
        let d = hint_delay(secs(10), DEFAULT_HINT_CAP);
        assert!(secs(10) <= d && d <= secs(12), "{d:?}");
    }
}
