//! Parsing of the log `strace -f -y` writes: one line per system call, each
//! turned into the file or network access it made.
//!
//! Each line starts with the pid of the calling process. A call that another
//! process interrupts is split over two lines, `openat(... <unfinished ...>`
//! and `<... openat resumed>) = 3`, which are joined by pid. Strings are C
//! escaped (`\"`, `\n`, `\303`, `\x41`). With `-y`, descriptors carry their
//! path (`3</dir>`, `AT_FDCWD</cwd>`), so `*at` calls resolve against it.
//! Without that, relative paths resolve against the process's working
//! directory, which is tracked through `chdir` and `fchdir` and inherited
//! from the parent across `clone`, `fork` and `vfork`.
//!
//! Limits: paths are normalized lexically, so `..` after a symlink is taken
//! literally. A relative path on a descriptor that strace could not decode
//! is dropped. Metadata calls (`stat`, `access`, `readlink`, `chmod`) are
//! skipped, because Landlock does not restrict them.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};

use super::denial::{AccessKind, Target};

/// One file or network access a traced process made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Access {
    pub(crate) pid: u32,
    pub(crate) kind: AccessKind,
    /// The path as the process named it, made absolute, or the port.
    pub(crate) target: Target,
    /// The path of the descriptor the call returned, which strace resolves
    /// through symlinks; `None` for calls that return no descriptor.
    pub(crate) resolved: Option<PathBuf>,
    /// The errno name of a failed call, such as `EACCES`; `None` on success.
    pub(crate) errno: Option<String>,
    /// For the source of a rename, the new path. The new path also gets an
    /// access of its own.
    pub(crate) renamed_to: Option<PathBuf>,
}

impl Access {
    /// Returns whether the call failed the way a Landlock denial fails:
    /// `EACCES`, `EPERM`, or `EXDEV` for a rename or link across directories.
    pub(crate) fn is_denied(&self) -> bool {
        matches!(self.errno.as_deref(), Some("EACCES" | "EPERM" | "EXDEV"))
    }

    /// Returns whether the call succeeded.
    pub(crate) fn succeeded(&self) -> bool {
        self.errno.is_none()
    }
}

/// The state of a log being parsed: working directories by pid, and calls
/// waiting for their resumed half.
pub(crate) struct Parser {
    cwd: HashMap<u32, PathBuf>,
    /// The working directory of the first process, and of any process seen
    /// before the call that created it returned.
    start_dir: PathBuf,
    unfinished: HashMap<u32, String>,
    /// Pids with a `clone`, `fork` or `vfork` in flight, most recent last, so
    /// a child that runs before its parent's call returns inherits its cwd.
    forking: Vec<u32>,
    accesses: Vec<Access>,
}

/// One complete call: its name, its top-level arguments and its result.
struct Call<'a> {
    name: &'a str,
    args: Vec<&'a str>,
    result: &'a str,
}

impl Parser {
    /// Creates a parser for a command started in `start_dir`.
    pub(crate) fn new(start_dir: &Path) -> Parser {
        Parser {
            cwd: HashMap::new(),
            start_dir: start_dir.to_owned(),
            unfinished: HashMap::new(),
            forking: Vec::new(),
            accesses: Vec::new(),
        }
    }

    /// Parses a whole log.
    pub(crate) fn parse(start_dir: &Path, log: &str) -> Vec<Access> {
        let mut parser = Parser::new(start_dir);
        for line in log.lines() {
            parser.line(line);
        }
        parser.finish()
    }

    /// Returns the accesses parsed so far, in log order.
    pub(crate) fn finish(self) -> Vec<Access> {
        self.accesses
    }

