//! The command line of `cargo xtask` (`Runner::main`).
//!
//! Options come first from `RUNNER_*` environment variables, then from the
//! arguments, so an argument overrides its variable. Parsing uses `lexopt`,
//! which accepts the usual forms (`-j4`, `-j 4`, `--jobs=4`, bundled short
//! flags) and stops option parsing at `--`. An unknown option or a bad value is
//! a usage error, which exits with 2.

use std::ffi::OsString;

use lexopt::{Arg, Parser, ValueExt};

use crate::options::{Action, Force, Options};
use crate::output::Verbosity;
use crate::sandbox::SandboxMode;
use crate::{Error, Result};

/// The request a command line makes.
pub(crate) enum Request {
    /// Run or query tasks.
    Tasks(Options),
    /// Print the help text.
    Help,
}

pub(crate) const HELP: &str = "\
Usage: cargo xtask [OPTIONS] [TASK]...

Runs the named tasks and what they depend on. With no task, lists the tasks.

Options:
  -l, --list              List the tasks with their docs
  -n, --dry-run           Print the commands that would run, in order; run nothing
  -j, --jobs N            Run at most N tasks at once [default: number of cores]
  -f, --force             Run the named tasks even when they are fresh
      --force-all         Run the named tasks and all their dependencies
  -k, --keep-going        After a failure, go on with the tasks that do not depend on it
      --explain           Print whether each planned task is fresh, and why not
      --status            Exit with 1 if a named task is stale; run nothing
      --graph             Print the task graph in DOT
      --clean             Forget the recorded state of the named tasks, or of all
      --learn             Run the named task once unconfined under strace and print
                          the sources, generates and scopes it needs
      --sandbox MODE      Confine tasks: off, warn or enforce [default: warn]
      --no-sandbox        Run tasks unconfined (same as --sandbox off)
      --denials MODE      List a failed task's denied accesses: auto, audit, trace or
                          off [default: auto]
  -v, --verbose           Print the sandbox status and why tasks run; twice for traces
  -q, --quiet             Print only the commands' output and failures
  -h, --help              Print this help

Each option can also be set with an environment variable: RUNNER_LIST,
RUNNER_DRY_RUN, RUNNER_JOBS, RUNNER_FORCE, RUNNER_FORCE_ALL, RUNNER_KEEP_GOING,
RUNNER_EXPLAIN, RUNNER_STATUS, RUNNER_GRAPH, RUNNER_CLEAN, RUNNER_LEARN, RUNNER_SANDBOX,
RUNNER_DENIALS, RUNNER_VERBOSE (a count) and RUNNER_QUIET. Flags take 1, true, yes or 0,
false, no.
";

/// Parses `args` (without the program name) on top of `env`, a lookup of
/// environment variables.
pub(crate) fn parse<I>(args: I, env: impl Fn(&str) -> Option<OsString>) -> Result<Request>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut options = Options::default();
    apply_env(&mut options, &env)?;

    let mut parser = Parser::from_args(args);
    let mut verbose = 0;
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => return Ok(Request::Help),
            Arg::Short('l') | Arg::Long("list") => options.action = Action::List,
            Arg::Short('n') | Arg::Long("dry-run") => options.dry_run = true,
            Arg::Short('j') | Arg::Long("jobs") => {
                let value = parser.value().map_err(usage)?;
                options.jobs = parse_jobs(&value.string().map_err(usage)?, "--jobs")?;
            }
            Arg::Short('f') | Arg::Long("force") => options.force = Force::Named,
            Arg::Long("force-all") => options.force = Force::All,
            Arg::Short('k') | Arg::Long("keep-going") => options.keep_going = true,
            Arg::Long("explain") | Arg::Long("why") => options.action = Action::Explain,
            Arg::Long("status") => options.action = Action::Status,
            Arg::Long("graph") => options.action = Action::Graph,
            Arg::Long("clean") => options.action = Action::Clean,
            Arg::Long("learn") => {
                options.action = Action::Learn;
                // `--learn TASK` names the task as any run does; `--learn=TASK` too.
                if let Some(task) = parser.optional_value() {
                    options.tasks.push(task.string().map_err(usage)?);
                }
            }
            Arg::Long("sandbox") => {
                let value = parser.value().map_err(usage)?;
                options.sandbox = Some(value.string().map_err(usage)?.parse()?);
            }
            Arg::Long("no-sandbox") => options.sandbox = Some(SandboxMode::Off),
            Arg::Long("denials") => {
                let value = parser.value().map_err(usage)?;
                options.denials = value.string().map_err(usage)?.parse()?;
            }
            Arg::Short('v') | Arg::Long("verbose") => verbose += 1,
            Arg::Short('q') | Arg::Long("quiet") => options.verbosity = Verbosity::Quiet,
            Arg::Value(name) => options.tasks.push(name.string().map_err(usage)?),
            other => return Err(usage(other.unexpected())),
        }
    }
    if verbose > 0 {
        options.verbosity = verbosity_from_count(verbose);
    }
    Ok(Request::Tasks(options))
}

