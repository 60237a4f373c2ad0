//! Form bodies and query values: `application/x-www-form-urlencoded`, decoded once, bounded,
//! and the password wiped when the form is dropped.

use crate::body::FormBody;

/// Largest form body read (a sign-in form is a few hundred bytes).
pub const MAX_FORM_BYTES: usize = 8 * 1024;

/// An `application/x-www-form-urlencoded` body, decoded.
#[derive(Default)]
pub(super) struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// The first value of `name`.
    pub(super) fn get(&self, name: &str) -> Option<String> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
}

impl Drop for Form {
    fn drop(&mut self) {
        // The password passed through here.
        for (_, v) in &mut self.pairs {
            zeroize::Zeroize::zeroize(v);
        }
    }
}

/// Reads and decodes a form body of at most [`MAX_FORM_BYTES`]; `None` when it is longer,
/// unreadable, or not UTF-8 after decoding.
pub(super) async fn read_form<B: FormBody>(body: B) -> Option<Form> {
    let bytes = body.read_limited(MAX_FORM_BYTES).await?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let mut form = Form::default();
    for pair in text.split('&').filter(|p| !p.is_empty()).take(32) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        form.pairs.push((url_decode(k)?, url_decode(v)?));
    }
    Some(form)
}

/// One query parameter, decoded once.
pub(super) fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (url_decode(k).as_deref() == Some(name)).then(|| url_decode(v)).flatten()
    })
}

/// `+` is a space, `%XX` a byte; the result must be UTF-8. A malformed escape is refused.
fn url_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = (bytes.next()? as char).to_digit(16)?;
                let lo = (bytes.next()? as char).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// `s` percent-encoded for a query value: everything but RFC 3986 unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_decode_once_and_refuse_bad_escapes() {
        assert_eq!(url_decode("a+b%2Fc%252F").as_deref(), Some("a b/c%2F"));
        assert_eq!(url_decode("%zz"), None);
        assert_eq!(url_decode("%4"), None);
        assert_eq!(url_decode("%FF"), None);
        assert_eq!(
            query_param("x=1&rd=https%3A%2F%2Fa.example.org%2F", "rd").as_deref(),
            Some("https://a.example.org/")
        );
    }

    #[test]
    fn encoding_round_trips() {
        let s = "https://app.example.org/a b?x=1&y=é#z";
        assert_eq!(url_decode(&url_encode(s)).as_deref(), Some(s));
        assert!(url_encode(s).bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
    }
}
