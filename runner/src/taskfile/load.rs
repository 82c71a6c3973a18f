//! Finding, reading and merging Taskfiles into one [`Project`].
//!
//! The root Taskfile is found the way go-task finds it: `-t FILE`, or the
//! first default name in `-d DIR` or the working directory, walking up the
//! parents while the directory owner stays the same. Includes resolve
//! relative to the including file; a directory means its default-named
//! Taskfile. Include cycles are detected while reading (exit 110). Remote
//! includes are not supported.
//!
//! Merging follows go-task: included tasks get `namespace:` prefixes unless
//! flattened, and an included file's top-level `vars` and `env` are merged
//! into the global ones, replacing same-named root entries.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ast::{self, Include, TaskDef, VarDef, VarValue};
use super::diagnostic::{self, code};
use super::template::Value;
use super::yaml::{self, Pos};
use crate::{Error, Result};

/// The names go-task looks for, in order.
pub(crate) const DEFAULT_NAMES: &[&str] = &[
    "Taskfile.yml",
    "taskfile.yml",
    "Taskfile.yaml",
    "taskfile.yaml",
    "Taskfile.dist.yml",
    "taskfile.dist.yml",
    "Taskfile.dist.yaml",
    "taskfile.dist.yaml",
];

/// One file read for the project, kept for error reports.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub(crate) path: PathBuf,
    pub(crate) text: String,
}

/// Index into [`Project::files`].
pub(crate) type FileId = usize;

/// A task with everything its file and include chain contribute.
#[derive(Debug, Clone)]
pub(crate) struct TaskEntry {
    /// The full name, with namespaces: `lib:build`.
    pub(crate) name: String,
    /// Full alias names, including the namespace alias of a `default` task.
    pub(crate) aliases: Vec<String>,
    pub(crate) def: Arc<TaskDef>,
    pub(crate) file: FileId,
    /// The namespace prefix without a final colon; empty at the root.
    pub(crate) namespace: String,
    /// The directory the task runs in when it sets no `dir:`.
    pub(crate) base_dir: PathBuf,
    /// `vars:` of the include entries that led to this task, outermost first.
    pub(crate) include_vars: Vec<VarDef>,
    /// For tasks of map-form includes, the merged global vars as they were
    /// right after the defining file was merged, which these tasks see above
    /// the include vars and CLI vars.
    pub(crate) vars_snapshot: Option<Arc<Vec<(VarDef, FileId)>>>,
    pub(crate) internal: bool,
    /// `silent: true` at the top of the defining file.
    pub(crate) file_silent: bool,
    pub(crate) file_method: Option<String>,
    pub(crate) file_run: Option<String>,
}

/// All Taskfiles of a project, merged.
#[derive(Debug)]
pub(crate) struct Project {
    pub(crate) root_dir: PathBuf,
    pub(crate) files: Vec<SourceFile>,
    /// Global vars: the root's, with included files' merged in.
    pub(crate) vars: Vec<(VarDef, FileId)>,
    pub(crate) env: Vec<(VarDef, FileId)>,
    pub(crate) dotenv: Vec<ast::Text>,
    pub(crate) output: Option<ast::Output>,
    pub(crate) set: Vec<String>,
    pub(crate) shopt: Vec<String>,
    pub(crate) tasks: Vec<TaskEntry>,
    pub(crate) unknown_keys: Vec<(FileId, String, Pos)>,
}

impl Project {
    /// Returns the root Taskfile's path.
    pub(crate) fn root_taskfile(&self) -> &Path {
        &self.files[0].path
    }
}

/// Finds the root Taskfile: `file` if given (relative to `dir` or the
/// working directory), else a default name in `dir` or the working
/// directory and its parents.
pub(crate) fn discover(dir: Option<&Path>, file: Option<&Path>) -> Result<PathBuf> {
    let cwd = std::env::current_dir().map_err(|e| Error::io("read", ".", e))?;
    let start = match dir {
        Some(dir) => cwd.join(dir),
        None => cwd.clone(),
    };
    if let Some(file) = file {
        let path = start.join(file);
        if path.is_dir() {
            return find_in_dir(&path).ok_or_else(|| not_found(&path));
        }
        if !path.exists() {
            return Err(not_found(&path));
        }
        return Ok(path);
    }
    let mut current = start.clone();
    let owner = owner_of(&current);
    loop {
        if let Some(found) = find_in_dir(&current) {
            return Ok(found);
        }
        let Some(parent) = current.parent() else { break };
        if owner_of(parent) != owner {
            break;
        }
        current = parent.to_path_buf();
    }
    Err(not_found(&start))
}

