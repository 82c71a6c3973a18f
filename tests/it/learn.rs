//! Learn mode and `--denials=trace` through the command line, with real
//! commands under the real strace.
//!
//! The learn tests run tasks unconfined and need only strace. The denial
//! tests need Landlock: where the kernel cannot enforce the policy, each
//! prints that it is skipped, unless `RUNNER_TEST_REQUIRE_LANDLOCK=1` turns
//! the skip into a failure.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::{self, Project, stderr, stdout};

/// A project for the `learn` scenario: two inputs the script reads, one it
/// does not, and a `python3` wrapper on `PATH` outside the project, so the
/// program the task runs lies outside the system grant.
struct LearnProject {
    project: Project,
    tools: tempfile::TempDir,
}

impl LearnProject {
    fn new() -> LearnProject {
        let project = Project::new();
        project.file("data/a.txt", "a\n").file("data/b.csv", "b\n").file("data/unused.md", "u\n");
        let tools = tempfile::Builder::new().prefix("runner-tools-").tempdir().unwrap();
        let wrapper = tools.path().join("python3");
        let python = system_python();
        std::fs::write(&wrapper, format!("#!/bin/sh\nexec {} \"$@\"\n", python.display())).unwrap();
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        LearnProject { project, tools }
    }

    fn run(&self, args: &[&str]) -> Output {
        let path = format!("{}:{}", self.tools.path().display(), std::env::var("PATH").unwrap());
        self.project.fixture("learn").args(args).env("PATH", path).output().unwrap()
    }
}

/// Returns the python3 the wrapper runs: `/usr/bin/python3`, else the one
/// on `PATH`.
fn system_python() -> PathBuf {
    let usr = Path::new("/usr/bin/python3");
    if usr.exists() {
        return usr.to_owned();
    }
    let found = Command::new("sh").args(["-c", "command -v python3"]).output().unwrap();
    PathBuf::from(String::from_utf8_lossy(&found.stdout).trim())
}

