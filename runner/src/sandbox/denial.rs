//! Denied accesses of a failed task, and the declarations that would allow
//! them.
//!
//! A backend (the kernel's audit log, or a re-run under strace) turns what
//! it saw into [`Denial`]s. [`suggest`] maps each one to the declaration
//! that would allow it, in the builder's and in a Taskfile's syntax, and
//! [`report`] renders the list that is appended to the failure message.
//!
//! The mapping is a rule of thumb, not a proof. Project files read become
//! `sources`, and project paths written become `generates`. Paths outside
//! the project become path scopes or a preset that covers them, executables
//! on `PATH` become program scopes and TCP ports become network scopes. Signals
//! to processes outside the task have no declaration, because the sandbox
//! always confines them to the task's own processes.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};
use std::path::{Component, Path, PathBuf};

use super::Syntax;
use super::hint::declare;
use super::learn_propose::{relative_entry, relative_to};
use super::program::resolve_program;
use crate::Scope;

/// The kind of access a task tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum AccessKind {
    /// Read a file.
    Read,
    /// List a directory.
    ReadDir,
    /// Write or truncate an existing file.
    Write,
    /// Create a file, link, device, socket or pipe.
    Create,
    /// Create a directory.
    CreateDir,
    /// Remove a file or directory.
    Remove,
    /// Rename or link across directories.
    Rename,
    /// Execute a file.
    Execute,
    /// Connect to a TCP port.
    Connect,
    /// Bind a TCP port.
    Bind,
    /// Send a signal to a process outside the task.
    Signal,
}

impl AccessKind {
    /// Returns the word the report uses for this kind.
    pub(crate) fn name(self) -> &'static str {
        match self {
            AccessKind::Read => "read",
            AccessKind::ReadDir => "read",
            AccessKind::Write => "write",
            AccessKind::Create => "create",
            AccessKind::CreateDir => "create",
            AccessKind::Remove => "remove",
            AccessKind::Rename => "rename",
            AccessKind::Execute => "execute",
            AccessKind::Connect => "connect",
            AccessKind::Bind => "bind",
            AccessKind::Signal => "signal",
        }
    }

    fn writes(self) -> bool {
        matches!(
            self,
            AccessKind::Write
                | AccessKind::Create
                | AccessKind::CreateDir
                | AccessKind::Remove
                | AccessKind::Rename
        )
    }
}

impl fmt::Display for AccessKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The object of a denied access.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Target {
    /// A path, absolute. For a create whose name is unknown, the directory.
    Path(PathBuf),
    /// A TCP port.
    Port(u16),
    /// A process outside the task.
    Process { pid: u32, comm: String },
}

/// One denied access.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Denial {
    pub(crate) kind: AccessKind,
    pub(crate) target: Target,
}

impl Denial {
    /// Creates a denial of `kind` on `path`.
    #[cfg(test)]
    pub(crate) fn path(kind: AccessKind, path: impl Into<PathBuf>) -> Denial {
        Denial { kind, target: Target::Path(path.into()) }
    }
}

/// The mechanism that found the denials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mechanism {
    /// Landlock's records in the kernel's audit log.
    Audit,
    /// A re-run of the task under strace.
    #[allow(dead_code, reason = "produced by the trace backend")]
    Trace,
}

impl Mechanism {
    fn describe(self) -> &'static str {
        match self {
            Mechanism::Audit => "seen in the kernel's audit log",
            Mechanism::Trace => "seen by re-running the task under strace",
        }
    }
}

/// The declaration that would allow one denial, in both syntaxes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Suggestion {
    /// The builder line, such as `.sources(["gen/extra.txt"])`.
    pub(crate) rust: String,
    /// The Taskfile line, such as `sources: [gen/extra.txt]`.
    pub(crate) taskfile: String,
}

impl Suggestion {
    fn scope(scope: &Scope) -> Suggestion {
        Suggestion {
            rust: declare(Syntax::Rust, scope),
            taskfile: declare(Syntax::Taskfile, scope),
        }
    }

