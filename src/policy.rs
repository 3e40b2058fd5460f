//! What a retry does besides waiting: which errors it retries, its hooks and its limits.

// Builder types spell out every hook type: an alias would only hide what users see in
// compiler messages.
#![allow(clippy::type_complexity)]

use core::fmt;
use core::marker::PhantomData;
use std::time::Duration;

use crate::budget::RetryBudget;

/// The default ceiling on a delay set by [`adjust`](Policy::adjust): five minutes.
///
/// A server's `Retry-After` is honoured up to this long and no longer, so a hostile or
/// broken header cannot park a client for a year. Envoy stops honouring rate-limit hints at
/// the same order of magnitude; raise it with [`adjust_ceiling`](Policy::adjust_ceiling).
pub const DEFAULT_ADJUST_CEILING: Duration = Duration::from_secs(300);

/// What the operation can learn about the attempt it is making.
///
/// Handed to the operation by [`blocking::retry_with`](crate::blocking::retry_with) and
/// [`future::retry_with`](crate::future::retry_with).
///
/// ```
/// use persevere::{blocking, Fixed};
/// use std::time::Duration;
///
/// let mut seen = Vec::new();
/// let result: Result<(), &str> = blocking::retry_with(Fixed::new(Duration::ZERO).max_retries(2), |attempt| {
///     seen.push(attempt.number);
///     Err("still down")
/// })
/// .call();
/// assert!(result.is_err());
/// assert_eq!(seen, [1, 2, 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// Which attempt this is, starting at 1. Pass it downstream, or keep one idempotency key
    /// for every attempt of the same logical operation.
    pub number: u32,
    /// How long since the first attempt started.
    pub elapsed: Duration,
    /// The time left before `max_elapsed` runs out, if one is set: a deadline to pass on.
    pub time_left: Option<Duration>,
}

/// Why a retry stopped, as reported by `call_with_report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stop {
    /// An attempt succeeded.
    Succeeded,
    /// The error was not one to retry: [`when`](Policy::when) said no.
    NotRetryable,
    /// The schedule had no delay left.
    ScheduleExhausted,
    /// Waiting for the next delay would have passed [`max_elapsed`](Policy::max_elapsed).
    MaxElapsed,
    /// The shared [`RetryBudget`] had no tokens left.
    BudgetExhausted,
    /// An enclosing retry is the [sole retrying layer](Policy::sole_layer), so this one made a
    /// single attempt.
    OuterLayerRetries,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stop::Succeeded => "succeeded",
            Stop::NotRetryable => "the error is not retryable",
            Stop::ScheduleExhausted => "no retries left",
            Stop::MaxElapsed => "the next delay would pass max_elapsed",
            Stop::BudgetExhausted => "the retry budget is exhausted",
            Stop::OuterLayerRetries => "an enclosing retry is the sole retrying layer",
        })
    }
}

/// How a retry went: returned beside the result by `call_with_report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// How many times the operation ran.
    pub attempts: u32,
    /// The sum of the delays slept between attempts.
    pub slept: Duration,
    /// Why retrying stopped.
    pub stop: Stop,
}

/// The hooks and limits of a retry, without its schedule.
///
/// You do not build this type yourself: the setters of [`Policy`] and of the adapters'
/// `Retry` builders fill it in. It appears in their type parameters, where `E` is the
/// operation's error type and `W`, `N`, `A`, `G` the types of the `when`, `notify`, `adjust`
/// and `on_give_up` hooks.
// `repr(C)` keeps the hooks first: reordered behind the padding after `sole_layer`, they were
// copied with unaligned loads that stalled on the stores just made.
#[repr(C)]
pub struct Rules<
    E,
    W = fn(&E) -> bool,
    N = fn(&E, Duration),
    A = fn(&E, Duration) -> Option<Duration>,
    G = fn(&E, u32),
> {
    pub(crate) hooks: Hooks<E, W, N, A, G>,
    pub(crate) limits: Limits,
    /// Apart from what the decision core borrows: the drop code of the `Arc` inside would
    /// otherwise keep all the rules in memory, hooks included, in the blocking loop.
    pub(crate) budget: Option<RetryBudget>,
}

/// The caller's hooks, each unset by default.
pub(crate) struct Hooks<E, W, N, A, G> {
    pub(crate) when: Option<W>,
    pub(crate) notify: Option<N>,
    pub(crate) adjust: Option<A>,
    pub(crate) give_up: Option<G>,
    error: PhantomData<fn(&E)>,
}

