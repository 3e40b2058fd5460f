//! The caller's hooks: which errors to retry, what to tell, how to change a delay, what to do
//! on giving up. One type, [`Hooks`], holds all four; an unset hook is [`Unset`], which takes
//! no room and costs nothing. The [`Limits`] slot of a retry works the same way.

use core::fmt;
use core::marker::PhantomData;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use super::limits::{LimitSlot, Limits};
use super::{Report, Stop};
use crate::budget::RetryKind;

/// The hooks of a retry, for errors of type `E`: `when` (`W`), `notify` (`N`), `adjust`
/// (`A`), `on_give_up` (`G`) and, for async retries, `attempt_timeout` (`T`).
///
/// You do not build this type: the adapters' setters fill it in, and it shows in their types
/// as `Retry<S, Op, Hooks<E, ..>>`. A hook left unset is [`Unset`], so a retry of
/// `io::Error` with only `when` set is a `Retry<S, Op, Hooks<io::Error, F>>`.
pub struct Hooks<E, W = Unset, N = Unset, A = Unset, G = Unset, T = Unset> {
    pub(crate) when: W,
    pub(crate) notify: N,
    pub(crate) adjust: A,
    pub(crate) give_up: G,
    pub(crate) timeout: T,
    error: PhantomData<fn(&E)>,
}

/// The `attempt_timeout` of an async retry: how long an attempt may run, and how to make the
/// error of one that ran out of time.
#[derive(Clone, Copy, Debug)]
pub struct Timeout<F> {
    pub(crate) limit: Duration,
    pub(crate) error: F,
}

impl<F> Timeout<F> {
    /// How long an attempt may run.
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

/// A hook that was not set: every error is retryable, nothing is told, no delay is changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unset;

impl<E> Hooks<E> {
    #[inline]
    pub(crate) fn new() -> Self {
        Hooks {
            when: Unset,
            notify: Unset,
            adjust: Unset,
            give_up: Unset,
            timeout: Unset,
            error: PhantomData,
        }
    }
}

impl<E, W, N, A, G, T> Hooks<E, W, N, A, G, T> {
    #[inline]
    pub(crate) fn when<F>(self, when: F) -> Hooks<E, F, N, A, G, T> {
        let Hooks { notify, adjust, give_up, timeout, error, .. } = self;
        Hooks { when, notify, adjust, give_up, timeout, error }
    }

    #[inline]
    pub(crate) fn notify<F>(self, notify: F) -> Hooks<E, W, F, A, G, T> {
        let Hooks { when, adjust, give_up, timeout, error, .. } = self;
        Hooks { when, notify, adjust, give_up, timeout, error }
    }

    #[inline]
    pub(crate) fn adjust<F>(self, adjust: F) -> Hooks<E, W, N, F, G, T> {
        let Hooks { when, notify, give_up, timeout, error, .. } = self;
        Hooks { when, notify, adjust, give_up, timeout, error }
    }

    #[inline]
    pub(crate) fn on_give_up<F>(self, give_up: F) -> Hooks<E, W, N, A, F, T> {
        let Hooks { when, notify, adjust, timeout, error, .. } = self;
        Hooks { when, notify, adjust, give_up, timeout, error }
    }

    #[inline]
    pub(crate) fn attempt_timeout<F>(
        self,
        timeout: Timeout<F>,
    ) -> Hooks<E, W, N, A, G, Timeout<F>> {
        let Hooks { when, notify, adjust, give_up, error, .. } = self;
        Hooks { when, notify, adjust, give_up, timeout, error }
    }
}

impl<E, W: Clone, N: Clone, A: Clone, G: Clone, T: Clone> Clone for Hooks<E, W, N, A, G, T> {
    fn clone(&self) -> Self {
        Hooks {
            when: self.when.clone(),
            notify: self.notify.clone(),
            adjust: self.adjust.clone(),
            give_up: self.give_up.clone(),
            timeout: self.timeout.clone(),
            error: PhantomData,
        }
    }
}

/// Says which hooks are set, and the attempt timeout's limit.
impl<E, W, N, A, G, T> fmt::Debug for Hooks<E, W, N, A, G, T>
where
    W: sealed::When<E>,
    N: sealed::Notify<E>,
    A: sealed::Adjust<E>,
    G: sealed::GiveUp<E>,
    T: sealed::TimeoutSlot,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("when", &W::SET)
            .field("notify", &N::SET)
            .field("adjust", &A::SET)
            .field("on_give_up", &G::SET)
            .field("attempt_timeout", &self.timeout.limit())
            .finish()
    }
}

