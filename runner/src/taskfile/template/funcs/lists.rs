//! List and map functions from sprig, plus go-task's `merge` and `spew`.
//!
//! The list is the last argument, so `{{.L | join ","}}` works. Functions
//! that need a list reject other types with sprig's message, such as
//! `cannot find first on type string`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{int_arg, string_arg, strslice, strval};
use crate::taskfile::template::value::Value;

fn list_arg<'a>(args: &'a [Value], position: usize, function: &str) -> Result<&'a [Value], String> {
    match &args[position] {
        Value::List(items) => Ok(items),
        other => Err(format!("cannot find {function} on type {}", kind_name(other))),
    }
}

/// Returns the Go reflect kind that sprig names in its messages.
pub(super) fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
    }
}

pub(super) fn first(args: &[Value]) -> Result<Value, String> {
    Ok(list_arg(args, 0, "first")?.first().cloned().unwrap_or(Value::Nil))
}

pub(super) fn last(args: &[Value]) -> Result<Value, String> {
    Ok(list_arg(args, 0, "last")?.last().cloned().unwrap_or(Value::Nil))
}

pub(super) fn rest(args: &[Value]) -> Result<Value, String> {
    let items = list_arg(args, 0, "rest")?;
    Ok(Value::List(items.get(1..).unwrap_or_default().to_vec()))
}

pub(super) fn initial(args: &[Value]) -> Result<Value, String> {
    let items = list_arg(args, 0, "initial")?;
    Ok(Value::List(items[..items.len().saturating_sub(1)].to_vec()))
}

/// Keeps the first of each run of equal items, in order.
pub(super) fn uniq(args: &[Value]) -> Result<Value, String> {
    let mut kept: Vec<Value> = Vec::new();
    for item in list_arg(args, 0, "uniq")? {
        if !kept.contains(item) {
            kept.push(item.clone());
        }
    }
    Ok(Value::List(kept))
}

pub(super) fn reverse(args: &[Value]) -> Result<Value, String> {
    let mut items = list_arg(args, 0, "reverse")?.to_vec();
    items.reverse();
    Ok(Value::List(items))
}

/// Drops the empty items: nil, `""`, 0, false and empty lists and maps.
pub(super) fn compact(args: &[Value]) -> Result<Value, String> {
    let items = list_arg(args, 0, "compact")?;
    Ok(Value::List(items.iter().filter(|item| item.truthy()).cloned().collect()))
}

/// Sorts the items as strings; a value that is not a list becomes a one-item list.
pub(super) fn sort_alpha(args: &[Value]) -> Result<Value, String> {
    let mut items = strslice(&args[0]);
    items.sort();
    Ok(Value::List(items.into_iter().map(Value::String).collect()))
}

/// `has needle list`.
pub(super) fn has(args: &[Value]) -> Result<Value, String> {
    let items = list_arg(args, 1, "has")?;
    Ok(Value::Bool(items.contains(&args[0])))
}

/// `append list item`.
pub(super) fn append(args: &[Value]) -> Result<Value, String> {
    let mut items = list_arg(args, 0, "append")?.to_vec();
    items.push(args[1].clone());
    Ok(Value::List(items))
}

/// `prepend list item`.
pub(super) fn prepend(args: &[Value]) -> Result<Value, String> {
    let mut items = list_arg(args, 0, "prepend")?.to_vec();
    items.insert(0, args[1].clone());
    Ok(Value::List(items))
}

pub(super) fn concat(args: &[Value]) -> Result<Value, String> {
    let mut items = Vec::new();
    for arg in args {
        match arg {
            Value::List(more) => items.extend(more.iter().cloned()),
            other => return Err(format!("cannot concat type {} as list", kind_name(other))),
        }
    }
    Ok(Value::List(items))
}

/// `join sep value`: a list's items as strings, nil items dropped; any other
/// value is printed whole.
pub(super) fn join(args: &[Value]) -> Result<Value, String> {
    let separator = string_arg(args, 0)?;
    Ok(Value::String(strslice(&args[1]).join(separator)))
}

/// Sprig's `slice list [start [end]]`.
pub(super) fn slice(args: &[Value]) -> Result<Value, String> {
    let items = match &args[0] {
        Value::List(items) => items,
        other => {
            return Err(format!("list should be type of slice or array but {}", kind_name(other)));
        }
    };

    let mut bounds = Vec::new();
    for position in 1..args.len().min(3) {
        bounds.push(int_arg(args, position)?);
    }
    let start = bounds.first().copied().unwrap_or(0);
    let end = bounds.get(1).copied().unwrap_or(items.len() as i64);
    if start < 0 || end < start || end > items.len() as i64 {
        return Err("slice index out of bounds".to_owned());
    }
    Ok(Value::List(items[start as usize..end as usize].to_vec()))
}

