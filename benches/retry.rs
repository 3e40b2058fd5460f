//! The cost of the retry machinery, persevere beside its peers, in one run.
//!
//! ```text
//! cargo bench -p persevere-benches --bench retry
//! ```
//!
//! Two groups, each timing one whole retry per iteration (building it, running it and
//! dropping it):
//! * `first_try`: the operation succeeds at once.
//! * `third_try`: the operation fails twice, then succeeds (three attempts, two delays).
//!
//! Every row runs the same operation, [`flaky`]: it takes one step off a counter that
//! starts at `black_box(failures)` and fails while the counter was above zero. Every row
//! but the `own/*` ones uses the same schedule shape: zero-length delays, at most three
//! retries, built before the call where the compiler sees through it. The crates that
//! take any iterator as a schedule (persevere, backon, tokio-retry) get the very same one,
//! `iter::repeat_n(Duration::ZERO, 3)`, so their rows differ only in the adapter;
//! `backoff` gets a bench-local `Backoff` with the same behaviour, and `relentless` its own
//! `wait::fixed(ZERO)` with `stop::attempts(4)`. No logger is installed, so no row formats a
//! log line (persevere's log macros reduce to one level check).
//!
//! Rows:
//! * `plain`: the operation called by hand in a loop, the floor for the blocking rows;
//!   `plain_async` is the same for the async rows.
//! * `*_blocking`: the adapter on the current thread. backon and backoff sleep with
//!   `std::thread::sleep`, which returns at once for zero without a system call; persevere's
//!   default sleep does the same without the call.
//! * `*_async`: the adapter's future, built in place and polled to completion there by
//!   [`poll_in_place`] with a no-op waker; every async row is driven the same way. The
//!   `moved/*` rows first move the future into the poll loop ([`poll_moved`]), as `spawn`
//!   or `block_on` do, which costs more the bigger the future. Sleeps use
//!   `persevere::future::sleep` (persevere's default; backon has no default without its
//!   tokio feature, so it gets the same function), which is ready at once for zero.
//!   relentless skips the sleep for zero delays by itself, but returns `Pending` once to
//!   yield, so it is polled one extra time. The `block_on/*` rows hand the future to
//!   `futures::executor::block_on` instead, with its thread-local waker, as a first test of
//!   a retry would. The `*_no_sleep` rows, in place, moved and under `block_on`, give both
//!   crates `no_sleep` instead, so neither future holds a timer's code: the issue that asked
//!   for these benches measured its async rows that way.
//! * `tokio/*`: tokio-retry has no way to swap its sleep: it always creates a tokio timer,
//!   so it needs a runtime (a current-thread one, built once outside the timed loop). Its
//!   rows sit in their own group beside persevere under the same runtime and the same
//!   `tokio::time::sleep`, and the bare operation under that runtime. A zero-length tokio
//!   sleep still waits for the timer's next millisecond tick, so there the three-attempt
//!   row measures the timer.
//! * `own/*`: each crate with its own exponential schedule (factor 2, cap 5 s, at most three
//!   retries), built inside the call at the call site as its docs show: persevere
//!   `Exponential::new(..).max_delay(..).max_retries(3)`, backon
//!   `ExponentialBuilder::default().with_min_delay(..).with_max_delay(..).with_max_times(3)`,
//!   backoff `ExponentialBackoffBuilder::new()` with multiplier 2, randomization 0 and its
//!   system clock and default elapsed-time limit (it has no retry count, and stops at the
//!   same attempt as the others because the operation succeeds there), relentless
//!   `wait::exponential(..).cap(..)` with `stop::attempts(4)`. The blocking rows start the
//!   schedule at zero, so every delay is zero and no row sleeps (a zero `thread::sleep`
//!   returns at once). The async rows start it at 100 ms and sleep with a no-op, `no_sleep`
//!   (relentless: `ReadyClock`), so the delays are computed and nothing waits; they are
//!   polled in place like the other async rows. `first_try/own/tokio/*` runs persevere
//!   (with `tokio::time::sleep`) and tokio-retry (its `ExponentialBackoff`,
//!   `from_millis(2).factor(50).max_delay(5 s).take(3)`) under the current-thread runtime,
//!   on the first try only: tokio-retry cannot skip tokio's timer, so three attempts would
//!   sleep 300 ms.
//!
//! Every row runs its retry once before timing it ([`warm_then_bench`]).
//!
//! divan's counting allocator watches every row and prints `alloc` lines under any row that
//! allocates; none does, so none appears. The binary first prints the `size_of` the async
//! retry future for each crate with each of its own schedules (exponential and constant as
//! in the `own` rows, and `iter::repeat_n(ZERO, 3)` where it takes an iterator), sleeping
//! with `persevere::future::sleep` (persevere's default, a futures-timer delay), with
//! `no_sleep` and with `tokio::time::sleep`, wherever the crate can take that sleep.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::iter;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use backon::{BlockingRetryable, Retryable};
use divan::{AllocProfiler, Bencher};
use futures::executor::block_on;
use persevere::{Exponential, Fixed, blocking, future};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

