//! `Policy::from_env`: one call reads a whole policy from an environment variable. A test
//! binary of its own, since it sets a variable and nothing else may read the environment
//! meanwhile.

use persevere::{Policy, Stop};

#[test]
fn a_policy_reads_from_an_environment_variable() {
    let missing =
        Policy::<persevere::Schedule, &str>::from_env("PERSEVERE_TEST_UNSET").unwrap_err();
    assert_eq!(missing.to_string(), "environment variable PERSEVERE_TEST_UNSET is not set");

    // SAFETY: this test binary runs this one test, and nothing else reads the environment.
    unsafe {
        std::env::set_var(
            "PERSEVERE_TEST_RETRY",
            "policy(schedule=fixed(delay=1ms, max_retries=2), name=env)",
        );
        std::env::set_var(
            "PERSEVERE_TEST_BAD",
            "policy(schedule=fixed(delay=1ms), max_elapsed=soon)",
        );
    }
    let policy = Policy::from_env("PERSEVERE_TEST_RETRY").unwrap();
    let (_, report) = policy.retry(|| Err::<(), _>("down")).sleep(|_| {}).call_with_report();
    assert_eq!((report.attempts, report.stop), (3, Stop::ScheduleExhausted));

    let bad = Policy::<persevere::Schedule, &str>::from_env("PERSEVERE_TEST_BAD").unwrap_err();
    assert_eq!(bad.variable(), "PERSEVERE_TEST_BAD");
    assert_eq!(bad.parse_error().map(|e| e.token()), Some("soon"));
    assert!(
        bad.to_string().starts_with("environment variable PERSEVERE_TEST_BAD: at byte 46"),
        "{bad}"
    );
}
