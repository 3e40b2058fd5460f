//! The cost of drawing delays from a schedule, persevere beside its peers, in one run.
//!
//! ```text
//! cargo bench -p persevere-benches --bench schedules
//! ```
//!
//! Two kinds of rows:
//! * `exponential/…`, `fibonacci/…`, `fixed/…`: a fresh schedule is built outside the timed
//!   region, then drawing [`DELAYS`] delays from it is timed, each through `black_box`.
//!   Divan reports the time of one such iteration, so **the cost of one delay is the
//!   reported time divided by 16** (the `item/s` line is the same figure as a throughput).
//! * `built/…`: what a call site pays. Each crate's own schedule is built inside the timed
//!   region, [`BUILT_DELAYS`] delays are drawn from it and summed through `black_box`, and
//!   the schedule is dropped; the reported time is all of that, not a per-delay figure. The
//!   initial delay and the cap pass through `black_box`, as if read from configuration, so
//!   nothing is built or drawn at compile time. The helpers that build and draw are
//!   `#[inline(always)]` for every crate alike, so that each row compiles as a call site
//!   with its settings written out would: a jitter chosen there, not passed in by a helper
//!   that three rows share.
//!
//! The first kind uses the same settings everywhere: 10 ms initial delay, factor 2, cap
//! 10 s, 16 delays. Exponential reaches the cap at the 11th delay, so growth and the capped
//! tail are both timed; Fibonacci reaches 9.87 s at the 16th delay and never touches the
//! cap. The `built` rows use 100 ms initial, factor 2, cap 5 s and 8 delays: exponential
//! reaches the cap at the 7th delay, Fibonacci (2.1 s at the 8th) and fixed never do. They
//! cover no jitter, full and equal jitter (no decorrelated), with the same `_nearest` rows.
//! The `exponential/proportional` rows (in both kinds) set persevere's
//! `Jitter::proportional(0.5)` beside `backoff`'s randomized exponential at its default
//! randomization factor 0.5: the same formula, s ± 50 %.
//!
//! `persevere` rows are built with `max_retries(16)` (8 in `built`), so they count as they
//! go, like backon, exponential-backoff and tokio-retry's `take`. The `persevere_forever`
//! rows (first kind only) are the same schedules with `forever()`: the like-for-like of
//! peers that do not count (backoff's schedules, relentless's waits).
//!
//! Groups are `schedule / jitter / crate`. A peer appears only where it has the same
//! schedule and jitter; the rows whose name ends in `_nearest` run the peer's only jitter,
//! which has a different formula but the same work (one uniform draw, scaled into a band
//! around the step), and are there for a sense of scale, not as an equal. A peer without
//! even that (no decorrelated jitter, no Fibonacci) has no row.
//!
//! What each peer row measures, beyond `next()`:
//! * `backoff`: `next_backoff()` always asks its clock for the time and draws a random
//!   number, even without jitter or an elapsed-time limit. In the first kind the clock is
//!   frozen (it returns a stored instant), so the row times the crate's arithmetic, not the
//!   OS clock; the `built` rows keep its system clock (below).
//! * `relentless`: a `Wait` is a pure function of a `RetryState`; the row times the
//!   caller's loop that builds the state (attempt number, previous delay) and asks it.
//! * `tokio_retry`: its schedules are infinite iterators of whole milliseconds, limited the
//!   way its docs show, with `.take(n)`; the initial delay is `from_millis(2).factor(5)`
//!   (2 is also its growth factor). Its jitter is a function mapped over the iterator
//!   (`.map(jitter)`), uniform in `[0, step)`, drawn from `rand`'s thread-local generator.
//! * `exponential_backoff`: its iterator yields `Option<Duration>` and spends its last
//!   item on `None` ("give up"), so it is built with 17 attempts to yield 16 delays (9 for 8
//!   in the `built` rows).
//!
//! In the `built` rows `backoff`'s exponential schedule keeps its own system clock (read
//! once when it is built and once per delay) and its default 15-minute elapsed-time limit,
//! as a call site that does not replace them gets; its `Constant` has neither.
//! `tokio_retry`'s exponential schedule there is `from_millis(2).factor(50)`.

