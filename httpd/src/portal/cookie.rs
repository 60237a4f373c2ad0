//! Reading the `Cookie` header and writing `Set-Cookie` values (RFC 6265).
//!
//! Reading tolerates junk — a pair without `=`, a name with a space, a value that is not
//! ASCII — by skipping it, and stops at fixed bounds (bytes per header, pairs in all), so a
//! hostile header costs a bounded amount of work. Several `Cookie` headers (HTTP/2 splits
//! them) are read as one list.
//!
//! Duplicates: a browser sends two cookies of one name when they differ in `Domain` or
//! `Path` — an old host-only cookie beside a new domain one, or one planted by a sibling
//! subdomain ("cookie tossing"), which the browser lists *first* when its path is longer.
//! "First wins" would then let the planted cookie choose the session, so the session
//! cookie is read with [`Cookies::unique`], which reports a duplicate instead of picking
//! one; the portal treats that as no session (the sign-in page). [`Cookies::first`] is for
//! cookies whose value is checked against something else anyway.
//!
//! Writing: every cookie is `HttpOnly` and `Path=/`; `Secure` unless configured off;
//! `SameSite` from the config (`None` only with `Secure`); `Max-Age` for a remembered
//! session and none for a browser-session cookie; a deletion repeats `Domain` and `Path`
//! with `Max-Age=0`.

use std::fmt;
use std::time::Duration;
use wicket_core::config::SameSite;

/// Bytes of one `Cookie` header read; the rest is ignored. Browsers send at most ~8 KiB.
pub const MAX_HEADER_BYTES: usize = 8192;
/// Pairs read over all headers.
pub const MAX_PAIRS: usize = 64;
/// Longest name kept.
pub const MAX_NAME_BYTES: usize = 128;
/// Longest value kept (browsers store at most 4096 bytes per cookie).
pub const MAX_VALUE_BYTES: usize = 4096;

/// The cookies of one request, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cookies {
    pairs: Vec<(String, String)>,
}

/// What [`Cookies::unique`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// No cookie of that name.
    Absent,
    /// Exactly one, with this value.
    One(&'a str),
    /// More than one: refuse them all.
    Duplicated,
}

impl Cookies {
    /// Reads every `Cookie` header value of a request.
    pub fn parse<I, H>(headers: I) -> Self
    where
        I: IntoIterator<Item = H>,
        H: AsRef<[u8]>,
    {
        let mut pairs = Vec::new();
        for header in headers {
            let header = header.as_ref();
            let header = &header[..header.len().min(MAX_HEADER_BYTES)];
            for piece in header.split(|&b| b == b';') {
                if pairs.len() == MAX_PAIRS {
                    return Self { pairs };
                }
                if let Some(pair) = parse_pair(piece) {
                    pairs.push(pair);
                }
            }
        }
        Self { pairs }
    }

    /// The value of the first cookie named `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value of the cookie named `name` if it was sent exactly once.
    pub fn unique(&self, name: &str) -> Lookup<'_> {
        let mut found = self.pairs.iter().filter(|(n, _)| n == name);
        match (found.next(), found.next()) {
            (None, _) => Lookup::Absent,
            (Some((_, v)), None) => Lookup::One(v),
            (Some(_), Some(_)) => Lookup::Duplicated,
        }
    }

    /// How many pairs were kept.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether no pair was kept.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// One `name=value` piece, trimmed, or `None` if it is not a well-formed pair.
fn parse_pair(piece: &[u8]) -> Option<(String, String)> {
    let piece = piece.trim_ascii();
    let eq = piece.iter().position(|&b| b == b'=')?;
    let (name, value) = (piece[..eq].trim_ascii(), piece[eq + 1..].trim_ascii());
    let value = value.strip_prefix(b"\"").and_then(|v| v.strip_suffix(b"\"")).unwrap_or(value);
    let name_ok = !name.is_empty() && name.len() <= MAX_NAME_BYTES && name.iter().copied().all(is_token_byte);
    let value_ok = value.len() <= MAX_VALUE_BYTES && value.iter().copied().all(is_cookie_octet);
    // Both checks leave ASCII only, so the conversions cannot fail.
    (name_ok && value_ok)
        .then(|| (String::from_utf8_lossy(name).into_owned(), String::from_utf8_lossy(value).into_owned()))
}

/// RFC 7230 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 6265 `cookie-octet`: visible ASCII but `"`, `,`, `;` and `\`.
fn is_cookie_octet(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\')
}

/// How a cookie is written, from `[session]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    /// `Domain`, without a leading dot; `None` = host-only.
    pub domain: Option<String>,
    /// Whether `Secure` is sent.
    pub secure: bool,
    /// The `SameSite` attribute.
    pub same_site: SameSite,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self { domain: None, secure: true, same_site: SameSite::Lax }
    }
}

/// How long the browser keeps a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Until the browser closes: no `Max-Age`.
    BrowserSession,
    /// For this long (remember me); must be at least a second.
    Persistent(Duration),
}

