//! Renders a parsed template against its data.
//!
//! The evaluator walks the nodes with a current value, dot, that starts as
//! the data map and changes inside `range` and `with`. Variables live on one
//! stack: a block remembers the stack height when it starts and cuts the
//! stack back when it ends, which gives Go's lexical scoping. A missing map
//! key reads as nil, and so does any field of nil, so `.A.B` with no `A`
//! prints nothing, as in go-task. Reading a field of a string, number or list
//! is an error.

use super::TemplateError;
use super::funcs::{self, Call, Function};
use super::parse::{Command, Node, Operand, Pipeline, Term};
use super::value::Value;

/// The maximum number of iterations of `range` over an integer, a limit Go
/// does not have. It keeps a typo such as `range 99999999999` from stalling
/// the run.
const MAX_RANGE_INT: i64 = 1_000_000;

/// Renders `nodes` with `data` as dot and `$`.
pub(crate) fn render(nodes: &[Node], data: &Value) -> Result<String, TemplateError> {
    let mut evaluator = Evaluator { out: String::new(), root: data, variables: Vec::new() };
    evaluator.walk(nodes, data)?;
    Ok(evaluator.out)
}

/// The control flow after a list of nodes.
enum Flow {
    Normal,
    Break,
    Continue,
}

struct Evaluator<'a> {
    out: String,
    /// The data, which `$` names unless a template assigns `$`.
    root: &'a Value,
    /// Variables in scope, innermost last.
    variables: Vec<(String, Value)>,
}

