//! The thundering herd: many clients that failed together, retrying with each backoff strategy.
//!
//! A rerun of the experiment in the AWS Architecture Blog post "Exponential Backoff And
//! Jitter" (2015), in virtual time and driven by persevere's own schedules: N clients each
//! write one row under optimistic concurrency, and every conflict costs a retry. For each
//! strategy and each N it prints the mean number of write attempts ("calls") and the mean time
//! until the last client finished, then draws both against N into `docs/herd.svg` at the
//! repository root.
//!
//! ```text
//! cargo run --release -p persevere-benches --example herd
//! cargo run --release -p persevere-benches --example herd -- --seeds 20 --clients 10,50,100 --svg /tmp/herd.svg
//! ```
//!
//! Every run is a pure function of its seed: the same command prints the same table.

mod sim;

use std::error::Error;
use std::path::PathBuf;

use plotters::prelude::*;
use sim::{Strategy, Summary};

/// The post's published simulator rerun at 100 clients and averaged (calls, seconds to
/// finish), as quoted in this project's issue 5; in the order of `sim::EXPONENTIAL`.
const PUBLISHED_AT_100: [(f64, f64); 4] =
    [(1850.0, 62.9), (797.0, 4.9), (812.0, 6.7), (1002.0, 4.5)];

struct Options {
    seeds: u64,
    clients: Vec<usize>,
    svg: Option<PathBuf>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("herd: {message}");
            std::process::exit(2);
        }
    };
    let strategies: Vec<Strategy> = sim::EXPONENTIAL.iter().chain(&sim::OTHERS).copied().collect();
    let seeds: Vec<u64> = (0..options.seeds).collect();

    // results[s][n]: strategy s at options.clients[n].
    let mut results = Vec::new();
    for strategy in &strategies {
        let mut row = Vec::new();
        for &clients in &options.clients {
            let summary = sim::average(clients, strategy, &seeds);
            if summary.gave_up != 0 {
                return Err(
                    format!("{}: {} clients gave up", strategy.name, summary.gave_up).into()
                );
            }
            row.push(summary);
        }
        results.push(row);
    }

    println!(
        "N clients each write one row once under optimistic concurrency; a conflict means a retry.\n\
         Network delay |normal(10 ms, 2 ms)| each way; first wait {:?} (decorrelated: base {:?}), \
         cap {:?}; mean of {} seeds.",
        sim::FIRST,
        sim::BASE,
        sim::CAP,
        seeds.len()
    );
    print_table("Calls (write attempts), mean per run", &strategies, &options, &results, |s| {
        format!("{:.0}", s.calls)
    });
    print_table("Seconds until the last client finished", &strategies, &options, &results, |s| {
        format!("{:.2}", s.finish.as_secs_f64())
    });
    if let Some(at_100) = options.clients.iter().position(|&n| n == 100) {
        println!("\nAt N = 100 beside the published simulator's figures:");
        println!(
            "{:<28} {:>7} {:>10} {:>9} {:>10}",
            "strategy", "calls", "published", "finish", "published"
        );
        for (i, published) in PUBLISHED_AT_100.iter().enumerate() {
            let ours = results[i][at_100];
            println!(
                "{:<28} {:>7.0} {:>10.0} {:>8.2}s {:>9.1}s",
                strategies[i].name,
                ours.calls,
                published.0,
                ours.finish.as_secs_f64(),
                published.1
            );
        }
    }

    if let Some(path) = &options.svg {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        plot(path, &strategies, &options, &results)?;
        println!("\nwrote {}", path.display());
    }
    Ok(())
}

fn print_table(
    title: &str,
    strategies: &[Strategy],
    options: &Options,
    results: &[Vec<Summary>],
    cell: impl Fn(&Summary) -> String,
) {
    println!("\n{title}");
    print!("{:<28}", "strategy");
    for n in &options.clients {
        print!(" {:>8}", format!("N={n}"));
    }
    println!();
    for (strategy, row) in strategies.iter().zip(results) {
        print!("{:<28}", strategy.name);
        for summary in row {
            print!(" {:>8}", cell(summary));
        }
        println!();
    }
}

/// One colour and marker per strategy: the post's four strategies in strong colours, the other
/// schedules in paler ones.
fn style(index: usize) -> (RGBColor, Marker) {
    const COLOURS: [RGBColor; 9] = [
        RGBColor(215, 25, 28),   // exponential, no jitter
        RGBColor(31, 90, 200),   // full
        RGBColor(26, 150, 65),   // equal
        RGBColor(130, 50, 170),  // decorrelated
        RGBColor(245, 150, 60),  // fibonacci, no jitter
        RGBColor(110, 170, 230), // fibonacci, full
        RGBColor(140, 205, 120), // fibonacci, equal
        RGBColor(120, 120, 120), // fixed, no jitter
        RGBColor(150, 100, 60),  // fixed, full
    ];
    let marker = match index {
        0..4 => Marker::Circle,
        4..7 => Marker::Triangle,
        _ => Marker::Cross,
    };
    (COLOURS[index % COLOURS.len()], marker)
}

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Triangle,
    Cross,
}

