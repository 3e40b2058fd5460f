//! Retrying in async code, under any executor: [`retry`], [`retry_with`] and [`retry_mut`].
//!
//! Nothing here depends on a runtime. The default sleep is a [`futures-timer`] delay; swap
//! in your runtime's own with `.sleep(tokio::time::sleep)` (which also makes tokio's paused
//! clock work in tests).
//!
//! Under tokio, prefer tokio's sleep when many retries wait at once: each `futures-timer`
//! delay is a heap allocation handed to a timer thread of its own, while tokio keeps its timer
//! entry inside the retry future (`benches/scale.rs` measures both; figures in
//! `BENCHMARKS.md`).
//!
//! The loop is written once, as async code, and compiled here as it is
//! (`maybe_async::must_be_async`); this module brings the async helpers it calls: an attempt
//! is the operation's future, polled inside the one-layer scope, and a sleep is a future. It
//! compiles the loop twice, once awaiting each attempt as it is, for retries whose types rule
//! out an attempt timeout and the one-layer scope, and once watching each attempt for them.
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

use std::fmt::Display;
use std::future::{Future, poll_fn};
use std::mem::ManuallyDrop;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use super::attempts::{JustResult, WithReport, retry_loop};
use super::builder::builder;
use super::decide::{Run, Step};
use super::hooks::{Hooks, RetryHooks, Timeout, Unset};
use super::limits::{LimitSlot, Limits};
use super::{Attempt, Plain, Report, WithAttempt, scope};
use crate::clock::{Clock, SystemClock};

/// Retry the async operation `op`, waiting between attempts as `schedule` says.
///
/// `op` is a closure returning a future, such as `|| async { .. }` or `|| client.get(url)`;
/// for an async closure that mutates what it captures, use [`retry_mut`]. Configure with the
/// builder methods, then await [`call`](Retry::call) (the op's result, its own error
/// unchanged) or [`call_with_report`](Retry::call_with_report). Dropping the future cancels
/// the retry: no further attempt runs, and the pending timer is released.
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
///
/// # Spawning a retry
///
/// `tokio::spawn` (like any spawn) wants a `'static` future, so a retry whose operation
/// borrows a local does not compile: first E0373 ("may outlive the current function"), then,
/// with `move` added to the closure, "captured variable cannot escape `FnMut` closure body",
/// because each attempt's future would borrow from the closure. Move an owned handle into
/// the task, and clone it into each attempt's future:
///
/// ```
/// use persevere::{future, Fixed};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// # let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// # runtime.block_on(async {
/// let client = Arc::new(String::from("db-primary")); // stands for a client handle
/// let task = tokio::spawn(async move {
///     future::retry(Fixed::new(Duration::from_millis(1)), move || {
///         let client = Arc::clone(&client); // one clone per attempt
///         async move { if client.is_empty() { Err("no client") } else { Ok(client.len()) } }
///     })
///     .sleep(tokio::time::sleep)
///     .call()
///     .await
/// });
/// assert_eq!(task.await.unwrap(), Ok(10));
/// # });
/// ```
///
/// An `async move ||` closure that owns its captures works too, through [`retry_mut`].
#[inline]
pub fn retry<S, Op, Fut, T, E>(schedule: S, op: Op) -> Retry<S::IntoIter, Plain<Op>, Hooks<E>>
where
    S: IntoIterator<Item = Duration>,
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retry::new(schedule, Plain(op), Hooks::new(), Unset)
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
#[inline]
pub fn retry_mut<S, Op, T, E>(schedule: S, op: Op) -> Retry<S::IntoIter, Mutating<Op>, Hooks<E>>
where
    S: IntoIterator<Item = Duration>,
    Op: AsyncFnMut() -> Result<T, E>,
{
    Retry::new(schedule, Mutating(op), Hooks::new(), Unset)
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
#[inline]
pub fn retry_with<S, Op, Fut, T, E>(
    schedule: S,
    op: Op,
) -> Retry<S::IntoIter, WithAttempt<Op>, Hooks<E>, Limits>
where
    S: IntoIterator<Item = Duration>,
    Op: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retry::new(schedule, WithAttempt(op), Hooks::new(), Limits::default())
}

/// The operation of a retry made by [`retry_mut`]: an async closure that may mutate what
/// it captures.
#[derive(Clone, Debug)]
pub struct Mutating<F>(pub(crate) F);

builder!(DefaultSleep, "run it by awaiting [`call`](Retry::call)");

