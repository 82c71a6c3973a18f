//! The Taskfile v3 schema, decoded by hand from a [`yaml::Node`] tree.
//!
//! Every shorthand form go-task 3.54 accepts is handled here. A task may be
//! a string (one command), a list (its commands) or a map. A command may be
//! a string, `{cmd: ...}`, `{task: ...}` or `{defer: ...}`. Deps and
//! preconditions may be strings or maps. A variable may be a scalar, a list,
//! or `{sh}`, `{ref}`, `{map}`, `{value}`. Wrong types are decode errors with
//! the position of the offending node. Unknown keys are ignored, as go-task
//! ignores them, and collected so `-v` can list them.

use super::template::Value;
use super::yaml::{Node, Pos, Yaml};

/// A decode failure at a position.
#[derive(Debug, Clone)]
pub(crate) struct Decode {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

type DResult<T> = Result<T, Decode>;

fn fail<T>(node: &Node, message: impl Into<String>) -> DResult<T> {
    Err(Decode { pos: node.pos, message: message.into() })
}

/// A string from the file with the position of its node, kept for messages.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Text {
    pub(crate) text: String,
    pub(crate) pos: Pos,
}

impl Text {
    fn new(text: impl Into<String>, pos: Pos) -> Text {
        Text { text: text.into(), pos }
    }
}

/// A whole Taskfile.
#[derive(Clone, Debug, Default)]
pub(crate) struct Taskfile {
    pub(crate) version: Option<Node>,
    pub(crate) vars: Vec<VarDef>,
    pub(crate) env: Vec<VarDef>,
    pub(crate) dotenv: Vec<Text>,
    pub(crate) includes: Vec<Include>,
    pub(crate) silent: bool,
    pub(crate) output: Option<Output>,
    pub(crate) method: Option<Text>,
    pub(crate) run: Option<Text>,
    pub(crate) set: Vec<String>,
    pub(crate) shopt: Vec<String>,
    pub(crate) tasks: Vec<TaskDef>,
    /// Keys go-task does not know, with their positions, for `-v`.
    pub(crate) unknown_keys: Vec<(String, Pos)>,
}

/// The source of a variable's value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum VarValue {
    /// A literal; strings in it are templated.
    Static(Value),
    /// The trimmed stdout of a shell command.
    Sh(Text),
    /// A template expression without braces whose typed result is copied.
    Ref(Text),
}

/// One `vars:` or `env:` entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VarDef {
    pub(crate) name: String,
    pub(crate) pos: Pos,
    pub(crate) value: VarValue,
    /// The string as written, with its position, for template errors.
    pub(crate) text: Option<Text>,
    /// `secret: true`: the value is shown as `*****` in echoes and summaries.
    pub(crate) secret: bool,
}

/// One `includes:` entry.
#[derive(Clone, Debug, Default)]
pub(crate) struct Include {
    pub(crate) namespace: String,
    pub(crate) pos: Pos,
    pub(crate) taskfile: Text,
    pub(crate) dir: Option<Text>,
    pub(crate) optional: bool,
    pub(crate) internal: bool,
    pub(crate) flatten: bool,
    pub(crate) aliases: Vec<String>,
    pub(crate) excludes: Vec<String>,
    pub(crate) vars: Vec<VarDef>,
    /// Written as a plain string, which changes the working directory rule.
    pub(crate) string_form: bool,
}

/// The top-level `output:` setting.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Output {
    Interleaved,
    Group { begin: Option<String>, end: Option<String>, error_only: bool },
    Prefixed,
}

/// One task.
#[derive(Clone, Debug, Default)]
pub(crate) struct TaskDef {
    pub(crate) name: String,
    pub(crate) pos: Pos,
    pub(crate) cmds: Vec<CmdDef>,
    pub(crate) deps: Vec<DepDef>,
    pub(crate) desc: Option<Text>,
    pub(crate) summary: Option<Text>,
    pub(crate) sources: Vec<GlobDef>,
    pub(crate) generates: Vec<GlobDef>,
    pub(crate) status: Vec<Text>,
    pub(crate) preconditions: Vec<Precondition>,
    pub(crate) requires: Vec<Require>,
    pub(crate) dir: Option<Text>,
    pub(crate) env: Vec<VarDef>,
    pub(crate) dotenv: Vec<Text>,
    pub(crate) vars: Vec<VarDef>,
    pub(crate) method: Option<Text>,
    pub(crate) run: Option<Text>,
    pub(crate) internal: bool,
    pub(crate) aliases: Vec<Text>,
    pub(crate) platforms: Vec<Platform>,
    pub(crate) ignore_error: bool,
    pub(crate) prefix: Option<Text>,
    pub(crate) label: Option<Text>,
    pub(crate) if_cond: Option<Text>,
    pub(crate) prompt: Vec<Text>,
    pub(crate) failfast: bool,
    /// `silent:` when set; an explicit `false` beats the file's `silent: true`.
    pub(crate) silent: Option<bool>,
    pub(crate) interactive: bool,
    pub(crate) set: Vec<String>,
    pub(crate) shopt: Vec<String>,
    pub(crate) scopes: Vec<ScopeDef>,
}