fn not_found(dir: &Path) -> Error {
    diagnostic::error(
        format!(
            "task: No Taskfile found at \"{}\" (or any of the parent directories): create a \
             Taskfile.yml or pass one with -t",
            dir.display()
        ),
        code::NOT_FOUND,
    )
}

#[cfg(unix)]
fn owner_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn owner_of(_path: &Path) -> Option<u32> {
    None
}

fn find_in_dir(dir: &Path) -> Option<PathBuf> {
    DEFAULT_NAMES.iter().map(|name| dir.join(name)).find(|path| path.is_file())
}

/// Reads the project whose root Taskfile is `path`.
pub(crate) fn load_project(path: &Path, root_dir: Option<&Path>) -> Result<Project> {
    let path = absolute(path);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
    load_project_str(&path, text, root_dir)
}

/// Reads a project from the root Taskfile's text; `path` names it in errors
/// and its directory is the root directory unless `root_dir` is given.
pub(crate) fn load_project_str(
    path: &Path,
    text: String,
    root_dir: Option<&Path>,
) -> Result<Project> {
    let root_dir = match root_dir {
        Some(dir) => absolute(dir),
        None => path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/")),
    };
    let mut project = Project {
        root_dir: root_dir.clone(),
        files: Vec::new(),
        vars: Vec::new(),
        env: Vec::new(),
        dotenv: Vec::new(),
        output: None,
        set: Vec::new(),
        shopt: Vec::new(),
        tasks: Vec::new(),
        unknown_keys: Vec::new(),
    };
    let context = IncludeContext {
        namespace: String::new(),
        aliases: Vec::new(),
        base_dir: root_dir,
        include_vars: Vec::new(),
        map_include: false,
        internal: false,
        excludes: Vec::new(),
        flatten: false,
    };
    let mut chain = Vec::new();
    read_file(&mut project, path.to_path_buf(), Some(text), &context, &mut chain, true)?;
    check_conflicts(&project)?;
    drop_shadowed_aliases(&mut project);
    Ok(project)
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_path_buf())
}

/// The settings an include chain passes down to the included file's tasks.
#[derive(Clone)]
struct IncludeContext {
    namespace: String,
    /// Alternative namespace prefixes from include `aliases:`.
    aliases: Vec<String>,
    base_dir: PathBuf,
    include_vars: Vec<VarDef>,
    map_include: bool,
    internal: bool,
    excludes: Vec<String>,
    flatten: bool,
}

fn read_file(
    project: &mut Project,
    path: PathBuf,
    text: Option<String>,
    context: &IncludeContext,
    chain: &mut Vec<PathBuf>,
    is_root: bool,
) -> Result<()> {
    let text = match text {
        Some(text) => text,
        None => std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?,
    };
    log::debug!("reading Taskfile {}", path.display());
    let id = project.files.len();
    project.files.push(SourceFile { path: path.clone(), text });
    let source = &project.files[id].text;

    let node = yaml::parse(source).map_err(|e| {
        let message =
            format!("task: Failed to parse {}: invalid YAML: {}", display(&path), e.message);
        diagnostic::at(&message, &path, source, e.pos, code::YAML)
    })?;
    let file = ast::decode_taskfile(&node).map_err(|e| {
        let message = format!("task: Failed to parse {}: {}", display(&path), e.message);
        diagnostic::at(&message, &path, source, e.pos, code::DECODE)
    })?;
    check_version(&file, &path, source)?;
    if !is_root && !file.dotenv.is_empty() {
        let pos = node.get("dotenv").map(|n| n.pos).unwrap_or_default();
        let message = format!(
            "task: Failed to parse {}: dotenv is not allowed in an included Taskfile: move it \
             to the root Taskfile or to a task",
            display(&path)
        );
        return Err(diagnostic::at(&message, &path, source, pos, code::DECODE));
    }
    for (key, pos) in &file.unknown_keys {
        project.unknown_keys.push((id, key.clone(), *pos));
    }

    if is_root {
        project.dotenv = file.dotenv.clone();
        project.output = file.output.clone();
        project.set = file.set.clone();
        project.shopt = file.shopt.clone();
    }
    for var in &file.vars {
        merge_var(&mut project.vars, var.clone(), id);
    }
    for var in &file.env {
        merge_var(&mut project.env, var.clone(), id);
    }

    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let snapshot = context.map_include.then(|| Arc::new(project.vars.clone()));
    for task in &file.tasks {
        let excluded = |pattern: &String| {
            *pattern == task.name
                || pattern.contains('*')
                    && super::compile::wildcard_match(pattern, &task.name).is_some()
        };
        if context.excludes.iter().any(excluded) {
            continue;
        }
        let mut entry = entry_for(task, id, &file, context);
        entry.vars_snapshot = snapshot.clone();
        project.tasks.push(entry);
    }

    chain.push(path.clone());
    for include in &file.includes {
        include_file(project, include, id, &dir, context, chain)?;
    }
    chain.pop();
    Ok(())
}