    /// Parses one line of the log; lines that are no system call are skipped.
    pub(crate) fn line(&mut self, line: &str) {
        let (pid, rest) = split_pid(line);
        let rest = rest.trim_start();
        if rest.starts_with("+++") || rest.starts_with("---") || rest.is_empty() {
            return;
        }

        if let Some(head) = rest.strip_suffix("<unfinished ...>") {
            let head = head.trim_end();
            if is_fork(call_name(head)) {
                self.forking.push(pid);
            }
            self.unfinished.insert(pid, head.to_string());
            return;
        }
        let joined;
        let text = match resumed_tail(rest) {
            Some(tail) => {
                let Some(head) = self.unfinished.remove(&pid) else {
                    log::trace!("strace log: resumed call without its start: {line}");
                    return;
                };
                joined = format!("{head}{tail}");
                joined.as_str()
            }
            None => rest,
        };
        match parse_call(text) {
            Some(call) => self.call(pid, &call),
            None => log::trace!("strace log: line not understood: {line}"),
        }
    }

    fn cwd_of(&mut self, pid: u32) -> PathBuf {
        if let Some(dir) = self.cwd.get(&pid) {
            return dir.clone();
        }
        // A process seen for the first time is a child whose creating call has
        // not returned yet, or the first process.
        let inherited = match self.forking.last() {
            Some(parent) if *parent != pid => self.cwd_of(*parent),
            _ => self.start_dir.clone(),
        };
        self.cwd.insert(pid, inherited.clone());
        inherited
    }

    fn call(&mut self, pid: u32, call: &Call) {
        let result = parse_result(call.result);
        let arg = |index: usize| call.args.get(index).copied().unwrap_or("");
        let errno = result.errno.clone();

        match call.name {
            "clone" | "clone3" | "fork" | "vfork" => {
                if let Some(position) = self.forking.iter().rposition(|&p| p == pid) {
                    self.forking.remove(position);
                }
                if let Some(child) = result.value.filter(|&value| value > 0) {
                    let dir = self.cwd_of(pid);
                    self.cwd.entry(child as u32).or_insert(dir);
                }
            }
            "chdir" if errno.is_none() => {
                if let Some(dir) = self.path_arg(pid, None, arg(0)) {
                    self.cwd.insert(pid, dir);
                }
            }
            "fchdir" if errno.is_none() => {
                if let Some(dir) = fd_path(arg(0)) {
                    self.cwd.insert(pid, dir);
                }
            }
            "open" => self.open(pid, None, arg(0), arg(1), &result),
            "creat" => self.push_path(pid, AccessKind::Create, None, arg(0), &result),
            "openat" => self.open(pid, Some(arg(0)), arg(1), arg(2), &result),
            "openat2" => {
                let flags = arg(2).split("flags=").nth(1).unwrap_or("");
                self.open(pid, Some(arg(0)), arg(1), flags, &result);
            }
            "execve" => self.push_path(pid, AccessKind::Execute, None, arg(0), &result),
            "execveat" => self.push_path(pid, AccessKind::Execute, Some(arg(0)), arg(1), &result),
            "mkdir" => self.push_path(pid, AccessKind::CreateDir, None, arg(0), &result),
            "mkdirat" => self.push_path(pid, AccessKind::CreateDir, Some(arg(0)), arg(1), &result),
            "mknod" => self.push_path(pid, AccessKind::Create, None, arg(0), &result),
            "mknodat" => self.push_path(pid, AccessKind::Create, Some(arg(0)), arg(1), &result),
            "symlink" => self.push_path(pid, AccessKind::Create, None, arg(1), &result),
            "symlinkat" => self.push_path(pid, AccessKind::Create, Some(arg(1)), arg(2), &result),
            "link" => self.push_path(pid, AccessKind::Create, None, arg(1), &result),
            "linkat" => self.push_path(pid, AccessKind::Create, Some(arg(2)), arg(3), &result),
            "unlink" | "rmdir" => self.push_path(pid, AccessKind::Remove, None, arg(0), &result),
            "unlinkat" => self.push_path(pid, AccessKind::Remove, Some(arg(0)), arg(1), &result),
            "rename" => self.rename(pid, (None, arg(0)), (None, arg(1)), &result),
            "renameat" | "renameat2" => {
                self.rename(pid, (Some(arg(0)), arg(1)), (Some(arg(2)), arg(3)), &result)
            }
            "truncate" => self.push_path(pid, AccessKind::Write, None, arg(0), &result),
            "connect" | "bind" => {
                let kind = if call.name == "bind" { AccessKind::Bind } else { AccessKind::Connect };
                if let Some(port) = inet_port(arg(1)) {
                    let target = Target::Port(port);
                    self.accesses.push(Access {
                        pid,
                        kind,
                        target,
                        resolved: None,
                        errno,
                        renamed_to: None,
                    });
                }
            }
            _ => {}
        }
    }