/// One entry of `cmds:`.
#[derive(Clone, Debug)]
pub(crate) enum CmdDef {
    Shell(ShellCmd),
    Call(CallDef),
    Defer(Box<CmdDef>),
}

/// A shell command.
#[derive(Clone, Debug, Default)]
pub(crate) struct ShellCmd {
    pub(crate) cmd: Text,
    pub(crate) silent: bool,
    pub(crate) ignore_error: bool,
    pub(crate) set: Vec<String>,
    pub(crate) shopt: Vec<String>,
    pub(crate) platforms: Vec<Platform>,
    pub(crate) if_cond: Option<Text>,
    pub(crate) for_loop: Option<ForDef>,
    /// `timeout:` as written (`500ms`) and as a duration.
    pub(crate) timeout: Option<(String, std::time::Duration)>,
}

/// A `task:` call from `cmds:` or a dep.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallDef {
    pub(crate) task: Text,
    pub(crate) vars: Vec<VarDef>,
    pub(crate) silent: bool,
    pub(crate) ignore_error: bool,
    pub(crate) if_cond: Option<Text>,
    pub(crate) for_loop: Option<ForDef>,
    /// `timeout:` for the whole called task, as written and as a duration.
    pub(crate) timeout: Option<(String, std::time::Duration)>,
}

/// One entry of `deps:`.
pub(crate) type DepDef = CallDef;

/// A `for:` loop.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ForDef {
    List(Vec<Value>, Option<String>),
    Sources(Option<String>),
    Generates(Option<String>),
    Var { var: String, split: Option<String>, as_name: Option<String> },
    Matrix(Vec<(String, Vec<Value>)>, Option<String>),
}

/// A `sources:` or `generates:` entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GlobDef {
    pub(crate) pattern: Text,
    pub(crate) exclude: bool,
}

/// A precondition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Precondition {
    pub(crate) sh: Text,
    pub(crate) msg: Option<Text>,
}

/// A required variable.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Require {
    pub(crate) name: String,
    pub(crate) enum_values: Option<Vec<String>>,
    pub(crate) enum_ref: Option<Text>,
}

/// A platform filter: an OS, an architecture, or both.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Platform {
    pub(crate) os: Option<String>,
    pub(crate) arch: Option<String>,
}

/// One `scopes:` entry, the sandbox grant extension of this importer.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ScopeDef {
    /// A path with an access mode; relative paths resolve against the
    /// Taskfile's directory.
    Path {
        path: String,
        mode: ScopeMode,
    },
    /// A program name looked up on `PATH`.
    Program(String),
    /// A named preset such as `rust` or `terminal`.
    Preset(String),
    TcpConnect(u16),
    TcpBind(u16),
    Network,
}

/// The access a path scope grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScopeMode {
    Read,
    Exec,
    Write,
}

const GO_OSES: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "zos",
];

const GO_ARCHES: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "arm64",
    "arm64be",
    "armbe",
    "loong64",
    "mips",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "mipsle",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

fn entries(node: &Node) -> DResult<&[(Node, Node)]> {
    match &node.value {
        Yaml::Map(entries) => Ok(entries),
        other => fail(node, format!("expected a map, found {}", other.kind())),
    }
}

fn key_name(key: &Node) -> String {
    key.scalar_text().unwrap_or_default()
}

fn string(node: &Node) -> DResult<String> {
    match &node.value {
        Yaml::List(_) | Yaml::Map(_) => {
            fail(node, format!("expected a string, found {}", node.value.kind()))
        }
        _ => Ok(node.scalar_text().unwrap_or_default()),
    }
}

fn text(node: &Node) -> DResult<Text> {
    Ok(Text::new(string(node)?, node.pos))
}

fn boolean(node: &Node) -> DResult<bool> {
    match &node.value {
        Yaml::Bool(b) => Ok(*b),
        Yaml::Null => Ok(false),
        Yaml::String(s) if s == "true" || s == "false" => Ok(s == "true"),
        other => fail(node, format!("expected a boolean, found {}", other.kind())),
    }
}

fn list(node: &Node) -> DResult<&[Node]> {
    match &node.value {
        Yaml::List(items) => Ok(items),
        Yaml::Null => Ok(&[]),
        other => fail(node, format!("expected a list, found {}", other.kind())),
    }
}

fn string_list(node: &Node) -> DResult<Vec<String>> {
    list(node)?.iter().map(string).collect()
}

fn text_list(node: &Node) -> DResult<Vec<Text>> {
    list(node)?.iter().map(text).collect()
}

