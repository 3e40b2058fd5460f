//! `persevere::Schedule`: any of the three schedules behind one type, parsed from the text
//! form of any of them, yielding exactly what the schedule inside yields.

use std::iter::FusedIterator;
use std::time::Duration;

use persevere::{Exponential, Fibonacci, Fixed, Jitter, Jittered, ParseError, Schedule};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One schedule of each kind, with every setting exercised somewhere.
fn samples() -> Vec<Schedule> {
    vec![
        Exponential::new(ms(100)).into(),
        Exponential::new(ms(100)).factor(1.5).max_delay(ms(900)).max_retries(8).into(),
        Exponential::new(ms(10))
            .forever()
            .max_total_delay(ms(500))
            .jitter(Jitter::Full)
            .seed(1)
            .into(),
        Fixed::new(ms(250)).into(),
        Fixed::new(ms(250)).max_retries(2).jitter(Jitter::Equal).seed(7).into(),
        Fibonacci::new(ms(10)).into(),
        Fibonacci::new(ms(10))
            .max_delay(ms(60))
            .max_retries(9)
            .jitter(Jitter::proportional(0.1))
            .seed(3)
            .into(),
        Fibonacci::new(ms(10)).jitter(Jitter::Decorrelated).seed(2).max_delay(ms(100)).into(),
    ]
}

#[test]
fn parses_any_kind() {
    let fixed: Schedule = "fixed(delay=1s, max_retries=2)".parse().unwrap();
    assert_eq!(fixed, Schedule::from(Fixed::new(Duration::from_secs(1)).max_retries(2)));
    let exp: Schedule = " exponential(initial=100ms, factor=3) ".parse().unwrap();
    assert_eq!(exp, Schedule::from(Exponential::new(ms(100)).factor(3.0)));
    let fib: Schedule = "fibonacci(initial=5ms, max_retries=forever)".parse().unwrap();
    assert_eq!(fib, Schedule::from(Fibonacci::new(ms(5)).forever()));
}

#[test]
fn text_round_trips_for_each_kind() {
    for schedule in samples() {
        let text = schedule.to_string();
        let inner = match &schedule {
            Schedule::Exponential(s) => s.to_string(),
            Schedule::Fixed(s) => s.to_string(),
            Schedule::Fibonacci(s) => s.to_string(),
        };
        assert_eq!(text, inner);
        let back: Schedule = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back, schedule, "{text}");
        assert_eq!(back.to_string(), text);
        assert_eq!(back.collect::<Vec<_>>(), schedule.collect::<Vec<_>>(), "{text}");
    }
}

#[test]
fn yields_exactly_what_the_inner_schedule_yields() {
    for schedule in samples() {
        let inner: Vec<Duration> = match schedule.clone() {
            Schedule::Exponential(s) => s.take(100).collect(),
            Schedule::Fixed(s) => s.take(100).collect(),
            Schedule::Fibonacci(s) => s.take(100).collect(),
        };
        assert_eq!(schedule.clone().take(100).collect::<Vec<_>>(), inner, "{schedule}");
        // size_hint and nth are the inner schedule's.
        let mut a = schedule.clone();
        let mut b = schedule.clone();
        for n in [0, 1, 3] {
            let hint = a.size_hint();
            let expected = match &b {
                Schedule::Exponential(s) => s.size_hint(),
                Schedule::Fixed(s) => s.size_hint(),
                Schedule::Fibonacci(s) => s.size_hint(),
            };
            assert_eq!(hint, expected);
            let got = a.nth(n);
            let want = match &mut b {
                Schedule::Exponential(s) => s.nth(n),
                Schedule::Fixed(s) => s.nth(n),
                Schedule::Fibonacci(s) => s.nth(n),
            };
            assert_eq!(got, want, "{schedule} nth({n})");
        }
        assert_eq!(a.worst_case_total(), b.worst_case_total());
    }
    let far = Schedule::from(Fixed::new(ms(1)).forever()).nth(u32::MAX as usize);
    assert_eq!(far, Some(ms(1)));
}

#[test]
fn is_a_fused_clone_schedule() {
    fn fused<T: FusedIterator<Item = Duration> + Clone>(_: &T) {}
    let mut s = Schedule::from(Fixed::new(ms(1)).max_retries(1));
    fused(&s);
    assert_eq!(s.next(), Some(ms(1)));
    for _ in 0..3 {
        assert_eq!(s.next(), None);
    }
    assert_eq!(s.size_hint(), (0, Some(0)));
    // Unseeded jitter: a clone has its own stream, as the inner schedules' clones do.
    let jittered = Schedule::from(Exponential::new(ms(100)).forever().jitter(Jitter::Full));
    let x: Vec<_> = jittered.clone().take(20).collect();
    let y: Vec<_> = jittered.clone().take(20).collect();
    assert_ne!(x, y);
    assert!(format!("{jittered:?}").starts_with("Exponential(Exponential { initial: 100ms"));
}

fn fails(input: &str, position: usize, token: &str, problem: &str) -> ParseError {
    let err = input.parse::<Schedule>().expect_err(input);
    assert_eq!((err.position(), err.token()), (position, token), "{input}: {err}");
    assert!(err.to_string().contains(problem), "{input}: {err} lacks {problem:?}");
    err
}

#[test]
fn errors_point_at_the_bad_token() {
    fails("linear(step=1s)", 0, "linear", "expected `exponential`, `fixed` or `fibonacci`");
    fails("  Fixed(delay=1s)", 2, "Fixed", "expected `exponential`");
    fails("", 0, "", "expected a schedule");
    fails("fixed", 0, "fixed", "expected a schedule");
    fails("fixed(delay=1s", 14, "", "expected `)`");
    fails("fixed(delay=1s, factor=2)", 16, "factor", "unknown setting");
    fails("fixed(initial=1s)", 0, "fixed", "missing setting `delay`");
    fails("exponential(initial=1s, factor=0.5)", 31, "0.5", "invalid factor 0.5");
    fails("fibonacci(initial=1s, max_delay=1ms)", 32, "1ms", "below the initial delay");
    fails("fibonacci(initial=1s, jitter=proportional(2))", 42, "2", "invalid jitter proportion 2");
    // The same errors as the inner schedule's parser.
    let inner = "fixed(delay=1x)".parse::<Fixed>().unwrap_err();
    assert_eq!("fixed(delay=1x)".parse::<Schedule>().unwrap_err(), inner);
}

/// One word for the tag beside the largest schedule, and nothing more.
#[test]
fn schedule_stays_small() {
    use std::mem::size_of;
    let largest = size_of::<Jittered<Exponential>>()
        .max(size_of::<Jittered<Fibonacci>>())
        .max(size_of::<Jittered<Fixed>>());
    assert!(size_of::<Schedule>() <= largest + 4, "Schedule: {} bytes", size_of::<Schedule>());
    assert!(size_of::<Schedule>() <= 124, "Schedule: {} bytes", size_of::<Schedule>());
}
