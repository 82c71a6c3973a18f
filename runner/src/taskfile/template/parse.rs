//! Builds the syntax tree of a template from its tokens.
//!
//! The grammar is Go's `text/template` without `define`, `template` and
//! `block`, which Taskfiles cannot use because every field is its own
//! template. An action is a pipeline of commands separated by `|`, optionally
//! preceded by variable declarations (`$x :=`) or an assignment (`$x =`). A
//! command is a list of operands; the first operand of a called command is a
//! function name. Function names and variables are checked here, as Go's
//! parser does, so `function "foo" not defined` and `undefined variable "$y"`
//! are reported before anything renders. Type errors wait for rendering.

use super::TemplateError;
use super::funcs::{self, Function};
use super::lexer::{Token, TokenKind};
use super::value::Value;

/// A piece of a template.
#[derive(Debug)]
pub(crate) enum Node {
    Text(String),
    /// `{{pipeline}}`: prints the pipeline's value unless it declares variables.
    Action(Pipeline),
    /// `{{if}}` and `{{with}}`; an `else if` or `else with` is a nested node in `otherwise`.
    Conditional {
        with: bool,
        condition: Pipeline,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Range {
        pipeline: Pipeline,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Break,
    Continue,
}

/// Commands joined by `|`, each one's value passed as the last argument of
/// the next.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) offset: usize,
    /// The variables that `$x :=` declares or `$x =` assigns.
    pub(crate) variables: Vec<String>,
    /// Whether `variables` are assigned (`=`) rather than declared (`:=`).
    pub(crate) assign: bool,
    pub(crate) commands: Vec<Command>,
}

/// One stage of a pipeline: a function and its arguments, or a single operand.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) offset: usize,
    pub(crate) operands: Vec<Operand>,
}

/// A term followed by the fields read from its value: `.a.b`, `$x.y`, `(f).z`.
#[derive(Debug)]
pub(crate) struct Operand {
    pub(crate) offset: usize,
    pub(crate) term: Term,
    pub(crate) fields: Vec<String>,
}

#[derive(Debug)]
pub(crate) enum Term {
    /// The current value, `.`; `.a` is `Dot` with the field `a`.
    Dot,
    Variable(String),
    Function(&'static Function),
    Literal(Value),
    Nil,
    Pipeline(Box<Pipeline>),
}

/// Parses a token list into the nodes of a template.
pub(crate) fn parse(tokens: Vec<Token>, text_len: usize) -> Result<Vec<Node>, TemplateError> {
    let mut parser = Parser {
        tokens,
        position: 0,
        variables: vec!["$".to_owned()],
        range_depth: 0,
        paren_depth: 0,
        nesting: 0,
        text_len,
    };
    let (nodes, ending) = parser.parse_list()?;
    match ending {
        Ending::Eof => Ok(nodes),
        Ending::End(offset) => Err(TemplateError::new("unexpected {{end}}", offset)),
        Ending::Else(offset) | Ending::ElseIf(offset) | Ending::ElseWith(offset) => {
            Err(TemplateError::new("unexpected {{else}}", offset))
        }
    }
}

/// The action that ended a list of nodes, with its offset.
enum Ending {
    Eof,
    End(usize),
    Else(usize),
    /// `{{else if`: the condition and `}}` are still to be parsed.
    ElseIf(usize),
    ElseWith(usize),
}

/// The deepest nesting of blocks and parentheses, which bounds the recursion
/// of the parser and the evaluator. Real templates nest a few levels.
const MAX_NESTING: usize = 200;

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    /// Variables in scope, innermost last; `$` is always defined.
    variables: Vec<String>,
    range_depth: usize,
    /// How many `(` enclose the current position, so a stray `)` is reported.
    paren_depth: usize,
    /// How many blocks and parentheses enclose the current position.
    nesting: usize,
    text_len: usize,
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Text(_) => "text".to_owned(),
        TokenKind::LeftDelim => "\"{{\"".to_owned(),
        TokenKind::RightDelim => "\"}}\"".to_owned(),
        TokenKind::Space => "space".to_owned(),
        TokenKind::Field(name) => format!("<.{name}>"),
        TokenKind::Variable(name) => format!("<{name}>"),
        TokenKind::Identifier(name) => format!("<{name}>"),
        TokenKind::String(text) => format!("{text:?}"),
        TokenKind::Number(text) => format!("<{text}>"),
        TokenKind::Char(character) => format!("{character:?}"),
        TokenKind::Dot => "<.>".to_owned(),
        TokenKind::Pipe => "\"|\"".to_owned(),
        TokenKind::LeftParen => "\"(\"".to_owned(),
        TokenKind::RightParen => "\")\"".to_owned(),
        TokenKind::Comma => "\",\"".to_owned(),
        TokenKind::Declare => "\":=\"".to_owned(),
        TokenKind::Assign => "\"=\"".to_owned(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn peek_kind(&self) -> Option<&TokenKind> {
        self.peek().map(|token| &token.kind)
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.text_len, |token| token.offset)
    }

