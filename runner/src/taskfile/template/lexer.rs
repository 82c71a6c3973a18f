//! Splits template text into tokens, as Go's `text/template` lexer does.
//!
//! Outside actions everything is text. An action opens with `{{` and closes
//! with `}}`. A `{{- ` (dash and whitespace) trims the whitespace before it
//! and a ` -}}` trims the whitespace after it. A comment `{{/* ... */}}` must
//! sit alone in its action and produces no token. Inside actions the lexer
//! yields words (fields, variables, identifiers, literals, `|`, `(`, `)`,
//! `:=`, `=`, `,`) and a `Space` token for each run of whitespace, because
//! `.a.b` and `.a .b` mean different things. Every token records its byte
//! offset so that errors can point at the text.
//!
//! Delimiters are fixed to `{{` and `}}`: go-task never changes them.

use super::TemplateError;

/// One lexical element and where it starts in the template text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) offset: usize,
}

/// The kinds of token, with their decoded payload.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TokenKind {
    /// Literal text between actions, already trimmed by `{{-` and `-}}`.
    Text(String),
    /// The `{{` that opens an action.
    LeftDelim,
    /// The `}}` that closes an action.
    RightDelim,
    /// Whitespace inside an action.
    Space,
    /// `.name`: a field of the value before it, or of dot.
    Field(String),
    /// `$name`, or `$` alone.
    Variable(String),
    /// A function name or a keyword such as `if`, `end` or `nil`.
    Identifier(String),
    /// A decoded `"..."` or `` `...` `` string literal.
    String(String),
    /// A number literal, kept as written; the parser decides int or float.
    Number(String),
    /// A character literal such as `'a'`, decoded to its code point.
    Char(char),
    /// `.` alone: the current value.
    Dot,
    Pipe,
    LeftParen,
    RightParen,
    Comma,
    /// `:=`
    Declare,
    /// `=`
    Assign,
}

/// Splits `text` into tokens, ending with the last text or `RightDelim`.
pub(crate) fn lex(text: &str) -> Result<Vec<Token>, TemplateError> {
    let mut lexer = Lexer { text, position: 0, tokens: Vec::new(), trim_next_text: false };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    text: &'a str,
    position: usize,
    tokens: Vec<Token>,
    /// Set by a `-}}`: the next text loses its leading whitespace.
    trim_next_text: bool,
}