#[test]
fn learn_python_task_proposes_declarations() {
    let learn = LearnProject::new();
    let output = learn.run(&["--learn", "gen"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);

    assert!(text.contains("learn: task `gen` succeeded under strace"), "{text}");
    assert!(text.contains(".sources([\"data/a.txt\", \"data/b.csv\", \"gen.py\"])"), "{text}");
    assert!(text.contains(".generates([\"out/\"])"), "{text}");
    assert!(text.contains(".scopes([Scope::program(\"python3\")])"), "{text}");
    assert!(text.contains("`sources` lacks data/a.txt, data/b.csv, gen.py"), "{text}");
    assert!(text.contains("`generates` does not cover what it wrote"), "{text}");
    assert!(!text.contains("nothing needs to change"), "{text}");
    assert_eq!(learn.project.read("out/result.txt"), "a\nb\n");
}

#[test]
fn learn_of_right_declarations_changes_nothing() {
    let learn = LearnProject::new();
    let first = learn.run(&["-q", "declared"]);
    assert!(first.status.success(), "{}", stderr(&first));

    // The task is fresh now, and learn mode runs it anyway.
    std::fs::remove_file(learn.project.path().join("out/result.txt")).unwrap();
    let output = learn.run(&["--learn", "declared"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let expected = "learn: task `declared` succeeded under strace and declares everything it \
                    used: nothing needs to change\n";
    assert_eq!(text, expected);
    assert_eq!(learn.project.read("out/result.txt"), "a\nb\n", "learn mode ran the fresh task");
}

#[test]
fn learn_closure_reports_untraced() {
    let learn = LearnProject::new();
    let output = learn.run(&["--learn", "closure"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(!text.contains("nothing needs to change"), "{text}");
    assert!(text.contains("part of it ran untraced"), "{text}");
    assert!(text.contains("note: "), "{text}");
    let err = stderr(&output);
    assert!(err.contains("  learn: `closure` ran unconfined under strace; the sandbox"), "{err}");
}

#[test]
fn learn_flags_file_generate_for_created_directory() {
    let learn = LearnProject::new();
    let output = learn.run(&["--learn", "mkdir"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains(".generates([\"build/\"])"), "{text}");
    assert!(text.contains("`generates` entry `build` names a file on a clean tree"), "{text}");
    assert!(text.contains("declare `build/`"), "{text}");
}

#[test]
fn learn_of_failing_task_exits_1() {
    let learn = LearnProject::new();
    let output = learn.run(&["--learn", "failing"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("learn: task `failing` failed under strace"), "{text}");
    assert!(text.contains(".sources([\"data/a.txt\"])"), "{text}");
}

#[test]
fn learn_needs_one_task_and_strace() {
    let learn = LearnProject::new();
    let output = learn.run(&["--learn", "gen", "failing"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`--learn` takes exactly one task"), "{}", stderr(&output));

    let empty = tempfile::tempdir().unwrap();
    let output = learn
        .project
        .fixture("learn")
        .args(["--learn", "failing"])
        .env("PATH", empty.path())
        .output();
    let output = output.unwrap();
    assert_ne!(output.status.code(), Some(0));
    let err = stderr(&output);
    assert!(err.contains("`strace` is not installed or not on PATH"), "{err}");
    assert!(err.contains("apt install strace"), "{err}");
}

#[test]
fn learn_cargo_build_proposes_rust_toolchain() {
    let project = Project::new();
    project
        .file("Cargo.toml", "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
        .file("src/main.rs", "fn main() {}\n");
    let target = project.path().join("target");
    let run = |args: &[&str]| {
        let mut command = project.fixture("learn");
        command.args(args).env("CARGO_TARGET_DIR", &target).env_remove("CARGO_BUILD_TARGET_DIR");
        command.output().unwrap()
    };

    let output = run(&["--learn", "cargo"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains(".sources([\"Cargo.toml\", \"src/main.rs\"])"), "{text}");
    assert!(text.contains(".generates([\"Cargo.lock\", \"target/\"])"), "{text}");
    assert!(text.contains("Scope::rust_toolchain()"), "{text}");
    assert!(!text.contains("Scope::program(\"cargo\")"), "the preset covers cargo: {text}");

    // The proposed declarations suffice under the sandbox: `cargo-declared`
    // declares them, and builds from scratch.
    if landlock_enforced("learn_cargo_build_proposes_rust_toolchain") {
        std::fs::remove_dir_all(&target).unwrap();
        std::fs::remove_file(project.path().join("Cargo.lock")).unwrap();
        let output = run(&["--sandbox=enforce", "cargo-declared"]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(target.join("debug/tiny").is_file());
    }
}

/// Returns whether `--sandbox=enforce` works here; otherwise reports the
/// skip, or fails when `RUNNER_TEST_REQUIRE_LANDLOCK=1`.
fn landlock_enforced(test: &str) -> bool {
    let project = Project::new();
    let probe = project.run("sandbox", &["--sandbox=enforce", "-q", "inside"]);
    support::landlock_enforced(test, &probe)
}

fn denials_project() -> Project {
    let project = Project::new();
    project.file("data/main.txt", "main\n").file("data/extra.txt", "extra\n");
    std::fs::create_dir_all(project.path().join("stray")).unwrap();
    project
}

fn traced(project: &Project, task: &str) -> Output {
    let mut command = project.fixture("traced");
    command.arg(task).env("RUNNER_DENIALS", "trace").stdin(Stdio::null());
    command.output().unwrap()
}

#[test]
fn trace_reports_undeclared_read() {
    if !landlock_enforced("trace_reports_undeclared_read") {
        return;
    }
    let project = denials_project();
    let output = traced(&project, "read");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("seen by re-running the task under strace"), "{err}");
    assert!(err.contains("read     data/extra.txt"), "{err}");
    assert!(err.contains("Rust:     .sources([\"data/extra.txt\"])"), "{err}");
    assert!(!err.contains("data/main.txt\n"), "a declared source is no denial: {err}");
}

#[test]
fn trace_reports_write_outside_generates_as_create() {
    if !landlock_enforced("trace_reports_write_outside_generates_as_create") {
        return;
    }
    let project = denials_project();
    let output = traced(&project, "write");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("create   stray/new.txt"), "{err}");
    assert!(err.contains(".generates([\"stray/\"])"), "{err}");
    assert!(!project.path().join("stray/new.txt").exists());
}

#[test]
fn trace_reports_denied_connect_port() {
    if !landlock_enforced("trace_reports_denied_connect_port") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let project = denials_project();
    let mut command = project.fixture("traced");
    command.args(["connect"]).env("RUNNER_DENIALS", "trace").env("FIXTURE_PORT", port.to_string());
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains(&format!("connect  TCP port {port}")), "{err}");
    assert!(err.contains(&format!(".scopes([Scope::tcp_connect({port})])")), "{err}");
    assert!(err.contains(&format!("scopes: [{{network: tcp-connect:{port}}}]")), "{err}");
}

#[test]
fn trace_names_closure_as_untraceable() {
    if !landlock_enforced("trace_names_closure_as_untraceable") {
        return;
    }
    let project = denials_project();
    let output = traced(&project, "closure");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("step `fail` is a closure that runs inside the runner"), "{err}");
    assert!(err.contains("cannot re-run it under strace"), "{err}");
}

fn taskfile(project: &Project, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runner-taskfile"));
    command.args(args).current_dir(project.path()).stdin(Stdio::null());
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("RUNNER_") || key.starts_with("TASK_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

const TASKFILE: &str = "\
version: '3'
tasks:
  gen:
    sources: [data/main.txt]
    cmds:
      - mkdir -p out && cat data/*.txt > out/all.txt
  bad:
    sources: [data/main.txt]
    generates: [out/]
    cmds:
      - cat data/main.txt > out/main.txt
      - cat data/extra.txt > out/extra.txt
";

#[test]
fn taskfile_learn_prints_yaml() {
    let project = denials_project();
    project.file("Taskfile.yml", TASKFILE);
    let output = taskfile(&project, &["--learn", "gen"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("  sources: [data/*]"), "{text}");
    assert!(text.contains("  generates: [out/]"), "{text}");
    assert!(text.contains("`sources` lacks data/extra.txt"), "{text}");

    let joined = taskfile(&project, &["--learn=gen"], &[]);
    assert!(joined.status.success(), "{}", stderr(&joined));
    let joined = stdout(&joined);
    assert!(joined.starts_with("learn: task `gen` succeeded under strace"), "{joined}");
    assert!(joined.contains("  sources: [data/*]"), "{joined}");
}

#[test]
fn taskfile_trace_reports_undeclared_read() {
    if !landlock_enforced("taskfile_trace_reports_undeclared_read") {
        return;
    }
    let project = denials_project();
    project.file("Taskfile.yml", TASKFILE);
    let output = taskfile(&project, &["--sandbox", "bad"], &[("RUNNER_DENIALS", "trace")]);
    assert_eq!(output.status.code(), Some(201), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("seen by re-running the task under strace"), "{err}");
    assert!(err.contains("read     data/extra.txt"), "{err}");
    assert!(err.contains("Taskfile: sources: [data/extra.txt]"), "{err}");
    assert_eq!(project.read("out/main.txt"), "main\n");
}
