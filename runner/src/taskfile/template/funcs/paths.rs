//! Path, environment and platform functions: sprig's `base`, `dir`, `ext`,
//! `clean`, `env`, and go-task's `joinPath`, `relPath`, `absPath`,
//! `joinEnv`, `joinUrl`, `OS`, `ARCH`, `numCPU` and `exeExt`.
//!
//! Paths are cleaned with Go's `path.Clean` rules on `/`-separated text,
//! which is what go-task does on Unix. `fromSlash` and `toSlash` return
//! their argument, because the separator is already `/`.

use super::string_arg;
use crate::taskfile::template::value::Value;

fn string_result(text: String) -> Result<Value, String> {
    Ok(Value::String(text))
}

/// Cleans a slash-separated path as Go's `path.Clean` does.
pub(crate) fn clean_path(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }

    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }

    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

pub(super) fn base(args: &[Value]) -> Result<Value, String> {
    let path = string_arg(args, 0)?;
    if path.is_empty() {
        return string_result(".".to_owned());
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return string_result("/".to_owned());
    }
    string_result(trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned())
}

pub(super) fn dir(args: &[Value]) -> Result<Value, String> {
    let path = string_arg(args, 0)?;
    let head = match path.rfind('/') {
        Some(slash) => &path[..=slash],
        None => "",
    };
    string_result(clean_path(head))
}

pub(super) fn ext(args: &[Value]) -> Result<Value, String> {
    let path = string_arg(args, 0)?;
    let name = path.rsplit('/').next().unwrap_or(path);
    string_result(name.rfind('.').map(|dot| name[dot..].to_owned()).unwrap_or_default())
}

pub(super) fn clean(args: &[Value]) -> Result<Value, String> {
    string_result(clean_path(string_arg(args, 0)?))
}

pub(super) fn is_abs(args: &[Value]) -> Result<Value, String> {
    Ok(Value::Bool(string_arg(args, 0)?.starts_with('/')))
}

/// `joinPath a b ...`: the non-empty elements joined with `/` and cleaned.
pub(super) fn join_path(args: &[Value]) -> Result<Value, String> {
    let mut parts = Vec::new();
    for position in 0..args.len() {
        let part = string_arg(args, position)?;
        if !part.is_empty() {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        return string_result(String::new());
    }
    string_result(clean_path(&parts.join("/")))
}

/// `relPath base target`: the path of `target` relative to `base`, as Go's
/// `filepath.Rel` computes it.
pub(super) fn rel_path(args: &[Value]) -> Result<Value, String> {
    let base_path = string_arg(args, 0)?;
    let target = string_arg(args, 1)?;
    let cannot = || format!("Rel: can't make {target} relative to {base_path}");

    let base_clean = clean_path(base_path);
    let target_clean = clean_path(target);
    if base_clean.starts_with('/') != target_clean.starts_with('/') {
        return Err(cannot());
    }
    if base_clean == target_clean {
        return string_result(".".to_owned());
    }

    let split = |path: &str| -> Vec<String> {
        if path == "." {
            return Vec::new();
        }
        path.split('/').filter(|part| !part.is_empty()).map(str::to_owned).collect()
    };
    let base_parts = split(&base_clean);
    let target_parts = split(&target_clean);
    let common =
        base_parts.iter().zip(&target_parts).take_while(|(left, right)| left == right).count();
    if base_parts[common..].iter().any(|part| part == "..") {
        return Err(cannot());
    }

    let mut parts: Vec<&str> = vec![".."; base_parts.len() - common];
    parts.extend(target_parts[common..].iter().map(String::as_str));
    string_result(parts.join("/"))
}

/// `absPath path`: the path made absolute against the working directory.
pub(super) fn abs_path(args: &[Value]) -> Result<Value, String> {
    let path = string_arg(args, 0)?;
    if path.starts_with('/') {
        return string_result(clean_path(path));
    }
    let cwd = std::env::current_dir()
        .map_err(|error| format!("failed to read the working directory: {error}"))?;
    string_result(clean_path(&format!("{}/{path}", cwd.to_string_lossy())))
}

pub(super) fn identity_slash(args: &[Value]) -> Result<Value, String> {
    string_result(string_arg(args, 0)?.to_owned())
}

/// `joinEnv a b ...`: the elements joined with the `PATH` list separator.
pub(super) fn join_env(args: &[Value]) -> Result<Value, String> {
    let mut parts = Vec::new();
    for position in 0..args.len() {
        parts.push(string_arg(args, position)?);
    }
    string_result(parts.join(":"))
}

/// `joinUrl base elem ...`: the elements appended to the URL's path, as Go's
/// `url.JoinPath` does, keeping a trailing slash of the last element.
pub(super) fn join_url(args: &[Value]) -> Result<Value, String> {
    let base_url = string_arg(args, 0)?;
    let (prefix, path) = match base_url.find("://") {
        Some(scheme_end) => {
            let host_start = scheme_end + 3;
            let path_start =
                base_url[host_start..].find('/').map_or(base_url.len(), |slash| host_start + slash);
            base_url.split_at(path_start)
        }
        None => ("", base_url),
    };

    let mut elements = vec![path.to_owned()];
    for position in 1..args.len() {
        elements.push(string_arg(args, position)?.to_owned());
    }
    let rooted = path.starts_with('/');
    if !rooted {
        elements[0] = format!("/{}", elements[0]);
    }

    let joined = clean_path(&elements.join("/"));
    let mut joined = if rooted { joined } else { joined[1..].to_owned() };
    if elements.last().is_some_and(|last| last.ends_with('/')) && !joined.ends_with('/') {
        joined.push('/');
    }
    if !prefix.is_empty() && !joined.is_empty() && !joined.starts_with('/') {
        joined.insert(0, '/');
    }
    string_result(format!("{prefix}{joined}"))
}

pub(super) fn env(args: &[Value]) -> Result<Value, String> {
    string_result(std::env::var(string_arg(args, 0)?).unwrap_or_default())
}

/// `expandenv text`: `$NAME` and `${NAME}` replaced by environment values.
pub(super) fn expand_env(args: &[Value]) -> Result<Value, String> {
    let text = string_arg(args, 0)?;
    let mut out = String::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|character: char| !(character.is_ascii_alphanumeric() || character == '_'));
            let end = end.unwrap_or(after.len());
            (&after[..end], end)
        };

        if consumed == 0 {
            out.push('$');
        } else {
            out.push_str(&std::env::var(name).unwrap_or_default());
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    string_result(out)
}

/// Go's name for the operating system (`GOOS`).
pub(super) fn os(_: &[Value]) -> Result<Value, String> {
    string_result(crate::taskfile::compile::go_os().to_owned())
}

/// Go's name for the processor architecture (`GOARCH`).
pub(super) fn arch(_: &[Value]) -> Result<Value, String> {
    string_result(crate::taskfile::compile::go_arch().to_owned())
}

pub(super) fn num_cpu(_: &[Value]) -> Result<Value, String> {
    let count = std::thread::available_parallelism().map_or(1, |count| count.get());
    Ok(Value::Int(count as i64))
}

pub(super) fn exe_ext(_: &[Value]) -> Result<Value, String> {
    string_result(std::env::consts::EXE_SUFFIX.to_owned())
}