fn is_go_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_word_char(character: char) -> bool {
    character == '_' || character.is_alphanumeric()
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.text[self.position..]
    }

    fn run(&mut self) -> Result<(), TemplateError> {
        loop {
            let start = self.position;
            let Some(found) = self.rest().find("{{") else {
                self.push_text(start, self.text.len());
                return Ok(());
            };

            let delim = start + found;
            let trim_before = self.text[delim + 2..].starts_with('-')
                && self.text.as_bytes().get(delim + 3).is_some_and(|byte| is_go_space(*byte));
            self.push_text(start, delim);
            if trim_before {
                self.trim_last_text_end();
            }

            self.position = delim + if trim_before { 3 } else { 2 };
            self.lex_action(delim)?;
        }
    }

    fn push_text(&mut self, start: usize, end: usize) {
        let mut piece = &self.text[start..end];
        if self.trim_next_text {
            piece = piece.trim_start_matches([' ', '\t', '\r', '\n']);
            self.trim_next_text = false;
        }
        if !piece.is_empty() {
            self.tokens.push(Token { kind: TokenKind::Text(piece.to_owned()), offset: start });
        }
    }

    fn trim_last_text_end(&mut self) {
        if let Some(Token { kind: TokenKind::Text(piece), .. }) = self.tokens.last_mut() {
            let kept = piece.trim_end_matches([' ', '\t', '\r', '\n']).len();
            piece.truncate(kept);
            if piece.is_empty() {
                self.tokens.pop();
            }
        }
    }

    /// Checks for a closing delimiter at the current position and consumes
    /// it, returning whether it was `-}}` after whitespace.
    fn close_delimiter(&mut self) -> Option<bool> {
        let rest = self.rest();
        if rest.starts_with("}}") {
            self.position += 2;
            return Some(false);
        }

        let spaces = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
        if spaces > 0 && rest[spaces..].starts_with("-}}") {
            self.position += spaces + 3;
            return Some(true);
        }
        None
    }

    fn lex_action(&mut self, delim: usize) -> Result<(), TemplateError> {
        let leading =
            self.rest().len() - self.rest().trim_start_matches([' ', '\t', '\r', '\n']).len();
        if self.rest()[leading..].starts_with("/*") {
            return self.lex_comment(delim, leading);
        }

        self.tokens.push(Token { kind: TokenKind::LeftDelim, offset: delim });
        loop {
            let start = self.position;
            if let Some(trim_after) = self.close_delimiter() {
                self.tokens.push(Token { kind: TokenKind::RightDelim, offset: start });
                self.trim_next_text = trim_after;
                return Ok(());
            }

            let Some(character) = self.rest().chars().next() else {
                return Err(TemplateError::new("unclosed action", delim));
            };
            let kind = self.lex_word(character, start)?;
            self.tokens.push(Token { kind, offset: start });
        }
    }

    fn lex_comment(&mut self, delim: usize, leading: usize) -> Result<(), TemplateError> {
        let body = self.position + leading + 2;
        let Some(end) = self.text[body..].find("*/") else {
            return Err(TemplateError::new("unclosed comment", delim));
        };

        self.position = body + end + 2;
        match self.close_delimiter() {
            Some(trim_after) => {
                self.trim_next_text = trim_after;
                Ok(())
            }
            None => Err(TemplateError::new("comment ends before closing delimiter", self.position)),
        }
    }

    fn lex_word(&mut self, character: char, start: usize) -> Result<TokenKind, TemplateError> {
        let rest = self.rest();
        let kind = match character {
            ' ' | '\t' | '\r' | '\n' => {
                let spaces = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
                self.position += spaces;
                TokenKind::Space
            }
            '|' => self.single(TokenKind::Pipe),
            '(' => self.single(TokenKind::LeftParen),
            ')' => self.single(TokenKind::RightParen),
            ',' => self.single(TokenKind::Comma),
            '=' => self.single(TokenKind::Assign),
            ':' if rest.starts_with(":=") => {
                self.position += 2;
                TokenKind::Declare
            }
            '"' => TokenKind::String(self.lex_quoted(start)?),
            '`' => TokenKind::String(self.lex_raw(start)?),
            '\'' => TokenKind::Char(self.lex_char(start)?),
            '$' => TokenKind::Variable(self.take_word(1)?),
            '.' if rest[1..].starts_with(|next: char| next.is_ascii_digit()) => {
                TokenKind::Number(self.lex_number(start)?)
            }
            '.' => {
                let name = self.take_word(1)?;
                if name.len() == 1 {
                    TokenKind::Dot
                } else {
                    TokenKind::Field(name[1..].to_owned())
                }
            }
            '+' | '-' | '0'..='9' => TokenKind::Number(self.lex_number(start)?),
            other if is_word_char(other) => TokenKind::Identifier(self.take_word(0)?),
            other => {
                return Err(TemplateError::new(
                    format!("bad character U+{:04X} '{other}'", other as u32),
                    start,
                ));
            }
        };
        Ok(kind)
    }

    fn single(&mut self, kind: TokenKind) -> TokenKind {
        self.position += 1;
        kind
    }

    /// Consumes `prefix_len` bytes and the word characters after them. The
    /// word must end at whitespace, punctuation of the action language, the
    /// closing delimiter or the end of the text.
    fn take_word(&mut self, prefix_len: usize) -> Result<String, TemplateError> {
        let rest = self.rest();
        let word_len = rest[prefix_len..]
            .find(|next: char| !is_word_char(next))
            .unwrap_or(rest.len() - prefix_len);
        let word = rest[..prefix_len + word_len].to_owned();
        self.position += prefix_len + word_len;

        let after = self.rest();
        let terminated = after.is_empty()
            || after.starts_with("}}")
            || after.starts_with([' ', '\t', '\r', '\n', '.', ',', '|', ':', '=', '(', ')']);
        if !terminated {
            let next = after.chars().next().unwrap_or(' ');
            return Err(TemplateError::new(
                format!("bad character U+{:04X} '{next}'", next as u32),
                self.position,
            ));
        }
        Ok(word)
    }

    fn lex_number(&mut self, start: usize) -> Result<String, TemplateError> {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut end = 0;
        if matches!(bytes.first(), Some(b'+' | b'-')) {
            end += 1;
        }

        let hex = bytes[end..].starts_with(b"0x") || bytes[end..].starts_with(b"0X");
        while let Some(&byte) = bytes.get(end) {
            let previous = if end > 0 { bytes[end - 1] } else { 0 };
            let exponent_sign = matches!(byte, b'+' | b'-')
                && if hex {
                    matches!(previous, b'p' | b'P')
                } else {
                    matches!(previous, b'e' | b'E')
                };
            if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.' || exponent_sign {
                end += 1;
            } else {
                break;
            }
        }

        let number = rest[..end].to_owned();
        if !number.bytes().any(|byte| byte.is_ascii_digit()) {
            return Err(TemplateError::new(format!("illegal number syntax: {number:?}"), start));
        }
        self.position += end;
        Ok(number)
    }

    fn lex_quoted(&mut self, start: usize) -> Result<String, TemplateError> {
        let mut decoded = String::new();
        let mut chars = self.text[start + 1..].char_indices();
        loop {
            let Some((index, character)) = chars.next() else {
                return Err(TemplateError::new("unterminated quoted string", start));
            };
            match character {
                '"' => {
                    self.position = start + 1 + index + 1;
                    return Ok(decoded);
                }
                '\n' => return Err(TemplateError::new("unterminated quoted string", start)),
                '\\' => decoded.push(decode_escape(&mut chars, '"', start)?),
                other => decoded.push(other),
            }
        }
    }

    fn lex_raw(&mut self, start: usize) -> Result<String, TemplateError> {
        let Some(end) = self.text[start + 1..].find('`') else {
            return Err(TemplateError::new("unterminated raw quoted string", start));
        };
        self.position = start + 1 + end + 1;
        Ok(self.text[start + 1..start + 1 + end].replace('\r', ""))
    }

    fn lex_char(&mut self, start: usize) -> Result<char, TemplateError> {
        let mut chars = self.text[start + 1..].char_indices();
        let malformed = |text: &str| {
            let after = &text[start + 1..];
            let shown = match after.find(['\'', '\n']) {
                Some(end) => &text[start..start + 1 + end + 1],
                None => &text[start..],
            };
            TemplateError::new(format!("malformed character constant: {}", shown.trim_end()), start)
        };

        let value = match chars.next() {
            Some((_, '\\')) => decode_escape(&mut chars, '\'', start)?,
            Some((_, '\'' | '\n')) | None => return Err(malformed(self.text)),
            Some((_, other)) => other,
        };
        match chars.next() {
            Some((index, '\'')) => {
                self.position = start + 1 + index + 1;
                Ok(value)
            }
            _ => Err(malformed(self.text)),
        }
    }
}

