//! Compiling one task call: resolving its variables and rendering every
//! templated field, the way go-task compiles a task right before it runs it.
//!
//! A compiled task is specific to one call: its vars (call vars included),
//! its directory, environment, commands with `for:` loops expanded, deps,
//! globs, status and preconditions, all rendered. Deferred commands stay
//! unrendered, because go-task renders them when they run, with `EXIT_CODE`.

use std::path::{Path, PathBuf};

use super::ast::{CallDef, CmdDef, ForDef, Text, VarDef};
use super::exec::Failure;
use super::glob;
use super::load::{Project, TaskEntry};
use super::template::Value;
use super::vars::{self, Resolver, Vars};

/// A request to run a task: the name as written and the vars passed to it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Call {
    pub(crate) task: String,
    pub(crate) vars: Vec<(String, Value)>,
    pub(crate) silent: bool,
    /// The limit on the whole call, as written and as a duration.
    pub(crate) timeout: Option<(String, std::time::Duration)>,
}

/// A compiled command of a task.
#[derive(Clone, Debug)]
pub(crate) enum Cmd {
    Shell {
        cmd: String,
        /// The command as echoed: rendered with secrets masked.
        shown: String,
        silent: bool,
        ignore_error: bool,
        set: Vec<String>,
        shopt: Vec<String>,
        if_cond: Option<String>,
        timeout: Option<(String, std::time::Duration)>,
    },
    Call {
        call: Call,
        ignore_error: bool,
        if_cond: Option<String>,
    },
    /// Rendered when it runs.
    Defer(CmdDef),
}

/// A task ready to run for one call.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub(crate) index: usize,
    /// `TASK`: the full name, or the name that matched a wildcard task.
    pub(crate) name: String,
    /// The name in messages and the command echo: `label:` or the name.
    pub(crate) label: String,
    pub(crate) vars: Vars,
    pub(crate) dir: PathBuf,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) cmds: Vec<Cmd>,
    pub(crate) deps: Vec<Call>,
    pub(crate) sources: Vec<(String, bool)>,
    pub(crate) generates: Vec<(String, bool)>,
    pub(crate) status: Vec<String>,
    pub(crate) preconditions: Vec<(String, Option<String>)>,
    pub(crate) method: String,
    pub(crate) run: String,
    pub(crate) prefix: String,
    pub(crate) prompt: Vec<String>,
    pub(crate) if_cond: Option<String>,
    pub(crate) silent: bool,
    pub(crate) ignore_error: bool,
    pub(crate) failfast: bool,
    pub(crate) interactive: bool,
    pub(crate) set: Vec<String>,
    pub(crate) shopt: Vec<String>,
    pub(crate) desc: Option<String>,
    pub(crate) summary: Option<String>,
    /// Names of the `secret: true` vars in the task's scope.
    pub(crate) secrets: Vec<String>,
}

/// The resolved global layers that every compilation of a run shares.
pub(crate) struct Globals {
    /// Layers 1 to 4: OS env, special vars, global env and dotenv, global
    /// vars with CLI vars.
    pub(crate) vars: Vars,
    /// The root dotenv entries in order, for command environments. The
    /// global `env:` entries are rendered again per task, with its vars.
    pub(crate) dotenv: Vec<(String, Value)>,
    /// Whether the Taskfile's env beats the OS env (`TASK_X_ENV_PRECEDENCE=1`).
    pub(crate) taskfile_env_wins: bool,
}

/// Settings that special vars expose.
#[derive(Clone, Debug, Default)]
pub(crate) struct CliVars {
    pub(crate) cli_vars: Vec<(String, String)>,
    pub(crate) cli_args: Vec<String>,
    pub(crate) force: bool,
    pub(crate) silent: bool,
    pub(crate) verbose: bool,
    pub(crate) assume_yes: bool,
}