    fn open(&mut self, pid: u32, dirfd: Option<&str>, path: &str, flags: &str, result: &Result) {
        if flags.contains("O_PATH") {
            return;
        }
        let writes = flags.contains("O_WRONLY") || flags.contains("O_RDWR");
        let kind = if flags.contains("O_CREAT") {
            AccessKind::Create
        } else if writes || flags.contains("O_TRUNC") {
            AccessKind::Write
        } else if flags.contains("O_DIRECTORY") {
            AccessKind::ReadDir
        } else {
            AccessKind::Read
        };
        let Some(full) = self.path_arg(pid, dirfd, path) else { return };
        // A denied `O_CREAT` open of a file that exists was denied writing
        // it. strace does not show whether a successful one found the file, so
        // that counts as a create.
        let kind = match kind {
            AccessKind::Create if result.errno.is_some() && full.exists() => AccessKind::Write,
            kind => kind,
        };
        let resolved = result.fd_path.clone();
        let errno = result.errno.clone();
        let target = Target::Path(full);
        self.accesses.push(Access { pid, kind, target, resolved, errno, renamed_to: None });
    }

    fn rename(
        &mut self,
        pid: u32,
        from: (Option<&str>, &str),
        to: (Option<&str>, &str),
        result: &Result,
    ) {
        let renamed_to = self.path_arg(pid, to.0, to.1);
        self.push_path(pid, AccessKind::Rename, from.0, from.1, result);
        if let Some(last) = self.accesses.last_mut() {
            last.renamed_to = renamed_to;
        }
        self.push_path(pid, AccessKind::Rename, to.0, to.1, result);
    }

    fn push_path(
        &mut self,
        pid: u32,
        kind: AccessKind,
        dirfd: Option<&str>,
        path: &str,
        result: &Result,
    ) {
        let Some(full) = self.path_arg(pid, dirfd, path) else { return };
        let errno = result.errno.clone();
        let target = Target::Path(full);
        self.accesses.push(Access { pid, kind, target, resolved: None, errno, renamed_to: None });
    }

    /// Returns the absolute path a call names with `path` relative to
    /// `dirfd` (`None` for the calls without one, which use the cwd).
    fn path_arg(&mut self, pid: u32, dirfd: Option<&str>, path: &str) -> Option<PathBuf> {
        let path = PathBuf::from(unquote(path)?);
        if path.is_absolute() {
            return Some(normalize(&path));
        }
        let base = match dirfd {
            None => self.cwd_of(pid),
            Some(fd) if fd.starts_with("AT_FDCWD") => match fd_path(fd) {
                Some(dir) => dir,
                None => self.cwd_of(pid),
            },
            Some(fd) => fd_path(fd)?,
        };
        Some(normalize(&base.join(path)))
    }
}

/// The parts of a call's result the parser uses.
struct Result {
    value: Option<i64>,
    errno: Option<String>,
    fd_path: Option<PathBuf>,
}

fn is_fork(name: &str) -> bool {
    matches!(name, "clone" | "clone3" | "fork" | "vfork")
}

fn call_name(text: &str) -> &str {
    text.split('(').next().unwrap_or("")
}

/// Splits the leading pid off a line; lines of a log without `-f` have none.
fn split_pid(line: &str) -> (u32, &str) {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return (0, line);
    }
    match line[..digits].parse() {
        Ok(pid) => (pid, &line[digits..]),
        Err(_) => (0, line),
    }
}

