//! `Build`: runner tasks run from a Cargo build script.
//!
//! A build script (`build.rs`) declares tasks as an xtask does and runs all
//! of them with [`Build::main`] or [`Build::run`]. Relative globs and task
//! directories resolve from `CARGO_MANIFEST_DIR`, the package root. Besides
//! paths in the package, `generates` entries may name paths below `OUT_DIR`,
//! which [`Build::out`] builds. Runner's state lives in `OUT_DIR/.runner`, so
//! the source tree stays untouched and `cargo clean` removes the state with
//! the outputs.
//!
//! Cargo reads directives from the build script's stdout, so everything else
//! goes to stderr: the commands' stdout and stderr, the command echo and the
//! summary. Commands read `/dev/null`. After a successful run, stdout gets
//! these lines and no others:
//!
//! - `cargo::rerun-if-changed=PATH` for every matched source file, and for
//!   every directory a source glob walked, so an added file is noticed;
//! - `cargo::rerun-if-env-changed=NAME` for every variable a task sets with
//!   `Task::env`, and for `RUNNER_SANDBOX`.
//!
//! Cargo compares modification times, so it reruns the build script when one
//! of those paths is touched. Runner compares contents, so a touched but
//! unchanged source reruns the build script and its task stays fresh. [`Build::main`]
//! turns a failure into `cargo::error=` lines, one per line of runner's
//! message, and a failing exit status.
//!
//! The sandbox is the one of every run: tasks default to `warn`, and
//! `RUNNER_SANDBOX` overrides the mode. The scheduler restricts only fresh
//! threads, so the build script's own thread stays unrestricted after the run.
//!
//! Limits:
//! - When a task declares no sources, no rerun line is printed at all. That
//!   task always runs, and cargo keeps its default of rerunning the build
//!   script after any change in the package.
//! - Sources below `OUT_DIR` are not listed, since the build writes them.
//! - Cargo scans a listed directory recursively, so a change to any file
//!   below a walked directory reruns the build script.
//! - A literal source path that does not exist is not listed, so creating it
//!   later does not rerun the build script.
//! - Closure steps run in the build script's process, and what they print on
//!   stdout reaches cargo.
//!
//! ```no_run
//! // build.rs
//! use runner::build::Build;
//! use runner::{Scope, Task};
//!
//! fn main() -> std::process::ExitCode {
//!     let build = Build::new();
//!     let generated = build.out("schema.rs");
//!     build
//!         .task(
//!             Task::new("schema")
//!                 .sources(["schema/*.txt", "tools/gen.awk"])
//!                 .generates([generated])
//!                 .scopes([Scope::program("awk")])
//!                 .sh(r#"awk -f tools/gen.awk schema/*.txt > "$OUT_DIR/schema.rs""#),
//!         )
//!         .main()
//! }
//! ```

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::freshness::expand_sources;
use crate::output::Verbosity;
use crate::{Error, Options, Outcome, Report, Result, Runner, SandboxMode, SandboxStatus, Task};

/// The state directory below `OUT_DIR`.
const STATE_DIR: &str = ".runner";

/// The variable that overrides the sandbox mode.
const SANDBOX_VAR: &str = "RUNNER_SANDBOX";
/// The variable that chooses where the denials of a failed task come from.
const DENIALS_VAR: &str = "RUNNER_DENIALS";

/// The tasks of a build script and how to run them.
#[derive(Clone, Debug)]
pub struct Build {
    tasks: Vec<Task>,
    default_sandbox: SandboxMode,
    manifest_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    /// `NUM_JOBS`, the parallelism cargo grants the build script.
    jobs: Option<OsString>,
    sandbox: Option<OsString>,
    denials: Option<OsString>,
}

impl Default for Build {
    fn default() -> Build {
        Build::new()
    }
}

impl Build {
    /// Creates a build with no tasks, reading `CARGO_MANIFEST_DIR`,
    /// `OUT_DIR`, `NUM_JOBS`, `RUNNER_SANDBOX` and `RUNNER_DENIALS` from the
    /// environment that cargo gives the build script. A missing variable is
    /// reported by [`Build::run`], so this never fails.
    pub fn new() -> Build {
        Build::from_env(|name| std::env::var_os(name))
    }

