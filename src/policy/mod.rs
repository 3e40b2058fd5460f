//! [`Policy`]: one retry configuration, kept once and applied at many call sites, and its
//! text form for configuration ([`PolicyConfig`], [`Policy::from_env`]).

mod config;

pub use crate::retry::DEFAULT_ADJUST_CEILING;
pub use config::{ConfigError, PolicyConfig};

use core::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::budget::RetryKind;
use crate::retry::hooks::Limits;
use crate::retry::hooks::{RetryHooks, Timing, Verdict};
use crate::retry::{Plain, WithAttempt, blocking, future};
use crate::{Attempt, Report, Stop};

/// A retry configuration defined once and applied at many call sites, blocking or async.
///
/// It holds a schedule (cloned for each call), the hooks and the limits; its setters are
/// the adapters' own. Its type names only the schedule and the error, so a policy lives
/// happily in a struct field, a `static` or an `Arc`, and is shared by every thread and task
/// that uses it: the hooks must then be `Send + Sync + 'static` (for hooks that borrow from a
/// call site, set them on the adapters' builders instead).
///
/// ```
/// use persevere::{Exponential, Jitter, Jittered, Policy};
/// use std::time::Duration;
///
/// #[derive(Debug)]
/// struct ApiError { status: u16, retry_after: Option<Duration> }
/// # impl std::fmt::Display for ApiError { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { write!(f, "HTTP {}", self.status) } }
///
/// impl ApiError {
///     fn is_retryable(&self) -> bool {
///         self.status == 429 || self.status >= 500
///     }
/// }
///
/// struct Client {
///     retry: Policy<Jittered<Exponential>, ApiError>,
/// }
///
/// let client = Client {
///     retry: Policy::new(Exponential::new(Duration::from_millis(1)).jitter(Jitter::Full))
///         .when(ApiError::is_retryable)
///         .adjust(|e, _| e.retry_after),
/// };
///
/// let mut replies = vec![Ok("body"), Err(ApiError { status: 503, retry_after: None })];
/// let body = client.retry.retry(|| replies.pop().unwrap()).call()?;
/// assert_eq!(body, "body");
///
/// // The same policy, from another thread and in async code.
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         let n = futures::executor::block_on(client.retry.retry_async(|| async { Ok(7) }).call());
///         assert_eq!(n.unwrap(), 7);
///     });
/// });
/// # Ok::<(), ApiError>(())
/// ```
pub struct Policy<S, E> {
    schedule: S,
    hooks: SharedHooks<E>,
    limits: Limits,
}

/// The hooks of a [`Policy`], shared by every call that uses it.
///
/// Each hook is kept behind an `Arc`, so that the policy's type does not depend on the
/// closures given to it; a call borrows them and allocates nothing.
// The field types are the hooks' signatures; aliases would only hide them.
#[allow(clippy::type_complexity)]
pub struct SharedHooks<E> {
    when: Option<Arc<dyn Fn(&E) -> Result<RetryKind, Stop> + Send + Sync>>,
    notify: Option<Arc<dyn Fn(&E, Duration) + Send + Sync>>,
    adjust: Option<Arc<dyn Fn(&E, Duration) -> Option<Duration> + Send + Sync>>,
    give_up: Option<Arc<dyn Fn(&E, &Report) + Send + Sync>>,
    timeout: Option<(Duration, Arc<dyn Fn() -> E + Send + Sync>)>,
}

impl<E> crate::retry::hooks::sealed::Sealed for SharedHooks<E> {}

