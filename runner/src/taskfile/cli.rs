//! The `task` command line of the `runner` binary, and the run it drives.
//!
//! Accepted: task names, `VAR=value` words (global vars, on either side of
//! the names), `-- args` (`CLI_ARGS`), and the flags `-t -d -l -a -n -f -s
//! -v -C -p -F -x -o -y --status --summary`, the group output flags, plus
//! `--sandbox[=warn|enforce]`, `--no-sandbox`, `--denials=MODE` (or
//! `RUNNER_DENIALS`) and `--learn`. The sandbox is off for Taskfiles unless
//! `--sandbox`, `TASK_SANDBOX=1` or `RUNNER_SANDBOX`
//! (`warn`, `enforce` or `1`) turns it on; the flags win over both. Exit codes and
//! messages are go-task 3.54's.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use super::ast::Output;
use super::compile::{self, Call, CliVars};
use super::exec::{Cancel, Executor, Failure, Options};
use super::load::{self, Project};
use super::vars::Resolver;
use super::{list, messages, references, summary};
use crate::{DenialsMode, Error, SandboxMode};

/// A parsed command line.
#[derive(Debug, Default)]
pub(crate) struct Args {
    pub(crate) tasks: Vec<String>,
    pub(crate) vars: Vec<(String, String)>,
    pub(crate) cli_args: Vec<String>,
    pub(crate) taskfile: Option<PathBuf>,
    pub(crate) dir: Option<PathBuf>,
    pub(crate) list: bool,
    pub(crate) list_all: bool,
    pub(crate) status: bool,
    pub(crate) summary: bool,
    /// `--learn`: run the one named task under strace and print what it needs.
    pub(crate) learn: bool,
    pub(crate) help: bool,
    pub(crate) version: bool,
    /// `--sandbox[=MODE]` or `--no-sandbox`; `None` leaves it to the environment.
    pub(crate) sandbox: Option<SandboxMode>,
    /// `--denials=MODE`; `None` leaves it to `RUNNER_DENIALS`.
    pub(crate) denials: Option<DenialsMode>,
    pub(crate) group_begin: Option<String>,
    pub(crate) group_end: Option<String>,
    pub(crate) group_error_only: bool,
    pub(crate) output: Option<String>,
    pub(crate) options: Options,
}

const USAGE: &str = "Usage: task [flags...] [task...] [VAR=value...] [-- args...]

Runs the tasks of a Taskfile.yml the way go-task does.

Flags:
  -t, --taskfile FILE     the Taskfile to run
  -d, --dir DIR           the directory to find the Taskfile in and run from
  -l, --list              list the tasks that have a description
  -a, --list-all          list all tasks
  -n, --dry               print the commands without running them
  -f, --force             run even up-to-date tasks, skipping preconditions
  -s, --silent            do not echo commands
  -v, --verbose           print more about what runs and why
  -C, --concurrency N     run at most N tasks at once (0: no limit)
  -p, --parallel          run the named tasks concurrently
  -F, --failfast          stop the other deps when one fails
  -x, --exit-code         exit with the failing command's own status
  -o, --output STYLE      interleaved, group or prefixed
  -y, --yes               answer yes to every prompt
      --status            exit 0 if the tasks are up to date, 1 otherwise
      --summary           print the summary of the tasks
      --learn             run the named task once unconfined under strace and
                          print the sources, generates and scopes it needs
      --sandbox [MODE]    confine each task to its sources, generates and scopes;
                          MODE is warn (the default), enforce or off
      --no-sandbox        run tasks unconfined (the default for Taskfiles)
      --denials MODE      list a failed task's denied accesses: auto (the
                          default), audit, trace or off; also RUNNER_DENIALS
  -h, --help              print this help
";