    /// Creates a build from the variables that `var` returns.
    pub(crate) fn from_env(var: impl Fn(&str) -> Option<OsString>) -> Build {
        Build {
            tasks: Vec::new(),
            default_sandbox: SandboxMode::Warn,
            manifest_dir: var("CARGO_MANIFEST_DIR").map(PathBuf::from),
            out_dir: var("OUT_DIR").map(PathBuf::from),
            jobs: var("NUM_JOBS"),
            sandbox: var(SANDBOX_VAR),
            denials: var(DENIALS_VAR),
        }
    }

    /// Adds a task.
    pub fn task(mut self, task: Task) -> Build {
        self.tasks.push(task);
        self
    }

    /// Adds several tasks.
    pub fn tasks(mut self, tasks: impl IntoIterator<Item = Task>) -> Build {
        self.tasks.extend(tasks);
        self
    }

    /// Sets the sandbox mode used unless `RUNNER_SANDBOX` chooses one. The
    /// default is `warn`.
    pub fn default_sandbox(mut self, mode: SandboxMode) -> Build {
        self.default_sandbox = mode;
        self
    }

    /// Returns `OUT_DIR`, or `None` outside a build script.
    pub fn out_dir(&self) -> Option<&Path> {
        self.out_dir.as_deref()
    }

    /// Returns `path` below `OUT_DIR` as a `generates` entry:
    /// `build.out("schema.rs")` for a file, `build.out("gen/")` for a
    /// directory. Without `OUT_DIR` it returns `path` unchanged, and
    /// [`Build::run`] fails before any task runs.
    pub fn out(&self, path: &str) -> String {
        match &self.out_dir {
            Some(dir) => format!("{}/{path}", dir.display()),
            None => path.to_string(),
        }
    }

    /// Runs every task, confined as in any run, and returns the report. After
    /// a successful run it prints the `cargo::rerun-if-changed` and
    /// `cargo::rerun-if-env-changed` lines on stdout. A failed task is in the
    /// report. A missing `CARGO_MANIFEST_DIR` or `OUT_DIR`, an invalid graph or
    /// a sandbox that cannot be enforced is an error, and then nothing runs.
    pub fn run(self) -> Result<Report> {
        self.run_to(&mut io::stdout())
    }

    /// Runs every task as [`Build::run`] does and returns the exit status of
    /// the build script. A failed task or an error becomes `cargo::error=`
    /// lines on stdout, one per line of the message, and a failing status.
    pub fn main(self) -> ExitCode {
        let message = match self.run() {
            Ok(report) if report.success() => return ExitCode::SUCCESS,
            Ok(report) => failure_message(&report),
            Err(err) => err.to_string(),
        };
        // Cargo fails the build on a `cargo::error` line whatever the status;
        // the failing status also makes it show the build script's stderr.
        let _ = io::stdout().write_all(error_directives(&message).as_bytes());
        ExitCode::FAILURE
    }

    /// Runs every task and writes the rerun directives to `directives`.
    pub(crate) fn run_to(self, directives: &mut dyn Write) -> Result<Report> {
        let manifest_dir = required_dir("CARGO_MANIFEST_DIR", self.manifest_dir.as_deref())?;
        let out_dir = required_dir("OUT_DIR", self.out_dir.as_deref())?;
        if out_dir.to_str().is_none() {
            let message = format!(
                "is not valid UTF-8 (`{}`), so `generates` entries cannot name it: build in a \
                 target directory whose path is UTF-8",
                out_dir.display()
            );
            return Err(Error::env("OUT_DIR", message));
        }
        let mut options = Options {
            tasks: self.tasks.iter().map(|task| task.name().to_string()).collect(),
            sandbox: sandbox_mode(self.sandbox.as_deref())?,
            verbosity: Verbosity::Normal,
            ..Options::default()
        };
        if let Some(denials) = self.denials.as_deref().filter(|value| !value.is_empty()) {
            let text = denials.to_string_lossy();
            options.denials = text.parse().map_err(|_| {
                let message = format!(
                    "has the invalid value `{text}`: expected `auto`, `audit`, `trace` or `off`"
                );
                Error::env(DENIALS_VAR, message)
            })?;
        }
        if let Some(jobs) = self.jobs.as_deref().and_then(|jobs| jobs.to_str()?.parse().ok()) {
            options.jobs = std::cmp::max(jobs, 1);
        }
        crate::logger::install(options.verbosity);

        let state_dir = out_dir.join(STATE_DIR);
        let runner = Runner::new()
            .tasks(self.tasks)
            .root(manifest_dir)
            .state_dir(&state_dir)
            .default_sandbox(self.default_sandbox)
            .out_dir(out_dir.to_path_buf())
            .stderr_only();
        let report = runner.execute(&options)?;
        if !report.success() {
            return Ok(report);
        }

        let root = manifest_dir
            .canonicalize()
            .map_err(|err| Error::io("resolve the package root", manifest_dir, err))?;
        let lines = rerun_directives(runner.get_tasks(), &root, out_dir, &state_dir)?;
        directives
            .write_all(lines.as_bytes())
            .and_then(|()| directives.flush())
            .map_err(|err| Error::io("write the cargo directives to", "stdout", err))?;
        Ok(report)
    }
}

