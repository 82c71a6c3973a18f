//! Parsing of Landlock's audit records (Landlock ABI 7, Linux 6.15 and
//! later).
//!
//! The kernel logs two record types, as `key=value` text after an
//! `audit(SECONDS.MILLIS:SERIAL): ` stamp:
//!
//! - 1423 `AUDIT_LANDLOCK_ACCESS`, one per denied request: `domain=` (hex
//!   id), `blockers=` (comma-separated rights such as `fs.read_file` or
//!   `net.connect_tcp`) and the object: `path=` for files (for a create, the
//!   parent directory), `daddr=`/`dest=` or `saddr=`/`src=` for TCP, or
//!   `opid=`/`ocomm=` for a process.
//! - 1424 `AUDIT_LANDLOCK_DOMAIN`: `status=allocated` with the `pid=` and
//!   `comm=` of the thread that created the domain, logged with the first
//!   denial only, and `status=deallocated denials=N` when the domain's last
//!   process ends.
//!
//! Strings that contain spaces, quotes or control characters are written in
//! uppercase hex without quotes; all others in double quotes.

use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use super::denial::{AccessKind, Denial, Target};

/// The record type of one denied access.
pub(crate) const AUDIT_LANDLOCK_ACCESS: u16 = 1423;
/// The record type of a domain's allocation and deallocation.
pub(crate) const AUDIT_LANDLOCK_DOMAIN: u16 = 1424;

/// A parsed Landlock record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Record {
    /// Denied accesses of one request, one per kind the blockers name.
    Access { domain: u64, denials: Vec<Denial> },
    /// A domain, seen with its first denial, created by thread `comm` of
    /// process `pid`.
    Allocated { domain: u64, pid: u32, comm: String },
    /// A domain ended after `denials` denials.
    Deallocated { domain: u64, denials: u64 },
}

/// Returns the serial number of the audit event a record belongs to, from its
/// `audit(SECONDS.MILLIS:SERIAL): ` prefix.
pub(crate) fn serial(text: &str) -> Option<u64> {
    let stamp = text.strip_prefix("audit(")?;
    let stamp = &stamp[..stamp.find(')')?];
    stamp.rsplit_once(':')?.1.parse().ok()
}

/// Parses a record of type `kind`. Returns `None` for other types and for
/// records without a domain.
pub(crate) fn parse(kind: u16, text: &str) -> Option<Record> {
    let body = match text.find("): ") {
        Some(end) if text.starts_with("audit(") => &text[end + 3..],
        _ => text,
    };
    let fields = fields(body);
    let get = |key: &str| fields.iter().find(|(name, _)| *name == key).map(|(_, value)| value);
    let domain = u64::from_str_radix(get("domain")?.text(), 16).ok()?;

    match kind {
        AUDIT_LANDLOCK_ACCESS => {
            let blockers = get("blockers")?.text();
            let denials = denials(blockers, &|key| get(key).cloned());
            Some(Record::Access { domain, denials })
        }
        AUDIT_LANDLOCK_DOMAIN => match get("status")?.text() {
            "allocated" => {
                let pid = get("pid")?.text().parse().ok()?;
                let comm = get("comm")?.decoded_lossy();
                Some(Record::Allocated { domain, pid, comm })
            }
            "deallocated" => {
                let denials = get("denials")?.text().parse().ok()?;
                Some(Record::Deallocated { domain, denials })
            }
            _ => None,
        },
        _ => None,
    }
}