fn display(path: &Path) -> String {
    format!("\"{}\"", diagnostic::display_path(path))
}

fn check_version(file: &ast::Taskfile, path: &Path, source: &str) -> Result<()> {
    let Some(node) = &file.version else {
        let message = format!("task: Missing schema version in Taskfile \"{}\"", path.display());
        return Err(diagnostic::error(message, code::VERSION));
    };
    let text = node.scalar_text().unwrap_or_default();
    let major: Option<u64> = text.split('.').next().and_then(|m| m.trim().parse().ok());
    let minor: u64 = text.split('.').nth(1).and_then(|m| m.trim().parse().ok()).unwrap_or(0);
    let supported = match major {
        Some(3) => minor <= 54,
        _ => false,
    };
    if !supported {
        let message = format!(
            "task: Invalid schema version in Taskfile {}: version `{text}` is not supported: \
             use version 3",
            display(path)
        );
        return Err(diagnostic::at(&message, path, source, node.pos, code::VERSION));
    }
    Ok(())
}

/// Inserts `var`, replacing a same-named entry in place.
fn merge_var(vars: &mut Vec<(VarDef, FileId)>, var: VarDef, file: FileId) {
    match vars.iter_mut().find(|(existing, _)| existing.name == var.name) {
        Some(slot) => *slot = (var, file),
        None => vars.push((var, file)),
    }
}

fn entry_for(
    task: &TaskDef,
    file: FileId,
    taskfile: &ast::Taskfile,
    context: &IncludeContext,
) -> TaskEntry {
    let prefix = |ns: &str, name: &str| -> String {
        if ns.is_empty() { name.to_string() } else { format!("{ns}:{name}") }
    };
    let name = prefix(&context.namespace, &task.name);
    let mut aliases: Vec<String> =
        task.aliases.iter().map(|a| prefix(&context.namespace, &a.text)).collect();
    for namespace in &context.aliases {
        aliases.push(prefix(namespace, &task.name));
        aliases.extend(task.aliases.iter().map(|a| prefix(namespace, &a.text)));
    }
    if task.name == "default" && !context.namespace.is_empty() && !context.flatten {
        aliases.push(context.namespace.clone());
        aliases.extend(context.aliases.iter().cloned());
    }
    TaskEntry {
        name,
        aliases,
        def: Arc::new(task.clone()),
        file,
        namespace: context.namespace.clone(),
        base_dir: context.base_dir.clone(),
        include_vars: context.include_vars.clone(),
        vars_snapshot: None,
        internal: context.internal || task.internal,
        file_silent: taskfile.silent,
        file_method: taskfile.method.as_ref().map(|m| m.text.clone()),
        file_run: taskfile.run.as_ref().map(|r| r.text.clone()),
    }
}

