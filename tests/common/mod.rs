//! Test helpers shared by the integration tests: a log capture and scripted operations.
#![allow(dead_code)]

use std::sync::{Mutex, Once};
use std::thread::{self, ThreadId};

/// One captured log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub level: log::Level,
    pub target: String,
    pub message: String,
}

struct Capture {
    lines: Mutex<Vec<(ThreadId, Line)>>,
}

static CAPTURE: Capture = Capture { lines: Mutex::new(Vec::new()) };
static INSTALL: Once = Once::new();

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = Line {
            level: record.level(),
            target: record.target().to_string(),
            message: record.args().to_string(),
        };
        self.lines.lock().unwrap().push((thread::current().id(), line));
    }

    fn flush(&self) {}
}

/// Installs the capturing logger (once per test binary) and forgets this thread's lines.
///
/// Tests run on many threads at once, so each reads back only the lines its own thread
/// logged: run the code under test on the test's thread (blocking, or a current-thread
/// executor).
pub fn capture_logs() {
    INSTALL.call_once(|| {
        log::set_logger(&CAPTURE).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
    let me = thread::current().id();
    CAPTURE.lines.lock().unwrap().retain(|(id, _)| *id != me);
}

/// The lines this thread logged since `capture_logs`, at `min` level or more severe.
pub fn logged(min: log::Level) -> Vec<Line> {
    let me = thread::current().id();
    CAPTURE
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(id, line)| *id == me && line.level <= min)
        .map(|(_, line)| line.clone())
        .collect()
}

/// `(level, message)` pairs of this thread's persevere lines, at `min` or more severe.
pub fn persevere_lines(min: log::Level) -> Vec<(log::Level, String)> {
    logged(min)
        .into_iter()
        .filter(|l| l.target == "persevere")
        .map(|l| (l.level, l.message))
        .collect()
}

/// A scripted operation: outcome `i` is returned by attempt `i`; past the script it fails.
pub struct Script {
    outcomes: Vec<Result<u32, String>>,
    pub calls: usize,
}

impl Script {
    pub fn new(outcomes: &[Result<u32, &str>]) -> Self {
        Script { outcomes: outcomes.iter().map(|o| o.map_err(str::to_string)).collect(), calls: 0 }
    }

    pub fn next(&mut self) -> Result<u32, String> {
        let outcome =
            self.outcomes.get(self.calls).cloned().unwrap_or_else(|| Err("past the script".into()));
        self.calls += 1;
        outcome
    }
}
