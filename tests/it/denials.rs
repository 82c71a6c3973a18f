//! Denial reports through both command lines: a failed sandboxed task lists
//! what the kernel's audit log shows it was denied, with the declaration
//! that allows each access.
//!
//! The audit log needs root and Landlock ABI 7. Where a probe run with
//! `--denials=audit` fails, each test prints that it is skipped. Where
//! Landlock itself is missing, `RUNNER_TEST_REQUIRE_LANDLOCK=1` turns the
//! skip into a failure.

use std::fs::File;
use std::mem::size_of;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{self, Project, stderr};

/// The files through which runners share the audit state.
const LOCK_FILE: &str = "/run/runner-audit.lock";
const MEMBERS_FILE: &str = "/run/runner-audit.state";

/// Returns whether the audit log can be used here; otherwise reports the
/// skip, or fails when Landlock is required and missing.
fn audit_available(test: &str) -> bool {
    let project = Project::new();
    let probe = project.run("denials", &["--sandbox=enforce", "--denials=audit", "-q", "exit"]);
    if stderr(&probe).contains("kernel's audit log shows no denial") {
        return true;
    }
    let landlock = project.run("denials", &["--sandbox=enforce", "--denials=off", "-q", "exit"]);
    if !stderr(&landlock).contains("was confined to") {
        support::landlock_enforced(test, &landlock);
        return false;
    }
    eprintln!("SKIPPED {test}: the audit log is unavailable: {}", stderr(&probe));
    false
}

#[test]
fn undeclared_read_names_file_and_lines() {
    if !audit_available("undeclared_read_names_file_and_lines") {
        return;
    }
    let project = Project::new();
    project.file("a.txt", "a\n").file("gen/extra.txt", "extra\n");

    let output = project.run("denials", &["read-extra"]);

    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("task `read-extra` was denied 1 access"), "{err}");
    assert!(err.contains("seen in the kernel's audit log"), "{err}");
    assert!(err.contains("  read     gen/extra.txt\n"), "{err}");
    assert!(err.contains("Rust:     .sources([\"gen/extra.txt\"])"), "{err}");
    assert!(err.contains("Taskfile: sources: [gen/extra.txt]"), "{err}");
    assert!(!err.contains("was confined to"), "the report replaces the grants: {err}");
}

#[test]
fn closure_read_names_file() {
    if !audit_available("closure_read_names_file") {
        return;
    }
    let project = Project::new();
    project.file("gen/extra.txt", "extra\n");

    let output = project.run("denials", &["closure"]);

    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("step `read-extra` failed"), "{err}");
    assert!(err.contains("  read     gen/extra.txt\n"), "{err}");
    assert!(err.contains("Rust:     .sources([\"gen/extra.txt\"])"), "{err}");
}

#[test]
fn write_outside_generates_names_create() {
    if !audit_available("write_outside_generates_names_create") {
        return;
    }
    let project = Project::new();
    std::fs::create_dir(project.path().join("other")).unwrap();

    let output = project.run("denials", &["write-outside"]);

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(project.read("out/a"), "x\n");
    let err = stderr(&output);
    assert!(err.contains("  create   a file in other\n"), "{err}");
    assert!(err.contains("Rust:     .generates([\"other/\"])"), "{err}");
    assert!(err.contains("Taskfile: generates: [other/]"), "{err}");
}

#[test]
fn denied_connect_names_port() {
    if !audit_available("denied_connect_names_port") {
        return;
    }
    let project = Project::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();

    let mut command = project.fixture("denials");
    let output = command.arg("connect").env("DENIALS_PORT", port.to_string()).output().unwrap();

    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains(&format!("  connect  TCP port {port}\n")), "{err}");
    assert!(err.contains(&format!("Rust:     .scopes([Scope::tcp_connect({port})])")), "{err}");
    let taskfile = format!("Taskfile: scopes: [{{network: tcp-connect:{port}}}]");
    assert!(err.contains(&taskfile), "{err}");
}

#[test]
fn taskfile_read_names_file_and_lines() {
    if !audit_available("taskfile_read_names_file_and_lines") {
        return;
    }
    let project = Project::new();
    project.file("a.txt", "a\n").file("gen/extra.txt", "extra\n").file(
        "Taskfile.yml",
        "version: '3'\ntasks:\n  read-extra:\n    sources: [a.txt]\n    cmds:\n      - cat a.txt gen/extra.txt\n",
    );

    let output = taskfile_runner(project.path(), &["--sandbox", "read-extra"]).output().unwrap();

    assert_ne!(output.status.code(), Some(0));
    let err = stderr(&output);
    assert!(err.contains("  read     gen/extra.txt\n"), "{err}");
    assert!(err.contains("Taskfile: sources: [gen/extra.txt]"), "{err}");
    assert!(err.contains("Rust:     .sources([\"gen/extra.txt\"])"), "{err}");
}

#[test]
fn audit_mode_unavailable_fails_first() {
    let project = Project::new();
    let output = project
        .fixture("denials")
        .args(["--denials=audit", "exit"])
        .env("RUNNER_SANDBOX_TEST_ABI", "6")
        .output()
        .unwrap();

    let err = stderr(&output);
    if err.contains("sandbox is off") || err.contains("Landlock is unavailable") {
        eprintln!("SKIPPED audit_mode_unavailable_fails_first: {err}");
        return;
    }
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot read denials from the kernel's audit log"), "{err}");
    assert!(err.contains("Landlock ABI 6 does not log denials"), "{err}");
    assert!(!err.contains("exit 3"), "the task ran: {err}");
}

