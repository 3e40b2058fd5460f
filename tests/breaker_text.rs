//! The text form of breaker settings: round trips, errors, and breakers built from text.

use std::time::Duration;

use persevere::breaker::{BreakerConfig, BreakerError, State};
use persevere::clock::ManualClock;

#[path = "support/text_form.rs"]
mod text_form;
use text_form::{fails_at, round_trip};

fn parse(s: &str) -> Result<BreakerConfig, persevere::ParseError> {
    s.parse()
}

fn every_setting() -> BreakerConfig {
    let mut config = BreakerConfig::default();
    config.consecutive_failures = 3;
    config.failure_ratio = Some(0.25);
    config.sampling_window = Duration::from_millis(1500);
    config.minimum_calls = 20;
    config.break_duration = Duration::from_secs(120);
    config.max_probes = 2;
    config.probe_successes = 4;
    config.name = "inventory-db".into();
    config
}

#[test]
fn defaults_print_nothing_and_read_back() {
    assert_eq!(BreakerConfig::default().to_string(), "breaker()");
    assert_eq!(parse("breaker()"), Ok(BreakerConfig::default()));
    assert_eq!(parse("  breaker ( )  "), Ok(BreakerConfig::default()));
    // Defaults written out read as the defaults, and print as nothing.
    let spelled = "breaker(consecutive_failures=5, sampling_window=30s, minimum_calls=100, \
                   break_duration=30s, max_probes=1, probe_successes=1)";
    assert_eq!(parse(spelled).unwrap().to_string(), "breaker()");
}

#[test]
fn every_setting_prints_and_reads_back() {
    let config = every_setting();
    assert_eq!(
        config.to_string(),
        "breaker(consecutive_failures=3, failure_ratio=0.25, sampling_window=1500ms, \
         minimum_calls=20, break_duration=2m, max_probes=2, probe_successes=4, name=inventory-db)"
    );
    round_trip(&config);
    // Each setting alone, and the extremes the builder accepts.
    let mut one = BreakerConfig::default();
    one.failure_ratio = Some(1.0);
    assert_eq!(one.to_string(), "breaker(failure_ratio=1)");
    round_trip(&one);
    one.failure_ratio = Some(f64::MIN_POSITIVE);
    round_trip(&one);
    let mut one = BreakerConfig::default();
    one.break_duration = Duration::MAX;
    round_trip(&one);
    one.sampling_window = Duration::from_millis(10);
    one.consecutive_failures = u32::MAX;
    round_trip(&one);
    // Keys in any order.
    assert_eq!(
        parse(
            "breaker(name=inventory-db, probe_successes=4, max_probes=2, break_duration=120s, minimum_calls=20, sampling_window=1.5s, failure_ratio=0.25, consecutive_failures=3)"
        ),
        Ok(config)
    );
}

#[test]
fn names_with_separators_are_escaped_and_read_back() {
    for name in ["a,b", "f(x)", "100%", " padded ", "two words", "tab\there", "ü €", "x=y", "\n"]
    {
        let mut config = BreakerConfig::default();
        config.name = name.into();
        round_trip(&config);
    }
    let mut config = BreakerConfig::default();
    config.name = " a,b(c)%d e ".into();
    assert_eq!(config.to_string(), "breaker(name=%20a%2Cb%28c%29%25d e%20)");
    assert_eq!(parse("breaker(name=two words)").unwrap().name, "two words");
    assert_eq!(parse("breaker(name=%C3%BC)").unwrap().name, "ü");
}

fn error(s: &str) -> (usize, String, String) {
    let err = parse(s).unwrap_err();
    (err.position(), err.token().to_string(), err.to_string())
}

