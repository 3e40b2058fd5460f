//! The retry builder both flavours share, written once with its docs: the struct, its
//! constructor and the setters that do not depend on how the flavour runs.

/// Emits a flavour's `Retry` builder: the struct (`$DefaultSleep` is the flavour's default
/// sleep, `$runs` says how to run it), `new`, the hook and limit setters, `clock`, and
/// `with_sleep`, which the flavour's own `sleep` setter calls.
macro_rules! builder {
    ($DefaultSleep:ident, $runs:literal) => {
        #[doc = concat!("A retry being configured; ", $runs, ".")]
        ///
        /// `S` is the schedule, `Op` the operation, `H` its [`Hooks`]; `Sl` and `C` are the
        /// sleep and the clock when [`sleep`](Retry::sleep) or [`clock`](Retry::clock)
        /// replaced the defaults, `L` the [`Limits`](crate::hooks::Limits) once one is set.
        #[must_use = "a retry does nothing until `call` runs it"]
        pub struct Retry<S, Op, H, L = Unset, Sl = $DefaultSleep, C = SystemClock> {
            run: Run<S>,
            op: Op,
            hooks: H,
            limits: L,
            sleep: Sl,
            clock: C,
        }

        impl<S: Iterator<Item = Duration>, Op, H, L> Retry<S, Op, H, L> {
            #[inline]
            pub(crate) fn new(schedule: impl IntoIterator<IntoIter = S>, op: Op, hooks: H, limits: L) -> Self {
                let run = Run::new(schedule);
                Retry { run, op, hooks, limits, sleep: $DefaultSleep, clock: SystemClock }
            }
        }

        impl<S, Op, E, W, N, A, G, T, L, Sl, C> Retry<S, Op, Hooks<E, W, N, A, G, T>, L, Sl, C> {
            #[inline]
            fn map_hooks<H2>(
                self,
                f: impl FnOnce(Hooks<E, W, N, A, G, T>) -> H2,
            ) -> Retry<S, Op, H2, L, Sl, C> {
                let Retry { run, op, hooks, limits, sleep, clock } = self;
                Retry { run, op, hooks: f(hooks), limits, sleep, clock }
            }

            $crate::retry::builder::hook_setters!();
        }

        impl<S, Op, H, Sl, C, L: LimitSlot> Retry<S, Op, H, L, Sl, C> {
            $crate::retry::builder::limit_setters!(Retry<S, Op, H, Limits, Sl, C>);

            #[inline]
            fn map_limits(self, f: impl FnOnce(&mut Limits)) -> Retry<S, Op, H, Limits, Sl, C> {
                let Retry { run, op, hooks, limits, sleep, clock } = self;
                let mut limits = limits.into_limits();
                f(&mut limits);
                Retry { run, op, hooks, limits, sleep, clock }
            }
        }

        impl<S, Op, H, L, Sl, C> Retry<S, Op, H, L, Sl, C> {
            /// Read time from `clock` instead of the system clock (for `max_elapsed` and
            /// [`Attempt`]).
            #[inline]
            pub fn clock<C2: Clock>(self, clock: C2) -> Retry<S, Op, H, L, Sl, C2> {
                let Retry { run, op, hooks, limits, sleep, .. } = self;
                Retry { run, op, hooks, limits, sleep, clock }
            }

            #[inline]
            fn with_sleep<Sl2>(self, sleep: Sl2) -> Retry<S, Op, H, L, Sl2, C> {
                let Retry { run, op, hooks, limits, clock, .. } = self;
                Retry { run, op, hooks, limits, sleep, clock }
            }
        }
    };
}
pub(crate) use builder;