#[test]
fn auto_mode_unavailable_suggests_trace() {
    let project = Project::new();
    let output =
        project.fixture("denials").arg("exit").env("RUNNER_SANDBOX_TEST_ABI", "6").output();
    let output = output.unwrap();

    let err = stderr(&output);
    if !err.contains("was confined to") {
        eprintln!("SKIPPED auto_mode_unavailable_suggests_trace: {err}");
        return;
    }
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("run again with `--denials=trace`"), "{err}");
}

#[test]
fn taskfile_denials_flag_and_variable() {
    let project = Project::new();
    project.file("Taskfile.yml", "version: '3'\ntasks:\n  a:\n    cmds:\n      - echo a\n");

    let output = taskfile_runner(project.path(), &["--denials=off", "a"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));

    let output = taskfile_runner(project.path(), &["--denials=all", "a"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("invalid denials mode `all`"), "{}", stderr(&output));

    let mut command = taskfile_runner(project.path(), &["a"]);
    let output = command.env("RUNNER_DENIALS", "never").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`never`"), "{}", stderr(&output));
}

#[test]
fn audit_state_unchanged_after_two_runners() {
    if !audit_available("audit_state_unchanged_after_two_runners") {
        return;
    }
    let Some(before) = quiet_audit_state() else {
        eprintln!("SKIPPED audit_state_unchanged_after_two_runners: other runners kept listening");
        return;
    };
    let project = Project::new();
    project.file("a.txt", "a\n").file("gen/extra.txt", "extra\n");

    let first = project
        .fixture("denials")
        .arg("read-extra")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let second = project
        .fixture("denials")
        .arg("read-extra")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let first = first.unwrap().wait_with_output().unwrap();
    let second = second.unwrap().wait_with_output().unwrap();

    for output in [&first, &second] {
        assert!(stderr(output).contains("  read     gen/extra.txt\n"), "{}", stderr(output));
    }
    let Some(after) = quiet_audit_state() else {
        eprintln!("SKIPPED audit_state_unchanged_after_two_runners: other runners kept listening");
        return;
    };
    assert_eq!(after, before, "the audit `enabled` value changed");
}

#[test]
fn audit_state_unchanged_after_interrupt() {
    if !audit_available("audit_state_unchanged_after_interrupt") {
        return;
    }
    let Some(before) = quiet_audit_state() else {
        eprintln!("SKIPPED audit_state_unchanged_after_interrupt: other runners kept listening");
        return;
    };
    let project = Project::new();
    let mut child = project.fixture("denials").arg("wait").stderr(Stdio::null()).spawn().unwrap();
    let started = project.path().join("out/started");
    for _ in 0..100 {
        if started.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(started.exists(), "the task did not start");

    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();

    assert!(!status.success());
    let Some(after) = quiet_audit_state() else {
        eprintln!("SKIPPED audit_state_unchanged_after_interrupt: other runners kept listening");
        return;
    };
    assert_eq!(after, before, "the audit `enabled` value changed");
}

fn taskfile_runner(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runner-taskfile"));
    command.args(args).current_dir(dir).stdin(Stdio::null());
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with("RUNNER_") || key_text.starts_with("TASK_") {
            command.env_remove(key);
        }
    }
    command
}

/// Returns the kernel's audit `enabled` value at a moment when no runner
/// listens, retrying for a few seconds while other tests' runners do.
fn quiet_audit_state() -> Option<u32> {
    for _ in 0..50 {
        if let Some(enabled) = audit_state_if_quiet() {
            return Some(enabled);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// Holds the runners' join lock, so none joins or leaves meanwhile, and
/// reads the audit state if no runner holds a membership.
fn audit_state_if_quiet() -> Option<u32> {
    let lock = open_shared_file(LOCK_FILE)?;
    // SAFETY: flock takes no pointers.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return None;
    }
    let members = open_shared_file(MEMBERS_FILE)?;
    // SAFETY: as above.
    if unsafe { libc::flock(members.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return None;
    }
    audit_enabled()
}

fn open_shared_file(path: &str) -> Option<File> {
    File::options().read(true).write(true).create(true).truncate(false).open(path).ok()
}

/// Reads `enabled` of the kernel's audit status with an `AUDIT_GET` request.
fn audit_enabled() -> Option<u32> {
    const AUDIT_GET: u16 = 1000;
    const HEADER: usize = size_of::<libc::nlmsghdr>();

    // SAFETY: socket takes no pointers; the result is checked.
    let fd = unsafe {
        libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_AUDIT)
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: fd is a new descriptor owned by nothing else.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    let header = libc::nlmsghdr {
        nlmsg_len: HEADER as u32,
        nlmsg_type: AUDIT_GET,
        nlmsg_flags: libc::NLM_F_REQUEST as u16,
        nlmsg_seq: 1,
        nlmsg_pid: 0,
    };
    // SAFETY: sockaddr_nl is plain data; all zeroes addresses the kernel.
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: header and kernel are valid for the lengths passed.
    let sent = unsafe {
        libc::sendto(
            socket.as_raw_fd(),
            (&header as *const libc::nlmsghdr).cast(),
            HEADER,
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if sent < 0 {
        return None;
    }

    let mut buffer = [0u8; 512];
    // SAFETY: buffer is valid for writes of its length.
    let received =
        unsafe { libc::recv(socket.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len(), 0) };
    if received < (HEADER + 8) as isize {
        return None;
    }
    let kind = u16::from_ne_bytes([buffer[4], buffer[5]]);
    if kind != AUDIT_GET {
        return None;
    }
    // `struct audit_status` starts with `mask`, then `enabled`.
    let enabled = &buffer[HEADER + 4..HEADER + 8];
    Some(u32::from_ne_bytes([enabled[0], enabled[1], enabled[2], enabled[3]]))
}