/// Converts a YAML node into a template value, keeping its type.
pub(crate) fn to_value(node: &Node) -> Value {
    match &node.value {
        Yaml::Null => Value::Nil,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Int(i) => Value::Int(*i),
        Yaml::Float(f) => Value::Float(*f),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::List(items) => Value::List(items.iter().map(to_value).collect()),
        Yaml::Map(entries) => {
            Value::Map(entries.iter().map(|(k, v)| (key_name(k), to_value(v))).collect())
        }
    }
}

/// Decodes a `vars:` or `env:` map.
pub(crate) fn decode_vars(node: &Node) -> DResult<Vec<VarDef>> {
    if node.value == Yaml::Null {
        return Ok(Vec::new());
    }
    let mut vars = Vec::new();
    for (key, value) in entries(node)? {
        vars.push(decode_var(key_name(key), key.pos, value)?);
    }
    Ok(vars)
}

fn decode_var(name: String, pos: Pos, node: &Node) -> DResult<VarDef> {
    let text = match &node.value {
        Yaml::String(s) => Some(Text::new(s.clone(), node.pos)),
        _ => None,
    };
    let mut secret = false;
    let value = match &node.value {
        Yaml::Map(map) => {
            let mut value = None;
            for (key, inner) in map {
                match key_name(key).as_str() {
                    "sh" => value = Some(VarValue::Sh(text_of(inner)?)),
                    "ref" => value = Some(VarValue::Ref(text_of(inner)?)),
                    "map" | "value" => value = Some(VarValue::Static(to_value(inner))),
                    "secret" => secret = boolean(inner)?,
                    other => {
                        return fail(
                            key,
                            format!(
                                "invalid key `{other}` in variable `{name}`: a variable map \
                                 takes `sh`, `ref`, `map` or `value`"
                            ),
                        );
                    }
                }
            }
            match value {
                Some(value) => value,
                None => {
                    return fail(
                        node,
                        format!(
                            "variable `{name}` is a map without `sh`, `ref`, `map` or `value`: \
                             write maps as `{{map: {{...}}}}`"
                        ),
                    );
                }
            }
        }
        _ => VarValue::Static(to_value(node)),
    };
    Ok(VarDef { name, pos, value, text, secret })
}

fn text_of(node: &Node) -> DResult<Text> {
    text(node)
}

/// Decodes a whole document.
pub(crate) fn decode_taskfile(root: &Node) -> DResult<Taskfile> {
    let mut file = Taskfile::default();
    if root.value == Yaml::Null {
        return Ok(file);
    }
    for (key, value) in entries(root)? {
        match key_name(key).as_str() {
            "version" => file.version = Some(value.clone()),
            "vars" => file.vars = decode_vars(value)?,
            "env" => file.env = decode_vars(value)?,
            "dotenv" => file.dotenv = text_list(value)?,
            "includes" => file.includes = decode_includes(value)?,
            "silent" => file.silent = boolean(value)?,
            "output" => file.output = Some(decode_output(value)?),
            "method" => file.method = Some(text(value)?),
            "run" => file.run = Some(decode_run(value)?),
            "set" => file.set = string_list(value)?,
            "shopt" => file.shopt = string_list(value)?,
            "tasks" => file.tasks = decode_tasks(value, &mut file.unknown_keys)?,
            "interval" | "use_gitignore" => {}
            other => file.unknown_keys.push((other.to_string(), key.pos)),
        }
    }
    Ok(file)
}

fn decode_output(node: &Node) -> DResult<Output> {
    if let Yaml::Map(_) = node.value {
        let Some(group) = node.get("group") else {
            return fail(node, "invalid output: a map form takes `group:`");
        };
        let optional =
            |key: &str| -> DResult<Option<String>> { group.get(key).map(string).transpose() };
        let error_only = group.get("error_only").map(boolean).transpose()?.unwrap_or(false);
        return Ok(Output::Group { begin: optional("begin")?, end: optional("end")?, error_only });
    }
    match string(node)?.as_str() {
        "interleaved" | "" => Ok(Output::Interleaved),
        "group" => Ok(Output::Group { begin: None, end: None, error_only: false }),
        "prefixed" => Ok(Output::Prefixed),
        other => fail(
            node,
            format!("invalid output style `{other}`: expected interleaved, group or prefixed"),
        ),
    }
}

fn decode_run(node: &Node) -> DResult<Text> {
    let run = text(node)?;
    match run.text.as_str() {
        "always" | "once" | "when_changed" | "" => Ok(run),
        other if other.contains("{{") => Ok(run),
        other => {
            fail(node, format!("invalid run mode `{other}`: expected always, once or when_changed"))
        }
    }
}

