//! `Runner`: the declared tasks and the entry points that run them.
//!
//! `Runner::main` is the whole CLI of an xtask: it parses the process's
//! arguments, runs, prints and maps the result to an exit code. `Runner::run`
//! does the same for arguments given as data and returns the report or the
//! error instead of exiting, and `Runner::execute` skips argument parsing for
//! callers that build `Options` themselves. Every entry validates the whole
//! graph before anything runs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cli::{self, Request};
use crate::fingerprint::Fingerprint;
use crate::freshness::{Freshness, Tracker};
use crate::graph::Graph;
use crate::options::{Action, Force, Options};
use crate::output::{Output, Verbosity};
use crate::plan::Plan;
use crate::report::{Outcome, Report, TaskReport};
use crate::sandbox::{Sandbox, SandboxMode, SandboxStatus};
use crate::schedule::{self, Context};
use crate::signal::{Interrupt, Watcher};
use crate::{Error, Result, Step, Task};

/// The name of the state directory below the project root.
const STATE_DIR: &str = ".runner";

/// A set of tasks and how to run them.
#[derive(Clone, Debug)]
pub struct Runner {
    tasks: Vec<Task>,
    root: Option<PathBuf>,
    state_dir: Option<PathBuf>,
    default_sandbox: SandboxMode,
    /// The directory outside the root that `generates` may name, set by
    /// `Runner::out_dir`.
    out_dir: Option<PathBuf>,
    stderr_only: bool,
}

impl Default for Runner {
    fn default() -> Runner {
        Runner::new()
    }
}

impl Runner {
    /// Creates a runner with no tasks. Tasks are sandboxed in `warn` mode
    /// unless the command line or `Runner::default_sandbox` sets another mode.
    pub fn new() -> Runner {
        Runner {
            tasks: Vec::new(),
            root: None,
            state_dir: None,
            default_sandbox: SandboxMode::Warn,
            out_dir: None,
            stderr_only: false,
        }
    }

    /// Adds a task.
    pub fn task(mut self, task: Task) -> Runner {
        self.tasks.push(task);
        self
    }

    /// Adds several tasks.
    pub fn tasks(mut self, tasks: impl IntoIterator<Item = Task>) -> Runner {
        self.tasks.extend(tasks);
        self
    }

    /// Sets the project root, where relative globs, task directories and the
    /// state directory resolve from. By default it is the nearest ancestor of
    /// the current directory whose `Cargo.toml` has `[workspace]`, else the
    /// current directory.
    pub fn root(mut self, root: impl AsRef<Path>) -> Runner {
        self.root = Some(root.as_ref().to_owned());
        self
    }

    /// Sets the state directory, relative to the root unless absolute. The
    /// default is `.runner`.
    pub fn state_dir(mut self, dir: impl AsRef<Path>) -> Runner {
        self.state_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Sets the sandbox mode used when neither `--sandbox` nor
    /// `RUNNER_SANDBOX` chooses one. The default is `warn`.
    pub fn default_sandbox(mut self, mode: SandboxMode) -> Runner {
        self.default_sandbox = mode;
        self
    }

    /// Lets `generates` entries name paths below `dir` although it lies
    /// outside the root, for a build script's `OUT_DIR`.
    pub(crate) fn out_dir(mut self, dir: PathBuf) -> Runner {
        self.out_dir = Some(dir);
        self
    }

    /// Prints everything on stderr and gives commands a null stdin, for a
    /// build script, whose stdout cargo parses.
    pub(crate) fn stderr_only(mut self) -> Runner {
        self.stderr_only = true;
        self
    }

    /// Returns the declared tasks.
    pub fn get_tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Parses the process's arguments, runs, prints the result and returns the
    /// exit code: 0 on success, 1 when a task failed, 2 for an invalid command
    /// line or task graph, 130 when interrupted.
    pub fn main(self) -> ExitCode {
        let args: Vec<OsString> = std::env::args_os().skip(1).collect();
        let request = match cli::parse(args, |name| std::env::var_os(name)) {
            Ok(request) => request,
            Err(err) => return fail(&err),
        };
        let options = match request {
            Request::Help => {
                print!("{}", cli::HELP);
                return ExitCode::SUCCESS;
            }
            Request::Tasks(options) => options,
        };
        crate::logger::install(options.verbosity);
        match self.execute(&options) {
            Ok(report) => ExitCode::from(report.exit_code()),
            Err(err) => fail(&err),
        }
    }

    /// Parses `args` (without the program name) and `RUNNER_*` variables, runs,
    /// and returns the report. Output is printed as `main` prints it; the
    /// caller decides the exit.
    pub fn run<I>(&self, args: I) -> Result<Report>
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        match cli::parse(args, |name| std::env::var_os(name))? {
            Request::Help => {
                print!("{}", cli::HELP);
                Ok(empty_report(SandboxStatus::Off { reason: "nothing ran".to_string() }))
            }
            Request::Tasks(options) => self.execute(&options),
        }
    }