impl Evaluator<'_> {
    fn walk(&mut self, nodes: &[Node], dot: &Value) -> Result<Flow, TemplateError> {
        for node in nodes {
            let flow = match node {
                Node::Text(piece) => {
                    self.out.push_str(piece);
                    Flow::Normal
                }
                Node::Action(pipeline) => {
                    let value = self.eval_pipeline(pipeline, dot)?;
                    if pipeline.variables.is_empty() {
                        self.out.push_str(&value.to_go_string());
                    }
                    Flow::Normal
                }
                Node::Conditional { with, condition, then, otherwise } => {
                    let scope = self.variables.len();
                    let value = self.eval_pipeline(condition, dot)?;
                    let flow = match (value.truthy(), with) {
                        (true, true) => self.walk(then, &value),
                        (true, false) => self.walk(then, dot),
                        (false, _) => self.walk(otherwise, dot),
                    };
                    self.variables.truncate(scope);
                    flow?
                }
                Node::Range { pipeline, body, otherwise } => {
                    let scope = self.variables.len();
                    let flow = self.walk_range(pipeline, body, otherwise, dot);
                    self.variables.truncate(scope);
                    flow?
                }
                Node::Break => Flow::Break,
                Node::Continue => Flow::Continue,
            };
            if !matches!(flow, Flow::Normal) {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_range(
        &mut self,
        pipeline: &Pipeline,
        body: &[Node],
        otherwise: &[Node],
        dot: &Value,
    ) -> Result<Flow, TemplateError> {
        let value = self.eval_commands(pipeline, dot)?;
        let entries: Vec<(Value, Value)> = match value {
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| (Value::Int(index as i64), item))
                .collect(),
            Value::Map(entries) => {
                entries.into_iter().map(|(key, item)| (Value::String(key), item)).collect()
            }
            Value::Int(count) => {
                if pipeline.variables.len() > 1 {
                    return Err(TemplateError::new(
                        format!("can't use {count} to iterate over more than one variable"),
                        pipeline.offset,
                    ));
                }
                if count > MAX_RANGE_INT {
                    return Err(TemplateError::new(
                        format!(
                            "range over {count} exceeds the limit of {MAX_RANGE_INT} iterations"
                        ),
                        pipeline.offset,
                    ));
                }
                (0..count.max(0)).map(|index| (Value::Int(index), Value::Int(index))).collect()
            }
            Value::Nil => Vec::new(),
            other => {
                return Err(TemplateError::new(
                    format!("range can't iterate over {}", other.go_string_nested()),
                    pipeline.offset,
                ));
            }
        };

        if entries.is_empty() {
            return self.walk(otherwise, dot);
        }

        let scope = self.variables.len();
        for (key, item) in entries {
            match pipeline.variables.as_slice() {
                [] => {}
                [element] => self.bind(element, item.clone(), pipeline.assign),
                [index, element, ..] => {
                    self.bind(index, key, pipeline.assign);
                    self.bind(element, item.clone(), pipeline.assign);
                }
            }

            let flow = self.walk(body, &item)?;
            // An assigned range variable already exists outside this scope,
            // so cutting back keeps it and drops what the body declared.
            self.variables.truncate(scope);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    /// Declares a variable, or assigns an existing one when `assign` is set.
    fn bind(&mut self, name: &str, value: Value, assign: bool) {
        if assign
            && let Some(slot) =
                self.variables.iter_mut().rev().find(|(existing, _)| existing == name)
        {
            slot.1 = value;
            return;
        }
        self.variables.push((name.to_owned(), value));
    }

    /// Evaluates a pipeline and declares or assigns its variables.
    fn eval_pipeline(&mut self, pipeline: &Pipeline, dot: &Value) -> Result<Value, TemplateError> {
        let value = self.eval_commands(pipeline, dot)?;
        if let Some(name) = pipeline.variables.first() {
            self.bind(name, value.clone(), pipeline.assign);
        }
        Ok(value)
    }

    fn eval_commands(&mut self, pipeline: &Pipeline, dot: &Value) -> Result<Value, TemplateError> {
        let mut piped = None;
        for command in &pipeline.commands {
            piped = Some(self.eval_command(command, dot, piped)?);
        }
        Ok(piped.unwrap_or(Value::Nil))
    }

    fn eval_command(
        &mut self,
        command: &Command,
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Value, TemplateError> {
        let first = &command.operands[0];
        if let Term::Function(function) = &first.term {
            if first.fields.is_empty() {
                return self.call(function, &command.operands[1..], piped, dot, first.offset);
            }

            let result = self.call(function, &[], None, dot, first.offset)?;
            if function.name == "now" {
                let mut args = Vec::new();
                for operand in &command.operands[1..] {
                    args.push(self.eval_operand(operand, dot)?);
                }
                args.extend(piped);
                return funcs::time_methods(result, &first.fields, &args)
                    .map_err(|message| TemplateError::new(message, first.offset));
            }
            let value = self.read_fields(result, &first.fields, first.offset)?;
            if command.operands.len() > 1 || piped.is_some() {
                return Err(TemplateError::new(
                    format!("can't give argument to non-function {}", value.go_string_nested()),
                    first.offset,
                ));
            }
            return Ok(value);
        }

        if command.operands.len() > 1 || piped.is_some() {
            let shown = match &first.term {
                Term::Literal(Value::String(text)) => format!("{text:?}"),
                _ => self.eval_operand(first, dot)?.go_string_nested(),
            };
            return Err(TemplateError::new(
                format!("can't give argument to non-function {shown}"),
                first.offset,
            ));
        }

        match &first.term {
            Term::Nil => Err(TemplateError::new("nil is not a command", first.offset)),
            _ => self.eval_operand(first, dot),
        }
    }

    fn call(
        &mut self,
        function: &Function,
        operands: &[Operand],
        piped: Option<Value>,
        dot: &Value,
        offset: usize,
    ) -> Result<Value, TemplateError> {
        let count = operands.len() + usize::from(piped.is_some());
        if let Err(message) = function.check_arity(count) {
            return Err(TemplateError::new(message, offset));
        }

        match function.call {
            Call::And | Call::Or => {
                let stop_on_true = matches!(function.call, Call::Or);
                let mut last = Value::Nil;
                for operand in operands {
                    last = self.eval_operand(operand, dot)?;
                    if last.truthy() == stop_on_true {
                        return Ok(last);
                    }
                }
                Ok(piped.unwrap_or(last))
            }
            Call::Plain(body) => {
                let mut args = Vec::with_capacity(count);
                for operand in operands {
                    args.push(self.eval_operand(operand, dot)?);
                }
                args.extend(piped);
                body(&args).map_err(|message| {
                    TemplateError::new(
                        format!("error calling {}: {message}", function.name),
                        offset,
                    )
                })
            }
        }
    }

    fn eval_operand(&mut self, operand: &Operand, dot: &Value) -> Result<Value, TemplateError> {
        let base = match &operand.term {
            Term::Dot => {
                if let Some((first, rest)) = operand.fields.split_first() {
                    let value = field(dot, first, operand.offset)?;
                    return self.read_fields(value, rest, operand.offset);
                }
                dot.clone()
            }
            Term::Variable(name) => {
                match self.variables.iter().rev().find(|(existing, _)| existing == name) {
                    Some((_, value)) => value.clone(),
                    None if name == "$" => self.root.clone(),
                    None => {
                        return Err(TemplateError::new(
                            format!("undefined variable: {name}"),
                            operand.offset,
                        ));
                    }
                }
            }
            Term::Function(function) => {
                let result = self.call(function, &[], None, dot, operand.offset)?;
                if function.name == "now" && !operand.fields.is_empty() {
                    return funcs::time_methods(result, &operand.fields, &[])
                        .map_err(|message| TemplateError::new(message, operand.offset));
                }
                result
            }
            Term::Literal(value) => value.clone(),
            Term::Nil => Value::Nil,
            Term::Pipeline(pipeline) => {
                let scope = self.variables.len();
                let value = self.eval_pipeline(pipeline, dot);
                self.variables.truncate(scope);
                value?
            }
        };
        self.read_fields(base, &operand.fields, operand.offset)
    }

    fn read_fields(
        &self,
        mut value: Value,
        fields: &[String],
        offset: usize,
    ) -> Result<Value, TemplateError> {
        for name in fields {
            value = field(&value, name, offset)?;
        }
        Ok(value)
    }
}

/// Reads `.name` of a value: a map entry, or nil for a missing key or a nil value.
fn field(value: &Value, name: &str, offset: usize) -> Result<Value, TemplateError> {
    match value {
        Value::Map(entries) => Ok(entries.get(name).cloned().unwrap_or(Value::Nil)),
        Value::Nil => Ok(Value::Nil),
        other => Err(TemplateError::new(
            format!("can't evaluate field {name} in type {}", other.type_name()),
            offset,
        )),
    }
}