fn decode_includes(node: &Node) -> DResult<Vec<Include>> {
    if node.value == Yaml::Null {
        return Ok(Vec::new());
    }
    let mut includes = Vec::new();
    for (key, value) in entries(node)? {
        let namespace = key_name(key);
        let mut include =
            Include { namespace: namespace.clone(), pos: key.pos, ..Include::default() };
        match &value.value {
            Yaml::Map(map) => {
                let mut taskfile = None;
                for (field, inner) in map {
                    match key_name(field).as_str() {
                        "taskfile" => taskfile = Some(text(inner)?),
                        "dir" => include.dir = Some(text(inner)?),
                        "optional" => include.optional = boolean(inner)?,
                        "internal" => include.internal = boolean(inner)?,
                        "flatten" => include.flatten = boolean(inner)?,
                        "aliases" => include.aliases = string_list(inner)?,
                        "excludes" => include.excludes = string_list(inner)?,
                        "vars" => include.vars = decode_vars(inner)?,
                        _ => {}
                    }
                }
                include.taskfile = match (taskfile, &include.dir) {
                    (Some(taskfile), _) => taskfile,
                    (None, Some(dir)) => dir.clone(),
                    (None, None) => {
                        return fail(
                            value,
                            format!("include `{namespace}` needs a `taskfile:` or a `dir:`"),
                        );
                    }
                };
            }
            _ => {
                include.taskfile = text(value)?;
                include.string_form = true;
            }
        }
        includes.push(include);
    }
    Ok(includes)
}

fn decode_tasks(node: &Node, unknown: &mut Vec<(String, Pos)>) -> DResult<Vec<TaskDef>> {
    if node.value == Yaml::Null {
        return Ok(Vec::new());
    }
    let mut tasks = Vec::new();
    for (key, value) in entries(node)? {
        let mut task = decode_task(value, unknown)?;
        task.name = key_name(key);
        task.pos = key.pos;
        tasks.push(task);
    }
    Ok(tasks)
}

/// Decodes a task in any of its three forms.
pub(crate) fn decode_task(node: &Node, unknown: &mut Vec<(String, Pos)>) -> DResult<TaskDef> {
    let mut task = TaskDef::default();
    let map = match &node.value {
        Yaml::Null => return Ok(task),
        Yaml::List(_) => {
            task.cmds = decode_cmds(node)?;
            return Ok(task);
        }
        Yaml::Map(map) => map,
        _ => {
            task.cmds = vec![CmdDef::Shell(ShellCmd { cmd: text(node)?, ..ShellCmd::default() })];
            return Ok(task);
        }
    };
    let mut cmd = None;
    let mut has_cmds = false;
    for (key, value) in map {
        match key_name(key).as_str() {
            "cmds" => {
                has_cmds = true;
                task.cmds = decode_cmds(value)?;
            }
            "cmd" => cmd = Some((key, decode_cmd(value)?)),
            "deps" => task.deps = list(value)?.iter().map(decode_call).collect::<DResult<_>>()?,
            "desc" => task.desc = Some(text(value)?),
            "summary" => task.summary = Some(text(value)?),
            "sources" => task.sources = decode_globs(value)?,
            "generates" => task.generates = decode_globs(value)?,
            "status" => task.status = text_list(value)?,
            "preconditions" => {
                task.preconditions =
                    list(value)?.iter().map(decode_precondition).collect::<DResult<_>>()?
            }
            "requires" => task.requires = decode_requires(value)?,
            "dir" => task.dir = Some(text(value)?),
            "env" => task.env = decode_vars(value)?,
            "dotenv" => task.dotenv = text_list(value)?,
            "vars" => task.vars = decode_vars(value)?,
            "method" => task.method = Some(text(value)?),
            "run" => task.run = Some(decode_run(value)?),
            "internal" => task.internal = boolean(value)?,
            "aliases" => task.aliases = text_list(value)?,
            "platforms" => task.platforms = decode_platforms(value)?,
            "ignore_error" => task.ignore_error = boolean(value)?,
            "prefix" => task.prefix = Some(text(value)?),
            "label" => task.label = Some(text(value)?),
            "if" => task.if_cond = Some(text(value)?),
            "prompt" => {
                task.prompt = match &value.value {
                    Yaml::List(_) => text_list(value)?,
                    _ => vec![text(value)?],
                }
            }
            "failfast" => task.failfast = boolean(value)?,
            "silent" => task.silent = Some(boolean(value)?),
            "interactive" => task.interactive = boolean(value)?,
            "set" => task.set = string_list(value)?,
            "shopt" => task.shopt = string_list(value)?,
            "scopes" => task.scopes = decode_scopes(value)?,
            "watch" | "use_gitignore" => {}
            other => unknown.push((other.to_string(), key.pos)),
        }
    }
    if let Some((key, cmd)) = cmd {
        if has_cmds {
            return fail(key, "a task cannot have both `cmd` and `cmds`: keep one of them");
        }
        task.cmds = vec![cmd];
    }
    Ok(task)
}

fn decode_cmds(node: &Node) -> DResult<Vec<CmdDef>> {
    let mut cmds = Vec::new();
    for item in list(node)? {
        if item.value != Yaml::Null {
            cmds.push(decode_cmd(item)?);
        }
    }
    Ok(cmds)
}

