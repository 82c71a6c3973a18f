//! The `runner` binary on Taskfiles written to temporary directories, and a
//! replay of the recorded go-task transcripts in `tests/compat`.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::Project;

fn runner_path() -> &'static str {
    env!("CARGO_BIN_EXE_runner-taskfile")
}

/// Runs the binary in `dir` with a clean `TASK_*`/`RUNNER_*` environment.
fn runner(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("run runner-taskfile")
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(runner_path());
    command.args(args).current_dir(dir).stdin(std::process::Stdio::null());
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with("RUNNER_") || key_text.starts_with("TASK_") {
            command.env_remove(key);
        }
    }
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn project(taskfile: &str) -> Project {
    let project = Project::new();
    project.file("Taskfile.yml", taskfile);
    project
}

#[test]
fn echo_and_exit_codes() {
    let project = project(
        "version: '3'\ntasks:\n  ok: echo hi\n  fails:\n    cmds:\n      - echo before\n      - exit 3\n",
    );
    let ok = runner(project.path(), &["ok"]);
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(stdout(&ok), "hi\n");
    assert_eq!(stderr(&ok), "task: [ok] echo hi\n");

    let fails = runner(project.path(), &["fails"]);
    assert_eq!(fails.status.code(), Some(201));
    assert!(stderr(&fails).ends_with("task: Failed to run task \"fails\": exit status 3\n"));

    let passed = runner(project.path(), &["-x", "fails"]);
    assert_eq!(passed.status.code(), Some(3));
}

#[test]
fn unknown_task_suggests_close_name() {
    let project = project("version: '3'\ntasks:\n  build:\n    desc: Build it\n    cmds: [true]\n");
    let output = runner(project.path(), &["biuld"]);
    assert_eq!(output.status.code(), Some(200));
    assert_eq!(stderr(&output), "task: Task \"biuld\" does not exist. Did you mean \"build\"?\n");
    assert!(stdout(&output).starts_with("task: Available tasks for this project:\n* build:"));
}

#[test]
fn cli_vars_lose_to_task_vars() {
    let project = project(
        "version: '3'\nvars:\n  G: global\ntasks:\n  show:\n    vars:\n      T: task\n      \
         D: '{{.D | default \"dflt\"}}'\n    cmds:\n      - echo {{.G}} {{.T}} {{.D}}\n",
    );
    let plain = runner(project.path(), &["-s", "show"]);
    assert_eq!(stdout(&plain), "global task dflt\n");
    let with_cli = runner(project.path(), &["-s", "show", "G=cli", "T=cli", "D=cli"]);
    assert_eq!(stdout(&with_cli), "cli task cli\n");
}

#[test]
fn cli_args_after_double_dash() {
    let project = project("version: '3'\ntasks:\n  args: echo {{.CLI_ARGS}}\n");
    let output = runner(project.path(), &["-s", "args", "--", "a b", "c"]);
    assert_eq!(stdout(&output), "a b c\n");
}

#[test]
fn invalid_yaml_reports_position() {
    let project = project("version: '3'\ntasks:\n  a:\n    cmds: [echo \"x\n");
    let output = runner(project.path(), &["a"]);
    assert_eq!(output.status.code(), Some(109));
    let text = stderr(&output);
    assert!(text.contains("--> Taskfile.yml:4:"), "{text}");
    assert!(text.contains("4 |     cmds: [echo \"x"), "{text}");
    assert!(text.contains('^'), "{text}");
}

#[test]
fn wrong_type_is_decode_error() {
    let project = project("version: '3'\ntasks:\n  a:\n    cmds: 5\n");
    let output = runner(project.path(), &["a"]);
    assert_eq!(output.status.code(), Some(102));
    let text = stderr(&output);
    assert!(text.contains("expected a list, found an integer"), "{text}");
    assert!(text.contains("--> Taskfile.yml:4:11"), "{text}");
    assert!(text.contains("  |           ^"), "{text}");
}