/// Resolves layers 1 to 4 once per process.
pub(crate) fn globals(
    project: &Project,
    resolver: &Resolver,
    cli: &CliVars,
) -> Result<Globals, Failure> {
    let mut vars: Vars = std::env::vars().map(|(k, v)| (k, Value::String(v))).collect();
    let user_working_dir = std::env::current_dir().unwrap_or_else(|_| project.root_dir.clone());
    insert_path(&mut vars, "ROOT_DIR", &project.root_dir);
    insert_path(&mut vars, "ROOT_TASKFILE", project.root_taskfile());
    insert_path(&mut vars, "USER_WORKING_DIR", &user_working_dir);
    let exe = std::env::current_exe().unwrap_or_default();
    insert_path(&mut vars, "TASK_EXE", &exe);
    vars.insert("TASK_VERSION".into(), Value::String("3.54.0".into()));
    vars.insert("PATH_LIST_SEPARATOR".into(), Value::String(":".into()));
    vars.insert("FILE_PATH_SEPARATOR".into(), Value::String("/".into()));
    let quoted: Vec<String> = cli.cli_args.iter().map(|a| shell_quote(a)).collect();
    vars.insert("CLI_ARGS".into(), Value::String(quoted.join(" ")));
    vars.insert(
        "CLI_ARGS_LIST".into(),
        Value::List(cli.cli_args.iter().cloned().map(Value::String).collect()),
    );
    vars.insert("CLI_FORCE".into(), Value::Bool(cli.force));
    vars.insert("CLI_SILENT".into(), Value::Bool(cli.silent));
    vars.insert("CLI_VERBOSE".into(), Value::Bool(cli.verbose));
    vars.insert("CLI_OFFLINE".into(), Value::Bool(false));
    vars.insert("CLI_ASSUME_YES".into(), Value::Bool(cli.assume_yes));

    let root = project.root_dir.clone();
    for (def, file) in &project.env {
        let value = resolver.eval(project, *file, def, &vars, &root)?;
        vars.insert(def.name.clone(), value);
    }
    let mut dotenv = Vec::new();
    for file in &project.dotenv {
        let name = resolver.render(project, 0, file, &vars)?;
        let path = root.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        for (key, value) in super::dotenv::parse(&text) {
            let shadowed = project.env.iter().any(|(d, _)| d.name == key)
                || dotenv.iter().any(|(k, _)| *k == key);
            if shadowed {
                continue;
            }
            vars.insert(key.clone(), Value::String(value.clone()));
            dotenv.push((key, Value::String(value)));
        }
    }

    let mut defs: Vec<(VarDef, usize)> = project.vars.clone();
    for (name, value) in &cli.cli_vars {
        let def = cli_def(name, value);
        match defs.iter_mut().find(|(d, _)| d.name == *name) {
            Some(slot) => slot.0 = def,
            None => defs.push((def, 0)),
        }
    }
    resolver.eval_all(project, defs.iter().map(|(d, f)| (d, *f)), &mut vars, &root)?;

    let taskfile_env_wins = std::env::var("TASK_X_ENV_PRECEDENCE").is_ok_and(|v| v == "1");
    Ok(Globals { vars, dotenv, taskfile_env_wins })
}

fn cli_def(name: &str, value: &str) -> VarDef {
    VarDef {
        name: name.to_string(),
        pos: Default::default(),
        value: super::ast::VarValue::Static(Value::String(value.to_string())),
        text: None,
        secret: false,
    }
}

fn insert_path(vars: &mut Vars, key: &str, path: &Path) {
    vars.insert(key.to_string(), Value::String(path.to_string_lossy().into_owned()));
}

