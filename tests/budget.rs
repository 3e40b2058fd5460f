//! Retry budgets: exact token arithmetic of both presets and of free parameters, thread
//! safety, and the retry amplification of a full outage with and without a budget.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use persevere::budget::{BudgetError, RetryBudget, RetryKind};

const NORMAL: RetryKind = RetryKind::Normal;
const TIMEOUT: RetryKind = RetryKind::Timeout;

fn grpc(max_tokens: f64, token_ratio: f64) -> RetryBudget {
    RetryBudget::grpc(max_tokens, token_ratio).expect("valid gRPC settings")
}

// ---- AWS standard retry quota ------------------------------------------------------------

#[test]
fn aws_starts_full_at_500() {
    let budget = RetryBudget::aws_standard();
    assert_eq!(budget.available(), 500.0);
    assert_eq!(budget.capacity(), 500.0);
}

#[test]
fn aws_retry_costs_5_and_10_after_a_timeout() {
    let budget = RetryBudget::aws_standard();
    assert_eq!(budget.try_withdraw(NORMAL).map(|w| w.tokens()), Some(5.0));
    assert_eq!(budget.available(), 495.0);
    assert_eq!(budget.try_withdraw(TIMEOUT).map(|w| w.tokens()), Some(10.0));
    assert_eq!(budget.available(), 485.0);
    // The classic quota has no discount for throttling.
    assert_eq!(budget.try_withdraw(RetryKind::Throttled).map(|w| w.tokens()), Some(5.0));
    assert_eq!(budget.available(), 480.0);
}

#[test]
fn aws_failures_alone_cost_nothing() {
    let budget = RetryBudget::aws_standard();
    for _ in 0..1000 {
        budget.record_failure();
    }
    assert_eq!(budget.available(), 500.0);
}

#[test]
fn aws_first_try_success_deposits_one() {
    let budget = RetryBudget::aws_standard();
    for _ in 0..4 {
        let _ = budget.try_withdraw(NORMAL).unwrap();
    }
    assert_eq!(budget.available(), 480.0);
    budget.record_success(None);
    budget.record_success(None);
    assert_eq!(budget.available(), 482.0);
}

#[test]
fn aws_success_after_retries_refunds_the_last_retry_only() {
    let budget = RetryBudget::aws_standard();
    // One call: a timeout, then a normal failure, then success.
    let _first = budget.try_withdraw(TIMEOUT).unwrap();
    let last = budget.try_withdraw(NORMAL).unwrap();
    assert_eq!(budget.available(), 485.0);
    budget.record_success(Some(last));
    // 5 back, not 15 and not 5 + 1.
    assert_eq!(budget.available(), 490.0);

    let after_timeout = budget.try_withdraw(TIMEOUT).unwrap();
    assert_eq!(budget.available(), 480.0);
    budget.record_success(Some(after_timeout));
    assert_eq!(budget.available(), 490.0);
}

#[test]
fn aws_never_fills_above_capacity() {
    let budget = RetryBudget::aws_standard();
    budget.record_success(None);
    assert_eq!(budget.available(), 500.0);
    let paid = budget.try_withdraw(TIMEOUT).unwrap();
    for _ in 0..9 {
        budget.record_success(None);
    }
    assert_eq!(budget.available(), 499.0);
    budget.record_success(Some(paid)); // 499 + 10 stops at 500
    assert_eq!(budget.available(), 500.0);
}

#[test]
fn aws_spends_down_to_exactly_zero_and_no_further() {
    let budget = RetryBudget::aws_standard();
    let mut paid = 0;
    while budget.try_withdraw(NORMAL).is_some() {
        paid += 1;
    }
    assert_eq!(paid, 100);
    assert_eq!(budget.available(), 0.0);
    assert_eq!(budget.try_withdraw(TIMEOUT), None);
    assert_eq!(budget.available(), 0.0, "a refused withdrawal takes nothing");
}

#[test]
fn aws_with_5_left_a_normal_retry_is_paid_but_a_timeout_retry_is_not() {
    let budget = RetryBudget::aws_standard();
    for _ in 0..99 {
        let _ = budget.try_withdraw(NORMAL).unwrap();
    }
    assert_eq!(budget.available(), 5.0);
    assert_eq!(budget.try_withdraw(TIMEOUT), None);
    assert_eq!(budget.available(), 5.0);
    assert!(budget.try_withdraw(NORMAL).is_some());
    assert_eq!(budget.available(), 0.0);
}

