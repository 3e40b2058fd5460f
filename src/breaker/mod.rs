//! A circuit breaker: stop calling a service that keeps failing, and probe it now and then
//! to learn when it is back.
//!
//! ```
//! use persevere::breaker::{BreakerError, CircuitBreaker, State};
//! use persevere::clock::ManualClock;
//! use std::time::Duration;
//!
//! let clock = ManualClock::new();
//! let breaker = CircuitBreaker::builder()
//!     .consecutive_failures(3)
//!     .break_duration(Duration::from_secs(30))
//!     .clock(clock.clone())
//!     .build();
//!
//! // Three failures in a row open the breaker...
//! for _ in 0..3 {
//!     assert!(matches!(breaker.call(|| Err::<(), _>("refused")), Err(BreakerError::Inner(_))));
//! }
//! assert_eq!(breaker.state(), State::Open);
//!
//! // ...so the next call is refused without running, and says when to come back.
//! let err = breaker.call(|| Ok::<_, &str>("never runs")).unwrap_err();
//! assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
//!
//! // After the break one probe goes through; its success closes the breaker.
//! clock.advance(Duration::from_secs(30));
//! assert_eq!(breaker.call(|| Ok::<_, &str>("back")), Ok("back"));
//! assert_eq!(breaker.state(), State::Closed);
//! ```
//!
//! # The model
//!
//! * **Closed**: calls run and their outcomes are counted. The breaker opens after
//!   [`consecutive_failures`](Builder::consecutive_failures) failures in a row, or, when
//!   [`failure_ratio`](Builder::failure_ratio) is set, when a failure brings the share of
//!   failed calls in the [`sampling_window`](Builder::sampling_window) to the ratio or above
//!   while the window holds at least [`minimum_calls`](Builder::minimum_calls) calls.
//! * **Open**: every call is refused with [`Rejected`], which carries how long until the
//!   next probe. The breaker stays open for [`break_duration`](Builder::break_duration).
//! * **Half-open**: the first call after the break turns the breaker half-open and runs as a
//!   probe. At most [`max_probes`](Builder::max_probes) probes are in flight at once; the
//!   rest are refused. A probe failure reopens the breaker for another break;
//!   [`probe_successes`](Builder::probe_successes) probe successes close it, with a fresh
//!   failure count and an empty window.
//!
//! This is the model of Polly v8's circuit breaker (the ratio over a sliding window with a
//! minimum throughput, a break, probes; the "ratio or above" comparison) and of
//! resilience4j's (a configurable number of half-open calls), with the consecutive-failure
//! trigger of Polly's classic breaker beside the ratio.
//!
//! Details the model leaves open, settled here:
//!
//! * Open becomes half-open when the first call arrives after the break, not on a timer, so
//!   [`state`](CircuitBreaker::state) reads `Open` until then.
//! * Only outcomes that belong to the current period count. A call let through while closed
//!   that ends after the breaker opened, or a probe that ends after the breaker closed or
//!   reopened, is ignored; a late probe still frees its slot.
//! * An error the failure predicate of [`call_with`](CircuitBreaker::call_with) does not
//!   count is a success: the service answered. A [`Permit`] dropped without a verdict (the
//!   call panicked, or its future was dropped) counts as neither.
//!
//! # Inside other code
//!
//! [`try_acquire`](CircuitBreaker::try_acquire) hands out a [`Permit`] to report on later,
//! for code that cannot be wrapped in a closure. A refused call's
//! [`retry_after`](BreakerError::retry_after) tells a retry how long to wait, or whether to
//! give up:
//!
//! ```
//! use persevere::breaker::{BreakerError, CircuitBreaker};
//! use std::time::Duration;
//!
//! let breaker = CircuitBreaker::new();
//! let fetch = || -> Result<u32, std::io::Error> { Ok(7) };
//! let mut attempts = 0;
//! let value = loop {
//!     attempts += 1;
//!     match breaker.call(fetch) {
//!         Ok(v) => break Some(v),
//!         // Waiting for the breaker is worth it only if it reopens soon.
//!         Err(BreakerError::Rejected(r)) if r.retry_after() > Duration::from_secs(5) => break None,
//!         Err(BreakerError::Rejected(r)) => std::thread::sleep(r.retry_after()),
//!         Err(BreakerError::Inner(_)) if attempts < 3 => continue,
//!         Err(BreakerError::Inner(_)) => break None,
//!     }
//! };
//! assert_eq!(value, Some(7));
//! ```
//!
//! # Cost and threads
//!
//! All methods take `&self`; share a breaker across threads with an `Arc` or a `static`.
//! While closed, letting a call through is one atomic load and recording a success is one
//! more (plus a write only after failures), with no lock, no clock read and no allocation.
//! Failures that may open the breaker, the ratio window, and every half-open or open call
//! take a small mutex. State changes are logged (target `persevere`: `warn!` on opening,
//! `info!` on half-opening and closing) and passed to the
//! [`on_state_change`](Builder::on_state_change) hook, in order.