/// Quotes a word the way bash's `printf %q` would need it, which is how
/// go-task joins `CLI_ARGS`.
pub(crate) fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Finds the task a call names, seen from a task in `namespace`. Returns the
/// task's index and the `MATCH` captures of a wildcard name.
pub(crate) fn resolve(
    project: &Project,
    name: &str,
    namespace: &str,
) -> Option<(usize, Vec<String>)> {
    let (name, rooted) = match name.strip_prefix(':') {
        Some(rest) => (rest, true),
        None => (name, false),
    };
    let mut candidates = Vec::new();
    if !rooted && !namespace.is_empty() {
        candidates.push(format!("{namespace}:{name}"));
    }
    candidates.push(name.to_string());
    for candidate in &candidates {
        let exact = project.tasks.iter().position(|t| t.name == *candidate).or_else(|| {
            project.tasks.iter().position(|t| t.aliases.iter().any(|a| a == candidate))
        });
        if let Some(index) = exact {
            return Some((index, Vec::new()));
        }
    }
    for candidate in &candidates {
        for (index, task) in project.tasks.iter().enumerate() {
            if !task.name.contains('*') {
                continue;
            }
            if let Some(captures) = wildcard_match(&task.name, candidate) {
                return Some((index, captures));
            }
        }
    }
    None
}

/// Returns the tasks that share the alias `name` when there are several,
/// which go-task rejects with exit 203 when the alias is called.
pub(crate) fn alias_conflict(
    project: &Project,
    name: &str,
    namespace: &str,
) -> Option<Vec<String>> {
    let name = name.strip_prefix(':').unwrap_or(name);
    let mut candidates = vec![name.to_string()];
    if !namespace.is_empty() {
        candidates.insert(0, format!("{namespace}:{name}"));
    }
    for candidate in candidates {
        if project.tasks.iter().any(|t| t.name == candidate) {
            return None;
        }
        let sharing: Vec<String> = project
            .tasks
            .iter()
            .filter(|t| t.aliases.contains(&candidate))
            .map(|t| t.name.clone())
            .collect();
        if sharing.len() > 1 {
            return Some(sharing);
        }
        if sharing.len() == 1 {
            return None;
        }
    }
    None
}

/// Matches `name` against a task name where each `*` captures any text.
pub(crate) fn wildcard_match(pattern: &str, name: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name.strip_prefix(parts[0])?;
    let mut captures = Vec::new();
    for (i, part) in parts.iter().enumerate().skip(1) {
        let last = i == parts.len() - 1;
        let at = if last {
            if !rest.ends_with(part) {
                return None;
            }
            rest.len() - part.len()
        } else {
            rest.find(part)?
        };
        captures.push(rest[..at].to_string());
        rest = &rest[at + part.len()..];
    }
    Some(captures)
}