/// At most this many retries, for every crate.
const RETRIES: usize = 3;

/// The first delay of the async `own` rows' schedules, and every schedule's cap there.
const OWN_INITIAL: Duration = Duration::from_millis(100);
const OWN_CAP: Duration = Duration::from_secs(5);

/// The sleep of the async `own` rows and the `*_no_sleep` rows: ready at once,
/// whatever the delay.
fn no_sleep(_: Duration) -> std::future::Ready<()> {
    std::future::ready(())
}

/// The async retry of the `own` rows, with persevere's own schedule built inside the call as
/// its docs show: one definition, so the rows that poll it in place and after a move time the
/// same future.
#[inline(always)]
fn persevere_own(left: &Cell<u32>) -> impl Future<Output = Result<u64, u64>> + '_ {
    future::retry(Exponential::new(OWN_INITIAL).max_delay(OWN_CAP).max_retries(3), || async {
        flaky(left)
    })
    .sleep(no_sleep)
    .call()
}

/// The same with backon's own exponential schedule.
#[inline(always)]
fn backon_own(left: &Cell<u32>) -> impl Future<Output = Result<u64, u64>> + '_ {
    (|| async { flaky(left) })
        .retry(
            backon::ExponentialBuilder::default()
                .with_min_delay(OWN_INITIAL)
                .with_max_delay(OWN_CAP)
                .with_max_times(RETRIES),
        )
        .sleep(no_sleep)
}

fn main() {
    print_future_sizes();
    divan::main();
}

/// The operation every row retries: fails with a status code while `left` was above zero.
///
/// `Result<u64, u64>` comes back in two registers. A `Result` returned through memory is
/// copied around by each row in its own way, some with loads that straddle the stores
/// `flaky` just made and stall; the rows would then differ by that luck, not by the retry.
#[inline(never)]
fn flaky(left: &Cell<u32>) -> Result<u64, u64> {
    let n = left.get();
    if n > 0 {
        left.set(n - 1);
        Err(black_box(503))
    } else {
        Ok(black_box(42))
    }
}

/// The schedule of the iterator-taking crates.
fn schedule() -> iter::RepeatN<Duration> {
    iter::repeat_n(Duration::ZERO, RETRIES)
}

/// Drives `future` to completion where it was built, with a waker that does nothing,
/// polling again at once whenever it is pending.
///
/// Never inlined, so that the compiler treats every crate's future alike.
#[inline(never)]
fn poll_in_place<F: Future>(mut future: Pin<&mut F>) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// The same, after moving `future` into the loop's own frame, as `spawn` or `block_on`
/// move it: the cost of that copy grows with the future's size.
#[inline(never)]
fn poll_moved<F: Future>(future: F) -> F::Output {
    poll_in_place(pin!(future))
}

/// `backoff`'s schedules are not iterators and have no retry count: this one yields zero
/// three times, like the others' schedules.
struct ZeroThrice(usize);