/// What the decision core asks of a retry's hooks; implemented by [`Hooks`] and by a
/// [`Policy`](crate::Policy)'s shared hooks, and by nothing else.
pub trait RetryHooks<E>: Timing {
    /// Whether `error` is worth another attempt, and of which kind for a budget; or why not.
    #[doc(hidden)]
    fn verdict(&self, error: &E) -> Result<RetryKind, Stop>;
    /// Told before each sleep.
    #[doc(hidden)]
    fn notify(&self, error: &E, delay: Duration);
    /// A delay that replaces the schedule's, if the error asks for one.
    #[doc(hidden)]
    fn adjust(&self, error: &E, delay: Duration) -> Option<Duration>;
    /// Told once when the retry returns an error.
    #[doc(hidden)]
    fn give_up(&self, error: &E, report: &Report);
    /// The error of an attempt that ran out of time, once its timer has fired.
    #[doc(hidden)]
    fn poll_timeout<F: Future<Output = ()>>(
        armed: &mut Self::Armed<'_, F>,
        cx: &mut Context<'_>,
    ) -> Poll<E>;
}

/// The attempt timer of a retry's hooks.
///
/// Apart from [`RetryHooks`], and without its error type, so that the timer's types do not
/// name the error: a retry's future is then `Send` whenever its parts are, errors that
/// borrow (`&'static str`) included. Sealed.
pub trait Timing: sealed::Sealed {
    /// The attempt timer: a sleep when an attempt timeout is set, nothing (no room, never
    /// ready) when not.
    #[doc(hidden)]
    type Timer<F: Future<Output = ()>>;
    /// A started timer, as the attempt's poll closure holds it: nothing when no timeout is
    /// set, so that an attempt without one holds no pointer to it.
    #[doc(hidden)]
    type Armed<'a, F: Future<Output = ()> + 'a>;

    /// The attempt timeout, if one is set.
    #[doc(hidden)]
    fn attempt_timeout(&self) -> Option<Duration>;
    /// The timer of one attempt, started with `sleep` when a timeout is set.
    #[doc(hidden)]
    fn timer<F: Future<Output = ()>>(&self, sleep: impl FnOnce(Duration) -> F) -> Self::Timer<F>;
    /// The timer, pinned, ready to be polled beside the attempt; with `sole`, whether the
    /// attempt runs in the one-layer scope.
    #[doc(hidden)]
    fn arm<'a, F: Future<Output = ()> + 'a>(
        &self,
        timer: Pin<&'a mut Self::Timer<F>>,
        sole: bool,
    ) -> Self::Armed<'a, F>;
    /// Whether the attempt polled beside `armed` runs in the one-layer scope. Without a
    /// timeout the attempt is polled this way only in that scope, so the answer needs no
    /// room.
    #[doc(hidden)]
    fn sole<F: Future<Output = ()>>(armed: &Self::Armed<'_, F>) -> bool;
}

impl<E, W, N, A, G, T: sealed::TimeoutSlot> Timing for Hooks<E, W, N, A, G, T> {
    type Timer<F: Future<Output = ()>> = T::Timer<F>;
    type Armed<'a, F: Future<Output = ()> + 'a> = T::Armed<'a, F>;

    #[inline(always)]
    fn attempt_timeout(&self) -> Option<Duration> {
        self.timeout.limit()
    }

    #[inline(always)]
    fn timer<F: Future<Output = ()>>(&self, sleep: impl FnOnce(Duration) -> F) -> T::Timer<F> {
        self.timeout.timer(sleep)
    }

