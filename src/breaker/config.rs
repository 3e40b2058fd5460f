//! Settings, their defaults and checks, and the builder that assembles a breaker.

use std::fmt;
use std::time::Duration;

use super::{CircuitBreaker, State};
use crate::clock::{Clock, SystemClock};

pub(crate) type Hook = Box<dyn Fn(State, State) + Send + Sync>;

/// Validated settings; read on every call, so kept small and `Copy`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Settings {
    pub(crate) consecutive_failures: u32,
    /// `None` until `failure_ratio` turns the ratio trigger on.
    pub(crate) failure_ratio: Option<f64>,
    pub(crate) sampling_window: Duration,
    pub(crate) minimum_calls: u32,
    pub(crate) break_duration: Duration,
    pub(crate) max_probes: u32,
    pub(crate) probe_successes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            consecutive_failures: 5,
            failure_ratio: None,
            sampling_window: Duration::from_secs(30),
            minimum_calls: 100,
            break_duration: Duration::from_secs(30),
            max_probes: 1,
            probe_successes: 1,
        }
    }
}

/// The shortest sampling window: ten slices of at least a millisecond each.
const MIN_SAMPLING_WINDOW: Duration = Duration::from_millis(10);

/// A refused setting: its name, its value and what was expected. The builder panics with
/// this message and the text form reports it at the value's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Invalid {
    setting: &'static str,
    value: String,
    expected: &'static str,
}

impl Invalid {
    fn new(setting: &'static str, value: impl fmt::Debug, expected: &'static str) -> Self {
        Invalid { setting, value: format!("{value:?}"), expected }
    }

    /// Panics with the message, blaming the caller of the setter.
    #[track_caller]
    fn refuse(self) -> ! {
        panic!("{self}")
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} {}: expected {}", self.setting, self.value, self.expected)
    }
}

/// Unwraps a checked setting, or panics with its message at the setter's caller.
#[track_caller]
fn checked<T>(result: Result<T, Invalid>) -> T {
    match result {
        Ok(value) => value,
        Err(invalid) => invalid.refuse(),
    }
}

/// Checks a count that must be at least 1 (every count setting).
pub(crate) fn check_count(setting: &'static str, n: u32) -> Result<u32, Invalid> {
    if n == 0 { Err(Invalid::new(setting, n, "at least 1")) } else { Ok(n) }
}

/// Checks a failure ratio: above 0 and at most 1.
pub(crate) fn check_ratio(ratio: f64) -> Result<f64, Invalid> {
    // Written so that NaN fails the test too.
    if ratio > 0.0 && ratio <= 1.0 {
        Ok(ratio)
    } else {
        Err(Invalid::new("failure_ratio", ratio, "a number above 0 and at most 1"))
    }
}

/// Checks a sampling window: at least 10 ms.
pub(crate) fn check_window(window: Duration) -> Result<Duration, Invalid> {
    if window < MIN_SAMPLING_WINDOW {
        Err(Invalid::new("sampling_window", window, "at least 10ms"))
    } else {
        Ok(window)
    }
}

/// Checks a break duration: more than zero.
pub(crate) fn check_break(duration: Duration) -> Result<Duration, Invalid> {
    if duration.is_zero() {
        Err(Invalid::new("break_duration", duration, "more than zero"))
    } else {
        Ok(duration)
    }
}

/// Configures a [`CircuitBreaker`]; start from [`CircuitBreaker::builder`].
///
/// | setting | default | meaning |
/// |---|---|---|
/// | [`consecutive_failures`](Builder::consecutive_failures) | 5 | failures in a row that open a closed breaker |
/// | [`failure_ratio`](Builder::failure_ratio) | off | share of failed calls in the sampling window that opens it |
/// | [`sampling_window`](Builder::sampling_window) | 30 s | how far back the ratio looks |
/// | [`minimum_calls`](Builder::minimum_calls) | 100 | calls the window must hold before the ratio counts |
/// | [`break_duration`](Builder::break_duration) | 30 s | how long it stays open before probing |
/// | [`max_probes`](Builder::max_probes) | 1 | probe calls in flight at once while half-open |
/// | [`probe_successes`](Builder::probe_successes) | 1 | successful probes that close it again |
///
/// The ratio settings follow the two best-known breakers: a 30 s window is Polly v8's
/// default, a minimum of 100 calls is both Polly v8's and resilience4j's, and both open at
/// the ratio or above. The 5-failure run, the 30 s break and the single probe are this
/// crate's choices, picked to stop hammering a dead service quickly while still probing it
/// twice a minute.
///
/// ```
/// use persevere::breaker::CircuitBreaker;
/// use std::time::Duration;
///
/// let breaker = CircuitBreaker::builder()
///     .consecutive_failures(3)
///     .failure_ratio(0.5)
///     .sampling_window(Duration::from_secs(10))
///     .minimum_calls(20)
///     .break_duration(Duration::from_secs(5))
///     .max_probes(2)
///     .probe_successes(2)
///     .name("inventory")
///     .on_state_change(|from, to| eprintln!("inventory breaker: {from} -> {to}"))
///     .build();
/// assert_eq!(breaker.name(), "inventory");
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder<C = SystemClock> {
    settings: Settings,
    clock: C,
    hook: Option<Hook>,
    name: String,
}