fn apply_env(options: &mut Options, env: &impl Fn(&str) -> Option<OsString>) -> Result<()> {
    let text = |name: &str| -> Result<Option<String>> {
        match env(name) {
            None => Ok(None),
            Some(value) => value.into_string().map(Some).map_err(|_| {
                Error::usage(format!("environment variable `{name}` is not valid UTF-8"))
            }),
        }
    };
    let flag = |name: &str| -> Result<bool> {
        match text(name)?.as_deref() {
            None | Some("") => Ok(false),
            Some("1" | "true" | "yes") => Ok(true),
            Some("0" | "false" | "no") => Ok(false),
            Some(other) => Err(Error::usage(format!(
                "invalid value `{other}` in `{name}`: expected 1, true, yes, 0, false or no"
            ))),
        }
    };

    if flag("RUNNER_LIST")? {
        options.action = Action::List;
    }
    if flag("RUNNER_GRAPH")? {
        options.action = Action::Graph;
    }
    if flag("RUNNER_EXPLAIN")? {
        options.action = Action::Explain;
    }
    if flag("RUNNER_CLEAN")? {
        options.action = Action::Clean;
    }
    if flag("RUNNER_STATUS")? {
        options.action = Action::Status;
    }
    if flag("RUNNER_LEARN")? {
        options.action = Action::Learn;
    }
    options.dry_run = flag("RUNNER_DRY_RUN")?;
    options.keep_going = flag("RUNNER_KEEP_GOING")?;
    if flag("RUNNER_FORCE")? {
        options.force = Force::Named;
    }
    if flag("RUNNER_FORCE_ALL")? {
        options.force = Force::All;
    }
    if let Some(jobs) = text("RUNNER_JOBS")?.filter(|jobs| !jobs.is_empty()) {
        options.jobs = parse_jobs(&jobs, "RUNNER_JOBS")?;
    }
    if let Some(mode) = text("RUNNER_SANDBOX")?.filter(|mode| !mode.is_empty()) {
        options.sandbox = Some(mode.parse()?);
    }
    if let Some(mode) = text("RUNNER_DENIALS")?.filter(|mode| !mode.is_empty()) {
        options.denials = mode.parse()?;
    }
    if let Some(count) = text("RUNNER_VERBOSE")?.filter(|count| !count.is_empty()) {
        let count: u8 = count.parse().map_err(|_| {
            Error::usage(format!("invalid value `{count}` in `RUNNER_VERBOSE`: expected a count"))
        })?;
        if count > 0 {
            options.verbosity = verbosity_from_count(count);
        }
    }
    if flag("RUNNER_QUIET")? {
        options.verbosity = Verbosity::Quiet;
    }
    Ok(())
}

fn verbosity_from_count(count: u8) -> Verbosity {
    if count >= 2 { Verbosity::Trace } else { Verbosity::Verbose }
}

fn parse_jobs(text: &str, source: &str) -> Result<usize> {
    match text.parse::<usize>() {
        Ok(jobs) if jobs > 0 => Ok(jobs),
        _ => Err(Error::usage(format!(
            "invalid value `{text}` for `{source}`: expected a whole number of at least 1"
        ))),
    }
}

