//! The stop request: one flag shared by the supervisor, its handle and the task.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A request to stop, shared by every clone: one side calls [`stop`](StopSignal::stop), the
/// others see it.
///
/// A supervisor checks it before each run and after each backoff sleep, and its sleeps end
/// early when it is raised. The task is handed the same signal so that a long run can end
/// too: poll [`is_stopped`](StopSignal::is_stopped), nap with
/// [`wait_timeout`](StopSignal::wait_timeout), or await [`stopped`](StopSignal::stopped).
/// Once raised it stays raised.
///
/// ```
/// use persevere::supervise::StopSignal;
/// use std::time::Duration;
///
/// let stop = StopSignal::new();
/// let remote = stop.clone();
/// let worker = std::thread::spawn(move || {
///     let mut rounds = 0;
///     // An hour-long nap that a stop request cuts short.
///     while !remote.wait_timeout(Duration::from_secs(3600)) {
///         rounds += 1;
///     }
///     rounds
/// });
/// stop.stop();
/// assert_eq!(worker.join().unwrap(), 0);
/// assert!(stop.is_stopped());
/// ```
#[derive(Clone, Debug, Default)]
pub struct StopSignal {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// Read without the lock on the fast path; written only under it, so that a waiter
    /// that checked it under the lock cannot miss the wake-up.
    stopped: AtomicBool,
    waiters: Mutex<Waiters>,
    raised: Condvar,
}

/// The wakers of pending [`Stopped`] futures, each in its own slot so that a future
/// dropped before the stop takes its waker out again.
#[derive(Debug, Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl StopSignal {
    /// A signal not yet raised.
    ///
    /// ```
    /// let stop = persevere::supervise::StopSignal::new();
    /// assert!(!stop.is_stopped());
    /// ```
    pub fn new() -> Self {
        StopSignal::default()
    }

    /// Raises the signal: every clone sees it, sleeping waiters wake. Calling it again does
    /// nothing.
    ///
    /// ```
    /// let stop = persevere::supervise::StopSignal::new();
    /// stop.clone().stop();
    /// assert!(stop.is_stopped());
    /// ```
    pub fn stop(&self) {
        let wakers: Vec<Waker> = {
            let mut waiters = self.lock();
            self.shared.stopped.store(true, Ordering::SeqCst);
            self.shared.raised.notify_all();
            // The slots stay in place: each future frees its own on drop.
            waiters.slots.iter_mut().filter_map(Option::take).collect()
        };
        // Woken outside the lock, so a waker that runs code cannot deadlock on it.
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether a stop was requested.
    ///
    /// ```
    /// let stop = persevere::supervise::StopSignal::new();
    /// assert!(!stop.is_stopped());
    /// stop.stop();
    /// assert!(stop.is_stopped());
    /// ```
    pub fn is_stopped(&self) -> bool {
        self.shared.stopped.load(Ordering::SeqCst)
    }

    /// Blocks the thread for up to `timeout`, returning early when a stop is requested.
    /// Returns whether a stop was requested.
    ///
    /// This is the supervisor's own backoff sleep in the blocking form; a blocking task can
    /// use it between units of work so that it ends promptly too. `Duration::MAX` waits
    /// until a stop.
    ///
    /// ```
    /// use persevere::supervise::StopSignal;
    /// use std::time::Duration;
    ///
    /// let stop = StopSignal::new();
    /// assert!(!stop.wait_timeout(Duration::from_millis(1)));
    /// stop.stop();
    /// assert!(stop.wait_timeout(Duration::from_secs(3600)), "returns at once once raised");
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        // No deadline when `now + timeout` is not representable: wait for the stop alone.
        let deadline = Instant::now().checked_add(timeout);
        let mut waiters = self.lock();
        loop {
            if self.is_stopped() {
                return true;
            }
            waiters = match deadline {
                None => self.shared.raised.wait(waiters).unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    let waited = self.shared.raised.wait_timeout(waiters, left);
                    waited.unwrap_or_else(PoisonError::into_inner).0
                }
            };
        }
    }

    /// A future that completes once a stop is requested, under any executor.
    ///
    /// An async task can race its own work against it (with `tokio::select!`,
    /// `futures::select!` or by hand) to end promptly. Dropping the future unregisters it.
    ///
    /// ```
    /// use persevere::supervise::StopSignal;
    ///
    /// let stop = StopSignal::new();
    /// let remote = stop.clone();
    /// std::thread::spawn(move || remote.stop());
    /// futures::executor::block_on(stop.stopped());
    /// assert!(stop.is_stopped());
    /// ```
    pub fn stopped(&self) -> Stopped<'_> {
        Stopped { signal: self, slot: None }
    }

    /// The lock never poisons in practice (nothing that can panic runs under it), and a
    /// poisoned one still guards consistent data, so a poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, Waiters> {
        self.shared.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The future returned by [`StopSignal::stopped`].
#[derive(Debug)]
#[must_use = "a future does nothing unless awaited"]
pub struct Stopped<'a> {
    signal: &'a StopSignal,
    slot: Option<usize>,
}

impl Future for Stopped<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.signal.is_stopped() {
            return Poll::Ready(());
        }
        let signal = self.signal;
        let mut waiters = signal.lock();
        // Checked again under the lock: `stop` raises the flag while holding it.
        if signal.is_stopped() {
            return Poll::Ready(());
        }
        let slot = match self.slot {
            Some(slot) => slot,
            None => {
                let slot = match waiters.free.pop() {
                    Some(slot) => slot,
                    None => {
                        waiters.slots.push(None);
                        waiters.slots.len() - 1
                    }
                };
                self.slot = Some(slot);
                slot
            }
        };
        // Slots are never removed, so `slot` is always in range.
        if let Some(entry) = waiters.slots.get_mut(slot) {
            match entry {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                entry => *entry = Some(cx.waker().clone()),
            }
        }
        Poll::Pending
    }
}

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            let mut waiters = self.signal.lock();
            if let Some(entry) = waiters.slots.get_mut(slot) {
                *entry = None;
                waiters.free.push(slot);
            }
        }
    }
}
