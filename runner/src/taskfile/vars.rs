//! Variables: evaluation of `vars:` and `env:` entries, and go-task's order
//! of precedence.
//!
//! For a task call, variables are layered from lowest to highest, each layer
//! evaluated in declaration order against everything below it:
//!
//! | layer | source |
//! |---|---|
//! | 1 | the OS environment |
//! | 2 | special vars (`TASK`, `ROOT_DIR`, `CLI_ARGS`, ...) |
//! | 3 | top-level `env:`, with the root `dotenv:` files below it |
//! | 4 | top-level `vars:`, CLI `NAME=value` replacing same-named entries in place |
//! | 5 | `vars:` of the include entries that led to the task |
//! | 6 | for map-form includes, the merged global vars again, without CLI vars |
//! | 7 | call vars, from `task:` calls and deps, evaluated by the caller |
//! | 8 | the task's own `vars:` |
//!
//! `sh:` values run in the shell with the OS environment plus every scalar
//! var resolved so far, and their output is cached by command text for the
//! whole process, as go-task caches it. Template output has every
//! `<no value>` removed, so missing keys render empty.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;

use super::ast::{Text, VarDef, VarValue};
use super::diagnostic;
use super::exec::Failure;
use super::load::{FileId, Project};
use super::shell;
use super::template::{self, Value};

/// Variables by name, as template data.
pub(crate) type Vars = BTreeMap<String, Value>;

/// Evaluates variables and templates for one process, with the `sh:` cache.
pub(crate) struct Resolver {
    sh_cache: Mutex<HashMap<String, Result<String, Failure>>>,
    /// Print `sh:` results, as go-task does with `-v`.
    pub(crate) verbose: bool,
    /// Give `sh:` vars an empty value without running them, for `--summary`.
    pub(crate) skip_sh: bool,
}

impl Resolver {
    pub(crate) fn new(verbose: bool) -> Resolver {
        Resolver { sh_cache: Mutex::new(HashMap::new()), verbose, skip_sh: false }
    }

    /// Renders `text` when it contains `{{`, reporting errors at its position.
    pub(crate) fn render(
        &self,
        project: &Project,
        file: FileId,
        text: &Text,
        vars: &Vars,
    ) -> Result<String, Failure> {
        render_at(project, file, &text.text, text, vars)
    }

    /// Evaluates every definition in order into `vars`.
    pub(crate) fn eval_all<'a>(
        &self,
        project: &Project,
        defs: impl IntoIterator<Item = (&'a VarDef, FileId)>,
        vars: &mut Vars,
        dir: &Path,
    ) -> Result<(), Failure> {
        for (def, file) in defs {
            let value = self.eval(project, file, def, vars, dir)?;
            vars.insert(def.name.clone(), value);
        }
        Ok(())
    }

    /// Evaluates one definition against `vars`.
    pub(crate) fn eval(
        &self,
        project: &Project,
        file: FileId,
        def: &VarDef,
        vars: &Vars,
        dir: &Path,
    ) -> Result<Value, Failure> {
        match &def.value {
            VarValue::Static(value) => {
                let at = def.text.clone().unwrap_or(Text { text: String::new(), pos: def.pos });
                render_value(project, file, value, &at, vars)
            }
            VarValue::Sh(cmd) => {
                let cmd = self.render(project, file, cmd, vars)?;
                self.sh(&cmd, dir, vars).map(Value::String)
            }
            VarValue::Ref(expr) => Ok(resolve_ref(project, file, expr, vars)?),
        }
    }

    /// Runs a dynamic variable's command, or returns its cached output.
    pub(crate) fn sh(&self, cmd: &str, dir: &Path, vars: &Vars) -> Result<String, Failure> {
        if self.skip_sh {
            return Ok(String::new());
        }
        if let Some(cached) = self.sh_cache.lock().unwrap_or_else(|e| e.into_inner()).get(cmd) {
            return cached.clone();
        }
        let env: Vec<(String, String)> = vars
            .iter()
            .filter_map(|(k, v)| scalar(v).map(|s| (k.clone(), s)))
            .filter(|(k, _)| std::env::var_os(k).is_none())
            .collect();
        let script = shell::script(cmd, &[], &[]);
        let mut command = shell::command(&script, existing_ancestor(dir), &env);
        command.stderr(std::process::Stdio::inherit()).stdin(std::process::Stdio::inherit());
        let result = match command.output() {
            Ok(output) if output.status.success() => {
                let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
                if text.ends_with("\r\n") {
                    text.truncate(text.len() - 2);
                } else if text.ends_with('\n') {
                    text.pop();
                }
                if self.verbose {
                    errln!("task: dynamic variable: \"{cmd}\" result: \"{text}\"");
                }
                Ok(text)
            }
            Ok(output) => Err(Failure::Other {
                message: format!(
                    "task: Command \"{cmd}\" failed: {}",
                    shell::describe_status(output.status)
                ),
                code: 1,
            }),
            Err(error) => Err(Failure::Other {
                message: format!("task: Command \"{cmd}\" failed: {error}"),
                code: 1,
            }),
        };
        self.sh_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(cmd.to_string(), result.clone());
        result
    }
}

/// Returns the nearest existing ancestor of `dir`. A task's `dir` may not
/// exist yet when its `sh:` vars run, because it is created just before the
/// commands.
pub(crate) fn existing_ancestor(dir: &Path) -> &Path {
    let mut current = dir;
    while !current.is_dir() {
        match current.parent() {
            Some(parent) => current = parent,
            None => break,
        }
    }
    current
}

/// Returns the text of a scalar value, or `None` for lists, maps and nil.
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Nil | Value::List(_) | Value::Map(_) => None,
        other => Some(other.to_go_string()),
    }
}