/// `dict key value ...`: a map; keys are converted to strings and a missing
/// last value is empty.
pub(super) fn dict(args: &[Value]) -> Result<Value, String> {
    let mut entries = BTreeMap::new();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or(Value::String(String::new()));
        entries.insert(strval(&pair[0]), value);
    }
    Ok(Value::Map(entries))
}

fn map_arg<'a>(
    args: &'a [Value],
    position: usize,
    function: &str,
) -> Result<&'a BTreeMap<String, Value>, String> {
    match &args[position] {
        Value::Map(entries) => Ok(entries),
        other => Err(format!("`{function}` expects a map; found {}", kind_name(other))),
    }
}

/// `keys map`: the keys in sorted order, where go-task returns them in
/// random order.
pub(super) fn keys(args: &[Value]) -> Result<Value, String> {
    let entries = map_arg(args, 0, "keys")?;
    Ok(Value::List(entries.keys().map(|key| Value::String(key.clone())).collect()))
}

/// `hasKey map key`.
pub(super) fn has_key(args: &[Value]) -> Result<Value, String> {
    let entries = map_arg(args, 0, "hasKey")?;
    Ok(Value::Bool(entries.contains_key(string_arg(args, 1)?)))
}

/// `get map key`: the value, or an empty string when the key is missing.
pub(super) fn get(args: &[Value]) -> Result<Value, String> {
    let entries = map_arg(args, 0, "get")?;
    Ok(entries.get(string_arg(args, 1)?).cloned().unwrap_or(Value::String(String::new())))
}

/// go-task's `merge base more...`: a new map, later keys winning.
pub(super) fn merge(args: &[Value]) -> Result<Value, String> {
    let mut merged = BTreeMap::new();
    for position in 0..args.len() {
        for (key, value) in map_arg(args, position, "merge")? {
            merged.insert(key.clone(), value.clone());
        }
    }
    Ok(Value::Map(merged))
}

/// go-task's `spew`: a dump of the value with Go type names, in the layout
/// of go-spew's `Sdump`. Lists and maps hold `interface {}` items in go-task,
/// so nested values name their dynamic type.
pub(super) fn spew(args: &[Value]) -> Result<Value, String> {
    let mut out = String::new();
    write_spew(&mut out, &args[0], 0);
    out.push('\n');
    Ok(Value::String(out))
}

fn write_spew(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Nil => out.push_str("(interface {}) <nil>"),
        Value::Bool(flag) => {
            let _ = write!(out, "(bool) {flag}");
        }
        Value::Int(number) => {
            let _ = write!(out, "(int) {number}");
        }
        Value::Float(_) => {
            let _ = write!(out, "(float64) {}", value.go_string_nested());
        }
        Value::String(text) => {
            let _ =
                write!(out, "(string) (len={}) {}", text.len(), super::printf::quote_string(text));
        }
        Value::List(items) => {
            let _ = writeln!(out, "([]interface {{}}) (len={0} cap={0}) {{", items.len());
            for (position, item) in items.iter().enumerate() {
                out.push_str(&" ".repeat(depth + 1));
                write_spew(out, item, depth + 1);
                out.push_str(if position + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(depth));
            out.push('}');
        }
        Value::Map(entries) => {
            let _ = writeln!(out, "(map[string]interface {{}}) (len={}) {{", entries.len());
            for (key, item) in entries {
                out.push_str(&" ".repeat(depth + 1));
                write_spew(out, &Value::String(key.clone()), depth + 1);
                out.push_str(": ");
                write_spew(out, item, depth + 1);
                out.push_str(",\n");
            }
            out.push_str(&" ".repeat(depth));
            out.push('}');
        }
    }
}

/// The maximum length of the lists that `until`, `untilStep` and `seq` build.
const MAX_SEQUENCE: usize = 1_000_000;