fn include_file(
    project: &mut Project,
    include: &Include,
    including: FileId,
    including_dir: &Path,
    context: &IncludeContext,
    chain: &mut Vec<PathBuf>,
) -> Result<()> {
    let statics = static_vars(project);
    let taskfile = render_static(&include.taskfile.text, &statics);
    let mut path = including_dir.join(expand_home(&taskfile));
    if path.is_dir() {
        match find_in_dir(&path) {
            Some(found) => path = found,
            None if include.optional => return Ok(()),
            None => {
                let source = &project.files[including].text;
                let message = format!(
                    "task: No Taskfile found in \"{}\" for include `{}`: add a Taskfile.yml \
                     there or mark the include `optional: true`",
                    path.display(),
                    include.namespace
                );
                let file = &project.files[including].path;
                return Err(diagnostic::at(&message, file, source, include.pos, code::NOT_FOUND));
            }
        }
    } else if !path.exists() {
        if include.optional {
            return Ok(());
        }
        let source = &project.files[including].text;
        let message = format!(
            "task: No Taskfile found at \"{}\"\nThe include `{}` names it: fix the path or \
             mark the include `optional: true`.",
            path.display(),
            include.namespace
        );
        let file = &project.files[including].path;
        return Err(diagnostic::at(&message, file, source, include.pos, code::NOT_FOUND));
    }
    let path = normalize(&path);
    if let Some(first) = chain.iter().position(|p| *p == path) {
        let message = format!(
            "task: include cycle detected between {} <--> {}",
            chain[first].display(),
            chain.last().unwrap_or(&path).display(),
        );
        return Err(diagnostic::error(message, code::INCLUDE_CYCLE));
    }

    let base_dir = match &include.dir {
        Some(dir) => normalize(&including_dir.join(render_static(&dir.text, &statics))),
        None if include.string_form => context.base_dir.clone(),
        None => including_dir.to_path_buf(),
    };
    let namespace = if context.namespace.is_empty() {
        include.namespace.clone()
    } else {
        format!("{}:{}", context.namespace, include.namespace)
    };
    let mut include_vars = context.include_vars.clone();
    include_vars.extend(include.vars.iter().cloned());
    let child = IncludeContext {
        namespace: if include.flatten { context.namespace.clone() } else { namespace },
        aliases: include.aliases.clone(),
        base_dir,
        include_vars,
        map_include: context.map_include || !include.string_form,
        internal: context.internal || include.internal,
        excludes: include.excludes.clone(),
        flatten: include.flatten,
    };
    read_file(project, path, None, &child, chain, false)
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Removes `.` and `..` components without touching the filesystem.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Returns the OS environment plus the static global vars, the data that
/// include paths are rendered with.
fn static_vars(project: &Project) -> Value {
    let mut map: std::collections::BTreeMap<String, Value> =
        std::env::vars().map(|(k, v)| (k, Value::String(v))).collect();
    for (var, _) in &project.vars {
        if let VarValue::Static(value) = &var.value {
            map.insert(var.name.clone(), value.clone());
        }
    }
    Value::Map(map)
}

fn render_static(text: &str, data: &Value) -> String {
    if !text.contains("{{") {
        return text.to_string();
    }
    super::template::render(text, data)
        .unwrap_or_else(|_| text.to_string())
        .replace("<no value>", "")
}

/// Removes aliases that equal a task's name, such as the namespace alias of
/// an included `default` task when the root has a task of that name.
fn drop_shadowed_aliases(project: &mut Project) {
    let names: std::collections::HashSet<String> =
        project.tasks.iter().map(|t| t.name.clone()).collect();
    for task in &mut project.tasks {
        task.aliases.retain(|alias| !names.contains(alias));
    }
}

/// Rejects two tasks with the same full name, as flattened includes can
/// produce (go-task exit 203). Shared aliases are an error only when called.
fn check_conflicts(project: &Project) -> Result<()> {
    let mut seen: std::collections::HashMap<&str, &TaskEntry> = std::collections::HashMap::new();
    for task in &project.tasks {
        if seen.insert(task.name.as_str(), task).is_some() {
            let file = &project.files[task.file];
            let message = format!(
                "task: Found multiple tasks ({}) included by \"{}\": rename one of them",
                task.name,
                diagnostic::display_path(&file.path)
            );
            return Err(diagnostic::at(
                &message,
                &file.path,
                &file.text,
                task.def.pos,
                code::NAME_CONFLICT,
            ));
        }
    }
    Ok(())
}
