//! The thundering-herd simulation (`benches/examples/herd`) shows what the jitter docs claim: at 100
//! clients, jitter cuts the calls and the time to finish the way the AWS Architecture Blog's
//! 2015 experiment found.

#[path = "../examples/herd/sim.rs"]
mod sim;

use std::time::Duration;

use sim::{EXPONENTIAL, OTHERS};

/// Few seeds keep a debug build fast; the example averages 100.
const SEEDS: [u64; 5] = [0, 1, 2, 3, 4];

#[test]
fn jitter_cuts_calls_and_time_at_100_clients() {
    let [none, full, equal, decorrelated] =
        EXPONENTIAL.map(|strategy| sim::average(100, &strategy, &SEEDS));
    for summary in [none, full, equal, decorrelated] {
        assert_eq!(summary.gave_up, 0);
        assert!(summary.calls >= 100.0, "every client writes at least once: {summary:?}");
    }

    assert!(none.calls >= 1.8 * full.calls, "no jitter {none:?}, full {full:?}");
    assert!(none.finish >= 5 * full.finish, "no jitter {none:?}, full {full:?}");
    assert!(full.calls < none.calls, "full {full:?}, no jitter {none:?}");
    assert!(full.calls < equal.calls, "full {full:?}, equal {equal:?}");
    assert!(full.calls < decorrelated.calls, "full {full:?}, decorrelated {decorrelated:?}");
    assert!(equal.finish > full.finish, "equal {equal:?}, full {full:?}");
}

#[test]
fn every_other_schedule_gets_every_client_through() {
    for strategy in OTHERS {
        let summary = sim::average(50, &strategy, &SEEDS[..2]);
        assert_eq!(summary.gave_up, 0, "{}", strategy.name);
        assert!(summary.calls >= 50.0, "{}: {summary:?}", strategy.name);
    }
}

#[test]
fn a_run_is_a_function_of_its_seed() {
    for strategy in EXPONENTIAL {
        assert_eq!(sim::run(30, &strategy, 7), sim::run(30, &strategy, 7), "{}", strategy.name);
    }
    let full = EXPONENTIAL[1];
    assert_ne!(sim::run(30, &full, 7), sim::run(30, &full, 8));
}

#[test]
fn a_lone_client_writes_once_after_two_round_trips() {
    for strategy in EXPONENTIAL {
        let outcome = sim::run(1, &strategy, 3);
        assert_eq!(outcome.calls, 1, "{}", strategy.name);
        // Four one-way messages of |normal(10 ms, 2 ms)|: read, reply, write, reply.
        let finish = outcome.finish;
        assert!(
            finish > Duration::from_millis(16) && finish < Duration::from_millis(64),
            "{finish:?}"
        );
    }
}

#[test]
fn the_clients_use_the_posts_settings() {
    let ms = Duration::from_millis;
    // Unjittered: the published simulator's waits, 10 ms doubling up to the 2 s cap.
    let waits: Vec<Duration> = EXPONENTIAL[0].schedule(0).take(10).collect();
    assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000].map(ms));
    assert_eq!((sim::FIRST, sim::CAP), (ms(10), ms(2000)));

    // Full jitter stays under each unjittered step; decorrelated starts in [base, 3 * base].
    for seed in 0..50 {
        for (wait, step) in EXPONENTIAL[1].schedule(seed).zip(&waits) {
            assert!(wait <= *step, "{wait:?} above {step:?}");
        }
        let first = EXPONENTIAL[3].schedule(seed).next().unwrap();
        assert!(first >= sim::BASE && first <= 3 * sim::BASE, "{first:?}");
    }
}