/// Calls against N on the left, time to finish against N (log scale) on the right.
fn plot(
    path: &std::path::Path,
    strategies: &[Strategy],
    options: &Options,
    results: &[Vec<Summary>],
) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::new(path, (1200, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Thundering herd: N clients write one row under optimistic concurrency, retrying with persevere's schedules",
        ("sans-serif", 22),
    )?;
    let (left, right) = root.split_horizontally(600);

    let max_n = options.clients.iter().copied().max().unwrap_or(1) as u32;
    let x_range = 0..max_n + max_n / 20 + 1;
    let max_calls = results.iter().flatten().map(|s| s.calls).fold(1.0, f64::max);
    let secs = |s: &Summary| s.finish.as_secs_f64().max(1e-3);
    let max_secs = results.iter().flatten().map(secs).fold(1e-3, f64::max);
    let min_secs = results.iter().flatten().map(secs).fold(max_secs, f64::min);

    let mut calls = ChartBuilder::on(&left)
        .caption("Calls (write attempts)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(x_range.clone(), 0.0..max_calls * 1.05)?;
    calls
        .configure_mesh()
        .x_desc("clients (N)")
        .y_desc("calls, mean per run")
        .y_label_formatter(&|c| format!("{c:.0}"))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()?;

    let mut time = ChartBuilder::on(&right)
        .caption("Time until the last client finished", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(x_range, (min_secs * 0.8..max_secs * 1.25).log_scale())?;
    time.configure_mesh()
        .x_desc("clients (N)")
        .y_desc("seconds, mean per run (log scale)")
        .y_label_formatter(&|s| format!("{s}"))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style(("sans-serif", 14))
        .draw()?;

    // The legend lists the strategies in table order; the post's four are drawn a second time
    // at the end so that the other schedules' lines, which overlap them, do not hide them.
    let order = (0..strategies.len()).chain(0..4.min(strategies.len()));
    for (pass, i) in order.enumerate() {
        let (colour, marker) = style(i);
        let line = colour.stroke_width(if i < 4 { 3 } else { 2 });
        let row = &results[i];
        let call_points: Vec<(u32, f64)> =
            options.clients.iter().zip(row).map(|(&n, s)| (n as u32, s.calls)).collect();
        let time_points: Vec<(u32, f64)> =
            options.clients.iter().zip(row).map(|(&n, s)| (n as u32, secs(s))).collect();

        let series = calls.draw_series(LineSeries::new(call_points.iter().copied(), line))?;
        if pass < strategies.len() {
            series
                .label(strategies[i].name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], line));
        }
        calls.draw_series(call_points.iter().map(|&p| point(p, marker, colour)))?;
        time.draw_series(LineSeries::new(time_points.iter().copied(), line))?;
        time.draw_series(time_points.iter().map(|&p| point(p, marker, colour)))?;
    }
    calls
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn point<DB: DrawingBackend>(
    at: (u32, f64),
    marker: Marker,
    colour: RGBColor,
) -> DynElement<'static, DB, (u32, f64)> {
    match marker {
        Marker::Circle => Circle::new(at, 4, colour.filled()).into_dyn(),
        Marker::Triangle => TriangleMarker::new(at, 5, colour.filled()).into_dyn(),
        Marker::Cross => Cross::new(at, 4, colour.stroke_width(2)).into_dyn(),
    }
}

fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        seeds: 100,
        clients: vec![10, 25, 50, 100, 200],
        svg: Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/herd.svg"))),
    };
    let mut args = args;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--seeds" => {
                let text = value()?;
                options.seeds = match text.parse() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        return Err(format!(
                            "invalid --seeds {text:?}: expected a whole number above 0"
                        ));
                    }
                };
            }
            "--clients" => {
                let text = value()?;
                let mut clients = Vec::new();
                for part in text.split(',') {
                    match part.trim().parse() {
                        Ok(n) if n > 0 => clients.push(n),
                        _ => {
                            return Err(format!(
                                "invalid --clients entry {part:?}: expected a whole number above 0"
                            ));
                        }
                    }
                }
                options.clients = clients;
            }
            "--svg" => options.svg = Some(PathBuf::from(value()?)),
            "--no-svg" => options.svg = None,
            _ => {
                return Err(format!(
                    "unknown argument {flag:?}; expected --seeds N, --clients A,B,..., --svg PATH or --no-svg"
                ));
            }
        }
    }
    Ok(options)
}