    /// Runs with `options` and returns the report. Task failures are in the
    /// report; an invalid graph, an unknown task or a sandbox that cannot be
    /// enforced is an error, and nothing runs.
    pub fn execute(&self, options: &Options) -> Result<Report> {
        let graph = Graph::new(self.tasks.clone())?;
        let root = match &self.root {
            Some(root) => root.clone(),
            None => crate::root::default_root()?,
        };
        let root =
            root.canonicalize().map_err(|err| Error::io("resolve the project root", &root, err))?;
        let state_dir = root.join(self.state_dir.as_deref().unwrap_or(Path::new(STATE_DIR)));
        for task in &graph.tasks {
            for entry in &task.generates {
                let out_dir = self.out_dir.as_deref();
                crate::generates::check_entry(&task.name, &root, out_dir, &state_dir, entry)?;
            }
        }
        let jobs = if options.dry_run { 1 } else { options.jobs };
        let output = Output::new(options.verbosity, jobs > 1).stderr_only(self.stderr_only);

        let action = match options.action {
            Action::Run if options.tasks.is_empty() => Action::List,
            action => action,
        };
        let off = |reason: &str| SandboxStatus::Off { reason: reason.to_string() };
        match action {
            Action::List => {
                output.answer(&list(&graph));
                Ok(empty_report(off("nothing ran")))
            }
            Action::Graph => {
                output.answer(&dot(&graph));
                Ok(empty_report(off("nothing ran")))
            }
            Action::Clean => {
                for name in &options.tasks {
                    graph.find(name)?;
                }
                let tracker = Tracker::open(&state_dir, true)?;
                if options.tasks.is_empty() {
                    tracker.clean(None)?;
                } else {
                    for name in &options.tasks {
                        tracker.clean(Some(name))?;
                    }
                }
                Ok(empty_report(off("nothing ran")))
            }
            Action::Explain | Action::Status => {
                let all: Vec<String>;
                let names = if options.tasks.is_empty() {
                    all = graph.tasks.iter().map(|task| task.name.clone()).collect();
                    &all
                } else {
                    &options.tasks
                };
                let plan = Plan::new(&graph, names)?;
                let mut tracker = Tracker::open(&state_dir, false)?;
                tracker.share_outputs(&graph.tasks);
                inspect(&graph, &plan, &root, &tracker, options, &output, action)
            }
            Action::Learn => {
                let [name] = options.tasks.as_slice() else {
                    return Err(Error::usage(
                        "`--learn` takes exactly one task: name the task to learn".to_string(),
                    ));
                };
                if options.dry_run {
                    return Err(Error::usage(
                        "`--learn` runs the task, so it cannot be combined with `--dry-run`"
                            .to_string(),
                    ));
                }
                let learn = graph.find(name)?;
                let plan = Plan::new(&graph, &options.tasks)?;
                let run = PlanRun { root: &root, state_dir: &state_dir, jobs, learn: Some(learn) };
                self.run_plan(&graph, &plan, &run, options, &output)
            }
            Action::Run if options.dry_run => {
                let plan = Plan::new(&graph, &options.tasks)?;
                let mut tracker = Tracker::open(&state_dir, false)?;
                tracker.share_outputs(&graph.tasks);
                inspect(&graph, &plan, &root, &tracker, options, &output, action)
            }
            _ => {
                let plan = Plan::new(&graph, &options.tasks)?;
                let run = PlanRun { root: &root, state_dir: &state_dir, jobs, learn: None };
                self.run_plan(&graph, &plan, &run, options, &output)
            }
        }
    }

