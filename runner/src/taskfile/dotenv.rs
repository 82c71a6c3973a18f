//! `.env` files in godotenv syntax: `KEY=value` lines, an optional `export`
//! prefix, single or double quotes, `#` comments and blank lines.
//!
//! Double-quoted values expand `\n`, `\t`, `\"` and `\\`; single-quoted values
//! are literal. Unquoted values end at ` #`. `${VAR}` expansion inside values,
//! which godotenv supports, is not done.

/// Parses the text of a `.env` file into key-value pairs in file order.
pub(crate) fn parse(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let Some((key, value)) = line.split_once('=').or_else(|| line.split_once(':')) else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        pairs.push((key.to_string(), parse_value(value.trim())));
    }
    pairs
}

fn parse_value(value: &str) -> String {
    if let Some(rest) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                },
                other => out.push(other),
            }
        }
        return out;
    }
    if let Some(rest) = value.strip_prefix('\'') {
        return rest.split('\'').next().unwrap_or("").to_string();
    }
    match value.find(" #") {
        Some(index) => value[..index].trim_end().to_string(),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_handles_quotes_export_and_comments() {
        let text = "A=1\n# c\nexport B=yes\nC=\"a b\"\nD='x\\ny'\nE=v # note\n\nF=\"q\\\"t\"\n";
        let pairs = parse(text);
        let expected =
            [("A", "1"), ("B", "yes"), ("C", "a b"), ("D", "x\\ny"), ("E", "v"), ("F", "q\"t")];
        let got: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, expected);
    }
}