/// Returns the directory in the variable `name`, which must be absolute.
fn required_dir<'a>(name: &str, value: Option<&'a Path>) -> Result<&'a Path> {
    match value {
        None => Err(Error::env(
            name,
            "is not set: `runner::build::Build` runs inside a Cargo build script (`build.rs`), \
             where cargo sets it; use `runner::Runner` elsewhere",
        )),
        Some(dir) if !dir.is_absolute() => Err(Error::env(
            name,
            format!("is `{}`, a relative path: set it to an absolute directory", dir.display()),
        )),
        Some(dir) => Ok(dir),
    }
}

/// Parses `RUNNER_SANDBOX`. Unset or empty, it leaves the build's default mode.
fn sandbox_mode(value: Option<&std::ffi::OsStr>) -> Result<Option<SandboxMode>> {
    let Some(value) = value.filter(|value| !value.is_empty()) else { return Ok(None) };
    let text = value.to_string_lossy();
    text.parse().map(Some).map_err(|_| {
        let message =
            format!("has the invalid value `{text}`: expected `off`, `warn` or `enforce`");
        Error::env(SANDBOX_VAR, message)
    })
}

/// Returns the lines that make cargo rerun the build script when a declared
/// input changes, or none when a task declares no sources.
fn rerun_directives(
    tasks: &[Task],
    root: &Path,
    out_dir: &Path,
    state_dir: &Path,
) -> Result<String> {
    if tasks.is_empty() {
        return Ok(String::new());
    }
    if let Some(task) = tasks.iter().find(|task| task.get_sources().is_empty()) {
        log::debug!(
            "task `{}` declares no sources, so no rerun directive is printed and cargo reruns \
             the build script after any change in the package",
            task.name()
        );
        return Ok(String::new());
    }

    let mut paths = BTreeSet::new();
    for task in tasks {
        let expansion = expand_sources(task, root, state_dir)?;
        paths.extend(expansion.files.into_iter().map(|file| file.path));
        paths.extend(expansion.dirs);
    }
    let out_real = out_dir.canonicalize().unwrap_or_else(|_| out_dir.to_path_buf());
    paths.retain(|path| !path.starts_with(out_dir) && !path.starts_with(&out_real));
    let mut names: BTreeSet<&str> = BTreeSet::from([SANDBOX_VAR]);
    names.extend(tasks.iter().flat_map(|task| task.env.iter().map(|(name, _)| name.as_str())));

    let mut lines = String::new();
    for path in &paths {
        // A directive is one line of UTF-8, so some paths cannot be named.
        let Some(text) = path.to_str().filter(|text| !text.contains(['\n', '\r'])) else {
            let path = path.display();
            log::warn!("cargo cannot watch `{path}`: its path is not one line of UTF-8");
            continue;
        };
        lines.push_str(&format!("cargo::rerun-if-changed={text}\n"));
    }
    for name in names {
        lines.push_str(&format!("cargo::rerun-if-env-changed={name}\n"));
    }
    Ok(lines)
}

/// Returns the message of a run that did not succeed: each failed task with
/// its failure, or the interruption.
fn failure_message(report: &Report) -> String {
    let mut message = String::new();
    for task in &report.tasks {
        if let Outcome::Failed { message: failure } = &task.outcome {
            message.push_str(&format!("task `{}` failed: {failure}\n", task.name));
        }
    }
    if report.interrupted {
        message.push_str("the build script was interrupted\n");
    }
    // The sandbox hint names `--no-sandbox`, but a build script has no command line.
    let confined = !matches!(report.sandbox, SandboxStatus::Off { .. });
    if confined && report.failed().next().is_some() {
        message
            .push_str("in a build script, set `RUNNER_SANDBOX=off` in place of `--no-sandbox`\n");
    }
    message
}