fn usage(err: impl std::fmt::Display) -> Error {
    Error::usage(format!("{err}: run with `--help` for usage"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DenialsMode;

    fn options(args: &[&str], env: &[(&str, &str)]) -> Result<Options> {
        let env: Vec<(String, String)> =
            env.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect();
        let lookup = |name: &str| {
            env.iter().find(|(key, _)| key == name).map(|(_, value)| OsString::from(value))
        };
        match parse(args.iter().copied(), lookup)? {
            Request::Tasks(options) => Ok(options),
            Request::Help => panic!("help was requested"),
        }
    }

    #[test]
    fn flags_and_tasks() {
        let parsed = options(&["-j2", "-k", "build", "-n", "test"], &[]).unwrap();
        assert_eq!(parsed.jobs, 2);
        assert!(parsed.keep_going);
        assert!(parsed.dry_run);
        assert_eq!(parsed.tasks, ["build", "test"]);
    }

    #[test]
    fn argument_overrides_environment() {
        let parsed = options(&["--jobs", "3"], &[("RUNNER_JOBS", "5")]).unwrap();
        assert_eq!(parsed.jobs, 3);
        let parsed = options(&[], &[("RUNNER_JOBS", "5"), ("RUNNER_KEEP_GOING", "1")]).unwrap();
        assert_eq!(parsed.jobs, 5);
        assert!(parsed.keep_going);
    }

    #[test]
    fn actions_from_environment() {
        assert_eq!(options(&[], &[("RUNNER_CLEAN", "1")]).unwrap().action, Action::Clean);
        assert_eq!(options(&[], &[("RUNNER_EXPLAIN", "yes")]).unwrap().action, Action::Explain);
        assert_eq!(options(&["--status"], &[("RUNNER_LIST", "1")]).unwrap().action, Action::Status);
    }

    #[test]
    fn sandbox_forms() {
        assert_eq!(options(&["--no-sandbox"], &[]).unwrap().sandbox, Some(SandboxMode::Off));
        let parsed = options(&["--sandbox=enforce"], &[]).unwrap();
        assert_eq!(parsed.sandbox, Some(SandboxMode::Enforce));
        let parsed = options(&[], &[("RUNNER_SANDBOX", "warn")]).unwrap();
        assert_eq!(parsed.sandbox, Some(SandboxMode::Warn));
        assert!(options(&["--sandbox=strict"], &[]).is_err());
    }

    #[test]
    fn learn_from_flag_and_environment() {
        let parsed = options(&["--learn", "gen"], &[]).unwrap();
        assert_eq!(parsed.action, Action::Learn);
        assert_eq!(parsed.tasks, ["gen"]);
        let parsed = options(&["--learn=gen"], &[]).unwrap();
        assert_eq!((parsed.action, parsed.tasks), (Action::Learn, vec!["gen".to_string()]));
        assert_eq!(options(&[], &[("RUNNER_LEARN", "1")]).unwrap().action, Action::Learn);
    }

    #[test]
    fn denials_forms() {
        assert_eq!(options(&[], &[]).unwrap().denials, DenialsMode::Auto);
        assert_eq!(options(&["--denials=audit"], &[]).unwrap().denials, DenialsMode::Audit);
        let parsed = options(&["--denials", "off"], &[("RUNNER_DENIALS", "trace")]).unwrap();
        assert_eq!(parsed.denials, DenialsMode::Off);
        let parsed = options(&[], &[("RUNNER_DENIALS", "trace")]).unwrap();
        assert_eq!(parsed.denials, DenialsMode::Trace);
        let error = options(&["--denials=all"], &[]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let error = options(&[], &[("RUNNER_DENIALS", "all")]).unwrap_err();
        assert!(error.to_string().contains("`all`"), "{error}");
    }

    #[test]
    fn unknown_option_is_usage_error() {
        let err = options(&["--frobnicate"], &[]).err().unwrap();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--frobnicate"), "{err}");
    }

    #[test]
    fn bad_environment_value_names_variable() {
        let err = options(&[], &[("RUNNER_KEEP_GOING", "maybe")]).err().unwrap();
        assert!(err.to_string().contains("RUNNER_KEEP_GOING"), "{err}");
        let err = options(&[], &[("RUNNER_JOBS", "0")]).err().unwrap();
        assert!(err.to_string().contains("RUNNER_JOBS"), "{err}");
    }
}