#[test]
fn errors_point_at_the_bad_token() {
    let (at, token, message) = error("breaker(consecutive_failures=3, timeout=5s)");
    assert_eq!((at, token.as_str()), (32, "timeout"));
    assert!(message.starts_with("at byte 32, \"timeout\": unknown setting: expected"), "{message}");

    assert_eq!(
        error("breaker(max_probes=2, max_probes=3)").2,
        "at byte 22, \"max_probes\": setting given twice"
    );
    assert_eq!(
        error("breaker(minimum_calls=ten)").2,
        "at byte 22, \"ten\": invalid minimum_calls: expected a whole number from 1 to 4294967295"
    );
    assert_eq!(
        error("breaker(minimum_calls=4294967296)").2,
        "at byte 22, \"4294967296\": invalid minimum_calls: expected a whole number from 1 to \
         4294967295"
    );
    assert_eq!(
        error("breaker(failure_ratio=half)").2,
        "at byte 22, \"half\": invalid failure_ratio: expected a number above 0 and at most 1"
    );
    assert_eq!(
        error("breaker(break_duration=30)").2,
        "at byte 23, \"30\": invalid duration: expected a number and a unit (ns, us, ms, s, m, \
         h), like 100ms or 1.5s"
    );
    assert_eq!(
        error("breaker(name=a%zz)").2,
        "at byte 14, \"%zz\": invalid name: `%` must be followed by two hex digits"
    );
    assert_eq!(
        error("breaker(name=a%4)").2,
        "at byte 14, \"%4\": invalid name: `%` must be followed by two hex digits"
    );
    // Found by the `parse` fuzz target: a `%` before a character of two bytes panicked on a
    // slice that ended inside it.
    assert_eq!(
        error("breaker(name=a%\u{95}b)").2,
        "at byte 14, \"%\\u{95}b\": invalid name: `%` must be followed by two hex digits"
    );
    assert_eq!(
        error("breaker(name=%FF)").2,
        "at byte 13, \"%FF\": invalid name: the escapes do not decode to UTF-8"
    );
    assert_eq!(error("breaker(name)").2, "at byte 8, \"name\": expected key=value");
    assert_eq!(error("breaker(name=db").2, "at byte 15, \"\": expected `)` at the end");
    assert_eq!(error("budget(capacity=1)").2, "at byte 0, \"budget\": expected `breaker`");
    assert_eq!(
        error("db").2,
        "at byte 0, \"db\": expected breaker settings such as breaker(name=db)"
    );
}

/// The builder's panic message for a value, to compare with the text form's error.
fn builder_panic(set: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(set).unwrap_err();
    payload.downcast_ref::<String>().cloned().unwrap()
}

#[test]
fn values_the_builder_refuses_are_refused_with_its_message() {
    use persevere::breaker::CircuitBreaker;
    let cases: [(&str, usize, String); 8] = [
        (
            "breaker(consecutive_failures=0)",
            29,
            builder_panic(|| {
                let _ = CircuitBreaker::builder().consecutive_failures(0);
            }),
        ),
        (
            "breaker(minimum_calls=0)",
            22,
            builder_panic(|| {
                let _ = CircuitBreaker::builder().minimum_calls(0);
            }),
        ),
        (
            "breaker(max_probes=0)",
            19,
            builder_panic(|| {
                let _ = CircuitBreaker::builder().max_probes(0);
            }),
        ),
        (
            "breaker(probe_successes=0)",
            24,
            builder_panic(|| {
                let _ = CircuitBreaker::builder().probe_successes(0);
            }),
        ),
        (
            "breaker(failure_ratio=1.5)",
            22,
            builder_panic(|| {
                let _ = CircuitBreaker::builder().failure_ratio(1.5);
            }),
        ),
        (
            "breaker(failure_ratio=NaN)",
            22,
            builder_panic(|| {
                let _ = CircuitBreaker::builder().failure_ratio(f64::NAN);
            }),
        ),
        (
            "breaker(sampling_window=5ms)",
            24,
            builder_panic(|| {
                let _ = CircuitBreaker::builder().sampling_window(Duration::from_millis(5));
            }),
        ),
        (
            "breaker(break_duration=0s)",
            23,
            builder_panic(|| {
                let _ = CircuitBreaker::builder().break_duration(Duration::ZERO);
            }),
        ),
    ];
    for (text, at, message) in cases {
        fails_at::<BreakerConfig>(text, at, &message);
    }
    assert_eq!(
        parse("breaker(sampling_window=5ms)").unwrap_err().to_string(),
        "at byte 24, \"5ms\": invalid sampling_window 5ms: expected at least 10ms"
    );
}

