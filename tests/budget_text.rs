//! The text form of retry budget settings: round trips, errors, and budgets built from text.

use persevere::budget::{BudgetConfig, RetryBudget, RetryKind};

#[path = "support/text_form.rs"]
mod text_form;
use text_form::{fails_at, round_trip};

fn parse(s: &str) -> Result<BudgetConfig, persevere::ParseError> {
    s.parse()
}

fn every_setting() -> BudgetConfig {
    let mut config = BudgetConfig::new(100.0);
    config.initial = Some(50.5);
    config.retry_cost = 2.0;
    config.timeout_retry_cost = Some(4.0);
    config.throttled_retry_cost = Some(0.5);
    config.failure_cost = 1.0;
    config.success_deposit = 0.1;
    config.refund_on_success = true;
    config.reserve = 10.0;
    config
}

#[test]
fn defaults_print_only_the_capacity_and_read_back() {
    let config = BudgetConfig::new(100.0);
    assert_eq!(config.to_string(), "budget(capacity=100)");
    round_trip(&config);
    assert_eq!(config.builder(), RetryBudget::builder(100.0));
    let spelled = "budget(capacity=100, retry_cost=1, failure_cost=0, success_deposit=0, \
                   refund_on_success=false, reserve=0)";
    assert_eq!(parse(spelled).unwrap().to_string(), "budget(capacity=100)");
    round_trip(&BudgetConfig::new(1.0));
    // A capacity below the default retry cost leaves no retry: the capacity is blamed.
    assert_eq!(
        error("budget(capacity=0.5)"),
        "at byte 16, \"0.5\": invalid retry budget setting retry_cost = 1: with the reserve of 0 \
         it exceeds the capacity 0.5, so no such retry could ever be paid for"
    );
    round_trip(&BudgetConfig::new(1e9));
}

#[test]
fn every_setting_prints_and_reads_back() {
    let config = every_setting();
    assert_eq!(
        config.to_string(),
        "budget(capacity=100, initial=50.5, retry_cost=2, timeout_retry_cost=4, \
         throttled_retry_cost=0.5, failure_cost=1, success_deposit=0.1, refund_on_success=true, \
         reserve=10)"
    );
    round_trip(&config);
    // Optional settings equal to what they default to are still kept.
    let mut config = BudgetConfig::new(10.0);
    config.initial = Some(10.0);
    config.timeout_retry_cost = Some(1.0);
    assert_eq!(config.to_string(), "budget(capacity=10, initial=10, timeout_retry_cost=1)");
    round_trip(&config);
    assert_eq!(config.builder(), RetryBudget::builder(10.0).initial(10.0).timeout_retry_cost(1.0));
    // Keys in any order, numbers in any form Rust reads.
    assert_eq!(
        parse(
            "budget(reserve=1e1, refund_on_success=true, success_deposit=0.10, failure_cost=1, throttled_retry_cost=.5, timeout_retry_cost=4, retry_cost=2, initial=50.5, capacity=100.0)"
        ),
        Ok(every_setting())
    );
}

#[test]
fn the_aws_preset_prints_as_itself_and_can_be_changed() {
    let aws = BudgetConfig::aws_standard();
    assert_eq!(aws.to_string(), "budget(preset=aws_standard)");
    round_trip(&aws);
    assert_eq!(
        aws.builder(),
        RetryBudget::builder(500.0)
            .retry_cost(5.0)
            .timeout_retry_cost(10.0)
            .success_deposit(1.0)
            .refund_on_success(true)
    );
    let changed = parse("budget(preset=aws_standard, capacity=1000)").unwrap();
    assert_eq!(changed.capacity, 1000.0);
    assert_eq!(changed.timeout_retry_cost, Some(10.0));
    assert_eq!(
        changed.to_string(),
        "budget(capacity=1000, retry_cost=5, timeout_retry_cost=10, success_deposit=1, \
         refund_on_success=true)"
    );
    round_trip(&changed);
    // Like the preset itself: 100 retries in a row from full.
    let budget = parse("budget(preset=aws_standard)").unwrap().build().unwrap();
    let mut retries = 0;
    while budget.try_withdraw(RetryKind::Normal).is_some() {
        retries += 1;
    }
    assert_eq!(retries, 100);
}

fn error(s: &str) -> String {
    parse(s).unwrap_err().to_string()
}

#[test]
fn errors_point_at_the_bad_token() {
    let unknown = error("budget(capacity=10, cost=1)");
    assert!(
        unknown.starts_with("at byte 20, \"cost\": unknown setting: expected capacity"),
        "{unknown}"
    );
    assert_eq!(
        error("budget(capacity=10, capacity=20)"),
        "at byte 20, \"capacity\": setting given twice"
    );
    assert_eq!(
        error("budget(capacity=ten)"),
        "at byte 16, \"ten\": invalid amount: expected a number of tokens"
    );
    assert_eq!(
        error("budget(capacity=10, refund_on_success=yes)"),
        "at byte 38, \"yes\": invalid refund_on_success: expected true or false"
    );
    assert_eq!(
        error("budget(retry_cost=1)"),
        "at byte 0, \"budget\": missing setting `capacity` (or `preset`)"
    );
    assert_eq!(
        error("budget(preset=gcp)"),
        "at byte 14, \"gcp\": unknown preset: expected aws_standard"
    );
    assert_eq!(error("breaker(capacity=1)"), "at byte 0, \"breaker\": expected `budget`");
    assert_eq!(error("budget(capacity=1"), "at byte 17, \"\": expected `)` at the end");
    assert_eq!(error("budget(capacity)"), "at byte 7, \"capacity\": expected key=value");
    assert_eq!(
        error("500"),
        "at byte 0, \"500\": expected budget settings such as budget(capacity=100)"
    );
}