use core::time::Duration;
use std::hint::black_box;
use std::time::Instant;

use divan::Bencher;
use divan::counter::ItemsCount;

fn main() {
    divan::main();
}

/// Delays drawn per timed iteration.
const DELAYS: usize = 16;
const INITIAL: Duration = Duration::from_millis(10);
const CAP: Duration = Duration::from_secs(10);
const FACTOR: f64 = 2.0;

/// Times `DELAYS` calls of `next()` on fresh iterators built by `make`.
fn iterate<I: Iterator>(bencher: Bencher, make: impl Fn() -> I) {
    bencher.counter(ItemsCount::new(DELAYS)).with_inputs(make).bench_local_refs(|schedule| {
        // Opaque, so nothing about the schedule is folded at compile time. Taken by
        // reference, so neither moving nor dropping the schedule is timed.
        let schedule = black_box(schedule);
        for _ in 0..DELAYS {
            black_box(schedule.next());
        }
    });
}

/// The same for `backoff`, whose schedules are not iterators.
fn backoff_crate<B: backoff::backoff::Backoff>(bencher: Bencher, make: impl Fn() -> B) {
    bencher.counter(ItemsCount::new(DELAYS)).with_inputs(make).bench_local_refs(|schedule| {
        let schedule = black_box(schedule);
        for _ in 0..DELAYS {
            black_box(schedule.next_backoff());
        }
    });
}

/// The same for `relentless`, whose waits are functions of the retry state: the loop keeps
/// the attempt number and the previous delay, as its retry engine does.
fn relentless_crate<W: relentless::Wait>(bencher: Bencher, make: impl Fn() -> W) {
    bencher.counter(ItemsCount::new(DELAYS)).with_inputs(make).bench_local_refs(|wait| {
        let wait = black_box(&*wait);
        let mut previous = None;
        for attempt in 1..=DELAYS as u32 {
            let state = relentless::RetryState::for_attempt(attempt).with_previous_delay(previous);
            let delay = wait.next_wait(black_box(&state));
            previous = Some(black_box(delay));
        }
    });
}

/// A `backoff` clock that always says the same time, so its rows time no system call.
#[derive(Clone, Debug)]
struct FrozenClock(Instant);

impl Default for FrozenClock {
    fn default() -> Self {
        FrozenClock(Instant::now())
    }
}

impl backoff::Clock for FrozenClock {
    fn now(&self) -> Instant {
        self.0
    }
}

/// `backoff`'s exponential schedule; `randomization` 0 turns its jitter off.
fn backoff_exponential(
    randomization: f64,
) -> backoff::exponential::ExponentialBackoff<FrozenClock> {
    backoff::exponential::ExponentialBackoffBuilder::<FrozenClock>::new()
        .with_initial_interval(INITIAL)
        .with_multiplier(FACTOR)
        .with_max_interval(CAP)
        .with_randomization_factor(randomization)
        .with_max_elapsed_time(None)
        .build()
}

/// `exponential-backoff` with `factor` and `jitter` (a ± fraction of the step; 0 is none).
fn exponential_backoff(factor: u32, jitter: f32) -> exponential_backoff::IntoIter {
    let mut b = exponential_backoff::Backoff::new(DELAYS as u32 + 1, INITIAL, CAP);
    b.set_factor(factor);
    b.set_jitter(jitter);
    b.into_iter()
}

fn backon_exponential() -> backon::ExponentialBuilder {
    backon::ExponentialBuilder::new()
        .with_min_delay(INITIAL)
        .with_factor(FACTOR as f32)
        .with_max_delay(CAP)
        .with_max_times(DELAYS)
}

