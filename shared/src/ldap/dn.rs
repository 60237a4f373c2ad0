//! Just enough RFC 4514 DN parsing to name groups from `memberOf` values and users from
//! `member` values (the first RDN's value), and to find a DN's parent.

/// Splits `s` at the first byte in `seps` that is not backslash-escaped.
fn split_unescaped<'a>(s: &'a str, seps: &[u8]) -> (&'a str, Option<&'a str>) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if seps.contains(&b) => return (&s[..i], Some(&s[i + 1..])),
            _ => i += 1,
        }
    }
    (s, None)
}

/// Undoes RFC 4514 escaping (`\,`, `\2C`); `None` for a `#`-hex (BER) value, a dangling
/// backslash or a result that is not UTF-8.
fn unescape_value(v: &str) -> Option<String> {
    if v.starts_with('#') {
        return None;
    }
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (hex, bytes.get(i + 1)) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, Some(&b)) => {
                out.push(b);
                i += 2;
            }
            (None, None) => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// The `(type, value)` pairs of a DN's first RDN, values unescaped.
pub fn first_rdn(dn: &str) -> Vec<(String, String)> {
    let (rdn, _) = split_unescaped(dn, b",;");
    let mut out = Vec::new();
    let mut rest = Some(rdn);
    while let Some(r) = rest {
        let (ava, next) = split_unescaped(r, b"+");
        rest = next;
        let Some((ty, value)) = ava.split_once('=') else { continue };
        if let Some(v) = unescape_value(value.trim_start()) {
            out.push((ty.trim().to_string(), v));
        }
    }
    out
}

/// The value of a DN's first RDN, preferring the attribute type `prefer` in a multi-valued
/// RDN (`cn=x+gidNumber=5`): `cn=admins,ou=groups,dc=example,dc=org` → `admins`.
pub fn first_rdn_value(dn: &str, prefer: &str) -> Option<String> {
    let avas = first_rdn(dn);
    let preferred = avas.iter().position(|(t, _)| t.eq_ignore_ascii_case(prefer));
    avas.into_iter().nth(preferred.unwrap_or(0)).map(|(_, v)| v)
}

/// The value of the first RDN only if its type is `ty` (case-insensitive).
pub fn rdn_value_of_type(dn: &str, ty: &str) -> Option<String> {
    first_rdn(dn).into_iter().find(|(t, _)| t.eq_ignore_ascii_case(ty)).map(|(_, v)| v)
}

/// The DN without its first RDN (`uid=a,ou=people,dc=x` → `ou=people,dc=x`); `None` when
/// there is no parent.
pub fn parent(dn: &str) -> Option<&str> {
    let (_, rest) = split_unescaped(dn, b",;");
    rest.map(str::trim_start).filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_rdn_values() {
        assert_eq!(first_rdn_value("cn=admins,ou=groups,dc=example,dc=org", "cn").as_deref(), Some("admins"));
        assert_eq!(first_rdn_value("CN=Domain Admins,OU=x", "cn").as_deref(), Some("Domain Admins"));
        assert_eq!(first_rdn_value("cn=a\\,b,ou=groups", "cn").as_deref(), Some("a,b"));
        assert_eq!(first_rdn_value("cn=a\\2Cb\\5c,ou=groups", "cn").as_deref(), Some("a,b\\"));
        assert_eq!(first_rdn_value("cn=Lu\\C4\\8Di\\C4\\87,dc=x", "cn").as_deref(), Some("Lučić"));
        assert_eq!(first_rdn_value("gidNumber=5+cn=ops,dc=x", "cn").as_deref(), Some("ops"));
        assert_eq!(first_rdn_value("gidNumber=5+cn=ops,dc=x", "uid").as_deref(), Some("5"));
        assert_eq!(first_rdn_value("cn=#04024869", "cn"), None);
        assert_eq!(first_rdn_value("cn=bad\\", "cn"), None);
        assert_eq!(first_rdn_value("", "cn"), None);
        assert_eq!(rdn_value_of_type("uid=alice,ou=people", "UID").as_deref(), Some("alice"));
        assert_eq!(rdn_value_of_type("cn=Alice,ou=people", "uid"), None);
    }

    #[test]
    fn parents() {
        assert_eq!(parent("uid={user},ou=people,dc=example,dc=org"), Some("ou=people,dc=example,dc=org"));
        assert_eq!(parent("uid=a\\,b, ou=people"), Some("ou=people"));
        assert_eq!(parent("dc=org"), None);
        assert_eq!(parent("{user}@example.org"), None);
    }
}