    /// Validates the graph and plans `tasks` without checking freshness or
    /// running anything, and returns the number of planned tasks. The
    /// planning benchmark calls it; it is not part of the stable API.
    #[doc(hidden)]
    pub fn validate_and_plan(&self, tasks: &[String]) -> Result<usize> {
        let graph = Graph::new(self.tasks.clone())?;
        let plan = Plan::new(&graph, tasks)?;
        Ok(plan.order.len())
    }

    fn run_plan(
        &self,
        graph: &Graph,
        plan: &Plan,
        run: &PlanRun,
        options: &Options,
        output: &Output,
    ) -> Result<Report> {
        let PlanRun { root, state_dir, jobs, learn } = *run;
        let started = Instant::now();
        let mode = options.sandbox.unwrap_or(self.default_sandbox);
        let sandbox =
            Sandbox::with_denials(mode, options.denials)?.with_out_dir(self.out_dir.clone());
        output.verbose(&format!("sandbox: {}", sandbox.status()));
        for &task in &plan.order {
            sandbox.check_task(&graph.tasks[task], root)?;
        }
        let mut tracker = Tracker::open(state_dir, true)?;
        tracker.share_outputs(&graph.tasks);
        let interrupt = Arc::new(Interrupt::default());
        let _watcher = Watcher::start(Arc::clone(&interrupt))
            .map_err(|err| Error::io("install the signal handler for", "SIGINT", err))?;

        let context = Context {
            graph,
            root,
            tracker: &tracker,
            sandbox: &sandbox,
            output,
            interrupt: &interrupt,
            forced: forced_tasks(graph, plan, options.force),
            fingerprints: Mutex::new(vec![None; graph.tasks.len()]),
            jobs,
            keep_going: options.keep_going,
            learn,
        };
        let tasks = schedule::run(&context, plan);
        let report = Report {
            tasks,
            sandbox: sandbox.status().clone(),
            duration: started.elapsed(),
            interrupted: interrupt.triggered(),
            stale: false,
            learned: learn.map(|task| graph.tasks[task].name.clone()),
        };
        output.summary(&report);
        Ok(report)
    }
}

/// The root, state directory, job count and learn target of one run of a plan.
#[derive(Clone, Copy)]
struct PlanRun<'a> {
    root: &'a Path,
    state_dir: &'a Path,
    jobs: usize,
    /// The task learn mode traces, by index.
    learn: Option<usize>,
}

/// Checks the plan without running it: a dry run prints the commands of the
/// tasks that would run, `--explain` prints one line a task, `--status`
/// reports whether a requested task is stale. Nothing is written.
fn inspect(
    graph: &Graph,
    plan: &Plan,
    root: &Path,
    tracker: &Tracker,
    options: &Options,
    output: &Output,
    action: Action,
) -> Result<Report> {
    let started = Instant::now();
    let forced = forced_tasks(graph, plan, options.force);
    let mut would_run = vec![false; graph.tasks.len()];
    let mut fingerprints = vec![None; graph.tasks.len()];
    let mut tasks = Vec::with_capacity(plan.order.len());
    for (position, &task) in plan.order.iter().enumerate() {
        let declared = &graph.tasks[task];
        let deps_ran: Vec<&str> = plan.waits_for[position]
            .iter()
            .filter(|&&dep| would_run[dep])
            .map(|&dep| graph.tasks[dep].name.as_str())
            .collect();
        let deps: Vec<(&str, Option<Fingerprint>)> = graph.deps[task]
            .iter()
            .map(|&dep| (graph.tasks[dep].name.as_str(), fingerprints[dep]))
            .collect();
        let check = tracker.check(declared, root, &deps, &deps_ran, forced[task])?;
        fingerprints[task] = check.fingerprint;
        if action == Action::Explain {
            output.answer(&check.freshness.line(&declared.name));
        }
        let outcome = match check.freshness {
            Freshness::Fresh => Outcome::Fresh,
            Freshness::Dirty(reasons) => {
                would_run[task] = true;
                Outcome::Stale { reasons }
            }
        };
        if let (Outcome::Stale { .. }, Action::Run) = (&outcome, action) {
            print_steps(graph, declared, output, 0);
        }
        tasks.push(TaskReport { name: declared.name.clone(), outcome, duration: Duration::ZERO });
    }

    let stale = plan.requested.iter().any(|&task| would_run[task]);
    if action == Action::Status && stale && options.verbosity >= Verbosity::Normal {
        for &task in plan.requested.iter().filter(|&&task| would_run[task]) {
            output.info(&format!("task `{}` is stale", graph.tasks[task].name));
        }
    }
    let reason = "nothing ran".to_string();
    Ok(Report {
        tasks,
        sandbox: SandboxStatus::Off { reason },
        duration: started.elapsed(),
        interrupted: false,
        stale: action == Action::Status && stale,
        learned: None,
    })
}

