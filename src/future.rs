//! Retrying in async code, under any executor: [`retry`] and [`retry_with`].
//!
//! Nothing here depends on a runtime. The default sleep is a [`futures-timer`] delay; swap
//! in your runtime's own with `.sleep(tokio::time::sleep)` (which also makes tokio's paused
//! clock work in tests).
//!
//! Under tokio, prefer tokio's sleep when many retries wait at once: each `futures-timer`
//! delay is a heap allocation handed to a timer thread of its own, while tokio keeps its timer
//! entry inside the retry future. With 100,000 retries pending at once (`benches/scale.rs`,
//! figures in `BENCHMARKS.md`), tokio's sleep took about a quarter less CPU and about 200
//! bytes less heap per retry.
//!
//! [`futures-timer`]: https://docs.rs/futures-timer
//!
//! ```
//! use persevere::{future, Exponential};
//! use std::time::Duration;
//!
//! # futures::executor::block_on(async {
//! let attempts = std::cell::Cell::new(0);
//! let value = future::retry(Exponential::new(Duration::from_millis(1)), || async {
//!     attempts.set(attempts.get() + 1);
//!     if attempts.get() < 3 { Err("not yet") } else { Ok(attempts.get()) }
//! })
//! .call()
//! .await?;
//! assert_eq!(value, 3);
//! # Ok::<(), &str>(()) }).unwrap();
//! ```

// Builder types spell out every hook type: an alias would only hide what users see in
// compiler messages.
#![allow(clippy::type_complexity)]

use std::fmt::Display;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::decide::{Run, Step};
use crate::policy::{Attempt, Report, Rules, no_hooks, rule_setters};
use crate::scope;

/// The default way to sleep between attempts: [`sleep`], a `futures-timer` delay.
///
/// A unit struct rather than a function pointer: it takes no room in the retry future, and
/// the compiler sees which function each sleep calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultSleep;

/// How an async retry sleeps: [`DefaultSleep`], or any `FnMut(Duration) -> impl Future<Output
/// = ()>` passed to [`Retry::sleep`].
///
/// Sealed: those two kinds are the only ones.
pub trait Sleeper: sealed::Sealed {
    /// The future of one sleep.
    #[doc(hidden)]
    type Sleep: Future<Output = ()>;

    /// Starts a sleep of `delay`.
    #[doc(hidden)]
    fn sleep(&mut self, delay: Duration) -> Self::Sleep;
}

impl Sleeper for DefaultSleep {
    type Sleep = Sleep;

    #[inline]
    fn sleep(&mut self, delay: Duration) -> Sleep {
        sleep(delay)
    }
}

impl<F, Fut> Sleeper for F
where
    F: FnMut(Duration) -> Fut,
    Fut: Future<Output = ()>,
{
    type Sleep = Fut;

    #[inline]
    fn sleep(&mut self, delay: Duration) -> Fut {
        self(delay)
    }
}

mod sealed {
    use std::future::Future;
    use std::time::Duration;

    pub trait Sealed {}

    impl Sealed for super::DefaultSleep {}

    impl<F: FnMut(Duration) -> Fut, Fut: Future<Output = ()>> Sealed for F {}
}

/// Retry the async operation `op`, waiting between attempts as `schedule` says.
///
/// `op` is a closure returning a future, such as `|| async { .. }` or `|| client.get(url)`;
/// for an async closure that mutates what it captures, use [`retry_mut`]. Configure with the builder
/// methods, then await [`call`](Retry::call) (the op's result, its own error unchanged) or
/// [`call_with_report`](Retry::call_with_report). Dropping the future cancels the retry: no
/// further attempt runs, and the pending timer is released.
///
/// ```
/// use persevere::{future, Fibonacci};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let replies = std::sync::Mutex::new(vec![Ok("pong"), Err("timeout"), Err("timeout")]);
/// let reply = future::retry(Fibonacci::new(Duration::from_millis(1)), || async { replies.lock().unwrap().pop().unwrap() })
///     .call()
///     .await;
/// assert_eq!(reply, Ok("pong"));
/// # });
/// ```
pub fn retry<S, Op, Fut, T, E>(
    schedule: S,
    op: Op,
) -> Retry<
    S::IntoIter,
    Plain<Op>,
    Rules<
        E,
        impl Fn(&E) -> bool,
        impl Fn(&E, Duration),
        impl Fn(&E, Duration) -> Option<Duration>,
        impl Fn(&E, u32),
    >,
    DefaultSleep,
    SystemClock,
