//! Audit backend tests: real rulesets, the real audit log, real commands.
//!
//! They need root (or the audit capabilities) and Landlock ABI 7. Where the
//! audit log is unavailable, they print that they are skipped. Where
//! Landlock itself is missing, `RUNNER_TEST_REQUIRE_LANDLOCK=1` turns the
//! skip into a failure, as in the other sandbox tests.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::RwLock;

use super::audit_netlink::AuditSocket;
use super::audit_state::status_without_runners;
use super::tests::skip_without_landlock;
use super::tmp_dir::TmpDir;
use super::*;

/// Taken for writing by the test that checks the audit state, so that no
/// other test of this binary holds a membership while it compares.
static AUDIT_STATE: RwLock<()> = RwLock::new(());

/// Returns a sandbox that reads the audit log, or `None` after reporting
/// the skip.
fn audited(test: &str) -> Option<Sandbox> {
    match Sandbox::with_denials(SandboxMode::Enforce, DenialsMode::Audit) {
        Ok(sandbox) => Some(sandbox),
        Err(error) => {
            if Sandbox::new(SandboxMode::Enforce).is_err() {
                skip_without_landlock(test);
            } else {
                eprintln!("SKIPPED {test}: {error}");
            }
            None
        }
    }
}

struct Project {
    _guard: TmpDir,
    root: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        let guard = TmpDir::create(name).unwrap();
        let root = std::fs::canonicalize(guard.path()).unwrap().join("project");
        std::fs::create_dir_all(root.join(".runner")).unwrap();
        Project { _guard: guard, root }
    }

    fn prepare(&self, sandbox: &Sandbox, sources: &[PathBuf], generates: &[&str]) -> Confinement {
        let generates: Vec<String> = generates.iter().map(|entry| entry.to_string()).collect();
        let access = TaskAccess {
            task: "test",
            root: &self.root,
            state_dir: &self.root.join(".runner"),
            source_files: sources,
            source_links: None,
            source_dirs: &[],
            generates: &generates,
            scopes: &[],
            dir: &self.root,
            path_env: None,
            syntax: Syntax::Rust,
        };
        sandbox.prepare(&access).unwrap().expect("an enforcing sandbox confines every task")
    }
}

/// Runs `script` with `sh -c` under the confinement and returns whether it
/// succeeded.
fn sh(confinement: &Confinement, project: &Project, script: &str) -> bool {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(script).current_dir(&project.root).stdin(Stdio::null());
    command.stdout(Stdio::null()).stderr(Stdio::null());
    confinement.spawn(command).unwrap().wait().unwrap().success()
}

#[test]
fn undeclared_read_reported() {
    let _shared = AUDIT_STATE.read();
    let Some(sandbox) = audited("undeclared_read_reported") else { return };
    let project = Project::new("audit-read");
    let declared = project.root.join("a.txt");
    std::fs::write(&declared, "a").unwrap();
    std::fs::create_dir_all(project.root.join("gen")).unwrap();
    std::fs::write(project.root.join("gen/extra.txt"), "extra").unwrap();
    let confinement = project.prepare(&sandbox, std::slice::from_ref(&declared), &[]);

    assert!(sh(&confinement, &project, "cat a.txt"), "reading a source");
    assert!(!sh(&confinement, &project, "cat gen/extra.txt"), "reading an undeclared file");
    let hint = confinement.hint(None);

    assert!(hint.contains("seen in the kernel's audit log"), "{hint}");
    assert!(hint.contains("  read     gen/extra.txt\n"), "{hint}");
    assert!(hint.contains("Rust:     .sources([\"gen/extra.txt\"])"), "{hint}");
    assert!(hint.contains("Taskfile: sources: [gen/extra.txt]"), "{hint}");
    assert!(!hint.contains(" a.txt\n"), "the declared source is not denied: {hint}");
    assert!(!hint.contains("incomplete"), "{hint}");
}