fn backon_fibonacci() -> backon::FibonacciBuilder {
    backon::FibonacciBuilder::new()
        .with_min_delay(INITIAL)
        .with_max_delay(CAP)
        .with_max_times(DELAYS)
}

fn backon_constant() -> backon::ConstantBuilder {
    backon::ConstantBuilder::new().with_delay(INITIAL).with_max_times(DELAYS)
}

fn tokio_retry_exponential() -> tokio_retry::strategy::ExponentialBackoff {
    // 2 ms * 5 = 10 ms, then doubling: its base is also its growth factor.
    tokio_retry::strategy::ExponentialBackoff::from_millis(2).factor(5).max_delay(CAP)
}

fn tokio_retry_fibonacci() -> tokio_retry::strategy::FibonacciBackoff {
    tokio_retry::strategy::FibonacciBackoff::from_millis(10).max_delay(CAP)
}

fn tokio_retry_fixed() -> tokio_retry::strategy::FixedInterval {
    tokio_retry::strategy::FixedInterval::new(INITIAL)
}

mod exponential {
    use super::*;
    use backon::BackoffBuilder;
    use persevere::{Exponential, Jitter, Jittered};
    use relentless::Wait;

    fn persevere() -> Exponential {
        Exponential::new(INITIAL).factor(FACTOR).max_delay(CAP).max_retries(DELAYS as u32)
    }

    fn jittered(jitter: Jitter) -> Jittered<Exponential> {
        persevere().jitter(jitter)
    }

    /// The exact unjittered sequence 10 ms, 20 ms, … 5.12 s, then 10 s six times.
    mod none {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, super::persevere);
        }

        /// The same schedule without a count limit, like the peers that cannot count.
        #[divan::bench]
        fn persevere_forever(b: Bencher) {
            iterate(b, || super::persevere().forever());
        }

        /// f32 seconds, so its steps are approximate.
        #[divan::bench]
        fn backon(b: Bencher) {
            iterate(b, || backon_exponential().build());
        }

        /// f64 nanoseconds; still draws a random number it then multiplies by zero.
        #[divan::bench]
        fn backoff(b: Bencher) {
            backoff_crate(b, || backoff_exponential(0.0));
        }

        #[divan::bench]
        fn exponential_backoff(b: Bencher) {
            iterate(b, || super::exponential_backoff(2, 0.0));
        }

        /// Computes `initial * 2^(attempt - 1)` from scratch each time, then caps.
        #[divan::bench]
        fn relentless(b: Bencher) {
            relentless_crate(b, || relentless::wait::exponential(INITIAL).cap(CAP));
        }

        /// Whole milliseconds in a u64.
        #[divan::bench]
        fn tokio_retry(b: Bencher) {
            iterate(b, || tokio_retry_exponential().take(DELAYS));
        }
    }

    /// Uniform in [0, s_k].
    mod full {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::Full));
        }

        /// Jitter after the cap, so the range is [0, min(cap, s_k)] as in persevere.
        #[divan::bench]
        fn relentless(b: Bencher) {
            relentless_crate(b, || relentless::wait::exponential(INITIAL).cap(CAP).full_jitter());
        }

        /// Draws from `rand`'s thread-local generator.
        #[divan::bench]
        fn tokio_retry(b: Bencher) {
            iterate(b, || {
                tokio_retry_exponential().map(tokio_retry::strategy::jitter).take(DELAYS)
            });
        }
    }

    /// s_k / 2 + uniform in [0, s_k / 2].
    mod equal {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::Equal));
        }

        #[divan::bench]
        fn relentless(b: Bencher) {
            relentless_crate(b, || relentless::wait::exponential(INITIAL).cap(CAP).equal_jitter());
        }

        /// s_k + uniform in [0, s_k): backon's only jitter.
        #[divan::bench]
        fn backon_nearest(b: Bencher) {
            iterate(b, || backon_exponential().with_jitter().build());
        }

        /// Uniform in [s_k / 2, 3 s_k / 2] (its default randomization factor 0.5).
        #[divan::bench]
        fn backoff_nearest(b: Bencher) {
            backoff_crate(b, || backoff_exponential(0.5));
        }

        /// s_k ± up to 30 % in whole percent (its default jitter), then clamped to
        /// [initial, cap].
        #[divan::bench]
        fn exponential_backoff_nearest(b: Bencher) {
            iterate(b, || super::exponential_backoff(2, 0.3));
        }
    }

    /// Uniform in [s_k (1 - p), s_k (1 + p)] with p = 0.5: the randomization factor of the
    /// `backoff` crate (its default) and of cenkalti/backoff, the same formula on both sides
    /// (persevere caps the range at the cap; backoff clamps its draw to its maximum).
    mod proportional {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::proportional(0.5)));
        }

        #[divan::bench]
        fn backoff(b: Bencher) {
            backoff_crate(b, || backoff_exponential(0.5));
        }
    }

    /// Uniform in [initial, min(cap, 3 d_(k-1))]: the growth law is replaced.
    mod decorrelated {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::Decorrelated));
        }

        /// Uniform in [initial, 3 d_(k-1)], then clamped to the cap.
        #[divan::bench]
        fn relentless(b: Bencher) {
            relentless_crate(b, || relentless::wait::decorrelated_jitter(INITIAL).cap(CAP));
        }
    }
}

