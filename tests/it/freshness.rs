//! Incremental runs through the CLI: what re-runs after which change, and
//! which commands leave the state directory alone.

use std::time::{Duration, Instant};

use crate::support::{Project, snapshot, stderr, stdout};

/// A project for the `incremental` fixture scenario, with one source per task.
fn incremental() -> Project {
    let project = Project::new();
    project.file("gen/a.txt", "generated input\n");
    project.file("src/a.txt", "source\n");
    project.file("docs/index.md", "# docs\n");
    project
}

/// Runs `args` and asserts success.
fn run_ok(project: &Project, args: &[&str]) {
    let output = project.run("incremental", args);
    assert!(output.status.success(), "{args:?} failed: {}", stderr(&output));
}

#[test]
fn second_run_is_fresh() {
    let project = incremental();
    run_ok(&project, &["-j1", "all"]);
    assert_eq!(project.marks(), ["gen", "build", "docs"]);

    run_ok(&project, &["-j1", "all"]);

    assert_eq!(project.marks(), ["gen", "build", "docs"]);
}

#[test]
fn source_edit_reruns_task_and_dependants() {
    let project = incremental();
    run_ok(&project, &["-j1", "all"]);

    project.file("gen/a.txt", "edited input\n");
    run_ok(&project, &["-j1", "all"]);
    assert_eq!(project.marks()[3..], ["gen", "build"]);

    project.file("src/b.txt", "new source\n");
    run_ok(&project, &["-j1", "all"]);
    assert_eq!(project.marks()[5..], ["build"]);

    project.file("docs/index.md", "# edited\n");
    run_ok(&project, &["-j1", "all"]);
    assert_eq!(project.marks()[6..], ["docs"]);
}

#[test]
fn deleted_output_reruns_task() {
    let project = incremental();
    run_ok(&project, &["-j1", "build"]);

    std::fs::remove_file(project.path().join("out/build.txt")).unwrap();
    run_ok(&project, &["-j1", "build"]);

    assert_eq!(project.marks(), ["gen", "build", "build"]);
    assert!(project.path().join("out/build.txt").exists());
}

#[test]
fn failed_run_is_not_recorded() {
    let project = incremental();
    let failed = project.run("incremental", &["flaky"]);
    assert_eq!(failed.status.code(), Some(1));

    let explain = project.run("incremental", &["--explain", "flaky"]);
    assert_eq!(stdout(&explain), "dirty flaky: no previous run\n");

    project.file("pass", "");
    run_ok(&project, &["flaky"]);
    run_ok(&project, &["flaky"]);
    assert_eq!(project.marks(), ["flaky", "flaky"]);
}

#[test]
fn two_runners_run_task_once() {
    let project = incremental();

    let first = project.fixture("incremental").arg("slow").spawn().unwrap();
    let second = project.fixture("incremental").arg("slow").spawn().unwrap();
    let first = first.wait_with_output().unwrap();
    let second = second.wait_with_output().unwrap();

    assert!(first.status.success(), "{}", stderr(&first));
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(project.marks(), ["start", "end"]);
}

#[test]
fn explain_prints_one_line_per_task() {
    let project = incremental();
    run_ok(&project, &["-j1", "all"]);
    project.file("src/a.txt", "edited\n");

    let output = project.run("incremental", &["--explain", "all"]);

    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<String> = stdout(&output).lines().map(str::to_string).collect();
    assert!(lines.contains(&"fresh gen".to_string()), "{lines:?}");
    assert!(lines.contains(&"dirty build: file `src/a.txt` changed".to_string()), "{lines:?}");
    assert!(lines.contains(&"fresh docs".to_string()), "{lines:?}");
    assert!(lines.contains(&"dirty all: no sources declared".to_string()), "{lines:?}");
    assert_eq!(lines.len(), 4, "{lines:?}");
}

#[test]
fn status_exits_1_when_stale() {
    let project = incremental();
    run_ok(&project, &["-j1", "build"]);

    let fresh = project.run("incremental", &["--status", "build"]);
    assert_eq!(fresh.status.code(), Some(0), "{}", stderr(&fresh));

    project.file("gen/a.txt", "edited\n");
    let stale = project.run("incremental", &["--status", "build"]);
    assert_eq!(stale.status.code(), Some(1), "{}", stderr(&stale));
}

