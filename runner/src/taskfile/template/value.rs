//! The values a template computes with, and how Go prints them.
//!
//! Taskfile variables are YAML scalars, lists and maps, so the value type has
//! exactly those shapes. Printing follows Go's `fmt` `%v` verb, which
//! `text/template` uses for an action's result. A list prints as `[a b]` and
//! a map as `map[a:1 b:2]` with keys sorted. A float prints in the shortest
//! form that reads back (`3.5`, `1e+06`), and a nested nil as `<nil>`. A nil
//! at the top of an action prints as nothing, because go-task deletes the
//! `<no value>` that Go writes there.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A template value: a variable, a literal or a function result.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// A missing variable, a YAML `null` or the literal `nil`.
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Value>),
    /// A map with keys in byte order, the order in which Go prints maps.
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// Formats the value as a template action prints it: Go's `%v`, except
    /// that a nil value prints as the empty string.
    pub(crate) fn to_go_string(&self) -> String {
        match self {
            Value::Nil => String::new(),
            Value::String(text) => text.clone(),
            other => {
                let mut out = String::new();
                other.write_go(&mut out);
                out
            }
        }
    }

    /// Reports whether `if`, `with`, `and`, `or` and `not` treat the value as
    /// true. False, zero, nil and empty strings, lists and maps are false,
    /// as in Go's `text/template`.
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(flag) => *flag,
            Value::Int(number) => *number != 0,
            Value::Float(number) => *number != 0.0,
            Value::String(text) => !text.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(entries) => !entries.is_empty(),
        }
    }

    /// Appends the value formatted with Go's `%v` verb, nil as `<nil>`.
    pub(crate) fn write_go(&self, out: &mut String) {
        match self {
            Value::Nil => out.push_str("<nil>"),
            Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
            Value::Int(number) => {
                let _ = write!(out, "{number}");
            }
            Value::Float(number) => out.push_str(&format_float_shortest(*number)),
            Value::String(text) => out.push_str(text),
            Value::List(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(' ');
                    }
                    item.write_go(out);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push_str("map[");
                for (index, (key, item)) in entries.iter().enumerate() {
                    if index > 0 {
                        out.push(' ');
                    }
                    out.push_str(key);
                    out.push(':');
                    item.write_go(out);
                }
                out.push(']');
            }
        }
    }

    /// Formats the value with Go's `%v` verb, nil as `<nil>`.
    pub(crate) fn go_string_nested(&self) -> String {
        let mut out = String::new();
        self.write_go(&mut out);
        out
    }

    /// Returns the Go type name that go-task's values have, as `%T` prints it
    /// and as Go's error messages name it.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
        }
    }

    /// Returns the string inside a `Value::String`.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }
}

/// Formats a float the way Go's `%v` does: the shortest decimal that reads
/// back as the same float. The exponent form is used when the decimal
/// exponent is below -4 or at least 6, with a sign and two or more exponent
/// digits (`1e+06`, `1.2e-05`).
pub(crate) fn format_float_shortest(number: f64) -> String {
    if let Some(special) = format_non_finite(number) {
        return special;
    }

    let (negative, digits, exponent) = decimal_digits(number, None);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if !(-4..6).contains(&exponent) {
        push_exponent_form(&mut out, &digits, exponent, 'e');
    } else {
        push_plain_form(&mut out, &digits, exponent);
    }
    out
}

/// Returns Go's spelling of NaN and the infinities, or `None` for a finite number.
pub(crate) fn format_non_finite(number: f64) -> Option<String> {
    if number.is_nan() {
        Some("NaN".to_owned())
    } else if number.is_infinite() {
        Some(if number > 0.0 { "+Inf" } else { "-Inf" }.to_owned())
    } else {
        None
    }
}

