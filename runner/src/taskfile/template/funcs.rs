//! The functions a template can call: Go's builtins, the sprig functions
//! that go-task ships, and go-task's own.
//!
//! Each function is a plain Rust function over already evaluated arguments,
//! except `and` and `or`, which the evaluator runs itself because they stop
//! evaluating at the first decisive argument. The table is searched at parse
//! time, so an unknown name fails before rendering. Argument conversion
//! follows the Go signatures: a `string` parameter rejects a number
//! (`expected string; found 1`), while sprig's number functions convert
//! strings and floats to integers as sprig's `cast` calls do.

mod duration;
mod encoding;
mod layout;
mod lists;
mod math;
mod paths;
mod printf;
mod strings;
mod time;
mod yaml;
mod zone;

use super::value::Value;

pub(crate) use printf::{sprint, sprintf, sprintln};
pub(crate) use time::time_methods;

/// A callable template function.
pub(crate) struct Function {
    pub(crate) name: &'static str,
    pub(crate) min_args: usize,
    /// The maximum argument count, or `None` for a variadic function.
    pub(crate) max_args: Option<usize>,
    pub(crate) call: Call,
}

/// The evaluation strategy of a function.
pub(crate) enum Call {
    /// Evaluate every argument, then call.
    Plain(fn(&[Value]) -> Result<Value, String>),
    /// Go's short-circuit `and`: the first false argument, or the last.
    And,
    /// Go's short-circuit `or`: the first true argument, or the last.
    Or,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Function({})", self.name)
    }
}

impl Function {
    /// Checks the argument count, with Go's wording for a mismatch.
    pub(crate) fn check_arity(&self, count: usize) -> Result<(), String> {
        let name = self.name;
        match self.max_args {
            Some(max) if self.min_args == max && count != max => {
                Err(format!("wrong number of args for {name}: want {max} got {count}"))
            }
            Some(max) if count < self.min_args || count > max => Err(format!(
                "wrong number of args for {name}: want {} to {max} got {count}",
                self.min_args
            )),
            None if count < self.min_args => Err(format!(
                "wrong number of args for {name}: want at least {} got {count}",
                self.min_args
            )),
            _ => Ok(()),
        }
    }
}

const fn exact(
    name: &'static str,
    count: usize,
    body: fn(&[Value]) -> Result<Value, String>,
) -> Function {
    Function { name, min_args: count, max_args: Some(count), call: Call::Plain(body) }
}

const fn at_least(
    name: &'static str,
    count: usize,
    body: fn(&[Value]) -> Result<Value, String>,
) -> Function {
    Function { name, min_args: count, max_args: None, call: Call::Plain(body) }
}