#[test]
fn aws_recovers_one_retry_per_five_first_try_successes() {
    let budget = RetryBudget::aws_standard();
    while budget.try_withdraw(NORMAL).is_some() {}
    for _ in 0..4 {
        budget.record_success(None);
    }
    assert_eq!(budget.try_withdraw(NORMAL), None, "4 tokens do not pay for a retry");
    budget.record_success(None);
    assert!(budget.try_withdraw(NORMAL).is_some());
    assert_eq!(budget.try_withdraw(NORMAL), None);
}

// ---- gRPC retry throttling ---------------------------------------------------------------

#[test]
fn grpc_follows_the_c_core_sequence_for_max_4_ratio_1_6() {
    // The sequence of gRPC's own retry_throttle test: threshold 2, failures -1, successes +1.6.
    let budget = grpc(4.0, 1.6);
    assert_eq!(budget.available(), 4.0);
    budget.record_failure();
    assert_eq!(budget.available(), 3.0);
    assert!(budget.try_withdraw(NORMAL).is_some());
    budget.record_success(None);
    assert_eq!(budget.available(), 4.0, "not incremented beyond max");
    budget.record_failure();
    assert!(budget.try_withdraw(NORMAL).is_some());
    budget.record_failure();
    assert_eq!(budget.available(), 2.0);
    assert!(budget.try_withdraw(NORMAL).is_none(), "at the threshold: no retries");
    budget.record_failure();
    assert_eq!(budget.available(), 1.0);
    assert!(budget.try_withdraw(NORMAL).is_none());
    budget.record_success(None);
    assert_eq!(budget.available(), 2.6);
    assert!(budget.try_withdraw(NORMAL).is_some(), "2.6 is above 2");
    budget.record_failure();
    assert_eq!(budget.available(), 1.6);
    assert!(budget.try_withdraw(NORMAL).is_none());
}

#[test]
fn grpc_retries_are_free_and_allowed_only_strictly_above_half() {
    let budget = grpc(10.0, 0.1);
    for kind in [NORMAL, TIMEOUT, RetryKind::Throttled] {
        assert_eq!(budget.try_withdraw(kind).map(|w| w.tokens()), Some(0.0));
    }
    assert_eq!(budget.available(), 10.0, "retries cost nothing");
    for _ in 0..4 {
        budget.record_failure();
    }
    assert_eq!(budget.available(), 6.0);
    assert!(budget.try_withdraw(NORMAL).is_some());
    budget.record_failure();
    assert_eq!(budget.available(), 5.0);
    assert!(budget.try_withdraw(NORMAL).is_none());
    assert!(budget.try_withdraw(TIMEOUT).is_none());
    budget.record_success(None);
    assert_eq!(budget.available(), 5.1);
    assert!(budget.try_withdraw(NORMAL).is_some());
}

#[test]
fn grpc_threshold_is_one_thousandth_above_half() {
    let budget = grpc(3.0, 0.001); // retries need more than 1.5
    budget.record_failure();
    budget.record_failure();
    assert_eq!(budget.available(), 1.0);
    for _ in 0..500 {
        budget.record_success(None);
    }
    assert_eq!(budget.available(), 1.5);
    assert!(budget.try_withdraw(NORMAL).is_none(), "exactly half is not above half");
    budget.record_success(None);
    assert_eq!(budget.available(), 1.501);
    assert!(budget.try_withdraw(NORMAL).is_some());
}

#[test]
fn grpc_fractional_ratios_add_up_exactly() {
    let budget = grpc(10.0, 0.1);
    for _ in 0..5 {
        budget.record_failure();
    }
    for _ in 0..3 {
        budget.record_success(None);
    }
    assert_eq!(budget.available(), 5.3);
    for _ in 0..7 {
        budget.record_success(None);
    }
    // Ten additions of 0.1 in f64 would give 5.999999999999999.
    assert_eq!(budget.available(), 6.0);
}