    /// Builds a path scope, relative to the root in the builder and with a
    /// leading `./` in a Taskfile, whose paths resolve against its directory.
    /// `base` is the task's directory relative to the root, which a
    /// Taskfile's paths resolve against.
    fn project_scope(make: fn(PathBuf) -> Scope, relative: &Path, base: &Path) -> Suggestion {
        let rust = declare(Syntax::Rust, &make(relative.to_owned()));
        let in_dir = relative_to(base, relative);
        let taskfile = declare(Syntax::Taskfile, &make(Path::new(".").join(in_dir)));
        Suggestion { rust, taskfile }
    }

    /// Builds a `sources` or `generates` line: relative to the root in the
    /// builder and to the task's directory `base` in a Taskfile.
    fn key(key: &str, entry: &str, base: &Path) -> Suggestion {
        let in_dir = relative_entry(base, entry);
        Suggestion {
            rust: format!(".{key}([{entry:?}])"),
            taskfile: format!("{key}: [{}]", yaml_scalar(&in_dir)),
        }
    }
}

/// [`suggest_in`] for a task that runs in the project root.
#[cfg(test)]
fn suggest(root: &Path, denial: &Denial) -> Option<Suggestion> {
    suggest_in(root, Path::new(""), denial)
}

/// Maps a denial to the declaration that would allow it, or `None` when no
/// declaration can: a signal to an outside process, or a remove or rename
/// directly in the project root, which no task may make writable.
///
/// Project files read become `sources`. Project paths written, created,
/// removed or renamed become `generates`: the file for a write, its
/// directory otherwise. Paths outside the root become a preset that covers
/// them (the Rust toolchain, git's configuration, the terminal, `/proc`,
/// python3) or a `read`, `write` or `exec` scope. An executable that is
/// found under its own name on `PATH` becomes a program scope. Ports become
/// `tcp_connect` or `tcp_bind` scopes.
///
/// `base` is the task's directory relative to the root: a Taskfile line's
/// paths are relative to it, as a Taskfile's are.
fn suggest_in(root: &Path, base: &Path, denial: &Denial) -> Option<Suggestion> {
    match &denial.target {
        Target::Port(port) => match denial.kind {
            AccessKind::Bind => Some(Suggestion::scope(&Scope::tcp_bind(*port))),
            _ => Some(Suggestion::scope(&Scope::tcp_connect(*port))),
        },
        Target::Process { .. } => None,
        Target::Path(path) => match relative_to_root(root, path) {
            Some(relative) => suggest_project(denial.kind, path, &relative, base),
            None => suggest_outside(denial.kind, path),
        },
    }
}

fn suggest_project(
    kind: AccessKind,
    path: &Path,
    relative: &Path,
    base: &Path,
) -> Option<Suggestion> {
    let entry = |path: &Path| path.to_string_lossy().into_owned();
    let is_dir = path.is_dir();
    match kind {
        AccessKind::Read if !is_dir => Some(Suggestion::key("sources", &entry(relative), base)),
        AccessKind::Read | AccessKind::ReadDir => {
            let pattern = relative.join("*");
            Some(Suggestion::key("sources", &entry(&pattern), base))
        }
        AccessKind::Execute => Some(Suggestion::project_scope(Scope::Exec, relative, base)),
        AccessKind::Write if !is_dir => Some(Suggestion::key("generates", &entry(relative), base)),
        // The directory a `mkdir` creates, which the runner then creates
        // first; the audit log names its parent instead.
        AccessKind::CreateDir if !is_dir => {
            Some(Suggestion::key("generates", &format!("{}/", entry(relative)), base))
        }
        AccessKind::Create if !is_dir && is_top_level(relative) => {
            // The runner creates a literal file generate empty before the
            // task runs, so the task may open it. A directory at the root
            // may not be granted.
            Some(Suggestion::key("generates", &entry(relative), base))
        }
        _ => {
            let dir = if is_dir { relative } else { relative.parent()? };
            if dir.as_os_str().is_empty() {
                return None;
            }
            Some(Suggestion::key("generates", &format!("{}/", entry(dir)), base))
        }
    }
}