impl backoff::backoff::Backoff for ZeroThrice {
    fn next_backoff(&mut self) -> Option<Duration> {
        if self.0 == RETRIES {
            return None;
        }
        self.0 += 1;
        Some(Duration::ZERO)
    }

    fn reset(&mut self) {
        self.0 = 0;
    }
}

/// A relentless clock for its async engine (it has no default one): the system clock's
/// time, and a wait that is ready at once (never called here: relentless skips zero waits).
struct ReadyClock;

impl relentless::Clock for ReadyClock {
    fn now(&self) -> Duration {
        relentless::Clock::now(&relentless::clock::SystemClock)
    }
}

impl relentless::AsyncClock for ReadyClock {
    type Wait = std::future::Ready<()>;

    fn wait_async(&self, _: Duration) -> Self::Wait {
        std::future::ready(())
    }
}

/// Runs `retry` once, then times it. divan sizes its samples from the first runs, and a
/// first run is slow (a runtime's first `block_on`, cold caches): without the warm-up it
/// could settle on timing single iterations, below the timer's precision.
fn warm_then_bench<T>(bencher: Bencher, mut retry: impl FnMut() -> T) {
    black_box(retry());
    bencher.bench_local(retry);
}

fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime")
}

/// One line of the size table; `None` where the crate cannot take that sleep.
fn size_line(name: &str, sizes: [Option<usize>; 3]) {
    let [timer, none, tokio] = sizes.map(|s| s.map_or("-".to_owned(), |s| s.to_string()));
    println!("  {name:<76} {timer:>13} {none:>6} {tokio:>6}");
}

fn print_future_sizes() {
    let left = Cell::new(0);
    let op = || async { flaky(&left) };

    println!("size_of the async retry future in bytes, each crate with its own schedules and the");
    println!("same op (an async block borrowing a Cell), sleeping with a futures-timer delay");
    println!("(persevere::future::sleep, persevere's default), a no-op sleep or tokio's sleep:");
    println!("  {:<76} {:>13} {:>6} {:>6}", "", "futures-timer", "no-op", "tokio");

    macro_rules! persevere {
        ($name:expr, $schedule:expr) => {
            size_line(
                concat!("persevere    ", $name),
                [
                    Some(size_of_val(&future::retry($schedule, op).call())),
                    Some(size_of_val(&future::retry($schedule, op).sleep(no_sleep).call())),
                    Some(size_of_val(
                        &future::retry($schedule, op).sleep(tokio::time::sleep).call(),
                    )),
                ],
            )
        };
    }
    persevere!(
        "Exponential::new(100ms).max_delay(5s).max_retries(3)",
        Exponential::new(OWN_INITIAL).max_delay(OWN_CAP).max_retries(3)
    );
    persevere!("Fixed::new(100ms).max_retries(3)", Fixed::new(OWN_INITIAL).max_retries(3));
    persevere!("iter::repeat_n(ZERO, 3)", schedule());

    // backon has no sleep of its own without its tokio feature.
    macro_rules! backon {
        ($name:expr, $schedule:expr) => {
            size_line(
                concat!("backon       ", $name),
                [
                    Some(size_of_val(&op.retry($schedule).sleep(future::sleep))),
                    Some(size_of_val(&op.retry($schedule).sleep(no_sleep))),
                    Some(size_of_val(&op.retry($schedule).sleep(tokio::time::sleep))),
                ],
            )
        };
    }
    backon!(
        "ExponentialBuilder::default(), 100ms, max 5s, 3 times",
        backon::ExponentialBuilder::default()
            .with_min_delay(OWN_INITIAL)
            .with_max_delay(OWN_CAP)
            .with_max_times(RETRIES)
    );
    backon!(
        "ConstantBuilder::default(), 100ms, 3 times",
        backon::ConstantBuilder::default().with_delay(OWN_INITIAL).with_max_times(RETRIES)
    );
    backon!("iter::repeat_n(ZERO, 3)", schedule());

    // relentless has no sleep without one of its clock features: `ReadyClock` is a no-op.
    macro_rules! relentless {
        ($name:expr, $wait:expr) => {
            size_line(
                concat!("relentless   ", $name),
                [
                    None,
                    Some(size_of_val(
                        &relentless::retry_async(|_| op())
                            .wait($wait)
                            .stop(relentless::stop::attempts(RETRIES as u32 + 1))
                            .clock(ReadyClock)
                            .call(),
                    )),
                    None,
                ],
            )
        };
    }
    relentless!(
        "wait::exponential(100ms).cap(5s), stop::attempts(4)",
        relentless::Wait::cap(relentless::wait::exponential(OWN_INITIAL), OWN_CAP)
    );
    relentless!("wait::fixed(100ms), stop::attempts(4)", relentless::wait::fixed(OWN_INITIAL));

    // tokio-retry always sleeps on tokio's timer.
    macro_rules! tokio_retry {
        ($name:expr, $schedule:expr) => {
            size_line(
                concat!("tokio-retry  ", $name),
                [None, None, Some(size_of_val(&tokio_retry::Retry::start($schedule, op)))],
            )
        };
    }
    tokio_retry!(
        "ExponentialBackoff::from_millis(2).factor(50), max 5s, take(3)",
        tokio_retry::strategy::ExponentialBackoff::from_millis(2)
            .factor(50)
            .max_delay(OWN_CAP)
            .take(RETRIES)
    );
    tokio_retry!(
        "FixedInterval::new(100ms).take(3)",
        tokio_retry::strategy::FixedInterval::new(OWN_INITIAL).take(RETRIES)
    );
    tokio_retry!("iter::repeat_n(ZERO, 3)", schedule());
    println!();
}

