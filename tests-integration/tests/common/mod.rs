//! What the integration tests share.

use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The delays a [`recording`] sleep was asked for, in order.
pub type Slept = Arc<Mutex<Vec<Duration>>>;

/// A sleep that records the delay and returns at once, so that no test waits for one.
pub fn recording() -> (Slept, impl FnMut(Duration) -> Ready<()> + Clone + Send + 'static) {
    let slept = Slept::default();
    let record = Arc::clone(&slept);
    (slept, move |delay| {
        record.lock().unwrap().push(delay);
        ready(())
    })
}
