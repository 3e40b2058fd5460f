//! The caller's hooks: which errors to retry, what to tell, how to change a delay, what to do
//! on giving up. One type, [`Hooks`], holds all four; an unset hook is [`Unset`], which takes
//! no room and costs nothing. The [`Limits`] slot of a retry works the same way.

use core::fmt;
use core::marker::PhantomData;
use std::time::Duration;

use super::Report;
pub use super::limits::{LimitSlot, Limits};

/// The four hooks of a retry, for errors of type `E`: `when` (`W`), `notify` (`N`), `adjust`
/// (`A`) and `on_give_up` (`G`).
///
/// You do not build this type: the adapters' setters fill it in, and it shows in their types
/// as `Retry<S, Op, Hooks<E, ..>>`. A hook left unset is [`Unset`], so a retry of
/// `io::Error` with only `when` set is a `Retry<S, Op, Hooks<io::Error, F>>`.
pub struct Hooks<E, W = Unset, N = Unset, A = Unset, G = Unset> {
    pub(crate) when: W,
    pub(crate) notify: N,
    pub(crate) adjust: A,
    pub(crate) give_up: G,
    error: PhantomData<fn(&E)>,
}

/// A hook that was not set: every error is retryable, nothing is told, no delay is changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unset;

impl<E> Hooks<E> {
    #[inline]
    pub(crate) fn new() -> Self {
        Hooks { when: Unset, notify: Unset, adjust: Unset, give_up: Unset, error: PhantomData }
    }
}

impl<E, W, N, A, G> Hooks<E, W, N, A, G> {
    #[inline]
    pub(crate) fn when<F>(self, when: F) -> Hooks<E, F, N, A, G> {
        let Hooks { notify, adjust, give_up, error, .. } = self;
        Hooks { when, notify, adjust, give_up, error }
    }

    #[inline]
    pub(crate) fn notify<F>(self, notify: F) -> Hooks<E, W, F, A, G> {
        let Hooks { when, adjust, give_up, error, .. } = self;
        Hooks { when, notify, adjust, give_up, error }
    }

    #[inline]
    pub(crate) fn adjust<F>(self, adjust: F) -> Hooks<E, W, N, F, G> {
        let Hooks { when, notify, give_up, error, .. } = self;
        Hooks { when, notify, adjust, give_up, error }
    }

    #[inline]
    pub(crate) fn on_give_up<F>(self, give_up: F) -> Hooks<E, W, N, A, F> {
        let Hooks { when, notify, adjust, error, .. } = self;
        Hooks { when, notify, adjust, give_up, error }
    }
}

impl<E, W: Clone, N: Clone, A: Clone, G: Clone> Clone for Hooks<E, W, N, A, G> {
    fn clone(&self) -> Self {
        Hooks {
            when: self.when.clone(),
            notify: self.notify.clone(),
            adjust: self.adjust.clone(),
            give_up: self.give_up.clone(),
            error: PhantomData,
        }
    }
}

/// Says which hooks are set.
impl<E, W, N, A, G> fmt::Debug for Hooks<E, W, N, A, G>
where
    W: sealed::When<E>,
    N: sealed::Notify<E>,
    A: sealed::Adjust<E>,
    G: sealed::GiveUp<E>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("when", &W::SET)
            .field("notify", &N::SET)
            .field("adjust", &A::SET)
            .field("on_give_up", &G::SET)
            .finish()
    }
}

/// What the decision core asks of a retry's hooks; implemented by [`Hooks`] and by a
/// [`Policy`](crate::Policy)'s shared hooks, and by nothing else.
pub trait RetryHooks<E>: sealed::Sealed {
    /// Whether `error` is worth another attempt.
    #[doc(hidden)]
    fn retryable(&self, error: &E) -> bool;
    /// Told before each sleep.
    #[doc(hidden)]
    fn notify(&self, error: &E, delay: Duration);
    /// A delay that replaces the schedule's, if the error asks for one.
    #[doc(hidden)]
    fn adjust(&self, error: &E, delay: Duration) -> Option<Duration>;
    /// Told once when the retry returns an error.
    #[doc(hidden)]
    fn give_up(&self, error: &E, report: &Report);
}

impl<E, W, N, A, G> RetryHooks<E> for Hooks<E, W, N, A, G>
where
    W: sealed::When<E>,
    N: sealed::Notify<E>,
    A: sealed::Adjust<E>,
    G: sealed::GiveUp<E>,
{
    #[inline(always)]
    fn retryable(&self, error: &E) -> bool {
        self.when.when(error)
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
}

impl<E, H: RetryHooks<E>> RetryHooks<E> for &H {
    #[inline(always)]
    fn retryable(&self, error: &E) -> bool {
        (**self).retryable(error)
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
}

pub(crate) mod sealed {
    use std::time::Duration;

    use super::{Hooks, Report, Unset};

    pub trait Sealed {}

    impl<E, W, N, A, G> Sealed for Hooks<E, W, N, A, G> {}
    impl<H: Sealed> Sealed for &H {}

    // One trait per hook, each implemented for `Unset` and for the closure shape it takes.
    // The two impls do not overlap: `Unset` is ours and implements no `Fn` trait.

    pub trait When<E> {
        /// Whether a hook was set: false only for `Unset`.
        const SET: bool = true;
        fn when(&self, error: &E) -> bool;
    }

    impl<E> When<E> for Unset {
        const SET: bool = false;

        #[inline(always)]
        fn when(&self, _: &E) -> bool {
            true
        }
    }

    impl<E, F: Fn(&E) -> bool> When<E> for F {
        #[inline(always)]
        fn when(&self, error: &E) -> bool {
            self(error)
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
}