>
where
    S: IntoIterator<Item = Duration>,
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retry::new(schedule, Plain(op), no_hooks())
}

/// Like [`retry`], for an async closure that mutates what it captures (an `AsyncFnMut`).
///
/// Prefer [`retry`] when the operation does not need to mutate its captures: the
/// compiler cannot yet prove a retry of an `AsyncFnMut` closure `Send` when that closure
/// borrows from its surroundings, so such a retry cannot be handed to `tokio::spawn`. One
/// that owns what it captures (`async move || ..`) is `Send` as usual.
///
/// ```
/// use persevere::{future, Fixed};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let mut pages = vec!["page 2", "page 1"];
/// let mut fetched = Vec::new();
/// let last = future::retry_mut(Fixed::new(Duration::ZERO), async || {
///     fetched.push(pages.pop().ok_or("no pages left")?);
///     if fetched.len() < 2 { Err("incomplete") } else { Ok(fetched.len()) }
/// })
/// .call()
/// .await;
/// assert_eq!(last, Ok(2));
/// # });
/// ```
pub fn retry_mut<S, Op, T, E>(
    schedule: S,
    op: Op,
) -> Retry<
    S::IntoIter,
    Mutating<Op>,
    Rules<
        E,
        impl Fn(&E) -> bool,
        impl Fn(&E, Duration),
        impl Fn(&E, Duration) -> Option<Duration>,
        impl Fn(&E, u32),
    >,
    DefaultSleep,
    SystemClock,
>
where
    S: IntoIterator<Item = Duration>,
    Op: AsyncFnMut() -> Result<T, E>,
{
    Retry::new(schedule, Mutating(op), no_hooks())
}

