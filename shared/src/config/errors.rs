//! Parse errors as one line that names the line and the key but never the value (it may be
//! a password) and holds no raw control character (it would reach a terminal or a log).
//!
//! serde's messages quote what they refused (``invalid type: string "hunter2", expected …``,
//! ``unknown variant `x` …``), and inside an internally tagged `[[backend]]` the error's span
//! covers the whole block rather than the value. So the value is never taken from the
//! message: known message shapes are rewritten to drop what they quote, and what is left
//! is kept only when it cannot hold the value.

use super::{LdapConfig, LocalBackendConfig, PamConfig};

/// `s` with every control character escaped (`\n`, `\u{7}`…), everything else as it is.
pub(super) fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// One line for a TOML or serde error: `line N, key `k`: what is wrong`.
pub(super) fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let what = without_values(&e.message().trim().replace('\n', " "));
    let Some(span) = e.span() else { return escape_controls(&what) };
    let start = span.start.min(text.len());
    if text[start..].starts_with("[[backend]]") {
        // The span of an error inside a `[[backend]]` block (an internally tagged enum)
        // covers every block: find the block and the key by parsing each one on its own.
        if let Some(found) = describe_backend_error(text) {
            return escape_controls(&found);
        }
    }
    let line_no = text[..start].matches('\n').count() + 1;
    let out = match key_on_line(text, line_no) {
        Some(key) => format!("line {line_no}, key `{key}`: {what}"),
        None => format!("line {line_no}: {what}"),
    };
    escape_controls(&out)
}

/// The bare key that line `line_no` (1-based) of `text` assigns, if it is a `key = …` line.
/// Only a bare key is named from the text: on a continuation line of an array, what comes
/// before an `=` may be part of a value.
fn key_on_line(text: &str, line_no: usize) -> Option<&str> {
    let line = text.lines().nth(line_no.checked_sub(1)?)?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let bare = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    (!key.is_empty() && key.len() < 80 && key.chars().all(bare)).then_some(key)
}

/// The first `[[backend]]` block that does not deserialize as its `kind`, described as
/// `line N ([[backend]] of kind …), key `k`: …`, N being the line of the block's header.
fn describe_backend_error(text: &str) -> Option<String> {
    let table: toml::Table = text.parse().ok()?;
    let blocks = table.get("backend")?.as_array()?;
    let headers: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[backend]]"))
        .map(|(i, _)| i + 1)
        .collect();
    for (i, block) in blocks.iter().enumerate() {
        let mut fields = block.as_table()?.clone();
        let kind = fields.remove("kind");
        let kind = kind.as_ref().and_then(toml::Value::as_str);
        let alone = toml::to_string(&fields).ok()?;
        let error = match kind {
            Some("ldap") => toml::from_str::<LdapConfig>(&alone).err(),
            Some("pam") => toml::from_str::<PamConfig>(&alone).err(),
            Some("local") => toml::from_str::<LocalBackendConfig>(&alone).err(),
            // A missing or unknown kind: serde's own message says so (without the value).
            _ => None,
        };
        let Some(error) = error else { continue };
        let what = without_values(&error.message().trim().replace('\n', " "));
        let header = headers.get(i).map_or(String::new(), |n| format!("line {n} "));
        let kind = kind.unwrap_or_default();
        let key = error.span().and_then(|s| {
            let line_no = alone[..s.start.min(alone.len())].matches('\n').count() + 1;
            key_on_line(&alone, line_no)
        });
        return Some(match key {
            Some(key) => format!("{header}([[backend]] of kind {kind}), key `{key}`: {what}"),
            None => format!("{header}([[backend]] of kind {kind}): {what}"),
        });
    }
    None
}

/// serde's message without the value it quotes. Field names stay (they are keys).
fn without_values(msg: &str) -> String {
    // "invalid type: string \"x\", expected a duration", "invalid value: integer `7`, …",
    // "unknown variant `x`, expected one of …": keep the kind and what was expected.
    for kind in ["invalid type", "invalid value", "unknown variant"] {
        if msg.starts_with(kind) {
            return match msg.rsplit_once(", expected ") {
                Some((_, expected)) => format!("{kind} (not shown), expected {expected}"),
                None => format!("{kind} (not shown)"),
            };
        }
    }
    // Our own value-free messages (durations), field errors ("unknown field `k`, expected
    // one of …", "missing field `k`", "duplicate key `k`") and TOML syntax errors.
    // Other "invalid …" messages are TOML syntax errors and describe the expected syntax.
    let value_free = ["expected ", "unknown field", "missing field", "duplicate", "invalid "];
    if value_free.iter().any(|p| msg.starts_with(p)) || !msg.contains(['`', '"', '\'']) {
        return msg.to_string();
    }
    "invalid value (not shown)".to_string()
}