/// The rows of one group; `$failures` is how many attempts fail before one succeeds, and
/// `$own_extra` are further rows for the group's `own` module.
macro_rules! rows {
    ($failures:expr $(; $own_extra:item)*) => {
        use super::*;

        const FAILURES: u32 = $failures;

        #[divan::bench]
        fn plain(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                let mut retries = 0;
                loop {
                    match flaky(&left) {
                        Ok(value) => return Ok(value),
                        Err(error) if retries == RETRIES => return Err(error),
                        Err(_) => retries += 1,
                    }
                }
            });
        }

        #[divan::bench]
        fn persevere_blocking(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                blocking::retry(schedule(), || flaky(&left)).call()
            });
        }

        #[divan::bench]
        fn backon_blocking(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                (|| flaky(&left)).retry(schedule()).sleep(std::thread::sleep).call()
            });
        }

        #[divan::bench]
        fn backoff_blocking(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                backoff::retry(ZeroThrice(0), || flaky(&left).map_err(backoff::Error::transient))
            });
        }

        #[divan::bench]
        fn relentless_blocking(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                relentless::retry(|_| flaky(&left))
                    .wait(relentless::wait::fixed(Duration::ZERO))
                    .stop(relentless::stop::attempts(RETRIES as u32 + 1))
                    .call()
            });
        }

        #[divan::bench]
        fn plain_async(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                let op = || async { flaky(&left) };
                poll_in_place(pin!(async {
                    let mut retries = 0;
                    loop {
                        match op().await {
                            Ok(value) => return Ok(value),
                            Err(error) if retries == RETRIES => return Err(error),
                            Err(_) => retries += 1,
                        }
                    }
                }))
            });
        }

        #[divan::bench]
        fn persevere_async(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                poll_in_place(pin!(future::retry(schedule(), || async { flaky(&left) }).call()))
            });
        }

        #[divan::bench]
        fn backon_async(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                poll_in_place(pin!(
                    (|| async { flaky(&left) }).retry(schedule()).sleep(future::sleep)
                ))
            });
        }

        #[divan::bench]
        fn persevere_no_sleep(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                let retry = future::retry(schedule(), || async { flaky(&left) });
                poll_in_place(pin!(retry.sleep(no_sleep).call()))
            });
        }

        #[divan::bench]
        fn backon_no_sleep(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                poll_in_place(pin!((|| async { flaky(&left) }).retry(schedule()).sleep(no_sleep)))
            });
        }

        #[divan::bench]
        fn relentless_async(bencher: Bencher) {
            warm_then_bench(bencher, || {
                let left = Cell::new(black_box(FAILURES));
                poll_in_place(pin!(
                    relentless::retry_async(|_| async { flaky(&left) })
                        .wait(relentless::wait::fixed(Duration::ZERO))
                        .stop(relentless::stop::attempts(RETRIES as u32 + 1))
                        .clock(ReadyClock)
                        .call()
                ))
            });
        }

        /// Async rows whose future is first moved into the poll loop (see [`poll_moved`]).
        mod moved {
            use super::*;

            #[divan::bench]
            fn persevere_async(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    poll_moved(future::retry(schedule(), || async { flaky(&left) }).call())
                });
            }

            #[divan::bench]
            fn backon_async(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    poll_moved((|| async { flaky(&left) }).retry(schedule()).sleep(future::sleep))
                });
            }

            #[divan::bench]
            fn persevere_no_sleep(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    let retry = future::retry(schedule(), || async { flaky(&left) });
                    poll_moved(retry.sleep(no_sleep).call())
                });
            }

            #[divan::bench]
            fn backon_no_sleep(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    poll_moved((|| async { flaky(&left) }).retry(schedule()).sleep(no_sleep))
                });
            }
        }

        /// Async rows driven by `futures::executor::block_on`, as a user's first test would.
        mod block_on {
            use super::*;

            #[divan::bench]
            fn persevere_async(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    block_on(future::retry(schedule(), || async { flaky(&left) }).call())
                });
            }

            #[divan::bench]
            fn persevere_no_sleep(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    block_on(future::retry(schedule(), || async { flaky(&left) }).sleep(no_sleep).call())
                });
            }

            #[divan::bench]
            fn backon_no_sleep(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    block_on((|| async { flaky(&left) }).retry(schedule()).sleep(no_sleep))
                });
            }

            #[divan::bench]
            fn backon_async(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    block_on((|| async { flaky(&left) }).retry(schedule()).sleep(future::sleep))
                });
            }
        }

        /// The rows that need a tokio runtime, all under the same one.
        mod tokio {
            use super::*;

            #[divan::bench]
            fn plain_async(bencher: Bencher) {
                let runtime = current_thread_runtime();
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    let op = || async { flaky(&left) };
                    runtime.block_on(async {
                        let mut retries = 0;
                        loop {
                            match op().await {
                                Ok(value) => return Ok(value),
                                Err(error) if retries == RETRIES => return Err(error),
                                Err(_) => retries += 1,
                            }
                        }
                    })
                });
            }

            #[divan::bench]
            fn persevere_async(bencher: Bencher) {
                let runtime = current_thread_runtime();
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    runtime.block_on(
                        future::retry(schedule(), || async { flaky(&left) })
                            .sleep(::tokio::time::sleep)
                            .call(),
                    )
                });
            }

            #[divan::bench]
            fn tokio_retry(bencher: Bencher) {
                let runtime = current_thread_runtime();
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    runtime
                        .block_on(tokio_retry::Retry::start(schedule(), || async { flaky(&left) }))
                });
            }
        }

        /// Each crate's own exponential schedule, built inside the call as its docs show.
        /// The blocking rows start it at zero, so no row sleeps; the async rows start it at
        /// 100 ms and sleep with a no-op.
        mod own {
            use super::*;

            #[divan::bench]
            fn persevere_blocking(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    blocking::retry(
                        Exponential::new(Duration::ZERO).max_delay(OWN_CAP).max_retries(3),
                        || flaky(&left),
                    )
                    .call()
                });
            }

            #[divan::bench]
            fn backon_blocking(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    (|| flaky(&left))
                        .retry(
                            backon::ExponentialBuilder::default()
                                .with_min_delay(Duration::ZERO)
                                .with_max_delay(OWN_CAP)
                                .with_max_times(RETRIES),
                        )
                        .sleep(std::thread::sleep)
                        .call()
                });
            }

            /// No retry count: it retries until the operation succeeds, which is on the
            /// same attempt as everywhere else.
            #[divan::bench]
            fn backoff_blocking(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    backoff::retry(
                        backoff::ExponentialBackoffBuilder::new()
                            .with_initial_interval(Duration::ZERO)
                            .with_multiplier(2.0)
                            .with_randomization_factor(0.0)
                            .with_max_interval(OWN_CAP)
                            .build(),
                        || flaky(&left).map_err(backoff::Error::transient),
                    )
                });
            }

            #[divan::bench]
            fn relentless_blocking(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    relentless::retry(|_| flaky(&left))
                        .wait(relentless::Wait::cap(
                            relentless::wait::exponential(Duration::ZERO),
                            OWN_CAP,
                        ))
                        .stop(relentless::stop::attempts(RETRIES as u32 + 1))
                        .call()
                });
            }

            #[divan::bench]
            fn persevere_async(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    poll_in_place(pin!(persevere_own(&left)))
                });
            }

            #[divan::bench]
            fn backon_async(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    poll_in_place(pin!(backon_own(&left)))
                });
            }

            #[divan::bench]
            fn relentless_async(bencher: Bencher) {
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    poll_in_place(pin!(
                        relentless::retry_async(|_| async { flaky(&left) })
                            .wait(relentless::Wait::cap(
                                relentless::wait::exponential(OWN_INITIAL),
                                OWN_CAP,
                            ))
                            .stop(relentless::stop::attempts(RETRIES as u32 + 1))
                            .clock(ReadyClock)
                            .call()
                    ))
                });
            }

            /// The same two async rows after moving the future, as `spawn` and `block_on`
            /// do.
            mod moved {
                use super::*;

                #[divan::bench]
                fn persevere_async(bencher: Bencher) {
                    warm_then_bench(bencher, || {
                        let left = Cell::new(black_box(FAILURES));
                        poll_moved(persevere_own(&left))
                    });
                }

                #[divan::bench]
                fn backon_async(bencher: Bencher) {
                    warm_then_bench(bencher, || {
                        let left = Cell::new(black_box(FAILURES));
                        poll_moved(backon_own(&left))
                    });
                }
            }

            /// The same two async rows under `futures::executor::block_on`.
            mod block_on {
                use super::*;

                #[divan::bench]
                fn persevere_async(bencher: Bencher) {
                    warm_then_bench(bencher, || {
                        let left = Cell::new(black_box(FAILURES));
                        block_on(persevere_own(&left))
                    });
                }

                #[divan::bench]
                fn backon_async(bencher: Bencher) {
                    warm_then_bench(bencher, || {
                        let left = Cell::new(black_box(FAILURES));
                        block_on(backon_own(&left))
                    });
                }
            }

            $($own_extra)*
        }
    };
}