/// Peers without a Fibonacci schedule (backoff, exponential-backoff, relentless) have no
/// rows here.
mod fibonacci {
    use super::*;
    use backon::BackoffBuilder;
    use persevere::{Fibonacci, Jitter, Jittered};
    use relentless::Wait;

    fn persevere() -> Fibonacci {
        Fibonacci::new(INITIAL).max_delay(CAP).max_retries(DELAYS as u32)
    }

    fn jittered(jitter: Jitter) -> Jittered<Fibonacci> {
        persevere().jitter(jitter)
    }

    /// 10 ms, 10 ms, 20 ms, 30 ms, … 9.87 s.
    mod none {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, super::persevere);
        }

        /// The same schedule without a count limit, like the peers that cannot count.
        #[divan::bench]
        fn persevere_forever(b: Bencher) {
            iterate(b, || super::persevere().forever());
        }

        #[divan::bench]
        fn backon(b: Bencher) {
            iterate(b, || backon_fibonacci().build());
        }

        /// Whole milliseconds in a u64.
        #[divan::bench]
        fn tokio_retry(b: Bencher) {
            iterate(b, || tokio_retry_fibonacci().take(DELAYS));
        }
    }

    mod full {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::Full));
        }

        #[divan::bench]
        fn tokio_retry(b: Bencher) {
            iterate(b, || tokio_retry_fibonacci().map(tokio_retry::strategy::jitter).take(DELAYS));
        }
    }

    mod equal {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::Equal));
        }

        /// s_k + initial * uniform[0, 1): backon's only jitter on Fibonacci.
        #[divan::bench]
        fn backon_nearest(b: Bencher) {
            iterate(b, || backon_fibonacci().with_jitter().build());
        }
    }

    /// The same formula as every decorrelated row (it replaces the Fibonacci growth);
    /// relentless's decorrelated jitter is its own schedule, so it stands here too.
    mod decorrelated {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::Decorrelated));
        }

        #[divan::bench]
        fn relentless(b: Bencher) {
            relentless_crate(b, || relentless::wait::decorrelated_jitter(INITIAL).cap(CAP));
        }
    }
}

mod fixed {
    use super::*;
    use backon::BackoffBuilder;
    use persevere::{Fixed, Jitter, Jittered};
    use relentless::Wait;

    fn persevere() -> Fixed {
        Fixed::new(INITIAL).max_delay(CAP).max_retries(DELAYS as u32)
    }

    fn jittered(jitter: Jitter) -> Jittered<Fixed> {
        persevere().jitter(jitter)
    }