fn suggest_outside(kind: AccessKind, path: &Path) -> Option<Suggestion> {
    if let Some(preset) = preset_for(path) {
        return Some(Suggestion::scope(&preset));
    }
    let dir_of = |path: &Path| path.parent().unwrap_or(Path::new("/")).to_owned();
    let scope = match kind {
        AccessKind::Read | AccessKind::ReadDir => Scope::read(path),
        AccessKind::Execute => program_scope(path).unwrap_or_else(|| Scope::exec(dir_of(path))),
        AccessKind::Write if !path.is_dir() => Scope::write(path),
        _ if path.is_dir() => Scope::write(path),
        _ => Scope::write(dir_of(path)),
    };
    Some(Suggestion::scope(&scope))
}

/// Returns the preset scope whose grants cover `path`.
pub(super) fn preset_for(path: &Path) -> Option<Scope> {
    let home = std::env::home_dir();
    let from_env = |var: &str, default: &str| {
        std::env::var_os(var).map(PathBuf::from).or_else(|| home.as_ref().map(|h| h.join(default)))
    };
    let under = |dir: Option<PathBuf>| dir.is_some_and(|dir| is_under(path, &dir));

    if under(from_env("CARGO_HOME", ".cargo")) || under(from_env("RUSTUP_HOME", ".rustup")) {
        return Some(Scope::rust_toolchain());
    }
    let git_config = from_env("XDG_CONFIG_HOME", ".config").map(|dir| dir.join("git"));
    if under(home.as_ref().map(|h| h.join(".gitconfig"))) || under(git_config) {
        return Some(Scope::git_config());
    }
    let terminal = ["/dev/tty", "/dev/pts", "/dev/ptmx"];
    if terminal.iter().any(|dir| path.starts_with(dir)) {
        return Some(Scope::terminal());
    }
    if path.starts_with("/proc") {
        return Some(Scope::proc());
    }
    if under(python3_prefix()) {
        return Some(Scope::python3());
    }
    None
}

/// Returns the installation prefix of `python3` on `PATH` when it lies
/// outside `/usr`, which every task may read already.
fn python3_prefix() -> Option<PathBuf> {
    let program = resolve_program("python3".as_ref(), None, Path::new("/")).ok()?;
    let bin = program.parent()?;
    if !matches!(bin.file_name()?.to_str()?, "bin" | "shims") {
        return None;
    }
    let prefix = bin.parent()?;
    let too_wide = prefix == Path::new("/") || prefix.starts_with("/usr");
    let is_home = std::env::home_dir().is_some_and(|home| home == prefix);
    if too_wide || is_home { None } else { Some(prefix.to_owned()) }
}

/// Returns a program scope when `path` is what its file name resolves to on
/// the runner's `PATH`.
pub(super) fn program_scope(path: &Path) -> Option<Scope> {
    let name = path.file_name()?;
    let found = resolve_program(name, None, Path::new("/")).ok()?;
    let same = std::fs::canonicalize(found).ok()? == std::fs::canonicalize(path).ok()?;
    same.then(|| Scope::program(name.to_string_lossy()))
}

/// Returns `path` relative to the root, or `None` when it lies outside. Both
/// the root as given and its canonical form are tried, since the kernel
/// reports resolved paths.
fn relative_to_root(root: &Path, path: &Path) -> Option<PathBuf> {
    if let Ok(relative) = path.strip_prefix(root) {
        return Some(relative.to_owned());
    }
    let real = std::fs::canonicalize(root).ok()?;
    path.strip_prefix(real).ok().map(Path::to_owned)
}

fn is_top_level(relative: &Path) -> bool {
    relative.components().filter(|part| matches!(part, Component::Normal(_))).count() == 1
}

fn is_under(path: &Path, dir: &Path) -> bool {
    if path.starts_with(dir) {
        return true;
    }
    std::fs::canonicalize(dir).is_ok_and(|real| path.starts_with(real))
}

