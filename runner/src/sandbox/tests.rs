//! Enforcement tests: real commands under real Landlock rulesets, on files in
//! temp directories.
//!
//! Each test builds its confinement through `Sandbox::new(Enforce)` and
//! `prepare`, as the scheduler does. Where the kernel cannot enforce the
//! policy, the tests print that they are skipped, unless
//! `RUNNER_TEST_REQUIRE_LANDLOCK=1`, which turns a skip into a failure.

use std::ffi::OsString;
use std::io::Read as _;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::tmp_dir::TmpDir;
use super::*;
use crate::ErrorKind;

/// Reports a test skipped for lack of Landlock, or fails it when
/// `RUNNER_TEST_REQUIRE_LANDLOCK=1`.
pub(super) fn skip_without_landlock(test: &str) {
    let reason = match Sandbox::with_abi_cap(SandboxMode::Warn, None) {
        Ok(sandbox) => sandbox.status().to_string(),
        Err(error) => error.to_string(),
    };
    if std::env::var_os("RUNNER_TEST_REQUIRE_LANDLOCK").is_some_and(|value| value == "1") {
        panic!(
            "{test}: Landlock is required by RUNNER_TEST_REQUIRE_LANDLOCK=1 but the sandbox is {reason}"
        );
    }
    eprintln!(
        "SKIPPED {test}: the sandbox is {reason}; set RUNNER_TEST_REQUIRE_LANDLOCK=1 to fail instead"
    );
}

/// Returns an enforcing sandbox, or `None` after reporting the skip.
fn enforcing(test: &str) -> Option<Sandbox> {
    match Sandbox::new(SandboxMode::Enforce) {
        Ok(sandbox) => Some(sandbox),
        Err(_) => {
            skip_without_landlock(test);
            None
        }
    }
}