impl<E> Timing for SharedHooks<E> {
    type Timer<F: Future<Output = ()>> = Option<F>;
    type Armed<'a, F: Future<Output = ()> + 'a> =
        (Option<(Pin<&'a mut F>, Arc<dyn Fn() -> E + Send + Sync>)>, bool);

    #[inline]
    fn attempt_timeout(&self) -> Option<Duration> {
        self.timeout.as_ref().map(|(limit, _)| *limit)
    }

    #[inline]
    fn timer<F: Future<Output = ()>>(&self, sleep: impl FnOnce(Duration) -> F) -> Option<F> {
        self.attempt_timeout().map(sleep)
    }

    #[inline]
    fn arm<'a, F: Future<Output = ()> + 'a>(
        &self,
        timer: Pin<&'a mut Option<F>>,
        sole: bool,
    ) -> Self::Armed<'a, F> {
        (timer.as_pin_mut().zip(self.timeout.as_ref().map(|(_, error)| error.clone())), sole)
    }

    #[inline]
    fn sole<F: Future<Output = ()>>((_, sole): &Self::Armed<'_, F>) -> bool {
        *sole
    }
}

impl<E> RetryHooks<E> for SharedHooks<E> {
    #[inline]
    fn verdict(&self, error: &E) -> Result<RetryKind, Stop> {
        match &self.when {
            Some(when) => when(error),
            None => Ok(RetryKind::Normal),
        }
    }

    #[inline]
    fn notify(&self, error: &E, delay: Duration) {
        if let Some(notify) = &self.notify {
            notify(error, delay);
        }
    }

    #[inline]
    fn adjust(&self, error: &E, delay: Duration) -> Option<Duration> {
        self.adjust.as_ref().and_then(|adjust| adjust(error, delay))
    }

    #[inline]
    fn give_up(&self, error: &E, report: &Report) {
        if let Some(give_up) = &self.give_up {
            give_up(error, report);
        }
    }

    #[inline]
    fn poll_timeout<F: Future<Output = ()>>(
        armed: &mut Self::Armed<'_, F>,
        cx: &mut Context<'_>,
    ) -> Poll<E> {
        match armed {
            (Some((timer, error)), _) => timer.as_mut().poll(cx).map(|()| error()),
            (None, _) => Poll::Pending,
        }
    }
}

impl<S, E> Policy<S, E> {
    /// A policy that retries every error on `schedule`, with no hooks.
    pub fn new(schedule: S) -> Self {
        Policy {
            schedule,
            hooks: SharedHooks {
                when: None,
                notify: None,
                adjust: None,
                give_up: None,
                timeout: None,
            },
            limits: Limits::default(),
        }
    }

    /// Replace the schedule, keeping the hooks and limits: a preset with other delays.
    ///
    /// ```
    /// use persevere::{Fixed, Policy};
    /// use std::time::Duration;
    ///
    /// let patient = Policy::network().schedule(Fixed::new(Duration::from_secs(5)).max_retries(10));
    /// # drop(patient);
    /// ```
    pub fn schedule<S2>(self, schedule: S2) -> Policy<S2, E> {
        Policy { schedule, hooks: self.hooks, limits: self.limits }
    }

    /// Retry only the errors for which `f` returns `true` (or a [`RetryKind`]); see
    /// [`blocking::Retry::when`](crate::blocking::Retry::when).
    pub fn when<R: Verdict>(mut self, f: impl Fn(&E) -> R + Send + Sync + 'static) -> Self {
        self.hooks.when = Some(Arc::new(move |e| f(e).kind()));
        self
    }

    /// Call `f` with the error and the delay about to be slept; see
    /// [`blocking::Retry::notify`](crate::blocking::Retry::notify).
    pub fn notify(mut self, f: impl Fn(&E, Duration) + Send + Sync + 'static) -> Self {
        self.hooks.notify = Some(Arc::new(f));
        self
    }

    /// Let an error choose the next delay; see
    /// [`blocking::Retry::adjust`](crate::blocking::Retry::adjust).
    pub fn adjust(
        mut self,
        f: impl Fn(&E, Duration) -> Option<Duration> + Send + Sync + 'static,
    ) -> Self {
        self.hooks.adjust = Some(Arc::new(f));
        self
    }

    /// Call `f` with the final error and the [`Report`] when a retry returns an error; see
    /// [`blocking::Retry::on_give_up`](crate::blocking::Retry::on_give_up).
    pub fn on_give_up(mut self, f: impl Fn(&E, &Report) + Send + Sync + 'static) -> Self {
        self.hooks.give_up = Some(Arc::new(f));
        self
    }

