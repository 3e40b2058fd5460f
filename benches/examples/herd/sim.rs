//! A virtual-time model of the experiment in the AWS Architecture Blog post "Exponential
//! Backoff And Jitter" (Marc Brooker, 2015).
//!
//! N clients start at the same instant, and each wants to write one row once. The row has a
//! version number and the store takes a write only if it carries the version the writer read
//! (optimistic concurrency control), so a write fails when any other write landed between
//! this client's read and its write. A failed client waits for the next delay of its backoff
//! schedule, then reads and writes again. Every message crosses the network with a delay of
//! |normal(10 ms, 2 ms)|, as in the post's published simulator.
//!
//! The delays come from persevere's own schedule iterators, one per client, each seeded from
//! the run's seed, so a run is a pure function of (clients, strategy, seed).
//!
//! Shared by `examples/herd/main.rs` and `tests/herd.rs` of the `persevere-benches` package.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use persevere::{Exponential, Fibonacci, Fixed, Jitter};

/// The post's base delay: decorrelated jitter's lower bound and first range's start.
pub const BASE: Duration = Duration::from_millis(5);
/// The first wait of the growing schedules. The published simulator numbers a client's
/// failures from 1 and waits `base * 2^failures`, so its first wait is twice the base; using
/// the same first wait here makes the runs comparable with its figures.
pub const FIRST: Duration = Duration::from_millis(10);
/// The schedules' largest delay, as in the post.
pub const CAP: Duration = Duration::from_secs(2);
/// Mean one-way network delay.
const NET_MEAN_MS: f64 = 10.0;
/// Standard deviation of the one-way network delay.
const NET_SD_MS: f64 = 2.0;

/// How a strategy's delays grow before jitter.
#[derive(Clone, Copy, Debug)]
pub enum Law {
    /// `Exponential::new(FIRST)`, doubling, capped at `CAP`; `Exponential::new(BASE)` under
    /// decorrelated jitter, which brings its own growth.
    Exponential,
    /// `Fibonacci::new(FIRST)`, capped at `CAP`.
    Fibonacci,
    /// `Fixed::new(delay)`.
    Fixed(Duration),
}

/// One backoff strategy the clients may use: a persevere schedule and its jitter.
#[derive(Clone, Copy, Debug)]
pub struct Strategy {
    /// A short label for tables and legends.
    pub name: &'static str,
    /// The growth law.
    pub law: Law,
    /// The jitter applied to it.
    pub jitter: Jitter,
}

impl Strategy {
    /// A fresh schedule for one client. It never runs out: a client retries until its write
    /// lands, as in the post.
    pub fn schedule(&self, seed: u64) -> Box<dyn Iterator<Item = Duration>> {
        match self.law {
            // Decorrelated jitter draws from `[initial, 3 * previous]`, so its initial delay is
            // the base itself, as in the post.
            Law::Exponential if self.jitter == Jitter::Decorrelated => Box::new(
                Exponential::new(BASE).max_delay(CAP).forever().jitter(self.jitter).seed(seed),
            ),
            Law::Exponential => Box::new(
                Exponential::new(FIRST).max_delay(CAP).forever().jitter(self.jitter).seed(seed),
            ),
            Law::Fibonacci => Box::new(
                Fibonacci::new(FIRST).max_delay(CAP).forever().jitter(self.jitter).seed(seed),
            ),
            Law::Fixed(delay) => {
                Box::new(Fixed::new(delay).forever().jitter(self.jitter).seed(seed))
            }
        }
    }
}

/// The four strategies of the post, in its order.
pub const EXPONENTIAL: [Strategy; 4] = [
    Strategy { name: "exponential, no jitter", law: Law::Exponential, jitter: Jitter::None },
    Strategy { name: "exponential, full jitter", law: Law::Exponential, jitter: Jitter::Full },
    Strategy { name: "exponential, equal jitter", law: Law::Exponential, jitter: Jitter::Equal },
    Strategy { name: "decorrelated jitter", law: Law::Exponential, jitter: Jitter::Decorrelated },
];

/// persevere's other schedules. Decorrelated jitter replaces a schedule's growth law, so on
/// Fibonacci it is the same as on Exponential and is not repeated.
pub const OTHERS: [Strategy; 5] = [
    Strategy { name: "fibonacci, no jitter", law: Law::Fibonacci, jitter: Jitter::None },
    Strategy { name: "fibonacci, full jitter", law: Law::Fibonacci, jitter: Jitter::Full },
    Strategy { name: "fibonacci, equal jitter", law: Law::Fibonacci, jitter: Jitter::Equal },
    Strategy { name: "fixed 100ms, no jitter", law: Law::Fixed(FIXED), jitter: Jitter::None },
    Strategy { name: "fixed 100ms, full jitter", law: Law::Fixed(FIXED), jitter: Jitter::Full },
];