static FUNCTIONS: &[Function] = &[
    // Go's builtins.
    Function { name: "and", min_args: 1, max_args: None, call: Call::And },
    Function { name: "or", min_args: 1, max_args: None, call: Call::Or },
    exact("not", 1, |args| Ok(Value::Bool(!args[0].truthy()))),
    at_least("eq", 1, equal),
    exact("ne", 2, |args| Ok(Value::Bool(!values_equal(&args[0], &args[1])?))),
    exact("lt", 2, |args| compare(args, |ordering| ordering.is_lt())),
    exact("le", 2, |args| compare(args, |ordering| ordering.is_le())),
    exact("gt", 2, |args| compare(args, |ordering| ordering.is_gt())),
    exact("ge", 2, |args| compare(args, |ordering| ordering.is_ge())),
    exact("len", 1, length),
    at_least("index", 1, index),
    at_least("print", 0, |args| Ok(Value::String(sprint(args)))),
    at_least("println", 0, |args| Ok(Value::String(sprintln(args)))),
    at_least("printf", 1, |args| Ok(Value::String(sprintf(string_arg(args, 0)?, &args[1..])))),
    // Sprig: defaults and logic.
    at_least("default", 1, |args| {
        Ok(if args.len() < 2 || is_empty(&args[1]) { args[0].clone() } else { args[1].clone() })
    }),
    exact("empty", 1, |args| Ok(Value::Bool(is_empty(&args[0])))),
    at_least("coalesce", 0, |args| {
        Ok(args.iter().find(|arg| !is_empty(arg)).cloned().unwrap_or(Value::Nil))
    }),
    exact("ternary", 3, ternary),
    at_least("all", 0, |args| Ok(Value::Bool(args.iter().all(|arg| !is_empty(arg))))),
    at_least("any", 0, |args| Ok(Value::Bool(args.iter().any(|arg| !is_empty(arg))))),
    exact("fail", 1, |args| Err(string_arg(args, 0)?.to_owned())),
    exact("typeOf", 1, |args| Ok(Value::String(args[0].type_name().to_owned()))),
    exact("typeIs", 2, |args| Ok(Value::Bool(string_arg(args, 0)? == args[1].type_name()))),
    exact("kindOf", 1, |args| Ok(Value::String(lists::kind_name(&args[0]).to_owned()))),
    exact("kindIs", 2, |args| Ok(Value::Bool(string_arg(args, 0)? == lists::kind_name(&args[1])))),
    exact("hello", 0, |_| Ok(Value::String("Hello!".to_owned()))),
    // Go's escaping builtins.
    at_least("html", 0, encoding::html),
    at_least("js", 0, encoding::js),
    at_least("urlquery", 0, encoding::urlquery),
    // Sprig: strings.
    exact("upper", 1, strings::upper),
    exact("lower", 1, strings::lower),
    exact("title", 1, strings::title),
    exact("trim", 1, strings::trim),
    exact("trimAll", 2, strings::trim_all),
    exact("trimall", 2, strings::trim_all),
    exact("trimPrefix", 2, strings::trim_prefix),
    exact("trimSuffix", 2, strings::trim_suffix),
    exact("replace", 3, strings::replace),
    exact("contains", 2, strings::contains),
    exact("hasPrefix", 2, strings::has_prefix),
    exact("hasSuffix", 2, strings::has_suffix),
    exact("split", 2, strings::split),
    exact("splitList", 2, strings::split_list),
    exact("splitn", 3, strings::splitn),
    exact("repeat", 2, strings::repeat),
    exact("substr", 3, strings::substr),
    exact("trunc", 2, strings::trunc),
    at_least("cat", 0, strings::cat),
    at_least("quote", 0, strings::quote),
    at_least("squote", 0, strings::squote),
    exact("indent", 2, strings::indent),
    exact("nindent", 2, strings::nindent),
    exact("toString", 1, |args| Ok(Value::String(strval(&args[0])))),
    exact("toStrings", 1, |args| {
        Ok(Value::List(strslice(&args[0]).into_iter().map(Value::String).collect()))
    }),
    exact("regexMatch", 2, strings::regex_match),
    exact("regexFind", 2, strings::regex_find),
    exact("regexSplit", 3, strings::regex_split),
    exact("regexQuoteMeta", 1, strings::regex_quote_meta),
    exact("mustRegexReplaceAll", 3, strings::regex_replace_all),
    exact("plural", 3, strings::plural),
    exact("regexReplaceAll", 3, strings::regex_replace_all),
    exact("regexReplaceAllLiteral", 3, strings::regex_replace_all_literal),
    exact("regexFindAll", 3, strings::regex_find_all),
    // go-task: strings and shell words.
    exact("catLines", 1, strings::cat_lines),
    exact("splitLines", 1, strings::split_lines),
    exact("splitArgs", 1, strings::split_args),
    exact("shellQuote", 1, strings::shell_quote),
    exact("q", 1, strings::shell_quote),
    // Sprig: lists and maps.
    at_least("list", 0, |args| Ok(Value::List(args.to_vec()))),
    exact("first", 1, lists::first),
    exact("mustFirst", 1, lists::first),
    exact("last", 1, lists::last),
    exact("mustLast", 1, lists::last),
    exact("rest", 1, lists::rest),
    exact("initial", 1, lists::initial),
    exact("uniq", 1, lists::uniq),
    exact("mustUniq", 1, lists::uniq),
    at_least("without", 1, lists::without),
    exact("chunk", 2, lists::chunk),
    exact("until", 1, lists::until),
    exact("untilStep", 3, lists::until_step),
    at_least("seq", 0, lists::seq),
    exact("reverse", 1, lists::reverse),
    exact("compact", 1, lists::compact),
    exact("sortAlpha", 1, lists::sort_alpha),
    exact("has", 2, lists::has),
    exact("append", 2, lists::append),
    exact("prepend", 2, lists::prepend),
    at_least("concat", 0, lists::concat),
    exact("join", 2, lists::join),
    at_least("slice", 1, lists::slice),
    at_least("dict", 0, lists::dict),
    exact("keys", 1, lists::keys),
    exact("hasKey", 2, lists::has_key),
    exact("get", 2, lists::get),
    at_least("pick", 1, lists::pick),
    at_least("omit", 1, lists::omit),
    exact("values", 1, lists::values),
    at_least("pluck", 1, lists::pluck),
    at_least("dig", 2, lists::dig),
    at_least("merge", 1, lists::merge),
    exact("spew", 1, lists::spew),
    // Sprig: integer math.
    at_least("add", 0, math::add),
    exact("add1", 1, math::add1),
    exact("sub", 2, math::sub),
    at_least("mul", 1, math::mul),
    exact("div", 2, math::div),
    exact("mod", 2, math::modulo),
    at_least("max", 1, math::max),
    at_least("biggest", 1, math::max),
    at_least("min", 1, math::min),
    exact("atoi", 1, math::atoi),
    exact("int", 1, |args| Ok(Value::Int(to_int64(&args[0])))),
    exact("int64", 1, |args| Ok(Value::Int(to_int64(&args[0])))),
    exact("float64", 1, |args| Ok(Value::Float(to_float64(&args[0])))),
    Function { name: "round", min_args: 2, max_args: Some(3), call: Call::Plain(math::round) },
    exact("floor", 1, math::floor),
    exact("ceil", 1, math::ceil),
    at_least("maxf", 1, math::maxf),
    at_least("minf", 1, math::minf),
    exact("randIntN", 1, math::rand_int_n),
    exact("randInt", 2, math::rand_int),
    // Sprig: dates.
    exact("now", 0, time::now),
    exact("date", 2, time::date),
    exact("dateInZone", 3, time::date_in_zone),
    exact("unixEpoch", 1, time::unix_epoch),
    exact("htmlDate", 1, time::html_date),
    exact("toDate", 2, time::to_date),
    exact("mustToDate", 2, time::must_to_date),
    exact("dateModify", 2, time::date_modify),
    exact("mustDateModify", 2, time::must_date_modify),
    exact("duration", 1, duration::duration),
    exact("durationRound", 1, duration::duration_round),
    exact("ago", 1, duration::ago),
    // Sprig and go-task: paths and the platform.
    exact("base", 1, paths::base),
    exact("dir", 1, paths::dir),
    exact("ext", 1, paths::ext),
    exact("clean", 1, paths::clean),
    exact("isAbs", 1, paths::is_abs),
    exact("osBase", 1, paths::base),
    exact("osDir", 1, paths::dir),
    exact("osExt", 1, paths::ext),
    exact("osClean", 1, paths::clean),
    exact("osIsAbs", 1, paths::is_abs),
    at_least("joinPath", 0, paths::join_path),
    exact("relPath", 2, paths::rel_path),
    exact("absPath", 1, paths::abs_path),
    exact("fromSlash", 1, paths::identity_slash),
    exact("toSlash", 1, paths::identity_slash),
    at_least("joinEnv", 0, paths::join_env),
    at_least("joinUrl", 1, paths::join_url),
    exact("env", 1, paths::env),
    exact("expandenv", 1, paths::expand_env),
    exact("OS", 0, paths::os),
    exact("ARCH", 0, paths::arch),
    exact("numCPU", 0, paths::num_cpu),
    exact("exeExt", 0, paths::exe_ext),
    // Sprig and go-task: encodings.
    exact("toJson", 1, encoding::to_json),
    exact("mustToJson", 1, encoding::must_to_json),
    exact("toPrettyJson", 1, encoding::to_pretty_json),
    exact("toRawJson", 1, encoding::to_raw_json),
    exact("fromJson", 1, encoding::from_json),
    exact("mustFromJson", 1, encoding::must_from_json),
    exact("fromYaml", 1, yaml::from_yaml),
    exact("mustFromYaml", 1, yaml::must_from_yaml),
    exact("toYaml", 1, yaml::to_yaml),
    exact("mustToYaml", 1, yaml::to_yaml),
    exact("b64enc", 1, encoding::b64enc),
    exact("b64dec", 1, encoding::b64dec),
    exact("sha256sum", 1, encoding::sha256sum),
    exact("sha1sum", 1, encoding::sha1sum),
    exact("adler32sum", 1, encoding::adler32sum),
    exact("b32enc", 1, encoding::b32enc),
    exact("b32dec", 1, encoding::b32dec),
    exact("uuid", 0, encoding::uuid),
];