use std::fmt;
use std::future::Future;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

#[cfg(persevere_loom)]
use loom::sync::{
    Mutex, MutexGuard,
    atomic::{AtomicU64, Ordering},
};
#[cfg(not(persevere_loom))]
use std::sync::{
    Mutex, MutexGuard,
    atomic::{AtomicU64, Ordering},
};

use crate::clock::{Clock, SystemClock};

mod config;
mod error;
mod state;
mod text;
mod window;

pub use config::Builder;
pub use error::{BreakerError, Rejected};
pub use state::State;
pub use text::BreakerConfig;

use config::{Hook, Settings};
use state::Word;
use window::Window;

/// A thread-safe circuit breaker; see the [module docs](self) for the model.
///
/// ```
/// use persevere::breaker::CircuitBreaker;
/// use std::sync::Arc;
///
/// let breaker = Arc::new(CircuitBreaker::builder().name("search").build());
/// let workers: Vec<_> = (0..4)
///     .map(|i| {
///         let breaker = Arc::clone(&breaker);
///         std::thread::spawn(move || breaker.call(|| Ok::<_, std::io::Error>(i * 2)))
///     })
///     .collect();
/// for worker in workers {
///     assert!(worker.join().unwrap().is_ok());
/// }
/// ```
///
/// `C` is where time comes from: the system clock unless the builder's
/// [`clock`](Builder::clock) set another.
pub struct CircuitBreaker<C = SystemClock> {
    word: AtomicU64,
    slow: Mutex<Slow>,
    settings: Settings,
    clock: C,
    /// Time zero for the nanosecond timestamps in `Slow`.
    origin: Instant,
    hook: Option<Hook>,
    name: String,
}

/// The state that changes rarely or needs more than one word; guarded by the mutex.
struct Slow {
    /// When an open breaker may let a probe through, in nanoseconds since `origin`.
    open_until: u64,
    /// Probe permits not yet finished, across all half-open periods.
    probes_in_flight: u32,
    /// Successful probes in the current half-open period.
    probe_successes: u32,
    /// Present when the failure-ratio trigger is on.
    window: Option<Window>,
}

/// Why a transition happened, for the log line.
#[derive(Clone, Copy)]
enum Why {
    ConsecutiveFailures(u32),
    FailureRatio { failures: u64, calls: u64 },
    BreakOver,
    ProbeFailed,
    ProbesSucceeded(u32),
}

impl CircuitBreaker<SystemClock> {
    /// A breaker with the default settings (see [`Builder`]) on the system clock.
    pub fn new() -> Self {
        Builder::new().build()
    }

    /// Starts configuring a breaker.
    pub fn builder() -> Builder<SystemClock> {
        Builder::new()
    }
}

impl Default for CircuitBreaker<SystemClock> {
    fn default() -> Self {
        CircuitBreaker::new()
    }
}

impl<C: Clock> CircuitBreaker<C> {
    pub(crate) fn from_parts(
        settings: Settings,
        clock: C,
        hook: Option<Hook>,
        name: String,
    ) -> Self {
        let origin = clock.now();
        let window = settings.failure_ratio.map(|_| Window::new(settings.sampling_window));
        crate::metrics::breaker(&name, None, State::Closed.circuit());
        CircuitBreaker {
            word: AtomicU64::new(Word::START.0),
            slow: Mutex::new(Slow {
                open_until: 0,
                probes_in_flight: 0,
                probe_successes: 0,
                window,
            }),
            settings,
            clock,
            origin,
            hook,
            name,
        }
    }

    /// The current state.
    ///
    /// An open breaker whose break is over still reads `Open` until a call arrives and
    /// turns it half-open.
    pub fn state(&self) -> State {
        self.load().state()
    }