/// Renders `source` (a template taken from `at`) with `vars`.
pub(crate) fn render_at(
    project: &Project,
    file: FileId,
    source: &str,
    at: &Text,
    vars: &Vars,
) -> Result<String, Failure> {
    if !source.contains("{{") {
        return Ok(source.to_string());
    }
    let data = Value::Map(vars.clone());
    match template::render(source, &data) {
        Ok(text) => Ok(text.replace("<no value>", "")),
        Err(error) => {
            let file = &project.files[file];
            let pos = diagnostic::locate(&file.text, at.pos, source, error.offset);
            let message = format!("task: invalid template: {}", error.message);
            Err(Failure::Other {
                message: diagnostic::render(&message, &file.path, &file.text, pos),
                code: diagnostic::code::TEMPLATE,
            })
        }
    }
}

fn render_value(
    project: &Project,
    file: FileId,
    value: &Value,
    at: &Text,
    vars: &Vars,
) -> Result<Value, Failure> {
    Ok(match value {
        Value::String(s) => Value::String(render_at(project, file, s, at, vars)?),
        Value::List(items) => Value::List(
            items
                .iter()
                .map(|item| render_value(project, file, item, at, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_value(project, file, v, at, vars)?)))
                .collect::<Result<_, Failure>>()?,
        ),
        other => other.clone(),
    })
}

/// Resolves a `ref:` expression: a `.NAME` path keeps the value's type,
/// anything else is rendered as a template into a string.
fn resolve_ref(
    project: &Project,
    file: FileId,
    expr: &Text,
    vars: &Vars,
) -> Result<Value, Failure> {
    let trimmed = expr.text.trim();
    if let Some(path) = trimmed.strip_prefix('.') {
        let simple = path.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.');
        if simple {
            let mut parts = path.split('.');
            let mut current = parts.next().and_then(|first| vars.get(first)).cloned();
            for part in parts {
                current = match current {
                    Some(Value::Map(map)) => map.get(part).cloned(),
                    _ => None,
                };
            }
            return Ok(current.unwrap_or(Value::Nil));
        }
    }
    // The template engine renders to text, so a typed result travels as
    // JSON and is read back as YAML, of which JSON is a subset.
    let source = format!("{{{{({trimmed}) | toJson}}}}");
    if let Ok(json) = render_at(project, file, &source, expr, vars)
        && let Ok(node) = super::yaml::parse(&json)
    {
        return Ok(super::ast::to_value(&node));
    }
    let source = format!("{{{{{trimmed}}}}}");
    render_at(project, file, &source, expr, vars).map(Value::String)
}

/// Builds the command environment: the Taskfile entries, minus keys the OS
/// environment already has unless `taskfile_wins` (go-task's
/// `TASK_X_ENV_PRECEDENCE=1`).
pub(crate) fn command_env(
    entries: Vec<(String, Value)>,
    taskfile_wins: bool,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    for (key, value) in entries {
        let Some(text) = scalar(&value) else { continue };
        if !taskfile_wins && std::env::var_os(&key).is_some() {
            continue;
        }
        match env.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = text,
            None => env.push((key, text)),
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskfile::load;

    fn project(text: &str) -> Project {
        load::load_project_str(Path::new("/tmp/Taskfile.yml"), text.to_string(), None).unwrap()
    }

    #[test]
    fn eval_all_sees_earlier_vars() {
        let project = project("version: '3'\nvars:\n  A: one\n  B: '{{.A}}-two'\n");
        let resolver = Resolver::new(false);
        let mut vars = Vars::new();
        let defs = project.vars.iter().map(|(d, f)| (d, *f));
        resolver.eval_all(&project, defs, &mut vars, Path::new("/tmp")).unwrap();
        assert_eq!(vars["B"], Value::String("one-two".into()));
    }

    #[test]
    fn sh_output_is_trimmed_and_cached() {
        let project = project("version: '3'\nvars:\n  D:\n    sh: echo $RANDOM$RANDOM\n");
        let resolver = Resolver::new(false);
        let mut first = Vars::new();
        let defs = project.vars.iter().map(|(d, f)| (d, *f));
        resolver.eval_all(&project, defs, &mut first, Path::new("/tmp")).unwrap();
        let mut second = Vars::new();
        let defs = project.vars.iter().map(|(d, f)| (d, *f));
        resolver.eval_all(&project, defs, &mut second, Path::new("/tmp")).unwrap();
        let Value::String(text) = &first["D"] else { panic!("not a string") };
        assert!(!text.ends_with('\n'));
        assert_eq!(first["D"], second["D"]);
    }

    #[test]
    fn ref_keeps_the_type() {
        let project = project("version: '3'\nvars:\n  L: [a, b]\n  R:\n    ref: .L\n");
        let resolver = Resolver::new(false);
        let mut vars = Vars::new();
        let defs = project.vars.iter().map(|(d, f)| (d, *f));
        resolver.eval_all(&project, defs, &mut vars, Path::new("/tmp")).unwrap();
        assert_eq!(
            vars["R"],
            Value::List(vec![Value::String("a".into()), Value::String("b".into())])
        );
    }

    #[test]
    fn command_env_lets_os_env_win() {
        let entries = vec![
            ("PATH".to_string(), Value::String("/nowhere".into())),
            ("RUNNER_TEST_UNSET_KEY".to_string(), Value::String("x".into())),
            ("LIST".to_string(), Value::List(vec![])),
        ];
        let env = command_env(entries.clone(), false);
        assert_eq!(env, [("RUNNER_TEST_UNSET_KEY".to_string(), "x".to_string())]);
        let env = command_env(entries, true);
        assert_eq!(env.len(), 2);
    }
}
