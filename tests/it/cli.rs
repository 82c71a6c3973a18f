//! The `cargo xtask` command line, through the fixture program.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Project, snapshot, stderr, stdout};

#[test]
fn diamond_runs_shared_task_once() {
    let project = Project::new();
    let output = project.run("diamond", &["-j2", "top"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let marks = project.marks();
    assert_eq!(marks.iter().filter(|mark| *mark == "base").count(), 1, "{marks:?}");
    assert_eq!(marks.first().map(String::as_str), Some("base"));
    assert_eq!(marks.last().map(String::as_str), Some("top"));
    assert_eq!(marks.len(), 4, "{marks:?}");
}

#[test]
fn independent_tasks_overlap_with_two_jobs() {
    let project = Project::new();
    let output = project.run("overlap", &["-j2", "both"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let marks = project.marks();
    assert_eq!(marks.len(), 4, "{marks:?}");
    assert!(marks[0].starts_with("start-"), "{marks:?}");
    assert!(marks[1].starts_with("start-"), "{marks:?}");
}

#[test]
fn jobs_cap_running_tasks() {
    let project = Project::new();
    let output = project.run("crowd", &["-j2", "all"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let marks = project.marks();
    assert_eq!(marks.len(), 12, "{marks:?}");
    let mut running = 0;
    let mut peak = 0;
    for mark in &marks {
        running += if mark == "start" { 1 } else { -1 };
        peak = peak.max(running);
    }
    assert!(peak <= 2, "{marks:?}");
    assert_eq!(running, 0, "{marks:?}");
}

#[test]
fn independent_tasks_serialise_with_one_job() {
    let project = Project::new();
    let output = project.run("overlap", &["-j1", "both"]);
    assert!(output.status.success(), "{}", stderr(&output));

    assert_eq!(project.marks(), ["start-a", "end-a", "start-b", "end-b"]);
}

#[test]
fn cycle_exits_2_naming_cycle() {
    let project = Project::new();
    let output = project.run("cycle", &["a"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("dependency cycle: a -> b -> c -> a"), "{}", stderr(&output));
}

#[test]
fn unknown_dependency_exits_2_with_suggestion() {
    let project = Project::new();
    let output = project.run("unknown", &["build"]);
    assert_eq!(output.status.code(), Some(2));
    let expected = "task `build` depends on unknown task `codgen`: did you mean `codegen`?";
    assert!(stderr(&output).contains(expected), "{}", stderr(&output));
}

#[test]
fn unknown_requested_task_exits_2() {
    let project = Project::new();
    let output = project.run("diamond", &["tpo"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("did you mean `top`?"), "{}", stderr(&output));
}

#[test]
fn unknown_option_exits_2() {
    let project = Project::new();
    let output = project.run("diamond", &["--frobnicate", "top"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--frobnicate"), "{}", stderr(&output));
    assert!(project.marks().is_empty());
}

#[test]
fn failure_stops_dependants_and_fails_fast() {
    let project = Project::new();
    let output = project.run("fail", &["-j1", "after", "independent"]);
    assert_eq!(output.status.code(), Some(1));

    assert_eq!(project.marks(), ["bad-ran"]);
    let err = stderr(&output);
    assert!(err.contains("exited with code 3"), "{err}");
    assert!(err.contains("dependency `bad` failed"), "{err}");
}

#[test]
fn keep_going_runs_independent_tasks() {
    let project = Project::new();
    let output = project.run("fail", &["-j1", "-k", "after", "independent"]);
    assert_eq!(output.status.code(), Some(1));

    assert_eq!(project.marks(), ["bad-ran", "independent"]);
}

#[test]
fn keep_going_from_environment() {
    let project = Project::new();
    let output = project
        .fixture("fail")
        .args(["-j1", "after", "independent"])
        .env("RUNNER_KEEP_GOING", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(project.marks(), ["bad-ran", "independent"]);
}

#[test]
fn dry_run_runs_and_writes_nothing() {
    let project = Project::new();
    project.file("input.txt", "x");
    let before = snapshot(project.path());

    let output = project.run("write", &["-n", "write"]);
    assert!(output.status.success(), "{}", stderr(&output));

    assert_eq!(stdout(&output), "[first] echo first > first.txt\n[write] touch written\n");
    assert_eq!(snapshot(project.path()), before);
}

#[test]
fn no_task_lists_tasks_with_docs() {
    let project = Project::new();
    let output = project.run("diamond", &[]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("top    The top of the diamond"), "{text}");
    assert!(text.contains("base   Shared by left and right"), "{text}");
    assert!(text.contains("left\n"), "{text}");
}

#[test]
fn graph_prints_dot() {
    let project = Project::new();
    let output = project.run("diamond", &["--graph"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.starts_with("digraph tasks {\n"), "{text}");
    assert!(text.contains("  \"top\" -> \"left\";\n"), "{text}");
    assert!(text.contains("  \"left\" -> \"base\";\n"), "{text}");
}

#[test]
fn several_jobs_prefix_output_lines() {
    let project = Project::new();
    let output = project.run("output", &["-j2", "say", "also"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("[say] hello\n"), "{out}");
    assert!(out.contains("[also] also\n"), "{out}");
    assert!(stderr(&output).contains("[say] oops\n"), "{}", stderr(&output));
}

#[test]
fn one_job_passes_output_through() {
    let project = Project::new();
    let output = project.run("output", &["-j1", "say"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "hello\n");
}

#[test]
fn summary_lists_outcomes() {
    let project = Project::new();
    let output = project.run("fail", &["-j1", "-k", "after", "independent"]);
    let err = stderr(&output);
    assert!(err.contains("summary: 1 ran, 0 fresh, 1 failed, 1 skipped"), "{err}");
    assert!(err.contains("  failed  bad"), "{err}");
    assert!(err.contains("  skipped after"), "{err}");
    assert!(err.contains("  ran     independent"), "{err}");
    assert!(err.contains("  sandbox: off"), "{err}");
}

#[test]
fn quiet_prints_no_summary() {
    let project = Project::new();
    let output = project.run("diamond", &["-q", "top"]);
    assert!(output.status.success());
    assert_eq!(stderr(&output), "");
}

#[test]
fn steps_run_in_order() {
    let project = Project::new();
    let output = project.run("steps", &["steps"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(project.marks(), ["cmd", "callee", "func", "sh"]);
}

/// Returns whether a process with `pid` exists.
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for the process.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn wait_for_pid(project: &Project) -> i32 {
    let started = Instant::now();
    loop {
        if let Ok(pid) = project.read("pid").trim().parse::<i32>() {
            return pid;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the task never started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn interrupt_leaves_no_process(task: &str) {
    let project = Project::new();
    let mut child = project.fixture("sleep").args([task]).spawn().unwrap();
    let pid = wait_for_pid(&project);
    assert!(alive(pid));

    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();

    assert_eq!(status.code(), Some(130));
    let started = Instant::now();
    while alive(pid) && started.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!alive(pid), "process {pid} survived the interruption");
}

#[test]
fn sigint_stops_running_command() {
    interrupt_leaves_no_process("sleep");
}

#[test]
fn sigint_stops_background_children() {
    interrupt_leaves_no_process("tree");
}

#[test]
fn missing_task_dir_named_in_error() {
    let project = Project::new();
    let output = project.run("nodir", &["nodir"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("working directory `"), "{err}");
    assert!(err.contains("/nope` does not exist"), "{err}");
}

#[test]
fn explain_without_task_checks_every_task() {
    let project = Project::new();
    let output = project.run("diamond", &["--explain"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for task in ["top", "left", "right", "base"] {
        assert!(text.contains(&format!("dirty {task}: no sources declared\n")), "{text}");
    }

    let output = project.run("diamond", &["--status"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(project.marks().is_empty());
}

#[test]
fn one_job_command_reads_terminal() {
    // `script` runs the fixture on a new pseudo-terminal and copies this
    // test's stdin to it, so the task's `read` reads from a terminal.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED one_job_command_reads_terminal: `script` is not installed");
        return;
    }
    let project = Project::new();
    let fixture = crate::support::fixture_path();
    let line = format!("{} read -j1 read", fixture.display());
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(project.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the task did not finish: a command stopped by SIGTTIN never reads the line");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    if stderr(&output).contains("pseudo-terminal") {
        eprintln!("SKIPPED one_job_command_reads_terminal: {}", stderr(&output));
        return;
    }

    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains("got hello"), "{}", stdout(&output));
}