    /// The name given to the builder, or `""`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `op` if the breaker lets it through, counting every `Err` as a failure.
    ///
    /// ```
    /// use persevere::breaker::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::new();
    /// let n: Result<u8, _> = breaker.call(|| "42".parse::<u8>());
    /// assert_eq!(n, Ok(42));
    /// ```
    pub fn call<T, E, F>(&self, op: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Result<T, E>,
    {
        self.call_with(|_| true, op)
    }

    /// Runs `op` if the breaker lets it through; an error counts as a failure only if
    /// `is_failure` says so, and as a success otherwise.
    ///
    /// ```
    /// use persevere::breaker::{CircuitBreaker, State};
    /// use std::io::{Error, ErrorKind};
    ///
    /// let breaker = CircuitBreaker::builder().consecutive_failures(1).build();
    /// let is_outage = |e: &Error| e.kind() != ErrorKind::NotFound;
    ///
    /// // "Not found" is an answer from a healthy service: the breaker stays closed.
    /// let _ = breaker.call_with(is_outage, || Err::<(), _>(Error::from(ErrorKind::NotFound)));
    /// assert_eq!(breaker.state(), State::Closed);
    ///
    /// let _ = breaker.call_with(is_outage, || Err::<(), _>(Error::from(ErrorKind::TimedOut)));
    /// assert_eq!(breaker.state(), State::Open);
    /// ```
    pub fn call_with<T, E, P, F>(&self, is_failure: P, op: F) -> Result<T, BreakerError<E>>
    where
        P: FnOnce(&E) -> bool,
        F: FnOnce() -> Result<T, E>,
    {
        let permit = self.try_acquire()?;
        let outcome = op();
        permit.finish(&outcome, is_failure);
        outcome.map_err(BreakerError::Inner)
    }

    /// The async form of [`call`](CircuitBreaker::call), for any executor.
    ///
    /// The breaker is asked when the returned future is first polled. Dropping the future
    /// before `op`'s future completes records nothing and frees a probe slot.
    ///
    /// ```
    /// use persevere::breaker::CircuitBreaker;
    ///
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// let breaker = CircuitBreaker::new();
    /// let answer = block_on(breaker.call_async(|| async { Ok::<_, std::io::Error>(42) }));
    /// assert_eq!(answer.unwrap(), 42);
    /// ```
    pub async fn call_async<T, E, F, Fut>(&self, op: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.call_async_with(|_| true, op).await
    }

    /// The async form of [`call_with`](CircuitBreaker::call_with).
    pub async fn call_async_with<T, E, P, F, Fut>(
        &self,
        is_failure: P,
        op: F,
    ) -> Result<T, BreakerError<E>>
    where
        P: FnOnce(&E) -> bool,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let permit = self.try_acquire()?;
        let outcome = op().await;
        permit.finish(&outcome, is_failure);
        outcome.map_err(BreakerError::Inner)
    }

