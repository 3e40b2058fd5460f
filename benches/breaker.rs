//! Overhead of a call through a closed breaker, persevere beside `failsafe`.
//!
//! Run: `cargo bench -p persevere-benches --bench breaker`
//!
//! Every call succeeds, so this is the healthy path a breaker adds to each request. Each
//! group runs on 1 thread and on 2 threads sharing one breaker (divan's `threads`).
//!
//! * `consecutive`: trips on 5 failures in a row only (persevere's default;
//!   failsafe's `consecutive_failures(5, constant(30s))`).
//! * `ratio`: also watches the failure share over a 30 s window with a minimum throughput
//!   (persevere `failure_ratio(0.5)`; failsafe's default `Config::new()`, a success rate
//!   over a time window or consecutive failures).

use std::hint::black_box;
use std::time::Duration;

use divan::Bencher;
use failsafe::CircuitBreaker as _;
use persevere::breaker::CircuitBreaker;

fn main() {
    divan::main();
}

fn op() -> Result<u64, ()> {
    Ok(black_box(7))
}

mod consecutive {
    use super::*;

    #[divan::bench(threads = [1, 2])]
    fn persevere(bencher: Bencher) {
        let breaker = CircuitBreaker::new();
        bencher.bench(|| breaker.call(op));
    }

    #[divan::bench(threads = [1, 2])]
    fn failsafe(bencher: Bencher) {
        let policy = failsafe::failure_policy::consecutive_failures(
            5,
            failsafe::backoff::constant(Duration::from_secs(30)),
        );
        let breaker = failsafe::Config::new().failure_policy(policy).build();
        bencher.bench(|| breaker.call(op));
    }
}

mod ratio {
    use super::*;

    #[divan::bench(threads = [1, 2])]
    fn persevere(bencher: Bencher) {
        let breaker = CircuitBreaker::builder().failure_ratio(0.5).build();
        bencher.bench(|| breaker.call(op));
    }

    #[divan::bench(threads = [1, 2])]
    fn failsafe(bencher: Bencher) {
        let breaker = failsafe::Config::new().build();
        bencher.bench(|| breaker.call(op));
    }
}