/// Compiles task `index` for `call`. `check_vars` receives the resolved
/// vars before any field is rendered, which is where go-task checks
/// `requires`.
pub(crate) fn compile(
    project: &Project,
    resolver: &Resolver,
    globals: &Globals,
    index: usize,
    call: &Call,
    captures: &[String],
    check_vars: &dyn Fn(usize, &Vars) -> Result<(), Failure>,
) -> Result<Compiled, Failure> {
    let entry = &project.tasks[index];
    let def = &entry.def;
    let file = entry.file;
    let task_name = if entry.name.contains('*') {
        call.task.trim_start_matches(':').to_string()
    } else {
        entry.name.clone()
    };

    let mut vars = globals.vars.clone();
    vars.insert("TASK".into(), Value::String(task_name.clone()));
    vars.insert("ALIAS".into(), Value::String(call.task.trim_start_matches(':').to_string()));
    let taskfile = &project.files[file].path;
    insert_path(&mut vars, "TASKFILE", taskfile);
    insert_path(&mut vars, "TASKFILE_DIR", taskfile.parent().unwrap_or(Path::new("/")));
    vars.insert("MATCH".into(), Value::List(captures.iter().cloned().map(Value::String).collect()));
    let tentative_dir = match &def.dir {
        Some(dir) if !dir.text.contains("{{") => join_dir(&entry.base_dir, &dir.text),
        _ => entry.base_dir.clone(),
    };
    insert_path(&mut vars, "TASK_DIR", &tentative_dir);

    resolver.eval_all(
        project,
        entry.include_vars.iter().map(|d| (d, file)),
        &mut vars,
        &entry.base_dir,
    )?;
    if let Some(snapshot) = &entry.vars_snapshot {
        let defs = snapshot.iter().map(|(d, f)| (d, *f));
        resolver.eval_all(project, defs, &mut vars, &entry.base_dir)?;
    }
    for (name, value) in &call.vars {
        vars.insert(name.clone(), value.clone());
    }
    resolver.eval_all(project, def.vars.iter().map(|d| (d, file)), &mut vars, &tentative_dir)?;
    check_vars(index, &vars)?;

    let render = |text: &Text, vars: &Vars| resolver.render(project, file, text, vars);
    let dir = match &def.dir {
        Some(dir) => join_dir(&entry.base_dir, &render(dir, &vars)?),
        None => entry.base_dir.clone(),
    };
    insert_path(&mut vars, "TASK_DIR", &dir);

    let mut env = globals.dotenv.clone();
    for (def_env, env_file) in &project.env {
        let value = resolver.eval(project, *env_file, def_env, &vars, &project.root_dir)?;
        env.push((def_env.name.clone(), value));
    }
    let mut task_env = Vec::new();
    for def_env in &def.env {
        let value = resolver.eval(project, file, def_env, &vars, &dir)?;
        task_env.push((def_env.name.clone(), value));
    }
    for dotenv in &def.dotenv {
        let path = dir.join(render(dotenv, &vars)?);
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        for (key, value) in super::dotenv::parse(&text) {
            if !task_env.iter().any(|(k, _)| *k == key) {
                env.push((key, Value::String(value)));
            }
        }
    }
    env.extend(task_env);
    let env = vars::command_env(env, globals.taskfile_env_wins);

    let label = match &def.label {
        Some(label) => render(label, &vars)?,
        None => task_name.clone(),
    };
    let globs = |list: &[super::ast::GlobDef]| -> Result<Vec<(String, bool)>, Failure> {
        list.iter().map(|g| Ok((render(&g.pattern, &vars)?, g.exclude))).collect()
    };
    let sources = globs(&def.sources)?;
    let generates = globs(&def.generates)?;
    let method = match &def.method {
        Some(method) => render(method, &vars)?,
        None => entry.file_method.clone().unwrap_or_else(|| "checksum".into()),
    };
    if !sources.is_empty() && mentions(def, "CHECKSUM") && method == "checksum" {
        let checksum = super::fingerprint::checksum_var(&dir, &sources);
        vars.insert("CHECKSUM".into(), Value::String(checksum));
    }
    if !sources.is_empty() && mentions(def, "TIMESTAMP") && method == "timestamp" {
        let timestamp = super::fingerprint::timestamp_var(&dir, &sources);
        vars.insert("TIMESTAMP".into(), Value::String(timestamp));
    }

    let mut compiled = Compiled {
        index,
        name: task_name.clone(),
        label,
        vars: Vars::new(),
        dir: dir.clone(),
        env,
        cmds: Vec::new(),
        deps: Vec::new(),
        sources,
        generates,
        status: def.status.iter().map(|s| render(s, &vars)).collect::<Result<_, _>>()?,
        preconditions: def
            .preconditions
            .iter()
            .map(|p| {
                Ok((render(&p.sh, &vars)?, p.msg.as_ref().map(|m| render(m, &vars)).transpose()?))
            })
            .collect::<Result<_, Failure>>()?,
        method,
        run: match &def.run {
            Some(run) => render(run, &vars)?,
            None => entry.file_run.clone().unwrap_or_else(|| "always".into()),
        },
        prefix: match &def.prefix {
            Some(prefix) => render(prefix, &vars)?,
            None => task_name,
        },
        prompt: def.prompt.iter().map(|p| render(p, &vars)).collect::<Result<_, _>>()?,
        if_cond: def.if_cond.as_ref().map(|c| render(c, &vars)).transpose()?,
        silent: def.silent.unwrap_or(entry.file_silent),
        ignore_error: def.ignore_error,
        failfast: def.failfast,
        interactive: def.interactive,
        set: project.set.iter().chain(&def.set).cloned().collect(),
        shopt: project.shopt.iter().chain(&def.shopt).cloned().collect(),
        desc: def.desc.as_ref().map(|d| render(d, &vars)).transpose()?,
        summary: def.summary.as_ref().map(|s| render(s, &vars)).transpose()?,
        secrets: secret_names(project, entry),
    };

    for dep in &def.deps {
        for item_vars in loop_items(&compiled, dep.for_loop.as_ref(), &vars)? {
            compiled.deps.push(compile_call(project, resolver, file, dep, &item_vars)?);
        }
    }
    for cmd in &def.cmds {
        compile_cmd(project, resolver, file, cmd, &vars, &mut compiled)?;
    }
    compiled.vars = vars;
    Ok(compiled)
}