/// Why a `Set-Cookie` value was not built. Each is a configuration or programming error;
/// nothing here depends on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieError {
    /// The name is empty, too long or not a token.
    Name,
    /// The value holds a character a cookie cannot carry, or is too long.
    Value,
    /// The domain is not a host name.
    Domain,
    /// `SameSite=None` or a `__Secure-`/`__Host-` name without `Secure`.
    NeedsSecure,
    /// A `__Host-` name with a `Domain`.
    HostPrefixWithDomain,
    /// A persistent cookie of less than a second (that would be a deletion).
    Lifetime,
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Name => "cookie name is not a token of 1 to 128 characters",
            Self::Value => "cookie value holds a character outside cookie-octet or is too long",
            Self::Domain => "cookie domain is not a host name",
            Self::NeedsSecure => "SameSite=None and __Secure-/__Host- names require Secure",
            Self::HostPrefixWithDomain => "a __Host- cookie cannot have a Domain",
            Self::Lifetime => "a persistent cookie must last at least a second",
        })
    }
}

impl std::error::Error for CookieError {}

/// A `Set-Cookie` value for `name=value`.
pub fn set_cookie(name: &str, value: &str, opts: &CookieOptions, lifetime: Lifetime) -> Result<String, CookieError> {
    if value.len() > MAX_VALUE_BYTES || !value.bytes().all(is_cookie_octet) {
        return Err(CookieError::Value);
    }
    let max_age = match lifetime {
        Lifetime::BrowserSession => None,
        Lifetime::Persistent(d) if d.as_secs() == 0 => return Err(CookieError::Lifetime),
        Lifetime::Persistent(d) => Some(d.as_secs()),
    };
    build(name, value, opts, max_age)
}

/// A `Set-Cookie` value that deletes `name` (same `Domain` and `Path` as when it was set).
pub fn delete_cookie(name: &str, opts: &CookieOptions) -> Result<String, CookieError> {
    build(name, "", opts, Some(0))
}

