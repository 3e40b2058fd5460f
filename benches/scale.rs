//! Many retries at once: 100,000 concurrent async retries on a tokio multi-thread runtime.
//!
//! ```text
//! cargo bench -p persevere-benches --bench scale
//! ```
//!
//! Every retry runs the same operation, [`attempt`]: it fails twice, then succeeds, so
//! each retry sleeps twice. Every retry uses its crate's own exponential schedule without
//! jitter, starting at 100 ms and doubling (persevere `Exponential::new(100ms)
//! .max_retries(3)`, backon `ExponentialBuilder::new().with_min_delay(100ms)
//! .with_max_times(3)`): it sleeps 100 ms, then 200 ms, so a retry cannot end before
//! 300 ms, and neither can the run.
//!
//! Variants (the `--variant` names):
//! * `persevere/tokio`: `future::retry(..).sleep(tokio::time::sleep)`;
//! * `persevere/tokio/array`: the same, with the schedule written out as an array of the
//!   same delays, `[100ms, 200ms, 400ms]`;
//! * `persevere/futures-timer`: `future::retry(..)` with its default sleep, a
//!   `futures-timer` delay;
//! * `backon/tokio`, `backon/futures-timer`: backon's `Retryable` with the same two
//!   sleeps (backon has no default sleep without its tokio feature; it is handed
//!   `persevere::future::sleep`, the very `futures-timer` delay persevere uses);
//! * `manual/tokio`, `manual/futures-timer`: the floor, a hand-written loop around the
//!   same operation and the same sleeps, with the delays written in.
//!
//! Each variant runs in a fresh child process (this binary re-run with `--variant NAME`),
//! so one variant's heap and threads cannot leak into another's figures. The parent runs
//! every variant `SCALE_RUNS` times (default 5), round-robin, and prints the median of
//! each figure. `SCALE_RETRIES` changes the number of retries (default 100,000).
//!
//! What a child measures, from just before the first spawn until the last retry is done:
//! * wall time, and the part of it until the last retry was spawned;
//! * CPU time of all the process's threads, timer threads included (`/proc/self/stat`);
//! * the peak of live heap bytes, seen by a counting global allocator, less the bytes
//!   live before the first spawn (the tokio task of each retry is counted, since spawning
//!   is how a retry becomes concurrent; the bookkeeping of this benchmark is allocated
//!   before the start and not counted); divided by the number of retries it is the heap
//!   cost of one pending retry;
//! * the peak resident set (`VmHWM`), reset just before the start through
//!   `/proc/self/clear_refs`;
//! * how late each sleep ended: the time from an attempt's failure to the start of the
//!   next attempt, less the delay the schedule asked for (so it includes the retry
//!   machinery, the timer and the executor waking the task; p50, p99 and max of 200,000
//!   sleeps);
//! * the `size_of` the future each retry spawns.
//!
//! Results, the commands behind them and what they mean are in `BENCHMARKS.md`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::process::Command;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use persevere::{Exponential, future};

/// Counts live heap bytes and remembers their peak.
struct PeakAlloc {
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl PeakAlloc {
    fn grew(&self, bytes: usize) {
        let live = self.live.fetch_add(bytes, Relaxed) + bytes;
        self.peak.fetch_max(live, Relaxed);
    }

    fn shrank(&self, bytes: usize) {
        self.live.fetch_sub(bytes, Relaxed);
    }

    /// Starts a new peak from what is live now, and returns that.
    fn reset_peak(&self) -> usize {
        let live = self.live.load(Relaxed);
        self.peak.store(live, Relaxed);
        live
    }
}

unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            self.grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            self.grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        self.shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            // One block is resized in place or moved: only the difference changes what is live.
            if new_size >= layout.size() {
                self.grew(new_size - layout.size());
            } else {
                self.shrank(layout.size() - new_size);
            }
        }
        new
    }
}

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc { live: AtomicUsize::new(0), peak: AtomicUsize::new(0) };

const BASE: Duration = Duration::from_millis(100);
/// Failed attempts before the one that succeeds; each is followed by one sleep.
const FAILURES: u32 = 2;

const VARIANTS: [&str; 7] = [
    "persevere/tokio",
    "persevere/tokio/array",
    "backon/tokio",
    "manual/tokio",
    "persevere/futures-timer",
    "backon/futures-timer",
    "manual/futures-timer",
];