mod first_try {
    rows!(0;
        /// Under the current-thread runtime with tokio's sleep, first try only: tokio-retry
        /// cannot skip tokio's timer, so three attempts would sleep the whole 300 ms.
        mod tokio {
            use super::*;

            #[divan::bench]
            fn persevere_async(bencher: Bencher) {
                let runtime = current_thread_runtime();
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    runtime.block_on(
                        future::retry(
                            Exponential::new(OWN_INITIAL).max_delay(OWN_CAP).max_retries(3),
                            || async { flaky(&left) },
                        )
                        .sleep(::tokio::time::sleep)
                        .call(),
                    )
                });
            }

            /// `from_millis(2).factor(50)`: its base is its growth factor, so 2 ms × 50.
            #[divan::bench]
            fn tokio_retry(bencher: Bencher) {
                let runtime = current_thread_runtime();
                warm_then_bench(bencher, || {
                    let left = Cell::new(black_box(FAILURES));
                    runtime.block_on(tokio_retry::Retry::start(
                        tokio_retry::strategy::ExponentialBackoff::from_millis(2)
                            .factor(50)
                            .max_delay(OWN_CAP)
                            .take(RETRIES),
                        || async { flaky(&left) },
                    ))
                });
            }
        }
    );
}

mod third_try {
    rows!(2);
}