    /// 10 ms, 16 times.
    mod none {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, super::persevere);
        }

        /// The same schedule without a count limit, like the peers that cannot count.
        #[divan::bench]
        fn persevere_forever(b: Bencher) {
            iterate(b, || super::persevere().forever());
        }

        #[divan::bench]
        fn backon(b: Bencher) {
            iterate(b, || backon_constant().build());
        }

        /// `backoff::backoff::Constant`: no count limit, no clock.
        #[divan::bench]
        fn backoff(b: Bencher) {
            backoff_crate(b, || backoff::backoff::Constant::new(INITIAL));
        }

        /// Factor 1: its exponential schedule is its only way to a constant delay.
        #[divan::bench]
        fn exponential_backoff(b: Bencher) {
            iterate(b, || super::exponential_backoff(1, 0.0));
        }

        #[divan::bench]
        fn relentless(b: Bencher) {
            relentless_crate(b, || relentless::wait::fixed(INITIAL));
        }

        #[divan::bench]
        fn tokio_retry(b: Bencher) {
            iterate(b, || tokio_retry_fixed().take(DELAYS));
        }
    }

    mod full {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::Full));
        }

        #[divan::bench]
        fn relentless(b: Bencher) {
            relentless_crate(b, || relentless::wait::fixed(INITIAL).full_jitter());
        }

        #[divan::bench]
        fn tokio_retry(b: Bencher) {
            iterate(b, || tokio_retry_fixed().map(tokio_retry::strategy::jitter).take(DELAYS));
        }
    }

    mod equal {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::Equal));
        }

        #[divan::bench]
        fn relentless(b: Bencher) {
            relentless_crate(b, || relentless::wait::fixed(INITIAL).equal_jitter());
        }

        /// s + uniform in [0, s): backon's only jitter.
        #[divan::bench]
        fn backon_nearest(b: Bencher) {
            iterate(b, || backon_constant().with_jitter().build());
        }

        /// s ± up to 30 % in whole percent, clamped to [initial, cap].
        #[divan::bench]
        fn exponential_backoff_nearest(b: Bencher) {
            iterate(b, || super::exponential_backoff(1, 0.3));
        }
    }

    /// With decorrelated jitter the fixed delay is the lower bound of a growing range.
    mod decorrelated {
        use super::*;

        #[divan::bench]
        fn persevere(b: Bencher) {
            iterate(b, || super::jittered(Jitter::Decorrelated));
        }

        #[divan::bench]
        fn relentless(b: Bencher) {
            relentless_crate(b, || relentless::wait::decorrelated_jitter(INITIAL).cap(CAP));
        }
    }
}

/// Delays drawn per timed iteration in the `built` rows.
const BUILT_DELAYS: usize = 8;
const BUILT_INITIAL: Duration = Duration::from_millis(100);
const BUILT_CAP: Duration = Duration::from_secs(5);

/// Sums up to [`BUILT_DELAYS`] delays from `next`, each through `black_box`.
///
/// Every crate's schedule is drawn from through a closure, so the loop around it is the
/// same whether the crate yields `Duration`, `Option<Duration>` or answers a retry state.
#[inline(always)]
fn draw(mut next: impl FnMut() -> Option<Duration>) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..BUILT_DELAYS {
        if let Some(delay) = next() {
            total += black_box(delay);
        }
    }
    total
}

/// Times one call site: `run` builds a schedule, draws from it and drops it.
fn built(bencher: Bencher, run: impl Fn() -> Duration) {
    bencher.bench_local(|| black_box(run()));
}

/// relentless's waits answer a retry state; the caller keeps the attempt and the previous
/// delay, as in [`relentless_crate`].
#[inline(always)]
fn relentless_draw(wait: &impl relentless::Wait) -> Duration {
    let mut attempt = 0;
    let mut previous = None;
    draw(|| {
        attempt += 1;
        let state = relentless::RetryState::for_attempt(attempt).with_previous_delay(previous);
        let delay = wait.next_wait(&state);
        previous = Some(delay);
        Some(delay)
    })
}