    #[inline(always)]
    fn arm<'a, F: Future<Output = ()> + 'a>(
        &self,
        timer: Pin<&'a mut T::Timer<F>>,
        sole: bool,
    ) -> T::Armed<'a, F> {
        self.timeout.arm(timer, sole)
    }

    #[inline(always)]
    fn sole<F: Future<Output = ()>>(armed: &T::Armed<'_, F>) -> bool {
        T::sole(armed)
    }
}

impl<E, W, N, A, G, T> RetryHooks<E> for Hooks<E, W, N, A, G, T>
where
    W: sealed::When<E>,
    N: sealed::Notify<E>,
    A: sealed::Adjust<E>,
    G: sealed::GiveUp<E>,
    T: sealed::TimeoutError<E>,
{
    #[inline(always)]
    fn verdict(&self, error: &E) -> Result<RetryKind, Stop> {
        self.when.verdict(error)
    }

    #[inline(always)]
    fn notify(&self, error: &E, delay: Duration) {
        self.notify.notify(error, delay)
    }

    #[inline(always)]
    fn adjust(&self, error: &E, delay: Duration) -> Option<Duration> {
        self.adjust.adjust(error, delay)
    }

    #[inline(always)]
    fn give_up(&self, error: &E, report: &Report) {
        self.give_up.give_up(error, report)
    }

    #[inline(always)]
    fn poll_timeout<F: Future<Output = ()>>(
        armed: &mut T::Armed<'_, F>,
        cx: &mut Context<'_>,
    ) -> Poll<E> {
        T::poll_timeout(armed, cx)
    }
}

impl<H: Timing> Timing for &H {
    type Timer<F: Future<Output = ()>> = H::Timer<F>;
    type Armed<'a, F: Future<Output = ()> + 'a> = H::Armed<'a, F>;

    #[inline(always)]
    fn attempt_timeout(&self) -> Option<Duration> {
        (**self).attempt_timeout()
    }

    #[inline(always)]
    fn timer<F: Future<Output = ()>>(&self, sleep: impl FnOnce(Duration) -> F) -> H::Timer<F> {
        (**self).timer(sleep)
    }

    #[inline(always)]
    fn arm<'a, F: Future<Output = ()> + 'a>(
        &self,
        timer: Pin<&'a mut H::Timer<F>>,
        sole: bool,
    ) -> H::Armed<'a, F> {
        (**self).arm(timer, sole)
    }

    #[inline(always)]
    fn sole<F: Future<Output = ()>>(armed: &H::Armed<'_, F>) -> bool {
        H::sole(armed)
    }
}

impl<E, H: RetryHooks<E>> RetryHooks<E> for &H {
    #[inline(always)]
    fn verdict(&self, error: &E) -> Result<RetryKind, Stop> {
        (**self).verdict(error)
    }

    #[inline(always)]
    fn notify(&self, error: &E, delay: Duration) {
        (**self).notify(error, delay)
    }

    #[inline(always)]
    fn adjust(&self, error: &E, delay: Duration) -> Option<Duration> {
        (**self).adjust(error, delay)
    }

    #[inline(always)]
    fn give_up(&self, error: &E, report: &Report) {
        (**self).give_up(error, report)
    }

    #[inline(always)]
    fn poll_timeout<F: Future<Output = ()>>(
        armed: &mut H::Armed<'_, F>,
        cx: &mut Context<'_>,
    ) -> Poll<E> {
        H::poll_timeout(armed, cx)
    }
}