fn build(name: &str, value: &str, opts: &CookieOptions, max_age: Option<u64>) -> Result<String, CookieError> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES || !name.bytes().all(is_token_byte) {
        return Err(CookieError::Name);
    }
    let prefixed = name.starts_with("__Secure-") || name.starts_with("__Host-");
    if (prefixed || opts.same_site == SameSite::None) && !opts.secure {
        return Err(CookieError::NeedsSecure);
    }
    if name.starts_with("__Host-") && opts.domain.is_some() {
        return Err(CookieError::HostPrefixWithDomain);
    }
    let mut out = format!("{name}={value}");
    if let Some(domain) = &opts.domain {
        let ok = !domain.is_empty()
            && domain.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if !ok {
            return Err(CookieError::Domain);
        }
        out.push_str("; Domain=");
        out.push_str(domain);
    }
    out.push_str("; Path=/");
    if let Some(secs) = max_age {
        out.push_str(&format!("; Max-Age={secs}"));
    }
    out.push_str("; HttpOnly");
    if opts.secure {
        out.push_str("; Secure");
    }
    out.push_str("; SameSite=");
    out.push_str(opts.same_site.as_str());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(domain: Option<&str>, secure: bool, same_site: SameSite) -> CookieOptions {
        CookieOptions { domain: domain.map(str::to_string), secure, same_site }
    }

    #[test]
    fn parses_pairs_across_headers() {
        let c = Cookies::parse(["a=1; wicket_session=abc; b=\"q\"", "c=3"]);
        assert_eq!(c.first("wicket_session"), Some("abc"));
        assert_eq!(c.first("b"), Some("q"));
        assert_eq!(c.first("c"), Some("3"));
        assert_eq!(c.first("d"), None);
        assert_eq!(c.len(), 4);
        assert_eq!(c.unique("a"), Lookup::One("1"));
        assert_eq!(c.unique("zz"), Lookup::Absent);
    }

    #[test]
    fn tolerates_junk() {
        let c = Cookies::parse([
            b";; noequals ; =novalue; bad name=x; ok=1 ;x=a b; y=a\\b; z=\"open; w=1,2; e=; k=v=w".as_slice(),
            b"u=\xff\xfe; v=2".as_slice(),
        ]);
        assert_eq!(c.first("ok"), Some("1"));
        assert_eq!(c.first("e"), Some(""));
        assert_eq!(c.first("k"), Some("v=w"));
        assert_eq!(c.first("v"), Some("2"));
        for junk in ["noequals", "", "bad name", "x", "y", "z", "w", "u"] {
            assert_eq!(c.first(junk), None, "{junk}");
        }
    }

    #[test]
    fn duplicates_of_the_session_cookie_are_reported() {
        let c = Cookies::parse(["wicket_session=planted; wicket_session=mine"]);
        assert_eq!(c.unique("wicket_session"), Lookup::Duplicated);
        assert_eq!(c.first("wicket_session"), Some("planted"));
        let c = Cookies::parse(["wicket_session=planted", "wicket_session=mine"]);
        assert_eq!(c.unique("wicket_session"), Lookup::Duplicated);
        // Names are case-sensitive: these are two different cookies.
        let c = Cookies::parse(["Wicket_Session=x; wicket_session=mine"]);
        assert_eq!(c.unique("wicket_session"), Lookup::One("mine"));
    }

    #[test]
    fn sizes_are_bounded() {
        let many: String = (0..200).map(|i| format!("c{i}=v; ")).collect();
        let c = Cookies::parse([many.as_str(), "late=1"]);
        assert_eq!(c.len(), MAX_PAIRS);
        assert_eq!(c.first("late"), None);

        let long_value = format!("big={}", "v".repeat(MAX_VALUE_BYTES + 1));
        let c = Cookies::parse([long_value.as_str()]);
        assert_eq!(c.first("big"), None);
        let fits = format!("big={}", "v".repeat(MAX_VALUE_BYTES));
        assert_eq!(Cookies::parse([fits.as_str()]).first("big").map(str::len), Some(MAX_VALUE_BYTES));

        let past_cap = format!("pad={}; after=1", "p".repeat(MAX_HEADER_BYTES));
        assert_eq!(Cookies::parse([past_cap.as_str()]).first("after"), None);
        let long_name = format!("{}=1", "n".repeat(MAX_NAME_BYTES + 1));
        assert!(Cookies::parse([long_name.as_str()]).is_empty());
    }

    #[test]
    fn session_cookie_defaults() {
        let v = set_cookie("wicket_session", "abc", &CookieOptions::default(), Lifetime::BrowserSession);
        assert_eq!(v.as_deref(), Ok("wicket_session=abc; Path=/; HttpOnly; Secure; SameSite=Lax"));
    }

    #[test]
    fn remembered_cookie_has_max_age_and_domain() {
        let o = opts(Some("example.org"), true, SameSite::Strict);
        let v = set_cookie("s", "abc", &o, Lifetime::Persistent(Duration::from_secs(2_592_000)));
        assert_eq!(
            v.as_deref(),
            Ok("s=abc; Domain=example.org; Path=/; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict")
        );
    }

    #[test]
    fn plain_http_and_samesite_none() {
        let v = set_cookie("s", "abc", &opts(None, false, SameSite::Lax), Lifetime::BrowserSession);
        assert_eq!(v.as_deref(), Ok("s=abc; Path=/; HttpOnly; SameSite=Lax"));
        let v = set_cookie("s", "abc", &opts(None, true, SameSite::None), Lifetime::BrowserSession);
        assert_eq!(v.as_deref(), Ok("s=abc; Path=/; HttpOnly; Secure; SameSite=None"));
        let v = set_cookie("s", "abc", &opts(None, false, SameSite::None), Lifetime::BrowserSession);
        assert_eq!(v, Err(CookieError::NeedsSecure));
    }

    #[test]
    fn deletion_repeats_domain_and_path() {
        let v = delete_cookie("s", &opts(Some("example.org"), true, SameSite::Lax));
        assert_eq!(v.as_deref(), Ok("s=; Domain=example.org; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"));
    }

    #[test]
    fn bad_inputs_are_refused() {
        let o = CookieOptions::default();
        let session = Lifetime::BrowserSession;
        assert_eq!(set_cookie("", "v", &o, session), Err(CookieError::Name));
        assert_eq!(set_cookie("a b", "v", &o, session), Err(CookieError::Name));
        assert_eq!(set_cookie("a=b", "v", &o, session), Err(CookieError::Name));
        for bad in ["a;b", "a b", "a\"b", "a,b", "a\\b", "a\r\nSet-Cookie: x=1", "é"] {
            assert_eq!(set_cookie("s", bad, &o, session), Err(CookieError::Value), "{bad:?}");
        }
        assert_eq!(
            set_cookie("s", "v", &o, Lifetime::Persistent(Duration::from_millis(999))),
            Err(CookieError::Lifetime)
        );
        for bad in ["", ".example.org", "example.org;x", "exa mple.org", "a..b"] {
            assert_eq!(
                set_cookie("s", "v", &opts(Some(bad), true, SameSite::Lax), session),
                Err(CookieError::Domain),
                "{bad:?}"
            );
        }
        assert_eq!(
            set_cookie("__Host-s", "v", &opts(None, false, SameSite::Lax), session),
            Err(CookieError::NeedsSecure)
        );
        assert_eq!(
            set_cookie("__Secure-s", "v", &opts(None, false, SameSite::Lax), session),
            Err(CookieError::NeedsSecure)
        );
        assert_eq!(
            set_cookie("__Host-s", "v", &opts(Some("example.org"), true, SameSite::Lax), session),
            Err(CookieError::HostPrefixWithDomain)
        );
        assert_eq!(
            set_cookie("__Host-wicket_csrf", "v", &opts(None, true, SameSite::Strict), session).as_deref(),
            Ok("__Host-wicket_csrf=v; Path=/; HttpOnly; Secure; SameSite=Strict")
        );
    }
}