    /// End each attempt of an async retry after `limit`, failing it with `on_timeout()`; see
    /// [`future::Retry::attempt_timeout`](crate::future::Retry::attempt_timeout). Blocking
    /// retries of the policy do not use it: a thread cannot be cancelled (hand
    /// [`Attempt::time_left`] or your own limit to the I/O's timeout instead).
    pub fn attempt_timeout(
        mut self,
        limit: Duration,
        on_timeout: impl Fn() -> E + Send + Sync + 'static,
    ) -> Self {
        self.hooks.timeout = Some((limit, Arc::new(on_timeout)));
        self
    }

    crate::retry::builder::limit_setters!(Self);

    fn map_limits(mut self, f: impl FnOnce(&mut Limits)) -> Self {
        f(&mut self.limits);
        self
    }

    /// A blocking retry of `op` under this policy; see [`blocking::retry`].
    pub fn retry<T, Op>(
        &self,
        op: Op,
    ) -> blocking::Retry<S::IntoIter, Plain<Op>, &SharedHooks<E>, Limits>
    where
        S: Clone + IntoIterator<Item = Duration>,
        Op: FnMut() -> Result<T, E>,
    {
        blocking::Retry::new(self.schedule.clone(), Plain(op), &self.hooks, self.limits.clone())
    }

    /// Like [`retry`](Self::retry), handing the operation its [`Attempt`].
    pub fn retry_with<T, Op>(
        &self,
        op: Op,
    ) -> blocking::Retry<S::IntoIter, WithAttempt<Op>, &SharedHooks<E>, Limits>
    where
        S: Clone + IntoIterator<Item = Duration>,
        Op: FnMut(Attempt) -> Result<T, E>,
    {
        blocking::Retry::new(
            self.schedule.clone(),
            WithAttempt(op),
            &self.hooks,
            self.limits.clone(),
        )
    }

    /// An async retry of `op` under this policy; see [`future::retry`].
    pub fn retry_async<T, Op, Fut>(
        &self,
        op: Op,
    ) -> future::Retry<S::IntoIter, Plain<Op>, &SharedHooks<E>, Limits>
    where
        S: Clone + IntoIterator<Item = Duration>,
        Op: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        future::Retry::new(self.schedule.clone(), Plain(op), &self.hooks, self.limits.clone())
    }

    /// Like [`retry_async`](Self::retry_async), handing the operation its [`Attempt`].
    pub fn retry_async_with<T, Op, Fut>(
        &self,
        op: Op,
    ) -> future::Retry<S::IntoIter, WithAttempt<Op>, &SharedHooks<E>, Limits>
    where
        S: Clone + IntoIterator<Item = Duration>,
        Op: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        future::Retry::new(self.schedule.clone(), WithAttempt(op), &self.hooks, self.limits.clone())
    }
}

impl<E> Clone for SharedHooks<E> {
    fn clone(&self) -> Self {
        SharedHooks {
            when: self.when.clone(),
            notify: self.notify.clone(),
            adjust: self.adjust.clone(),
            give_up: self.give_up.clone(),
            timeout: self.timeout.clone(),
        }
    }
}

impl<S: Clone, E> Clone for Policy<S, E> {
    fn clone(&self) -> Self {
        Policy {
            schedule: self.schedule.clone(),
            hooks: self.hooks.clone(),
            limits: self.limits.clone(),
        }
    }
}

/// Says which hooks are set.
impl<E> fmt::Debug for SharedHooks<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedHooks")
            .field("when", &self.when.is_some())
            .field("notify", &self.notify.is_some())
            .field("adjust", &self.adjust.is_some())
            .field("on_give_up", &self.give_up.is_some())
            .field("attempt_timeout", &Timing::attempt_timeout(self))
            .finish()
    }
}

impl<S: fmt::Debug, E> fmt::Debug for Policy<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("schedule", &self.schedule)
            .field("hooks", &self.hooks)
            .field("max_elapsed", &self.limits.max_elapsed)
            .field("adjust_ceiling", &self.limits.adjust_ceiling)
            .field("sole_layer", &self.limits.sole_layer)
            .field("budget", &self.limits.budget.is_some())
            .finish()
    }
}