/// Counts from `start` towards `stop` (exclusive) by `step`, as sprig's
/// `untilStep` does: an empty list when the step points away from `stop`.
fn count_steps(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, String> {
    let mut numbers = Vec::new();
    let mut current = start;
    let moving = (stop < start && step < 0) || (stop > start && step > 0);
    while moving && ((step > 0 && current < stop) || (step < 0 && current > stop)) {
        if numbers.len() == MAX_SEQUENCE {
            return Err(format!("the sequence would exceed {MAX_SEQUENCE} numbers"));
        }
        numbers.push(current);
        let Some(next) = current.checked_add(step) else { break };
        current = next;
    }
    Ok(numbers)
}

fn int_list(numbers: Vec<i64>) -> Value {
    Value::List(numbers.into_iter().map(Value::Int).collect())
}

/// `until count`: 0, 1, ... up to `count`, or down for a negative count.
pub(super) fn until(args: &[Value]) -> Result<Value, String> {
    let count = int_arg(args, 0)?;
    Ok(int_list(count_steps(0, count, if count < 0 { -1 } else { 1 })?))
}

/// `untilStep start stop step`.
pub(super) fn until_step(args: &[Value]) -> Result<Value, String> {
    Ok(int_list(count_steps(int_arg(args, 0)?, int_arg(args, 1)?, int_arg(args, 2)?)?))
}

/// `seq end`, `seq start end` or `seq start step end`: the numbers from
/// start to end inclusive, joined with spaces, as sprig's `seq` prints them.
pub(super) fn seq(args: &[Value]) -> Result<Value, String> {
    let mut params = Vec::new();
    for position in 0..args.len() {
        params.push(int_arg(args, position)?);
    }

    let numbers = match params.as_slice() {
        [end] => {
            let step = if *end < 1 { -1 } else { 1 };
            count_steps(1, end.saturating_add(step), step)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            count_steps(*start, end.saturating_add(step), step)?
        }
        [start, step, end] => {
            let direction = if end < start { -1 } else { 1 };
            if end < start && *step > 0 {
                Vec::new()
            } else {
                count_steps(*start, end.saturating_add(direction), *step)?
            }
        }
        _ => Vec::new(),
    };
    let words: Vec<String> = numbers.iter().map(i64::to_string).collect();
    Ok(Value::String(words.join(" ")))
}

/// `without list item...`: the list without the given items.
pub(super) fn without(args: &[Value]) -> Result<Value, String> {
    let items = list_arg(args, 0, "without")?;
    let omitted = &args[1..];
    Ok(Value::List(items.iter().filter(|item| !omitted.contains(item)).cloned().collect()))
}

/// `pick map key...`: only the given keys.
pub(super) fn pick(args: &[Value]) -> Result<Value, String> {
    let entries = map_arg(args, 0, "pick")?;
    let keys: Vec<String> = args[1..].iter().map(strval).collect();
    let picked = entries.iter().filter(|(key, _)| keys.contains(key));
    Ok(Value::Map(picked.map(|(key, value)| (key.clone(), value.clone())).collect()))
}

/// `omit map key...`: everything but the given keys.
pub(super) fn omit(args: &[Value]) -> Result<Value, String> {
    let entries = map_arg(args, 0, "omit")?;
    let keys: Vec<String> = args[1..].iter().map(strval).collect();
    let kept = entries.iter().filter(|(key, _)| !keys.contains(key));
    Ok(Value::Map(kept.map(|(key, value)| (key.clone(), value.clone())).collect()))
}

/// `values map`: the values in key order, where go-task returns them in
/// random order.
pub(super) fn values(args: &[Value]) -> Result<Value, String> {
    Ok(Value::List(map_arg(args, 0, "values")?.values().cloned().collect()))
}

/// `pluck key map...`: the values of `key` in the maps that have it.
pub(super) fn pluck(args: &[Value]) -> Result<Value, String> {
    let key = string_arg(args, 0)?;
    let mut found = Vec::new();
    for position in 1..args.len() {
        if let Some(value) = map_arg(args, position, "pluck")?.get(key) {
            found.push(value.clone());
        }
    }
    Ok(Value::List(found))
}

/// `chunk size list`: the list cut into lists of `size` items.
pub(super) fn chunk(args: &[Value]) -> Result<Value, String> {
    let size = usize::try_from(int_arg(args, 0)?).ok().filter(|size| *size > 0);
    let size = size.ok_or_else(|| "chunk size must be positive".to_owned())?;
    let items = list_arg(args, 1, "chunk")?;
    Ok(Value::List(items.chunks(size).map(|piece| Value::List(piece.to_vec())).collect()))
}

/// `dig key... default map`: the value at the path of keys, or the default.
pub(super) fn dig(args: &[Value]) -> Result<Value, String> {
    let (map, rest) = args.split_last().ok_or("missing arguments")?;
    let (default, keys) = rest.split_last().ok_or("missing default value")?;
    let mut current = match map {
        Value::Map(_) => map.clone(),
        other => return Err(format!("`dig` expects a map; found {}", kind_name(other))),
    };
    for key in keys {
        let name =
            key.as_str().ok_or_else(|| format!("expected string; found {}", super::shown(key)))?;
        current = match &current {
            Value::Map(entries) => match entries.get(name) {
                Some(value) => value.clone(),
                None => return Ok(default.clone()),
            },
            _ => return Ok(default.clone()),
        };
    }
    Ok(current)
}