/// A project root, its state directory and a directory outside it, all in
/// one temp directory that is removed at the end of the test.
struct Project {
    _guard: TmpDir,
    root: PathBuf,
    state: PathBuf,
    outside: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        let guard = TmpDir::create(name).unwrap();
        let root = guard.path().join("project");
        let state = root.join(".runner");
        let outside = guard.path().join("outside");
        for dir in [&root, &state, &outside] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(state.join("state.json"), "{}").unwrap();
        std::fs::write(outside.join("secret.txt"), "secret").unwrap();
        Project { _guard: guard, root, state, outside }
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// The declarations of one test task.
#[derive(Default)]
struct Declared {
    sources: Vec<PathBuf>,
    /// Whether each source is a symbolic link, as a walk would report it.
    source_links: Option<Vec<bool>>,
    source_dirs: Vec<PathBuf>,
    generates: Vec<String>,
    scopes: Vec<Scope>,
    path_env: Option<OsString>,
}

fn prepare(sandbox: &Sandbox, project: &Project, declared: &Declared) -> Result<Confinement> {
    let access = TaskAccess {
        task: "test",
        root: &project.root,
        state_dir: &project.state,
        source_files: &declared.sources,
        source_links: declared.source_links.as_deref(),
        source_dirs: &declared.source_dirs,
        generates: &declared.generates,
        scopes: &declared.scopes,
        dir: &project.root,
        path_env: declared.path_env.as_deref(),
        syntax: super::Syntax::Rust,
    };
    Ok(sandbox.prepare(&access)?.expect("an enforcing sandbox confines every task"))
}

/// Runs `script` with `sh -c` in the project root under the confinement.
fn sh(confinement: &Confinement, project: &Project, script: &str) -> Output {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(script);
    run(confinement, project, command)
}

fn run(confinement: &Confinement, project: &Project, mut command: Command) -> Output {
    command
        .current_dir(&project.root)
        .env("TMPDIR", confinement.tmp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    confinement.spawn(command).unwrap().wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_denied(output: &Output, action: &str) {
    assert!(!output.status.success(), "{action} succeeded: {}", stdout(output));
    let message = stderr(output);
    assert!(
        message.contains("Permission denied") || message.contains("Operation not permitted"),
        "{action} failed for another reason: {message}"
    );
}

fn assert_success(output: &Output, action: &str) {
    assert!(output.status.success(), "{action} failed: {}", stderr(output));
}

#[test]
fn read_outside_sources_denied() {
    let Some(sandbox) = enforcing("read_outside_sources_denied") else { return };
    let project = Project::new("read");
    let source = project.write("src/a.txt", "declared");
    project.write("src/undeclared.txt", "undeclared");
    let declared = Declared {
        sources: vec![source],
        source_dirs: vec![project.root.join("src")],
        ..Declared::default()
    };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();

    let output = sh(&confinement, &project, "cat src/a.txt");
    assert_success(&output, "reading a source");
    assert_eq!(stdout(&output), "declared");

    let output = sh(&confinement, &project, "cat src/undeclared.txt");
    assert_denied(&output, "reading a file next to a source");

    let script = format!("cat {}", project.outside.join("secret.txt").display());
    assert_denied(&sh(&confinement, &project, &script), "reading outside the project");

    let output = sh(&confinement, &project, "ls src");
    assert_success(&output, "listing a source directory");
    assert!(stdout(&output).contains("undeclared.txt"));
    assert_denied(&sh(&confinement, &project, "ls /root /home"), "listing an undeclared directory");
}

#[test]
fn write_inside_generates_only() {
    let Some(sandbox) = enforcing("write_inside_generates_only") else { return };
    let project = Project::new("write");
    let source = project.write("src/a.txt", "source");
    let declared = Declared {
        sources: vec![source],
        generates: vec!["out/".to_string(), "dist/**/*.o".to_string()],
        ..Declared::default()
    };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    assert!(project.root.join("out").is_dir(), "generate directories are created first");
    assert!(project.root.join("dist").is_dir(), "a glob creates its directory prefix");

    let script = "echo one > out/a && mkdir -p out/sub && echo two > out/sub/b && cat out/a";
    let output = sh(&confinement, &project, script);
    assert_success(&output, "creating files in a generate directory");
    assert_eq!(stdout(&output), "one\n");

    assert_success(&sh(&confinement, &project, "mv out/a out/renamed"), "renaming in a generate");
    let output = sh(&confinement, &project, "ln out/renamed dist/linked && mv out/sub dist/sub");
    assert_success(&output, "linking and moving across generate directories");
    assert!(project.root.join("dist/sub/b").is_file());

    let output = sh(&confinement, &project, "truncate -s 1 out/renamed && : > dist/linked");
    assert_success(&output, "truncating generated files");
    assert_eq!(std::fs::read(project.root.join("out/renamed")).unwrap(), b"");

    assert_denied(&sh(&confinement, &project, "echo x > src/a.txt"), "writing a source");
    assert_denied(&sh(&confinement, &project, "truncate -s 0 src/a.txt"), "truncating a source");
    assert_denied(&sh(&confinement, &project, "echo x > new.txt"), "creating a file in the root");
    assert_denied(&sh(&confinement, &project, "mv out/renamed moved"), "moving out of generates");
    let script = format!("echo x > {}", project.outside.join("new.txt").display());
    assert_denied(&sh(&confinement, &project, &script), "writing outside the project");
    assert_eq!(std::fs::read_to_string(project.root.join("src/a.txt")).unwrap(), "source");
}

#[test]
fn rm_rf_generate_contents() {
    let Some(sandbox) = enforcing("rm_rf_generate_contents") else { return };
    let project = Project::new("rm");
    project.write("out/a.o", "a");
    project.write("out/deep/nested/b.o", "b");
    let declared = Declared { generates: vec!["out/".to_string()], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();

    assert_success(&sh(&confinement, &project, "rm -rf out/*"), "removing generated files");
    let left: Vec<_> = std::fs::read_dir(project.root.join("out")).unwrap().collect();
    assert!(left.is_empty(), "left over: {left:?}");
    assert!(project.root.join("out").is_dir());
}

#[test]
fn literal_file_generate() {
    let Some(sandbox) = enforcing("literal_file_generate") else { return };
    let project = Project::new("file-generate");
    let declared = Declared { generates: vec!["report.txt".to_string()], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();

    assert_success(&sh(&confinement, &project, "echo done > report.txt"), "writing the file");
    assert_eq!(std::fs::read_to_string(project.root.join("report.txt")).unwrap(), "done\n");
    assert_denied(&sh(&confinement, &project, "echo x > other.txt"), "writing a sibling");
}

#[test]
fn private_tmp_dir() {
    let Some(sandbox) = enforcing("private_tmp_dir") else { return };
    let project = Project::new("tmp");
    let confinement = prepare(&sandbox, &project, &Declared::default()).unwrap();
    let tmp = confinement.tmp_dir().to_owned();

    let output = sh(&confinement, &project, "f=$(mktemp) && echo x > \"$f\" && cat \"$f\"");
    assert_success(&output, "writing TMPDIR");
    assert_eq!(stdout(&output), "x\n");
    let script = format!("echo x > {}", tmp.parent().unwrap().join("shared.txt").display());
    assert_denied(&sh(&confinement, &project, &script), "writing the shared temp directory");

    drop(confinement);
    assert!(!tmp.exists(), "the temp directory is removed with the confinement");
}

#[test]
fn tcp_connect_needs_scope() {
    let Some(sandbox) = enforcing("tcp_connect_needs_scope") else { return };
    let project = Project::new("tcp");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected");
    let bash = |confinement: &Confinement| {
        let mut command = Command::new("/bin/bash");
        command.arg("-c").arg(&script);
        run(confinement, &project, command)
    };

    let denied = prepare(&sandbox, &project, &Declared::default()).unwrap();
    assert_denied(&bash(&denied), "connecting without a network scope");

    let other_port =
        Declared { scopes: vec![Scope::tcp_connect(port.wrapping_add(1))], ..Declared::default() };
    let other = prepare(&sandbox, &project, &other_port).unwrap();
    assert_denied(&bash(&other), "connecting to a port other than the scoped one");

    for scope in [Scope::tcp_connect(port), Scope::network()] {
        let declared = Declared { scopes: vec![scope.clone()], ..Declared::default() };
        let allowed = prepare(&sandbox, &project, &declared).unwrap();
        let output = bash(&allowed);
        assert_success(&output, &format!("connecting with {scope}"));
        assert_eq!(stdout(&output), "connected\n");
    }
}

#[test]
fn tcp_bind_needs_scope() {
    let Some(sandbox) = enforcing("tcp_bind_needs_scope") else { return };
    let project = Project::new("bind");
    let free_port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let script = format!(
        "import socket; s = socket.socket(); s.bind(('127.0.0.1', {free_port})); print('bound')"
    );
    let python = |confinement: &Confinement| {
        let mut command = Command::new("/usr/bin/python3");
        command.arg("-c").arg(&script);
        run(confinement, &project, command)
    };
    if !Path::new("/usr/bin/python3").exists() {
        eprintln!("SKIPPED tcp_bind_needs_scope: /usr/bin/python3 is missing");
        return;
    }

    let denied = prepare(&sandbox, &project, &Declared::default()).unwrap();
    assert_denied(&python(&denied), "binding without a network scope");

    let declared = Declared { scopes: vec![Scope::tcp_bind(free_port)], ..Declared::default() };
    let allowed = prepare(&sandbox, &project, &declared).unwrap();
    let output = python(&allowed);
    assert_success(&output, "binding the scoped port");
    assert_eq!(stdout(&output), "bound\n");
}

#[test]
fn signal_to_runner_denied() {
    let Some(sandbox) = enforcing("signal_to_runner_denied") else { return };
    let project = Project::new("signal");
    let confinement = prepare(&sandbox, &project, &Declared::default()).unwrap();

    let script = format!("kill -0 {}", std::process::id());
    assert_denied(&sh(&confinement, &project, &script), "signalling the runner");

    let output = sh(&confinement, &project, "sleep 5 & kill $! && wait $!; echo \"status $?\"");
    assert_success(&output, "signalling the task's own child");
    assert_eq!(stdout(&output), "status 143\n");
}

/// Copies `/usr/bin/true` and two scripts into `bin/` outside the project.
fn install_tools(project: &Project) -> PathBuf {
    let bin = project.outside.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy("/usr/bin/true", bin.join("mytrue")).unwrap();
    std::fs::write(bin.join("myscript"), "#!/bin/sh\necho script ran\n").unwrap();
    std::fs::write(bin.join("myenvscript"), "#!/usr/bin/env mytrue\n").unwrap();
    for name in ["myscript", "myenvscript"] {
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

#[test]
fn program_scope_runs_program() {
    let Some(sandbox) = enforcing("program_scope_runs_program") else { return };
    let project = Project::new("program");
    let bin = install_tools(&project);
    let path_env = OsString::from(format!("{}:/usr/bin", bin.display()));

    for name in ["mytrue", "myscript", "myenvscript"] {
        let declared = Declared {
            scopes: vec![Scope::program(name)],
            path_env: Some(path_env.clone()),
            ..Declared::default()
        };
        let confinement = prepare(&sandbox, &project, &declared).unwrap();
        let mut command = Command::new(bin.join(name));
        command.env("PATH", &path_env);
        assert_success(&run(&confinement, &project, command), &format!("running scoped `{name}`"));
    }
}

#[test]
fn unscoped_program_denied() {
    let Some(sandbox) = enforcing("unscoped_program_denied") else { return };
    let project = Project::new("unscoped");
    let bin = install_tools(&project);
    let path_env = OsString::from(format!("{}:/usr/bin", bin.display()));
    let declared = Declared { path_env: Some(path_env.clone()), ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();

    let mut command = Command::new(bin.join("mytrue"));
    command.current_dir(&project.root);
    let error = confinement.spawn(command).unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::EACCES), "{error}");
    let hint = confinement.hint(Some(&error));
    assert!(hint.contains(&format!("`{}`", bin.join("mytrue").display())), "{hint}");
    assert!(hint.contains(&Scope::exec(&bin).to_string()), "{hint}");
    assert!(hint.contains("--no-sandbox"), "{hint}");

    let script = format!("PATH={}; mytrue", path_env.to_string_lossy());
    let output = sh(&confinement, &project, &script);
    assert_eq!(output.status.code(), Some(126), "a shell reports the denied exec as 126");

    // A script whose interpreter is scoped but the script itself is not.
    let declared = Declared {
        scopes: vec![Scope::program("mytrue")],
        path_env: Some(path_env.clone()),
        ..Declared::default()
    };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    let mut command = Command::new("myenvscript");
    command.env("PATH", &path_env).current_dir(&project.root);
    let error = confinement.spawn(command).unwrap_err();
    let hint = confinement.hint(Some(&error));
    assert!(hint.contains(&format!("`{}`", bin.join("myenvscript").display())), "{hint}");
    assert!(hint.contains("Scope::program(\"myenvscript\")"), "{hint}");
}

#[test]
fn enforce_fails_on_older_abi() {
    if enforcing("enforce_fails_on_older_abi").is_none() {
        return;
    }
    let error = match Sandbox::with_abi_cap(SandboxMode::Enforce, Some(3)) {
        Ok(_) => panic!("enforce must fail when the ABI lacks network rules"),
        Err(error) => error,
    };
    assert!(matches!(error.kind(), ErrorKind::Sandbox { .. }));
    let message = error.to_string();
    assert!(message.contains("missing TCP bind and connect rules (Landlock ABI 4)"), "{message}");
    assert!(message.contains("(Landlock ABI 6)"), "{message}");
    assert!(message.contains("--sandbox=warn"), "{message}");
}

#[test]
fn warn_on_older_abi_is_partial() {
    if enforcing("warn_on_older_abi_is_partial").is_none() {
        return;
    }
    let sandbox = Sandbox::with_abi_cap(SandboxMode::Warn, Some(3)).unwrap();
    let SandboxStatus::Partial { abi: 3, missing } = sandbox.status() else {
        panic!("expected a partial status, got {}", sandbox.status());
    };
    assert_eq!(missing.len(), 3, "{missing:?}");

    // Files stay confined, but TCP is not handled below ABI 4.
    let project = Project::new("partial");
    let confinement = prepare(&sandbox, &project, &Declared::default()).unwrap();
    let script = format!("cat {}", project.outside.join("secret.txt").display());
    assert_denied(&sh(&confinement, &project, &script), "reading outside on ABI 3");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut command = Command::new("/bin/bash");
    command.arg("-c").arg(format!("exec 3<>/dev/tcp/127.0.0.1/{port}"));
    assert_success(&run(&confinement, &project, command), "connecting on ABI 3");
}

#[test]
fn state_dir_never_granted() {
    let Some(sandbox) = enforcing("state_dir_never_granted") else { return };
    let project = Project::new("state");
    let source = project.write("a.txt", "a");
    let declared = Declared {
        sources: vec![source, project.state.join("state.json")],
        source_dirs: vec![project.root.clone()],
        generates: vec!["out/".to_string()],
        ..Declared::default()
    };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    assert!(!hint::granted_paths(&confinement).contains(&project.state.join("state.json")));

    assert_success(&sh(&confinement, &project, "cat a.txt"), "reading a source");
    assert_denied(&sh(&confinement, &project, "cat .runner/state.json"), "reading the state");
    assert_denied(&sh(&confinement, &project, "echo x > .runner/new"), "writing the state");
    assert_denied(&sh(&confinement, &project, "rm .runner/state.json"), "removing the state");
    assert!(project.state.join("state.json").is_file());

    let cases = [
        (vec![".runner/".to_string()], vec![], "`generates` entry `.runner/`"),
        (vec![".runner/cache/".to_string()], vec![], "`generates` entry `.runner/cache/`"),
        (vec![], vec![Scope::write(&project.root)], "scope `Scope::write("),
        (vec![], vec![Scope::read(".runner")], "scope `Scope::read(\".runner\")`"),
    ];
    for (generates, scopes, named) in cases {
        let declared = Declared { generates, scopes, ..Declared::default() };
        let error = match prepare(&sandbox, &project, &declared) {
            Ok(_) => panic!("{named}: a grant overlapping the state directory was accepted"),
            Err(error) => error,
        };
        assert!(matches!(error.kind(), ErrorKind::InvalidTask { .. }), "{named}: {error}");
        let message = error.to_string();
        assert!(message.contains(named), "{message}");
        assert!(message.contains("state directory"), "{message}");
    }
}

#[test]
fn symlinked_source_outside_rejected() {
    let Some(sandbox) = enforcing("symlinked_source_outside_rejected") else { return };
    let project = Project::new("symlink");
    std::fs::create_dir_all(project.root.join("src")).unwrap();
    let link = project.root.join("src/link.txt");
    std::os::unix::fs::symlink(project.outside.join("secret.txt"), &link).unwrap();
    let declared = Declared { sources: vec![link], ..Declared::default() };

    let error = match prepare(&sandbox, &project, &declared) {
        Ok(_) => panic!("a source symlinked outside the root was accepted"),
        Err(error) => error,
    };
    assert!(matches!(error.kind(), ErrorKind::InvalidTask { .. }));
    let message = error.to_string();
    assert!(
        message.contains("source `src/link.txt` resolves outside the project root"),
        "{message}"
    );
    assert!(message.contains("secret.txt"), "{message}");

    // The same file declared by its own path outside the root is granted.
    let declared =
        Declared { sources: vec![project.outside.join("secret.txt")], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    let script = format!("cat {}", project.outside.join("secret.txt").display());
    assert_success(
        &sh(&confinement, &project, &script),
        "reading a source declared outside the root",
    );
}

#[test]
fn symlinked_source_outside_rejected_by_walk() {
    let Some(sandbox) = enforcing("symlinked_source_outside_rejected_by_walk") else { return };
    let project = Project::new("symlink-walk");
    std::fs::create_dir_all(project.root.join("src")).unwrap();
    let link = project.root.join("src/link.txt");
    std::os::unix::fs::symlink(project.outside.join("secret.txt"), &link).unwrap();
    std::os::unix::fs::symlink(&project.outside, project.root.join("ext")).unwrap();

    let declared =
        Declared { sources: vec![link], source_links: Some(vec![true]), ..Declared::default() };
    let error = match prepare(&sandbox, &project, &declared) {
        Ok(_) => panic!("a source symlinked outside the root was accepted"),
        Err(error) => error,
    };
    assert!(matches!(error.kind(), ErrorKind::InvalidTask { .. }));
    let message = error.to_string();
    assert!(message.contains("source `src/link.txt` resolves outside"), "{message}");

    // A plain file below a directory linked out of the root is refused too.
    let declared = Declared {
        sources: vec![project.root.join("ext/secret.txt")],
        source_links: Some(vec![false]),
        ..Declared::default()
    };
    let error = match prepare(&sandbox, &project, &declared) {
        Ok(_) => panic!("a source in a directory linked outside the root was accepted"),
        Err(error) => error,
    };
    let message = error.to_string();
    assert!(message.contains("source `ext/secret.txt` resolves outside"), "{message}");
}

#[test]
fn source_through_linked_dir_granted() {
    let Some(sandbox) = enforcing("source_through_linked_dir_granted") else { return };
    let project = Project::new("linked-dir");
    let real = project.write("real/a.txt", "declared");
    project.write("real/other.txt", "undeclared");
    std::os::unix::fs::symlink("real", project.root.join("linked")).unwrap();
    std::os::unix::fs::symlink("a.txt", project.root.join("real/alias.txt")).unwrap();

    let sources = vec![project.root.join("linked/a.txt"), project.root.join("real/alias.txt")];
    let declared =
        Declared { sources, source_links: Some(vec![false, true]), ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    let real = std::fs::canonicalize(real).unwrap();
    let granted = hint::granted_paths(&confinement);
    assert_eq!(granted.iter().filter(|path| **path == real).count(), 2, "{granted:?}");

    let output = sh(&confinement, &project, "cat linked/a.txt");
    assert_success(&output, "reading a source through a linked directory");
    assert_eq!(stdout(&output), "declared");
    let output = sh(&confinement, &project, "cat real/alias.txt");
    assert_success(&output, "reading a source through a link to a file");
    assert_denied(&sh(&confinement, &project, "cat linked/other.txt"), "reading a non-source");
}

#[test]
fn stale_walk_file_types_grant_nothing() {
    let Some(sandbox) = enforcing("stale_walk_file_types_grant_nothing") else { return };
    let project = Project::new("stale-link");
    std::fs::create_dir_all(project.root.join("src")).unwrap();
    let link = project.root.join("src/link.txt");
    std::os::unix::fs::symlink(project.outside.join("secret.txt"), &link).unwrap();

    // A walk that saw a plain file where a link is now, as after a file was
    // replaced between the walk and the ruleset: the link is not followed.
    let declared =
        Declared { sources: vec![link], source_links: Some(vec![false]), ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    assert_denied(&sh(&confinement, &project, "cat src/link.txt"), "reading through the link");

    // A directory where the walk saw a file is not granted either.
    project.write("src/was_file.txt/inner.txt", "inner");
    let declared = Declared {
        sources: vec![project.root.join("src/was_file.txt")],
        source_links: Some(vec![false]),
        ..Declared::default()
    };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    let output = sh(&confinement, &project, "cat src/was_file.txt/inner.txt");
    assert_denied(&output, "reading below a source that became a directory");
}

#[test]
fn many_sources_granted_by_two_threads() {
    let Some(sandbox) = enforcing("many_sources_granted_by_two_threads") else { return };
    let project = Project::new("many-sources");
    let sources: Vec<PathBuf> =
        (0..5000).map(|index| project.write(&format!("src/f{index}.txt"), "declared")).collect();
    project.write("src/undeclared.txt", "undeclared");
    let source_links = Some(vec![false; sources.len()]);
    let declared = Declared { sources, source_links, ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();

    for name in ["f0.txt", "f2499.txt", "f4999.txt"] {
        let output = sh(&confinement, &project, &format!("cat src/{name}"));
        assert_success(&output, &format!("reading source {name}"));
    }
    let output = sh(&confinement, &project, "cat src/undeclared.txt");
    assert_denied(&output, "reading a file next to many sources");
}

/// Returns the descriptors above 2 that this process has open without
/// `FD_CLOEXEC`, so they would reach every child. `None` when this process
/// cannot read `/proc`, as inside a sandbox without `Scope::proc()`.
fn inheritable_descriptors() -> Option<Vec<String>> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    let descriptors = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&fd| fd > 2)
        .filter(|&fd| {
            // SAFETY: F_GETFD only reads the flags of a descriptor number.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
            flags >= 0 && flags & libc::FD_CLOEXEC == 0
        })
        .map(|fd| fd.to_string())
        .collect();
    Some(descriptors)
}

/// Reports a test skipped because the test process itself cannot read
/// `/proc`, which happens when the tests run inside a sandbox.
fn skip_without_proc(test: &str) {
    eprintln!("SKIPPED {test}: this process cannot read /proc; grant it with Scope::proc()");
}

#[test]
fn no_descriptor_leaks() {
    // Descriptors the test process inherited without CLOEXEC, such as a
    // jobserver pipe, reach children legitimately. They are listed before the
    // sandbox opens anything, so a descriptor it leaked would show up as extra.
    let Some(inherited) = inheritable_descriptors() else {
        skip_without_proc("no_descriptor_leaks");
        return;
    };
    let Some(sandbox) = enforcing("no_descriptor_leaks") else { return };
    let project = Project::new("fds");
    let declared = Declared { scopes: vec![Scope::proc()], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    let _open_file = std::fs::File::open(project.root.join(".runner/state.json")).unwrap();

    // The glob's own directory descriptor is closed again before `[ -e ]` runs.
    let script = "cd /proc/self/fd && for fd in *; do [ -e \"$fd\" ] && echo \"$fd\"; done; exit 0";
    let output = sh(&confinement, &project, script);
    assert_success(&output, "listing the task's descriptors");
    let mut expected = vec!["0".to_string(), "1".to_string(), "2".to_string()];
    expected.extend(inherited);
    let mut found: Vec<String> = stdout(&output).split_whitespace().map(str::to_string).collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "descriptors open in the task");
}

#[test]
fn proc_scope_drops_capabilities() {
    let Some(sandbox) = enforcing("proc_scope_drops_capabilities") else { return };
    let project = Project::new("caps");
    let declared = Declared { scopes: vec![Scope::proc()], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();

    let bounding = |status: &str| -> u64 {
        let line = status.lines().find(|line| line.starts_with("CapBnd:")).unwrap();
        u64::from_str_radix(line["CapBnd:".len()..].trim(), 16).unwrap()
    };
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        skip_without_proc("proc_scope_drops_capabilities");
        return;
    };
    let runner = bounding(&status);
    let output = sh(&confinement, &project, "cat /proc/self/status");
    assert_success(&output, "reading /proc with the proc scope");
    let task = bounding(&stdout(&output));

    assert_eq!(task & (1 << 21), 0, "CAP_SYS_ADMIN is dropped");
    assert_eq!(task & (1 << 38), 0, "CAP_PERFMON is dropped");
    let after = bounding(&std::fs::read_to_string("/proc/self/status").unwrap());
    assert_eq!(after, runner, "the runner's own threads keep their capabilities");
}

#[test]
fn nested_process_stays_confined() {
    let Some(sandbox) = enforcing("nested_process_stays_confined") else { return };
    let project = Project::new("nested");
    let declared = Declared { generates: vec!["out/".to_string()], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    let target = project.outside.join("escaped.txt");

    let script = format!(
        "sh -c 'echo inner > out/inner.txt' && sh -c 'echo escaped > {}'",
        target.display()
    );
    assert_denied(&sh(&confinement, &project, &script), "a nested shell writing outside");
    assert!(project.root.join("out/inner.txt").is_file());
    assert!(!target.exists());

    let write_outside = || std::fs::write(&target, "closure");
    let error = confinement.run(write_outside).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
    let inside = confinement.run(|| std::fs::write(project.root.join("out/closure.txt"), "ok"));
    assert!(inside.is_ok(), "{inside:?}");
    std::fs::write(&target, "runner").expect("the runner's thread stays unrestricted");
}

#[test]
fn run_returns_closure_result() {
    let Some(sandbox) = enforcing("run_returns_closure_result") else { return };
    let project = Project::new("closure");
    let source = project.write("input.txt", "input");
    let declared = Declared { sources: vec![source.clone()], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();

    let text = confinement.run(|| {
        let mut text = String::new();
        std::fs::File::open(&source)?.read_to_string(&mut text)?;
        Ok::<_, std::io::Error>(text)
    });
    assert_eq!(text.unwrap(), "input");
}

#[test]
fn hint_lists_grants_and_scopes() {
    let Some(sandbox) = enforcing("hint_lists_grants_and_scopes") else { return };
    let project = Project::new("hint");
    let source = project.write("src/a.txt", "a");
    let declared = Declared {
        sources: vec![source],
        generates: vec!["out/".to_string()],
        scopes: vec![Scope::tcp_connect(8080)],
        ..Declared::default()
    };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    let hint = confinement.hint(None);

    assert!(hint.contains("task `test` was confined to"), "{hint}");
    assert!(hint.contains("read: 1 source file\n"), "{hint}");
    assert!(hint.contains("write: out, its private TMPDIR"), "{hint}");
    assert!(hint.contains("TCP denied, except connect to port 8080"), "{hint}");
    assert!(hint.contains(".scopes([Scope::read(\"/path\")])"), "{hint}");
    assert!(!hint.contains("Scope::tcp_connect(443)"), "a declared network scope is not suggested");
    assert!(hint.ends_with("--no-sandbox"), "{hint}");
}

#[test]
fn python3_scope_runs_python() {
    let Some(sandbox) = enforcing("python3_scope_runs_python") else { return };
    let project = Project::new("python");
    let Ok(python) = program::resolve_program("python3".as_ref(), None, &project.root) else {
        eprintln!("SKIPPED python3_scope_runs_python: python3 is not on PATH");
        return;
    };
    let declared = Declared { scopes: vec![Scope::python3()], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();

    let mut command = Command::new(&python);
    command.arg("-c").arg("import json, sys; print(json.dumps(sys.version_info[0]))");
    let output = run(&confinement, &project, command);
    assert_success(&output, &format!("running `{}` with the python3 scope", python.display()));
    assert_eq!(stdout(&output), "3\n");

    let unscoped = prepare(&sandbox, &project, &Declared::default()).unwrap();
    let mut command = Command::new(&python);
    command.arg("-c").arg("print(3)");
    let mut command_output = None;
    if let Ok(child) = unscoped.spawn(command) {
        command_output = Some(child.wait_with_output().unwrap());
    }
    let python_is_system = python.starts_with("/usr");
    if !python_is_system {
        let ran = command_output.is_some_and(|output| output.status.success());
        assert!(!ran, "`{}` ran without the python3 scope", python.display());
    }
}

#[test]
fn unscoped_toolchain_program_hints_preset() {
    let Some(sandbox) = enforcing("unscoped_toolchain_program_hints_preset") else { return };
    let project = Project::new("cargo-hint");
    let cargo = program::resolve_program("cargo".as_ref(), None, &project.root).ok();
    let Some(cargo) = cargo.filter(|cargo| super::denial::preset_for(cargo).is_some()) else {
        eprintln!("SKIPPED unscoped_toolchain_program_hints_preset: cargo is not from rustup");
        return;
    };
    let confinement = prepare(&sandbox, &project, &Declared::default()).unwrap();

    let mut command = Command::new("cargo");
    command.arg("--version").current_dir(&project.root);
    let error = confinement.spawn(command).unwrap_err();
    assert_eq!(error.raw_os_error(), Some(libc::EACCES), "{}: {error}", cargo.display());
    let hint = confinement.hint(Some(&error));
    assert!(
        hint.contains("declaring this on the task:\n  .scopes([Scope::rust_toolchain()])"),
        "{hint}"
    );
    assert!(!hint.contains("Scope::exec"), "{hint}");
}

#[test]
fn rust_toolchain_scope_runs_cargo() {
    let Some(sandbox) = enforcing("rust_toolchain_scope_runs_cargo") else { return };
    let project = Project::new("cargo");
    let Ok(cargo) = program::resolve_program("cargo".as_ref(), None, &project.root) else {
        eprintln!("SKIPPED rust_toolchain_scope_runs_cargo: cargo is not on PATH");
        return;
    };
    let declared = Declared { scopes: vec![Scope::rust_toolchain()], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();

    let mut command = Command::new(&cargo);
    command.arg("--version");
    let output = run(&confinement, &project, command);
    assert_success(
        &output,
        &format!("running `{}` with the Rust toolchain scope", cargo.display()),
    );
    assert!(stdout(&output).starts_with("cargo "), "{}", stdout(&output));

    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::home_dir().unwrap().join(".cargo"));
    let script = format!("echo x > {}", cargo_home.join("runner-test-denied").display());
    assert_denied(&sh(&confinement, &project, &script), "writing CARGO_HOME outside its caches");
    let registry = cargo_home.join("registry");
    let script = format!("ls {} >/dev/null", registry.display());
    assert_success(&sh(&confinement, &project, &script), "listing cargo's registry");
}

#[test]
fn git_config_scope_reads_gitconfig() {
    let Some(sandbox) = enforcing("git_config_scope_reads_gitconfig") else { return };
    let project = Project::new("git");
    let home_config = std::env::home_dir().map(|home| home.join(".gitconfig"));
    let Some(home_config) = home_config.filter(|path| path.is_file()) else {
        eprintln!("SKIPPED git_config_scope_reads_gitconfig: there is no ~/.gitconfig");
        return;
    };
    let Ok(git) = program::resolve_program("git".as_ref(), None, &project.root) else {
        eprintln!("SKIPPED git_config_scope_reads_gitconfig: git is not on PATH");
        return;
    };
    let git_command = || {
        let mut command = Command::new(&git);
        command.args(["config", "--global", "--list"]);
        command
    };

    let declared = Declared {
        scopes: vec![Scope::git_config(), Scope::program("git")],
        ..Declared::default()
    };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    let output = run(&confinement, &project, git_command());
    assert_success(
        &output,
        &format!("reading `{}` with the git config scope", home_config.display()),
    );

    let declared = Declared { scopes: vec![Scope::program("git")], ..Declared::default() };
    let confinement = prepare(&sandbox, &project, &declared).unwrap();
    let output = run(&confinement, &project, git_command());
    assert!(!output.status.success(), "git read its configuration without the scope");
}

#[test]
fn abstract_socket_outside_denied() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixListener};

    let Some(sandbox) = enforcing("abstract_socket_outside_denied") else { return };
    if !Path::new("/usr/bin/python3").exists() {
        eprintln!("SKIPPED abstract_socket_outside_denied: /usr/bin/python3 is missing");
        return;
    }
    let project = Project::new("abstract");
    let name = format!("runner-test-{}-abstract", std::process::id());
    let address = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let _listener = UnixListener::bind_addr(&address).unwrap();
    let confinement = prepare(&sandbox, &project, &Declared::default()).unwrap();

    let script = format!(
        "import socket\ns = socket.socket(socket.AF_UNIX)\n\
         try:\n    s.connect('\\0{name}')\n    print('connected')\n\
         except PermissionError:\n    print('denied')\n"
    );
    let mut command = Command::new("/usr/bin/python3");
    command.arg("-c").arg(&script);
    let output = run(&confinement, &project, command);
    assert_success(&output, "running the socket client");
    assert_eq!(stdout(&output), "denied\n", "a task connected to the runner's abstract socket");

    let mut command = Command::new("/usr/bin/python3");
    command.arg("-c").arg(&script);
    let output = command.output().unwrap();
    assert_eq!(stdout(&output), "connected\n", "the same client outside the sandbox connects");
}