#[test]
#[should_panic(expected = "invalid max_probes 0: expected at least 1")]
fn building_a_config_the_builder_refuses_panics_with_its_message() {
    let mut config = BreakerConfig::default();
    config.max_probes = 0;
    let _ = config.build();
}

fn fail(breaker: &persevere::breaker::CircuitBreaker<ManualClock>) {
    assert!(matches!(breaker.call(|| Err::<(), _>("down")), Err(BreakerError::Inner("down"))));
}

#[test]
fn a_breaker_from_text_opens_breaks_and_probes_as_configured() {
    let config =
        parse("breaker(consecutive_failures=3, break_duration=10s, probe_successes=2, name=db)")
            .unwrap();
    let clock = ManualClock::new();
    let breaker = config.builder().clock(clock.clone()).build();
    assert_eq!(breaker.name(), "db");
    fail(&breaker);
    fail(&breaker);
    assert_eq!(breaker.state(), State::Closed);
    fail(&breaker);
    assert_eq!(breaker.state(), State::Open);
    clock.advance(Duration::from_secs(9));
    assert!(matches!(breaker.call(|| Ok::<_, &str>(())), Err(BreakerError::Rejected(_))));
    clock.advance(Duration::from_secs(1));
    assert_eq!(breaker.call(|| Ok::<_, &str>(())), Ok(()));
    assert_eq!(breaker.state(), State::HalfOpen);
    assert_eq!(breaker.call(|| Ok::<_, &str>(())), Ok(()));
    assert_eq!(breaker.state(), State::Closed);
}

#[test]
fn a_breaker_from_text_opens_at_the_configured_ratio() {
    let config = parse("breaker(consecutive_failures=1000, failure_ratio=0.5, minimum_calls=4, sampling_window=10s)").unwrap();
    let clock = ManualClock::new();
    let breaker = config.builder().clock(clock.clone()).build();
    assert_eq!(breaker.call(|| Ok::<_, &str>(())), Ok(()));
    assert_eq!(breaker.call(|| Ok::<_, &str>(())), Ok(()));
    fail(&breaker);
    assert_eq!(breaker.state(), State::Closed); // 1 of 3: too few calls
    fail(&breaker);
    assert_eq!(breaker.state(), State::Open); // 2 of 4
}

#[cfg(feature = "serde")]
#[test]
fn serde_goes_through_the_text_form() {
    #[derive(serde::Deserialize, serde::Serialize, PartialEq, Debug)]
    struct Config {
        breaker: BreakerConfig,
    }
    let config = Config { breaker: every_setting() };
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(
        json,
        r#"{"breaker":"breaker(consecutive_failures=3, failure_ratio=0.25, sampling_window=1500ms, minimum_calls=20, break_duration=2m, max_probes=2, probe_successes=4, name=inventory-db)"}"#
    );
    assert_eq!(serde_json::from_str::<Config>(&json).unwrap(), config);
    let err = serde_json::from_str::<Config>(r#"{"breaker":"breaker(max_probes=0)"}"#).unwrap_err();
    assert!(
        err.to_string().starts_with("at byte 19, \"0\": invalid max_probes 0: expected at least 1"),
        "{err}"
    );
    let err = serde_json::from_str::<Config>(r#"{"breaker":5}"#).unwrap_err();
    assert!(err.to_string().contains("breaker settings in their text form"), "{err}");
}
