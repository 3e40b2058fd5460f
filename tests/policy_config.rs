//! A whole policy in text: `PolicyConfig` reads and prints `policy(schedule=…, …)`, errors
//! point at the bad token, and the policy built from it behaves as the text says.

mod common;

use std::time::Duration;

use common::{capture_logs, persevere_lines};
use persevere::policy::PolicyConfig;
use persevere::{Exponential, Fixed, Jitter, Policy, Schedule, Stop};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn every_setting_round_trips() {
    for text in [
        "policy(schedule=fixed(delay=1s, max_retries=3))",
        "policy(schedule=exponential(initial=100ms, factor=2, max_retries=5, jitter=full), max_elapsed=30s)",
        "policy(schedule=fibonacci(initial=50ms, max_delay=2s, max_retries=forever), max_elapsed=1m, adjust_ceiling=10s, name=charge_card)",
        "policy(schedule=fixed(delay=250ms, max_retries=2, jitter=proportional(0.1)), name=orders.db:write-1)",
    ] {
        let config: PolicyConfig = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(config.to_string(), text);
        assert_eq!(config.to_string().parse::<PolicyConfig>().unwrap(), config);
    }
}

#[test]
fn settings_read_in_any_order_with_spaces() {
    let config: PolicyConfig =
        " policy( name = api , max_elapsed = 2m, schedule = fixed(delay=1s, max_retries=2) ) "
            .parse()
            .unwrap();
    let mut expected = PolicyConfig::new(Fixed::new(secs(1)).max_retries(2).into());
    expected.max_elapsed = Some(secs(120));
    expected.name = Some("api".into());
    assert_eq!(config, expected);
    assert_eq!(
        config.to_string(),
        "policy(schedule=fixed(delay=1s, max_retries=2), max_elapsed=2m, name=api)"
    );
}

#[test]
fn errors_point_at_the_bad_token() {
    for (text, at, token, problem) in [
        ("retry(schedule=fixed(delay=1s))", 0, "retry", "expected `policy`"),
        ("policy", 0, "policy", "expected policy(schedule=…)"),
        ("policy(max_elapsed=1s)", 0, "policy", "missing setting `schedule`"),
        ("policy(schedule=fixed(delay=1s), max_elapsed=soon)", 45, "soon", "invalid duration"),
        ("policy(schedule=fixed(delay=1s), retries=3)", 33, "retries", "unknown setting"),
        ("policy(schedule=fixed(delay=1s), name=a b)", 38, "a b", "invalid name"),
        ("policy(schedule=fixed(delay=1s), name=x, name=y)", 41, "name", "setting given twice"),
        // An error inside the schedule points into the whole text.
        (
            "policy(schedule=exponential(initial=100ms, factor=0.5))",
            50,
            "0.5",
            "invalid factor 0.5",
        ),
        (
            "policy(schedule=linear(step=1s))",
            16,
            "linear",
            "expected `exponential`, `fixed` or `fibonacci`",
        ),
    ] {
        let e = text.parse::<PolicyConfig>().unwrap_err();
        assert_eq!((e.position(), e.token()), (at, token), "{text}: {e}");
        assert!(e.to_string().contains(problem), "{text}: {e}");
    }
}

#[test]
fn a_policy_from_text_behaves_as_the_text_says() {
    capture_logs();
    let config: PolicyConfig =
        "policy(schedule=fixed(delay=4s, forever), max_elapsed=10s, adjust_ceiling=1s, name=search)"
            .replace("forever", "max_retries=forever")
            .parse()
            .unwrap();
    let policy = Policy::from_config(&config).adjust(|_: &&str, _| Some(secs(3600)));
    let mut slept = Vec::new();
    let (_, report) =
        policy.retry(|| Err::<(), _>("busy")).sleep(|d| slept.push(d)).call_with_report();
    // The adjust ceiling of 1 s cuts the hour; max_elapsed ends it after ten of them.
    assert_eq!(slept, [secs(1); 10]);
    assert_eq!((report.attempts, report.stop), (11, Stop::MaxElapsed));
    let lines = persevere_lines(log::Level::Warn);
    assert_eq!(lines[0].1, "search: attempt 1 failed: busy; retrying in 1s");
}

#[test]
fn new_starts_from_the_defaults() {
    let schedule: Schedule =
        Exponential::new(Duration::from_millis(10)).jitter(Jitter::Full).into();
    let config = PolicyConfig::new(schedule.clone());
    assert_eq!((config.schedule, config.max_elapsed, config.name), (schedule, None, None));
    assert_eq!(config.adjust_ceiling, persevere::DEFAULT_ADJUST_CEILING);
}