/// The settings as a call site would read them from its configuration: opaque, so that no
/// schedule is built or drawn from at compile time.
#[inline(always)]
fn settings() -> (Duration, Duration) {
    (black_box(BUILT_INITIAL), black_box(BUILT_CAP))
}

/// The cost of a schedule where it is used: built inside the timed region from
/// [`settings`], [`BUILT_DELAYS`] delays drawn and summed, then dropped. Each crate builds
/// its own schedule the way its docs show.
mod built {
    use super::*;
    use backon::BackoffBuilder;
    use persevere::{Exponential, Fibonacci, Fixed, Jitter};

    #[inline(always)]
    fn exponential_backoff(factor: u32, jitter: f32) -> Duration {
        let (initial, cap) = settings();
        let mut b = exponential_backoff::Backoff::new(BUILT_DELAYS as u32 + 1, initial, cap);
        b.set_factor(factor);
        b.set_jitter(jitter);
        let mut delays = b.into_iter();
        draw(|| delays.next().flatten())
    }

    /// backoff with its own system clock, read when it is built and at every delay, and its
    /// default 15-minute elapsed-time limit.
    #[inline(always)]
    fn backoff_exponential(randomization: f64) -> Duration {
        let (initial, cap) = settings();
        let mut b = backoff::ExponentialBackoffBuilder::new()
            .with_initial_interval(initial)
            .with_multiplier(black_box(2.0))
            .with_max_interval(cap)
            .with_randomization_factor(randomization)
            .build();
        draw(|| backoff::backoff::Backoff::next_backoff(&mut b))
    }

    /// 100 ms doubling to the 5 s cap: 100 ms … 3.2 s, 5 s, 5 s.
    mod exponential {
        use super::*;

        #[inline(always)]
        fn persevere() -> Duration {
            let (initial, cap) = settings();
            let mut s = Exponential::new(initial)
                .factor(black_box(2.0))
                .max_delay(cap)
                .max_retries(BUILT_DELAYS as u32);
            draw(|| s.next())
        }

        #[inline(always)]
        fn jittered(jitter: Jitter) -> Duration {
            let (initial, cap) = settings();
            let mut s = Exponential::new(initial)
                .factor(black_box(2.0))
                .max_delay(cap)
                .max_retries(BUILT_DELAYS as u32)
                .jitter(jitter);
            draw(|| s.next())
        }

        #[inline(always)]
        fn backon(jitter: bool) -> Duration {
            let (initial, cap) = settings();
            let mut b = backon::ExponentialBuilder::default()
                .with_min_delay(initial)
                .with_factor(black_box(2.0))
                .with_max_delay(cap)
                .with_max_times(BUILT_DELAYS);
            if jitter {
                b = b.with_jitter();
            }
            let mut s = b.build();
            draw(|| s.next())
        }

        /// `from_millis(2).factor(50)`: its base is its growth factor, so 2 ms × 50 = 100 ms.
        #[inline(always)]
        fn tokio_retry() -> tokio_retry::strategy::ExponentialBackoff {
            let (_, cap) = settings();
            tokio_retry::strategy::ExponentialBackoff::from_millis(black_box(2))
                .factor(black_box(50))
                .max_delay(cap)
        }

        #[inline(always)]
        fn relentless() -> relentless::wait::WaitCapped<relentless::wait::WaitExponential> {
            let (initial, cap) = settings();
            relentless::Wait::cap(relentless::wait::exponential(initial), cap)
        }

        mod none {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, super::persevere);
            }

            #[divan::bench]
            fn backon(b: Bencher) {
                built(b, || super::backon(false));
            }

            #[divan::bench]
            fn backoff(b: Bencher) {
                built(b, || backoff_exponential(0.0));
            }