#[test]
fn values_the_builder_refuses_are_refused_with_its_message() {
    let cases = [
        ("budget(capacity=-1)", 16, RetryBudget::builder(-1.0)),
        ("budget(capacity=0)", 16, RetryBudget::builder(0.0)),
        ("budget(capacity=NaN)", 16, RetryBudget::builder(f64::NAN)),
        ("budget(capacity=2e9)", 16, RetryBudget::builder(2e9)),
        ("budget(capacity=10, initial=11)", 28, RetryBudget::builder(10.0).initial(11.0)),
        (
            "budget(capacity=10, retry_cost=inf)",
            31,
            RetryBudget::builder(10.0).retry_cost(f64::INFINITY),
        ),
        (
            "budget(capacity=10, reserve=8, retry_cost=3)",
            42,
            RetryBudget::builder(10.0).reserve(8.0).retry_cost(3.0),
        ),
        (
            "budget(capacity=10, timeout_retry_cost=11)",
            39,
            RetryBudget::builder(10.0).timeout_retry_cost(11.0),
        ),
        (
            "budget(capacity=10, throttled_retry_cost=-1)",
            41,
            RetryBudget::builder(10.0).throttled_retry_cost(-1.0),
        ),
        (
            "budget(capacity=10, failure_cost=-0.5)",
            33,
            RetryBudget::builder(10.0).failure_cost(-0.5),
        ),
        (
            "budget(capacity=10, success_deposit=1e10)",
            36,
            RetryBudget::builder(10.0).success_deposit(1e10),
        ),
        ("budget(capacity=10, reserve=-2)", 28, RetryBudget::builder(10.0).reserve(-2.0)),
        // The preset's timeout cost no longer fits: the capacity that shrank is blamed.
        (
            "budget(preset=aws_standard, capacity=8)",
            37,
            RetryBudget::builder(8.0).retry_cost(5.0).timeout_retry_cost(10.0),
        ),
    ];
    for (text, at, builder) in cases {
        let message = builder.build().unwrap_err().to_string();
        fails_at::<BudgetConfig>(text, at, &message);
    }
    assert_eq!(
        error("budget(capacity=10, reserve=8, retry_cost=3)"),
        "at byte 42, \"3\": invalid retry budget setting retry_cost = 3: with the reserve of 8 it \
         exceeds the capacity 10, so no such retry could ever be paid for"
    );
}

#[test]
fn a_budget_from_text_allows_exactly_the_configured_retries() {
    let budget = parse("budget(capacity=20, retry_cost=3, timeout_retry_cost=5, reserve=2)")
        .unwrap()
        .build()
        .unwrap();
    let mut retries = 0;
    while budget.try_withdraw(RetryKind::Normal).is_some() {
        retries += 1;
    }
    assert_eq!(retries, 6); // 20 -> 2 in steps of 3
    assert_eq!(budget.available(), 2.0);

    let budget = parse("budget(capacity=20, retry_cost=3, timeout_retry_cost=5, reserve=2)")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(budget.try_withdraw(RetryKind::Timeout).unwrap().tokens(), 5.0);
    assert_eq!(budget.try_withdraw(RetryKind::Throttled).unwrap().tokens(), 3.0);

    let budget = parse("budget(capacity=10, initial=0, failure_cost=1, success_deposit=0.5, refund_on_success=true)")
        .unwrap()
        .build()
        .unwrap();
    assert!(budget.try_withdraw(RetryKind::Normal).is_none());
    budget.record_success(None);
    budget.record_success(None);
    assert_eq!(budget.available(), 1.0);
    let paid = budget.try_withdraw(RetryKind::Normal).unwrap();
    budget.record_failure();
    assert_eq!(budget.available(), 0.0);
    budget.record_success(Some(paid));
    assert_eq!(budget.available(), 1.0);
    assert_eq!(budget.capacity(), 10.0);
}

#[cfg(feature = "serde")]
#[test]
fn serde_goes_through_the_text_form() {
    #[derive(serde::Deserialize, serde::Serialize, PartialEq, Debug)]
    struct Config {
        budget: BudgetConfig,
    }
    let config = Config { budget: every_setting() };
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(serde_json::from_str::<Config>(&json).unwrap(), config);
    let aws = Config { budget: BudgetConfig::aws_standard() };
    assert_eq!(serde_json::to_string(&aws).unwrap(), r#"{"budget":"budget(preset=aws_standard)"}"#);
    let read: Config = serde_json::from_str(
        r#"{"budget":"budget(capacity=500, retry_cost=5, timeout_retry_cost=10)"}"#,
    )
    .unwrap();
    assert_eq!(read.budget.timeout_retry_cost, Some(10.0));
    let err = serde_json::from_str::<Config>(r#"{"budget":"budget(capacity=10, initial=12)"}"#)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("at byte 28, \"12\": invalid retry budget setting initial = 12"),
        "{err}"
    );
    let err = serde_json::from_str::<Config>(r#"{"budget":[]}"#).unwrap_err();
    assert!(err.to_string().contains("budget settings in their text form"), "{err}");
}
