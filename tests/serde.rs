//! The `serde` feature: schedules written and read as their text form, in JSON.

use std::time::Duration;

use persevere::{Exponential, Fibonacci, Fixed, Jitter, Jittered, Schedule};
use serde::{Deserialize, Serialize};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Config {
    retry: Schedule,
    connect: Jittered<Exponential>,
    poll: Fixed,
    reconnect: Jittered<Fibonacci>,
}

#[test]
fn config_round_trips_through_json() {
    let json = r#"{
        "retry": "exponential(initial=100ms, max_retries=5)",
        "connect": "exponential(initial=10ms, factor=3, max_delay=1s, jitter=proportional(0.1), seed=7)",
        "poll": "fixed(delay=0.5s, max_retries=forever, max_total_delay=1m)",
        "reconnect": "fibonacci(initial=5ms, jitter=full, seed=1)"
    }"#;
    let config: Config = serde_json::from_str(json).unwrap();
    assert_eq!(config.retry, Schedule::from(Exponential::new(ms(100)).max_retries(5)));
    let connect = Exponential::new(ms(10)).factor(3.0).max_delay(ms(1000));
    assert_eq!(config.connect, connect.jitter(Jitter::proportional(0.1)).seed(7));
    assert_eq!(config.poll, Fixed::new(ms(500)).forever().max_total_delay(ms(60_000)));
    assert_eq!(config.reconnect, Fibonacci::new(ms(5)).jitter(Jitter::Full).seed(1));

    let written = serde_json::to_string(&config).unwrap();
    assert!(written.contains(r#""retry":"exponential(initial=100ms, factor=2, max_retries=5)""#));
    assert!(
        written.contains(r#""poll":"fixed(delay=500ms, max_retries=forever, max_total_delay=1m)""#)
    );
    let again: Config = serde_json::from_str(&written).unwrap();
    assert_eq!(again, config);
}

#[test]
fn any_kind_reads_as_a_schedule() {
    for text in
        ["fixed(delay=1s, max_retries=2)", "fibonacci(initial=1ms)", "exponential(initial=1s)"]
    {
        let schedule: Schedule = serde_json::from_str(&format!("{text:?}")).unwrap();
        let printed = serde_json::to_string(&schedule).unwrap();
        assert_eq!(serde_json::from_str::<Schedule>(&printed).unwrap(), schedule);
        assert_eq!(schedule, text.parse::<Schedule>().unwrap());
    }
}

#[test]
fn settings_not_progress_are_written() {
    let mut s = Fixed::new(ms(1)).max_retries(3);
    s.next();
    assert_eq!(serde_json::to_string(&s).unwrap(), r#""fixed(delay=1ms, max_retries=3)""#);
}

#[test]
fn bad_text_is_refused_with_the_parse_error() {
    let err = serde_json::from_str::<Schedule>(r#""linear(step=1s)""#).unwrap_err().to_string();
    assert!(
        err.contains("at byte 0, \"linear\": expected `exponential`, `fixed` or `fibonacci`"),
        "{err}"
    );
    let err = serde_json::from_str::<Exponential>(r#""exponential(initial=1s, factor=0.5)""#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid factor 0.5"), "{err}");
    let err = serde_json::from_str::<Fixed>("42").unwrap_err().to_string();
    assert!(err.contains("a setting in its text form"), "{err}");
}

#[test]
fn a_whole_policy_config_reads_from_json() {
    use persevere::policy::PolicyConfig;
    #[derive(serde::Deserialize, serde::Serialize)]
    struct Config {
        search: PolicyConfig,
    }
    let text = r#"{"search":"policy(schedule=fixed(delay=1s, max_retries=2), max_elapsed=10s, name=search)"}"#;
    let config: Config = serde_json::from_str(text).unwrap();
    assert_eq!(config.search.max_elapsed, Some(Duration::from_secs(10)));
    assert_eq!(serde_json::to_string(&config).unwrap(), text);
    let err = serde_json::from_str::<PolicyConfig>(r#""policy(max_elapsed=1s)""#).unwrap_err();
    assert!(err.to_string().contains("missing setting `schedule`"), "{err}");
}