#[test]
fn grpc_stays_between_zero_and_max_tokens() {
    let budget = grpc(2.5, 0.5);
    for _ in 0..10 {
        budget.record_failure();
    }
    assert_eq!(budget.available(), 0.0);
    budget.record_success(None);
    assert_eq!(budget.available(), 0.5);
    for _ in 0..10 {
        budget.record_success(None);
    }
    assert_eq!(budget.available(), 2.5);
}

#[test]
fn grpc_success_after_retries_deposits_the_ratio_not_a_refund() {
    let budget = grpc(10.0, 0.25);
    budget.record_failure();
    let paid = budget.try_withdraw(NORMAL).unwrap();
    budget.record_success(Some(paid));
    assert_eq!(budget.available(), 9.25);
}

#[test]
fn grpc_refuses_settings_outside_the_service_config_rules() {
    let cases: [(f64, f64, &str); 9] = [
        (0.0, 0.1, "max_tokens"),
        (-1.0, 0.1, "max_tokens"),
        (f64::NAN, 0.1, "max_tokens"),
        (f64::INFINITY, 0.1, "max_tokens"),
        (1000.5, 0.1, "max_tokens"),
        (10.0, 0.0, "token_ratio"),
        (10.0, -0.1, "token_ratio"),
        (10.0, f64::NAN, "token_ratio"),
        (10.0, 0.0004, "token_ratio"),
    ];
    for (max_tokens, ratio, setting) in cases {
        let err = RetryBudget::grpc(max_tokens, ratio).unwrap_err();
        assert_eq!(err.setting(), setting, "grpc({max_tokens}, {ratio})");
        let shown = if setting == "max_tokens" { max_tokens } else { ratio };
        assert!(
            err.to_string()
                .starts_with(&format!("invalid retry budget setting {setting} = {shown}: ")),
            "{err}"
        );
    }
    assert_eq!(
        RetryBudget::grpc(1000.5, 0.1).unwrap_err().to_string(),
        "invalid retry budget setting max_tokens = 1000.5: gRPC's maxTokens must be above 0 and at most 1000",
    );
    assert_eq!(
        RetryBudget::grpc(10.0, 0.0004).unwrap_err().to_string(),
        "invalid retry budget setting token_ratio = 0.0004: expected at least 0.001, \
         the smallest amount a budget counts",
    );
    // The bounds themselves are fine.
    assert_eq!(grpc(1000.0, 0.001).capacity(), 1000.0);
    assert_eq!(grpc(0.001, 5.0).capacity(), 0.001);
}

// ---- free parameters ---------------------------------------------------------------------

#[test]
fn builder_defaults_are_a_fixed_allowance_of_capacity_retries() {
    let budget = RetryBudget::builder(3.0).build().unwrap();
    budget.record_failure();
    budget.record_success(None);
    assert_eq!(budget.available(), 3.0);
    for kind in [NORMAL, TIMEOUT, RetryKind::Throttled] {
        assert_eq!(budget.try_withdraw(kind).map(|w| w.tokens()), Some(1.0));
    }
    assert_eq!(budget.try_withdraw(NORMAL), None);
    let none_refunded = RetryBudget::builder(3.0).build().unwrap();
    let paid = none_refunded.try_withdraw(NORMAL).unwrap();
    none_refunded.record_success(Some(paid));
    assert_eq!(none_refunded.available(), 2.0);
}

#[test]
fn builder_applies_every_rule_exactly() {
    let budget = RetryBudget::builder(20.0)
        .initial(10.0)
        .retry_cost(2.0)
        .timeout_retry_cost(3.0)
        .throttled_retry_cost(0.5)
        .failure_cost(0.75)
        .success_deposit(0.25)
        .refund_on_success(true)
        .reserve(4.0)
        .build()
        .unwrap();
    assert_eq!(budget.available(), 10.0);
    budget.record_failure();
    assert_eq!(budget.available(), 9.25);
    let timeout = budget.try_withdraw(TIMEOUT).unwrap();
    assert_eq!((timeout.tokens(), budget.available()), (3.0, 6.25));
    let normal = budget.try_withdraw(NORMAL).unwrap();
    assert_eq!((normal.tokens(), budget.available()), (2.0, 4.25));
    // 4.25 - 2 = 2.25 and 4.25 - 0.5 = 3.75 would both dip into the reserve of 4.
    assert_eq!(budget.try_withdraw(NORMAL), None);
    assert_eq!(budget.try_withdraw(RetryKind::Throttled), None);
    budget.record_success(None); // deposit
    assert_eq!(budget.available(), 4.5);
    let throttled = budget.try_withdraw(RetryKind::Throttled).unwrap();
    assert_eq!((throttled.tokens(), budget.available()), (0.5, 4.0));
    budget.record_success(Some(timeout)); // refund instead of the deposit
    assert_eq!(budget.available(), 7.0);
    // Failures can drain the reserve; only retries respect it.
    for _ in 0..20 {
        budget.record_failure();
    }
    assert_eq!(budget.available(), 0.0);
    for _ in 0..80 {
        budget.record_success(Some(normal));
    }
    assert_eq!(budget.available(), 20.0);
}