    fn skip_spaces(&mut self) {
        while self.peek_kind() == Some(&TokenKind::Space) {
            self.position += 1;
        }
    }

    fn unexpected(&self, place: &str) -> TemplateError {
        match self.peek() {
            Some(token) => TemplateError::new(
                format!("unexpected {} in {place}", describe(&token.kind)),
                token.offset,
            ),
            None => TemplateError::new("unexpected end of template", self.text_len),
        }
    }

    fn expect_right_delim(&mut self, place: &str) -> Result<(), TemplateError> {
        self.skip_spaces();
        if self.peek_kind() == Some(&TokenKind::RightDelim) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.unexpected(place))
        }
    }

    fn parse_list(&mut self) -> Result<(Vec<Node>, Ending), TemplateError> {
        let mut nodes = Vec::new();
        loop {
            let Some(token) = self.peek() else {
                return Ok((nodes, Ending::Eof));
            };
            let offset = token.offset;
            match &token.kind {
                TokenKind::Text(piece) => {
                    nodes.push(Node::Text(piece.clone()));
                    self.position += 1;
                }
                TokenKind::LeftDelim => {
                    self.position += 1;
                    if let Some(ending) = self.parse_action(offset, &mut nodes)? {
                        return Ok((nodes, ending));
                    }
                }
                _ => return Err(self.unexpected("template")),
            }
        }
    }

    /// Parses one action after its `{{`, appending its node, or returns the
    /// `end` or `else` that closes the enclosing list.
    fn parse_action(
        &mut self,
        offset: usize,
        nodes: &mut Vec<Node>,
    ) -> Result<Option<Ending>, TemplateError> {
        self.skip_spaces();
        let keyword = match self.peek_kind() {
            Some(TokenKind::Identifier(name)) => name.clone(),
            _ => {
                let pipeline = self.parse_pipeline("command", false)?;
                self.expect_right_delim("command")?;
                nodes.push(Node::Action(pipeline));
                return Ok(None);
            }
        };

        match keyword.as_str() {
            "end" => {
                self.position += 1;
                self.expect_right_delim("end")?;
                Ok(Some(Ending::End(offset)))
            }
            "else" => {
                self.position += 1;
                self.skip_spaces();
                match self.peek_kind() {
                    Some(TokenKind::Identifier(name)) if name == "if" => {
                        self.position += 1;
                        Ok(Some(Ending::ElseIf(offset)))
                    }
                    Some(TokenKind::Identifier(name)) if name == "with" => {
                        self.position += 1;
                        Ok(Some(Ending::ElseWith(offset)))
                    }
                    _ => {
                        self.expect_right_delim("else")?;
                        Ok(Some(Ending::Else(offset)))
                    }
                }
            }
            "if" | "with" => {
                self.position += 1;
                nodes.push(self.parse_conditional(keyword == "with", offset)?);
                Ok(None)
            }
            "range" => {
                self.position += 1;
                nodes.push(self.parse_range(offset)?);
                Ok(None)
            }
            "break" | "continue" => {
                self.position += 1;
                self.expect_right_delim(&keyword)?;
                if self.range_depth == 0 {
                    return Err(TemplateError::new(
                        format!("{{{{{keyword}}}}} outside {{{{range}}}}"),
                        offset,
                    ));
                }
                nodes.push(if keyword == "break" { Node::Break } else { Node::Continue });
                Ok(None)
            }
            "define" | "template" | "block" => Err(TemplateError::new(
                format!(
                    "`{keyword}` actions are not supported: every Taskfile field is a single template"
                ),
                offset,
            )),
            _ => {
                let pipeline = self.parse_pipeline("command", false)?;
                self.expect_right_delim("command")?;
                nodes.push(Node::Action(pipeline));
                Ok(None)
            }
        }
    }

    /// Parses an `if` or `with` after its keyword, up to and including its `end`.
    /// Enters a block or parenthesis, failing when nesting is too deep.
    fn enter(&mut self, offset: usize) -> Result<(), TemplateError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(TemplateError::new(
                format!("template nesting exceeds {MAX_NESTING} levels"),
                offset,
            ));
        }
        Ok(())
    }

    fn parse_conditional(&mut self, with: bool, offset: usize) -> Result<Node, TemplateError> {
        self.enter(offset)?;
        let node = self.parse_conditional_body(with, offset);
        self.nesting -= 1;
        node
    }

    fn parse_conditional_body(&mut self, with: bool, offset: usize) -> Result<Node, TemplateError> {
        let scope = self.variables.len();
        let context = if with { "with" } else { "if" };
        let condition = self.parse_pipeline(context, false)?;
        self.expect_right_delim(context)?;

        let (then, ending) = self.parse_list()?;
        let otherwise = match ending {
            Ending::End(_) => Vec::new(),
            Ending::Else(_) => self.parse_else_body(offset)?,
            Ending::ElseIf(else_offset) => vec![self.parse_conditional(false, else_offset)?],
            Ending::ElseWith(else_offset) => vec![self.parse_conditional(true, else_offset)?],
            Ending::Eof => {
                return Err(TemplateError::new(
                    format!("unclosed {{{{{context}}}}}: missing {{{{end}}}}"),
                    offset,
                ));
            }
        };

        self.variables.truncate(scope);
        Ok(Node::Conditional { with, condition, then, otherwise })
    }

    fn parse_else_body(&mut self, offset: usize) -> Result<Vec<Node>, TemplateError> {
        let (nodes, ending) = self.parse_list()?;
        match ending {
            Ending::End(_) => Ok(nodes),
            Ending::Else(else_offset)
            | Ending::ElseIf(else_offset)
            | Ending::ElseWith(else_offset) => {
                Err(TemplateError::new("unexpected {{else}} after {{else}}", else_offset))
            }
            Ending::Eof => {
                Err(TemplateError::new("unclosed action block: missing {{end}}", offset))
            }
        }
    }

    fn parse_range(&mut self, offset: usize) -> Result<Node, TemplateError> {
        self.enter(offset)?;
        let node = self.parse_range_body(offset);
        self.nesting -= 1;
        node
    }

    fn parse_range_body(&mut self, offset: usize) -> Result<Node, TemplateError> {
        let scope = self.variables.len();
        let pipeline = self.parse_pipeline("range", true)?;
        self.expect_right_delim("range")?;

        self.range_depth += 1;
        let body = self.parse_list();
        self.range_depth -= 1;
        let (body, ending) = body?;

        let otherwise = match ending {
            Ending::End(_) => Vec::new(),
            Ending::Else(_) => self.parse_else_body(offset)?,
            Ending::ElseIf(else_offset) => vec![self.parse_conditional(false, else_offset)?],
            Ending::ElseWith(else_offset) => vec![self.parse_conditional(true, else_offset)?],
            Ending::Eof => {
                return Err(TemplateError::new("unclosed {{range}}: missing {{end}}", offset));
            }
        };

        self.variables.truncate(scope);
        Ok(Node::Range { pipeline, body, otherwise })
    }

    /// Parses a pipeline up to, but not including, the `}}` or `)` that ends it.
    fn parse_pipeline(&mut self, context: &str, in_range: bool) -> Result<Pipeline, TemplateError> {
        self.skip_spaces();
        let offset = self.offset();
        let (declared, assign) = self.parse_declarations(in_range)?;

        let mut commands = Vec::new();
        loop {
            let command = self.parse_command()?;
            if command.operands.is_empty() {
                return Err(TemplateError::new(
                    format!("missing value for {context}"),
                    command.offset,
                ));
            }
            commands.push(command);

            if self.peek_kind() == Some(&TokenKind::Pipe) {
                self.position += 1;
                continue;
            }
            break;
        }

        for (stage, command) in commands.iter().enumerate().skip(1) {
            if matches!(command.operands[0].term, Term::Literal(_) | Term::Nil | Term::Dot)
                && command.operands[0].fields.is_empty()
            {
                return Err(TemplateError::new(
                    format!("non executable command in pipeline stage {}", stage + 1),
                    command.offset,
                ));
            }
        }

        for name in &declared {
            if assign {
                if !self.variables.contains(name) {
                    return Err(TemplateError::new(format!("undefined variable {name:?}"), offset));
                }
            } else {
                self.variables.push(name.clone());
            }
        }
        Ok(Pipeline { offset, variables: declared, assign, commands })
    }

    /// Parses `$x :=`, `$x =` or, in a range, `$i, $v :=`, if present.
    fn parse_declarations(&mut self, in_range: bool) -> Result<(Vec<String>, bool), TemplateError> {
        let mut names = Vec::new();
        let mut cursor = self.position;
        loop {
            let Some(Token { kind: TokenKind::Variable(name), offset }) = self.tokens.get(cursor)
            else {
                return Ok((Vec::new(), false));
            };
            let (name, offset) = (name.clone(), *offset);
            cursor += 1;
            while self.tokens.get(cursor).map(|token| &token.kind) == Some(&TokenKind::Space) {
                cursor += 1;
            }

            match self.tokens.get(cursor).map(|token| &token.kind) {
                Some(TokenKind::Declare | TokenKind::Assign) => {
                    let assign = self.tokens[cursor].kind == TokenKind::Assign;
                    names.push(name);
                    if names.len() > 1 && (!in_range || names.len() > 2) {
                        let place = if in_range { " in range" } else { "" };
                        return Err(TemplateError::new(
                            format!("too many declarations{place}"),
                            offset,
                        ));
                    }
                    self.position = cursor + 1;
                    return Ok((names, assign));
                }
                Some(TokenKind::Comma) if in_range && names.is_empty() => {
                    names.push(name);
                    cursor += 1;
                    while self.tokens.get(cursor).map(|token| &token.kind)
                        == Some(&TokenKind::Space)
                    {
                        cursor += 1;
                    }
                }
                Some(TokenKind::Comma) => {
                    let place = if in_range { " in range" } else { "" };
                    return Err(TemplateError::new(
                        format!("too many declarations{place}"),
                        offset,
                    ));
                }
                _ if names.is_empty() => return Ok((Vec::new(), false)),
                _ => return Err(TemplateError::new("expected := after range variables", offset)),
            }
        }
    }

    /// Parses the operands of one command, stopping before `|`, `)` or `}}`.
    fn parse_command(&mut self) -> Result<Command, TemplateError> {
        self.skip_spaces();
        let offset = self.offset();
        let mut operands = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek_kind() {
                None => return Err(TemplateError::new("unclosed action", self.text_len)),
                Some(TokenKind::RightParen) if self.paren_depth == 0 => {
                    return Err(TemplateError::new("unexpected right paren", self.offset()));
                }
                Some(TokenKind::Pipe | TokenKind::RightDelim | TokenKind::RightParen) => break,
                _ => {}
            }

            operands.push(self.parse_operand()?);
            match self.peek_kind() {
                Some(
                    TokenKind::Space
                    | TokenKind::Pipe
                    | TokenKind::RightDelim
                    | TokenKind::RightParen,
                )
                | None => {}
                _ => return Err(self.unexpected("operand")),
            }
        }
        Ok(Command { offset, operands })
    }

    fn parse_operand(&mut self) -> Result<Operand, TemplateError> {
        let Some(token) = self.peek().cloned() else {
            return Err(TemplateError::new("unclosed action", self.text_len));
        };
        let offset = token.offset;
        self.position += 1;

        let mut fields = Vec::new();
        let term = match token.kind {
            TokenKind::Dot => Term::Dot,
            TokenKind::Field(name) => {
                fields.push(name);
                Term::Dot
            }
            TokenKind::Variable(name) => {
                if !self.variables.contains(&name) {
                    return Err(TemplateError::new(format!("undefined variable {name:?}"), offset));
                }
                Term::Variable(name)
            }
            TokenKind::Identifier(name) => match name.as_str() {
                "true" => Term::Literal(Value::Bool(true)),
                "false" => Term::Literal(Value::Bool(false)),
                "nil" => Term::Nil,
                "if" | "else" | "end" | "range" | "with" | "break" | "continue" | "define"
                | "template" | "block" => {
                    return Err(TemplateError::new(
                        format!("unexpected <{name}> in command"),
                        offset,
                    ));
                }
                _ => match funcs::lookup(&name) {
                    Some(function) => Term::Function(function),
                    None => {
                        return Err(TemplateError::new(
                            format!("function {name:?} not defined"),
                            offset,
                        ));
                    }
                },
            },
            TokenKind::String(text) => Term::Literal(Value::String(text)),
            TokenKind::Char(character) => {
                Term::Literal(Value::Int(i64::from(u32::from(character))))
            }
            TokenKind::Number(text) => Term::Literal(
                parse_number(&text).map_err(|message| TemplateError::new(message, offset))?,
            ),
            TokenKind::LeftParen => {
                self.enter(offset)?;
                self.paren_depth += 1;
                let pipeline = self.parse_pipeline("parenthesized pipeline", false);
                self.paren_depth -= 1;
                self.nesting -= 1;
                let pipeline = pipeline?;
                self.skip_spaces();
                if self.peek_kind() != Some(&TokenKind::RightParen) {
                    return Err(TemplateError::new("unclosed left paren", offset));
                }
                self.position += 1;
                Term::Pipeline(Box::new(pipeline))
            }
            TokenKind::RightParen => {
                return Err(TemplateError::new("unexpected right paren", offset));
            }
            other => {
                return Err(TemplateError::new(
                    format!("unexpected {} in operand", describe(&other)),
                    offset,
                ));
            }
        };

        while let Some(TokenKind::Field(name)) = self.peek_kind() {
            fields.push(name.clone());
            self.position += 1;
        }
        if matches!(term, Term::Literal(_) | Term::Nil) && !fields.is_empty() {
            return Err(TemplateError::new("unexpected field access on a constant", offset));
        }

        Ok(Operand { offset, term, fields })
    }
}

