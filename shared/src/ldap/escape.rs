//! Escaping user input for LDAP (RFC 4515 filter values, RFC 4514 DN attribute values) and
//! expanding `{user}` / `{dn}` templates with already-escaped values.
//!
//! Every value that comes from a client goes through one of the two escapers before it is
//! put into a filter or a DN; the templates themselves come from the administrator's config
//! and are trusted.

/// Escapes a value for use inside an RFC 4515 search filter assertion
/// (`(uid=VALUE)`): `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`.
/// Everything else, including non-ASCII UTF-8, is kept as is (RFC 4515 allows UTF-8).
pub fn escape_filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a value for use as an RFC 4514 DN attribute value (`uid=VALUE,ou=people,…`):
/// `, + " \ < > ; =` get a backslash, a leading `#` or space and a trailing space get a
/// backslash, NUL becomes `\00`. Non-ASCII UTF-8 is kept as is.
pub fn escape_dn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\00"),
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c => out.push(c),
        }
    }
    out
}

/// Replaces each `{key}` in `template` by its value, in one pass: a value that itself
/// contains `{key}` is not expanded again. Unknown `{…}` stay as they are. The values must
/// already be escaped for the place they go into.
pub fn expand(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    'outer: while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        for (key, value) in vars {
            let matches = tail.strip_prefix('{').and_then(|t| t.strip_prefix(key)).is_some_and(|t| t.starts_with('}'));
            if matches {
                out.push_str(value);
                rest = &tail[key.len() + 2..];
                continue 'outer;
            }
        }
        out.push('{');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_follow_rfc4515() {
        // RFC 4515 section 4 examples.
        assert_eq!(
            escape_filter_value("Parens R Us (for all your parenthetical needs)"),
            "Parens R Us \\28for all your parenthetical needs\\29"
        );
        assert_eq!(escape_filter_value("*"), "\\2a");
        assert_eq!(escape_filter_value("C:\\MyFile"), "C:\\5cMyFile");
        assert_eq!(escape_filter_value("a\0b"), "a\\00b");
        assert_eq!(escape_filter_value("Lučić"), "Lučić");
        assert_eq!(escape_filter_value("alice)(uid=*"), "alice\\29\\28uid=\\2a");
        assert_eq!(escape_filter_value("*)(|(uid=*"), "\\2a\\29\\28|\\28uid=\\2a");
        assert_eq!(escape_filter_value("plain"), "plain");
        assert_eq!(escape_filter_value(""), "");
    }

    #[test]
    fn dn_values_follow_rfc4514() {
        // RFC 4514 section 4 examples.
        assert_eq!(escape_dn_value("Sue, Grabbit and Runn"), "Sue\\, Grabbit and Runn");
        assert_eq!(escape_dn_value("Before\0After"), "Before\\00After");
        assert_eq!(escape_dn_value("James \"Jim\" Smith, III"), "James \\\"Jim\\\" Smith\\, III");
        assert_eq!(escape_dn_value("#1"), "\\#1");
        assert_eq!(escape_dn_value("a#1"), "a#1");
        assert_eq!(escape_dn_value(" lead"), "\\ lead");
        assert_eq!(escape_dn_value("trail "), "trail\\ ");
        assert_eq!(escape_dn_value(" "), "\\ ");
        assert_eq!(escape_dn_value("in side"), "in side");
        assert_eq!(escape_dn_value("a+b<c>d;e=f\\g"), "a\\+b\\<c\\>d\\;e\\=f\\\\g");
        assert_eq!(
            escape_dn_value("uid=alice,ou=people,dc=example,dc=org"),
            "uid\\=alice\\,ou\\=people\\,dc\\=example\\,dc\\=org"
        );
        assert_eq!(escape_dn_value("Lučić"), "Lučić");
        assert_eq!(escape_dn_value("*"), "*");
    }

    #[test]
    fn templates_expand_once() {
        let t = "uid={user},ou=people,dc=example,dc=org";
        assert_eq!(expand(t, &[("user", "alice")]), "uid=alice,ou=people,dc=example,dc=org");
        let f = "(&(objectClass=groupOfNames)(|(member={dn})(memberUid={user})))";
        assert_eq!(
            expand(f, &[("dn", "uid=a,dc=x"), ("user", "a")]),
            "(&(objectClass=groupOfNames)(|(member=uid=a,dc=x)(memberUid=a)))"
        );
        // A value that looks like a placeholder is not expanded again.
        assert_eq!(expand("({user})({dn})", &[("user", "{dn}"), ("dn", "X")]), "({dn})(X)");
        // Unknown placeholders and stray braces stay.
        assert_eq!(expand("{other}{user}{", &[("user", "u")]), "{other}u{");
        assert_eq!(expand("{{user}}", &[("user", "u")]), "{u}");
        assert_eq!(expand("", &[("user", "u")]), "");
        assert_eq!(expand("(uid={user})", &[("user", &escape_filter_value("*)(uid=*"))]), "(uid=\\2a\\29\\28uid=\\2a)");
    }
}
