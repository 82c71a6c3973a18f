//! The benchmark program behind `cargo xtask bench`.
//!
//! Each benchmark runs its contenders (our runner and its peers: GNU make,
//! go-task, find) as child processes, interleaved round by round, so the noise
//! of a shared machine falls on all of them alike. A sample is the wall time
//! from spawn to exit, with the child's peak RSS from wait4(2). The program
//! prints the timings and the ratios against the performance targets as
//! Markdown and writes the same text to `target/bench/report.md`.
//!
//! `bench [--rounds N] [BENCHMARK]...` runs the named benchmarks, or all of
//! them in the order of `BENCHMARKS`; `--rounds` overrides every benchmark's
//! number of timed rounds. The hidden subcommands `__runner` and `__plan` are
//! processes that the benchmarks time: they declare the benchmark's tasks with
//! `runner::Runner`, as a project's own xtask binary does, so process start-up
//! counts as it would for `cargo xtask`.

mod child;
mod contender;
mod freshness;
mod graphs;
mod peers;
mod planning;
mod report;
mod rounds;
mod scheduler;
mod spawn;
mod stats;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::peers::Peers;
use crate::report::Section;

/// The benchmarks in the order a full run takes them.
const BENCHMARKS: [&str; 4] = ["scheduler", "planning", "spawn", "freshness"];

const USAGE: &str = "\
Usage: bench [--rounds N] [BENCHMARK]...

Runs the named benchmarks, or all of them: scheduler, planning, spawn, freshness.
Prints the results and writes them to target/bench/report.md.

Options:
  --rounds N   Timed rounds per benchmark [default: each benchmark's own]
  -h, --help   Print this help
";

/// The paths, round count and peers that every benchmark shares.
pub struct Bench {
    /// This program, re-executed with a hidden subcommand as the runner contender.
    pub exe: PathBuf,
    /// The directory for generated projects and trees, below `target/bench`.
    pub work: PathBuf,
    /// Overrides each benchmark's default number of timed rounds.
    pub rounds: Option<usize>,
    /// make and go-task, looked up (and go-task installed) on first use.
    pub peers: Peers,
}

impl Bench {
    /// Returns the number of timed rounds: `--rounds` if given, else `default`.
    pub fn rounds(&self, default: usize) -> usize {
        self.rounds.unwrap_or(default).max(1)
    }

    /// Creates and returns the work directory of one benchmark.
    pub fn work_dir(&self, name: &str) -> Result<PathBuf, String> {
        let dir = self.work.join(name);
        std::fs::create_dir_all(&dir)
            .map_err(|err| format!("failed to create `{}`: {err}", dir.display()))?;
        Ok(dir)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("__runner") => return child::run_runner(&args[1..]),
        Some("__plan") => return child::run_plan(&args[1..]),
        _ => {}
    }

    let request = match parse_args(&args) {
        Ok(Some(request)) => request,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(request.rounds, &request.benchmarks) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The benchmarks and round count that the command line requests.
struct Request {
    rounds: Option<usize>,
    benchmarks: Vec<&'static str>,
}

/// Parses the command line; `None` means help was requested.
fn parse_args(args: &[String]) -> Result<Option<Request>, String> {
    let mut rounds = None;
    let mut selected = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--rounds" => {
                let value = args.next().ok_or("missing value for `--rounds`")?;
                let count =
                    value.parse::<usize>().ok().filter(|&count| count > 0).ok_or_else(|| {
                        format!(
                            "invalid value `{value}` for `--rounds`: expected a positive number"
                        )
                    })?;
                rounds = Some(count);
            }
            name => {
                let known = BENCHMARKS.iter().find(|known| **known == name).ok_or_else(|| {
                    format!("unknown benchmark `{name}`: expected one of {}", BENCHMARKS.join(", "))
                })?;
                selected.push(*known);
            }
        }
    }
    if selected.is_empty() {
        selected = BENCHMARKS.to_vec();
    }
    Ok(Some(Request { rounds, benchmarks: selected }))
}

fn run(rounds: Option<usize>, selected: &[&str]) -> Result<(), String> {
    let exe = std::env::current_exe()
        .map_err(|err| format!("failed to find the path of this program: {err}"))?;
    let target = target_dir(&exe)?;
    let bench = Bench { exe, work: target.join("bench/work"), rounds, peers: Peers::default() };

    let mut sections: Vec<Section> = Vec::new();
    for name in selected {
        eprintln!("bench: running `{name}`");
        let load_before = load_average();
        let mut section = match *name {
            "scheduler" => scheduler::run(&bench)?,
            "planning" => planning::run(&bench)?,
            "spawn" => spawn::run(&bench)?,
            "freshness" => freshness::run(&bench)?,
            other => return Err(format!("unknown benchmark `{other}`")),
        };
        section.notes.push(format!(
            "Load average (1, 5, 15 minutes) before: {load_before}; after: {}.",
            load_average()
        ));
        print!("{}", section.to_markdown());
        sections.push(section);
    }

    let text = report::document(&sections, &bench.peers);
    let path = target.join("bench/report.md");
    std::fs::write(&path, text)
        .map_err(|err| format!("failed to write `{}`: {err}", path.display()))?;
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}

/// Returns the first three fields of `/proc/loadavg`, which show how busy the
/// machine was around a benchmark.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    if fields.is_empty() { "unknown".to_string() } else { fields.join(" ") }
}

/// Returns cargo's target directory: this program lives in `<target>/release/`.
fn target_dir(exe: &Path) -> Result<PathBuf, String> {
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("failed to find the target directory above `{}`", exe.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Request>, String> {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        parse_args(&args)
    }

    #[test]
    fn no_arguments_run_every_benchmark() {
        let request = parse(&[]).unwrap().unwrap();
        assert_eq!(request.benchmarks, BENCHMARKS);
        assert_eq!(request.rounds, None);
    }

    #[test]
    fn filter_and_rounds_are_parsed() {
        let request = parse(&["--rounds", "3", "spawn"]).unwrap().unwrap();
        assert_eq!(request.benchmarks, ["spawn"]);
        assert_eq!(request.rounds, Some(3));
    }

    #[test]
    fn unknown_benchmark_is_error() {
        let err = parse(&["schedular"]).err().unwrap();
        assert!(
            err.starts_with("unknown benchmark `schedular`: expected one of scheduler"),
            "{err}"
        );
    }

    #[test]
    fn invalid_rounds_is_error() {
        assert!(parse(&["--rounds", "many"]).err().unwrap().contains("`many`"));
        assert!(parse(&["--rounds", "0"]).err().unwrap().contains("`0`"));
        assert_eq!(parse(&["--rounds"]).err().unwrap(), "missing value for `--rounds`");
    }

    #[test]
    fn help_is_none() {
        assert!(parse(&["--help"]).unwrap().is_none());
    }
}