fn decode_cmd(node: &Node) -> DResult<CmdDef> {
    let Yaml::Map(map) = &node.value else {
        return Ok(CmdDef::Shell(ShellCmd { cmd: text(node)?, ..ShellCmd::default() }));
    };
    if let Some(deferred) = node.get("defer") {
        let mut inner = decode_cmd(deferred)?;
        let silent = node.get("silent").map(boolean).transpose()?.unwrap_or(false);
        let timeout = node.get("timeout").map(decode_timeout).transpose()?;
        match &mut inner {
            CmdDef::Shell(shell) => {
                shell.silent |= silent;
                shell.timeout = shell.timeout.take().or(timeout);
            }
            CmdDef::Call(call) => {
                call.silent |= silent;
                call.timeout = call.timeout.take().or(timeout);
            }
            CmdDef::Defer(_) => {}
        }
        return Ok(CmdDef::Defer(Box::new(inner)));
    }
    if node.get("task").is_some() {
        return Ok(CmdDef::Call(decode_call(node)?));
    }
    let Some(cmd) = node.get("cmd") else {
        return fail(node, "invalid command: a command map takes `cmd`, `task` or `defer`");
    };
    let mut shell = ShellCmd { cmd: text(cmd)?, ..ShellCmd::default() };
    for (key, value) in map {
        match key_name(key).as_str() {
            "silent" => shell.silent = boolean(value)?,
            "ignore_error" => shell.ignore_error = boolean(value)?,
            "set" => shell.set = string_list(value)?,
            "shopt" => shell.shopt = string_list(value)?,
            "platforms" => shell.platforms = decode_platforms(value)?,
            "if" => shell.if_cond = Some(text(value)?),
            "for" => shell.for_loop = Some(decode_for(value)?),
            "timeout" => shell.timeout = Some(decode_timeout(value)?),
            _ => {}
        }
    }
    Ok(CmdDef::Shell(shell))
}

fn decode_timeout(node: &Node) -> DResult<(String, std::time::Duration)> {
    let written = string(node)?;
    match parse_duration(&written) {
        Some(duration) => Ok((written, duration)),
        None => fail(
            node,
            format!("invalid timeout `{written}`: expected a duration such as 500ms, 10s or 1m30s"),
        ),
    }
}

/// Parses a Go duration: a sequence of numbers with units `ns`, `us`,
/// `ms`, `s`, `m` or `h`, such as `1m30s` or `1.5s`.
pub(crate) fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let mut rest = text.trim();
    if rest == "0" {
        return Some(std::time::Duration::ZERO);
    }
    let mut seconds = 0.0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        seconds += number * scale;
        rest = &rest[unit_len..];
    }
    Some(std::time::Duration::from_secs_f64(seconds))
}

fn decode_call(node: &Node) -> DResult<CallDef> {
    let Yaml::Map(map) = &node.value else {
        return Ok(CallDef { task: text(node)?, ..CallDef::default() });
    };
    let Some(task) = node.get("task") else {
        return fail(node, "invalid call: a dependency map takes `task`");
    };
    let mut call = CallDef { task: text(task)?, ..CallDef::default() };
    for (key, value) in map {
        match key_name(key).as_str() {
            "vars" => call.vars = decode_vars(value)?,
            "silent" => call.silent = boolean(value)?,
            "ignore_error" => call.ignore_error = boolean(value)?,
            "if" => call.if_cond = Some(text(value)?),
            "for" => call.for_loop = Some(decode_for(value)?),
            "timeout" => call.timeout = Some(decode_timeout(value)?),
            _ => {}
        }
    }
    Ok(call)
}

fn decode_for(node: &Node) -> DResult<ForDef> {
    match &node.value {
        Yaml::List(items) => Ok(ForDef::List(items.iter().map(to_value).collect(), None)),
        Yaml::String(s) if s == "sources" => Ok(ForDef::Sources(None)),
        Yaml::String(s) if s == "generates" => Ok(ForDef::Generates(None)),
        Yaml::Map(_) => {
            let as_name = node.get("as").map(string).transpose()?;
            if let Some(var) = node.get("var") {
                let split = node.get("split").map(string).transpose()?;
                return Ok(ForDef::Var { var: string(var)?, split, as_name });
            }
            if let Some(matrix) = node.get("matrix") {
                let mut rows = Vec::new();
                for (key, values) in entries(matrix)? {
                    rows.push((key_name(key), list(values)?.iter().map(to_value).collect()));
                }
                return Ok(ForDef::Matrix(rows, as_name));
            }
            fail(node, "invalid `for`: a map takes `var` or `matrix`")
        }
        _ => fail(node, "invalid `for`: expected a list, `sources`, `generates` or a map"),
    }
}

fn decode_globs(node: &Node) -> DResult<Vec<GlobDef>> {
    let mut globs = Vec::new();
    for item in list(node)? {
        match item.get("exclude") {
            Some(pattern) => globs.push(GlobDef { pattern: text(pattern)?, exclude: true }),
            None => globs.push(GlobDef { pattern: text(item)?, exclude: false }),
        }
    }
    Ok(globs)
}