/// What the operation of one retry records about itself.
struct Slot {
    attempts: AtomicU32,
    /// When the latest attempt failed, in nanoseconds since [`Shared::start`].
    failed_at: AtomicU64,
    /// How late each sleep ended, in nanoseconds (negative: early).
    late: [AtomicI64; FAILURES as usize],
}

/// The bookkeeping of a whole run, allocated before it starts.
struct Shared {
    start: Instant,
    slots: Box<[Slot]>,
}

impl Shared {
    fn nanos(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// The operation every retry runs: fails [`FAILURES`] times, then succeeds, and records
/// how long after the previous failure each later attempt began.
async fn attempt(shared: &'static Shared, index: usize) -> Result<(), &'static str> {
    let now = shared.nanos();
    let slot = &shared.slots[index];
    let n = slot.attempts.fetch_add(1, Relaxed);
    if n > 0 && n <= FAILURES {
        let asked = requested(n);
        let waited = now.saturating_sub(slot.failed_at.load(Relaxed));
        let late = i64::try_from(waited).unwrap_or(i64::MAX) - asked;
        slot.late[n as usize - 1].store(late, Relaxed);
    }
    if n < FAILURES {
        slot.failed_at.store(shared.nanos(), Relaxed);
        Err("unavailable")
    } else {
        Ok(())
    }
}

/// The delay, in nanoseconds, every schedule here asks for before attempt `n` (from 0).
fn requested(n: u32) -> i64 {
    let delay = BASE * 2u32.pow(n - 1);
    i64::try_from(delay.as_nanos()).unwrap_or(i64::MAX)
}

fn persevere_schedule() -> Exponential {
    Exponential::new(BASE).max_retries(3)
}

/// The same delays as [`persevere_schedule`], written out: any iterator of delays is a
/// persevere schedule, and this one is smaller than `Exponential` (the binary prints both
/// sizes).
fn array_schedule() -> [Duration; 3] {
    [BASE, BASE * 2, BASE * 4]
}

fn backon_schedule() -> ExponentialBuilder {
    ExponentialBuilder::new().with_min_delay(BASE).with_max_times(3)
}

/// The floor: the operation in a hand-written loop, sleeping with `sleep`.
async fn manual<F: Future<Output = ()>>(
    shared: &'static Shared,
    index: usize,
    sleep: impl Fn(Duration) -> F,
) -> Result<(), &'static str> {
    let mut delay = BASE;
    let mut retries = 0;
    loop {
        match attempt(shared, index).await {
            Err(_) if retries < 3 => {
                sleep(delay).await;
                delay *= 2;
                retries += 1;
            }
            result => return result,
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let retries = env_number("SCALE_RETRIES", 100_000);
    match args.iter().position(|a| a == "--variant") {
        Some(i) => {
            let variant = args.get(i + 1).expect("--variant needs a name");
            child(variant, retries);
        }
        None => parent(retries, env_number("SCALE_RUNS", 5)),
    }
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
        Err(_) => default,
    }
}

/// One variant's figures, as a child prints them.
#[derive(Clone, Debug, Default)]
struct Figures {
    wall_ms: f64,
    spawn_ms: f64,
    cpu_ms: f64,
    heap_bytes: f64,
    hwm_kib: f64,
    future_bytes: f64,
    late_p50_ms: f64,
    late_p99_ms: f64,
    late_max_ms: f64,
}

fn parent(retries: usize, runs: usize) {
    let exe = std::env::current_exe().expect("the path of this benchmark");
    println!(
        "{retries} concurrent retries, each failing {FAILURES} times, exponential from \
         {BASE:?} (sleeps {:?} + {:?}); tokio multi-thread runtime, {} workers; \
         {runs} runs per variant, each in a fresh process; medians:",
        BASE,
        BASE * 2,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    print_sizes();
    // Other work on the machine shows in every figure here: the load says how much there was.
    let load_before = load_average();
    let mut results: Vec<Vec<Figures>> = vec![Vec::new(); VARIANTS.len()];
    for _ in 0..runs {
        for (variant, runs) in VARIANTS.iter().zip(&mut results) {
            let output = Command::new(&exe)
                .args(["--variant", variant])
                .env("SCALE_RETRIES", retries.to_string())
                .output()
                .expect("the benchmark runs itself");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{variant} failed: {}\n{stdout}",
                String::from_utf8_lossy(&output.stderr)
            );
            runs.push(parse(&stdout));
        }
    }
    let medians = |runs: &[Figures], f: fn(&Figures) -> f64| median(runs.iter().map(f).collect());
    println!();
    println!(
        "| variant | wall (ms) | spawning (ms) | CPU (ms) | CPU per retry (µs) | late p50 (ms) | late p99 (ms) | late max (ms) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (variant, runs) in VARIANTS.iter().zip(&results) {
        let m = |f| medians(runs, f);
        let cpu = m(|f| f.cpu_ms);
        println!(
            "| {variant} | {:.0} | {:.0} | {cpu:.0} | {:.1} | {:.2} | {:.2} | {:.2} |",
            m(|f| f.wall_ms),
            m(|f| f.spawn_ms),
            cpu * 1e3 / retries as f64,
            m(|f| f.late_p50_ms),
            m(|f| f.late_p99_ms),
            m(|f| f.late_max_ms),
        );
    }
    println!();
    println!("| variant | future (B) | heap per retry (B) | peak heap (MiB) | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|---:|");
    for (variant, runs) in VARIANTS.iter().zip(&results) {
        let m = |f| medians(runs, f);
        let heap = m(|f| f.heap_bytes);
        println!(
            "| {variant} | {:.0} | {:.0} | {:.1} | {:.1} |",
            m(|f| f.future_bytes),
            heap / retries as f64,
            heap / 1024.0 / 1024.0,
            m(|f| f.hwm_kib) / 1024.0,
        );
    }
    println!();
    println!("load average before and after: {load_before} / {}", load_average());
    println!("wall time of every run (ms), in run order:");
    for (variant, runs) in VARIANTS.iter().zip(&results) {
        let walls: Vec<String> = runs.iter().map(|f| format!("{:.0}", f.wall_ms)).collect();
        println!("  {variant:<24} {}", walls.join(" "));
    }
}

/// The parts a pending retry is made of, to explain the `future` column.
fn print_sizes() {
    let schedule = persevere_schedule();
    let backon_backoff = backon::BackoffBuilder::build(backon_schedule());
    println!("size_of the parts of a pending retry (bytes):");
    println!("  persevere Exponential (schedule)        {:>4}", size_of_val(&schedule));
    println!(
        "  [Duration; 3] as an iterator (schedule)  {:>3}",
        size_of::<std::array::IntoIter<Duration, 3>>()
    );
    println!("  backon ExponentialBackoff (schedule)    {:>4}", size_of_val(&backon_backoff));
    println!("  tokio::time::Sleep                      {:>4}", size_of::<tokio::time::Sleep>());
    println!("  persevere::future::Sleep (futures-timer) {:>3}", size_of::<future::Sleep>());
    // Never polled: only the types matter.
    let none: &'static Shared =
        Box::leak(Box::new(Shared { start: Instant::now(), slots: Box::new([]) }));
    let builder = future::retry(persevere_schedule(), move || attempt(none, 0));
    println!("  the operation's future (attempt)        {:>4}", size_of_val(&attempt(none, 0)));
    println!("  persevere Retry builder, default sleep  {:>4}", size_of_val(&builder));
    println!(
        "  persevere Retry builder, tokio sleep    {:>4}",
        size_of_val(&builder.sleep(tokio::time::sleep))
    );
    println!();
}

fn parse(line: &str) -> Figures {
    let mut figures = Figures::default();
    let line = line.lines().find(|l| l.starts_with("figures ")).expect("a figures line");
    for pair in line.split_whitespace().skip(1) {
        let (key, value) = pair.split_once('=').expect("key=value");
        let value: f64 = value.parse().expect("a number");
        match key {
            "wall_ms" => figures.wall_ms = value,
            "spawn_ms" => figures.spawn_ms = value,
            "cpu_ms" => figures.cpu_ms = value,
            "heap_bytes" => figures.heap_bytes = value,
            "hwm_kib" => figures.hwm_kib = value,
            "future_bytes" => figures.future_bytes = value,
            "late_p50_ms" => figures.late_p50_ms = value,
            "late_p99_ms" => figures.late_p99_ms = value,
            "late_max_ms" => figures.late_max_ms = value,
            _ => panic!("unknown figure {key}"),
        }
    }
    figures
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 }
}

fn child(variant: &str, retries: usize) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_time().build().expect("a tokio runtime");
    let slots = (0..retries)
        .map(|_| Slot {
            attempts: AtomicU32::new(0),
            failed_at: AtomicU64::new(0),
            late: [const { AtomicI64::new(0) }; FAILURES as usize],
        })
        .collect();
    let shared: &'static Shared = Box::leak(Box::new(Shared { start: Instant::now(), slots }));
    let tokio_sleep = tokio::time::sleep;
    let timer_sleep = future::sleep;
    let run = match variant {
        "persevere/tokio" => spawn_all(&runtime, shared, |i| {
            future::retry(persevere_schedule(), move || attempt(shared, i))
                .sleep(tokio_sleep)
                .call()
        }),
        "persevere/tokio/array" => spawn_all(&runtime, shared, |i| {
            future::retry(array_schedule(), move || attempt(shared, i)).sleep(tokio_sleep).call()
        }),
        "persevere/futures-timer" => spawn_all(&runtime, shared, |i| {
            future::retry(persevere_schedule(), move || attempt(shared, i)).call()
        }),
        "backon/tokio" => spawn_all(&runtime, shared, |i| {
            (move || attempt(shared, i)).retry(backon_schedule()).sleep(tokio_sleep)
        }),
        "backon/futures-timer" => spawn_all(&runtime, shared, |i| {
            (move || attempt(shared, i)).retry(backon_schedule()).sleep(timer_sleep)
        }),
        "manual/tokio" => spawn_all(&runtime, shared, |i| manual(shared, i, tokio_sleep)),
        "manual/futures-timer" => spawn_all(&runtime, shared, |i| manual(shared, i, timer_sleep)),
        _ => panic!("unknown variant {variant}; the variants are {VARIANTS:?}"),
    };
    let mut late: Vec<i64> = Vec::with_capacity(retries * FAILURES as usize);
    for slot in &shared.slots {
        assert_eq!(slot.attempts.load(Relaxed), FAILURES + 1, "every retry ran three attempts");
        late.extend(slot.late.iter().map(|l| l.load(Relaxed)));
    }
    late.sort_unstable();
    let ms = |nanos: i64| nanos as f64 / 1e6;
    let at = |percent: usize| late[(late.len() - 1) * percent / 100];
    println!(
        "figures wall_ms={:.3} spawn_ms={:.3} cpu_ms={} heap_bytes={} hwm_kib={} future_bytes={} late_p50_ms={:.3} late_p99_ms={:.3} late_max_ms={:.3}",
        run.wall.as_secs_f64() * 1e3,
        run.spawn.as_secs_f64() * 1e3,
        run.cpu.as_millis(),
        run.heap_bytes,
        run.hwm_kib,
        run.future_bytes,
        ms(at(50)),
        ms(at(99)),
        ms(*late.last().expect("some sleeps")),
    );
}

/// What [`spawn_all`] measured.
struct Run {
    wall: Duration,
    /// From the start until the last retry was spawned.
    spawn: Duration,
    /// CPU time of every thread of the process over the run (user and system).
    cpu: Duration,
    heap_bytes: usize,
    hwm_kib: u64,
    future_bytes: usize,
}

/// Spawns `make(i)` for every slot on `runtime` and waits for all of them.
fn spawn_all<F>(
    runtime: &tokio::runtime::Runtime,
    shared: &'static Shared,
    make: impl Fn(usize) -> F,
) -> Run
where
    F: Future<Output = Result<(), &'static str>> + Send + 'static,
{
    let future_bytes = size_of::<F>();
    let mut handles = Vec::with_capacity(shared.slots.len());
    reset_peak_rss();
    let before = HEAP.reset_peak();
    let cpu_before = cpu_time();
    let started = Instant::now();
    let spawn = runtime.block_on(async {
        for i in 0..shared.slots.len() {
            handles.push(tokio::spawn(make(i)));
        }
        let spawn = started.elapsed();
        for handle in handles.drain(..) {
            handle.await.expect("no retry panics").expect("every retry succeeds");
        }
        spawn
    });
    let wall = started.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);
    let heap_bytes = HEAP.peak.load(Relaxed).saturating_sub(before);
    Run { wall, spawn, cpu, heap_bytes, hwm_kib: peak_rss_kib(), future_bytes }
}

/// The CPU time all threads of this process have used (Linux `/proc/self/stat`, in
/// clock ticks of 10 ms), or zero where there is no such file.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces:
    // utime and stime are the 12th and 13th of them.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|field| field.parse::<u64>().unwrap_or(0))
        .sum();
    Duration::from_millis(ticks * 10)
}

/// The 1, 5 and 15 minute load averages, as the kernel reports them.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Makes the kernel start the resident-set high-water mark afresh (Linux).
fn reset_peak_rss() {
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("could not reset VmHWM: peak RSS includes the start-up");
    }
}

/// The resident-set high-water mark, in KiB, or 0 where `/proc` has none.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
