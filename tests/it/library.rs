//! The library entry points, called in process.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use runner::{ErrorKind, Options, Outcome, Runner, Task, Verbosity};

use crate::support::Project;

fn quiet(tasks: &[&str]) -> Options {
    let mut options = Options::default();
    options.tasks = tasks.iter().map(|task| task.to_string()).collect();
    options.verbosity = Verbosity::Quiet;
    options.jobs = 2;
    options
}

#[test]
fn diamond_runs_shared_closure_once() {
    let project = Project::new();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let runner = Runner::new().root(project.path()).tasks([
        Task::new("top").deps(["left", "right"]),
        Task::new("left").dep("base"),
        Task::new("right").dep("base"),
        Task::new("base").func("count", move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }),
    ]);

    let report = runner.execute(&quiet(&["top"])).unwrap();

    assert!(report.success());
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(report.tasks.len(), 4);
    assert_eq!(report.tasks[0].name, "base");
}

#[test]
fn closure_error_fails_task() {
    let project = Project::new();
    let runner = Runner::new()
        .root(project.path())
        .task(Task::new("broken").func("parse", |_| Err("bad header".into())));

    let report = runner.execute(&quiet(&["broken"])).unwrap();

    assert_eq!(report.exit_code(), 1);
    let outcome = &report.task("broken").unwrap().outcome;
    assert_eq!(outcome, &Outcome::Failed { message: "step `parse` failed: bad header".into() });
}

#[test]
fn cycle_is_error_kind() {
    let project = Project::new();
    let runner = Runner::new()
        .root(project.path())
        .tasks([Task::new("a").dep("b"), Task::new("b").call("a")]);

    let err = runner.execute(&quiet(&["a"])).unwrap_err();

    assert!(matches!(err.kind(), ErrorKind::Cycle { path } if path == &["a", "b", "a"]));
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn run_takes_arguments() {
    let project = Project::new();
    let runner = Runner::new()
        .root(project.path())
        .task(Task::new("t").sh("echo ran > out").generates(["out"]));

    let report = runner.run(["-q", "t"]).unwrap();

    assert!(report.success());
    assert_eq!(project.read("out"), "ran\n");
}