impl Builder<SystemClock> {
    pub(crate) fn new() -> Self {
        Builder {
            settings: Settings::default(),
            clock: SystemClock,
            hook: None,
            name: String::new(),
        }
    }
}

impl<C: Clock> Builder<C> {
    /// Opens the breaker after `n` failed calls in a row while closed. Default 5.
    ///
    /// A success resets the run. `u32::MAX` in practice leaves only the ratio trigger.
    ///
    /// # Panics
    ///
    /// If `n` is 0: "invalid consecutive_failures 0: expected at least 1".
    #[track_caller]
    pub fn consecutive_failures(mut self, n: u32) -> Self {
        self.settings.consecutive_failures = checked(check_count("consecutive_failures", n));
        self
    }

    /// Also opens the breaker when at least `ratio` of the calls in the sampling window
    /// failed, once the window holds [`minimum_calls`](Builder::minimum_calls). Off by default.
    ///
    /// The check runs when a failure is recorded, so only a failure can open the breaker.
    /// `0.5` opens it at half the calls failing or more, as in Polly and resilience4j.
    ///
    /// # Panics
    ///
    /// If `ratio` is NaN, not above 0 or above 1, e.g. "invalid failure_ratio 1.5: expected a
    /// number above 0 and at most 1".
    #[track_caller]
    pub fn failure_ratio(mut self, ratio: f64) -> Self {
        self.settings.failure_ratio = Some(checked(check_ratio(ratio)));
        self
    }

    /// How far back the failure ratio looks. Default 30 s.
    ///
    /// The window is cut into ten slices and moves a slice at a time, so an outcome is
    /// counted for more than nine tenths of `window` and never longer than `window`.
    ///
    /// # Panics
    ///
    /// If `window` is under 10 ms, e.g. "invalid sampling_window 5ms: expected at least 10ms".
    #[track_caller]
    pub fn sampling_window(mut self, window: Duration) -> Self {
        self.settings.sampling_window = checked(check_window(window));
        self
    }

    /// How many calls the window must hold before the failure ratio may open the breaker,
    /// so that a quiet period with two calls, one failed, does not. Default 100.
    ///
    /// # Panics
    ///
    /// If `n` is 0: "invalid minimum_calls 0: expected at least 1".
    #[track_caller]
    pub fn minimum_calls(mut self, n: u32) -> Self {
        self.settings.minimum_calls = checked(check_count("minimum_calls", n));
        self
    }

    /// How long the breaker stays open before it lets a probe through. Default 30 s.
    ///
    /// Any length is accepted; time arithmetic saturates, so `Duration::MAX` means "open for
    /// as long as the process lives".
    ///
    /// # Panics
    ///
    /// If `duration` is zero: "invalid break_duration 0ns: expected more than zero".
    #[track_caller]
    pub fn break_duration(mut self, duration: Duration) -> Self {
        self.settings.break_duration = checked(check_break(duration));
        self
    }

    /// How many probe calls may be in flight at once. Default 1.
    ///
    /// The bound holds across the breaker's whole life: a probe still running from an
    /// earlier half-open period keeps its slot until it ends (or its permit is dropped), so
    /// give slow calls a timeout.
    ///
    /// # Panics
    ///
    /// If `n` is 0: "invalid max_probes 0: expected at least 1".
    #[track_caller]
    pub fn max_probes(mut self, n: u32) -> Self {
        self.settings.max_probes = checked(check_count("max_probes", n));
        self
    }

    /// How many probes must succeed before the breaker closes. Default 1.
    ///
    /// Any probe failure reopens the breaker first, so these are successes in a row. This
    /// may exceed [`max_probes`](Builder::max_probes): slots free up as probes end.
    ///
    /// # Panics
    ///
    /// If `n` is 0: "invalid probe_successes 0: expected at least 1".
    #[track_caller]
    pub fn probe_successes(mut self, n: u32) -> Self {
        self.settings.probe_successes = checked(check_count("probe_successes", n));
        self
    }

    /// Calls `hook(from, to)` on every state change, in order.
    ///
    /// The hook runs while the breaker holds its internal lock, which is what keeps the
    /// order exact across threads. It may read [`CircuitBreaker::state`], but must not make
    /// calls through the same breaker: that would deadlock.
    pub fn on_state_change(mut self, hook: impl Fn(State, State) + Send + Sync + 'static) -> Self {
        self.hook = Some(Box::new(hook));
        self
    }

    /// A name for log lines, to tell several breakers apart. Default: none.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Reads time from `clock` instead of the system clock, e.g. a
    /// [`ManualClock`](crate::clock::ManualClock) in tests.
    pub fn clock<C2: Clock>(self, clock: C2) -> Builder<C2> {
        Builder { settings: self.settings, clock, hook: self.hook, name: self.name }
    }

    /// Builds the breaker, closed.
    pub fn build(self) -> CircuitBreaker<C> {
        CircuitBreaker::from_parts(self.settings, self.clock, self.hook, self.name)
    }
}

impl<C: fmt::Debug> fmt::Debug for Builder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("settings", &self.settings)
            .field("clock", &self.clock)
            .field("hook", &self.hook.is_some())
            .field("name", &self.name)
            .finish()
    }
}
