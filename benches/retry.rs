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
//! uses the same schedule shape: zero-length delays, at most three retries. The crates that
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
//!   yield, so it is polled one extra time.
//! * `tokio/*`: tokio-retry has no way to swap its sleep: it always creates a tokio timer,
//!   so it needs a runtime (a current-thread one, built once outside the timed loop). Its
//!   rows sit in their own group beside persevere under the same runtime and the same
//!   `tokio::time::sleep`, and the bare operation under that runtime. A zero-length tokio
//!   sleep still waits for the timer's next millisecond tick, so there the three-attempt
//!   row measures the timer.
//!
//! Every row runs its retry once before timing it ([`warm_then_bench`]).
//!
//! divan's counting allocator watches every row and prints `alloc` lines under any row that
//! allocates; none does, so none appears. The binary first prints the `size_of` the async
//! retry futures.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::iter;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use backon::{BlockingRetryable, Retryable};
use divan::{AllocProfiler, Bencher};
use persevere::{blocking, future};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

/// At most this many retries, for every crate.
const RETRIES: usize = 3;

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

fn print_future_sizes() {
    let left = Cell::new(0);
    let op = || async { flaky(&left) };
    let persevere_size = size_of_val(&future::retry(schedule(), op).call());
    let backon_size = size_of_val(&op.retry(schedule()).sleep(future::sleep));
    let tokio_retry_size = size_of_val(&tokio_retry::Retry::start(schedule(), op));
    let persevere_tokio_size =
        size_of_val(&future::retry(schedule(), op).sleep(tokio::time::sleep).call());
    let relentless_size = size_of_val(
        &relentless::retry_async(|_| op())
            .wait(relentless::wait::fixed(Duration::ZERO))
            .stop(relentless::stop::attempts(RETRIES as u32 + 1))
            .clock(ReadyClock)
            .call(),
    );
    let persevere_fixed = size_of_val(
        &future::retry(persevere::Fixed::new(Duration::ZERO).max_retries(3), op).call(),
    );
    let backon_constant = size_of_val(
        &op.retry(
            backon::ConstantBuilder::new().with_delay(Duration::ZERO).with_max_times(RETRIES),
        )
        .sleep(future::sleep),
    );
    let line = |name: &str, size: usize| println!("  {name:<48} {size:>4} bytes");
    println!("size_of the async retry future, same op (an async block borrowing a Cell)");
    println!("schedule iter::repeat_n(ZERO, 3), sleeping with persevere::future::sleep:");
    line("persevere    future::retry(..).call()", persevere_size);
    line("backon       op.retry(..).sleep(..)", backon_size);
    line("relentless   retry_async(..).call()", relentless_size);
    println!("the same, sleeping with tokio::time::sleep:");
    line("persevere    future::retry(..).sleep(..).call()", persevere_tokio_size);
    line("tokio-retry  Retry::start(..)", tokio_retry_size);
    println!("each crate's own constant schedule:");
    line("persevere    Fixed::new(ZERO).max_retries(3)", persevere_fixed);
    line("backon       ConstantBuilder, zero delay, 3 times", backon_constant);
    println!();
}

/// The rows of one group; `$failures` is how many attempts fail before one succeeds.
macro_rules! rows {
    ($failures:expr) => {
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
    };
}

mod first_try {
    rows!(0);
}

mod third_try {
    rows!(2);
}