/// The fixed strategies' delay: a few network round trips, a common hand-picked value.
const FIXED: Duration = Duration::from_millis(100);

/// What one run produced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Write attempts that reached the store (the post's "calls"); each follows one read.
    pub calls: u64,
    /// Virtual time from the start until the last client learned that its write landed.
    pub finish: Duration,
    /// Clients whose write never landed. Zero, as every schedule here is endless.
    pub gave_up: usize,
}

/// A message in flight, delivered at its time to the store or to `client`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Message {
    /// Client to store: what is the row's version?
    Read,
    /// Store to client: the version it read.
    ReadReply(u64),
    /// Client to store: write, given the version read.
    Write(u64),
    /// Store to client: whether the write landed.
    WriteReply(bool),
}

/// Simulate `clients` clients using `strategy` until every write has landed.
///
/// Ends for any input: each failed write means another write landed since that client's
/// read, so there are at most `clients` rounds of at most `clients` failures each.
pub fn run(clients: usize, strategy: &Strategy, seed: u64) -> Outcome {
    let mut net = Network::new(seed);
    let mut schedules: Vec<_> = (0..clients as u64)
        .map(|client| strategy.schedule(mix(seed ^ mix(client.wrapping_add(1)))))
        .collect();
    // Ordered by time, then by sending order, so that ties resolve the same way every run.
    let mut queue: BinaryHeap<Reverse<(u64, u64, usize, Message)>> = BinaryHeap::new();
    let mut sent = 0u64;
    let mut send = |queue: &mut BinaryHeap<_>, at: u64, client: usize, message: Message| {
        queue.push(Reverse((at, sent, client, message)));
        sent += 1;
    };
    for client in 0..clients {
        send(&mut queue, net.delay(), client, Message::Read);
    }

    let mut version = 0u64;
    let mut outcome = Outcome { calls: 0, finish: Duration::ZERO, gave_up: 0 };
    let mut now = 0u64;
    while let Some(Reverse((at, _, client, message))) = queue.pop() {
        now = at;
        match message {
            Message::Read => send(
                &mut queue,
                now.saturating_add(net.delay()),
                client,
                Message::ReadReply(version),
            ),
            Message::ReadReply(read) => {
                send(&mut queue, now.saturating_add(net.delay()), client, Message::Write(read));
            }
            Message::Write(read) => {
                outcome.calls += 1;
                let landed = read == version;
                if landed {
                    version += 1;
                }
                send(
                    &mut queue,
                    now.saturating_add(net.delay()),
                    client,
                    Message::WriteReply(landed),
                );
            }
            Message::WriteReply(true) => {}
            Message::WriteReply(false) => match schedules[client].next() {
                Some(wait) => {
                    let wait = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
                    let at = now.saturating_add(wait).saturating_add(net.delay());
                    send(&mut queue, at, client, Message::Read);
                }
                None => outcome.gave_up += 1,
            },
        }
    }
    outcome.finish = Duration::from_nanos(now);
    outcome
}

/// Means over several seeds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Mean write attempts per run.
    pub calls: f64,
    /// Mean time until the last client finished.
    pub finish: Duration,
    /// Clients that gave up, summed over the runs.
    pub gave_up: usize,
}

/// Run once per seed and average.
pub fn average(clients: usize, strategy: &Strategy, seeds: &[u64]) -> Summary {
    let (mut calls, mut finish, mut gave_up) = (0u64, Duration::ZERO, 0usize);
    for &seed in seeds {
        let outcome = run(clients, strategy, seed);
        calls += outcome.calls;
        finish += outcome.finish;
        gave_up += outcome.gave_up;
    }
    let runs = seeds.len().max(1);
    Summary {
        calls: calls as f64 / runs as f64,
        finish: finish / u32::try_from(runs).unwrap_or(u32::MAX),
        gave_up,
    }
}

/// The network's delays, drawn from the run's own generator.
struct Network {
    rng: fastrand::Rng,
}

impl Network {
    fn new(seed: u64) -> Self {
        Network { rng: fastrand::Rng::with_seed(mix(seed)) }
    }

    /// One message's delay in nanoseconds: |normal(mean, sd)| by the Box-Muller transform.
    fn delay(&mut self) -> u64 {
        // `1 - f64()` is in (0, 1], so the logarithm is finite.
        let radius = (-2.0 * (1.0 - self.rng.f64()).ln()).sqrt();
        let angle = std::f64::consts::TAU * self.rng.f64();
        let ms = (NET_MEAN_MS + NET_SD_MS * radius * angle.cos()).abs();
        (ms * 1e6) as u64
    }
}

/// SplitMix64's finaliser: spreads nearby seeds (0, 1, 2...) into unrelated generator states.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
