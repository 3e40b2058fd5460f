//! User story: a service reconnects to its database after the database restarts.
//!
//! A real TCP "database" on 127.0.0.1 is down when the service starts and comes up a few
//! hundred milliseconds later. The service reconnects with exponential backoff and jitter,
//! retrying only the errors a reconnect can cure, and gives up after five seconds.
//!
//! Run it with `cargo run --example db_reconnect`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use persevere::classify::is_transient_io;
use persevere::{Exponential, Jitter, blocking};

/// Starts the "database" on `addr` after `downtime`: it answers each line with `OK <line>`.
fn start_database(addr: SocketAddr, downtime: Duration) {
    thread::spawn(move || {
        thread::sleep(downtime);
        let listener = TcpListener::bind(addr).expect("the port is still free");
        println!("database: up on {addr}");
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut writer = stream.try_clone().expect("clone a TCP stream");
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = writeln!(writer, "OK {line}");
                }
            });
        }
    });
}

fn main() -> io::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("persevere=info"))
        .init();

    // Reserve a free port, then release it for the database to take later.
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    start_database(addr, Duration::from_millis(400));

    let started = Instant::now();
    let reconnect = Exponential::new(Duration::from_millis(50))
        .max_delay(Duration::from_millis(500))
        .jitter(Jitter::Full)
        .forever();
    let (connection, report) = blocking::retry(reconnect, || TcpStream::connect(addr))
        .when(is_transient_io)
        .max_elapsed(Duration::from_secs(5))
        .call_with_report();
    let connection = connection?;
    println!(
        "service: connected after {} attempt{} and {:?} ({:?} of backoff)",
        report.attempts,
        if report.attempts == 1 { "" } else { "s" },
        started.elapsed(),
        report.slept
    );

    let mut reader = BufReader::new(connection.try_clone()?);
    let mut writer = connection;
    writeln!(writer, "SELECT 1")?;
    let mut answer = String::new();
    reader.read_line(&mut answer)?;
    println!("service: query answered: {}", answer.trim());
    Ok(())
}