/// One field value as written in the record.
#[derive(Clone, Debug)]
enum Value<'a> {
    /// A double-quoted string, without its quotes.
    Quoted(&'a str),
    /// An unquoted value: a number, a word, or a hex-encoded string.
    Plain(&'a str),
}

impl Value<'_> {
    fn text(&self) -> &str {
        match self {
            Value::Quoted(text) | Value::Plain(text) => text,
        }
    }

    /// Returns the bytes of a string field, decoding hex when unquoted.
    fn decoded(&self) -> Vec<u8> {
        match self {
            Value::Quoted(text) => text.as_bytes().to_vec(),
            Value::Plain(text) => decode_hex(text).unwrap_or_else(|| text.as_bytes().to_vec()),
        }
    }

    fn decoded_lossy(&self) -> String {
        String::from_utf8_lossy(&self.decoded()).into_owned()
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |byte: u8| (byte as char).to_digit(16);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

/// Splits `key=value` fields separated by spaces. Quoted values never
/// contain quotes, because the kernel hex-encodes such strings.
fn fields(body: &str) -> Vec<(&str, Value<'_>)> {
    let mut list = Vec::new();
    let mut rest = body.trim_start();
    while let Some(equals) = rest.find('=') {
        let key = rest[..equals].trim();
        let after = &rest[equals + 1..];
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').unwrap_or(quoted.len());
                (Value::Quoted(&quoted[..end]), quoted.get(end + 1..).unwrap_or(""))
            }
            None => {
                let end = after.find(' ').unwrap_or(after.len());
                (Value::Plain(&after[..end]), &after[end..])
            }
        };
        list.push((key, value));
        rest = next.trim_start();
    }
    list
}

/// Maps the blockers of one record to denials of its object.
fn denials<'a>(blockers: &str, get: &dyn Fn(&str) -> Option<Value<'a>>) -> Vec<Denial> {
    let mut list: Vec<Denial> = Vec::new();
    for blocker in blockers.split(',') {
        let Some(kind) = kind_of(blocker) else {
            log::debug!("audit: blocker `{blocker}` has no access kind");
            continue;
        };
        let target = match kind {
            AccessKind::Connect => port(get("dest")),
            // The kernel omits port 0, which a bind to any free port requests.
            AccessKind::Bind => {
                port(get("src")).or_else(|| port(get("lport"))).or(Some(Target::Port(0)))
            }
            AccessKind::Signal => process(get("opid"), get("ocomm")),
            _ => get("path").and_then(|value| path(&value)),
        };
        let Some(target) = target else {
            log::debug!("audit: blocker `{blocker}` without an object");
            continue;
        };
        if blocker == "fs.ioctl_dev" && is_isatty_probe(&target, get("ioctlcmd")) {
            continue;
        }
        let denial = Denial { kind, target };
        if !list.contains(&denial) {
            list.push(denial);
        }
    }
    list
}

/// Maps a Landlock blocker name to the kind of access it denied.
fn kind_of(blocker: &str) -> Option<AccessKind> {
    let kind = match blocker {
        "fs.execute" => AccessKind::Execute,
        "fs.read_file" => AccessKind::Read,
        "fs.read_dir" => AccessKind::ReadDir,
        "fs.write_file" | "fs.truncate" | "fs.ioctl_dev" => AccessKind::Write,
        "fs.remove_dir" | "fs.remove_file" => AccessKind::Remove,
        "fs.make_dir" => AccessKind::CreateDir,
        "fs.make_char" | "fs.make_reg" | "fs.make_sock" | "fs.make_fifo" | "fs.make_block"
        | "fs.make_sym" => AccessKind::Create,
        "fs.refer" => AccessKind::Rename,
        "net.connect_tcp" => AccessKind::Connect,
        "net.bind_tcp" => AccessKind::Bind,
        "scope.signal" | "ptrace" => AccessKind::Signal,
        _ => return None,
    };
    Some(kind)
}

/// Returns whether a denied ioctl is a terminal request (type `'T'`, such as
/// `TCGETS` from `isatty()` or `TIOCGWINSZ` for the window size) on a device
/// other than a terminal, say `/dev/null`, where it fails either way.
fn is_isatty_probe(target: &Target, command: Option<Value>) -> bool {
    const TERMINAL_TYPE: u64 = b'T' as u64;
    let Target::Path(path) = target else {
        return false;
    };
    let terminal = ["/dev/tty", "/dev/pts", "/dev/ptmx"].iter().any(|dir| path.starts_with(dir));
    let request = command.and_then(|command| {
        let text = command.text();
        u64::from_str_radix(text.strip_prefix("0x").unwrap_or(text), 16).ok()
    });
    !terminal && request.is_some_and(|request| (request >> 8) & 0xff == TERMINAL_TYPE)
}

fn port(value: Option<Value>) -> Option<Target> {
    value?.text().parse().ok().map(Target::Port)
}