/// What a `when` hook returns: whether to retry, and for a budget of which kind.
///
/// `bool` says retry (a normal retry) or not; `Option<RetryKind>` says which kind, so that an
/// error can tell a [`RetryBudget`](crate::budget::RetryBudget) it was a timeout (the AWS
/// preset then charges 10 tokens rather than 5); `None` is not retryable.
/// `Result<RetryKind, Stop>` also says why not: `Err(Stop::BreakerOpen)` for a call a circuit
/// breaker refused, which is what
/// [`BreakerError::verdict`](crate::breaker::BreakerError::verdict) returns.
///
/// ```
/// use persevere::budget::{RetryBudget, RetryKind};
/// use persevere::{blocking, Fixed, Stop};
/// use std::time::Duration;
///
/// let budget = RetryBudget::aws_standard(); // 500 tokens
/// let (_, report) = blocking::retry(Fixed::new(Duration::ZERO).max_retries(3), || Err::<(), _>("timed out"))
///     .when(|e| (*e == "timed out").then_some(RetryKind::Timeout))
///     .budget(&budget)
///     .call_with_report();
/// assert_eq!(report.attempts, 4);
/// assert_eq!(budget.available(), 500.0 - 3.0 * 10.0);
/// ```
pub trait Verdict: sealed::Sealed {
    /// The kind of retry, or why not to retry.
    #[doc(hidden)]
    fn kind(self) -> Result<RetryKind, Stop>;
}

impl Verdict for bool {
    #[inline(always)]
    fn kind(self) -> Result<RetryKind, Stop> {
        if self { Ok(RetryKind::Normal) } else { Err(Stop::NotRetryable) }
    }
}

impl Verdict for Option<RetryKind> {
    #[inline(always)]
    fn kind(self) -> Result<RetryKind, Stop> {
        self.ok_or(Stop::NotRetryable)
    }
}

impl Verdict for Result<RetryKind, Stop> {
    #[inline(always)]
    fn kind(self) -> Result<RetryKind, Stop> {
        self
    }
}

pub(crate) mod sealed {
    use std::future::{Future, Pending, pending};
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use super::{Hooks, Report, Stop, Timeout, Unset, Verdict};
    use crate::budget::RetryKind;

    pub trait Sealed {}

    impl<E, W, N, A, G, T> Sealed for Hooks<E, W, N, A, G, T> {}
    impl<H: Sealed> Sealed for &H {}
    impl Sealed for bool {}
    impl Sealed for Option<crate::budget::RetryKind> {}
    impl Sealed for Result<crate::budget::RetryKind, crate::Stop> {}

    // One trait per hook, each implemented for `Unset` and for the closure shape it takes.
    // The two impls do not overlap: `Unset` is ours and implements no `Fn` trait.

    pub trait When<E> {
        /// Whether a hook was set: false only for `Unset`.
        const SET: bool = true;
        fn verdict(&self, error: &E) -> Result<RetryKind, Stop>;
    }

    impl<E> When<E> for Unset {
        const SET: bool = false;

        #[inline(always)]
        fn verdict(&self, _: &E) -> Result<RetryKind, Stop> {
            Ok(RetryKind::Normal)
        }
    }

    impl<E, F: Fn(&E) -> R, R: Verdict> When<E> for F {
        #[inline(always)]
        fn verdict(&self, error: &E) -> Result<RetryKind, Stop> {
            self(error).kind()
        }
    }

    pub trait Notify<E> {
        /// Whether a hook was set: false only for `Unset`.
        const SET: bool = true;
        fn notify(&self, error: &E, delay: Duration);
    }

    impl<E> Notify<E> for Unset {
        const SET: bool = false;

        #[inline(always)]
        fn notify(&self, _: &E, _: Duration) {}
    }

    impl<E, F: Fn(&E, Duration)> Notify<E> for F {
        #[inline(always)]
        fn notify(&self, error: &E, delay: Duration) {
            self(error, delay)
        }
    }

    pub trait Adjust<E> {
        /// Whether a hook was set: false only for `Unset`.
        const SET: bool = true;
        fn adjust(&self, error: &E, delay: Duration) -> Option<Duration>;
    }

    impl<E> Adjust<E> for Unset {
        const SET: bool = false;

        #[inline(always)]
        fn adjust(&self, _: &E, _: Duration) -> Option<Duration> {
            None
        }
    }

    impl<E, F: Fn(&E, Duration) -> Option<Duration>> Adjust<E> for F {
        #[inline(always)]
        fn adjust(&self, error: &E, delay: Duration) -> Option<Duration> {
            self(error, delay)
        }
    }