/// Returns the text after `<... NAME resumed>` of a resumed line.
fn resumed_tail(rest: &str) -> Option<&str> {
    let after = rest.strip_prefix("<... ")?;
    let end = after.find(" resumed>")?;
    Some(&after[end + " resumed>".len()..])
}

/// Splits `NAME(ARG, ARG...) = RESULT` into its parts, honouring quotes,
/// brackets and the `<path>` of decoded descriptors.
fn parse_call(text: &str) -> Option<Call<'_>> {
    let open = text.find('(')?;
    let name = &text[..open];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }

    let bytes = text.as_bytes();
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    let mut index = open + 1;
    let mut close = None;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => index = skip_quoted(bytes, index, b'"'),
            b'<' => index = skip_quoted(bytes, index, b'>'),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b')' => {
                close = Some(index);
                break;
            }
            b',' if depth == 0 => {
                args.push(text[start..index].trim());
                start = index + 1;
            }
            _ => {}
        }
        index += 1;
    }
    let close = close?;
    let last = text[start..close].trim();
    if !last.is_empty() || !args.is_empty() {
        args.push(last);
    }
    let result = text[close + 1..].trim_start().strip_prefix('=')?.trim();
    Some(Call { name, args, result })
}

/// Returns the index of the byte that ends the region opened at `start`,
/// skipping backslash escapes.
fn skip_quoted(bytes: &[u8], start: usize, end: u8) -> usize {
    let mut index = start + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            byte if byte == end => return index,
            _ => index += 1,
        }
    }
    bytes.len()
}

/// Parses `0`, `3</path>`, `-1 EACCES (Permission denied)` or `? <unavailable>`.
fn parse_result(text: &str) -> Result {
    let (number, rest) = text.split_once(' ').unwrap_or((text, ""));
    let (number, fd_path) = match number.find('<') {
        Some(at) => (&number[..at], fd_path(text)),
        None => (number, None),
    };
    let value = number.parse::<i64>().ok();
    let errno = match value {
        Some(-1) => rest.split_whitespace().next().filter(|name| name.starts_with('E')),
        _ => None,
    };
    Result { value, errno: errno.map(str::to_string), fd_path }
}

/// Returns the path strace decoded for a descriptor: `3</dir>` or
/// `AT_FDCWD</dir>`. A path marked `(deleted)` keeps its name.
fn fd_path(text: &str) -> Option<PathBuf> {
    let start = text.find('<')?;
    let bytes = text.as_bytes();
    let end = skip_quoted(bytes, start, b'>');
    let inner = text.get(start + 1..end)?;
    let inner = inner.strip_suffix(" (deleted)").unwrap_or(inner);
    if !inner.starts_with('/') {
        // Sockets and pipes: `socket:[123]`, `TCP:[...]`, `pipe:[...]`.
        return None;
    }
    Some(PathBuf::from(unescape(inner.as_bytes())))
}

/// Returns the bytes of a C-escaped string in double quotes, or `None` when
/// the argument is no string (a `NULL` or an address).
fn unquote(text: &str) -> Option<OsString> {
    if !text.starts_with('"') {
        return None;
    }
    let bytes = text.as_bytes();
    let end = skip_quoted(bytes, 0, b'"').min(bytes.len());
    Some(unescape(&bytes[1..end]))
}

/// Decodes the C escapes strace writes: `\\ \" \n \t \r \v \f \a \b`,
/// octal `\ooo` and hex `\xHH`.
fn unescape(bytes: &[u8]) -> OsString {
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        index += 1;
        if byte != b'\\' || index >= bytes.len() {
            out.push(byte);
            continue;
        }
        let escape = bytes[index];
        index += 1;
        let simple = match escape {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'v' => Some(0x0b),
            b'f' => Some(0x0c),
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'x' => None,
            b'0'..=b'7' => None,
            other => Some(other),
        };
        if let Some(value) = simple {
            out.push(value);
            continue;
        }
        let (radix, max_digits, first) = match escape {
            b'x' => (16, 2, 0),
            _ => (8, 2, u32::from(escape - b'0')),
        };
        let mut value = first;
        let mut digits = 0;
        while digits < max_digits
            && let Some(digit) = bytes.get(index).and_then(|&b| (b as char).to_digit(radix))
        {
            value = value * radix + digit;
            index += 1;
            digits += 1;
        }
        out.push(value as u8);
    }
    OsString::from_vec(out)
}