/// The settings of a retry that are neither hooks nor shared state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_elapsed: Option<Duration>,
    pub(crate) adjust_ceiling: Duration,
    pub(crate) sole_layer: bool,
}

impl<E> Rules<E> {
    /// No hooks, typed as `fn` pointers so that a preset can name its type (`Rules<E>`).
    #[inline]
    pub(crate) fn new() -> Self {
        Rules::unset()
    }
}

/// No hooks, typed as closures that are never called: an unset slot then takes one byte,
/// where an unset `fn` pointer slot takes eight. The adapters start from these rules.
#[inline]
pub(crate) fn no_hooks<E>() -> Rules<
    E,
    impl Fn(&E) -> bool,
    impl Fn(&E, Duration),
    impl Fn(&E, Duration) -> Option<Duration>,
    impl Fn(&E, u32),
> {
    fn typed<E, W, N, A, G>(_: W, _: N, _: A, _: G) -> Rules<E, W, N, A, G>
    where
        W: Fn(&E) -> bool,
        N: Fn(&E, Duration),
        A: Fn(&E, Duration) -> Option<Duration>,
        G: Fn(&E, u32),
    {
        Rules::unset()
    }
    typed(|_| true, |_, _| {}, |_, _| None, |_, _| {})
}

impl<E, W, N, A, G> Rules<E, W, N, A, G> {
    #[inline]
    fn unset() -> Self {
        Rules {
            hooks: Hooks {
                when: None,
                notify: None,
                adjust: None,
                give_up: None,
                error: PhantomData,
            },
            limits: Limits {
                max_elapsed: None,
                adjust_ceiling: DEFAULT_ADJUST_CEILING,
                sole_layer: false,
            },
            budget: None,
        }
    }
}

impl<E, W, N, A, G> Rules<E, W, N, A, G> {
    #[inline]
    pub(crate) fn when<W2>(self, f: W2) -> Rules<E, W2, N, A, G> {
        let Rules { hooks: Hooks { notify, adjust, give_up, error, .. }, limits, budget } = self;
        Rules { hooks: Hooks { when: Some(f), notify, adjust, give_up, error }, limits, budget }
    }

    #[inline]
    pub(crate) fn notify<N2>(self, f: N2) -> Rules<E, W, N2, A, G> {
        let Rules { hooks: Hooks { when, adjust, give_up, error, .. }, limits, budget } = self;
        Rules { hooks: Hooks { when, notify: Some(f), adjust, give_up, error }, limits, budget }
    }

    #[inline]
    pub(crate) fn adjust<A2>(self, f: A2) -> Rules<E, W, N, A2, G> {
        let Rules { hooks: Hooks { when, notify, give_up, error, .. }, limits, budget } = self;
        Rules { hooks: Hooks { when, notify, adjust: Some(f), give_up, error }, limits, budget }
    }

    #[inline]
    pub(crate) fn on_give_up<G2>(self, f: G2) -> Rules<E, W, N, A, G2> {
        let Rules { hooks: Hooks { when, notify, adjust, error, .. }, limits, budget } = self;
        Rules { hooks: Hooks { when, notify, adjust, give_up: Some(f), error }, limits, budget }
    }

    #[inline]
    pub(crate) fn limits(mut self, f: impl FnOnce(&mut Limits)) -> Self {
        f(&mut self.limits);
        self
    }

    #[inline]
    pub(crate) fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The same rules with the hooks borrowed, for one call of a shared [`Policy`].
    pub(crate) fn by_ref(&self) -> Rules<E, &W, &N, &A, &G> {
        let hooks = &self.hooks;
        Rules {
            hooks: Hooks {
                when: hooks.when.as_ref(),
                notify: hooks.notify.as_ref(),
                adjust: hooks.adjust.as_ref(),
                give_up: hooks.give_up.as_ref(),
                error: PhantomData,
            },
            limits: self.limits,
            budget: self.budget.clone(),
        }
    }
}

impl<E, W: Clone, N: Clone, A: Clone, G: Clone> Clone for Rules<E, W, N, A, G> {
    fn clone(&self) -> Self {
        let hooks = &self.hooks;
        Rules {
            hooks: Hooks {
                when: hooks.when.clone(),
                notify: hooks.notify.clone(),
                adjust: hooks.adjust.clone(),
                give_up: hooks.give_up.clone(),
                error: PhantomData,
            },
            limits: self.limits,
            budget: self.budget.clone(),
        }
    }
}