    pub trait GiveUp<E> {
        /// Whether a hook was set: false only for `Unset`.
        const SET: bool = true;
        fn give_up(&self, error: &E, report: &Report);
    }

    impl<E> GiveUp<E> for Unset {
        const SET: bool = false;

        #[inline(always)]
        fn give_up(&self, _: &E, _: &Report) {}
    }

    impl<E, F: Fn(&E, &Report)> GiveUp<E> for F {
        #[inline(always)]
        fn give_up(&self, error: &E, report: &Report) {
            self(error, report)
        }
    }

    /// The attempt-timeout slot: [`Unset`], whose timer never fires and takes no room, or a
    /// [`Timeout`].
    pub trait TimeoutSlot {
        type Timer<F: Future<Output = ()>>;
        type Armed<'a, F: Future<Output = ()> + 'a>;
        fn limit(&self) -> Option<Duration>;
        fn timer<F: Future<Output = ()>>(
            &self,
            sleep: impl FnOnce(Duration) -> F,
        ) -> Self::Timer<F>;
        fn arm<'a, F: Future<Output = ()> + 'a>(
            &self,
            timer: Pin<&'a mut Self::Timer<F>>,
            sole: bool,
        ) -> Self::Armed<'a, F>;
        fn sole<F: Future<Output = ()>>(armed: &Self::Armed<'_, F>) -> bool;
    }

    /// How the slot makes the error of an attempt that timed out.
    pub trait TimeoutError<E>: TimeoutSlot {
        fn poll_timeout<F: Future<Output = ()>>(
            armed: &mut Self::Armed<'_, F>,
            cx: &mut Context<'_>,
        ) -> Poll<E>;
    }

    impl TimeoutSlot for Unset {
        type Timer<F: Future<Output = ()>> = Pending<()>;
        type Armed<'a, F: Future<Output = ()> + 'a> = ();

        #[inline(always)]
        fn limit(&self) -> Option<Duration> {
            None
        }

        #[inline(always)]
        fn timer<F: Future<Output = ()>>(&self, _: impl FnOnce(Duration) -> F) -> Pending<()> {
            pending()
        }

        #[inline(always)]
        fn arm<'a, F: Future<Output = ()> + 'a>(&self, _: Pin<&'a mut Pending<()>>, _: bool) {}

        #[inline(always)]
        fn sole<F: Future<Output = ()>>(_: &()) -> bool {
            true
        }
    }

    impl<E> TimeoutError<E> for Unset {
        #[inline(always)]
        fn poll_timeout<F: Future<Output = ()>>(_: &mut (), _: &mut Context<'_>) -> Poll<E> {
            Poll::Pending
        }
    }

    impl<M: Clone> TimeoutSlot for Timeout<M> {
        type Timer<F: Future<Output = ()>> = F;
        type Armed<'a, F: Future<Output = ()> + 'a> = (Pin<&'a mut F>, M, bool);

        #[inline(always)]
        fn limit(&self) -> Option<Duration> {
            Some(self.limit)
        }

        #[inline(always)]
        fn timer<F: Future<Output = ()>>(&self, sleep: impl FnOnce(Duration) -> F) -> F {
            sleep(self.limit)
        }

        #[inline(always)]
        fn arm<'a, F: Future<Output = ()> + 'a>(
            &self,
            timer: Pin<&'a mut F>,
            sole: bool,
        ) -> (Pin<&'a mut F>, M, bool) {
            (timer, self.error.clone(), sole)
        }

        #[inline(always)]
        fn sole<F: Future<Output = ()>>((_, _, sole): &(Pin<&'_ mut F>, M, bool)) -> bool {
            *sole
        }
    }

    impl<E, M: Fn() -> E + Clone> TimeoutError<E> for Timeout<M> {
        #[inline(always)]
        fn poll_timeout<F: Future<Output = ()>>(
            (timer, error, _): &mut (Pin<&'_ mut F>, M, bool),
            cx: &mut Context<'_>,
        ) -> Poll<E> {
            timer.as_mut().poll(cx).map(|()| error())
        }
    }
}
