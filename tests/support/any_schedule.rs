//! One of the three schedules behind one type, so a test can run over all of them.
//! Included by the schedule test files with `#[path]`.
#![allow(dead_code)]

use std::time::Duration;

use persevere::{Exponential, Fibonacci, Fixed, Jittered, ParseError};

/// One of the three schedules, with or without jitter: a schedule without it is a
/// `Jittered` one with `Jitter::None`, which runs the schedule's own code.
#[derive(Clone, Debug, PartialEq)]
pub enum Any {
    Exp(Jittered<Exponential>),
    Fib(Jittered<Fibonacci>),
    Fix(Jittered<Fixed>),
}

impl Any {
    pub fn exp(s: impl Into<Jittered<Exponential>>) -> Any {
        Any::Exp(s.into())
    }

    pub fn fib(s: impl Into<Jittered<Fibonacci>>) -> Any {
        Any::Fib(s.into())
    }

    pub fn fix(s: impl Into<Jittered<Fixed>>) -> Any {
        Any::Fix(s.into())
    }

    pub fn worst_case_total(&self) -> Duration {
        match self {
            Any::Exp(s) => s.worst_case_total(),
            Any::Fib(s) => s.worst_case_total(),
            Any::Fix(s) => s.worst_case_total(),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Any::Exp(s) => s.to_string(),
            Any::Fib(s) => s.to_string(),
            Any::Fix(s) => s.to_string(),
        }
    }

    /// Reads `text` back as the same kind of schedule as `self`.
    pub fn parse_like(&self, text: &str) -> Result<Any, ParseError> {
        Ok(match self {
            Any::Exp(_) => Any::Exp(text.parse()?),
            Any::Fib(_) => Any::Fib(text.parse()?),
            Any::Fix(_) => Any::Fix(text.parse()?),
        })
    }
}

impl Iterator for Any {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        match self {
            Any::Exp(s) => s.next(),
            Any::Fib(s) => s.next(),
            Any::Fix(s) => s.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Any::Exp(s) => s.size_hint(),
            Any::Fib(s) => s.size_hint(),
            Any::Fix(s) => s.size_hint(),
        }
    }

    fn nth(&mut self, n: usize) -> Option<Duration> {
        match self {
            Any::Exp(s) => s.nth(n),
            Any::Fib(s) => s.nth(n),
            Any::Fix(s) => s.nth(n),
        }
    }
}
