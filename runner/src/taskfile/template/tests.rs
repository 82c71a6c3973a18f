//! Table-driven tests of the whole engine, with outputs checked against
//! go-task 3.54.0 where the comment says so.

use std::collections::BTreeMap;

use super::{Template, TemplateError, Value, render};

/// The variables every case renders with, the same shapes a Taskfile gives:
/// `L: [a, b]`, `E: []`, `N: 3`, `F: 3.5`, `F3: 3.0`, `B: true`, `S: hello`,
/// `M: {map: {b: 2, a: one, c: [x, y], d: {k: v}}}` and `EM: {map: {}}`.
fn data() -> Value {
    let mut inner = BTreeMap::new();
    inner.insert("k".to_owned(), Value::from("v"));

    let mut map = BTreeMap::new();
    map.insert("a".to_owned(), Value::from("one"));
    map.insert("b".to_owned(), Value::Int(2));
    map.insert("c".to_owned(), Value::List(vec!["x".into(), "y".into()]));
    map.insert("d".to_owned(), Value::Map(inner));

    let mut vars = BTreeMap::new();
    vars.insert("L".to_owned(), Value::List(vec!["a".into(), "b".into()]));
    vars.insert("E".to_owned(), Value::List(vec![]));
    vars.insert("N".to_owned(), Value::Int(3));
    vars.insert("F".to_owned(), Value::Float(3.5));
    vars.insert("F3".to_owned(), Value::Float(3.0));
    vars.insert("B".to_owned(), Value::Bool(true));
    vars.insert("S".to_owned(), Value::from("hello"));
    vars.insert("M".to_owned(), Value::Map(map));
    vars.insert("EM".to_owned(), Value::Map(BTreeMap::new()));
    Value::Map(vars)
}

fn run(template: &str) -> Result<String, TemplateError> {
    Template::parse(template)?.render(&data())
}

fn check_all(cases: &[(&str, &str)]) {
    for (template, expected) in cases {
        match run(template) {
            Ok(output) => assert_eq!(output, *expected, "template: {template}"),
            Err(error) => panic!("template {template:?} failed: {error} at {}", error.offset),
        }
    }
}

fn check_errors(cases: &[(&str, &str)]) {
    for (template, expected) in cases {
        match run(template) {
            Ok(output) => {
                panic!("template {template:?} rendered {output:?}, expected error {expected:?}")
            }
            Err(error) => assert_eq!(error.message, *expected, "template: {template}"),
        }
    }
}

#[test]
fn fields_print_the_go_way() {
    check_all(&[
        ("{{.L}}|{{.E}}|{{.M}}|{{.EM}}", "[a b]|[]|map[a:one b:2 c:[x y] d:map[k:v]]|map[]"),
        ("{{.N}}|{{.F}}|{{.F3}}|{{.B}}|{{.S}}", "3|3.5|3|true|hello"),
        ("[{{.MISSING}}]|[{{.MISSING.x.y}}]", "[]|[]"),
        ("{{.M.a}}|{{.M.zz}}|{{.M.d.k}}|{{.M.d.zz.x}}", "one||v|"),
        ("{{$.M.a}}|{{$.L}}", "one|[a b]"),
        ("{{(.M).a}}|{{(.M).zz}}", "one|"),
        ("plain text", "plain text"),
        ("", ""),
    ]);
}

#[test]
fn pipes_feed_the_last_argument() {
    check_all(&[
        ("{{.MISSING | default \"d\"}}", "d"),
        ("{{.S | default \"d\"}}", "hello"),
        ("{{\"a\" | printf \"%s-%s\" \"b\"}}", "b-a"),
        ("{{.S | printf \"%s!\" | upper}}", "HELLO!"),
        ("{{.L | join \",\"}}", "a,b"),
        ("{{list 1 2 | join \"-\"}}", "1-2"),
        ("{{\"a\" | eq \"a\"}}", "true"),
        ("{{.L | len}}", "2"),
        ("{{true | not}}", "false"),
    ]);
}

#[test]
fn default_treats_zero_values_as_empty() {
    check_all(&[
        (
            "{{.MISSING | default \"d\"}}|{{\"\" | default \"d\"}}|{{0 | default \"d\"}}|{{list | default \"d\"}}",
            "d|d|d|d",
        ),
        ("{{false | default \"d\"}}|{{.E | default \"d\"}}|{{.EM | default \"d\"}}", "d|d|d"),
        ("{{default \"x\"}}|{{default \"x\" \"y\"}}|{{default \"x\" .N}}", "x|y|3"),
        ("{{default \"d\" .MISSING.x}}", "d"),
    ]);
}