fn process(pid: Option<Value>, comm: Option<Value>) -> Option<Target> {
    let pid = pid?.text().parse().ok()?;
    let comm = comm.map(|comm| comm.decoded_lossy()).unwrap_or_default();
    Some(Target::Process { pid, comm })
}

/// Decodes a `path=` value. The kernel appends ` (deleted)` to the path of
/// a removed file, which forces hex encoding; the suffix is dropped.
fn path(value: &Value) -> Option<Target> {
    let mut bytes = value.decoded();
    if bytes.first() != Some(&b'/') {
        return None;
    }
    if let Some(stripped) = bytes.strip_suffix(b" (deleted)") {
        bytes = stripped.to_vec();
    }
    Some(Target::Path(PathBuf::from(std::ffi::OsString::from_vec(bytes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(text: &str) -> Vec<Denial> {
        match parse(AUDIT_LANDLOCK_ACCESS, text) {
            Some(Record::Access { denials, .. }) => denials,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn event_serial() {
        assert_eq!(serial("audit(1796389088.797:5123): domain=1e97e3b53"), Some(5123));
        assert_eq!(serial("domain=1e97e3b53"), None);
        assert_eq!(serial("audit(1796389088.797): x"), None);
    }

    #[test]
    fn access_with_quoted_path() {
        let text = "audit(1796389088.797:5): domain=1e97e3b53 blockers=fs.read_file \
                    path=\"/root/.bashrc\" dev=\"vda\" ino=1254";
        let record = parse(AUDIT_LANDLOCK_ACCESS, text).unwrap();
        let expected = vec![Denial::path(AccessKind::Read, "/root/.bashrc")];
        assert_eq!(record, Record::Access { domain: 0x1e97e3b53, denials: expected });
    }

    #[test]
    fn access_with_hex_path() {
        // "/tmp/a b" hex-encoded because of its space.
        let text = "audit(1.2:3): domain=a blockers=fs.make_reg path=2F746D702F612062 dev=\"vda\"";
        assert_eq!(access(text), vec![Denial::path(AccessKind::Create, "/tmp/a b")]);
    }

    #[test]
    fn access_with_deleted_path() {
        let hex: String = b"/tmp/x (deleted)".iter().map(|byte| format!("{byte:02X}")).collect();
        let text = format!("audit(1.2:3): domain=a blockers=fs.read_file path={hex}");
        assert_eq!(access(&text), vec![Denial::path(AccessKind::Read, "/tmp/x")]);
    }

    #[test]
    fn every_blocker_maps_to_a_kind() {
        let cases = [
            ("fs.execute", AccessKind::Execute),
            ("fs.write_file", AccessKind::Write),
            ("fs.read_file", AccessKind::Read),
            ("fs.read_dir", AccessKind::ReadDir),
            ("fs.remove_dir", AccessKind::Remove),
            ("fs.remove_file", AccessKind::Remove),
            ("fs.make_char", AccessKind::Create),
            ("fs.make_dir", AccessKind::CreateDir),
            ("fs.make_reg", AccessKind::Create),
            ("fs.make_sock", AccessKind::Create),
            ("fs.make_fifo", AccessKind::Create),
            ("fs.make_block", AccessKind::Create),
            ("fs.make_sym", AccessKind::Create),
            ("fs.refer", AccessKind::Rename),
            ("fs.truncate", AccessKind::Write),
            ("fs.ioctl_dev", AccessKind::Write),
        ];
        for (blocker, kind) in cases {
            let text = format!("audit(1.2:3): domain=a blockers={blocker} path=\"/p\" ino=2");
            assert_eq!(access(&text), vec![Denial::path(kind, "/p")], "{blocker}");
        }
    }

    #[test]
    fn isatty_probe_skipped() {
        let probe = "audit(1.2:3): domain=a blockers=fs.ioctl_dev path=\"/dev/null\" \
                     dev=\"devtmpfs\" ino=3 ioctlcmd=0x5401";
        assert_eq!(access(probe), vec![]);
        let window_size = "audit(1.2:3): domain=a blockers=fs.ioctl_dev path=\"/dev/null\" \
                           ioctlcmd=0x5413";
        assert_eq!(access(window_size), vec![]);
        let terminal = "audit(1.2:3): domain=a blockers=fs.ioctl_dev path=\"/dev/pts/0\" \
                        ioctlcmd=0x5401";
        assert_eq!(access(terminal), vec![Denial::path(AccessKind::Write, "/dev/pts/0")]);
        let other =
            "audit(1.2:3): domain=a blockers=fs.ioctl_dev path=\"/dev/kvm\" ioctlcmd=0xae01";
        assert_eq!(access(other), vec![Denial::path(AccessKind::Write, "/dev/kvm")]);
    }

    #[test]
    fn access_with_several_blockers() {
        let text = "audit(1.2:3): domain=a blockers=fs.remove_file,fs.refer path=\"/d\"";
        let expected =
            vec![Denial::path(AccessKind::Remove, "/d"), Denial::path(AccessKind::Rename, "/d")];
        assert_eq!(access(text), expected);
        let same = "audit(1.2:3): domain=a blockers=fs.make_reg,fs.make_dir path=\"/d\"";
        let expected =
            vec![Denial::path(AccessKind::Create, "/d"), Denial::path(AccessKind::CreateDir, "/d")];
        assert_eq!(access(same), expected);
    }

    #[test]
    fn access_network_and_process() {
        let connect = "audit(1.2:3): domain=a blockers=net.connect_tcp daddr=127.0.0.1 dest=8080";
        let target = Target::Port(8080);
        assert_eq!(access(connect), vec![Denial { kind: AccessKind::Connect, target }]);

        let bind = "audit(1.2:3): domain=a blockers=net.bind_tcp saddr=127.0.0.1 src=9000";
        let target = Target::Port(9000);
        assert_eq!(access(bind), vec![Denial { kind: AccessKind::Bind, target }]);

        let any_port = "audit(1.2:3): domain=a blockers=net.bind_tcp saddr=127.0.0.1";
        let target = Target::Port(0);
        assert_eq!(access(any_port), vec![Denial { kind: AccessKind::Bind, target }]);

        let signal = "audit(1.2:3): domain=a blockers=scope.signal opid=1 ocomm=\"systemd\"";
        let target = Target::Process { pid: 1, comm: "systemd".to_string() };
        assert_eq!(access(signal), vec![Denial { kind: AccessKind::Signal, target }]);

        let hex_comm = "audit(1.2:3): domain=a blockers=ptrace opid=7 ocomm=612062";
        let target = Target::Process { pid: 7, comm: "a b".to_string() };
        assert_eq!(access(hex_comm), vec![Denial { kind: AccessKind::Signal, target }]);
    }

    #[test]
    fn unknown_blocker_and_missing_object_skipped() {
        let unix = "audit(1.2:3): domain=a blockers=scope.abstract_unix_socket path=\"@x\"";
        assert_eq!(access(unix), vec![]);
        let no_path = "audit(1.2:3): domain=a blockers=fs.read_file dev=\"vda\"";
        assert_eq!(access(no_path), vec![]);
    }

    #[test]
    fn domain_records() {
        let allocated = "audit(1796389088.793:2): domain=1e97e3b53 status=allocated \
                         mode=enforcing pid=26228 uid=0 exe=\"/tmp/x\" comm=\"rnr-7\"";
        let expected = Record::Allocated { domain: 0x1e97e3b53, pid: 26228, comm: "rnr-7".into() };
        assert_eq!(parse(AUDIT_LANDLOCK_DOMAIN, allocated), Some(expected));

        let deallocated = "audit(1796389088.881:9): domain=1e97e3b53 status=deallocated denials=7";
        let expected = Record::Deallocated { domain: 0x1e97e3b53, denials: 7 };
        assert_eq!(parse(AUDIT_LANDLOCK_DOMAIN, deallocated), Some(expected));
    }

    #[test]
    fn other_records_ignored() {
        let syscall = "audit(1.2:3): arch=c000003e syscall=257 success=no exit=-13";
        assert_eq!(parse(1300, syscall), None);
        assert_eq!(parse(AUDIT_LANDLOCK_ACCESS, "audit(1.2:3): blockers=fs.read_file"), None);
    }
}
