//! The benchmark program behind `cargo xtask bench`.
//!
//! Each benchmark runs its contenders (our runner and its peers: GNU make,
//! go-task, just, find, or two modes of our runner) as child processes, interleaved round by round, so the
//! noise of a shared machine falls on all of them alike. A sample is the wall
//! time from spawn to exit, with the child's CPU time and peak RSS from
//! wait4(2). The program prints the tables, the ratios to each peer and the
//! verdicts on the performance targets as Markdown, and writes the whole
//! report, method and machine included.
//!
//! `bench [--quick] [--rounds N] [--out FILE] [BENCHMARK]...` runs the named
//! benchmarks, or all of them in the order of `BENCHMARKS`. A full run of all
//! of them writes `docs/benchmarks.md`; `--quick` uses smaller workloads and
//! writes `target/bench/quick.md`; any other selection writes
//! `target/bench/report.md`. The report gives the command that ran it from
//! `BENCH_COMMAND`, which `cargo xtask bench` sets, and paths below the
//! repository root relative to it.
//!
//! The hidden subcommands `__runner` and `__plan` are processes that the
//! benchmarks time: they declare the benchmark's tasks with `runner::Runner`,
//! as a project's own xtask binary does, so process start-up counts as it
//! would for `cargo xtask`.

mod chain;
mod child;
mod contender;
mod freshness;
mod graphs;
mod learn;
mod peers;
mod planning;
mod report;
mod rounds;
mod scheduler;
mod spawn;
mod startup;
mod stats;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::peers::Peers;
use crate::report::Section;

/// One benchmark: its name on the command line and the function that runs it.
struct Benchmark {
    name: &'static str,
    run: fn(&Bench) -> Result<Section, String>,
}

/// The benchmarks in the order a full run takes them. A new benchmark is a
/// module with a `run` function and one line here.
const BENCHMARKS: [Benchmark; 7] = [
    Benchmark { name: "scheduler", run: scheduler::run },
    Benchmark { name: "chain", run: chain::run },
    Benchmark { name: "startup", run: startup::run },
    Benchmark { name: "planning", run: planning::run },
    Benchmark { name: "spawn", run: spawn::run },
    Benchmark { name: "freshness", run: freshness::run },
    Benchmark { name: "learn", run: learn::run },
];

/// The rounds of every benchmark in quick mode, after one warm-up round.
const QUICK_ROUNDS: usize = 3;

const USAGE: &str = "\
Usage: bench [--quick] [--rounds N] [--out FILE] [BENCHMARK]...

Runs the named benchmarks, or all of them: scheduler, chain, startup, planning,
spawn, freshness, learn. Prints the results. A full run of all of them writes
docs/benchmarks.md, --quick writes target/bench/quick.md, and any other
selection writes target/bench/report.md.

