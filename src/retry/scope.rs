//! The one-layer scope: whether an enclosing retry claimed to be the only one that retries.
//!
//! A thread-local depth counter, raised while a sole-layer retry runs its operation (for
//! the async adapter: while it polls the operation's future, so the scope follows the task
//! across threads without any runtime support).

use std::cell::Cell;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Whether the current code runs inside an attempt of a sole-layer retry.
#[inline]
pub(crate) fn inside_sole_layer() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Runs `f` inside the scope when `sole` is set; the guard lowers the depth even on panic.
#[inline]
pub(crate) fn enter<R>(sole: bool, f: impl FnOnce() -> R) -> R {
    if !sole {
        return f();
    }
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            DEPTH.with(|d| d.set(d.get() - 1));
        }
    }
    DEPTH.with(|d| d.set(d.get() + 1));
    let _leave = Leave;
    f()
}