/// Splits a finite float into its sign, its significant decimal digits without
/// trailing zeros, and the decimal exponent of the first digit. With
/// `significant` set, the digits are rounded to that many; without, they are
/// the shortest that read back as the same float.
pub(crate) fn decimal_digits(number: f64, significant: Option<usize>) -> (bool, String, i32) {
    let negative = number.is_sign_negative();
    let formatted = match significant {
        Some(count) => format!("{:.*e}", count.saturating_sub(1), number.abs()),
        None => format!("{:e}", number.abs()),
    };

    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (negative, digits, exponent)
}

/// Writes `d.ddd` followed by Go's exponent (`e+06`).
pub(crate) fn push_exponent_form(out: &mut String, digits: &str, exponent: i32, letter: char) {
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    push_exponent(out, exponent, letter);
}

/// Writes Go's exponent suffix: the letter, a sign and at least two digits.
pub(crate) fn push_exponent(out: &mut String, exponent: i32, letter: char) {
    out.push(letter);
    out.push(if exponent < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exponent.unsigned_abs());
}

/// Writes the digits as a plain decimal number whose first digit has the
/// given decimal exponent.
fn push_plain_form(out: &mut String, digits: &str, exponent: i32) {
    if exponent < 0 {
        out.push_str("0.");
        for _ in 0..(-exponent - 1) {
            out.push('0');
        }
        out.push_str(digits);
        return;
    }

    let integer_len = exponent as usize + 1;
    if digits.len() <= integer_len {
        out.push_str(digits);
        for _ in digits.len()..integer_len {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..integer_len]);
        out.push('.');
        out.push_str(&digits[integer_len..]);
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::String(text)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<i64> for Value {
    fn from(number: i64) -> Value {
        Value::Int(number)
    }
}

impl From<f64> for Value {
    fn from(number: f64) -> Value {
        Value::Float(number)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::List(items)
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(entries.iter().map(|(key, value)| (key.to_string(), value.clone())).collect())
    }

    #[test]
    fn go_printing_of_each_shape() {
        let cases = [
            (Value::Nil, ""),
            (Value::Bool(true), "true"),
            (Value::Int(-42), "-42"),
            (Value::Float(3.5), "3.5"),
            (Value::Float(3.0), "3"),
            (Value::String("a b".into()), "a b"),
            (Value::List(vec!["a".into(), "b".into()]), "[a b]"),
            (Value::List(vec![]), "[]"),
            (Value::List(vec![Value::Int(1), Value::Nil, "a".into()]), "[1 <nil> a]"),
            (Value::List(vec![Value::List(vec!["x".into()]), "y".into()]), "[[x] y]"),
            (map(&[("b", Value::Int(2)), ("a", "one".into())]), "map[a:one b:2]"),
            (map(&[]), "map[]"),
            (map(&[("d", map(&[("k", "v".into())]))]), "map[d:map[k:v]]"),
        ];
        for (value, expected) in cases {
            assert_eq!(value.to_go_string(), expected, "{value:?}");
        }
    }

    #[test]
    fn float_shortest_form() {
        let cases = [
            (0.0, "0"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (100000.0, "100000"),
            (1000000.0, "1e+06"),
            (123456789.0, "1.23456789e+08"),
            (0.0001, "0.0001"),
            (0.000012, "1.2e-05"),
            (1e-7, "1e-07"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (number, expected) in cases {
            assert_eq!(format_float_shortest(number), expected, "{number}");
        }
    }

    #[test]
    fn truthiness_of_each_shape() {
        let falsy = [
            Value::Nil,
            Value::Bool(false),
            Value::Int(0),
            Value::Float(0.0),
            Value::String(String::new()),
            Value::List(vec![]),
            map(&[]),
        ];
        for value in falsy {
            assert!(!value.truthy(), "{value:?}");
        }

        let truthy = [
            Value::Bool(true),
            Value::Int(-1),
            Value::Float(0.5),
            Value::String("0".into()),
            Value::List(vec![Value::Nil]),
            map(&[("a", Value::Nil)]),
        ];
        for value in truthy {
            assert!(value.truthy(), "{value:?}");
        }
    }
}