/// Returns every function, for tests that call each one.
#[cfg(test)]
pub(crate) fn all() -> &'static [Function] {
    FUNCTIONS
}

/// Finds a function by its template name.
pub(crate) fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|function| function.name == name)
}

/// Formats a value the way Go's messages show an argument: strings quoted.
pub(crate) fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("{text:?}"),
        other => other.go_string_nested(),
    }
}

/// Returns argument `position` as a string, rejecting other types as Go does
/// for a `string` parameter.
pub(crate) fn string_arg(args: &[Value], position: usize) -> Result<&str, String> {
    match &args[position] {
        Value::String(text) => Ok(text),
        other => Err(format!("expected string; found {}", shown(other))),
    }
}

/// Returns argument `position` as an integer for an `int` parameter.
/// Integral floats are accepted because Go converts untyped constants.
pub(crate) fn int_arg(args: &[Value], position: usize) -> Result<i64, String> {
    match &args[position] {
        Value::Int(number) => Ok(*number),
        Value::Float(number) if number.fract() == 0.0 && number.abs() < 9.2e18 => {
            Ok(*number as i64)
        }
        other => Err(format!("expected integer; found {}", shown(other))),
    }
}

/// Converts any value to an integer as sprig's `toInt64` does: numbers
/// truncate, decimal strings parse and other strings give 0, booleans give
/// 1 or 0, everything else 0.
pub(crate) fn to_int64(value: &Value) -> i64 {
    match value {
        Value::Int(number) => *number,
        Value::Float(number) if number.is_finite() => *number as i64,
        Value::Bool(flag) => i64::from(*flag),
        Value::String(text) => text.parse().unwrap_or(0),
        _ => 0,
    }
}