#[test]
fn create_outside_generates_reported() {
    let _shared = AUDIT_STATE.read();
    let Some(sandbox) = audited("create_outside_generates_reported") else { return };
    let project = Project::new("audit-create");
    std::fs::create_dir_all(project.root.join("other")).unwrap();
    let confinement = project.prepare(&sandbox, &[], &["out/"]);

    assert!(sh(&confinement, &project, "echo x > out/a"), "writing a generate");
    assert!(!sh(&confinement, &project, "echo x > other/b"), "writing outside the generates");
    let hint = confinement.hint(None);

    assert!(hint.contains("  create   a file in other\n"), "{hint}");
    assert!(hint.contains(".generates([\"other/\"])"), "{hint}");
    assert!(hint.contains("generates: [other/]"), "{hint}");
    assert!(!hint.contains("  create   out"), "{hint}");
}

#[test]
fn execute_after_exec_reported() {
    let _shared = AUDIT_STATE.read();
    let Some(sandbox) = audited("execute_after_exec_reported") else { return };
    let project = Project::new("audit-exec");
    let script = project.root.join("tools/run.sh");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::write(&script, "#!/bin/sh\ntrue\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let confinement = project.prepare(&sandbox, std::slice::from_ref(&script), &[]);

    // The shell runs after an exec, so its denial is logged only because the
    // ruleset sets `log_new_exec`.
    assert!(!sh(&confinement, &project, "./tools/run.sh"), "executing an undeclared script");
    let hint = confinement.hint(None);

    assert!(hint.contains("  execute  tools/run.sh\n"), "{hint}");
    assert!(hint.contains("Rust:     .scopes([Scope::exec(\"tools/run.sh\")])"), "{hint}");
    assert!(hint.contains("Taskfile: scopes: [{path: ./tools/run.sh, mode: rx}]"), "{hint}");
}

#[test]
fn connect_from_closure_reported() {
    let _shared = AUDIT_STATE.read();
    let Some(sandbox) = audited("connect_from_closure_reported") else { return };
    let project = Project::new("audit-connect");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let confinement = project.prepare(&sandbox, &[], &[]);

    let connected = confinement.run(|| TcpStream::connect(("127.0.0.1", port)).is_ok());
    assert!(!connected, "the connect was allowed");
    let hint = confinement.hint(None);

    assert!(hint.contains(&format!("  connect  TCP port {port}\n")), "{hint}");
    assert!(hint.contains(&format!(".scopes([Scope::tcp_connect({port})])")), "{hint}");
    assert!(hint.contains(&format!("scopes: [{{network: tcp-connect:{port}}}]")), "{hint}");
}

#[test]
fn bind_from_closure_reported() {
    let _shared = AUDIT_STATE.read();
    let Some(sandbox) = audited("bind_from_closure_reported") else { return };
    let project = Project::new("audit-bind");
    // A port that was free a moment ago; the kernel logs no port for port 0.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let confinement = project.prepare(&sandbox, &[], &[]);

    let bound = confinement.run(|| TcpListener::bind(("127.0.0.1", port)).is_ok());
    assert!(!bound, "the bind was allowed");
    let hint = confinement.hint(None);

    assert!(hint.contains(&format!("  bind     TCP port {port}\n")), "{hint}");
    assert!(hint.contains(&format!(".scopes([Scope::tcp_bind({port})])")), "{hint}");
    assert!(hint.contains(&format!("scopes: [{{network: tcp-bind:{port}}}]")), "{hint}");

    // Port 0 requests any free port, and the record names no port.
    let bound = confinement.run(|| TcpListener::bind(("127.0.0.1", 0)).is_ok());
    assert!(!bound, "the bind of port 0 was allowed");
    let hint = confinement.hint(None);
    assert!(hint.contains("  bind     TCP port 0 (a free port the kernel picks)\n"), "{hint}");
    assert!(hint.contains(".scopes([Scope::tcp_bind(0)])"), "{hint}");
}

#[test]
fn signal_outside_task_reported() {
    let _shared = AUDIT_STATE.read();
    let Some(sandbox) = audited("signal_outside_task_reported") else { return };
    let project = Project::new("audit-signal");
    let confinement = project.prepare(&sandbox, &[], &[]);
    let runner = std::process::id();

    assert!(!sh(&confinement, &project, &format!("kill -0 {runner}")), "signalling the runner");
    let hint = confinement.hint(None);

    assert!(hint.contains(&format!("  signal   process {runner} (`")), "{hint}");
    assert!(hint.contains("a task may signal only its own processes"), "{hint}");
}

#[test]
fn no_denial_keeps_grants_hint() {
    let _shared = AUDIT_STATE.read();
    let Some(sandbox) = audited("no_denial_keeps_grants_hint") else { return };
    let project = Project::new("audit-none");
    let confinement = project.prepare(&sandbox, &[], &[]);

    assert!(!sh(&confinement, &project, "exit 3"), "the script fails");
    let hint = confinement.hint(None);

    assert!(hint.contains("was confined to"), "{hint}");
    assert!(hint.contains("the kernel's audit log shows no denial for task `test`"), "{hint}");
}

#[test]
fn audit_state_restored_after_two_runs() {
    let _exclusive = AUDIT_STATE.write();
    let Some(before) = status_without_runners() else {
        eprintln!(
            "SKIPPED audit_state_restored_after_two_runs: other runners listen to the audit log, \
             or its status cannot be read"
        );
        return;
    };
    let mut socket = AuditSocket::open().unwrap();

    let Some(first) = audited("audit_state_restored_after_two_runs") else { return };
    let second = audited("audit_state_restored_after_two_runs").unwrap();
    assert_ne!(socket.status().unwrap().enabled, 0, "auditing is on while runners listen");
    drop(first);
    assert_ne!(socket.status().unwrap().enabled, 0, "auditing stays on for the second runner");
    drop(second);

    let Some(after) = status_without_runners() else {
        eprintln!("SKIPPED audit_state_restored_after_two_runs: another runner started meanwhile");
        return;
    };
    assert_eq!(after.enabled, before.enabled);
    assert_eq!(after.backlog_limit, before.backlog_limit);
}

#[test]
fn unavailable_in_auto_mode_suggests_trace() {
    let _shared = AUDIT_STATE.read();
    // An ABI below 7 logs no denials, so `auto` falls back to the note.
    let sandbox = match Sandbox::with_abi_cap(SandboxMode::Warn, Some(6)) {
        Ok(sandbox) if !matches!(sandbox.status, SandboxStatus::Off { .. }) => sandbox,
        _ => return skip_without_landlock("unavailable_in_auto_mode_suggests_trace"),
    };
    let sandbox = sandbox.start_denials(DenialsMode::Auto).unwrap();
    let project = Project::new("audit-auto");
    let confinement = project.prepare(&sandbox, &[], &[]);

    let hint = confinement.hint(None);

    assert!(hint.contains("run again with `--denials=trace`"), "{hint}");
    assert!(hint.contains("Landlock ABI 6 does not log denials"), "{hint}");
}

#[test]
fn unavailable_in_audit_mode_fails() {
    let _shared = AUDIT_STATE.read();
    let sandbox = match Sandbox::with_abi_cap(SandboxMode::Warn, Some(6)) {
        Ok(sandbox) if !matches!(sandbox.status, SandboxStatus::Off { .. }) => sandbox,
        _ => return skip_without_landlock("unavailable_in_audit_mode_fails"),
    };

    let error = sandbox.start_denials(DenialsMode::Audit).err().expect("ABI 6 logs no denials");

    assert!(matches!(error.kind(), crate::ErrorKind::Sandbox { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("Landlock ABI 6 does not log denials"), "{message}");
    assert!(message.contains("`--denials=trace`"), "{message}");
}