#[test]
fn builder_rounds_to_the_nearest_thousandth() {
    let budget =
        RetryBudget::builder(10.0).retry_cost(0.1234).success_deposit(0.0004).build().unwrap();
    assert_eq!(budget.try_withdraw(NORMAL).unwrap().tokens(), 0.123);
    assert_eq!(budget.available(), 9.877);
    budget.record_success(None); // 0.0004 rounds to nothing
    assert_eq!(budget.available(), 9.877);
    let halves = RetryBudget::builder(1.0).retry_cost(0.0005).build().unwrap();
    assert_eq!(halves.try_withdraw(NORMAL).unwrap().tokens(), 0.001);
}

#[test]
fn builder_refuses_impossible_settings_naming_them() {
    fn err(builder: persevere::budget::BudgetBuilder) -> BudgetError {
        builder.build().unwrap_err()
    }
    let b = RetryBudget::builder;
    let cases: [(BudgetError, &str, &str); 11] = [
        (err(b(f64::NAN)), "capacity", "NaN: expected a number of tokens from 0 to 1e9"),
        (
            err(b(0.0)),
            "capacity",
            "0: expected at least 0.001, the smallest amount a budget counts",
        ),
        (err(b(0.0004)), "capacity", "0.0004: expected at least 0.001"),
        (err(b(2e9)), "capacity", "2000000000: expected a number of tokens from 0 to 1e9"),
        (err(b(10.0).initial(10.5)), "initial", "10.5: it is above the capacity 10"),
        (err(b(10.0).initial(-1.0)), "initial", "-1: expected a number"),
        (err(b(10.0).retry_cost(f64::INFINITY)), "retry_cost", "inf: expected a number"),
        (err(b(10.0).failure_cost(-0.5)), "failure_cost", "-0.5: expected a number"),
        (err(b(10.0).success_deposit(f64::NAN)), "success_deposit", "NaN: expected a number"),
        (
            err(b(10.0).timeout_retry_cost(7.0).reserve(3.5)),
            "timeout_retry_cost",
            "7: with the reserve of 3.5 it exceeds the capacity 10, so no such retry",
        ),
        (
            err(b(10.0).retry_cost(2.0).throttled_retry_cost(11.0)),
            "throttled_retry_cost",
            "11: with the reserve of 0 it exceeds the capacity 10",
        ),
    ];
    for (error, setting, message) in cases {
        assert_eq!(error.setting(), setting);
        let expected = format!("invalid retry budget setting {setting} = {message}");
        assert!(error.to_string().starts_with(&expected), "{error} <> {expected}");
    }
    // The largest retry cost that can still be paid is accepted.
    assert!(b(10.0).retry_cost(6.5).reserve(3.5).build().is_ok());
}

#[test]
fn clones_share_one_bucket() {
    let budget = RetryBudget::aws_standard();
    let clone = budget.clone();
    let paid = clone.try_withdraw(TIMEOUT).unwrap();
    assert_eq!(budget.available(), 490.0);
    budget.record_success(Some(paid));
    assert_eq!(clone.available(), 500.0);
    assert_eq!(format!("{clone:?}"), "RetryBudget { available: 500.0, capacity: 500.0, .. }");
}

#[test]
fn a_budget_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<RetryBudget>();
}

// ---- many threads ------------------------------------------------------------------------

const THREADS: usize = 8;