Options:
  --quick      Smaller workloads and at most 3 rounds each, to check the harness
  --rounds N   Timed rounds per benchmark [default: each benchmark's own]
  --out FILE   Write the report to FILE instead
  -h, --help   Print this help
";

/// The paths, round count and peers that every benchmark shares.
pub struct Bench {
    /// This program, re-executed with a hidden subcommand as the runner contender.
    pub exe: PathBuf,
    /// The directory for generated projects and trees, below `target/bench`.
    pub work: PathBuf,
    /// The root of this repository, where `cargo xtask` runs.
    pub repo: PathBuf,
    /// Overrides each benchmark's default number of timed rounds.
    pub rounds: Option<usize>,
    /// Whether to run the smaller workloads of `--quick`.
    pub quick: bool,
    /// make, go-task and just, looked up on first use.
    pub peers: Peers,
}

impl Bench {
    /// Returns the number of timed rounds: `--rounds` if given, else `full`,
    /// or `QUICK_ROUNDS` in quick mode.
    pub fn rounds(&self, full: usize) -> usize {
        let default = if self.quick { QUICK_ROUNDS.min(full) } else { full };
        self.rounds.unwrap_or(default).max(1)
    }

    /// Returns the number of warm-up rounds: `full`, or one in quick mode.
    pub fn warmup(&self, full: usize) -> usize {
        if self.quick { full.min(1) } else { full }
    }

    /// Returns the size of a workload: `full`, or `quick` in quick mode.
    pub fn size(&self, full: usize, quick: usize) -> usize {
        if self.quick { quick } else { full }
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
    match run(&request, &args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The benchmarks, mode and output that the command line requests.
struct Request {
    rounds: Option<usize>,
    quick: bool,
    out: Option<PathBuf>,
    benchmarks: Vec<&'static str>,
}

impl Request {
    /// Checks whether this is the full run, whose report is `docs/benchmarks.md`.
    fn is_full_run(&self) -> bool {
        !self.quick && self.rounds.is_none() && self.benchmarks.len() == BENCHMARKS.len()
    }
}

/// Parses the command line; `None` means help was requested.
fn parse_args(args: &[String]) -> Result<Option<Request>, String> {
    let mut request = Request { rounds: None, quick: false, out: None, benchmarks: Vec::new() };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--quick" => request.quick = true,
            "--rounds" => {
                let value = args.next().ok_or("missing value for `--rounds`")?;
                let count =
                    value.parse::<usize>().ok().filter(|&count| count > 0).ok_or_else(|| {
                        format!(
                            "invalid value `{value}` for `--rounds`: expected a positive number"
                        )
                    })?;
                request.rounds = Some(count);
            }
            "--out" => {
                let value = args.next().ok_or("missing value for `--out`")?;
                request.out = Some(PathBuf::from(value));
            }
            name => {
                let known =
                    BENCHMARKS.iter().find(|known| known.name == name).ok_or_else(|| {
                        let names: Vec<&str> = BENCHMARKS.iter().map(|known| known.name).collect();
                        format!("unknown benchmark `{name}`: expected one of {}", names.join(", "))
                    })?;
                if !request.benchmarks.contains(&known.name) {
                    request.benchmarks.push(known.name);
                }
            }
        }
    }
    if request.benchmarks.is_empty() {
        request.benchmarks = BENCHMARKS.iter().map(|known| known.name).collect();
    }
    Ok(Some(request))
}

fn run(request: &Request, args: &[String]) -> Result<(), String> {
    let exe = std::env::current_exe()
        .map_err(|err| format!("failed to find the path of this program: {err}"))?;
    let target = target_dir(&exe)?;
    let repo = repo_root();
    let work = target.join(if request.quick { "bench/work-quick" } else { "bench/work" });
    let bench = Bench {
        exe,
        work,
        repo: repo.clone(),
        rounds: request.rounds,
        quick: request.quick,
        peers: Peers::default(),
    };

    let mut sections: Vec<Section> = Vec::new();
    for name in &request.benchmarks {
        let Some(benchmark) = BENCHMARKS.iter().find(|known| known.name == *name) else {
            return Err(format!("unknown benchmark `{name}`"));
        };
        eprintln!("bench: running `{name}`");
        let load_before = load_average();
        let mut section = (benchmark.run)(&bench)?;
        section.notes.push(format!(
            "Load average (1, 5, 15 minutes) before: {load_before}; after: {}.",
            load_average()
        ));
        print!("{}", section.to_markdown());
        sections.push(section);
    }

    let path = match &request.out {
        Some(path) => path.clone(),
        None if request.quick => target.join("bench/quick.md"),
        None if request.is_full_run() => repo.join("docs/benchmarks.md"),
        None => target.join("bench/report.md"),
    };
    let command = std::env::var("BENCH_COMMAND").unwrap_or_else(|_| {
        let mut words = vec!["cargo run --release -p xtask --bin bench --".to_string()];
        words.extend(args.iter().cloned());
        words.join(" ")
    });
    let run = report::RunInfo {
        command: &command,
        quick: request.quick,
        repo: &repo,
        peers: &bench.peers,
    };
    let text = report::document(&sections, &run);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|err| format!("failed to create `{}`: {err}", parent.display()))?;
    }
    std::fs::write(&path, text)
        .map_err(|err| format!("failed to write `{}`: {err}", path.display()))?;
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}

/// Returns the root of this repository, the parent of the xtask package.
fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Returns the first three fields of `/proc/loadavg`, which show how busy the
/// machine was around a benchmark.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    if fields.is_empty() { "unknown".to_string() } else { fields.join(" ") }
}

/// Returns cargo's target directory: this program lives in `<target>/<profile>/`.
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
        let names: Vec<&str> = BENCHMARKS.iter().map(|known| known.name).collect();
        assert_eq!(request.benchmarks, names);
        assert_eq!(request.rounds, None);
        assert!(request.is_full_run());
    }

    #[test]
    fn quick_and_out_are_parsed() {
        let request = parse(&["--quick", "--out", "x.md"]).unwrap().unwrap();
        assert!(request.quick);
        assert_eq!(request.out, Some(PathBuf::from("x.md")));
        assert!(!request.is_full_run());
        assert_eq!(parse(&["--out"]).err().unwrap(), "missing value for `--out`");
    }

    #[test]
    fn filter_and_rounds_are_parsed() {
        let request = parse(&["--rounds", "3", "spawn"]).unwrap().unwrap();
        assert_eq!(request.benchmarks, ["spawn"]);
        assert_eq!(request.rounds, Some(3));
        assert!(!request.is_full_run());
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