/// Returns the port of an `AF_INET` or `AF_INET6` address argument.
fn inet_port(text: &str) -> Option<u16> {
    if !text.contains("sa_family=AF_INET") {
        return None;
    }
    let after = text.split("_port=htons(").nth(1)?;
    after.split(')').next()?.parse().ok()
}

/// Removes `.` and resolves `..` lexically.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(log: &str) -> Vec<Access> {
        Parser::parse(Path::new("/work"), log)
    }

    fn path(access: &Access) -> &Path {
        match &access.target {
            Target::Path(path) => path,
            other => panic!("not a path: {other:?}"),
        }
    }

    #[test]
    fn open_kinds_and_results() {
        let log = "\
10 openat(AT_FDCWD</work>, \"a.txt\", O_RDONLY|O_CLOEXEC) = 3</work/a.txt>
10 openat(AT_FDCWD</work>, \"out/new\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = -1 EACCES (Permission denied)
10 openat(AT_FDCWD</work>, \"b.txt\", O_RDWR) = 4</work/b.txt>
10 openat(AT_FDCWD</work>, \"src\", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 5</work/src>
10 openat(AT_FDCWD</work>, \"x\", O_RDONLY|O_PATH) = 6</work/x>
10 open(\"/etc/passwd\", O_RDONLY) = -1 ENOENT (No such file or directory)
";
        let accesses = parse(log);
        let kinds: Vec<AccessKind> = accesses.iter().map(|access| access.kind).collect();
        assert_eq!(
            kinds,
            [
                AccessKind::Read,
                AccessKind::Create,
                AccessKind::Write,
                AccessKind::ReadDir,
                AccessKind::Read
            ]
        );
        assert_eq!(path(&accesses[0]), Path::new("/work/a.txt"));
        assert_eq!(accesses[0].resolved.as_deref(), Some(Path::new("/work/a.txt")));
        assert!(accesses[0].succeeded());
        assert!(accesses[1].is_denied());
        assert_eq!(accesses[1].errno.as_deref(), Some("EACCES"));
        assert_eq!(accesses[4].errno.as_deref(), Some("ENOENT"));
        assert!(!accesses[4].is_denied());
    }

    #[test]
    fn unfinished_and_resumed_lines_join() {
        let log = "\
20 openat(AT_FDCWD</work>, \"slow.txt\", O_RDONLY <unfinished ...>
21 +++ exited with 0 +++
20 <... openat resumed>) = -1 EPERM (Operation not permitted)
";
        let accesses = parse(log);
        assert_eq!(accesses.len(), 1);
        assert_eq!(path(&accesses[0]), Path::new("/work/slow.txt"));
        assert_eq!(accesses[0].errno.as_deref(), Some("EPERM"));
    }

    #[test]
    fn escapes_decode_to_bytes() {
        let log = "5 mkdir(\"d\\303\\251\\\"x\", 0777) = 0\n\
                   5 unlink(\"tab\\there\\x41, (q)\") = 0\n\
                   5 openat(AT_FDCWD</work>, \"a>b\", O_RDONLY) = 3</work/a\\76b>\n";
        let accesses = parse(log);
        assert_eq!(path(&accesses[0]), Path::new("/work/dé\"x"));
        assert_eq!(accesses[0].kind, AccessKind::CreateDir);
        assert_eq!(path(&accesses[1]), Path::new("/work/tab\thereA, (q)"));
        assert_eq!(accesses[1].kind, AccessKind::Remove);
        assert_eq!(path(&accesses[2]), Path::new("/work/a>b"));
        assert_eq!(accesses[2].resolved.as_deref(), Some(Path::new("/work/a>b")));
    }

    #[test]
    fn dirfd_relative_calls() {
        let log = "\
7 unlinkat(4</work/out>, \"old\", 0) = 0
7 renameat2(AT_FDCWD</work>, \"tmp\", 5</work/out dir>, \"final\", RENAME_NOREPLACE) = -1 EXDEV (Invalid cross-device link)
7 openat(9, \"lost\", O_RDONLY) = 3
7 mkdirat(AT_FDCWD, \"made\", 0777) = 0
";
        let accesses = parse(log);
        let paths: Vec<&Path> = accesses.iter().map(path).collect();
        assert_eq!(
            paths,
            [
                Path::new("/work/out/old"),
                Path::new("/work/tmp"),
                Path::new("/work/out dir/final"),
                Path::new("/work/made"),
            ]
        );
        assert!(accesses[1].is_denied());
        assert_eq!(accesses[1].renamed_to.as_deref(), Some(Path::new("/work/out dir/final")));
        assert_eq!(accesses[2].kind, AccessKind::Rename);
        assert_eq!(accesses[2].renamed_to, None);
    }

    #[test]
    fn chdir_and_fork_track_cwd() {
        let log = "\
1 chdir(\"sub\") = 0
1 vfork( <unfinished ...>
2 openat(AT_FDCWD, \"child.txt\", O_RDONLY) = 3
1 <... vfork resumed>) = 2
1 clone(child_stack=NULL, flags=SIGCHLD) = 3
1 fchdir(3</elsewhere>) = 0
3 open(\"../up.txt\", O_RDONLY) = 3
1 open(\"here.txt\", O_RDONLY) = 3
1 chdir(\"/missing\") = -1 ENOENT (No such file or directory)
1 open(\"still.txt\", O_RDONLY) = 3
";
        let paths: Vec<PathBuf> = parse(log).iter().map(|access| path(access).to_owned()).collect();
        assert_eq!(
            paths,
            [
                PathBuf::from("/work/sub/child.txt"),
                PathBuf::from("/work/up.txt"),
                PathBuf::from("/elsewhere/here.txt"),
                PathBuf::from("/elsewhere/still.txt"),
            ]
        );
    }

    #[test]
    fn network_and_exec_calls() {
        let log = "\
4 connect(3<socket:[9]>, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 EACCES (Permission denied)
4 bind(3<TCP:[1]>, {sa_family=AF_INET6, sin6_port=htons(9000), sin6_flowinfo=htonl(0)}, 28) = 0
4 connect(5<socket:[2]>, {sa_family=AF_UNIX, sun_path=\"/run/x\"}, 110) = 0
4 execve(\"/usr/bin/python3\", [\"python3\", \"gen.py\"], 0x7ffd /* 3 vars */) = 0
";
        let accesses = parse(log);
        assert_eq!(accesses.len(), 3);
        assert_eq!(accesses[0].kind, AccessKind::Connect);
        assert_eq!(accesses[0].target, Target::Port(8080));
        assert!(accesses[0].is_denied());
        assert_eq!(accesses[1].kind, AccessKind::Bind);
        assert_eq!(accesses[1].target, Target::Port(9000));
        assert_eq!(accesses[2].kind, AccessKind::Execute);
        assert_eq!(path(&accesses[2]), Path::new("/usr/bin/python3"));
    }

    #[test]
    fn odd_lines_are_skipped() {
        let log = "\
3 --- SIGCHLD {si_signo=SIGCHLD} ---
3 <... read resumed>) = 4
garbage
3 openat(AT_FDCWD</work>, \"a\", O_RDONLY) = ? <unavailable>
";
        let accesses = parse(log);
        assert_eq!(accesses.len(), 1);
        assert!(accesses[0].succeeded());
    }
}