/// Runs `work(thread index)` on `THREADS` threads while another thread keeps checking that
/// the balance stays within `[0, capacity]`.
fn hammer(budget: &RetryBudget, work: impl Fn(usize) + Sync) {
    let done = AtomicBool::new(false);
    let capacity = budget.capacity();
    thread::scope(|s| {
        s.spawn(|| {
            loop {
                // A wrapped subtraction would show up as a huge balance.
                let now = budget.available();
                assert!((0.0..=capacity).contains(&now), "balance {now} outside 0..={capacity}");
                if done.load(Ordering::Relaxed) {
                    break;
                }
            }
        });
        thread::scope(|workers| {
            for index in 0..THREADS {
                let work = &work;
                workers.spawn(move || work(index));
            }
        });
        done.store(true, Ordering::Relaxed);
    });
}

#[test]
fn concurrent_spends_and_refills_lose_no_update() {
    // Sized so that no interleaving touches either bound: then the only correct final
    // balance is the serial one, and any lost update would show.
    const ROUNDS: u64 = 20_000;
    let budget = RetryBudget::builder(2_000_000.0)
        .initial(1_000_000.0)
        .retry_cost(5.0)
        .timeout_retry_cost(10.0)
        .success_deposit(1.0)
        .refund_on_success(true)
        .build()
        .unwrap();
    hammer(&budget, |index| {
        for round in 0..ROUNDS {
            let kind = if (round + index as u64) % 3 == 0 { TIMEOUT } else { NORMAL };
            let paid = budget.try_withdraw(kind).expect("far from empty");
            if round % 4 == 0 {
                budget.record_success(Some(paid)); // refund
            }
            budget.record_success(None); // +1
        }
    });
    let mut expected = 1_000_000.0;
    for index in 0..THREADS as u64 {
        for round in 0..ROUNDS {
            let cost = if (round + index) % 3 == 0 { 10.0 } else { 5.0 };
            if round % 4 != 0 {
                expected -= cost;
            }
            expected += 1.0;
        }
    }
    assert_eq!(budget.available(), expected);
    assert!(budget.available() < 1_000_000.0, "the test must move the balance");
}