            #[divan::bench]
            fn exponential_backoff(b: Bencher) {
                built(b, || super::super::exponential_backoff(2, 0.0));
            }

            #[divan::bench]
            fn relentless(b: Bencher) {
                built(b, || relentless_draw(&super::relentless()));
            }

            #[divan::bench]
            fn tokio_retry(b: Bencher) {
                built(b, || {
                    let mut s = super::tokio_retry().take(BUILT_DELAYS);
                    draw(|| s.next())
                });
            }
        }

        mod full {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, || super::jittered(Jitter::Full));
            }

            #[divan::bench]
            fn relentless(b: Bencher) {
                built(b, || relentless_draw(&relentless::Wait::full_jitter(super::relentless())));
            }

            #[divan::bench]
            fn tokio_retry(b: Bencher) {
                built(b, || {
                    let mut s =
                        super::tokio_retry().map(tokio_retry::strategy::jitter).take(BUILT_DELAYS);
                    draw(|| s.next())
                });
            }
        }

        /// The `_nearest` rows run the peer's only jitter, as in the groups above.
        mod equal {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, || super::jittered(Jitter::Equal));
            }

            #[divan::bench]
            fn relentless(b: Bencher) {
                built(b, || relentless_draw(&relentless::Wait::equal_jitter(super::relentless())));
            }

            #[divan::bench]
            fn backon_nearest(b: Bencher) {
                built(b, || super::backon(true));
            }

            #[divan::bench]
            fn backoff_nearest(b: Bencher) {
                built(b, || backoff_exponential(0.5));
            }

            #[divan::bench]
            fn exponential_backoff_nearest(b: Bencher) {
                built(b, || super::super::exponential_backoff(2, 0.3));
            }
        }

        /// s_k ± 50 %: the same formula as `backoff`'s randomization factor 0.5.
        mod proportional {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, || super::jittered(Jitter::proportional(0.5)));
            }

            #[divan::bench]
            fn backoff(b: Bencher) {
                built(b, || backoff_exponential(0.5));
            }
        }
    }

    /// 100 ms, 100 ms, 200 ms, … 2.1 s: the cap is not reached in 8 delays.
    mod fibonacci {
        use super::*;

        #[inline(always)]
        fn persevere() -> Duration {
            let (initial, cap) = settings();
            let mut s = Fibonacci::new(initial).max_delay(cap).max_retries(BUILT_DELAYS as u32);
            draw(|| s.next())
        }

        #[inline(always)]
        fn jittered(jitter: Jitter) -> Duration {
            let (initial, cap) = settings();
            let mut s = Fibonacci::new(initial)
                .max_delay(cap)
                .max_retries(BUILT_DELAYS as u32)
                .jitter(jitter);
            draw(|| s.next())
        }

        #[inline(always)]
        fn backon(jitter: bool) -> Duration {
            let (initial, cap) = settings();
            let mut b = backon::FibonacciBuilder::default()
                .with_min_delay(initial)
                .with_max_delay(cap)
                .with_max_times(BUILT_DELAYS);
            if jitter {
                b = b.with_jitter();
            }
            let mut s = b.build();
            draw(|| s.next())
        }

        #[inline(always)]
        fn tokio_retry() -> tokio_retry::strategy::FibonacciBackoff {
            let (initial, cap) = settings();
            tokio_retry::strategy::FibonacciBackoff::from_millis(initial.as_millis() as u64)
                .max_delay(cap)
        }

        mod none {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, super::persevere);
            }

            #[divan::bench]
            fn backon(b: Bencher) {
                built(b, || super::backon(false));
            }

            #[divan::bench]
            fn tokio_retry(b: Bencher) {
                built(b, || {
                    let mut s = super::tokio_retry().take(BUILT_DELAYS);
                    draw(|| s.next())
                });
            }
        }

        mod full {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, || super::jittered(Jitter::Full));
            }

            #[divan::bench]
            fn tokio_retry(b: Bencher) {
                built(b, || {
                    let mut s =
                        super::tokio_retry().map(tokio_retry::strategy::jitter).take(BUILT_DELAYS);
                    draw(|| s.next())
                });
            }
        }

        mod equal {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, || super::jittered(Jitter::Equal));
            }

            #[divan::bench]
            fn backon_nearest(b: Bencher) {
                built(b, || super::backon(true));
            }
        }
    }

    /// 100 ms, 8 times.
    mod fixed {
        use super::*;

        #[inline(always)]
        fn persevere() -> Duration {
            let (initial, _) = settings();
            let mut s = Fixed::new(initial).max_retries(BUILT_DELAYS as u32);
            draw(|| s.next())
        }

        #[inline(always)]
        fn jittered(jitter: Jitter) -> Duration {
            let (initial, _) = settings();
            let mut s = Fixed::new(initial).max_retries(BUILT_DELAYS as u32).jitter(jitter);
            draw(|| s.next())
        }

        #[inline(always)]
        fn backon(jitter: bool) -> Duration {
            let (initial, _) = settings();
            let mut b =
                backon::ConstantBuilder::default().with_delay(initial).with_max_times(BUILT_DELAYS);
            if jitter {
                b = b.with_jitter();
            }
            let mut s = b.build();
            draw(|| s.next())
        }

        #[inline(always)]
        fn tokio_retry() -> tokio_retry::strategy::FixedInterval {
            let (initial, _) = settings();
            tokio_retry::strategy::FixedInterval::new(initial)
        }

        #[inline(always)]
        fn relentless() -> relentless::wait::WaitFixed {
            let (initial, _) = settings();
            relentless::wait::fixed(initial)
        }

        mod none {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, super::persevere);
            }

            #[divan::bench]
            fn backon(b: Bencher) {
                built(b, || super::backon(false));
            }

            /// `backoff::backoff::Constant`: no count limit, no clock.
            #[divan::bench]
            fn backoff(b: Bencher) {
                built(b, || {
                    let (initial, _) = settings();
                    let mut s = backoff::backoff::Constant::new(initial);
                    draw(|| backoff::backoff::Backoff::next_backoff(&mut s))
                });
            }

            /// Factor 1, its only way to a constant delay.
            #[divan::bench]
            fn exponential_backoff(b: Bencher) {
                built(b, || super::super::exponential_backoff(1, 0.0));
            }

            #[divan::bench]
            fn relentless(b: Bencher) {
                built(b, || relentless_draw(&super::relentless()));
            }

            #[divan::bench]
            fn tokio_retry(b: Bencher) {
                built(b, || {
                    let mut s = super::tokio_retry().take(BUILT_DELAYS);
                    draw(|| s.next())
                });
            }
        }

        mod full {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, || super::jittered(Jitter::Full));
            }

            #[divan::bench]
            fn relentless(b: Bencher) {
                built(b, || relentless_draw(&relentless::Wait::full_jitter(super::relentless())));
            }

            #[divan::bench]
            fn tokio_retry(b: Bencher) {
                built(b, || {
                    let mut s =
                        super::tokio_retry().map(tokio_retry::strategy::jitter).take(BUILT_DELAYS);
                    draw(|| s.next())
                });
            }
        }

        mod equal {
            use super::*;

            #[divan::bench]
            fn persevere(b: Bencher) {
                built(b, || super::jittered(Jitter::Equal));
            }

            #[divan::bench]
            fn relentless(b: Bencher) {
                built(b, || relentless_draw(&relentless::Wait::equal_jitter(super::relentless())));
            }

            #[divan::bench]
            fn backon_nearest(b: Bencher) {
                built(b, || super::backon(true));
            }

            #[divan::bench]
            fn exponential_backoff_nearest(b: Bencher) {
                built(b, || super::super::exponential_backoff(1, 0.3));
            }
        }
    }
}
