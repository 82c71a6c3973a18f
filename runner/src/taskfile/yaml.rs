//! A YAML document as a tree of nodes that remember where they were written.
//!
//! The Taskfile schema accepts many shorthand forms: a task may be a string,
//! a list or a map, and a command a string or one of three maps. serde's
//! untagged enums lose source positions and give poor messages, so the
//! document is first read into this tree, each node with its line and
//! column from `serde_saphyr::Spanned`, and `ast` decodes the tree by hand.
//! Mapping order is kept, since it drives variable evaluation and listing.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A position in a source file, 1-based; line 0 means unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: u32,
    pub(crate) column: u32,
}

/// One YAML node with its position.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) pos: Pos,
    pub(crate) value: Yaml,
}

/// The value of a node.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Yaml {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Node>),
    /// Entries in document order; keys are scalars rendered as strings.
    Map(Vec<(Node, Node)>),
}

impl Yaml {
    /// Names the type for "expected X, found Y" messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Yaml::Null => "null",
            Yaml::Bool(_) => "a boolean",
            Yaml::Int(_) => "an integer",
            Yaml::Float(_) => "a number",
            Yaml::String(_) => "a string",
            Yaml::List(_) => "a list",
            Yaml::Map(_) => "a map",
        }
    }
}

impl Node {
    /// Returns the scalar as text the way go-yaml decodes it into a Go string,
    /// or `None` for lists and maps.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Yaml::Null => Some(String::new()),
            Yaml::Bool(b) => Some(b.to_string()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::Float(f) => Some(format_float(*f)),
            Yaml::String(s) => Some(s.clone()),
            Yaml::List(_) | Yaml::Map(_) => None,
        }
    }

    /// Returns the value of `key` when this node is a map.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Yaml::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.value, Yaml::String(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Formats a float the way Go's `strconv.FormatFloat(f, 'g', -1, 64)` does
/// for the common cases: `1.5`, `3`, `1e+21`.
pub(crate) fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 { format!("{}", f as i64) } else { format!("{f}") }
}

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Yaml, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        let spanned = Spanned::<Yaml>::deserialize(deserializer)?;
        let location = spanned.referenced;
        let pos = Pos {
            line: u32::try_from(location.line()).unwrap_or(u32::MAX),
            column: u32::try_from(location.column()).unwrap_or(u32::MAX),
        };
        Ok(Node { pos, value: spanned.value })
    }
}

struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = Yaml;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Yaml, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Yaml, E> {
        Ok(Yaml::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Yaml, E> {
        Ok(Yaml::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Yaml, E> {
        Ok(i64::try_from(v).map(Yaml::Int).unwrap_or(Yaml::Float(v as f64)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Yaml, E> {
        Ok(i64::try_from(v).map(Yaml::Int).unwrap_or(Yaml::Float(v as f64)))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Yaml, E> {
        Ok(i64::try_from(v).map(Yaml::Int).unwrap_or(Yaml::Float(v as f64)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Yaml, E> {
        Ok(Yaml::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Yaml, E> {
        Ok(Yaml::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Yaml, E> {
        Ok(Yaml::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Yaml::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let mut key = key;
            if let Some(text) = key.scalar_text() {
                key.value = Yaml::String(text);
            }
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Yaml::Map(entries))
    }
}

/// A YAML syntax error with its position.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub(crate) pos: Pos,
    pub(crate) message: String,
}

/// Parses one YAML document into a node tree, with YAML 1.2 booleans as
/// go-yaml v3 reads them: `y`, `N`, `yes` and `off` stay strings.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|error| {
        let pos = error
            .location()
            .map(|l| Pos {
                line: u32::try_from(l.line()).unwrap_or(0),
                column: u32::try_from(l.column()).unwrap_or(0),
            })
            .unwrap_or_default();
        SyntaxError { pos, message: first_line(&error.to_string()) }
    })
}

/// Returns the first line of a parser message without the `error: line N
/// column M:` prefix, since the report shows the position itself.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    if line.starts_with("line ")
        && let Some((_, rest)) = line.split_once(": ")
    {
        return rest.to_string();
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_order_and_positions() {
        let node = parse("b: 1\na:\n  - x\n  - {k: true}\n").unwrap();
        let Yaml::Map(entries) = &node.value else { panic!("not a map") };
        let keys: Vec<_> = entries.iter().map(|(k, _)| k.scalar_text().unwrap()).collect();
        assert_eq!(keys, ["b", "a"]);
        let Yaml::List(items) = &entries[1].1.value else { panic!("not a list") };
        assert_eq!(items[0].pos, Pos { line: 3, column: 5 });
        assert_eq!(items[1].get("k").unwrap().value, Yaml::Bool(true));
    }

    #[test]
    fn parse_keeps_yaml_1_1_booleans_as_strings() {
        let node = parse("N: y\nB: true\n").unwrap();
        let Yaml::Map(entries) = &node.value else { panic!("not a map") };
        assert_eq!(entries[0].0.value, Yaml::String("N".into()));
        assert_eq!(entries[0].1.value, Yaml::String("y".into()));
        assert_eq!(entries[1].1.value, Yaml::Bool(true));
    }

    #[test]
    fn parse_reports_syntax_error_position() {
        let error = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(error.pos.line > 0, "{error:?}");
    }
}