/// Like [`retry`], handing the operation an [`Attempt`]: its number and the time left
/// before `max_elapsed`.
///
/// ```
/// use persevere::{future, Fixed};
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let result = future::retry_with(Fixed::new(Duration::ZERO), async |attempt| {
///     if attempt.number < 2 { Err("cold cache") } else { Ok(attempt.number) }
/// })
/// .call()
/// .await;
/// assert_eq!(result, Ok(2));
/// # });
/// ```
pub fn retry_with<S, Op, Fut, T, E>(
    schedule: S,
    op: Op,
) -> Retry<
    S::IntoIter,
    WithAttempt<Op>,
    Rules<
        E,
        impl Fn(&E) -> bool,
        impl Fn(&E, Duration),
        impl Fn(&E, Duration) -> Option<Duration>,
        impl Fn(&E, u32),
    >,
    DefaultSleep,
    SystemClock,
>
where
    S: IntoIterator<Item = Duration>,
    Op: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retry::new(schedule, WithAttempt(op), no_hooks())
}

/// The operation of a retry made by [`retry`]: a closure returning a future.
///
/// Each operation shape has its own wrapper and its own `call`, because the shapes need
/// different bounds: a closure that returns a future keeps the retry future `Send` whenever
/// that future is, while an async closure that mutates its captures lends its future a
/// borrow of itself, which only `AsyncFnMut` can express.
#[derive(Clone, Debug)]
pub struct Plain<F>(pub(crate) F);

/// The operation of a retry made by [`retry_with`]: a closure taking an [`Attempt`] and
/// returning a future.
#[derive(Clone, Debug)]
pub struct WithAttempt<F>(pub(crate) F);

/// The operation of a retry made by [`retry_mut`]: an async closure that may mutate what
/// it captures.
#[derive(Clone, Debug)]
pub struct Mutating<F>(pub(crate) F);

/// An async retry being configured; run it by awaiting [`call`](Retry::call).
///
/// Made by [`retry`], [`retry_with`] or [`Policy::retry_async`](crate::Policy::retry_async).
#[must_use = "a retry does nothing until `call` is awaited"]
pub struct Retry<I, Op, R, Sl, C> {
    delays: I,
    op: Op,
    rules: R,
    sleep: Sl,
    clock: C,
}

impl<I, Op, R> Retry<I, Op, R, DefaultSleep, SystemClock> {
    pub(crate) fn new(schedule: impl IntoIterator<IntoIter = I>, op: Op, rules: R) -> Self {
        Retry { delays: schedule.into_iter(), op, rules, sleep: DefaultSleep, clock: SystemClock }
    }
}

impl<I, Op, E, W, N, A, G, Sl, C> Retry<I, Op, Rules<E, W, N, A, G>, Sl, C> {
    fn map_rules<W2, N2, A2, G2>(
        self,
        f: impl FnOnce(Rules<E, W, N, A, G>) -> Rules<E, W2, N2, A2, G2>,
    ) -> Retry<I, Op, Rules<E, W2, N2, A2, G2>, Sl, C> {
        Retry {
            delays: self.delays,
            op: self.op,
            rules: f(self.rules),
            sleep: self.sleep,
            clock: self.clock,
        }
    }

    rule_setters!(Retry[I, Op][Sl, C]);

    /// Sleep with `sleep` instead of the default [`futures-timer`](sleep) delay: any
    /// `FnMut(Duration) -> impl Future<Output = ()>`, such as `tokio::time::sleep` or
    /// `async_std::task::sleep`.
    ///
    /// ```
    /// use persevere::{future, Fixed};
    /// use std::time::Duration;
    ///
    /// # futures::executor::block_on(async {
    /// let mut slept = Vec::new();
    /// let _ = future::retry(Fixed::new(Duration::from_secs(60)).max_retries(2), async || Err::<(), _>("down"))
    ///     .sleep(|d| {
    ///         slept.push(d);
    ///         std::future::ready(())
    ///     })
    ///     .call()
    ///     .await;
    /// assert_eq!(slept, [Duration::from_secs(60); 2]);
    /// # });
    /// ```
    pub fn sleep<Sl2, F>(self, sleep: Sl2) -> Retry<I, Op, Rules<E, W, N, A, G>, Sl2, C>
    where
        Sl2: FnMut(Duration) -> F,
        F: Future<Output = ()>,
    {
        Retry { delays: self.delays, op: self.op, rules: self.rules, sleep, clock: self.clock }
    }

    /// Read time from `clock` instead of the system clock (for `max_elapsed` and
    /// [`Attempt`]).
    pub fn clock<C2: Clock>(self, clock: C2) -> Retry<I, Op, Rules<E, W, N, A, G>, Sl, C2> {
        Retry { delays: self.delays, op: self.op, rules: self.rules, sleep: self.sleep, clock }
    }
}

/// The retry loop, written once for every operation shape: `$start` begins an attempt.
/// Its value is the result and the report.
///
/// It is expanded inside an `async move` block and works on the fields of the captured
/// `$self` and `$run` in place: an `async fn` keeps its arguments apart from its locals, and
/// a future awaited inside another is stored beside the outer one's captures, so either
/// would hold the retry twice. `$run` borrows the schedule and is made inside the block:
/// made before it, it would own the schedule and save the pointer, but every `call` would
/// then write the run into the future and copy it along (a first-try success in place took
/// 11.8 ns rather than 7.9 ns in `benches/retry.rs`).
macro_rules! attempt_loop {
    ($self:ident, $run:ident, |$attempt:ident| $start:expr) => {{
        let sole = $self.rules.limits.sole_layer;
        loop {
            let $attempt = $run.begin(&$self.rules.limits, &$self.clock);
            let outcome = if sole {
                let mut attempt_future = pin!($start);
                // The scope is entered around each poll, so it holds wherever the task runs.
                // The pin is moved into the closure, so the future keeps one pointer to it.
                poll_fn(move |cx| scope::enter(true, || attempt_future.as_mut().poll(cx))).await
            } else {
                $start.await
            };
            // `outcome` is consumed here and the slept time recorded before the sleep, so
            // neither is stored in the future beside the sleep it awaits.
            let sleep = match { outcome } {
                Ok(value) => break (Ok(value), $run.succeeded($self.rules.budget.as_ref())),
                // The error is dropped before the sleep, so the future never holds it
                // across an await.
                Err(error) => match $run.failed(
                    &$self.rules.hooks,
                    &$self.rules.limits,
                    $self.rules.budget.as_ref(),
                    &error,
                    &$self.clock,
                ) {
                    Step::Retry(delay) => {
                        $run.slept(delay);
                        $self.sleep.sleep(delay)
                    }
                    Step::Stop(stop) => break (Err(error), $run.report(stop)),
                },
            };
            sleep.await;
        }
    }};
}

/// The `call` methods of one operation shape.
macro_rules! calls {
    ($Shape:ident $hands_attempt:literal [$($g:ident)?] $($bound:tt)*) => {
        impl<I, Op, E, W, N, A, G, Sl, C> Retry<I, $Shape<Op>, Rules<E, W, N, A, G>, Sl, C> {
            /// Run the retry: the first `Ok`, or the last error when retrying stops.
            pub fn call<T $(, $g)?>(mut self) -> impl Future<Output = Result<T, E>>
            where
                $($bound)*,
                I: Iterator<Item = Duration>,
                E: Display,
                W: Fn(&E) -> bool,
                N: Fn(&E, Duration),
                A: Fn(&E, Duration) -> Option<Duration>,
                G: Fn(&E, u32),
                Sl: Sleeper,
                C: Clock,
            {
                async move {
                    let mut run = Run::new(&mut self.delays, $hands_attempt);
                    attempt_loop!(self, run, |attempt| calls!(@start $Shape, self, attempt)).0
                }
            }

            /// Run the retry, and also report how many attempts ran, how long was slept and
            /// why retrying stopped.
            ///
            /// ```
            /// use persevere::{future, Fixed, Stop};
            /// use std::time::Duration;
            ///
            /// # futures::executor::block_on(async {
            /// let (result, report) = future::retry(Fixed::new(Duration::from_millis(5)), async || Err::<(), _>("down"))
            ///     .sleep(|_| std::future::ready(()))
            ///     .call_with_report()
            ///     .await;
            /// assert_eq!(result, Err("down"));
            /// assert_eq!((report.attempts, report.slept, report.stop), (4, Duration::from_millis(15), Stop::ScheduleExhausted));
            /// # });
            /// ```
            pub fn call_with_report<T $(, $g)?>(mut self) -> impl Future<Output = (Result<T, E>, Report)>
            where
                $($bound)*,
                I: Iterator<Item = Duration>,
                E: Display,
                W: Fn(&E) -> bool,
                N: Fn(&E, Duration),
                A: Fn(&E, Duration) -> Option<Duration>,
                G: Fn(&E, u32),
                Sl: Sleeper,
                C: Clock,
            {
                async move {
                    let mut run = Run::new(&mut self.delays, $hands_attempt);
                    attempt_loop!(self, run, |attempt| calls!(@start $Shape, self, attempt))
                }
            }
        }
    };
    (@start Plain, $self:ident, $attempt:ident) => {{
        let _ = $attempt;
        ($self.op.0)()
    }};
    (@start WithAttempt, $self:ident, $attempt:ident) => {
        ($self.op.0)($attempt)
    };
    (@start Mutating, $self:ident, $attempt:ident) => {{
        let _ = $attempt;
        ($self.op.0)()
    }};
}

calls!(Plain false [Fut] Op: FnMut() -> Fut, Fut: Future<Output = Result<T, E>>);
calls!(WithAttempt true [Fut] Op: FnMut(Attempt) -> Fut, Fut: Future<Output = Result<T, E>>);
calls!(Mutating false [] Op: AsyncFnMut() -> Result<T, E>);

/// The default sleep: a [`futures_timer::Delay`] for `delay`, or nothing at all for zero.
///
/// Skipping the timer for zero keeps retries without delays free of timer allocations.
///
/// ```
/// # futures::executor::block_on(async {
/// persevere::future::sleep(std::time::Duration::from_millis(1)).await;
/// # });
/// ```
#[inline]
pub fn sleep(delay: Duration) -> Sleep {
    Sleep { timer: (!delay.is_zero()).then(|| futures_timer::Delay::new(delay)) }
}

/// The future returned by [`sleep`].
#[derive(Debug)]
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    timer: Option<futures_timer::Delay>,
}

impl Future for Sleep {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.timer {
            Some(timer) => Pin::new(timer).poll(cx),
            None => Poll::Ready(()),
        }
    }
}