/// Decodes one Go escape sequence after its backslash.
fn decode_escape(
    chars: &mut std::str::CharIndices<'_>,
    quote: char,
    start: usize,
) -> Result<char, TemplateError> {
    let invalid = || TemplateError::new("invalid escape sequence in quoted string", start);
    let (_, letter) = chars.next().ok_or_else(invalid)?;

    let mut read_digits = |count: usize, radix: u32| -> Result<u32, TemplateError> {
        let mut code = 0u32;
        for _ in 0..count {
            let (_, digit) = chars.next().ok_or_else(invalid)?;
            code = code * radix + digit.to_digit(radix).ok_or_else(invalid)?;
        }
        Ok(code)
    };

    let decoded = match letter {
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        '\\' => '\\',
        other if other == quote => other,
        'x' => char::from_u32(read_digits(2, 16)?).ok_or_else(invalid)?,
        'u' => char::from_u32(read_digits(4, 16)?).ok_or_else(invalid)?,
        'U' => char::from_u32(read_digits(8, 16)?).ok_or_else(invalid)?,
        '0'..='7' => {
            let rest = read_digits(2, 8)?;
            let code = letter.to_digit(8).unwrap_or(0) * 64 + rest;
            if code > 255 {
                return Err(invalid());
            }
            char::from_u32(code).ok_or_else(invalid)?
        }
        _ => return Err(invalid()),
    };
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex(text).unwrap().into_iter().map(|token| token.kind).collect()
    }

    fn text(piece: &str) -> TokenKind {
        TokenKind::Text(piece.to_owned())
    }

    #[test]
    fn lexer_splits_text_and_action() {
        use TokenKind::*;
        assert_eq!(
            kinds("a {{.X.y | f $v}} b"),
            vec![
                text("a "),
                LeftDelim,
                Field("X".into()),
                Field("y".into()),
                Space,
                Pipe,
                Space,
                Identifier("f".into()),
                Space,
                Variable("$v".into()),
                RightDelim,
                text(" b"),
            ]
        );
    }

    #[test]
    fn lexer_trims_around_dashes() {
        use TokenKind::*;
        assert_eq!(
            kinds("a \n {{- 1 -}} \n b"),
            vec![text("a"), LeftDelim, Space, Number("1".into()), RightDelim, text("b")]
        );
        assert_eq!(kinds("a {{-1}}"), vec![text("a "), LeftDelim, Number("-1".into()), RightDelim]);
    }

    #[test]
    fn lexer_drops_comments() {
        assert_eq!(kinds("a {{/* x */}} b"), vec![text("a "), text(" b")]);
        assert_eq!(kinds("a {{- /* x */ -}} b"), vec![text("a"), text("b")]);
    }

    #[test]
    fn lexer_decodes_literals() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"{{"a\tb\x41\101\u00e9\"" `r\n` 'x' '\n' 0x1F 1.5e-3 . $}}"#),
            vec![
                LeftDelim,
                String("a\tbAAé\"".into()),
                Space,
                String("r\\n".into()),
                Space,
                Char('x'),
                Space,
                Char('\n'),
                Space,
                Number("0x1F".into()),
                Space,
                Number("1.5e-3".into()),
                Space,
                Dot,
                Space,
                Variable("$".into()),
                RightDelim,
            ]
        );
    }

    #[test]
    fn lexer_errors_with_offsets() {
        let cases = [
            ("ab {{ .X", "unclosed action", 3),
            ("{{ \"abc }}", "unterminated quoted string", 3),
            ("{{ `abc }}", "unterminated raw quoted string", 3),
            ("x{{/* abc }}", "unclosed comment", 1),
            ("{{/* a */ 1 }}", "comment ends before closing delimiter", 9),
            ("{{ 'ab' }}", "malformed character constant: 'ab'", 3),
            ("{{ \"\\q\" }}", "invalid escape sequence in quoted string", 3),
            ("{{ .X-y }}", "bad character U+002D '-'", 5),
            ("{{ - 1 }}", "illegal number syntax: \"-\"", 3),
        ];
        for (template, message, offset) in cases {
            let error = lex(template).unwrap_err();
            assert_eq!(error.message, message, "{template}");
            assert_eq!(error.offset, offset, "{template}");
        }
    }
}
