//! The guide's recipes keep their promises: each test builds the schedule or policy a recipe
//! of `src/guide.rs` shows, spelled exactly as there, and checks what the recipe's text says
//! it does (its delays, caps, counts, totals and why it stops).
//!
//! The guide's doctests show one happy run each; these runs push every recipe to its limits
//! (a service that never recovers, a hostile header), where a wrong promise shows. Time is a
//! `ManualClock` moved by the recorded sleeps, or tokio's paused clock.

use std::time::Duration;

use persevere::Exponential;
use persevere::clock::ManualClock;
use persevere::supervise::{Outcome, StopSignal, Supervisor};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// "A background loop that must never die": a supervisor that keeps restarting its task,
/// with delays that grow to a minute, never gives up, and starts over after 5 good minutes.
mod background_loop {
    use super::*;

    /// The recipe's restart schedule.
    fn restarts() -> Exponential {
        Exponential::new(Duration::from_secs(1)).max_delay(Duration::from_secs(60)).forever()
    }

    /// Runs a supervisor with the recipe's settings over `task` until it has slept `sleeps`
    /// times; returns the delays and the outcome.
    fn supervise(
        sleeps: usize,
        clock: &ManualClock,
        task: impl FnMut(&StopSignal) -> Result<(), String>,
    ) -> (Vec<Duration>, Outcome<persevere::supervise::TaskError<String>>) {
        let stop = StopSignal::new();
        let mut slept = Vec::new();
        let outcome = Supervisor::new(restarts())
            .name("health-checker")
            .max_failures(u32::MAX)
            .healthy_after(Duration::from_secs(300))
            .clock(clock.clone())
            .sleep(|d| {
                clock.advance(d);
                slept.push(d);
                if slept.len() == sleeps {
                    stop.stop();
                }
            })
            .run(&stop, task);
        (slept, outcome)
    }

    #[test]
    fn restarts_grow_to_the_one_minute_cap_and_stay_there() {
        let (slept, outcome) = supervise(12, &ManualClock::new(), |_| Err("unreachable".into()));
        assert_eq!(slept, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60].map(secs));
        assert_eq!(outcome, Outcome::Stopped);
    }

    #[test]
    fn it_never_gives_up() {
        let (slept, outcome) = supervise(1000, &ManualClock::new(), |_| Err("down".into()));
        assert_eq!(slept.len(), 1000);
        assert!(slept.iter().all(|d| *d <= secs(60)));
        assert_eq!(outcome, Outcome::Stopped, "a thousand failures in a row, and still running");
    }

    #[test]
    fn five_good_minutes_start_the_backoff_over_at_one_second() {
        let clock = ManualClock::new();
        let mut runs = 0;
        let (slept, _) = supervise(10, &clock, |_| {
            runs += 1;
            if runs == 8 {
                clock.advance(secs(300)); // healthy for five minutes, then fails
            }
            Err("lost the connection".into())
        });
        assert_eq!(slept, [1, 2, 4, 8, 16, 32, 60, 1, 2, 4].map(secs));
    }
}