/// Returns whether the task's commands, status, preconditions or deps name
/// the special var `name`, which go-task computes only then.
fn mentions(def: &super::ast::TaskDef, name: &str) -> bool {
    let needle = format!(".{name}");
    let in_cmd = |cmd: &CmdDef| match cmd {
        CmdDef::Shell(shell) => shell.cmd.text.contains(&needle),
        CmdDef::Call(call) => {
            call.vars.iter().any(|v| v.text.as_ref().is_some_and(|t| t.text.contains(&needle)))
        }
        CmdDef::Defer(_) => false,
    };
    def.cmds.iter().any(in_cmd)
        || def.status.iter().any(|s| s.text.contains(&needle))
        || def.preconditions.iter().any(|p| p.sh.text.contains(&needle))
        || def.deps.iter().any(|d| {
            d.vars.iter().any(|v| v.text.as_ref().is_some_and(|t| t.text.contains(&needle)))
        })
}

/// Collects the names of every secret var the task can see.
fn secret_names(project: &Project, entry: &TaskEntry) -> Vec<String> {
    let global = project.vars.iter().map(|(d, _)| d);
    let local = entry.include_vars.iter().chain(&entry.def.vars);
    global.chain(local).filter(|def| def.secret).map(|def| def.name.clone()).collect()
}

/// Returns `vars` with every secret replaced by `*****`. go-task renders
/// the command echo with these, so a secret never shows, even when empty.
pub(crate) fn masked(vars: &Vars, secrets: &[String]) -> Vars {
    let mut masked = vars.clone();
    for name in secrets {
        masked.insert(name.clone(), Value::String("*****".into()));
    }
    masked
}