#[test]
fn unknown_dep_reports_position() {
    let project = project("version: '3'\ntasks:\n  a:\n    deps: [nope]\n  b: echo b\n");
    let output = runner(project.path(), &["b"]);
    assert_eq!(output.status.code(), Some(200));
    let text = stderr(&output);
    assert!(text.starts_with("task: Task \"nope\" does not exist"), "{text}");
    assert!(text.contains("--> Taskfile.yml:4:12"), "{text}");
}

#[test]
fn template_error_reports_position() {
    let project = project("version: '3'\ntasks:\n  a:\n    cmds:\n      - echo {{.X\n");
    let output = runner(project.path(), &["a"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("--> Taskfile.yml:5:14"), "{text}");
}

#[test]
fn missing_version_exits_107() {
    let project = project("tasks:\n  a: echo a\n");
    let output = runner(project.path(), &["a"]);
    assert_eq!(output.status.code(), Some(107));
    assert!(stderr(&output).contains("Missing schema version"));
}

#[test]
fn cycle_found_before_running() {
    let project = project(
        "version: '3'\ntasks:\n  a:\n    deps: [b]\n    cmds: [touch ran]\n  b:\n    cmds:\n      \
         - task: a\n",
    );
    let output = runner(project.path(), &["a"]);
    assert_eq!(output.status.code(), Some(204));
    assert_eq!(stderr(&output), "task: Cyclic task calls detected: a -> b -> a\n");
    assert!(!project.path().join("ran").exists());
}

#[test]
fn include_cycle_exits_110() {
    let project = project("version: '3'\nincludes:\n  other: ./other.yml\ntasks:\n  a: echo a\n");
    project.file("other.yml", "version: '3'\nincludes:\n  back: ./Taskfile.yml\n");
    let output = runner(project.path(), &["a"]);
    assert_eq!(output.status.code(), Some(110));
    assert!(stderr(&output).starts_with("task: include cycle detected between"));
}

#[test]
fn includes_resolve_relative_to_including_file() {
    let project = project("version: '3'\nincludes:\n  sub: ./sub/Taskfile.yml\n");
    project.file(
        "sub/Taskfile.yml",
        "version: '3'\nincludes:\n  deep: ./deep\ntasks:\n  a: echo sub\n",
    );
    project.file("sub/deep/Taskfile.yml", "version: '3'\ntasks:\n  b: echo {{.TASK}}\n");
    let output = runner(project.path(), &["-s", "sub:a", "sub:deep:b"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "sub\nsub:deep:b\n");
}

#[test]
fn unknown_keys_listed_with_verbose() {
    let project =
        project("version: '3'\nfrobnicate: 1\ntasks:\n  a:\n    wat: 2\n    cmds: [true]\n");
    let quiet = runner(project.path(), &["-s", "a"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr(&quiet), "");
    let verbose = runner(project.path(), &["-v", "a"]);
    let text = stderr(&verbose);
    assert!(text.contains("ignoring unknown key `frobnicate` at Taskfile.yml:2:1"), "{text}");
    assert!(text.contains("ignoring unknown key `wat` at Taskfile.yml:5:5"), "{text}");
}

#[test]
fn deps_run_concurrently_and_diamond_twice() {
    let project = project(
        "version: '3'\ntasks:\n  top:\n    deps: [l, r]\n  l:\n    deps: [base]\n  r:\n    \
         deps: [base]\n  base: echo base >> marks\n",
    );
    let output = runner(project.path(), &["-s", "top"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(project.marks(), ["base", "base"]);
}

#[test]
fn checksum_reruns_after_output_edit() {
    let project = project(
        "version: '3'\ntasks:\n  build:\n    sources: [in.txt]\n    generates: [out/r.txt]\n    \
         cmds:\n      - mkdir -p out && cp in.txt out/r.txt && echo ran >> marks\n",
    );
    project.file("in.txt", "one");
    runner(project.path(), &["build"]);
    let second = runner(project.path(), &["build"]);
    assert_eq!(stderr(&second), "task: Task \"build\" is up to date\n");
    assert_eq!(project.marks(), ["ran"]);

    project.file("out/r.txt", "edited");
    runner(project.path(), &["build"]);
    assert_eq!(project.marks(), ["ran", "ran"]);
    assert_eq!(project.read("out/r.txt"), "one");
}

#[test]
fn failed_run_records_no_state() {
    let project = project(
        "version: '3'\ntasks:\n  flaky:\n    method: timestamp\n    sources: [in.txt]\n    \
         cmds:\n      - echo try >> marks\n      - test -f ok\n",
    );
    project.file("in.txt", "x");
    let first = runner(project.path(), &["-s", "flaky"]);
    assert_eq!(first.status.code(), Some(201));
    assert!(!project.path().join(".task/timestamp/flaky").exists());
    project.file("ok", "");
    let second = runner(project.path(), &["-s", "flaky"]);
    assert_eq!(second.status.code(), Some(0));
    assert_eq!(project.marks(), ["try", "try"]);
    let third = runner(project.path(), &["flaky"]);
    assert_eq!(stderr(&third), "task: Task \"flaky\" is up to date\n");
}

#[test]
fn os_env_beats_taskfile_env() {
    let project = project("version: '3'\nenv:\n  WHO: taskfile\ntasks:\n  a: echo $WHO\n");
    let plain = runner(project.path(), &["-s", "a"]);
    assert_eq!(stdout(&plain), "taskfile\n");
    let os = command(project.path(), &["-s", "a"]).env("WHO", "os").output().unwrap();
    assert_eq!(stdout(&os), "os\n");
}

#[test]
fn defer_runs_lifo_on_failure() {
    let project = project(
        "version: '3'\ntasks:\n  a:\n    cmds:\n      - defer: echo first {{.EXIT_CODE}}\n      \
         - defer: echo second\n      - exit 5\n",
    );
    let output = runner(project.path(), &["-s", "a"]);
    assert_eq!(output.status.code(), Some(201));
    assert_eq!(stdout(&output), "second\nfirst 5\n");
}

#[test]
fn prefixed_output_mode() {
    let project = project(
        "version: '3'\ntasks:\n  a:\n    prefix: pre\n    cmds: [echo one; echo two >&2]\n",
    );
    let output = runner(project.path(), &["-s", "-o", "prefixed", "a"]);
    assert_eq!(stdout(&output), "[pre] one\n[pre] two\n");
}

#[test]
fn sandbox_flags_are_accepted() {
    let project = project(
        "version: '3'\ntasks:\n  a:\n    scopes:\n      - path: true\n      - {path: ./data, mode: rw}\n      \
         - network: tcp-connect:443\n    cmds: [echo ok]\n",
    );
    for args in [["--sandbox", "a"], ["--no-sandbox", "a"]] {
        let output = runner(project.path(), &[args[0], "-s", args[1]]);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
        assert_eq!(stdout(&output), "ok\n");
    }
}

#[test]
fn sandbox_mode_may_follow_as_separate_argument() {
    let project = project("version: '3'\ntasks:\n  a: echo ok\n  warn: echo named warn\n");

    let output = runner(project.path(), &["--sandbox", "off", "-s", "a"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "ok\n");

    let output = runner(project.path(), &["-s", "--sandbox", "bogus"]);
    assert_eq!(output.status.code(), Some(200), "{}", stderr(&output));

    let output = runner(project.path(), &["--sandbox=warn", "-s", "warn"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "named warn\n");
}

#[test]
fn interrupt_stops_running_command() {
    let project = project("version: '3'\ntasks:\n  wait: sleep 30\n");
    let child = command(project.path(), &["-s", "wait"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(500));
    let start = Instant::now();
    // SAFETY: kill(2) on the child we just spawned.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let output = child.wait_with_output().expect("wait");
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    assert_eq!(output.status.code(), Some(201));
    assert!(stderr(&output).starts_with("task: Signal received: \"interrupt\"\n"));
}

/// The steps of each recorded go-task case that match today; a step that
/// stops matching is a regression.
const MATCHING_STEPS: &[(&str, &[u32])] = &[
    ("01-basics", &[1, 2, 3, 4, 5, 6, 7, 8, 9]),
    ("02-vars-precedence", &[1, 2, 3, 4, 5, 6, 7]),
    ("05-deps-parallel", &[1, 2, 3, 4, 5, 6]),
    ("06-task-calls-run-modes", &[1, 2, 3, 4]),
    (
        "08-sources-checksum",
        &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
    ),
    (
        "09-timestamp-status",
        &[
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
            25, 26,
        ],
    ),
    ("10-preconditions-requires-if", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]),
    ("11-includes", &[1, 2, 3, 4, 5, 6, 7, 8]),
    ("12-env-dotenv", &[1, 2, 3, 4, 5]),
    ("14-defer-ignore-exit", &[1, 2, 3, 4, 5, 6, 7, 8]),
    ("15-dry-summary-list", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    ("17-shell-and-dir", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
];

#[test]
fn compat_transcripts_keep_matching() {
    let python = Command::new("python3").arg("--version").output();
    if !python.is_ok_and(|o| o.status.success()) {
        println!("skipped: python3 is not available to replay tests/compat");
        return;
    }
    let compat = Path::new(env!("CARGO_MANIFEST_DIR")).join("compat");
    let cases: Vec<_> = MATCHING_STEPS.iter().map(|(case, _)| compat.join(case)).collect();
    let output = Command::new("python3")
        .arg(compat.join("replay.py"))
        .args(["--bin", runner_path(), "--show"])
        .args(&cases)
        .output()
        .expect("run replay.py");
    let report = stdout(&output);
    for (case, steps) in MATCHING_STEPS {
        for step in *steps {
            let header = format!("--- {case} step {step}: ");
            assert!(!report.contains(&header), "{case} step {step} no longer matches:\n{report}");
        }
        let summary = format!("{case}: {n}/{n} steps match", n = steps.len());
        assert!(report.contains(&summary), "{case}: {report}");
    }
}

#[test]
fn load_str_imports_tasks_beside_rust_tasks() {
    let project = Project::new();
    let taskfile = "version: '3'
vars:
  OUT: result.txt
tasks:
  gen:
    desc: Generate
    sources: [in.txt]
    generates: ['{{.OUT}}']
    cmds:
      - cp in.txt {{.OUT}}
  build:
    deps: [gen]
    generates: [marks]
    cmds:
      - task: gen
      - echo built >> marks
";
    project.file("in.txt", "data");
    let tasks = runner::taskfile::load_str(taskfile, "Taskfile.yml", project.path()).unwrap();
    let names: Vec<&str> = tasks.iter().map(runner::Task::name).collect();
    assert_eq!(names, ["gen", "build"]);
    assert_eq!(tasks[0].get_doc(), Some("Generate"));
    assert_eq!(tasks[1].get_deps(), ["gen"]);
    let generates = tasks[0].get_generates();
    assert_eq!(generates.len(), 1);
    assert!(generates[0].ends_with("/result.txt"), "{generates:?}");
    assert!(matches!(&tasks[1].get_steps()[0], runner::Step::Call(name) if name == "gen"));

    let rust_task =
        runner::Task::new("after").dep("build").generates(["marks"]).sh("echo rust >> marks");
    let runner = runner::Runner::new().root(project.path()).tasks(tasks).task(rust_task);
    let mut options = runner::Options::default();
    options.tasks = vec!["after".to_string()];
    options.verbosity = runner::Verbosity::Quiet;
    let report = runner.execute(&options).unwrap();
    assert!(report.success(), "{:?}", report.tasks);
    assert_eq!(project.read("result.txt"), "data");
    assert_eq!(project.marks(), ["built", "rust"]);
}

#[test]
fn load_reports_exit_code_and_position() {
    let project = project("version: '3'\ntasks:\n  a:\n    deps: 7\n");
    let error = runner::taskfile::load(project.path().join("Taskfile.yml")).unwrap_err();
    let runner::ErrorKind::Taskfile { message, exit_code } = error.kind() else {
        panic!("not a Taskfile error: {error}");
    };
    assert_eq!(*exit_code, 102);
    assert!(message.contains("Taskfile.yml:4:11"), "{message}");
}

/// Returns whether `--sandbox=enforce` works here; otherwise reports the
/// skip, or fails when `RUNNER_TEST_REQUIRE_LANDLOCK=1`.
fn landlock_enforced(test: &str) -> bool {
    let project = project("version: '3'\ntasks:\n  probe: 'true'\n");
    let probe = runner(project.path(), &["--sandbox=enforce", "-s", "probe"]);
    crate::support::landlock_enforced(test, &probe)
}

#[test]
fn sandboxed_task_writes_only_generates() {
    if !landlock_enforced("sandboxed_task_writes_only_generates") {
        return;
    }
    let project = project(
        "version: '3'\ntasks:\n  write:\n    sources: [in.txt]\n    generates: [out/]\n    \
         cmds:\n      - cat in.txt > out/copy.txt\n      - echo escaped > outside.txt\n",
    );
    project.file("in.txt", "data\n");

    // With no denial report, the hint summarizes the grants.
    let confined = runner(project.path(), &["--sandbox=enforce", "--denials=off", "write"]);
    assert_eq!(confined.status.code(), Some(201));
    assert_eq!(project.read("out/copy.txt"), "data\n");
    assert!(!project.path().join("outside.txt").exists());
    let text = stderr(&confined);
    assert!(text.contains("Permission denied"), "{text}");
    assert!(text.contains("  scopes: [{path: /path, mode: rw}]"), "hint in Taskfile keys: {text}");
    assert!(!text.contains(".scopes(["), "hint in Rust syntax: {text}");
    assert!(text.ends_with("task: Failed to run task \"write\": exit status 1\n"), "{text}");

    let unconfined = runner(project.path(), &["write"]);
    assert_eq!(unconfined.status.code(), Some(0), "{}", stderr(&unconfined));
    assert_eq!(project.read("outside.txt"), "escaped\n");
}

#[test]
fn sandbox_environment_and_flags() {
    if !landlock_enforced("sandbox_environment_and_flags") {
        return;
    }
    let project =
        project("version: '3'\ntasks:\n  escape:\n    cmds:\n      - echo escaped > outside.txt\n");
    let by_env = command(project.path(), &["-s", "escape"]).env("TASK_SANDBOX", "1").output();
    assert_eq!(by_env.unwrap().status.code(), Some(201));
    assert!(!project.path().join("outside.txt").exists());

    let overridden = command(project.path(), &["--no-sandbox", "-s", "escape"])
        .env("TASK_SANDBOX", "1")
        .output()
        .unwrap();
    assert_eq!(overridden.status.code(), Some(0));
    assert!(project.path().join("outside.txt").exists());
}

#[test]
fn write_scope_widens_sandbox() {
    if !landlock_enforced("write_scope_widens_sandbox") {
        return;
    }
    let project = project(
        "version: '3'\ntasks:\n  cache:\n    scopes:\n      - {path: ./cache, mode: rw}\n    \
         cmds:\n      - echo kept > cache/entry.txt\n",
    );
    project.file("cache/.keep", "");
    let output = runner(project.path(), &["--sandbox=enforce", "-s", "cache"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(project.read("cache/entry.txt"), "kept\n");
}
