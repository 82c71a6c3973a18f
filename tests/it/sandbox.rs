//! The sandbox through the command line: tasks confined to their
//! declarations, the hint after a denial, the modes and the status line.
//!
//! Where the kernel cannot enforce the policy, each test prints that it is
//! skipped, unless `RUNNER_TEST_REQUIRE_LANDLOCK=1` turns the skip into a
//! failure.

use crate::support::{self, Project, stderr};

/// Returns whether `--sandbox=enforce` works here; otherwise reports the
/// skip, or fails when `RUNNER_TEST_REQUIRE_LANDLOCK=1`.
fn landlock_enforced(test: &str) -> bool {
    let project = Project::new();
    let probe = project.run("sandbox", &["--sandbox=enforce", "-q", "inside"]);
    support::landlock_enforced(test, &probe)
}

#[test]
fn sandbox_allows_declared_writes() {
    if !landlock_enforced("sandbox_allows_declared_writes") {
        return;
    }
    let project = Project::new();
    let output = project.run("sandbox", &["--sandbox=enforce", "inside"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(project.read("out/inside.txt"), "inside\n");
}

#[test]
fn sandbox_denies_undeclared_write_with_hint() {
    if !landlock_enforced("sandbox_denies_undeclared_write_with_hint") {
        return;
    }
    let project = Project::new();
    // With no denial report, the hint summarizes the grants.
    let output = project.run("sandbox", &["--denials=off", "escape"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!project.path().join("escaped.txt").exists());

    let err = stderr(&output);
    assert!(err.contains("Permission denied"), "{err}");
    assert!(err.contains("sandbox: task `escape` was confined to"), "{err}");
    assert!(err.contains("write: out, its private TMPDIR"), "{err}");
    assert!(err.contains(".generates([\"out/\"])"), "{err}");
    assert!(err.contains("--no-sandbox"), "{err}");
}

#[test]
fn no_sandbox_and_environment_turn_it_off() {
    if !landlock_enforced("no_sandbox_and_environment_turn_it_off") {
        return;
    }
    let project = Project::new();
    let output = project.run("sandbox", &["--no-sandbox", "escape"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(project.read("escaped.txt"), "escaped\n");

    let project = Project::new();
    let output = project.fixture("sandbox").arg("escape").env("RUNNER_SANDBOX", "off").output();
    let output = output.unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(project.read("escaped.txt"), "escaped\n");
}

#[test]
fn nested_runner_stays_confined() {
    if !landlock_enforced("nested_runner_stays_confined") {
        return;
    }
    let project = Project::new();
    let output = project.run("sandbox", &["nested"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!project.path().join("escaped.txt").exists(), "the inner --no-sandbox widened access");
}

#[test]
fn unscoped_program_hint_names_it() {
    if !landlock_enforced("unscoped_program_hint_names_it") {
        return;
    }
    let project = Project::new();
    std::fs::create_dir(project.path().join("tools")).unwrap();
    std::fs::copy("/usr/bin/true", project.path().join("tools/mytrue")).unwrap();
    let output = project.run("sandbox", &["tool"]);
    assert_eq!(output.status.code(), Some(1));

    let err = stderr(&output);
    let tool = project.path().canonicalize().unwrap().join("tools/mytrue");
    assert!(err.contains(&format!("may not execute `{}`", tool.display())), "{err}");
    assert!(err.contains(".scopes([Scope::exec(\"tools\")])"), "{err}");
}

#[test]
fn generates_at_root_is_invalid() {
    for mode in ["--sandbox=warn", "--no-sandbox"] {
        let project = Project::new();
        let output = project.run("at-root", &[mode, "fine"]);
        assert_eq!(output.status.code(), Some(2), "{mode}: {}", stderr(&output));
        assert!(project.marks().is_empty(), "{mode}: a task ran");
        let err = stderr(&output);
        assert!(
            err.contains("`generates` entry `*.txt` would make the whole project root"),
            "{err}"
        );
    }
}

#[test]
fn generates_outside_root_is_invalid() {
    let project = Project::new();
    let output = project.run("outside", &["--no-sandbox", "outside"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(project.marks().is_empty());
    assert!(!project.path().join("../outside").exists(), "the runner created the directory");
    assert!(stderr(&output).contains("is outside the project root"), "{}", stderr(&output));
}

#[test]
fn enforce_on_older_abi_fails_before_running() {
    if !landlock_enforced("enforce_on_older_abi_fails_before_running") {
        return;
    }
    let project = Project::new();
    let output = project
        .fixture("sandbox")
        .args(["--sandbox=enforce", "inside"])
        .env("RUNNER_SANDBOX_TEST_ABI", "3")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("missing TCP bind and connect rules (Landlock ABI 4)"), "{err}");
    assert!(!project.path().join("out").exists(), "nothing ran");
}

#[test]
fn verbose_prints_sandbox_status() {
    if !landlock_enforced("verbose_prints_sandbox_status") {
        return;
    }
    let project = Project::new();
    let output = project.run("sandbox", &["-v", "inside"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("sandbox: enforced (Landlock ABI"), "{err}");

    let output = project
        .fixture("sandbox")
        .args(["-v", "inside"])
        .env("RUNNER_SANDBOX_TEST_ABI", "3")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("sandbox: partial (Landlock ABI 3, missing TCP"), "{err}");
}

#[test]
fn called_task_runs_with_own_declarations() {
    if !landlock_enforced("called_task_runs_with_own_declarations") {
        return;
    }
    let project = Project::new();
    let output = project.run("sandbox", &["--sandbox=enforce", "outer"]);
    assert!(output.status.success(), "{}", stderr(&output));

    assert_eq!(project.read("out/inner/inner.txt"), "inner\n");
    assert_eq!(project.read("out/outer/outer.txt"), "outer\n");
    assert!(
        !project.path().join("out/inner/leak.txt").exists(),
        "the caller used the callee's grant"
    );
}

#[test]
fn closure_step_is_confined() {
    if !landlock_enforced("closure_step_is_confined") {
        return;
    }
    let project = Project::new();
    let output = project.run("sandbox", &["--sandbox=enforce", "closure"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    assert_eq!(project.read("out/inside.txt"), "inside\n");
    assert!(!project.path().join("escaped.txt").exists());
    assert!(stderr(&output).contains("step `write-outside` failed"), "{}", stderr(&output));
}
