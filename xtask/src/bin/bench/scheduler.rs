//! The scheduler benchmark: 200 independent `/bin/true` tasks with two jobs.
//!
//! Contenders: our runner with the sandbox off and in `warn` mode (this
//! program's `__runner scheduler` subcommand, so process start-up and task
//! declaration count), GNU `make -j2` over a generated Makefile of 200 phony
//! targets, go-task over a generated Taskfile, and just over a generated
//! justfile. The targets compare with go-task as a user runs it, without a
//! concurrency limit, which is its default. A second go-task row with
//! `--concurrency 2` is for reference. just has no job limit: by default it
//! runs a recipe's dependencies one at a time, and with the `[parallel]`
//! attribute all at once. Both rows are shown, and just runs each recipe line
//! through `sh -cu`, so it starts a shell per task where the others exec
//! `/bin/true` directly.

use std::fmt::Write as _;
use std::path::Path;

use crate::Bench;
use crate::contender::Contender;
use crate::graphs::SCHEDULER_TASKS;
use crate::report::Section;
use crate::rounds;

const RUNNER_OFF: &str = "runner -j2, sandbox off";
const RUNNER_WARN: &str = "runner -j2, sandbox warn";
const MAKE: &str = "make -j2";
const GO_TASK: &str = "go-task";
const GO_TASK_TWO: &str = "go-task -C 2";
const JUST: &str = "just";
const JUST_PARALLEL: &str = "just, [parallel]";

/// Runs the benchmark and returns its section.
pub fn run(bench: &Bench) -> Result<Section, String> {
    let dir = bench.work_dir("scheduler")?;
    let mut section = Section::new(
        "Scheduler: 200 independent `/bin/true` tasks, 2 jobs",
        "Wall time of one whole invocation that runs 200 tasks, each `/bin/true`, and an \
         `all` task that depends on them. The runner and make run at most two at once; \
         go-task runs them without a limit, as by default, and with `--concurrency 2`. \
         just runs them one at a time, as by default, and all at once with `[parallel]` on \
         `all`; it starts each `/bin/true` through `sh -cu`. Targets: the runner within \
         1.3x of `make -j2` and at least 3x faster than go-task, with the sandbox off and \
         in `warn` mode, the default for Rust tasks.",
    );

    let dir_arg = dir.to_string_lossy().into_owned();
    let runner_args = |mode: &str| {
        ["__runner", "scheduler", &dir_arg, "--sandbox", mode, "-j2", "all"].map(String::from)
    };
    let mut contenders = vec![
        Contender::new(RUNNER_OFF, &bench.exe, runner_args("off"), &dir),
        Contender::new(RUNNER_WARN, &bench.exe, runner_args("warn"), &dir),
    ];
    match bench.peers.make() {
        Ok(make) => {
            write_file(&dir.join("Makefile"), &makefile())?;
            contenders.push(Contender::new(
                MAKE,
                &make.path,
                ["-j2", "-f", "Makefile", "all"],
                &dir,
            ));
        }
        Err(reason) => section.notes.push(format!("make is missing: {reason}")),
    }
    match bench.peers.go_task() {
        Ok(go_task) => {
            write_file(&dir.join("Taskfile.yml"), &taskfile())?;
            contenders.push(Contender::new(GO_TASK, &go_task.path, ["all"], &dir));
            contenders.push(Contender::new(
                GO_TASK_TWO,
                &go_task.path,
                ["--concurrency", "2", "all"],
                &dir,
            ));
        }
        Err(reason) => section.notes.push(format!("go-task is missing: {reason}")),
    }
    match bench.peers.just() {
        Ok(just) => {
            write_file(&dir.join("justfile"), &justfile(false))?;
            write_file(&dir.join("parallel.just"), &justfile(true))?;
            contenders.push(Contender::new(JUST, &just.path, ["all"], &dir));
            contenders.push(Contender::new(
                JUST_PARALLEL,
                &just.path,
                ["--justfile", "parallel.just", "all"],
                &dir,
            ));
        }
        Err(reason) => section.notes.push(format!("just is missing: {reason}")),
    }

    for mode in ["off", "warn"] {
        section
            .notes
            .push(format!("Sandbox `{mode}`: {}", crate::spawn::sandbox_status(bench, mode)?));
    }
    let samples = rounds::interleave(&contenders, bench.warmup(2), bench.rounds(21), |_| Ok(()))?;
    section.add_samples(&contenders, &samples);
    section
        .add_ratios(&[RUNNER_OFF, RUNNER_WARN], &[MAKE, GO_TASK, GO_TASK_TWO, JUST, JUST_PARALLEL]);

    for ours in [RUNNER_OFF, RUNNER_WARN] {
        section.within(ours, MAKE, 1.3);
        section.faster(ours, GO_TASK, 3.0);
    }
    Ok(section)
}

/// Returns a Makefile with `all` depending on 200 phony targets.
fn makefile() -> String {
    let names: Vec<String> = (0..SCHEDULER_TASKS).map(|i| format!("t{i}")).collect();
    let mut text = format!(".PHONY: all {}\nall: {}\n", names.join(" "), names.join(" "));
    for name in &names {
        let _ = write!(text, "{name}:\n\t/bin/true\n");
    }
    text
}

/// Returns a Taskfile with `all` depending on 200 tasks.
fn taskfile() -> String {
    let names: Vec<String> = (0..SCHEDULER_TASKS).map(|i| format!("t{i}")).collect();
    let mut text = format!("version: '3'\n\ntasks:\n  all:\n    deps: [{}]\n", names.join(", "));
    for name in &names {
        let _ = write!(text, "  {name}:\n    cmds:\n      - /bin/true\n");
    }
    text
}

/// Returns a justfile with `all` depending on 200 recipes, with the
/// `[parallel]` attribute on `all` if `parallel`.
fn justfile(parallel: bool) -> String {
    let names: Vec<String> = (0..SCHEDULER_TASKS).map(|i| format!("t{i}")).collect();
    let attribute = if parallel { "[parallel]\n" } else { "" };
    let mut text = format!("{attribute}all: {}\n", names.join(" "));
    for name in &names {
        let _ = write!(text, "\n{name}:\n    /bin/true\n");
    }
    text
}

/// Writes `text` to `path`.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|err| format!("failed to write `{}`: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makefile_declares_every_target() {
        let text = makefile();
        assert!(text.starts_with(".PHONY: all t0 t1 "), "{text}");
        assert!(text.contains("\nt199:\n\t/bin/true\n"), "{text}");
        assert_eq!(text.matches("\t/bin/true\n").count(), SCHEDULER_TASKS);
    }

    #[test]
    fn taskfile_declares_every_task() {
        let text = taskfile();
        assert!(text.contains("    deps: [t0, t1, "), "{text}");
        assert!(text.contains("\n  t199:\n    cmds:\n      - /bin/true\n"), "{text}");
        assert_eq!(text.matches("      - /bin/true\n").count(), SCHEDULER_TASKS);
    }

    #[test]
    fn justfile_declares_every_recipe() {
        let text = justfile(false);
        assert!(text.starts_with("all: t0 t1 "), "{text}");
        assert!(text.contains("\nt199:\n    /bin/true\n"), "{text}");
        assert_eq!(text.matches("    /bin/true\n").count(), SCHEDULER_TASKS);
        assert!(justfile(true).starts_with("[parallel]\nall: t0 "));
    }
}