impl<E, W, N, A, G> fmt::Debug for Rules<E, W, N, A, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules")
            .field("when", &self.hooks.when.is_some())
            .field("notify", &self.hooks.notify.is_some())
            .field("adjust", &self.hooks.adjust.is_some())
            .field("on_give_up", &self.hooks.give_up.is_some())
            .field("limits", &self.limits)
            .field("budget", &self.budget)
            .finish()
    }
}

/// The setters shared by [`Policy`] and the adapters' `Retry` builders.
///
/// Invoked inside an `impl` whose `Self` holds a `Rules<E, W, N, A, G>` and has a
/// `map_rules` method; `$Out` names the same type with the rules swapped, written as
/// `[prefix params] Rules [suffix params]`.
macro_rules! rule_setters {
    ($Out:ident [$($pre:ident),*] [$($post:ident),*]) => {
        /// Retry only the errors for which `f` returns `true`; any other error is returned
        /// at once. By default every error is retried.
        ///
        /// ```
        /// use persevere::{blocking, Fixed};
        /// use std::{io, time::Duration};
        ///
        /// let mut calls = 0;
        /// let result: Result<(), io::Error> = blocking::retry(Fixed::new(Duration::ZERO), || {
        ///     calls += 1;
        ///     Err(io::Error::from(io::ErrorKind::PermissionDenied))
        /// })
        /// .when(|e: &io::Error| e.kind() == io::ErrorKind::ConnectionReset)
        /// .call();
        /// assert!(result.is_err());
        /// assert_eq!(calls, 1);
        /// ```
        pub fn when<F: Fn(&E) -> bool>(self, f: F) -> $Out<$($pre,)* crate::policy::Rules<E, F, N, A, G> $(,$post)*> {
            self.map_rules(|r| r.when(f))
        }

        /// Call `f` with the error and the delay about to be slept, before each sleep.
        ///
        /// The delay is the one actually slept: after [`adjust`](Self::adjust) and its
        /// ceiling.
        ///
        /// ```
        /// use persevere::{blocking, Exponential};
        /// use std::{cell::RefCell, time::Duration};
        ///
        /// let seen = RefCell::new(Vec::new());
        /// let _ = blocking::retry(Exponential::new(Duration::from_millis(10)), || Err::<(), _>("busy"))
        ///     .notify(|e: &&str, delay| seen.borrow_mut().push((*e, delay)))
        ///     .sleep(|_| {})
        ///     .call();
        /// let ms = Duration::from_millis;
        /// assert_eq!(seen.into_inner(), [("busy", ms(10)), ("busy", ms(20)), ("busy", ms(40))]);
        /// ```
        pub fn notify<F: Fn(&E, Duration)>(self, f: F) -> $Out<$($pre,)* crate::policy::Rules<E, W, F, A, G> $(,$post)*> {
            self.map_rules(|r| r.notify(f))
        }

        /// Let an error choose the next delay, for example from a server's `Retry-After`.
        ///
        /// `f` receives the error and the schedule's delay; `Some(d)` replaces that delay
        /// with `d`, capped by [`adjust_ceiling`](Self::adjust_ceiling). The schedule still
        /// decides how many retries there are.
        ///
        /// ```
        /// use persevere::{blocking, Fixed};
        /// use std::{cell::RefCell, time::Duration};
        ///
        /// struct Busy { retry_after: Option<Duration> }
        /// # impl std::fmt::Display for Busy { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { f.write_str("busy") } }
        /// let slept = RefCell::new(Vec::new());
        /// let _ = blocking::retry(Fixed::new(Duration::from_millis(100)).max_retries(2), || {
        ///     Err::<(), _>(Busy { retry_after: Some(Duration::from_secs(3600)) })
        /// })
        /// .adjust(|e: &Busy, _| e.retry_after)
        /// .adjust_ceiling(Duration::from_secs(30))
        /// .sleep(|d| slept.borrow_mut().push(d))
        /// .call();
        /// assert_eq!(slept.into_inner(), [Duration::from_secs(30); 2]);
        /// ```
        pub fn adjust<F: Fn(&E, Duration) -> Option<Duration>>(self, f: F) -> $Out<$($pre,)* crate::policy::Rules<E, W, N, F, G> $(,$post)*> {
            self.map_rules(|r| r.adjust(f))
        }

        /// Call `f` with the final error and the number of attempts when the retry returns
        /// an error, for whatever reason: the place for a dead-letter queue.
        ///
        /// ```
        /// use persevere::{blocking, Fixed};
        /// use std::{cell::RefCell, time::Duration};
        ///
        /// let dead_letters = RefCell::new(Vec::new());
        /// let _ = blocking::retry(Fixed::new(Duration::ZERO).max_retries(2), || Err::<(), _>("rejected"))
        ///     .on_give_up(|e: &&str, attempts| dead_letters.borrow_mut().push((e.to_string(), attempts)))
        ///     .call();
        /// assert_eq!(dead_letters.into_inner(), [("rejected".to_string(), 3)]);
        /// ```
        pub fn on_give_up<F: Fn(&E, u32)>(self, f: F) -> $Out<$($pre,)* crate::policy::Rules<E, W, N, A, F> $(,$post)*> {
            self.map_rules(|r| r.on_give_up(f))
        }

        /// Stop retrying once the time since the first attempt started, sleeps and attempts
        /// included, would pass `limit` by the end of the next delay.
        ///
        /// ```
        /// use persevere::{blocking, clock::ManualClock, Fixed, Stop};
        /// use std::time::Duration;
        ///
        /// let clock = ManualClock::new();
        /// let (result, report) = blocking::retry(Fixed::new(Duration::from_secs(4)).forever(), || Err::<(), _>("down"))
        ///     .max_elapsed(Duration::from_secs(10))
        ///     .clock(clock.clone())
        ///     .sleep(|d| clock.advance(d))
        ///     .call_with_report();
        /// assert!(result.is_err());
        /// assert_eq!((report.attempts, report.stop), (3, Stop::MaxElapsed));
        /// ```
        pub fn max_elapsed(self, limit: Duration) -> Self {
            self.map_rules(|r| r.limits(|l| l.max_elapsed = Some(limit)))
        }

        /// The longest delay [`adjust`](Self::adjust) may set, by default
        /// [`DEFAULT_ADJUST_CEILING`](crate::policy::DEFAULT_ADJUST_CEILING) (300 s).
        pub fn adjust_ceiling(self, ceiling: Duration) -> Self {
            self.map_rules(|r| r.limits(|l| l.adjust_ceiling = ceiling))
        }

        /// Make this retry the only one that retries: any persevere retry started inside
        /// its attempts, on the same thread or in the same async task's poll, makes a single
        /// attempt (and says so at debug level). Retries nested in retries multiply load:
        /// three retries at each of five layers is 243 calls.
        ///
        /// ```
        /// use persevere::{blocking, Fixed};
        /// use std::{cell::Cell, time::Duration};
        ///
        /// let calls = Cell::new(0);
        /// let inner = || {
        ///     blocking::retry(Fixed::new(Duration::ZERO).max_retries(3), || {
        ///         calls.set(calls.get() + 1);
        ///         Err::<(), _>("down")
        ///     })
        ///     .call()
        /// };
        /// let _ = blocking::retry(Fixed::new(Duration::ZERO).max_retries(2), inner).sole_layer().call();
        /// assert_eq!(calls.get(), 3); // 3 outer attempts, 1 inner attempt each
        /// ```
        pub fn sole_layer(self) -> Self {
            self.map_rules(|r| r.limits(|l| l.sole_layer = true))
        }

        /// Spend retries from `budget`, shared with every other call that uses it: each
        /// retry pays before it sleeps, successes pay back, and when the budget is spent the
        /// retry returns its last error at once (logged, and reported as
        /// [`Stop::BudgetExhausted`](crate::Stop::BudgetExhausted)).
        ///
        /// ```
        /// use persevere::{blocking, budget::RetryBudget, Fixed, Stop};
        /// use std::time::Duration;
        ///
        /// // Room for exactly two retries across all calls.
        /// let budget = RetryBudget::builder(2.0).build()?;
        /// let (_, report) = blocking::retry(Fixed::new(Duration::ZERO).max_retries(5), || Err::<(), _>("down"))
        ///     .budget(&budget)
        ///     .call_with_report();
        /// assert_eq!((report.attempts, report.stop), (3, Stop::BudgetExhausted));
        /// # Ok::<(), persevere::budget::BudgetError>(())
        /// ```
        pub fn budget(self, budget: &crate::budget::RetryBudget) -> Self {
            let budget = budget.clone();
            self.map_rules(|r| r.budget(budget))
        }
    };
}
pub(crate) use rule_setters;