fn join_dir(base: &Path, dir: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let dir = match (dir, dir.strip_prefix("~/"), home) {
        ("~", _, Some(home)) => home,
        (_, Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(dir),
    };
    super::load::normalize(&base.join(dir))
}

fn compile_call(
    project: &Project,
    resolver: &Resolver,
    file: usize,
    call: &CallDef,
    vars: &Vars,
) -> Result<Call, Failure> {
    let task = resolver.render(project, file, &call.task, vars)?;
    let mut call_vars = Vec::new();
    for def in &call.vars {
        call_vars
            .push((def.name.clone(), resolver.eval(project, file, def, vars, &project.root_dir)?));
    }
    Ok(Call { task, vars: call_vars, silent: call.silent, timeout: call.timeout.clone() })
}

fn compile_cmd(
    project: &Project,
    resolver: &Resolver,
    file: usize,
    cmd: &CmdDef,
    vars: &Vars,
    compiled: &mut Compiled,
) -> Result<(), Failure> {
    match cmd {
        CmdDef::Defer(inner) => compiled.cmds.push(Cmd::Defer((**inner).clone())),
        CmdDef::Shell(shell) => {
            if !platform_matches(&shell.platforms) {
                return Ok(());
            }
            for item_vars in loop_items(compiled, shell.for_loop.as_ref(), vars)? {
                let render = |text: &Text| resolver.render(project, file, text, &item_vars);
                let shown = match compiled.secrets.is_empty() {
                    true => render(&shell.cmd)?,
                    false => {
                        let masked_vars = masked(&item_vars, &compiled.secrets);
                        resolver.render(project, file, &shell.cmd, &masked_vars)?
                    }
                };
                compiled.cmds.push(Cmd::Shell {
                    cmd: render(&shell.cmd)?,
                    shown,
                    silent: shell.silent,
                    ignore_error: shell.ignore_error,
                    set: shell.set.clone(),
                    shopt: shell.shopt.clone(),
                    if_cond: shell.if_cond.as_ref().map(render).transpose()?,
                    timeout: shell.timeout.clone(),
                });
            }
        }
        CmdDef::Call(call) => {
            for item_vars in loop_items(compiled, call.for_loop.as_ref(), vars)? {
                let if_cond = call
                    .if_cond
                    .as_ref()
                    .map(|c| resolver.render(project, file, c, &item_vars))
                    .transpose()?;
                compiled.cmds.push(Cmd::Call {
                    call: compile_call(project, resolver, file, call, &item_vars)?,
                    ignore_error: call.ignore_error,
                    if_cond,
                });
            }
        }
    }
    Ok(())
}

/// Expands a `for:` loop into one var set per iteration; no loop gives one.
fn loop_items(
    compiled: &Compiled,
    for_loop: Option<&ForDef>,
    vars: &Vars,
) -> Result<Vec<Vars>, Failure> {
    let Some(for_loop) = for_loop else {
        return Ok(vec![vars.clone()]);
    };
    let with = |name: &Option<String>, items: Vec<(Option<String>, Value)>| {
        let name = name.clone().unwrap_or_else(|| "ITEM".into());
        items
            .into_iter()
            .map(|(key, item)| {
                let mut item_vars = vars.clone();
                item_vars.insert(name.clone(), item);
                if let Some(key) = key {
                    item_vars.insert("KEY".into(), Value::String(key));
                }
                item_vars
            })
            .collect::<Vec<_>>()
    };
    let files = |globs: &[(String, bool)]| -> Vec<(Option<String>, Value)> {
        glob::expand(&compiled.dir, globs)
            .into_iter()
            .map(|path| {
                let relative = path.strip_prefix(&compiled.dir).unwrap_or(&path);
                (None, Value::String(relative.to_string_lossy().into_owned()))
            })
            .collect()
    };
    Ok(match for_loop {
        ForDef::List(items, name) => with(name, items.iter().cloned().map(|v| (None, v)).collect()),
        ForDef::Sources(name) => with(name, files(&compiled.sources)),
        ForDef::Generates(name) => with(name, files(&compiled.generates)),
        ForDef::Var { var, split, as_name } => {
            let items: Vec<(Option<String>, Value)> = match vars.get(var) {
                Some(Value::List(items)) => items.iter().cloned().map(|v| (None, v)).collect(),
                Some(Value::Map(map)) => {
                    map.iter().map(|(k, v)| (Some(k.clone()), v.clone())).collect()
                }
                Some(value) => {
                    let text = value.to_go_string();
                    let words: Vec<String> = match split {
                        Some(sep) => text.split(sep.as_str()).map(str::to_string).collect(),
                        None => text.split_whitespace().map(str::to_string).collect(),
                    };
                    words.into_iter().map(|w| (None, Value::String(w))).collect()
                }
                None => Vec::new(),
            };
            with(as_name, items)
        }
        ForDef::Matrix(rows, name) => {
            let mut combos: Vec<std::collections::BTreeMap<String, Value>> =
                vec![Default::default()];
            for (key, values) in rows {
                let mut next = Vec::new();
                for combo in &combos {
                    for value in values {
                        let mut combo = combo.clone();
                        combo.insert(key.clone(), value.clone());
                        next.push(combo);
                    }
                }
                combos = next;
            }
            with(name, combos.into_iter().map(|c| (None, Value::Map(c))).collect())
        }
    })
}

/// Returns whether the running platform is in `platforms`. An empty list
/// matches every platform.
pub(crate) fn platform_matches(platforms: &[super::ast::Platform]) -> bool {
    if platforms.is_empty() {
        return true;
    }
    let os = go_os();
    let arch = go_arch();
    platforms.iter().any(|p| {
        p.os.as_deref().is_none_or(|o| o == os) && p.arch.as_deref().is_none_or(|a| a == arch)
    })
}

/// Returns the running OS under Go's name for it.
pub(crate) fn go_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

/// Returns the running architecture under Go's name for it.
pub(crate) fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskfile::load;

    const TASKFILE: &str = "version: '3'
env:
  E: from-env
vars:
  GLOBAL: global
  DERIVED: '{{.GLOBAL}}-derived'
  USES_NEW: '[{{.NEW}}]'
  HOME: from-vars
  FROM_ENV: '{{.E}}'
tasks:
  show:
    vars:
      FIXED: task
      SEES_CALL: 'call={{.CALLED}}'
    cmds:
      - echo
";

    fn compile_show(cli_vars: &[(&str, &str)], call_vars: &[(&str, &str)]) -> Vars {
        let project =
            load::load_project_str(Path::new("/tmp/Taskfile.yml"), TASKFILE.into(), None).unwrap();
        let resolver = Resolver::new(false);
        let cli = CliVars {
            cli_vars: cli_vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..CliVars::default()
        };
        let globals = globals(&project, &resolver, &cli).unwrap();
        let call = Call {
            task: "show".into(),
            vars: call_vars
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect(),
            silent: false,
            timeout: None,
        };
        compile(&project, &resolver, &globals, 0, &call, &[], &|_, _| Ok(())).unwrap().vars
    }

    fn text(vars: &Vars, key: &str) -> String {
        vars.get(key).map(Value::to_go_string).unwrap_or_default()
    }

    #[test]
    fn cli_var_replaces_global_in_place() {
        let vars = compile_show(&[("GLOBAL", "cli")], &[]);
        assert_eq!(text(&vars, "GLOBAL"), "cli");
        assert_eq!(text(&vars, "DERIVED"), "cli-derived");
    }

    #[test]
    fn undeclared_cli_var_comes_after_globals() {
        let vars = compile_show(&[("NEW", "set")], &[]);
        assert_eq!(text(&vars, "USES_NEW"), "[]");
        assert_eq!(text(&vars, "NEW"), "set");
    }

    #[test]
    fn task_vars_beat_cli_and_call_vars() {
        let vars = compile_show(&[("FIXED", "cli")], &[("FIXED", "call"), ("CALLED", "yes")]);
        assert_eq!(text(&vars, "FIXED"), "task");
        assert_eq!(text(&vars, "SEES_CALL"), "call=yes");
    }

    #[test]
    fn call_vars_beat_globals() {
        let vars = compile_show(&[], &[("GLOBAL", "call")]);
        assert_eq!(text(&vars, "GLOBAL"), "call");
        assert_eq!(text(&vars, "DERIVED"), "global-derived");
    }

    #[test]
    fn globals_beat_os_env() {
        let vars = compile_show(&[], &[]);
        assert_eq!(text(&vars, "HOME"), "from-vars");
        assert_eq!(text(&vars, "FROM_ENV"), "from-env");
        assert!(!text(&vars, "PATH").is_empty(), "the OS environment is a var source");
    }

    #[test]
    fn special_vars_are_set() {
        let vars = compile_show(&[], &[]);
        assert_eq!(text(&vars, "TASK"), "show");
        assert_eq!(text(&vars, "ROOT_DIR"), "/tmp");
        assert_eq!(text(&vars, "TASKFILE_DIR"), "/tmp");
        assert_eq!(text(&vars, "TASK_DIR"), "/tmp");
    }

    #[test]
    fn wildcard_names_capture() {
        assert_eq!(wildcard_match("deploy-*", "deploy-prod"), Some(vec!["prod".to_string()]));
        assert_eq!(wildcard_match("a-*-*", "a-x-y"), Some(vec!["x".to_string(), "y".to_string()]));
        assert_eq!(wildcard_match("deploy-*", "build"), None);
    }
}