/// Parses the arguments after the program name.
pub(crate) fn parse(args: Vec<OsString>) -> Result<Args, Error> {
    use lexopt::prelude::*;

    let split = args.iter().position(|a| a == "--");
    let (before, after) = match split {
        Some(index) => (args[..index].to_vec(), args[index + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let mut parsed = Args {
        cli_args: after.into_iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        ..Args::default()
    };
    let mut parser = lexopt::Parser::from_args(before);
    let usage = |e: lexopt::Error| Error::usage(e.to_string());
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Short('t') | Long("taskfile") => {
                parsed.taskfile = Some(parser.value().map_err(usage)?.into())
            }
            Short('d') | Long("dir") => parsed.dir = Some(parser.value().map_err(usage)?.into()),
            Short('l') | Long("list") => parsed.list = true,
            Short('a') | Long("list-all") => parsed.list_all = true,
            Short('n') | Long("dry") => parsed.options.dry = true,
            Short('f') | Long("force") => parsed.options.force = true,
            Short('s') | Long("silent") => parsed.options.silent = true,
            Short('v') | Long("verbose") => parsed.options.verbose = true,
            Short('p') | Long("parallel") => parsed.options.parallel = true,
            Short('F') | Long("failfast") => parsed.options.failfast = true,
            Short('x') | Long("exit-code") => parsed.options.exit_code = true,
            Short('y') | Long("yes") => parsed.options.yes = true,
            Short('h') | Long("help") => parsed.help = true,
            Long("version") => parsed.version = true,
            Long("status") => parsed.status = true,
            Long("summary") => parsed.summary = true,
            Long("learn") => {
                parsed.learn = true;
                if let Some(task) = parser.optional_value() {
                    parsed.tasks.push(task.to_string_lossy().into_owned());
                }
            }
            Long("sandbox") => {
                let mode = match parser.optional_value() {
                    Some(value) => value.to_string_lossy().parse()?,
                    None => separate_sandbox_mode(&mut parser)?.unwrap_or(SandboxMode::Warn),
                };
                parsed.sandbox = Some(mode);
            }
            Long("no-sandbox") => parsed.sandbox = Some(SandboxMode::Off),
            Long("denials") => {
                parsed.denials = Some(parser.value().map_err(usage)?.to_string_lossy().parse()?)
            }
            Short('C') | Long("concurrency") => {
                let value = parser.value().map_err(usage)?;
                let text = value.to_string_lossy();
                parsed.options.concurrency = text.parse().map_err(|_| {
                    Error::usage(format!(
                        "invalid argument \"{text}\" for \"-C, --concurrency\" flag: expected a \
                         number of tasks"
                    ))
                })?;
            }
            Short('o') | Long("output") => {
                parsed.output = Some(parser.value().map_err(usage)?.to_string_lossy().into_owned())
            }
            Long("output-group-begin") => {
                parsed.group_begin =
                    Some(parser.value().map_err(usage)?.to_string_lossy().into_owned())
            }
            Long("output-group-end") => {
                parsed.group_end =
                    Some(parser.value().map_err(usage)?.to_string_lossy().into_owned())
            }
            Long("output-group-error-only") => parsed.group_error_only = true,
            Value(value) => {
                let word = value.to_string_lossy().into_owned();
                match word.split_once('=') {
                    Some((name, value)) if !name.is_empty() && !name.contains(':') => {
                        parsed.vars.push((name.to_string(), value.to_string()))
                    }
                    _ => parsed.tasks.push(word),
                }
            }
            other => return Err(Error::usage(other.unexpected().to_string())),
        }
    }
    Ok(parsed)
}

/// Reads the denials mode from `RUNNER_DENIALS`; unset or empty is `auto`.
fn denials_from_env() -> Result<DenialsMode, Error> {
    match std::env::var("RUNNER_DENIALS") {
        Ok(value) if !value.is_empty() => value.parse(),
        _ => Ok(DenialsMode::Auto),
    }
}

/// Takes the argument after a bare `--sandbox` as its mode when it names one
/// (`off`, `warn` or `enforce`), so `--sandbox enforce` reads as the user
/// meant. A task with one of those names then needs `--sandbox=MODE` first.
fn separate_sandbox_mode(parser: &mut lexopt::Parser) -> Result<Option<SandboxMode>, Error> {
    let mut raw = parser.raw_args().map_err(|e| Error::usage(e.to_string()))?;
    let named = raw
        .peek()
        .and_then(|next| next.to_str())
        .filter(|next| matches!(*next, "off" | "warn" | "enforce"));
    let Some(name) = named else {
        return Ok(None);
    };
    let mode = name.parse()?;
    raw.next();
    Ok(Some(mode))
}

/// Reads the sandbox mode from `RUNNER_SANDBOX` (`off`, `warn`, `enforce`,
/// or `1` for warn) or `TASK_SANDBOX=1`; unset means off.
fn sandbox_from_env() -> Result<SandboxMode, Error> {
    for name in ["RUNNER_SANDBOX", "TASK_SANDBOX"] {
        match std::env::var(name).as_deref() {
            Ok("" | "0") | Err(_) => continue,
            Ok("1" | "true") => return Ok(SandboxMode::Warn),
            Ok(mode) => return mode.parse(),
        }
    }
    Ok(SandboxMode::Off)
}

fn output_style(args: &Args) -> Result<Option<Output>, Failure> {
    let Some(style) = &args.output else {
        if args.group_begin.is_some() || args.group_end.is_some() || args.group_error_only {
            return Ok(None);
        }
        return Ok(None);
    };
    match style.as_str() {
        "interleaved" => Ok(Some(Output::Interleaved)),
        "group" => Ok(Some(Output::Group {
            begin: args.group_begin.clone(),
            end: args.group_end.clone(),
            error_only: args.group_error_only,
        })),
        "prefixed" => Ok(Some(Output::Prefixed)),
        other => Err(Failure::Other {
            message: format!(
                "task: output style \"{other}\" not recognized: use interleaved, group or prefixed"
            ),
            code: 1,
        }),
    }
}

/// Runs the command line and returns the exit code.
pub(crate) fn run(args: Vec<OsString>) -> u8 {
    let mut args = match parse(args) {
        Ok(args) => args,
        Err(error) => {
            errln!("task: {error}\n\n{USAGE}");
            return 2;
        }
    };
    if args.help {
        out!("{USAGE}");
        return 0;
    }
    if args.version {
        outln!("runner {} (go-task 3.54 compatible)", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let mode = match args.sandbox {
        Some(mode) => mode,
        None => match sandbox_from_env() {
            Ok(mode) => mode,
            Err(error) => {
                errln!("task: {error}");
                return 2;
            }
        },
    };
    args.options.sandbox = Some(mode);
    let denials = match args.denials {
        Some(denials) => Ok(denials),
        None => denials_from_env(),
    };
    match denials {
        Ok(denials) => args.options.denials = denials,
        Err(error) => {
            errln!("task: {error}");
            return 2;
        }
    }
    match output_style(&args) {
        Ok(style) => args.options.output = style,
        Err(failure) => {
            errln!("{failure}");
            return failure.exit_code(false);
        }
    }

    let project = match open(&args) {
        Ok(project) => project,
        Err(error) => {
            errln!("{error}");
            return error.exit_code();
        }
    };
    if args.options.verbose {
        for (file, key, pos) in &project.unknown_keys {
            let path = super::diagnostic::display_path(&project.files[*file].path);
            errln!("task: ignoring unknown key `{key}` at {path}:{}:{}", pos.line, pos.column);
        }
    }

    if args.list || args.list_all {
        return match list::format(&project, args.list_all, args.options.silent) {
            Some(text) => {
                out!("{text}");
                0
            }
            None if args.list_all => {
                outln!("{}", messages::NO_TASKS);
                1
            }
            None => {
                outln!("{}", messages::NO_DESCRIBED_TASKS);
                1
            }
        };
    }
    if let Err(error) = references::check(&project) {
        errln!("{error}");
        return error.exit_code();
    }
    if args.tasks.is_empty() {
        args.tasks.push("default".into());
    }
    if args.learn && args.tasks.len() != 1 {
        errln!("task: `--learn` takes exactly one task: name the task to learn");
        return 2;
    }
    for name in &args.tasks {
        if let Some(tasks) = compile::alias_conflict(&project, name, "") {
            errln!("{}", messages::ambiguous(&tasks, name));
            return 203;
        }
        match compile::resolve(&project, name, "") {
            None => {
                match list::format(&project, false, false) {
                    Some(text) => out!("{text}"),
                    None => outln!("{}", messages::NO_DESCRIBED_TASKS),
                }
                errln!("{}", messages::does_not_exist(name, list::suggest(&project, name)));
                return 200;
            }
            Some((index, _)) if project.tasks[index].internal => {
                errln!("{}", messages::internal(name));
                return 202;
            }
            Some((index, _)) if args.learn => args.options.learn = Some(index),
            Some(_) => {}
        }
    }

    let mut resolver = Resolver::new(args.options.verbose);
    resolver.skip_sh = args.summary;
    let cli = CliVars {
        cli_vars: args.vars.clone(),
        cli_args: args.cli_args.clone(),
        force: args.options.force,
        silent: args.options.silent,
        verbose: args.options.verbose,
        assume_yes: args.options.yes,
    };
    let globals = match compile::globals(&project, &resolver, &cli) {
        Ok(globals) => globals,
        Err(failure) => {
            errln!("{failure}");
            return failure.exit_code(false);
        }
    };
    let executor = match Executor::new(project, resolver, globals, args.options.clone()) {
        Ok(executor) => executor,
        Err(failure) => {
            errln!("{failure}");
            return failure.exit_code(false);
        }
    };
    let calls: Vec<Call> =
        args.tasks.iter().map(|name| Call { task: name.clone(), ..Call::default() }).collect();

    if args.summary {
        return print_summaries(&executor, &calls);
    }
    if args.status {
        return check_status(&executor, &calls);
    }
    run_calls(executor, calls)
}

fn open(args: &Args) -> Result<Project, Error> {
    let path = load::discover(args.dir.as_deref(), args.taskfile.as_deref())?;
    let root_dir = match (&args.dir, &args.taskfile) {
        (Some(dir), Some(_)) => Some(dir.clone()),
        _ => None,
    };
    load::load_project(&path, root_dir.as_deref())
}

fn print_summaries(executor: &Executor, calls: &[Call]) -> u8 {
    for (i, call) in calls.iter().enumerate() {
        let task = match executor.compile(call, "", false) {
            Ok(task) => task,
            Err(failure) => {
                errln!("{failure}");
                return failure.exit_code(false);
            }
        };
        if i > 0 {
            out!("\n\n");
        }
        out!("{}", summary::format(&executor.project, &task));
    }
    0
}

fn check_status(executor: &Executor, calls: &[Call]) -> u8 {
    for call in calls {
        let task = match executor.compile(call, "", false) {
            Ok(task) => task,
            Err(failure) => {
                errln!("{failure}");
                return failure.exit_code(false);
            }
        };
        if !executor.up_to_date(&task, &Cancel::root()).0 {
            errln!("{}", messages::not_up_to_date(&task.name));
            return 1;
        }
    }
    0
}

fn run_calls(executor: Executor, calls: Vec<Call>) -> u8 {
    let executor = Arc::new(executor);
    let root = Cancel::root();
    watch_signals(root.clone());
    let pass_through = executor.options.exit_code;
    let report = |failure: &Failure| {
        errln!("{failure}");
        failure.exit_code(pass_through)
    };
    if executor.options.parallel {
        let results: Vec<Result<(), Failure>> = std::thread::scope(|scope| {
            let handles: Vec<_> = calls
                .iter()
                .map(|call| {
                    let root = root.clone();
                    let executor = &executor;
                    scope.spawn(move || executor.run_call(call, "", &root))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(Ok(()))).collect()
        });
        for result in results {
            if let Err(failure) = result {
                return report(&failure);
            }
        }
        return 0;
    }
    for call in &calls {
        if let Err(failure) = executor.run_call(call, "", &root) {
            return report(&failure);
        }
    }
    0
}

/// Stops running commands on SIGINT, SIGTERM and SIGHUP; the third signal
/// exits at once with status 1, as go-task does.
fn watch_signals(root: Arc<Cancel>) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        log::debug!("failed to install signal handlers");
        return;
    };
    std::thread::spawn(move || {
        let mut count = 0;
        for signal in signals.forever() {
            count += 1;
            let name = match signal {
                SIGINT => "interrupt",
                SIGTERM => "terminated",
                _ => "hangup",
            };
            errln!("task: Signal received: \"{name}\"");
            root.cancel(signal);
            if count >= 3 {
                std::process::exit(1);
            }
        }
    });
}