impl<S, Op, H, L, Sl, C> Retry<S, Op, H, L, Sl, C> {
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
    #[inline]
    pub fn sleep<Sl2, F>(self, sleep: Sl2) -> Retry<S, Op, H, L, Sl2, C>
    where
        Sl2: FnMut(Duration) -> F,
        F: Future<Output = ()>,
    {
        self.with_sleep(sleep)
    }
}

impl<S, Op, E, W, N, A, G, L, Sl, C> Retry<S, Op, Hooks<E, W, N, A, G>, L, Sl, C> {
    /// End an attempt that runs longer than `limit`: its future is dropped, and it fails
    /// with the error `on_timeout()` makes (each attempt holds a clone of `on_timeout`), which then goes through `when`, `notify`,
    /// `adjust` and the give-up hook like any other (a budget charges its retry as a
    /// timeout). The limit is timed with the retry's own sleep, so tokio's paused clock and
    /// futures-timer both work.
    ///
    /// Blocking retries have no attempt timeout: a thread cannot be cancelled. There, hand
    /// [`Attempt::time_left`] (with `max_elapsed`) or a limit of your own to the I/O's own
    /// timeout, through [`blocking::retry_with`](crate::blocking::retry_with).
    ///
    /// ```
    /// use persevere::{future, Fixed, Stop};
    /// use std::time::Duration;
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum Error { TimedOut, Refused }
    /// # impl std::fmt::Display for Error { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { write!(f, "{self:?}") } }
    ///
    /// # futures::executor::block_on(async {
    /// let (result, report) = future::retry(Fixed::new(Duration::ZERO).max_retries(2), || async {
    ///     std::future::pending::<Result<(), Error>>().await // a server that never answers
    /// })
    /// .attempt_timeout(Duration::from_millis(5), || Error::TimedOut)
    /// .call_with_report()
    /// .await;
    /// assert_eq!(result, Err(Error::TimedOut));
    /// assert_eq!((report.attempts, report.stop), (3, Stop::ScheduleExhausted));
    /// # });
    /// ```
    #[inline]
    #[allow(clippy::type_complexity)] // the builder's type, spelled out as users see it
    pub fn attempt_timeout<F: Fn() -> E + Clone>(
        self,
        limit: Duration,
        on_timeout: F,
    ) -> Retry<S, Op, Hooks<E, W, N, A, G, Timeout<F>>, L, Sl, C> {
        self.map_hooks(|h| h.attempt_timeout(Timeout { limit, error: on_timeout }))
    }
}

/// One attempt, awaited as it is: the loop of a retry whose types rule out both an attempt
/// timeout and the one-layer scope (no limits set), which then holds no state for them.
macro_rules! bare {
    ($retry:ident, $attempt:expr, $sole:expr) => {{
        debug_assert!(!$sole && $retry.hooks.attempt_timeout().is_none());
        ($retry.op.start($attempt).await, false)
    }};
}
#[allow(unused_imports)] // used by the loop `retry_loop!` emits
use bare;

/// One attempt, watched: a sole-layer retry enters the one-layer scope around each poll of
/// it, so the scope holds wherever the task runs, and with an attempt timeout the timer (a
/// sleep of the retry's own sleeper) is polled beside it, the attempt's future dropped when
/// it fires. The pins are moved into the poll closure, so the retry's future keeps one
/// pointer to each; a retry without a timeout holds no timer and no pointer to one.
macro_rules! watched {
    ($retry:ident, $attempt:expr, $sole:expr) => {
        if $sole || $retry.hooks.attempt_timeout().is_some() {
            let mut running = pin!($retry.op.start($attempt));
            let timer = pin!($retry.hooks.timer(|limit| $retry.sleep.sleep(limit)));
            let mut armed = $retry.hooks.arm(timer, $sole);
            poll_fn(move |cx| {
                let sole = H::sole(&armed);
                if let Poll::Ready(outcome) = scope::enter(sole, || running.as_mut().poll(cx)) {
                    return Poll::Ready((outcome, false));
                }
                H::poll_timeout(&mut armed, cx).map(|error| (Err(error), true))
            })
            .await
        } else {
            ($retry.op.start($attempt).await, false)
        }
    };
}
#[allow(unused_imports)] // used by the loop `retry_loop!` emits
use watched;