/// The hook setters of a flavour's `Retry<S, Op, Hooks<E, W, N, A, G, T>, L, Sl, C>`; invoked
/// inside that `impl`, whose type has a `map_hooks` method.
macro_rules! hook_setters {
    () => {
        /// Retry only the errors for which `f` returns `true`; any other error is returned
        /// at once. By default every error is retried. `f` may instead return an
        /// `Option<RetryKind>`, to tell a budget which errors were timeouts (see
        /// [`Verdict`](crate::hooks::Verdict)).
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
        #[inline]
        pub fn when<F, R>(self, f: F) -> Retry<S, Op, Hooks<E, F, N, A, G, T>, L, Sl, C>
        where
            F: Fn(&E) -> R,
            R: $crate::hooks::Verdict,
        {
            self.map_hooks(|h| h.when(f))
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
        ///     .notify(|e, delay| seen.borrow_mut().push((*e, delay)))
        ///     .sleep(|_| {})
        ///     .call();
        /// let ms = Duration::from_millis;
        /// assert_eq!(seen.into_inner(), [("busy", ms(10)), ("busy", ms(20)), ("busy", ms(40))]);
        /// ```
        #[inline]
        pub fn notify<F: Fn(&E, Duration)>(
            self,
            f: F,
        ) -> Retry<S, Op, Hooks<E, W, F, A, G, T>, L, Sl, C> {
            self.map_hooks(|h| h.notify(f))
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
        /// .adjust(|e, _| e.retry_after)
        /// .adjust_ceiling(Duration::from_secs(30))
        /// .sleep(|d| slept.borrow_mut().push(d))
        /// .call();
        /// assert_eq!(slept.into_inner(), [Duration::from_secs(30); 2]);
        /// ```
        #[inline]
        pub fn adjust<F: Fn(&E, Duration) -> Option<Duration>>(
            self,
            f: F,
        ) -> Retry<S, Op, Hooks<E, W, N, F, G, T>, L, Sl, C> {
            self.map_hooks(|h| h.adjust(f))
        }

        /// Call `f` with the final error and the [`Report`](crate::Report) (attempts, time
        /// slept, and why it stopped) when the retry returns an error, for whatever reason:
        /// the place for a dead-letter queue, which can tell an error that was never
        /// retryable from one that ran out of retries.
        ///
        /// ```
        /// use persevere::{blocking, Fixed, Stop};
        /// use std::{cell::RefCell, time::Duration};
        ///
        /// let dead_letters = RefCell::new(Vec::new());
        /// let _ = blocking::retry(Fixed::new(Duration::ZERO).max_retries(2), || Err::<(), _>("rejected"))
        ///     .on_give_up(|e, report| dead_letters.borrow_mut().push((e.to_string(), report.attempts, report.stop)))
        ///     .call();
        /// assert_eq!(dead_letters.into_inner(), [("rejected".to_string(), 3, Stop::ScheduleExhausted)]);
        /// ```
        #[inline]
        pub fn on_give_up<F: Fn(&E, &crate::Report)>(
            self,
            f: F,
        ) -> Retry<S, Op, Hooks<E, W, N, A, F, T>, L, Sl, C> {
            self.map_hooks(|h| h.on_give_up(f))
        }
    };
}
pub(crate) use hook_setters;

/// The setters of the limits, for a type with a `map_limits` method returning `$Out`: the
/// flavours' `Retry` builders and [`Policy`](crate::Policy).
macro_rules! limit_setters {
    ($Out:ty) => {
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
        #[inline]
        pub fn max_elapsed(self, limit: Duration) -> $Out {
            self.map_limits(|l| l.max_elapsed = Some(limit))
        }

        /// The longest delay `adjust` may set, by default
        /// [`DEFAULT_ADJUST_CEILING`](crate::DEFAULT_ADJUST_CEILING) (300 s).
        ///
        /// ```
        /// use persevere::{blocking, Fixed};
        /// use std::time::Duration;
        ///
        /// let mut slept = Vec::new();
        /// let _ = blocking::retry(Fixed::new(Duration::ZERO).max_retries(1), || Err::<(), _>("busy"))
        ///     .adjust(|_, _| Some(Duration::from_secs(3600)))
        ///     .adjust_ceiling(Duration::from_secs(9))
        ///     .sleep(|d| slept.push(d))
        ///     .call();
        /// assert_eq!(slept, [Duration::from_secs(9)]);
        /// ```
        #[inline]
        pub fn adjust_ceiling(self, ceiling: Duration) -> $Out {
            self.map_limits(|l| l.adjust_ceiling = ceiling)
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
        #[inline]
        pub fn sole_layer(self) -> $Out {
            self.map_limits(|l| l.sole_layer = true)
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
        #[inline]
        pub fn budget(self, budget: &crate::budget::RetryBudget) -> $Out {
            let budget = budget.clone();
            self.map_limits(|l| l.budget = Some(budget))
        }

        /// Name the operation: every log line of this retry begins with `name`, and the
        /// retry's metrics carry it as their `operation` label. A `&'static str`, so that
        /// the labels stay few.
        ///
        /// ```
        /// use persevere::{blocking, Fixed};
        /// use std::time::Duration;
        ///
        /// // Logs "charge_card: attempt 1/3 failed: card network timeout; retrying in 1ms".
        /// let result = blocking::retry(Fixed::new(Duration::from_millis(1)).max_retries(2), || {
        ///     Err::<(), _>("card network timeout")
        /// })
        /// .name("charge_card")
        /// .call();
        /// assert!(result.is_err());
        /// ```
        #[inline]
        pub fn name(self, name: &'static str) -> $Out {
            self.map_limits(|l| l.name = Some($crate::retry::limits::Name::Static(name)))
        }

        /// The level of the line logged for each failed attempt that is retried (default
        /// `Warn`): a database client may want `Error`, a chatty API `Info`. The success
        /// line stays at `Info`, giving up at `Error` and not retrying at `Debug`.
        ///
        /// ```
        /// use persevere::{blocking, Fixed};
        /// use std::time::Duration;
        ///
        /// let _ = blocking::retry(Fixed::new(Duration::ZERO).max_retries(1), || Err::<(), _>("deadlock"))
        ///     .name("orders_db")
        ///     .log_level(log::Level::Error)
        ///     .call();
        /// ```
        #[inline]
        pub fn log_level(self, level: log::Level) -> $Out {
            self.map_limits(|l| l.level = level)
        }
    };
}
pub(crate) use limit_setters;
