//! `Output`: everything the runner prints, in one place.
//!
//! The library prints nothing except through this type. With one job, the
//! commands inherit the terminal, so their output passes straight through and
//! only the runner's own lines (command echo, hints, the summary) go to stderr.
//! With several jobs, the scheduler pipes each command's stdout and stderr and
//! hands every line here, where it is written whole with a `[task]` prefix, so
//! lines of concurrent tasks never tear. Diagnostics go through `log`, not here.
//!
//! In stderr-only mode, for a Cargo build script whose stdout carries cargo's
//! directives, the runner's stdout lines and the commands' stdout go to stderr
//! too, and commands read `/dev/null`.

use std::io::{self, Write};
use std::time::Duration;

use crate::report::{Outcome, Report};

/// How much the runner prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verbosity {
    /// Only the commands' own output, errors and failures.
    Quiet,
    /// Also the command echo and the summary.
    Normal,
    /// Also the sandbox status, why each task ran, and debug logs.
    Verbose,
    /// Also per-file trace logs.
    Trace,
}

/// The stream a command wrote a line to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// The runner's printer.
pub(crate) struct Output {
    verbosity: Verbosity,
    prefixed: bool,
    stderr_only: bool,
}

impl Output {
    pub(crate) fn new(verbosity: Verbosity, prefixed: bool) -> Output {
        Output { verbosity, prefixed, stderr_only: false }
    }

    /// Sends everything to stderr when `yes`, because stdout belongs to the
    /// caller (a Cargo build script's stdout is parsed by cargo).
    pub(crate) fn stderr_only(mut self, yes: bool) -> Output {
        self.stderr_only = yes;
        self
    }

    /// Returns whether stdout is reserved, so commands must write their
    /// stdout to stderr and read no stdin.
    pub(crate) fn is_stderr_only(&self) -> bool {
        self.stderr_only
    }

    pub(crate) fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// Returns whether command output is captured and prefixed.
    pub(crate) fn prefixed(&self) -> bool {
        self.prefixed
    }

    /// Echoes a step before it runs, on stderr.
    pub(crate) fn echo(&self, task: &str, step: &dyn std::fmt::Display) {
        if self.verbosity >= Verbosity::Normal {
            self.write_err(&format!("[{task}] {step}\n"));
        }
    }

    /// Writes one line a command printed, prefixed with its task's name.
    pub(crate) fn line(&self, task: &str, stream: Stream, line: &[u8]) {
        let mut text = Vec::with_capacity(task.len() + line.len() + 4);
        text.extend_from_slice(format!("[{task}] ").as_bytes());
        text.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            text.push(b'\n');
        }
        // A closed stdout or stderr must not fail the task, so errors are ignored.
        let _ = match stream {
            Stream::Stdout if !self.stderr_only => io::stdout().lock().write_all(&text),
            Stream::Stdout | Stream::Stderr => io::stderr().lock().write_all(&text),
        };
    }

    /// Prints a step a dry run would run, on stdout.
    pub(crate) fn planned(&self, task: &str, step: &dyn std::fmt::Display) {
        self.write_out(&format!("[{task}] {step}\n"));
    }

    /// Prints the result of a query (list, graph, explain) on stdout.
    pub(crate) fn answer(&self, text: &str) {
        self.write_out(text);
        if !text.ends_with('\n') {
            self.write_out("\n");
        }
    }

    /// Prints a message about a task, such as a failure or a sandbox hint.
    pub(crate) fn note(&self, task: &str, text: &str) {
        let mut block = String::new();
        for line in text.lines() {
            block.push_str(&format!("[{task}] {line}\n"));
        }
        self.write_err(&block);
    }

    /// Prints an info line of the runner's own, shown unless quiet.
    pub(crate) fn info(&self, text: &str) {
        if self.verbosity >= Verbosity::Normal {
            self.write_err(&format!("{text}\n"));
        }
    }

    /// Prints a line shown only with `-v`.
    pub(crate) fn verbose(&self, text: &str) {
        if self.verbosity >= Verbosity::Verbose {
            self.write_err(&format!("{text}\n"));
        }
    }

    /// Prints an error of the run itself.
    pub(crate) fn error(&self, text: &str) {
        self.write_err(&format!("error: {text}\n"));
    }

    /// Prints the summary of a run: one line per task that did something worth
    /// reading, then the totals. Quiet runs print only the failures.
    pub(crate) fn summary(&self, report: &Report) {
        let mut text = String::new();
        let width = report.tasks.iter().map(|task| task.name.len()).max().unwrap_or(0);
        let (mut ran, mut fresh, mut failed, mut skipped, mut stopped) = (0, 0, 0, 0, 0);
        for task in &report.tasks {
            let (word, detail) = match &task.outcome {
                Outcome::Ran { .. } => {
                    ran += 1;
                    ("ran", format_duration(task.duration))
                }
                Outcome::Fresh => {
                    fresh += 1;
                    ("fresh", String::new())
                }
                Outcome::Failed { message } => {
                    failed += 1;
                    // The task's own note printed the whole message, hint included.
                    let first = message.lines().next().unwrap_or_default();
                    ("failed", format!("{} {first}", format_duration(task.duration)))
                }
                Outcome::Skipped { reason } => {
                    skipped += 1;
                    ("skipped", reason.clone())
                }
                Outcome::Interrupted => {
                    stopped += 1;
                    ("stopped", format_duration(task.duration))
                }
                Outcome::Stale { .. } => ("stale", String::new()),
            };
            let show = match &task.outcome {
                Outcome::Failed { .. } | Outcome::Interrupted => true,
                _ => self.verbosity >= Verbosity::Normal,
            };
            if show {
                text.push_str(&format!("  {word:<7} {:<width$}  {detail}", task.name));
                text.truncate(text.trim_end().len());
                text.push('\n');
            }
        }
        if self.verbosity >= Verbosity::Normal || failed + stopped > 0 {
            let mut totals = format!("{ran} ran, {fresh} fresh");
            if failed > 0 {
                totals.push_str(&format!(", {failed} failed"));
            }
            if stopped > 0 {
                totals.push_str(&format!(", {stopped} stopped"));
            }
            if skipped > 0 {
                totals.push_str(&format!(", {skipped} skipped"));
            }
            let status = if report.interrupted { "interrupted" } else { "summary" };
            text.insert_str(
                0,
                &format!("{status}: {totals} in {}\n", format_duration(report.duration)),
            );
            text.push_str(&format!("  sandbox: {}\n", report.sandbox));
            if let Some(task) = &report.learned {
                text.push_str(&format!(
                    "  learn: `{task}` ran unconfined under strace; the sandbox line is for the \
                     other tasks\n"
                ));
            }
        }
        self.write_err(&text);
    }

    fn write_out(&self, text: &str) {
        if self.stderr_only {
            return self.write_err(text);
        }
        let _ = io::stdout().lock().write_all(text.as_bytes());
    }

    fn write_err(&self, text: &str) {
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }
}

/// Formats a duration the way the summary prints it: milliseconds below a
/// second, seconds with two decimals above.
pub(crate) fn format_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{}ms", duration.as_millis())
    } else {
        format!("{:.2}s", duration.as_secs_f64())
    }
}