/// Converts a number literal to an int, or to a float when it is written
/// with a point or an exponent, as Go's templates do for untyped constants.
pub(crate) fn parse_number(text: &str) -> Result<Value, String> {
    let bad = || format!("bad number syntax: {text:?}");
    let cleaned = text.replace('_', "");
    let (negative, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    if body.ends_with('i') {
        return Err(format!("complex numbers are not supported: {text:?}"));
    }

    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(rest) = lower.strip_prefix("0x") {
        if rest.contains('p') || rest.contains('.') {
            let value = parse_hex_float(rest).ok_or_else(bad)?;
            return Ok(Value::Float(if negative { -value } else { value }));
        }
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if lower.contains(['.', 'e']) {
        let value: f64 = lower.parse().map_err(|_| bad())?;
        return Ok(Value::Float(if negative { -value } else { value }));
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };

    if digits.is_empty() {
        return Err(bad());
    }
    let magnitude = u64::from_str_radix(digits, radix).map_err(|error| match error.kind() {
        std::num::IntErrorKind::PosOverflow => format!("integer overflow: {text:?}"),
        _ => bad(),
    })?;
    let value =
        if negative { 0i64.checked_sub_unsigned(magnitude) } else { i64::try_from(magnitude).ok() };
    value.map(Value::Int).ok_or_else(|| format!("integer overflow: {text:?}"))
}

/// Parses the part after `0x` of a hexadecimal float such as `1.8p3`.
fn parse_hex_float(text: &str) -> Option<f64> {
    let (mantissa, exponent) = match text.split_once('p') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }

    let mut value = 0f64;
    for digit in whole.chars() {
        value = value * 16.0 + f64::from(digit.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for digit in fraction.chars() {
        value += f64::from(digit.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(value * 2f64.powi(exponent))
}