/// Quotes `text` for YAML when it is not a safe plain scalar inside a flow
/// sequence such as `[a, b]`.
pub(crate) fn yaml_scalar(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./+@~*".contains(c);
    let starts_plain = text.chars().next().is_some_and(|c| !"-@~*".contains(c));
    if !text.is_empty() && starts_plain && text.chars().all(plain) {
        return text.to_string();
    }
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04x}", c as u32);
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Renders the denials appended to a failure message: deduplicated, ordered
/// by target and kind, each entry with its kind, its path relative to the
/// root where under it, and both declaration lines. The first line names
/// the mechanism. Returns an empty string when `denials` is empty.
///
/// `out_dir` is a build script's `OUT_DIR`: a write below it is suggested as
/// a `generates` entry made with `Build::out`, which has no Taskfile form.
///
/// `dir` is the task's working directory, which the Taskfile lines' paths
/// are relative to, as a Taskfile's are.
pub(crate) fn report(
    task: &str,
    root: &Path,
    dir: &Path,
    out_dir: Option<&Path>,
    mechanism: Mechanism,
    denials: &[Denial],
) -> String {
    let unique: BTreeSet<(Target, AccessKind)> =
        denials.iter().map(|denial| (merge_processes(&denial.target), denial.kind)).collect();
    if unique.is_empty() {
        return String::new();
    }

    let count = match unique.len() {
        1 => "1 access".to_string(),
        n => format!("{n} accesses"),
    };
    let mut text =
        format!("sandbox: task `{task}` was denied {count}, {}:\n", mechanism.describe());
    let base = relative_to_root(root, dir).unwrap_or_default();
    let mut entries: Vec<Denial> =
        unique.into_iter().map(|(target, kind)| Denial { kind, target }).collect();
    // Project files first, since they are the usual cause; probes last.
    entries.sort_by_key(|denial| rank(root, denial));
    let mut probes_heading = false;
    for denial in &entries {
        if !probes_heading && is_probe(denial) {
            text.push_str(
                "  probes that most tools survive; declare them only if the task needs them:\n",
            );
            probes_heading = true;
        }
        let _ = writeln!(text, "  {:<8} {}", denial.kind.name(), describe_target(root, denial));
        let suggestion = match out_dir.and_then(|dir| suggest_out_dir(dir, denial)) {
            Some(suggestion) => Some(suggestion),
            None => suggest_in(root, &base, denial),
        };
        match suggestion {
            Some(suggestion) => {
                let _ = writeln!(text, "           Rust:     {}", suggestion.rust);
                if !suggestion.taskfile.is_empty() {
                    let _ = writeln!(text, "           Taskfile: {}", suggestion.taskfile);
                }
            }
            None => {
                let _ = writeln!(text, "           {}", no_declaration(denial));
            }
        }
    }
    text.pop();
    text
}

/// Suggests a `Build::out` entry for a write below a build script's
/// `OUT_DIR`, the file's own name when the path names it and `NAME` when the
/// kernel named only `OUT_DIR` itself.
fn suggest_out_dir(out_dir: &Path, denial: &Denial) -> Option<Suggestion> {
    let Target::Path(path) = &denial.target else {
        return None;
    };
    if !denial.kind.writes() {
        return None;
    }
    let relative: PathBuf = match path.strip_prefix(out_dir) {
        Ok(relative) => relative.to_owned(),
        Err(_) => {
            let real = std::fs::canonicalize(out_dir).ok()?;
            path.strip_prefix(real).ok()?.to_owned()
        }
    };
    // The audit log names only the directory a file was created in.
    let unnamed = path.is_dir() && denial.kind != AccessKind::CreateDir;
    let mut name = if unnamed { relative.join("NAME") } else { relative };
    if denial.kind == AccessKind::CreateDir {
        name.push("");
    }
    let name = name.to_string_lossy();
    // `build.task(...)` takes the build by value, so the entry is made
    // before the chain.
    let mut rust =
        format!("let out = build.out({name:?}); before `build.task(...)`, then .generates([out])");
    if unnamed {
        rust.push_str(", with NAME the file's name, which `RUNNER_DENIALS=trace` shows");
    }
    Some(Suggestion { rust, taskfile: String::new() })
}

