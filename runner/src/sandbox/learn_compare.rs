//! The comparison of learn mode: what a task's current declarations miss,
//! found by building its policy and checking every access of the traced run
//! against the grants.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::TaskAccess;
use super::denial::AccessKind;
use super::learn::scope_text;
use super::learn_propose::{Observed, real_path, scope_grants};
use super::policy::{Access as GrantAccess, Grant, Origin, Policy};
use super::resolve::RunPaths;
use crate::Scope;

/// Lists what the current declarations get wrong: project files read but
/// not in `sources`, project writes outside `generates`, and other accesses
/// no grant allows.
pub(super) fn compare(
    access: &TaskAccess,
    tmp_dir: &Path,
    root_real: &Path,
    observed: &Observed,
    sources: &BTreeSet<PathBuf>,
    scopes: &[Scope],
) -> Vec<String> {
    let mut problems = Vec::new();
    let declared: BTreeSet<PathBuf> =
        access.source_files.iter().map(|path| real_path(path)).collect();
    let missing: Vec<String> = sources
        .iter()
        .filter(|source| !declared.contains(&root_real.join(source)))
        .map(|source| source.display().to_string())
        .collect();
    if !missing.is_empty() {
        let them = if missing.len() == 1 { "it" } else { "them" };
        problems.push(format!(
            "`sources` lacks {}, which it read: a freshness check would miss changes to {them}",
            join_short(&missing)
        ));
    }

    let policy = match Policy::build(access, tmp_dir, &RunPaths::default()) {
        Ok(policy) => policy,
        Err(error) => {
            problems.push(format!("the current declarations are invalid: {error}"));
            return problems;
        }
    };
    let generate_grants: Vec<Grant> = policy
        .grants
        .iter()
        .filter(|grant| matches!(grant.origin, Origin::Generate(_)))
        .cloned()
        .collect();
    let unwritable: Vec<String> = observed
        .writes
        .iter()
        .filter(|(path, kind)| {
            !grants_allow(&generate_grants, *kind, &real_path(&root_real.join(path)))
        })
        .map(|(path, kind)| format!("{} {}", past_tense(*kind), path.display()))
        .collect();
    if !unwritable.is_empty() {
        problems
            .push(format!("`generates` does not cover what it wrote: {}", join_short(&unwritable)));
    }
    // An entry without a trailing slash names a file unless the directory
    // exists, so on a clean tree the runner creates an empty file there and
    // the task's `mkdir` fails.
    for entry in access.generates {
        let literal = !entry.ends_with('/') && !entry.contains(['*', '?', '[', '{']);
        let relative = Path::new(entry.as_str());
        if literal && relative.is_relative() && observed.created_dirs.contains(relative) {
            problems.push(format!(
                "`generates` entry `{entry}` names a file on a clean tree, but the task created \
                 a directory there: declare `{entry}/`"
            ));
        }
    }
    for path in &observed.execs {
        if !grants_allow(&policy.grants, AccessKind::Execute, &real_path(&root_real.join(path))) {
            problems.push(format!("no scope allows executing {}", path.display()));
        }
    }
    let proposed: Vec<(&Scope, Vec<Grant>)> =
        scopes.iter().map(|scope| (scope, scope_grants(access, scope))).collect();
    let mut needed: Vec<(String, Vec<String>)> = Vec::new();
    for (path, kind) in &observed.outside {
        if grants_allow(&policy.grants, *kind, path) {
            continue;
        }
        let fix = proposed
            .iter()
            .find(|(_, grants)| grants_allow(grants, *kind, path))
            .map(|(scope, _)| scope_text(access.syntax, scope));
        let fix = fix.unwrap_or_else(|| "a scope".to_string());
        let use_text = format!("{} {}", gerund(*kind), path.display());
        match needed.iter_mut().find(|(scope, _)| *scope == fix) {
            Some((_, uses)) => uses.push(use_text),
            None => needed.push((fix, vec![use_text])),
        }
    }
    for (fix, uses) in needed {
        problems.push(format!("{fix} is needed for {}", join_short(&uses)));
    }
    let network = &policy.network;
    for (port, kind) in &observed.ports {
        let allowed = network.unrestricted
            || match kind {
                AccessKind::Bind => network.bind.contains(port),
                _ => network.connect.contains(port),
            };
        if !allowed {
            let verb = if *kind == AccessKind::Bind { "binding" } else { "connecting to" };
            problems.push(format!("no scope allows {verb} TCP port {port}"));
        }
    }
    problems
}

/// Returns whether one of `grants` allows `kind` on `path`, a canonical path.
pub(super) fn grants_allow(grants: &[Grant], kind: AccessKind, path: &Path) -> bool {
    grants.iter().any(|grant| {
        let target = match kind {
            // Creating, removing and renaming need rights on the directory.
            AccessKind::Create
            | AccessKind::CreateDir
            | AccessKind::Remove
            | AccessKind::Rename => {
                path.parent().unwrap_or(path).starts_with(&grant.path) || path == grant.path
            }
            _ => path.starts_with(&grant.path),
        };
        target && access_allows(grant.access, kind)
    })
}

fn access_allows(access: GrantAccess, kind: AccessKind) -> bool {
    use GrantAccess::*;
    match kind {
        AccessKind::ReadDir => true,
        AccessKind::Read => !matches!(access, List),
        AccessKind::Execute => matches!(access, ReadExec | Full),
        AccessKind::Write => matches!(access, ReadWrite | Device | Full),
        AccessKind::Create | AccessKind::CreateDir | AccessKind::Remove | AccessKind::Rename => {
            matches!(access, Full)
        }
        AccessKind::Connect | AccessKind::Bind | AccessKind::Signal => false,
    }
}

/// Joins the first few items and counts the rest.
fn join_short(items: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut text = items.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        let _ = write!(text, " and {} more", items.len() - SHOWN);
    }
    text
}

fn past_tense(kind: AccessKind) -> &'static str {
    match kind {
        AccessKind::Create | AccessKind::CreateDir => "created",
        AccessKind::Remove => "removed",
        AccessKind::Rename => "renamed",
        _ => "wrote",
    }
}

fn gerund(kind: AccessKind) -> &'static str {
    match kind {
        AccessKind::Read | AccessKind::ReadDir => "reading",
        AccessKind::Execute => "executing",
        AccessKind::Create | AccessKind::CreateDir => "creating",
        AccessKind::Remove => "removing",
        AccessKind::Rename => "renaming",
        _ => "writing",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_rights_per_kind() {
        let grants = [
            Grant { path: "/data".into(), access: GrantAccess::Read, origin: Origin::System },
            Grant { path: "/out".into(), access: GrantAccess::Full, origin: Origin::System },
        ];
        assert!(grants_allow(&grants, AccessKind::Read, Path::new("/data/a")));
        assert!(!grants_allow(&grants, AccessKind::Write, Path::new("/data/a")));
        assert!(!grants_allow(&grants, AccessKind::Execute, Path::new("/data/a")));
        assert!(grants_allow(&grants, AccessKind::Create, Path::new("/out/new")));
        assert!(!grants_allow(&grants, AccessKind::Create, Path::new("/new")));
        assert!(grants_allow(&grants, AccessKind::Create, Path::new("/out")));
    }
}
