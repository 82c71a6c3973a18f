//! `--summary`: a task's name, description, vars, env, required vars, deps,
//! aliases and commands, in go-task 3.54's layout.
//!
//! Vars are shown as go-task shows them: global then task vars, except names
//! that are also env keys. Static values are rendered and quoted, `sh:` vars
//! show their command text, which is not run, and secrets show `*****`.
//! Sections are separated by one blank line.

use super::ast::{CallDef, CmdDef, VarDef, VarValue};
use super::compile::{Cmd, Compiled};
use super::load::Project;
use super::template::Value;

/// Formats the summary of one compiled task.
pub(crate) fn format(project: &Project, task: &Compiled) -> String {
    let entry = &project.tasks[task.index];
    let def = &entry.def;
    let mut out = format!("task: {}\n\n", task.label);
    match (&task.summary, &task.desc) {
        (Some(summary), _) if !summary.is_empty() => {
            let lines: Vec<&str> = summary.split('\n').collect();
            for (i, line) in lines.iter().enumerate() {
                if i + 1 < lines.len() || !line.is_empty() {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        (_, Some(desc)) if !desc.is_empty() => {
            out.push_str(desc);
            out.push('\n');
        }
        _ => out.push_str("(task does not have description or summary)\n"),
    }

    let env_defs: Vec<&VarDef> = project.env.iter().map(|(v, _)| v).chain(def.env.iter()).collect();
    let mut vars: Vec<(String, String)> = Vec::new();
    let var_defs = project.vars.iter().map(|(v, _)| v).chain(def.vars.iter());
    let sh_text = |cmd: &super::ast::Text| {
        let rendered = super::vars::render_at(project, entry.file, &cmd.text, cmd, &task.vars);
        format!("sh: {}", rendered.unwrap_or_else(|_| cmd.text.clone()))
    };
    for var in var_defs.filter(|v| !env_defs.iter().any(|e| e.name == v.name)) {
        let displayed = match &var.value {
            _ if var.secret => "*****".to_string(),
            VarValue::Sh(cmd) => sh_text(cmd),
            _ => quote(&task.vars.get(&var.name).map(Value::to_go_string).unwrap_or_default()),
        };
        upsert(&mut vars, &var.name, displayed);
    }
    let mut env: Vec<(String, String)> = Vec::new();
    for (key, value) in &globals_dotenv(task, project) {
        upsert(&mut env, key, quote(value));
    }
    for var in env_defs {
        let displayed = match &var.value {
            _ if var.secret => "*****".to_string(),
            VarValue::Sh(cmd) => sh_text(cmd),
            VarValue::Static(Value::String(text)) => {
                let at = var.text.clone().unwrap_or_default();
                let file = entry.file;
                let rendered = super::vars::render_at(project, file, text, &at, &task.vars);
                quote(&rendered.unwrap_or_else(|_| text.clone()))
            }
            VarValue::Static(value) => quote(&value.to_go_string()),
            VarValue::Ref(expr) => quote(&expr.text),
        };
        upsert(&mut env, &var.name, displayed);
    }

    let mut sections = Vec::new();
    sections.push(section("vars:", vars.iter().map(|(k, v)| format!("  {k}: {v}"))));
    sections.push(section("env:", env.iter().map(|(k, v)| format!("  {k}: {v}"))));
    sections.push(requires(def));
    let full = |name: &str| match super::compile::resolve(project, name, &entry.namespace) {
        Some((index, _)) if !project.tasks[index].name.contains('*') => {
            project.tasks[index].name.clone()
        }
        _ => name.trim_start_matches(':').to_string(),
    };
    sections
        .push(section("dependencies:", task.deps.iter().map(|d| format!(" - {}", full(&d.task)))));
    sections.push(section("aliases:", entry.aliases.iter().map(|a| format!(" - {a}"))));
    sections.push(section("commands:", task.cmds.iter().filter_map(|c| command_line(c, &full))));
    for text in sections.into_iter().flatten() {
        out.push('\n');
        out.push_str(&text);
    }
    out
}

/// Returns the root dotenv entries, read again because summaries do not
/// resolve the global layers.
fn globals_dotenv(task: &Compiled, project: &Project) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for file in &project.dotenv {
        let name = super::vars::render_at(project, 0, &file.text, file, &task.vars);
        let Ok(text) = std::fs::read_to_string(project.root_dir.join(name.unwrap_or_default()))
        else {
            continue;
        };
        for (key, value) in super::dotenv::parse(&text) {
            if !entries.iter().any(|(k, _)| *k == key) {
                entries.push((key, value));
            }
        }
    }
    entries
}

fn upsert(list: &mut Vec<(String, String)>, name: &str, value: String) {
    match list.iter_mut().find(|(existing, _)| existing == name) {
        Some(slot) => slot.1 = value,
        None => list.push((name.to_string(), value)),
    }
}

fn command_line(cmd: &Cmd, full: &dyn Fn(&str) -> String) -> Option<String> {
    match cmd {
        Cmd::Shell { shown, .. } => Some(format!(" - {shown}")),
        Cmd::Call { call, .. } => Some(format!(" - Task: {}", full(&call.task))),
        Cmd::Defer(CmdDef::Shell(shell)) => Some(format!(" - {}", shell.cmd.text)),
        Cmd::Defer(CmdDef::Call(CallDef { task, .. })) => {
            Some(format!(" - Task: {}", full(&task.text)))
        }
        Cmd::Defer(CmdDef::Defer(_)) => None,
    }
}

fn requires(def: &super::ast::TaskDef) -> Option<String> {
    if def.requires.is_empty() {
        return None;
    }
    let mut out = String::from("requires:\n  vars:\n");
    for require in &def.requires {
        match (&require.enum_values, &require.enum_ref) {
            (Some(values), _) => {
                out.push_str(&format!("    - {}:\n        enum:\n", require.name));
                for value in values {
                    out.push_str(&format!("          - {value}\n"));
                }
            }
            (None, Some(reference)) => {
                out.push_str(&format!(
                    "    - {}:\n        enum:\n          ref: {}\n",
                    require.name, reference.text
                ));
            }
            (None, None) => out.push_str(&format!("    - {}\n", require.name)),
        }
    }
    Some(out)
}

fn section(title: &str, lines: impl Iterator<Item = String>) -> Option<String> {
    let lines: Vec<String> = lines.collect();
    if lines.is_empty() {
        return None;
    }
    let mut out = format!("{title}\n");
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    Some(out)
}

/// Quotes like Go's `%q` for the characters Taskfile values contain.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}