/// Orders report entries: paths in the project, other paths, ports,
/// processes, then probes; each group in path and kind order.
fn rank(root: &Path, denial: &Denial) -> (u8, Target, AccessKind) {
    let group = match &denial.target {
        _ if is_probe(denial) => 4,
        Target::Path(path) if relative_to_root(root, path).is_some() => 0,
        Target::Path(_) => 1,
        Target::Port(_) => 2,
        Target::Process { .. } => 3,
    };
    (group, denial.target.clone(), denial.kind)
}

/// Returns whether a denial is of a kind that shells and runtimes try and
/// then do without: reads below `/proc` and `/sys`, and opening the terminal.
fn is_probe(denial: &Denial) -> bool {
    let Target::Path(path) = &denial.target else {
        return false;
    };
    let terminal = path == Path::new("/dev/tty");
    let reads = matches!(denial.kind, AccessKind::Read | AccessKind::ReadDir);
    terminal || (reads && (path.starts_with("/proc") || path.starts_with("/sys")))
}

/// Writes `/proc/<pid>` for the directory of any one process, such as
/// `/proc/1234/mounts`, so the same read by several processes is listed once.
fn merge_processes(target: &Target) -> Target {
    let Target::Path(path) = target else {
        return target.clone();
    };
    let Ok(rest) = path.strip_prefix("/proc") else {
        return target.clone();
    };
    let mut parts = rest.components();
    let is_pid = parts
        .next()
        .and_then(|part| part.as_os_str().to_str())
        .is_some_and(|part| part.bytes().all(|byte| byte.is_ascii_digit()));
    if !is_pid {
        return target.clone();
    }
    Target::Path(Path::new("/proc/<pid>").join(parts.as_path()))
}

fn describe_target(root: &Path, denial: &Denial) -> String {
    match &denial.target {
        Target::Path(path) => {
            let label = match relative_to_root(root, path) {
                Some(relative) if relative.as_os_str().is_empty() => {
                    ". (the project root)".to_string()
                }
                Some(relative) => relative.display().to_string(),
                None => path.display().to_string(),
            };
            // The audit log names the directory a file or directory was to
            // be created in; a trace names the new path itself.
            let creates = matches!(denial.kind, AccessKind::Create | AccessKind::CreateDir);
            match denial.kind {
                AccessKind::CreateDir if path.is_dir() => format!("a directory in {label}"),
                AccessKind::CreateDir => format!("{label}/"),
                _ if creates && path.is_dir() => format!("a file in {label}"),
                _ => label,
            }
        }
        Target::Port(0) => "TCP port 0 (a free port the kernel picks)".to_string(),
        Target::Port(port) => format!("TCP port {port}"),
        Target::Process { pid, comm } => format!("process {pid} (`{comm}`)"),
    }
}