/// Returns `message` as `cargo::error=` lines, one per non-empty line.
fn error_directives(message: &str) -> String {
    message
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| format!("cargo::error={line}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// A package directory and an `OUT_DIR` outside it, removed when dropped.
    struct Package {
        base: PathBuf,
        root: PathBuf,
        out_dir: PathBuf,
    }

    impl Package {
        fn new(name: &str) -> Package {
            let base =
                std::env::temp_dir().join(format!("runner-build-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&base);
            let root = base.join("package");
            let out_dir = base.join("target/debug/build/package-1/out");
            std::fs::create_dir_all(&root).unwrap();
            std::fs::create_dir_all(&out_dir).unwrap();
            let base = base.canonicalize().unwrap();
            Package {
                root: base.join("package"),
                out_dir: base.join("target/debug/build/package-1/out"),
                base,
            }
        }

        fn write(&self, relative: &str, text: &str) {
            let path = self.root.join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }

        /// Returns a build as cargo would start it for this package, with
        /// `RUNNER_SANDBOX` unset.
        fn build(&self) -> Build {
            let (root, out_dir) = (self.root.clone(), self.out_dir.clone());
            Build::from_env(move |name| match name {
                "CARGO_MANIFEST_DIR" => Some(root.clone().into()),
                "OUT_DIR" => Some(out_dir.clone().into()),
                "NUM_JOBS" => Some("2".into()),
                _ => None,
            })
        }
    }

    impl Drop for Package {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.base);
        }
    }

    fn generator(build: &Build) -> Task {
        let out = build.out("gen.txt");
        Task::new("gen")
            .sources(["schema/*.txt", "tools/gen.sh"])
            .generates([out.clone()])
            .env("GEN_MODE", "fast")
            .sh(format!("cat schema/*.txt > '{out}'"))
    }

    #[test]
    fn directives_list_sources_and_walked_dirs() {
        let package = Package::new("directives");
        package.write("schema/a.txt", "a\n");
        package.write("schema/b.txt", "b\n");
        package.write("schema/sub/c.txt", "not matched\n");
        package.write("tools/gen.sh", "");
        package.write("notes.md", "unrelated\n");
        let build = package.build().default_sandbox(SandboxMode::Off);
        let build = build.clone().task(generator(&build));

        let mut stdout = Vec::new();
        let report = build.clone().run_to(&mut stdout).unwrap();

        assert!(report.success(), "{report:?}");
        let root = package.root.display();
        let expected = format!(
            "cargo::rerun-if-changed={root}/schema\n\
             cargo::rerun-if-changed={root}/schema/a.txt\n\
             cargo::rerun-if-changed={root}/schema/b.txt\n\
             cargo::rerun-if-changed={root}/tools/gen.sh\n\
             cargo::rerun-if-env-changed=GEN_MODE\n\
             cargo::rerun-if-env-changed=RUNNER_SANDBOX\n"
        );
        assert_eq!(String::from_utf8(stdout).unwrap(), expected);
        assert_eq!(std::fs::read_to_string(package.out_dir.join("gen.txt")).unwrap(), "a\nb\n");
        assert!(package.out_dir.join(".runner").is_dir());
        assert!(!package.root.join(".runner").exists());

        let mut again = Vec::new();
        let report = build.run_to(&mut again).unwrap();
        assert_eq!(report.tasks[0].outcome, Outcome::Fresh);
        assert_eq!(String::from_utf8(again).unwrap(), expected);
    }

    #[test]
    fn task_without_sources_prints_no_directives() {
        let package = Package::new("no-sources");
        package.write("schema/a.txt", "a\n");
        let build = package.build().default_sandbox(SandboxMode::Off);
        let build = build.clone().tasks([generator(&build), Task::new("always").sh("true")]);

        let mut stdout = Vec::new();
        let report = build.run_to(&mut stdout).unwrap();

        assert!(report.success(), "{report:?}");
        assert_eq!(String::from_utf8(stdout).unwrap(), "");
    }

    #[test]
    fn no_tasks_print_no_directives() {
        let package = Package::new("no-tasks");

        let mut stdout = Vec::new();
        let report = package.build().run_to(&mut stdout).unwrap();

        assert!(report.success(), "{report:?}");
        assert!(report.tasks.is_empty());
        assert_eq!(String::from_utf8(stdout).unwrap(), "");
    }

    #[test]
    fn failed_task_prints_no_directives() {
        let package = Package::new("failed");
        package.write("schema/a.txt", "a\n");
        let build = package.build().default_sandbox(SandboxMode::Off);
        let build = build.task(Task::new("broken").sources(["schema/*.txt"]).sh("exit 3"));

        let mut stdout = Vec::new();
        let report = build.run_to(&mut stdout).unwrap();

        assert!(!report.success());
        assert_eq!(String::from_utf8(stdout).unwrap(), "");
        let message = failure_message(&report);
        assert_eq!(message, "task `broken` failed: command `exit 3` exited with code 3\n");
    }

    #[test]
    fn generates_outside_out_dir_rejected() {
        let package = Package::new("outside");
        let beside = package.out_dir.parent().unwrap().join("gen.txt");
        let build = package
            .build()
            .task(Task::new("gen").generates([beside.display().to_string()]).sh("true"));

        let err = build.run_to(&mut Vec::new()).unwrap_err();

        assert!(matches!(err.kind(), ErrorKind::InvalidTask { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains(&format!("`{}`", beside.display())), "{message}");
        assert!(message.contains("write generated files below `OUT_DIR`"), "{message}");
    }

    #[test]
    fn missing_out_dir_is_error() {
        let build = Build::from_env(|name| match name {
            "CARGO_MANIFEST_DIR" => Some("/project".into()),
            _ => None,
        });
        assert_eq!(build.out_dir(), None);
        assert_eq!(build.out("gen.rs"), "gen.rs");

        let mut stdout = Vec::new();
        let err = build.task(Task::new("gen").sh("true")).run_to(&mut stdout).unwrap_err();

        assert!(matches!(err.kind(), ErrorKind::Env { name, .. } if name == "OUT_DIR"), "{err}");
        assert!(err.to_string().starts_with("environment variable `OUT_DIR` is not set"), "{err}");
        assert_eq!(err.exit_code(), 2);
        assert!(stdout.is_empty());
    }

    #[test]
    fn missing_manifest_dir_is_error() {
        let err = Build::from_env(|_| None).run_to(&mut Vec::new()).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("environment variable `CARGO_MANIFEST_DIR` is not set"));
        assert!(message.contains("Cargo build script"), "{message}");
    }

    #[test]
    fn invalid_sandbox_variable_is_error() {
        assert_eq!(sandbox_mode(None).unwrap(), None);
        assert_eq!(sandbox_mode(Some("".as_ref())).unwrap(), None);
        assert_eq!(sandbox_mode(Some("off".as_ref())).unwrap(), Some(SandboxMode::Off));
        let err = sandbox_mode(Some("strict".as_ref())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable `RUNNER_SANDBOX` has the invalid value `strict`: expected \
             `off`, `warn` or `enforce`"
        );
    }

    #[test]
    fn error_directives_one_per_line() {
        let text = error_directives("task `gen` failed: boom\nsandbox: hint\n\n  --no-sandbox\n");
        assert_eq!(
            text,
            "cargo::error=task `gen` failed: boom\n\
             cargo::error=sandbox: hint\n\
             cargo::error=  --no-sandbox\n"
        );
    }

    /// Returns whether Landlock can enforce here; otherwise reports the skip,
    /// or fails when `RUNNER_TEST_REQUIRE_LANDLOCK=1`.
    fn landlock_enforced(test: &str) -> bool {
        let Err(err) = crate::sandbox::Sandbox::new(SandboxMode::Enforce) else { return true };
        if std::env::var_os("RUNNER_TEST_REQUIRE_LANDLOCK").is_some_and(|value| value == "1") {
            panic!("{test}: Landlock is required by RUNNER_TEST_REQUIRE_LANDLOCK=1: {err}");
        }
        eprintln!("SKIPPED {test}: the sandbox cannot enforce here: {err}");
        false
    }

    #[test]
    fn build_script_thread_stays_unrestricted() {
        if !landlock_enforced("build_script_thread_stays_unrestricted") {
            return;
        }
        let package = Package::new("unrestricted");
        package.write("schema/a.txt", "a\n");
        let leak = package.root.join("leak.txt");
        let task = generator(&package.build())
            .sh(format!("if echo leak > '{}'; then exit 1; fi", leak.display()));
        let build = package.build().default_sandbox(SandboxMode::Enforce).task(task);

        let report = build.run_to(&mut Vec::new()).unwrap();

        assert!(report.success(), "{report:?}");
        assert!(report.sandbox.to_string().starts_with("enforced"), "{}", report.sandbox);
        assert!(!leak.exists(), "the task wrote outside its grants");
        let after = package.root.join("after.txt");
        std::fs::write(&after, "written by the build script").unwrap();
        std::fs::write(package.out_dir.join("after.txt"), "also outside the grants").unwrap();
        assert!(after.exists());
    }
}
