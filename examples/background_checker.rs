//! User story: a background health checker that must never die.
//!
//! A service pings its database every 300 ms from a background thread and publishes the
//! result. The database is still starting: the first two pings are refused, and the third
//! gets a garbled reply that makes the checker panic. A supervisor restarts the checker each
//! time, after 200 ms, then 400 ms, then 800 ms; from then on the checks pass. After three
//! seconds the service shuts down, and the checker stops at once.
//!
//! Run it with `cargo run --example background_checker`; it takes about 3 s. persevere's own
//! log lines are shown at `info` (set `RUST_LOG` to change that); the panic also prints
//! Rust's usual panic message on stderr before the supervisor logs it.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use persevere::Exponential;
use persevere::supervise::{Outcome, Supervisor};

/// The dependency being watched: a database that needs a moment to come up.
struct Database {
    pings: AtomicU32,
}

#[derive(Debug)]
struct PingError(&'static str);

impl fmt::Display for PingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Database {
    /// One ping: refused twice, then one garbled reply, then healthy.
    fn ping(&self) -> Result<(), PingError> {
        match self.pings.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => Err(PingError("connection refused")),
            2 => panic!("garbled reply from the database"),
            _ => Ok(()),
        }
    }
}

fn main() -> std::io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let start = Instant::now();
    let database = Database { pings: AtomicU32::new(0) };

    let checker = Supervisor::new(
        Exponential::new(Duration::from_millis(200)).max_delay(Duration::from_secs(5)),
    )
    .name("db-health")
    // A demo-sized window; a real service would keep the one-minute default.
    .healthy_after(Duration::from_secs(1))
    .spawn(move |stop| {
        println!("{:>5} ms  checker started", start.elapsed().as_millis());
        loop {
            database.ping()?;
            println!("{:>5} ms  database healthy", start.elapsed().as_millis());
            // Waits for the next check, or returns at once when the service shuts down.
            if stop.wait_timeout(Duration::from_millis(300)) {
                println!("{:>5} ms  checker saw the stop request", start.elapsed().as_millis());
                return Ok::<(), PingError>(());
            }
        }
    })?;

    thread::sleep(Duration::from_secs(3));
    println!("{:>5} ms  service shutting down", start.elapsed().as_millis());
    let asked = Instant::now();
    checker.stop();
    match checker.join() {
        Outcome::Stopped => {
            println!("checker stopped cleanly, {:?} after the request", asked.elapsed())
        }
        Outcome::Finished => println!("checker ended by itself"),
        Outcome::GaveUp { last_error, failures } => {
            let s = if failures == 1 { "" } else { "s" };
            println!("checker gave up after {failures} failure{s} in a row: {last_error}")
        }
    }
    Ok(())
}