fn no_declaration(denial: &Denial) -> &'static str {
    match denial.target {
        Target::Process { .. } => {
            "no declaration allows this: a task may signal only its own processes"
        }
        _ if denial.kind == AccessKind::CreateDir => {
            "the project root may not be writable, but a directory in it may: declare the \
             directory in `generates` with a trailing slash (`.generates([\"NAME/\"])` or \
             `generates: [NAME/]`) and the runner creates it before the task runs. The audit \
             log does not name new directories; `--denials=trace` does"
        }
        _ if denial.kind == AccessKind::Create => {
            "the project root may not be writable, but a file in it may: declare the file in \
             `generates` (`.generates([\"NAME\"])` or `generates: [NAME]`) and the \
             runner creates it before the task runs. The audit log does not name new files; \
             `--denials=trace` does"
        }
        _ if denial.kind.writes() => {
            "no declaration allows this: the project root may not be writable, so move the file \
             into a directory and declare that in `generates`"
        }
        _ => "no declaration allows this",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (super::super::tmp_dir::TmpDir, PathBuf) {
        let dir = super::super::tmp_dir::TmpDir::create("denial").unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap().join("project");
        std::fs::create_dir_all(root.join("gen")).unwrap();
        std::fs::create_dir_all(root.join("out")).unwrap();
        std::fs::write(root.join("gen/extra.txt"), "x").unwrap();
        (dir, root)
    }

    fn lines(root: &Path, denial: Denial) -> (String, String) {
        let suggestion = suggest(root, &denial).unwrap_or_else(|| panic!("{denial:?}"));
        (suggestion.rust, suggestion.taskfile)
    }

    #[test]
    fn suggest_project_paths() {
        let (_guard, root) = project();
        let cases = [
            (
                Denial::path(AccessKind::Read, root.join("gen/extra.txt")),
                ".sources([\"gen/extra.txt\"])",
                "sources: [gen/extra.txt]",
            ),
            (
                Denial::path(AccessKind::ReadDir, root.join("gen")),
                ".sources([\"gen/*\"])",
                "sources: [gen/*]",
            ),
            (
                Denial::path(AccessKind::Create, root.join("out/new.txt")),
                ".generates([\"out/\"])",
                "generates: [out/]",
            ),
            (
                Denial::path(AccessKind::Create, root.join("out")),
                ".generates([\"out/\"])",
                "generates: [out/]",
            ),
            (
                Denial::path(AccessKind::Create, root.join("top.txt")),
                ".generates([\"top.txt\"])",
                "generates: [top.txt]",
            ),
            (
                Denial::path(AccessKind::Write, root.join("gen/extra.txt")),
                ".generates([\"gen/extra.txt\"])",
                "generates: [gen/extra.txt]",
            ),
            (
                Denial::path(AccessKind::Remove, root.join("gen/extra.txt")),
                ".generates([\"gen/\"])",
                "generates: [gen/]",
            ),
            (
                Denial::path(AccessKind::Rename, root.join("out/a")),
                ".generates([\"out/\"])",
                "generates: [out/]",
            ),
            (
                Denial::path(AccessKind::Execute, root.join("tools/run.sh")),
                ".scopes([Scope::exec(\"tools/run.sh\")])",
                "scopes: [{path: ./tools/run.sh, mode: rx}]",
            ),
        ];
        for (denial, rust, taskfile) in cases {
            let (got_rust, got_taskfile) = lines(&root, denial.clone());
            assert_eq!(got_rust, rust, "{denial:?}");
            assert_eq!(got_taskfile, taskfile, "{denial:?}");
        }
    }

    #[test]
    fn suggest_remove_at_root_has_none() {
        let (_guard, root) = project();
        let denial = Denial::path(AccessKind::Remove, root.join("top.txt"));
        assert_eq!(suggest(&root, &denial), None);
        let signal = Denial {
            kind: AccessKind::Signal,
            target: Target::Process { pid: 1, comm: "init".into() },
        };
        assert_eq!(suggest(&root, &signal), None);
    }

    #[test]
    fn suggest_outside_paths() {
        let (_guard, root) = project();
        let outside = root.parent().unwrap().join("elsewhere");
        std::fs::create_dir_all(&outside).unwrap();
        let file = outside.join("data.txt");
        let cases = [
            (AccessKind::Read, file.clone(), Scope::read(&file)),
            (AccessKind::ReadDir, outside.clone(), Scope::read(&outside)),
            (AccessKind::Write, file.clone(), Scope::write(&file)),
            (AccessKind::Create, file.clone(), Scope::write(&outside)),
            (AccessKind::Create, outside.clone(), Scope::write(&outside)),
            (AccessKind::Remove, file.clone(), Scope::write(&outside)),
            (AccessKind::Execute, file.clone(), Scope::exec(&outside)),
            (AccessKind::Read, PathBuf::from("/proc/1/status"), Scope::proc()),
            (AccessKind::Write, PathBuf::from("/dev/tty"), Scope::terminal()),
            (AccessKind::Write, PathBuf::from("/dev/pts/3"), Scope::terminal()),
        ];
        for (kind, path, scope) in cases {
            let (rust, taskfile) = lines(&root, Denial::path(kind, &path));
            assert_eq!(rust, declare(Syntax::Rust, &scope), "{kind} {}", path.display());
            assert_eq!(taskfile, declare(Syntax::Taskfile, &scope), "{kind} {}", path.display());
        }
    }

    #[test]
    fn suggest_program_on_path() {
        let (_guard, root) = project();
        let sh = resolve_program("sh".as_ref(), None, Path::new("/")).unwrap();
        let (rust, taskfile) = lines(&root, Denial::path(AccessKind::Execute, &sh));
        assert_eq!(rust, ".scopes([Scope::program(\"sh\")])");
        assert_eq!(taskfile, "scopes: [{path: sh}]");
    }

    #[test]
    fn suggest_ports() {
        let (_guard, root) = project();
        let connect = Denial { kind: AccessKind::Connect, target: Target::Port(8080) };
        let bind = Denial { kind: AccessKind::Bind, target: Target::Port(9000) };
        assert_eq!(
            lines(&root, connect),
            (
                ".scopes([Scope::tcp_connect(8080)])".to_string(),
                "scopes: [{network: tcp-connect:8080}]".to_string()
            )
        );
        assert_eq!(
            lines(&root, bind),
            (
                ".scopes([Scope::tcp_bind(9000)])".to_string(),
                "scopes: [{network: tcp-bind:9000}]".to_string()
            )
        );
    }

    #[test]
    fn yaml_scalar_quotes_when_needed() {
        assert_eq!(yaml_scalar("gen/extra.txt"), "gen/extra.txt");
        assert_eq!(yaml_scalar("a b: c"), "\"a b: c\"");
        assert_eq!(yaml_scalar("-x"), "\"-x\"");
        assert_eq!(yaml_scalar("q\"\\"), "\"q\\\"\\\\\"");
        assert_eq!(yaml_scalar(""), "\"\"");
    }

    #[test]
    fn report_dedups_orders_and_names_mechanism() {
        let (_guard, root) = project();
        let denials = [
            Denial { kind: AccessKind::Connect, target: Target::Port(8080) },
            Denial::path(AccessKind::Read, root.join("gen/extra.txt")),
            Denial::path(AccessKind::Read, root.join("gen/extra.txt")),
            Denial::path(AccessKind::Create, root.join("out/x")),
        ];
        let text = report("build", &root, &root, None, Mechanism::Audit, &denials);
        let expected = "\
sandbox: task `build` was denied 3 accesses, seen in the kernel's audit log:
  read     gen/extra.txt
           Rust:     .sources([\"gen/extra.txt\"])
           Taskfile: sources: [gen/extra.txt]
  create   out/x
           Rust:     .generates([\"out/\"])
           Taskfile: generates: [out/]
  connect  TCP port 8080
           Rust:     .scopes([Scope::tcp_connect(8080)])
           Taskfile: scopes: [{network: tcp-connect:8080}]";
        assert_eq!(text, expected);
        assert!(
            report("build", &root, &root, None, Mechanism::Trace, &denials[..1])
                .contains("under strace")
        );
        assert_eq!(report("build", &root, &root, None, Mechanism::Audit, &[]), "");
    }

    #[test]
    fn taskfile_lines_relative_to_task_dir() {
        let (_guard, root) = project();
        let dir = root.join("gen");
        let denials = [
            Denial::path(AccessKind::Read, dir.join("extra.txt")),
            Denial::path(AccessKind::Create, root.join("out/new.txt")),
        ];
        let text = report("indir", &root, &dir, None, Mechanism::Audit, &denials);
        assert!(text.contains("Rust:     .sources([\"gen/extra.txt\"])"), "{text}");
        assert!(text.contains("Taskfile: sources: [extra.txt]"), "{text}");
        assert!(text.contains("Rust:     .generates([\"out/\"])"), "{text}");
        assert!(text.contains("Taskfile: generates: [../out/]"), "{text}");
    }

    #[test]
    fn directory_created_suggests_trailing_slash() {
        let (_guard, root) = project();

        // A trace names the directory `mkdir` was to create.
        let traced = Denial::path(AccessKind::CreateDir, root.join("build"));
        let text = report("mk", &root, &root, None, Mechanism::Trace, &[traced]);
        assert!(text.contains("  create   build/\n"), "{text}");
        assert!(text.contains("Rust:     .generates([\"build/\"])"), "{text}");

        // The audit log names the directory it was to be created in.
        let audited = Denial::path(AccessKind::CreateDir, &root);
        let text = report("mk", &root, &root, None, Mechanism::Audit, &[audited]);
        assert!(text.contains("  create   a directory in . (the project root)\n"), "{text}");
        assert!(text.contains("with a trailing slash (`.generates([\"NAME/\"])`"), "{text}");
    }

    #[test]
    fn create_in_root_names_file_generates() {
        let (_guard, root) = project();
        let text = report(
            "stamp",
            &root,
            &root,
            None,
            Mechanism::Audit,
            &[Denial::path(AccessKind::Create, &root)],
        );
        assert!(text.contains("  create   a file in . (the project root)\n"), "{text}");
        assert!(text.contains("declare the file in `generates`"), "{text}");

        let file = root.join("stamp.txt");
        let suggestion = suggest(&root, &Denial::path(AccessKind::Create, file)).unwrap();
        assert_eq!(suggestion.rust, ".generates([\"stamp.txt\"])");
    }

    #[test]
    fn write_in_out_dir_suggests_build_out() {
        let (_guard, root) = project();
        let out_dir = root.join("out");
        let denials = [
            Denial::path(AccessKind::Create, out_dir.join("other.rs")),
            Denial::path(AccessKind::Create, &out_dir),
        ];
        let text = report("schema", &root, &root, Some(&out_dir), Mechanism::Trace, &denials);
        let named = "Rust:     let out = build.out(\"other.rs\"); before `build.task(...)`, \
                     then .generates([out])";
        assert!(text.contains(named), "{text}");
        assert!(text.contains("build.out(\"NAME\"); before"), "{text}");
        assert!(text.contains("with NAME the file's name, which `RUNNER_DENIALS=trace`"), "{text}");
        assert!(!text.contains("Taskfile:"), "{text}");
    }

    #[test]
    fn report_lists_project_paths_first_and_probes_last() {
        let (_guard, root) = project();
        let denials = [
            Denial::path(AccessKind::Read, "/dev/tty"),
            Denial::path(AccessKind::Read, "/proc/filesystems"),
            Denial { kind: AccessKind::Connect, target: Target::Port(8080) },
            Denial::path(AccessKind::Read, "/opt/data/table.csv"),
            Denial::path(AccessKind::Read, root.join("notes.txt")),
        ];
        let text = report("gen", &root, &root, None, Mechanism::Audit, &denials);
        let firsts: Vec<&str> = text
            .lines()
            .filter(|line| !line.starts_with("           "))
            .map(str::trim_start)
            .collect();
        assert_eq!(
            firsts,
            [
                "sandbox: task `gen` was denied 5 accesses, seen in the kernel's audit log:",
                "read     notes.txt",
                "read     /opt/data/table.csv",
                "connect  TCP port 8080",
                "probes that most tools survive; declare them only if the task needs them:",
                "read     /dev/tty",
                "read     /proc/filesystems",
            ]
        );
    }

    #[test]
    fn report_merges_process_directories() {
        let (_guard, root) = project();
        let denials = [
            Denial::path(AccessKind::Read, "/proc/18266/mounts"),
            Denial::path(AccessKind::Read, "/proc/18267/mounts"),
            Denial::path(AccessKind::Read, "/proc/filesystems"),
        ];
        let text = report("build", &root, &root, None, Mechanism::Audit, &denials);
        assert!(text.contains("was denied 2 accesses"), "{text}");
        assert!(text.contains("  read     /proc/<pid>/mounts\n"), "{text}");
        assert!(text.contains("  read     /proc/filesystems\n"), "{text}");
    }
}