fn decode_precondition(node: &Node) -> DResult<Precondition> {
    if let Yaml::Map(_) = node.value {
        let Some(sh) = node.get("sh") else {
            return fail(node, "invalid precondition: a precondition map takes `sh`");
        };
        let msg = node.get("msg").map(text).transpose()?;
        return Ok(Precondition { sh: text(sh)?, msg });
    }
    Ok(Precondition { sh: text(node)?, msg: None })
}

fn decode_requires(node: &Node) -> DResult<Vec<Require>> {
    let Some(vars) = node.get("vars") else {
        return Ok(Vec::new());
    };
    let mut requires = Vec::new();
    for item in list(vars)? {
        let Yaml::Map(_) = item.value else {
            requires.push(Require { name: string(item)?, enum_values: None, enum_ref: None });
            continue;
        };
        let Some(name) = item.get("name") else {
            return fail(item, "invalid required variable: a map takes `name`");
        };
        let mut require = Require { name: string(name)?, enum_values: None, enum_ref: None };
        if let Some(values) = item.get("enum") {
            match values.get("ref") {
                Some(reference) => require.enum_ref = Some(text(reference)?),
                None => require.enum_values = Some(string_list(values)?),
            }
        }
        requires.push(require);
    }
    Ok(requires)
}

fn decode_platforms(node: &Node) -> DResult<Vec<Platform>> {
    let mut platforms = Vec::new();
    for item in list(node)? {
        let name = string(item)?;
        let platform = match name.split_once('/') {
            Some((os, arch)) if GO_OSES.contains(&os) && GO_ARCHES.contains(&arch) => {
                Platform { os: Some(os.to_string()), arch: Some(arch.to_string()) }
            }
            None if GO_OSES.contains(&name.as_str()) => Platform { os: Some(name), arch: None },
            None if GO_ARCHES.contains(&name.as_str()) => Platform { os: None, arch: Some(name) },
            _ => {
                return fail(
                    item,
                    format!(
                        "invalid platform `{name}`: expected an OS, an architecture or OS/ARCH"
                    ),
                );
            }
        };
        platforms.push(platform);
    }
    Ok(platforms)
}

fn decode_scopes(node: &Node) -> DResult<Vec<ScopeDef>> {
    let mut scopes = Vec::new();
    for item in list(node)? {
        let Yaml::Map(_) = item.value else {
            scopes.push(ScopeDef::Path { path: string(item)?, mode: ScopeMode::Exec });
            continue;
        };
        if let Some(network) = item.get("network") {
            scopes.push(decode_network(network)?);
        } else if let Some(preset) = item.get("preset") {
            let name = string(preset)?;
            if !["rust", "git-config", "python3", "terminal", "proc"].contains(&name.as_str()) {
                return fail(
                    preset,
                    format!(
                        "unknown scope preset `{name}`: expected rust, git-config, python3, \
                         terminal or proc"
                    ),
                );
            }
            scopes.push(ScopeDef::Preset(name));
        } else if let Some(path) = item.get("path") {
            let path = string(path)?;
            let mode = match item.get("mode") {
                None if !path.contains('/') => {
                    scopes.push(ScopeDef::Program(path));
                    continue;
                }
                None => ScopeMode::Exec,
                Some(mode) => match string(mode)?.as_str() {
                    "r" | "ro" | "read" => ScopeMode::Read,
                    "rx" | "exec" => ScopeMode::Exec,
                    "rw" | "write" => ScopeMode::Write,
                    other => {
                        return fail(
                            mode,
                            format!("invalid scope mode `{other}`: expected r, rx or rw"),
                        );
                    }
                },
            };
            scopes.push(ScopeDef::Path { path, mode });
        } else {
            return fail(item, "invalid scope: a scope map takes `path`, `network` or `preset`");
        }
    }
    Ok(scopes)
}