/// A retry configuration defined once and applied at many call sites, blocking or async.
///
/// It holds a schedule (cloned for each call) and the hooks and limits; its setters are the
/// adapters' own. Applying it borrows the hooks, so a policy lives happily in a `static`, a
/// struct field or an `Arc`.
///
/// ```
/// use persevere::{Exponential, Jitter, Policy};
/// use std::{io, time::Duration};
///
/// fn transient(e: &io::Error) -> bool {
///     e.kind() == io::ErrorKind::ConnectionReset
/// }
///
/// let api = Policy::new(Exponential::new(Duration::from_millis(1)).jitter(Jitter::Full)).when(transient);
///
/// let mut failures = 2;
/// let body = api
///     .retry(|| {
///         if failures > 0 {
///             failures -= 1;
///             return Err(io::Error::from(io::ErrorKind::ConnectionReset));
///         }
///         Ok("body")
///     })
///     .call()?;
/// assert_eq!(body, "body");
///
/// let n = futures::executor::block_on(api.retry_async(|| async { Ok::<_, io::Error>(7) }).call())?;
/// assert_eq!(n, 7);
/// # Ok::<(), io::Error>(())
/// ```
pub struct Policy<S, R> {
    schedule: S,
    rules: R,
}

impl<S, E> Policy<S, Rules<E>> {
    /// A policy that retries every error on `schedule`, with no hooks.
    pub fn new(schedule: S) -> Self {
        Policy { schedule, rules: Rules::new() }
    }
}