    /// Asks to make one call; report how it went on the returned [`Permit`].
    ///
    /// ```
    /// use persevere::breaker::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::new();
    /// match breaker.try_acquire() {
    ///     Ok(permit) => {
    ///         let healthy = true; // ...make the call...
    ///         if healthy { permit.success() } else { permit.failure() }
    ///     }
    ///     Err(rejected) => println!("skipped; retry in {:?}", rejected.retry_after()),
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Rejected`] while open, or while half-open with every probe slot taken.
    pub fn try_acquire(&self) -> Result<Permit<'_, C>, Rejected> {
        let word = self.load();
        if word.state() == State::Closed {
            return Ok(Permit { breaker: self, epoch: word.epoch(), probe: false, done: false });
        }
        self.acquire_slow()
    }

    fn acquire_slow(&self) -> Result<Permit<'_, C>, Rejected> {
        let mut slow = self.lock();
        let mut word = self.load();
        loop {
            match word.state() {
                // Closed again by the time we got the lock.
                State::Closed => {
                    return Ok(Permit {
                        breaker: self,
                        epoch: word.epoch(),
                        probe: false,
                        done: false,
                    });
                }
                State::Open => {
                    let now = self.now();
                    if now < slow.open_until {
                        let retry_after = Duration::from_nanos(slow.open_until - now);
                        return Err(Rejected { retry_after, state: State::Open });
                    }
                    word = match self.transition(&mut slow, word, State::HalfOpen, Why::BreakOver) {
                        Ok(next) | Err(next) => next,
                    };
                }
                State::HalfOpen => {
                    if slow.probes_in_flight >= self.settings.max_probes {
                        let retry_after = self.settings.break_duration;
                        return Err(Rejected { retry_after, state: State::HalfOpen });
                    }
                    slow.probes_in_flight += 1;
                    return Ok(Permit {
                        breaker: self,
                        epoch: word.epoch(),
                        probe: true,
                        done: false,
                    });
                }
            }
        }
    }

    /// Records a permit's end: `Some(true)` failed, `Some(false)` succeeded, `None` unknown.
    fn finish(&self, epoch: u32, probe: bool, failed: Option<bool>) {
        if probe {
            self.finish_probe(epoch, failed);
            return;
        }
        match failed {
            None => {}
            Some(failed) if self.settings.failure_ratio.is_some() => {
                // Read the clock before locking: it is half the cost of this path.
                let now = self.now();
                let mut slow = self.lock();
                self.closed_outcome_locked(&mut slow, epoch, failed, Some(now));
            }
            Some(true) => self.closed_failure(epoch),
            Some(false) => self.closed_success(epoch),
        }
    }

    /// A success while closed ends the failure run; without failures there is nothing to
    /// write, which keeps the healthy path free of cache-line traffic.
    fn closed_success(&self, epoch: u32) {
        let mut word = self.load();
        while word.state() == State::Closed && word.epoch() == epoch && word.failures() != 0 {
            match self.swap_word(word, word.with_failures(0)) {
                Ok(()) => return,
                Err(now) => word = now,
            }
        }
    }

    /// A failure while closed lengthens the run lock-free, unless it completes the run.
    fn closed_failure(&self, epoch: u32) {
        let mut word = self.load();
        loop {
            if word.state() != State::Closed || word.epoch() != epoch {
                return;
            }
            let run = word.failures().saturating_add(1);
            if run >= self.settings.consecutive_failures {
                break;
            }
            match self.swap_word(word, word.with_failures(run)) {
                Ok(()) => return,
                Err(now) => word = now,
            }
        }
        // Opening happens under the lock; a success may have reset the run meanwhile, so
        // the locked path counts this failure afresh.
        let mut slow = self.lock();
        self.closed_outcome_locked(&mut slow, epoch, true, None);
    }

    /// Counts a closed-period outcome under the lock; `now` is when it ended, if known.
    fn closed_outcome_locked(&self, slow: &mut Slow, epoch: u32, failed: bool, now: Option<u64>) {
        let mut word = self.load();
        // State and epoch change only under the lock we hold, so this check stays true.
        if word.state() != State::Closed || word.epoch() != epoch {
            return;
        }
        let mut ratio_trip = None;
        if let (Some(window), Some(ratio)) = (&mut slow.window, self.settings.failure_ratio) {
            let now = now.unwrap_or_else(|| self.now());
            window.record(now, failed);
            let (calls, failures) = window.totals(now);
            if failed
                && calls >= u64::from(self.settings.minimum_calls)
                && failures as f64 >= ratio * calls as f64
            {
                ratio_trip = Some(Why::FailureRatio { failures, calls });
            }
        }
        loop {
            let run = if failed { word.failures().saturating_add(1) } else { 0 };
            let why = if failed && run >= self.settings.consecutive_failures {
                Some(Why::ConsecutiveFailures(run))
            } else {
                ratio_trip
            };
            // Only the failure run can move under us (lock-free updates from other threads);
            // if it did, decide again on the run as it is now.
            let moved = match why {
                Some(why) => self.transition(slow, word, State::Open, why).err(),
                None if run == word.failures() => None,
                None => self.swap_word(word, word.with_failures(run)).err(),
            };
            match moved {
                None => return,
                Some(now) => word = now,
            }
        }
    }

    fn finish_probe(&self, epoch: u32, failed: Option<bool>) {
        let mut slow = self.lock();
        slow.probes_in_flight = slow.probes_in_flight.saturating_sub(1);
        let word = self.load();
        if word.state() != State::HalfOpen || word.epoch() != epoch {
            return;
        }
        match failed {
            None => {}
            Some(true) => {
                let _ = self.transition(&mut slow, word, State::Open, Why::ProbeFailed);
            }
            Some(false) => {
                slow.probe_successes = slow.probe_successes.saturating_add(1);
                if slow.probe_successes >= self.settings.probe_successes {
                    let why = Why::ProbesSucceeded(slow.probe_successes);
                    let _ = self.transition(&mut slow, word, State::Closed, why);
                }
            }
        }
    }

    /// Moves from `from` to `to`, unless the word is no longer `from`: then nothing happens
    /// and the word found comes back, for the caller to decide again.
    ///
    /// The caller holds the lock (`slow`), which makes this the only writer of state and
    /// epoch, so only a closed breaker's failure run can have moved; in the other states the
    /// swap cannot fail. Deciding on a plain load and then storing would be wrong: the load
    /// may miss a success that just reset the run. Logs, reports metrics and calls the hook
    /// before the lock is released, so that observers see transitions in the order they
    /// happened.
    fn transition(&self, slow: &mut Slow, from: Word, to: State, why: Why) -> Result<Word, Word> {
        let next = from.next(to);
        self.word
            .compare_exchange(from.0, next.0, Ordering::AcqRel, Ordering::Acquire)
            .map_err(Word)?;
        match to {
            State::Open => {
                let pause =
                    u64::try_from(self.settings.break_duration.as_nanos()).unwrap_or(u64::MAX);
                slow.open_until = self.now().saturating_add(pause);
            }
            State::HalfOpen => slow.probe_successes = 0,
            State::Closed => {
                if let Some(window) = &mut slow.window {
                    window.clear();
                }
            }
        }
        self.announce(from.state(), to, why);
        Ok(next)
    }

    fn announce(&self, from: State, to: State, why: Why) {
        let name = Label(&self.name);
        let pause = self.settings.break_duration;
        match why {
            Why::ConsecutiveFailures(n) => log::warn!(
                target: "persevere",
                "circuit breaker{name} opened after {n} consecutive failure{}; next probe in {pause:?}",
                plural(n)
            ),
            Why::FailureRatio { failures, calls } => log::warn!(
                target: "persevere",
                "circuit breaker{name} opened: {failures} of the last {calls} calls failed; next probe in {pause:?}"
            ),
            Why::BreakOver => {
                let n = self.settings.max_probes;
                log::info!(
                    target: "persevere",
                    "circuit breaker{name} half-open: letting up to {n} probe call{} through",
                    plural(n)
                );
            }
            Why::ProbeFailed => log::warn!(
                target: "persevere",
                "circuit breaker{name} reopened: a probe call failed; next probe in {pause:?}"
            ),
            Why::ProbesSucceeded(n) => log::info!(
                target: "persevere",
                "circuit breaker{name} closed after {n} successful probe call{}",
                plural(n)
            ),
        }
        crate::metrics::breaker(&self.name, Some(from.circuit()), to.circuit());
        if let Some(hook) = &self.hook {
            hook(from, to);
        }
    }

    fn load(&self) -> Word {
        Word(self.word.load(Ordering::Acquire))
    }

    /// Compare-and-swap on the word; on failure, the word found instead.
    fn swap_word(&self, current: Word, new: Word) -> Result<(), Word> {
        self.word
            .compare_exchange_weak(current.0, new.0, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
            .map_err(Word)
    }

    fn lock(&self) -> MutexGuard<'_, Slow> {
        // A panicking hook poisons the lock only after the transition is complete, so the
        // data behind it is still consistent.
        self.slow.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Nanoseconds since the breaker was built; a clock that goes back reads as 0.
    fn now(&self) -> u64 {
        let since = self.clock.now().saturating_duration_since(self.origin);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }
}

impl<C> fmt::Debug for CircuitBreaker<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("state", &Word(self.word.load(Ordering::Acquire)).state())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Leave to make one call through a [`CircuitBreaker`]; from
/// [`try_acquire`](CircuitBreaker::try_acquire).
///
/// Report the outcome with [`success`](Permit::success) or [`failure`](Permit::failure).
/// Dropping the permit without either records nothing and frees its probe slot, so a call
/// that panics or is cancelled does not wedge a half-open breaker.
#[must_use = "report the outcome with `success` or `failure`; a dropped permit records nothing"]
pub struct Permit<'a, C: Clock = SystemClock> {
    breaker: &'a CircuitBreaker<C>,
    epoch: u32,
    probe: bool,
    done: bool,
}

impl<C: Clock> Permit<'_, C> {
    /// Whether this call is a half-open probe.
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// The call succeeded.
    pub fn success(mut self) {
        self.done = true;
        self.breaker.finish(self.epoch, self.probe, Some(false));
    }

    /// The call failed.
    pub fn failure(mut self) {
        self.done = true;
        self.breaker.finish(self.epoch, self.probe, Some(true));
    }

    fn finish<T, E>(self, outcome: &Result<T, E>, is_failure: impl FnOnce(&E) -> bool) {
        match outcome {
            Err(e) if is_failure(e) => self.failure(),
            _ => self.success(),
        }
    }
}

impl<C: Clock> Drop for Permit<'_, C> {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.finish(self.epoch, self.probe, None);
        }
    }
}

impl<C: Clock> fmt::Debug for Permit<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").field("probe", &self.probe).finish_non_exhaustive()
    }
}

/// The breaker's name as it appears in log lines: ` 'name'`, or nothing.
struct Label<'a>(&'a str);

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() { Ok(()) } else { write!(f, " '{}'", self.0) }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}