fn decode_network(node: &Node) -> DResult<ScopeDef> {
    let value = string(node)?;
    if value == "all" {
        return Ok(ScopeDef::Network);
    }
    let parsed = value.split_once(':').and_then(|(kind, port)| Some((kind, port.parse().ok()?)));
    match parsed {
        Some(("tcp-connect", port)) => Ok(ScopeDef::TcpConnect(port)),
        Some(("tcp-bind", port)) => Ok(ScopeDef::TcpBind(port)),
        _ => fail(
            node,
            format!(
                "invalid network scope `{value}`: expected `all`, `tcp-connect:PORT` or \
                 `tcp-bind:PORT`"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskfile::yaml;

    fn task(text: &str) -> TaskDef {
        decode_task(&yaml::parse(text).unwrap(), &mut Vec::new()).unwrap()
    }

    fn decode_error(text: &str) -> Decode {
        decode_task(&yaml::parse(text).unwrap(), &mut Vec::new()).unwrap_err()
    }

    fn shell_text(cmd: &CmdDef) -> &str {
        match cmd {
            CmdDef::Shell(shell) => &shell.cmd.text,
            other => panic!("not a shell command: {other:?}"),
        }
    }

    #[test]
    fn task_string_form_is_one_command() {
        let file =
            decode_taskfile(&yaml::parse("version: 3\ntasks:\n  a: echo hi\n").unwrap()).unwrap();
        assert_eq!(file.tasks[0].name, "a");
        assert_eq!(file.tasks[0].cmds.len(), 1);
        assert_eq!(shell_text(&file.tasks[0].cmds[0]), "echo hi");
    }

    #[test]
    fn task_list_form_is_cmds() {
        let task = decode_task(&yaml::parse("- echo one\n- echo two\n").unwrap(), &mut Vec::new())
            .unwrap();
        let texts: Vec<&str> = task.cmds.iter().map(shell_text).collect();
        assert_eq!(texts, ["echo one", "echo two"]);
    }

    #[test]
    fn cmd_key_is_one_command() {
        let task = task("cmd: echo single\n");
        assert_eq!(shell_text(&task.cmds[0]), "echo single");
    }

    #[test]
    fn cmd_map_forms_decode() {
        let task = task(
            "cmds:\n  - cmd: echo a\n    silent: true\n    ignore_error: true\n    if: test 1\n  \
             - defer: echo bye\n  - defer: {task: cleanup}\n  - task: other\n    silent: true\n",
        );
        let CmdDef::Shell(shell) = &task.cmds[0] else { panic!("not a shell command") };
        assert!(shell.silent);
        assert!(shell.ignore_error);
        assert_eq!(shell.if_cond.as_ref().map(|t| t.text.as_str()), Some("test 1"));
        let CmdDef::Defer(inner) = &task.cmds[1] else { panic!("not a defer") };
        assert_eq!(shell_text(inner), "echo bye");
        let CmdDef::Defer(inner) = &task.cmds[2] else { panic!("not a defer") };
        assert!(matches!(inner.as_ref(), CmdDef::Call(call) if call.task.text == "cleanup"));
        let CmdDef::Call(call) = &task.cmds[3] else { panic!("not a call") };
        assert!(call.silent);
    }

    #[test]
    fn deps_string_and_map_forms() {
        let task = task("deps:\n  - plain\n  - task: mapped\n    vars: {X: 1}\n");
        assert_eq!(task.deps[0].task.text, "plain");
        assert_eq!(task.deps[1].task.text, "mapped");
        assert_eq!(task.deps[1].vars[0].value, VarValue::Static(Value::Int(1)));
    }

    #[test]
    fn preconditions_string_and_map_forms() {
        let task = task("preconditions:\n  - test -f a\n  - sh: test -f b\n    msg: need b\n");
        assert_eq!(
            task.preconditions[0],
            Precondition { sh: task.preconditions[0].sh.clone(), msg: None }
        );
        assert_eq!(task.preconditions[0].sh.text, "test -f a");
        assert_eq!(task.preconditions[1].msg.as_ref().map(|m| m.text.as_str()), Some("need b"));
    }

    #[test]
    fn var_forms_decode() {
        let vars = decode_vars(
            &yaml::parse(
                "S: text\nN: 3\nL: [a, b]\nD:\n  sh: echo hi\nR:\n  ref: .L\nM:\n  map: {k: v}\n\
                 V:\n  value: 1.5\n",
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(vars[0].value, VarValue::Static(Value::String("text".into())));
        assert_eq!(vars[1].value, VarValue::Static(Value::Int(3)));
        assert!(matches!(&vars[2].value, VarValue::Static(Value::List(items)) if items.len() == 2));
        assert!(matches!(&vars[3].value, VarValue::Sh(cmd) if cmd.text == "echo hi"));
        assert!(matches!(&vars[4].value, VarValue::Ref(expr) if expr.text == ".L"));
        assert!(matches!(&vars[5].value, VarValue::Static(Value::Map(map)) if map.len() == 1));
        assert_eq!(vars[6].value, VarValue::Static(Value::Float(1.5)));
    }

    #[test]
    fn bare_map_var_is_rejected_with_position() {
        let error = decode_vars(&yaml::parse("X:\n  foo: 1\n").unwrap()).unwrap_err();
        assert_eq!((error.pos.line, error.pos.column), (2, 3));
        assert!(error.message.contains("invalid key `foo` in variable `X`"), "{}", error.message);
    }

    #[test]
    fn cmd_and_cmds_together_are_rejected() {
        let error = decode_error("cmd: a\ncmds: [b]\n");
        assert_eq!((error.pos.line, error.pos.column), (1, 1));
    }

    #[test]
    fn requires_forms_decode() {
        let task = task(
            "requires:\n  vars:\n    - A\n    - name: B\n      enum: [x, y]\n    - name: C\n      enum: {ref: .L}\n",
        );
        assert_eq!(task.requires[0].name, "A");
        assert_eq!(task.requires[1].enum_values, Some(vec!["x".to_string(), "y".to_string()]));
        assert_eq!(task.requires[2].enum_ref.as_ref().map(|r| r.text.as_str()), Some(".L"));
    }

    #[test]
    fn sources_with_exclude_decode() {
        let task = task("sources:\n  - src/**/*.rs\n  - exclude: src/gen/*\n");
        assert!(!task.sources[0].exclude);
        assert!(task.sources[1].exclude);
        assert_eq!(task.sources[1].pattern.text, "src/gen/*");
    }

    #[test]
    fn prompt_string_or_list() {
        assert_eq!(task("prompt: sure?\n").prompt.len(), 1);
        assert_eq!(task("prompt: [one, two]\n").prompt.len(), 2);
    }

    #[test]
    fn platforms_are_validated() {
        let task = task("platforms: [linux, darwin/arm64, amd64]\n");
        assert_eq!(task.platforms.len(), 3);
        let error = decode_error("platforms: [beos]\n");
        assert!(error.message.contains("invalid platform `beos`"), "{}", error.message);
    }

    #[test]
    fn for_forms_decode() {
        let task = task(
            "cmds:\n  - for: [a, b]\n    cmd: echo\n  - for: sources\n    cmd: echo\n  \
             - for: {var: X, split: ',', as: V}\n    cmd: echo\n  - for: {matrix: {A: [1, 2]}}\n    cmd: echo\n",
        );
        let loops: Vec<&ForDef> = task
            .cmds
            .iter()
            .map(|c| match c {
                CmdDef::Shell(shell) => shell.for_loop.as_ref().unwrap(),
                _ => panic!("not a shell command"),
            })
            .collect();
        assert!(matches!(loops[0], ForDef::List(items, None) if items.len() == 2));
        assert_eq!(loops[1], &ForDef::Sources(None));
        assert!(
            matches!(loops[2], ForDef::Var { var, split: Some(sep), as_name: Some(name) } if var == "X" && sep == "," && name == "V")
        );
        assert!(matches!(loops[3], ForDef::Matrix(rows, None) if rows.len() == 1));
    }

    #[test]
    fn includes_string_and_map_forms() {
        let root = yaml::parse(
            "version: 3\nincludes:\n  a: ./a\n  b:\n    taskfile: ./b.yml\n    dir: ./b\n    \
             optional: true\n    flatten: true\n    internal: true\n    aliases: [bb]\n    \
             excludes: [x]\n    vars: {V: 1}\n  c:\n    dir: ./c\n",
        )
        .unwrap();
        let file = decode_taskfile(&root).unwrap();
        assert!(file.includes[0].string_form);
        let b = &file.includes[1];
        assert!(b.optional);
        assert!(b.flatten);
        assert!(b.internal);
        assert!(!b.string_form);
        assert_eq!(b.aliases, ["bb"]);
        assert_eq!(b.excludes, ["x"]);
        assert_eq!(b.vars.len(), 1);
        assert_eq!(file.includes[2].taskfile.text, "./c");
        let error = decode_taskfile(&yaml::parse("includes:\n  d:\n    optional: true\n").unwrap())
            .unwrap_err();
        assert!(error.message.contains("needs a `taskfile:` or a `dir:`"), "{}", error.message);
    }

    #[test]
    fn output_and_method_forms() {
        let file = decode_taskfile(
            &yaml::parse(
                "output:\n  group:\n    begin: '>'\n    error_only: true\nmethod: timestamp\n",
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            file.output,
            Some(Output::Group { begin: Some(">".into()), end: None, error_only: true })
        );
        assert_eq!(file.method.map(|m| m.text), Some("timestamp".to_string()));
        let error = decode_taskfile(&yaml::parse("run: twice\n").unwrap()).unwrap_err();
        assert!(error.message.contains("invalid run mode `twice`"), "{}", error.message);
    }

    #[test]
    fn unknown_keys_are_collected() {
        let mut unknown = Vec::new();
        decode_task(&yaml::parse("desc: x\nbogus: 1\n").unwrap(), &mut unknown).unwrap();
        assert_eq!(unknown, [("bogus".to_string(), Pos { line: 2, column: 1 })]);
    }

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("500ms"), Some(std::time::Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Some(std::time::Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Some(std::time::Duration::from_millis(1500)));
        assert_eq!(parse_duration("5 parsecs"), None);
    }

    #[test]
    fn call_with_vars_decodes() {
        let task = task("cmds:\n  - task: step\n    vars:\n      N: '2'\n");
        let CmdDef::Call(call) = &task.cmds[0] else { panic!("not a call: {:?}", task.cmds) };
        assert_eq!(call.task.text, "step");
        assert_eq!(call.vars.len(), 1, "{call:?}");
    }
}