/// Converts any value to a float as sprig's `toFloat64` does.
pub(crate) fn to_float64(value: &Value) -> f64 {
    match value {
        Value::Int(number) => *number as f64,
        Value::Float(number) => *number,
        Value::Bool(flag) => f64::from(u8::from(*flag)),
        Value::String(text) => text.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Converts a value to a string as sprig's `strval` does: strings as they
/// are, everything else with `%v` (so nil is `<nil>`).
pub(crate) fn strval(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.go_string_nested(),
    }
}

/// Converts a value to a list of strings as sprig's `strslice` does: a list
/// loses its nil items, nil becomes empty and anything else one string.
pub(crate) fn strslice(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) => {
            items.iter().filter(|item| **item != Value::Nil).map(strval).collect()
        }
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// Reports whether sprig's `empty` and `default` treat the value as unset.
pub(crate) fn is_empty(value: &Value) -> bool {
    !value.truthy()
}

fn ternary(args: &[Value]) -> Result<Value, String> {
    match &args[2] {
        Value::Bool(condition) => Ok(if *condition { args[0].clone() } else { args[1].clone() }),
        other => Err(format!("expected bool; found {}", shown(other))),
    }
}

/// Compares two values as Go's `eq` does: values of the same basic kind by
/// value, nil equal only to nil, and other mixes rejected.
fn values_equal(left: &Value, right: &Value) -> Result<bool, String> {
    match (left, right) {
        (Value::Bool(a), Value::Bool(b)) => Ok(a == b),
        (Value::Int(a), Value::Int(b)) => Ok(a == b),
        (Value::Float(a), Value::Float(b)) => Ok(a == b),
        (Value::String(a), Value::String(b)) => Ok(a == b),
        (Value::Nil, Value::Nil) => Ok(true),
        (Value::Nil, Value::List(_) | Value::Map(_))
        | (Value::List(_) | Value::Map(_), Value::Nil) => Ok(false),
        (Value::List(_) | Value::Map(_), _) => {
            Err(format!("non-comparable type {}: {}", left.go_string_nested(), left.type_name()))
        }
        (_, Value::List(_) | Value::Map(_)) => {
            Err(format!("non-comparable type {}: {}", right.go_string_nested(), right.type_name()))
        }
        (Value::Nil, _) | (_, Value::Nil) => Ok(false),
        _ => Err("incompatible types for comparison".to_owned()),
    }
}

fn equal(args: &[Value]) -> Result<Value, String> {
    if args.len() < 2 {
        return Err("missing argument for comparison".to_owned());
    }
    for other in &args[1..] {
        if values_equal(&args[0], other)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn compare(args: &[Value], accept: fn(std::cmp::Ordering) -> bool) -> Result<Value, String> {
    let ordering = match (&args[0], &args[1]) {
        (Value::Int(a), Value::Int(b)) => a.cmp(b),
        (Value::Float(a), Value::Float(b)) => match a.partial_cmp(b) {
            Some(ordering) => ordering,
            None => return Ok(Value::Bool(false)),
        },
        (Value::String(a), Value::String(b)) => a.cmp(b),
        (
            Value::Int(_) | Value::Float(_) | Value::String(_),
            Value::Int(_) | Value::Float(_) | Value::String(_),
        ) => {
            return Err("incompatible types for comparison".to_owned());
        }
        _ => return Err("invalid type for comparison".to_owned()),
    };
    Ok(Value::Bool(accept(ordering)))
}

fn length(args: &[Value]) -> Result<Value, String> {
    let count = match &args[0] {
        Value::String(text) => text.len(),
        Value::List(items) => items.len(),
        Value::Map(entries) => entries.len(),
        Value::Nil => return Err("len of nil".to_owned()),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Value::Int(count as i64))
}

fn index(args: &[Value]) -> Result<Value, String> {
    let mut current = args[0].clone();
    for key in &args[1..] {
        current = match (&current, key) {
            (Value::List(items), Value::Int(position)) => usize::try_from(*position)
                .ok()
                .and_then(|position| items.get(position))
                .cloned()
                .ok_or_else(|| format!("index out of range: {position}"))?,
            (Value::String(text), Value::Int(position)) => usize::try_from(*position)
                .ok()
                .and_then(|position| text.as_bytes().get(position))
                .map(|byte| Value::Int(i64::from(*byte)))
                .ok_or_else(|| format!("index out of range: {position}"))?,
            (Value::Map(entries), Value::String(name)) => {
                entries.get(name).cloned().unwrap_or(Value::Nil)
            }
            (Value::Map(_), other) => {
                return Err(format!("value has type {}; should be string", other.type_name()));
            }
            (Value::List(_) | Value::String(_), other) => {
                return Err(format!("cannot index slice/array with type {}", other.type_name()));
            }
            (Value::Nil, _) => return Err("index of untyped nil".to_owned()),
            (other, _) => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(current)
}