#[test]
fn queries_leave_state_unchanged() {
    let project = incremental();
    run_ok(&project, &["-j1", "all"]);
    project.file("src/a.txt", "edited\n");
    let before = snapshot(&project.path().join(".runner"));

    for args in [
        &["--status", "all"][..],
        &["--dry-run", "all"],
        &["--explain", "all"],
        &["--dry-run", "--explain", "all"],
        &["--list"],
        &["--graph"],
    ] {
        let output = project.run("incremental", args);
        assert!(output.status.code().is_some(), "{args:?}: {}", stderr(&output));
        assert_eq!(snapshot(&project.path().join(".runner")), before, "{args:?} wrote state");
    }
    assert_eq!(project.marks(), ["gen", "build", "docs"]);
}

#[test]
fn queries_do_not_create_state_dir() {
    let project = incremental();

    for args in [&["--status", "all"][..], &["--dry-run", "all"], &["--explain", "all"]] {
        project.run("incremental", args);
        assert!(!project.path().join(".runner").exists(), "{args:?} created the state dir");
    }
}

#[test]
fn force_reruns_named_task_only() {
    let project = incremental();
    run_ok(&project, &["-j1", "build"]);

    run_ok(&project, &["-j1", "--force", "build"]);
    assert_eq!(project.marks(), ["gen", "build", "build"]);

    run_ok(&project, &["-j1", "--force-all", "build"]);
    assert_eq!(project.marks(), ["gen", "build", "build", "gen", "build"]);
}

#[test]
fn clean_forgets_one_task() {
    let project = incremental();
    run_ok(&project, &["-j1", "all"]);

    run_ok(&project, &["--clean", "docs"]);
    run_ok(&project, &["-j1", "all"]);

    assert_eq!(project.marks(), ["gen", "build", "docs", "docs"]);
}

#[test]
fn interrupted_run_is_not_fresh() {
    let project = incremental();
    project.file("go", "");
    run_ok(&project, &["wait"]);
    std::fs::remove_file(project.path().join("go")).unwrap();

    let mut child = project.fixture("incremental").args(["--force", "wait"]).spawn().unwrap();
    let started = Instant::now();
    while project.marks().len() < 3 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(project.marks(), ["start", "end", "start"]);
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(130));

    let explain = project.run("incremental", &["--explain", "wait"]);
    assert_eq!(stdout(&explain), "dirty wait: previous run did not finish\n");
    project.file("go", "");
    run_ok(&project, &["wait"]);
    assert_eq!(project.marks(), ["start", "end", "start", "start", "end"]);
}

fn outdirs() -> Project {
    let project = Project::new();
    project.file("in.txt", "input\n");
    project
}

/// Runs `args` on the `outdirs` scenario and asserts success.
fn run_outdirs(project: &Project, args: &[&str]) {
    let output = project.run("outdirs", args);
    assert!(output.status.success(), "{args:?} failed: {}", stderr(&output));
}

#[test]
fn file_in_output_dir_deleted_reruns_task() {
    let project = outdirs();
    run_outdirs(&project, &["own"]);
    std::fs::remove_file(project.path().join("own/copy.txt")).unwrap();

    let output = project.run("outdirs", &["--explain", "own"]);
    assert_eq!(stdout(&output), "dirty own: output `own/copy.txt` missing\n");
    run_outdirs(&project, &["own"]);

    assert_eq!(project.marks(), ["own", "own"]);
    assert_eq!(project.read("own/copy.txt"), "input\n");
}

#[test]
fn file_in_output_dir_edited_reruns_task() {
    let project = outdirs();
    run_outdirs(&project, &["own"]);
    project.file("own/copy.txt", "edited by hand\n");

    run_outdirs(&project, &["own"]);

    assert_eq!(project.marks(), ["own", "own"]);
    assert_eq!(project.read("own/copy.txt"), "input\n");
}

#[test]
fn shared_output_dir_checked_for_existence() {
    let project = outdirs();
    run_outdirs(&project, &["left"]);
    run_outdirs(&project, &["right"]);

    // `right` wrote into the directory `left` also declares; `left` stays
    // fresh because neither can tell which files are its own.
    run_outdirs(&project, &["left"]);

    assert_eq!(project.marks(), ["left", "right"]);
}

#[test]
fn unmatched_sources_warned_only_when_nothing_creates_them() {
    let project = Project::new();
    project.file("in.txt", "input\n");
    let warning = "match no file";

    for args in [&["--dry-run", "use"][..], &["--explain", "use"]] {
        let output = project.run("generated-sources", args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert!(!stderr(&output).contains(warning), "{args:?}: {}", stderr(&output));
    }

    let output = project.run("generated-sources", &["use"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains(warning), "{}", stderr(&output));

    let output = project.run("generated-sources", &["--dry-run", "typo"]);
    let text = stderr(&output);
    assert!(text.contains("the sources of task `typo` match no file"), "{text}");
}