retry_loop!(maybe_async::must_be_async, bare_attempts, Operation, bare);
retry_loop!(maybe_async::must_be_async, watched_attempts, Operation, watched);
retry_loop!(maybe_async::must_be_async, bare_attempts_mut, OperationMut, bare);
retry_loop!(maybe_async::must_be_async, watched_attempts_mut, OperationMut, watched);

/// The `call` methods of one operation shape with one kind of hooks and limits, which run
/// the copy of the loop given.
///
/// A retry whose types rule out both an attempt timeout and the one-layer scope (no limits,
/// no timeout) runs the loop that awaits each attempt as it is; any other, the loop that
/// watches each attempt. Two copies rather than a branch in one, because a future keeps
/// room and a resume point for every `.await` in its body, even one its types never reach;
/// chosen by the impl an inherent method sits in, because a trait that chose would make
/// the compiler prove its bounds for every lifetime when it checks the retry is `Send`,
/// which fails for errors that borrow.
macro_rules! calls {
    (
        $(#[$doc:meta])*
        $Shape:ident, $Operation:ident, $attempts:ident,
        impl<$($g:ident),*> $H:ty, $L:ty, fn<$($m:ident),*>
    ) => {
        $(#[$doc])*
        ///
        /// Every retry has the same `call` methods; each kind of hooks and limits has its
        /// own block of them, so that a retry runs only the code its settings can reach.
        impl<S, F, Sl, C, $($g),*> Retry<S, $Shape<F>, $H, $L, Sl, C>
        where
            S: Iterator<Item = Duration>,
            Sl: Sleeper,
            C: Clock,
        {
            /// Run the retry: the first `Ok`, or the last error when retrying stops.
            #[inline]
            pub fn call<$($m),*>(self) -> impl Future<Output = Result<T, E>>
            where
                $Shape<F>: $Operation<T, E>,
                $H: RetryHooks<E>,
                E: Display,
            {
                $attempts(self, JustResult)
            }

            /// Run the retry, and also report how many attempts ran, how long was slept
            /// and why retrying stopped.
            ///
            /// ```
            /// use persevere::{future, Fixed, Stop};
            /// use std::time::Duration;
            ///
            /// # futures::executor::block_on(async {
            /// let (result, report) = future::retry(Fixed::new(Duration::from_millis(5)), || async { Err::<(), _>("down") })
            ///     .sleep(|_| std::future::ready(()))
            ///     .call_with_report()
            ///     .await;
            /// assert_eq!(result, Err("down"));
            /// assert_eq!((report.attempts, report.slept, report.stop), (4, Duration::from_millis(15), Stop::ScheduleExhausted));
            /// # });
            /// ```
            #[inline]
            pub fn call_with_report<$($m),*>(
                self,
            ) -> impl Future<Output = (Result<T, E>, Report)>
            where
                $Shape<F>: $Operation<T, E>,
                $H: RetryHooks<E>,
                E: Display,
            {
                $attempts(self, WithReport)
            }
        }
    };
}

/// The three blocks of `call` methods of an operation shape whose retry may set limits and
/// an attempt timeout or neither; `$what` names such a retry in their docs.
macro_rules! shape_calls {
    ($what:literal, $Shape:ident, $Operation:ident, $bare:ident, $watched:ident) => {
        calls!(
            #[doc = concat!("Running ", $what, " that sets no limits and no attempt timeout:")]
            /// each attempt's future is awaited as it is.
            $Shape, $Operation, $bare,
            impl<E, W, N, A, G> Hooks<E, W, N, A, G>, Unset, fn<T>
        );
        calls!(
            #[doc = concat!("Running ", $what, " with an attempt timeout and no limits:")]
            /// each attempt is raced against its timer.
            $Shape, $Operation, $watched,
            impl<E, W, N, A, G, M> Hooks<E, W, N, A, G, Timeout<M>>, Unset, fn<T>
        );
        calls!(
            #[doc = concat!("Running ", $what, " with limits (`max_elapsed`, `sole_layer`,")]
            /// a budget, a name, or a [`Policy`](crate::Policy)'s): each attempt is watched
            /// for the one-layer scope and any attempt timeout.
            $Shape, $Operation, $watched,
            impl<H> H, Limits, fn<T, E>
        );
    };
}

shape_calls!("a retry", Plain, Operation, bare_attempts, watched_attempts);
shape_calls!("a [`retry_mut`]", Mutating, OperationMut, bare_attempts_mut, watched_attempts_mut);
calls!(
    /// Running a retry made by [`retry_with`], which always carries limits: each attempt is
    /// watched for the one-layer scope and any attempt timeout.
    WithAttempt, Operation, watched_attempts,
    impl<H> H, Limits, fn<T, E>
);

/// What an async retry made by [`retry`] or [`retry_with`] can run: a closure returning a
/// future that does not borrow the closure.
///
/// Sealed: those two shapes are the only ones.
pub trait Operation<T, E>: Start<Attempt: Future<Output = Result<T, E>>> {}

impl<Op: Start<Attempt: Future<Output = Result<T, E>>>, T, E> Operation<T, E> for Op {}

/// How an [`Operation`] starts an attempt.
///
/// Apart from [`Operation`] so that the attempt's type does not name `T` and `E`: a retry's
/// future is then `Send` whenever the attempt's is, nested retries and errors that borrow
/// (`&'static str`) included. Sealed.
pub trait Start: sealed::Sealed {
    /// Whether the operation reads the [`Attempt`] it is handed; if not, and no
    /// `max_elapsed` is set, the clock is never read.
    #[doc(hidden)]
    const HANDS_ATTEMPT: bool;

    /// The future of one attempt.
    #[doc(hidden)]
    type Attempt: Future;

    /// Starts one attempt.
    #[doc(hidden)]
    fn start(&mut self, attempt: Attempt) -> Self::Attempt;
}

impl<F: FnMut() -> Fut, Fut: Future> Start for Plain<F> {
    const HANDS_ATTEMPT: bool = false;
    type Attempt = Fut;

    #[inline(always)]
    fn start(&mut self, _: Attempt) -> Fut {
        (self.0)()
    }
}

impl<F: FnMut(Attempt) -> Fut, Fut: Future> Start for WithAttempt<F> {
    const HANDS_ATTEMPT: bool = true;
    type Attempt = Fut;

    #[inline(always)]
    fn start(&mut self, attempt: Attempt) -> Fut {
        (self.0)(attempt)
    }
}

/// What an async retry made by [`retry_mut`] can run: an async closure whose attempts
/// borrow it, to mutate what it captures.
///
/// Sealed: that shape is the only one.
pub trait OperationMut<T, E>: StartMut<Output = Result<T, E>> {}

impl<Op: StartMut<Output = Result<T, E>>, T, E> OperationMut<T, E> for Op {}

/// How an [`OperationMut`] starts an attempt; apart from it for the same reason as
/// [`Start`]. Sealed.
pub trait StartMut: sealed::Sealed {
    /// Always false: such an operation is not handed its [`Attempt`].
    #[doc(hidden)]
    const HANDS_ATTEMPT: bool;

    /// What an attempt returns.
    #[doc(hidden)]
    type Output;

    /// Starts one attempt, which borrows the operation until it ends.
    #[doc(hidden)]
    fn start(&mut self, attempt: Attempt) -> impl Future<Output = Self::Output>;
}

impl<F: AsyncFnMut() -> R, R> StartMut for Mutating<F> {
    const HANDS_ATTEMPT: bool = false;
    type Output = R;

    #[inline(always)]
    fn start(&mut self, _: Attempt) -> impl Future<Output = R> {
        (self.0)()
    }
}

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
    impl<F> Sealed for super::Plain<F> {}
    impl<F> Sealed for super::WithAttempt<F> {}
    impl<F> Sealed for super::Mutating<F> {}
}

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
    Sleep { timer: ManuallyDrop::new((!delay.is_zero()).then(|| futures_timer::Delay::new(delay))) }
}

/// The future returned by [`sleep`].
#[derive(Debug)]
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    /// Released by `Sleep`'s own `Drop`, never by drop glue: a retry's future drops a sleep
    /// at every retry, and the timer's glue (futures-timer's `Drop` and an `Arc`) inlined
    /// there made every retry's `poll` bigger, its first try included. Out of line it costs
    /// a zero delay one test.
    timer: ManuallyDrop<Option<futures_timer::Delay>>,
}

impl Drop for Sleep {
    #[inline]
    fn drop(&mut self) {
        if self.timer.is_some() {
            release(&mut self.timer);
        }
    }
}

#[inline(never)]
fn release(timer: &mut Option<futures_timer::Delay>) {
    drop(timer.take());
}

impl Future for Sleep {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut *self.timer {
            Some(timer) => Pin::new(timer).poll(cx),
            None => Poll::Ready(()),
        }
    }
}