/// Prints the steps of `task` as a dry run shows them, expanding calls into the
/// called task's steps.
fn print_steps(graph: &Graph, task: &Task, output: &Output, depth: usize) {
    for step in &task.steps {
        output.planned(&task.name, step);
        if let Step::Call(callee) = step {
            // Validation rejected call cycles, so the depth is bounded by the
            // number of tasks; the check only guards against a future change.
            if let (Ok(callee), true) = (graph.find(callee), depth < graph.tasks.len()) {
                print_steps(graph, &graph.tasks[callee], output, depth + 1);
            }
        }
    }
}

/// Returns, per task index, whether `force` makes it ignore its state.
fn forced_tasks(graph: &Graph, plan: &Plan, force: Force) -> Vec<bool> {
    let mut forced = vec![false; graph.tasks.len()];
    match force {
        Force::None => {}
        Force::Named => plan.requested.iter().for_each(|&task| forced[task] = true),
        Force::All => plan.order.iter().for_each(|&task| forced[task] = true),
    }
    forced
}

/// Formats the task list: one line a task, with its doc.
fn list(graph: &Graph) -> String {
    if graph.tasks.is_empty() {
        return "no tasks are declared".to_string();
    }
    let width = graph.tasks.iter().map(|task| task.name.len()).max().unwrap_or(0);
    let mut text = String::from("Tasks:\n");
    for task in &graph.tasks {
        let line = format!("  {:<width$}  {}", task.name, task.doc.as_deref().unwrap_or(""));
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Formats the graph in DOT: solid edges for dependencies, dashed for calls.
fn dot(graph: &Graph) -> String {
    let mut text = String::from("digraph tasks {\n");
    for (index, task) in graph.tasks.iter().enumerate() {
        text.push_str(&format!("  {:?};\n", task.name));
        for &dep in &graph.deps[index] {
            text.push_str(&format!("  {:?} -> {:?};\n", task.name, graph.tasks[dep].name));
        }
        for &callee in &graph.calls[index] {
            let callee = &graph.tasks[callee].name;
            text.push_str(&format!("  {:?} -> {:?} [style=dashed];\n", task.name, callee));
        }
    }
    text.push_str("}\n");
    text
}

fn empty_report(sandbox: SandboxStatus) -> Report {
    Report {
        tasks: Vec::new(),
        sandbox,
        duration: Duration::ZERO,
        interrupted: false,
        stale: false,
        learned: None,
    }
}

fn fail(err: &Error) -> ExitCode {
    Output::new(Verbosity::Normal, false).error(&err.to_string());
    ExitCode::from(err.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_and_plan_counts_needed_tasks() {
        let runner = Runner::new().tasks([
            Task::new("top").deps(["left", "right"]),
            Task::new("left").dep("base"),
            Task::new("right").dep("base"),
            Task::new("base"),
            Task::new("unrelated"),
        ]);
        assert_eq!(runner.validate_and_plan(&["top".to_string()]).unwrap(), 4);
    }

    #[test]
    fn validate_and_plan_rejects_cycle() {
        let runner = Runner::new().tasks([Task::new("a").dep("b"), Task::new("b").dep("a")]);
        let err = runner.validate_and_plan(&["a".to_string()]).err().unwrap();
        assert!(matches!(err.kind(), crate::ErrorKind::Cycle { .. }), "{err}");
    }
}