impl<S, E, W, N, A, G> Policy<S, Rules<E, W, N, A, G>> {
    fn map_rules<W2, N2, A2, G2>(
        self,
        f: impl FnOnce(Rules<E, W, N, A, G>) -> Rules<E, W2, N2, A2, G2>,
    ) -> Policy<S, Rules<E, W2, N2, A2, G2>> {
        Policy { schedule: self.schedule, rules: f(self.rules) }
    }

    rule_setters!(Policy[S][]);

    /// A blocking retry of `op` under this policy; see [`blocking::retry`](crate::blocking::retry).
    pub fn retry<T, Op>(
        &self,
        op: Op,
    ) -> crate::blocking::Retry<
        S::IntoIter,
        impl FnMut(Attempt) -> Result<T, E>,
        Rules<E, &W, &N, &A, &G>,
        fn(Duration),
        crate::clock::SystemClock,
    >
    where
        S: Clone + IntoIterator<Item = Duration>,
        Op: FnMut() -> Result<T, E>,
    {
        crate::blocking::Retry::plain(self.schedule.clone(), op, self.rules.by_ref())
    }

    /// Like [`retry`](Self::retry), handing the operation its [`Attempt`].
    pub fn retry_with<T, Op>(
        &self,
        op: Op,
    ) -> crate::blocking::Retry<
        S::IntoIter,
        Op,
        Rules<E, &W, &N, &A, &G>,
        fn(Duration),
        crate::clock::SystemClock,
    >
    where
        S: Clone + IntoIterator<Item = Duration>,
        Op: FnMut(Attempt) -> Result<T, E>,
    {
        crate::blocking::Retry::new(self.schedule.clone(), op, self.rules.by_ref())
    }

    /// An async retry of `op` under this policy; see [`future::retry`](crate::future::retry).
    pub fn retry_async<T, Op, Fut>(
        &self,
        op: Op,
    ) -> crate::future::Retry<
        S::IntoIter,
        crate::future::Plain<Op>,
        Rules<E, &W, &N, &A, &G>,
        crate::future::DefaultSleep,
        crate::clock::SystemClock,
    >
    where
        S: Clone + IntoIterator<Item = Duration>,
        Op: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        crate::future::Retry::new(
            self.schedule.clone(),
            crate::future::Plain(op),
            self.rules.by_ref(),
        )
    }

    /// Like [`retry_async`](Self::retry_async), handing the operation its [`Attempt`].
    pub fn retry_async_with<T, Op, Fut>(
        &self,
        op: Op,
    ) -> crate::future::Retry<
        S::IntoIter,
        crate::future::WithAttempt<Op>,
        Rules<E, &W, &N, &A, &G>,
        crate::future::DefaultSleep,
        crate::clock::SystemClock,
    >
    where
        S: Clone + IntoIterator<Item = Duration>,
        Op: FnMut(Attempt) -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        crate::future::Retry::new(
            self.schedule.clone(),
            crate::future::WithAttempt(op),
            self.rules.by_ref(),
        )
    }
}

impl<S: Clone, R: Clone> Clone for Policy<S, R> {
    fn clone(&self) -> Self {
        Policy { schedule: self.schedule.clone(), rules: self.rules.clone() }
    }
}

impl<S: fmt::Debug, R: fmt::Debug> fmt::Debug for Policy<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("schedule", &self.schedule)
            .field("rules", &self.rules)
            .finish()
    }
}
