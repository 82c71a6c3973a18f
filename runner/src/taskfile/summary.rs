//! `--summary`: a task's name, description, vars, env, required vars, deps,
//! aliases and commands, in go-task 3.54's layout.
//!
//! Vars are shown as go-task shows them: global then task vars, static
//! values rendered and quoted, `sh:` vars as their command text, which is
//! not run.

use super::ast::{CallDef, CmdDef, VarDef, VarValue};
use super::compile::Compiled;
use super::load::Project;
use super::template::Value;

/// Formats the summary of one compiled task.
pub(crate) fn format(project: &Project, task: &Compiled) -> String {
    let entry = &project.tasks[task.index];
    let def = &entry.def;
    let mut out = format!("task: {}\n\n", task.name);
    match (&task.summary, &task.desc) {
        (Some(text), _) | (None, Some(text)) if !text.trim().is_empty() => {
            out.push_str(text.trim_end());
            out.push_str("\n\n");
        }
        _ => out.push_str("(task does not have description or summary)\n\n"),
    }

    let mut vars: Vec<(String, String)> = Vec::new();
    let mut show = |defs: &mut dyn Iterator<Item = &VarDef>| {
        for var in defs {
            let displayed = match &var.value {
                _ if var.secret => "*****".to_string(),
                VarValue::Sh(cmd) => format!("sh: {}", cmd.text),
                _ => quote(&task.vars.get(&var.name).map(Value::to_go_string).unwrap_or_default()),
            };
            match vars.iter_mut().find(|(name, _)| *name == var.name) {
                Some(slot) => slot.1 = displayed,
                None => vars.push((var.name.clone(), displayed)),
            }
        }
    };
    show(&mut project.vars.iter().map(|(v, _)| v));
    show(&mut def.vars.iter());
    section(&mut out, "vars:", vars.iter().map(|(k, v)| format!("  {k}: {v}")));

    let mut env: Vec<(String, String)> = Vec::new();
    for var in project.env.iter().map(|(v, _)| v).chain(def.env.iter()) {
        let displayed = match &var.value {
            VarValue::Sh(cmd) => format!("sh: {}", cmd.text),
            VarValue::Static(value) => quote(&value.to_go_string()),
            VarValue::Ref(expr) => quote(&expr.text),
        };
        match env.iter_mut().find(|(name, _)| *name == var.name) {
            Some(slot) => slot.1 = displayed,
            None => env.push((var.name.clone(), displayed)),
        }
    }
    section(&mut out, "env:", env.iter().map(|(k, v)| format!("  {k}: {v}")));

    if !def.requires.is_empty() {
        out.push_str("requires:\n  vars:\n");
        for require in &def.requires {
            out.push_str(&format!("    - {}\n", require.name));
        }
        out.push('\n');
    }
    section(&mut out, "dependencies:", task.deps.iter().map(|d| format!(" - {}", d.task)));
    section(&mut out, "aliases:", def.aliases.iter().map(|a| format!(" - {}", a.text)));

    let mut commands = Vec::new();
    for cmd in &task.cmds {
        match cmd {
            super::compile::Cmd::Shell { cmd, .. } => {
                commands.push(format!(" - {}", super::compile::mask(cmd, &task.secrets)))
            }
            super::compile::Cmd::Call { call, .. } => {
                commands.push(format!(" - Task: {}", call.task))
            }
            super::compile::Cmd::Defer(CmdDef::Shell(shell)) => {
                commands.push(format!(" - {}", shell.cmd.text))
            }
            super::compile::Cmd::Defer(CmdDef::Call(CallDef { task, .. })) => {
                commands.push(format!(" - Task: {}", task.text))
            }
            super::compile::Cmd::Defer(CmdDef::Defer(_)) => {}
        }
    }
    if !commands.is_empty() {
        out.push_str("commands:\n");
        for line in commands {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

fn section(out: &mut String, title: &str, lines: impl Iterator<Item = String>) {
    let lines: Vec<String> = lines.collect();
    if lines.is_empty() {
        return;
    }
    out.push_str(title);
    out.push('\n');
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
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
