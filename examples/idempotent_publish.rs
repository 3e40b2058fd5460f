//! User story: publish a message to a broker, retrying only when that cannot duplicate it.
//!
//! A publish that times out is ambiguous: the broker may have stored the message before the
//! acknowledgement was lost. Retrying it is safe only when the broker deduplicates by a key
//! that stays the same across attempts; a publish refused before it was sent is always safe
//! to retry.
//!
//! Run it with `cargo run --example idempotent_publish`.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use persevere::{Attempt, Fixed, blocking};

#[derive(Debug)]
enum PublishError {
    /// The broker refused the connection: nothing was sent.
    Refused,
    /// No acknowledgement in time: the message may or may not be stored.
    AckTimeout,
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PublishError::Refused => "connection refused",
            PublishError::AckTimeout => "no acknowledgement within 2s",
        })
    }
}

/// A broker that stores what it receives, deduplicating by key when one is given, and
/// loses the acknowledgement of the first message it stores.
#[derive(Default)]
struct Broker {
    stored: RefCell<Vec<String>>,
    keys: RefCell<HashSet<String>>,
    sends: RefCell<u32>,
}

impl Broker {
    fn publish(&self, body: &str, key: Option<&str>) -> Result<(), PublishError> {
        *self.sends.borrow_mut() += 1;
        if *self.sends.borrow() == 1 {
            return Err(PublishError::Refused);
        }
        if key.is_none_or(|k| self.keys.borrow_mut().insert(k.to_string())) {
            self.stored.borrow_mut().push(body.to_string());
        }
        if self.stored.borrow().len() == 1 && *self.sends.borrow() == 2 {
            return Err(PublishError::AckTimeout); // stored, but the ack is lost
        }
        Ok(())
    }
}

fn publish(broker: &Broker, body: &str, idempotency_key: Option<&str>) -> Result<(), PublishError> {
    let idempotent = idempotency_key.is_some();
    blocking::retry_with(
        Fixed::new(Duration::from_millis(20)).max_retries(3),
        |attempt: Attempt| {
            println!("  attempt {}: publishing {body:?} (key {idempotency_key:?})", attempt.number);
            broker.publish(body, idempotency_key)
        },
    )
    // Refused: nothing was sent, always retry. Timed out: retry only if deduplicated.
    .when(|e| matches!(e, PublishError::Refused) || idempotent)
    .call()
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("persevere=info"))
        .init();

    println!("With an idempotency key, the ambiguous timeout is retried and deduplicated:");
    let broker = Broker::default();
    let result = publish(&broker, "order 42 paid", Some("order-42-paid"));
    println!("  -> {result:?}; the broker holds {:?}\n", broker.stored.borrow());

    println!(
        "Without a key, the timeout is returned to the caller instead of risking a duplicate:"
    );
    let broker = Broker::default();
    let result = publish(&broker, "order 43 paid", None);
    println!("  -> {result:?}; the broker holds {:?}", broker.stored.borrow());
}