#[test]
fn concurrent_retries_on_a_tiny_bucket_never_overdraw() {
    // 10 retries' worth of tokens fought over by 8 threads: most withdrawals are refused.
    // Refunds only return what was taken, so every token is accounted for.
    const ROUNDS: u64 = 20_000;
    let budget =
        RetryBudget::builder(50.0).retry_cost(5.0).refund_on_success(true).build().unwrap();
    let granted = AtomicU64::new(0);
    let refunded = AtomicU64::new(0);
    let refused = AtomicU64::new(0);
    hammer(&budget, |index| {
        for round in 0..ROUNDS {
            match budget.try_withdraw(NORMAL) {
                Some(paid) => {
                    granted.fetch_add(1, Ordering::Relaxed);
                    if (round + index as u64) % 2 == 0 {
                        budget.record_success(Some(paid));
                        refunded.fetch_add(1, Ordering::Relaxed);
                    }
                }
                None => {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    let (granted, refunded, refused) =
        (granted.into_inner(), refunded.into_inner(), refused.into_inner());
    assert_eq!(granted + refused, THREADS as u64 * ROUNDS);
    let kept = granted - refunded;
    assert!(kept <= 10, "{kept} retries kept their tokens; the bucket only held 10");
    assert_eq!(budget.available(), 50.0 - 5.0 * kept as f64);
    assert!(refused > 0);
}

#[test]
fn concurrent_grpc_failures_and_successes_stay_in_bounds() {
    let budget = grpc(10.0, 0.1);
    hammer(&budget, |index| {
        for round in 0..20_000_u64 {
            if (round + index as u64) % 3 == 0 {
                budget.record_failure();
            } else {
                budget.record_success(None);
            }
            let _ = budget.try_withdraw(NORMAL);
        }
    });
    let now = budget.available();
    assert!((0.0..=10.0).contains(&now));
    // One failure (-1) per two successes (+0.1 each) drains the bucket and keeps it low.
    assert!(now < 5.0, "a 33% failure rate keeps gRPC throttling on, got {now}");
}

// ---- a full outage -----------------------------------------------------------------------

#[derive(Debug, Default, PartialEq)]
struct Tally {
    attempts: u64,
    successes: u64,
    stopped_by_budget: u64,
}

/// `calls` calls, each allowed `retries` retries, run one after another through the
/// protocol the retry adapters follow. `succeeds(call, attempt)` scripts the service.
fn simulate(
    calls: u64,
    retries: u64,
    budget: Option<&RetryBudget>,
    kind: RetryKind,
    succeeds: impl Fn(u64, u64) -> bool,
) -> Tally {
    let mut tally = Tally::default();
    for call in 0..calls {
        let mut last = None;
        for attempt in 0..=retries {
            tally.attempts += 1;
            if succeeds(call, attempt) {
                tally.successes += 1;
                if let Some(budget) = budget {
                    budget.record_success(last);
                }
                break;
            }
            if let Some(budget) = budget {
                budget.record_failure();
            }
            if attempt == retries {
                break; // the schedule is exhausted
            }
            if let Some(budget) = budget {
                match budget.try_withdraw(kind) {
                    Some(paid) => last = Some(paid),
                    None => {
                        tally.stopped_by_budget += 1;
                        break;
                    }
                }
            }
        }
    }
    tally
}

#[test]
fn a_full_outage_of_1000_calls_is_amplified_4x_without_a_budget_and_about_1x_with_one() {
    const CALLS: u64 = 1000;
    let down = |_, _| false;

    let without = simulate(CALLS, 3, None, NORMAL, down);
    let aws = simulate(CALLS, 3, Some(&RetryBudget::aws_standard()), NORMAL, down);
    let aws_timeouts = simulate(CALLS, 3, Some(&RetryBudget::aws_standard()), TIMEOUT, down);
    let grpc_10 = simulate(CALLS, 3, Some(&grpc(10.0, 0.1)), NORMAL, down);

    for (name, tally) in [
        ("no budget", &without),
        ("AWS standard, errors", &aws),
        ("AWS standard, timeouts", &aws_timeouts),
        ("gRPC maxTokens 10, tokenRatio 0.1", &grpc_10),
    ] {
        println!(
            "{name:>34}: {:>4} attempts for {CALLS} calls = {:.3}x ({} calls stopped by the budget)",
            tally.attempts,
            tally.attempts as f64 / CALLS as f64,
            tally.stopped_by_budget,
        );
    }

    assert_eq!(without, Tally { attempts: 4000, successes: 0, stopped_by_budget: 0 });
    // 500 tokens pay for 100 retries at 5, or 50 at 10; then every call fails fast.
    assert_eq!(aws.attempts, 1100);
    assert!(aws.attempts as f64 <= 1.15 * CALLS as f64);
    assert_eq!(aws.stopped_by_budget, CALLS - 100 / 3);
    assert_eq!(aws_timeouts.attempts, 1050);
    // gRPC: the first call's 4 failures take the bucket from 10 to 6 with 3 retries; the
    // next failure reaches 5 and throttles every later retry.
    assert_eq!(grpc_10.attempts, 1003);
    assert_eq!(grpc_10.successes + aws.successes + aws_timeouts.successes, 0);
}

#[test]
fn a_budget_does_not_get_in_the_way_of_isolated_failures() {
    // 10% of calls fail once and then succeed: every one of them gets its retry.
    let budget = RetryBudget::aws_standard();
    let flaky = |call: u64, attempt: u64| !(call % 10 == 0 && attempt == 0);
    let tally = simulate(1000, 3, Some(&budget), NORMAL, flaky);
    assert_eq!(tally, Tally { attempts: 1100, successes: 1000, stopped_by_budget: 0 });
    assert_eq!(budget.available(), 500.0);
}

#[test]
fn after_an_outage_successes_refill_the_budget_and_retries_resume() {
    let budget = RetryBudget::aws_standard();
    let outage = simulate(1000, 3, Some(&budget), NORMAL, |_, _| false);
    assert_eq!(outage.attempts, 1100);
    assert_eq!(budget.available(), 0.0);
    // 500 healthy first-try calls refill the bucket; then a failing call may retry again.
    let healthy = simulate(500, 3, Some(&budget), NORMAL, |_, _| true);
    assert_eq!(healthy.attempts, 500);
    assert_eq!(budget.available(), 500.0);
    let one_failing = simulate(1, 3, Some(&budget), NORMAL, |_, _| false);
    assert_eq!(one_failing.attempts, 4);
}
