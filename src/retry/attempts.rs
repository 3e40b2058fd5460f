//! The retry loop, written once as async code and compiled into both flavours.
//!
//! [`retry_loop!`] emits the loop into the module that invokes it, under the maybe-async
//! attribute it is given: `must_be_async` keeps it a future, `must_be_sync` strips `async`
//! and `.await` into a plain function. Each flavour's module brings the same-named helpers
//! the loop calls: the `Operation` trait that starts an attempt and the `Sleeper` trait that
//! waits, and names the macro that runs one attempt inside the one-layer scope.

use super::Report;

/// Emits `$name`, the loop both flavours run: attempt, ask the decision core, sleep, until
/// the core says stop. `$Operation` is the flavour's trait for what it can retry, and
/// `$attempt` the macro that runs one attempt; the async flavour emits the loop for
/// operations whose attempts borrow them and for those whose attempts do not, each once
/// with attempts awaited as they are and once with attempts watched (`future.rs` says why).
///
/// The loop is a function returning an `async move` block (a plain block once maybe-async
/// strips it) rather than an `async fn`: an `async fn` copies its arguments into its body,
/// so its future would hold the retry twice, while the block captures it once and works on
/// its fields in place.
macro_rules! retry_loop {
    ($flavour:path, $name:ident, $Operation:ident, $attempt:ident) => {
        #[$flavour]
        #[inline]
        pub(super) fn $name<S, Op, H, Sl, C, L, T, E, R>(
            mut retry: Retry<S, Op, H, L, Sl, C>,
            _returns: R,
        ) -> impl Future<Output = R::Output>
        where
            R: $crate::retry::attempts::Returns<T, E>,
            S: Iterator<Item = Duration>,
            Op: $Operation<T, E>,
            H: RetryHooks<E>,
            E: Display,
            Sl: Sleeper,
            C: Clock,
            L: LimitSlot,
        {
            async move {
                loop {
                    // The attempt and its outcome live in a block that ends before the
                    // sleep, so the async flavour keeps neither the error nor the drop flag
                    // of the outcome across it.
                    let delay = {
                        let attempt =
                            retry.run.begin(Op::HANDS_ATTEMPT, &mut retry.limits, &retry.clock);
                        let sole = retry.limits.get().is_some_and(|l| l.sole_layer);
                        let (outcome, timed_out) = $attempt!(retry, attempt, sole);
                        match outcome {
                            Ok(value) => {
                                return R::end(Ok(value), retry.run.succeeded(&retry.limits));
                            }
                            Err(error) => {
                                let step = retry.run.failed(
                                    &retry.hooks,
                                    &mut retry.limits,
                                    &error,
                                    timed_out,
                                    &retry.clock,
                                );
                                match step {
                                    Step::Retry(delay) => delay,
                                    Step::Stop(stop) => {
                                        return R::end(Err(error), retry.run.report(stop));
                                    }
                                }
                            }
                        }
                    };
                    retry.sleep.sleep(delay).await;
                }
            }
        }
    };
}
pub(super) use retry_loop;

/// What the loop returns: the result alone (`call`) or with the report
/// (`call_with_report`). A report nobody asked for is never kept.
pub(crate) trait Returns<T, E> {
    type Output;
    fn end(result: Result<T, E>, report: Report) -> Self::Output;
}

/// The result alone.
pub(crate) struct JustResult;

/// The result and the report.
pub(crate) struct WithReport;

impl<T, E> Returns<T, E> for JustResult {
    type Output = Result<T, E>;

    #[inline(always)]
    fn end(result: Result<T, E>, _: Report) -> Result<T, E> {
        result
    }
}

impl<T, E> Returns<T, E> for WithReport {
    type Output = (Result<T, E>, Report);

    #[inline(always)]
    fn end(result: Result<T, E>, report: Report) -> (Result<T, E>, Report) {
        (result, report)
    }
}
