//! `[session]`: browser sign-in through the portal. Absent, wicketd behaves exactly as
//! without a portal (no cookie is read or set, `/auth` answers with challenges only).
//!
//! The section is read through [`RawSessionConfig`] and checked as it is converted
//! (`serde(try_from)`), so a `SessionConfig` that exists is a valid one: names fit in a
//! cookie, `SameSite=None` comes with `Secure`, lifetimes are ordered, hosts are lower-case.
//! Every default lives in `RawSessionConfig::default`.

use super::de_duration;
use serde::Deserialize;
use std::time::Duration;

/// The cookie's `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SameSite {
    /// Sent only on requests started by the same site.
    #[serde(rename = "strict", alias = "Strict")]
    Strict,
    /// Also sent on top-level navigations from other sites (links); the default.
    #[serde(rename = "lax", alias = "Lax")]
    Lax,
    /// Sent on every request, cross-site included; requires `secure = true`.
    #[serde(rename = "none", alias = "None")]
    None,
}

impl SameSite {
    /// The attribute value as written in `Set-Cookie`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        }
    }
}

/// `[session]`, validated.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawSessionConfig")]
pub struct SessionConfig {
    /// Cookie name.
    pub name: String,
    /// Cookie `Domain`, lower-case, without a leading dot; `None` = a host-only cookie.
    /// With a domain, one sign-in covers the domain and every subdomain.
    pub domain: Option<String>,
    /// Whether the cookie carries `Secure` (off only for plain-HTTP tests).
    pub secure: bool,
    /// The cookie's `SameSite`.
    pub same_site: SameSite,
    /// Absolute lifetime of a session that is not remembered.
    pub expiry: Duration,
    /// A session unused this long ends; zero = no inactivity limit.
    pub inactivity: Duration,
    /// Lifetime of a remembered session (persistent cookie); zero hides the box.
    pub remember_me: Duration,
    /// The portal's public URL (`https://auth.example.org`), used to send browsers to it.
    pub portal_url: Option<String>,
    /// A new sign-in ends the user's other sessions.
    pub single_session: bool,
    /// Title shown on the portal pages.
    pub title: String,
    /// Logo shown above the form: a path on the portal's own origin (`/logo.svg`) or a
    /// `data:image/…` URL (the pages' CSP allows nothing else).
    pub logo: Option<String>,
    /// Hosts outside `domain` that `rd` may send a browser to after sign-in (exact,
    /// lower-case, any port).
    pub allowed_redirect_hosts: Vec<String>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        // The defaults are valid by construction; a failure here is a bug in this file.
        Self::try_from(RawSessionConfig::default()).unwrap_or_else(|e| unreachable!("default [session]: {e}"))
    }
}

impl SessionConfig {
    /// Whether the sign-in form offers "remember me".
    pub fn remember_me_enabled(&self) -> bool {
        !self.remember_me.is_zero()
    }
}

/// `[session]` as written, before checking.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSessionConfig {
    name: String,
    domain: Option<String>,
    secure: bool,
    same_site: SameSite,
    #[serde(deserialize_with = "de_duration")]
    expiry: Duration,
    #[serde(deserialize_with = "de_duration")]
    inactivity: Duration,
    #[serde(deserialize_with = "de_duration")]
    remember_me: Duration,
    portal_url: Option<String>,
    single_session: bool,
    title: String,
    logo: Option<String>,
    allowed_redirect_hosts: Vec<String>,
}

impl Default for RawSessionConfig {
    fn default() -> Self {
        Self {
            name: "wicket_session".into(),
            domain: None,
            secure: true,
            same_site: SameSite::Lax,
            expiry: Duration::from_secs(3600),
            inactivity: Duration::from_secs(300),
            remember_me: Duration::from_secs(30 * 86_400),
            portal_url: None,
            single_session: false,
            title: "Wicket".into(),
            logo: None,
            allowed_redirect_hosts: Vec::new(),
        }
    }
}

/// Longest title accepted; it is a heading, not a paragraph.
const MAX_TITLE_CHARS: usize = 100;
/// Longest logo URL accepted (a small inline SVG fits).
const MAX_LOGO_BYTES: usize = 32 * 1024;

impl TryFrom<RawSessionConfig> for SessionConfig {
    type Error = String;

    // The messages name keys and never quote values (the config error path drops any
    // message with quotes in it; see `errors`).
    fn try_from(raw: RawSessionConfig) -> Result<Self, String> {
        let name_ok = !raw.name.is_empty() && raw.name.len() <= 64 && raw.name.bytes().all(is_token_byte);
        if !name_ok {
            return Err("session.name must be 1 to 64 letters, digits or !#$%&*+-.^_|~".into());
        }
        let domain = match raw.domain {
            None => None,
            Some(d) => Some(
                normalize_host(d.strip_prefix('.').unwrap_or(&d))
                    .ok_or("session.domain must be a host name such as example.org")?,
            ),
        };
        if (raw.name.starts_with("__Secure-") || raw.name.starts_with("__Host-")) && !raw.secure {
            return Err("session.name with a __Secure- or __Host- prefix requires session.secure = true".into());
        }
        if raw.name.starts_with("__Host-") && domain.is_some() {
            return Err("session.name with a __Host- prefix cannot have a session.domain".into());
        }
        if raw.same_site == SameSite::None && !raw.secure {
            return Err("session.same_site = none requires session.secure = true".into());
        }
        if raw.expiry.is_zero() {
            return Err("session.expiry must be longer than 0s".into());
        }
        if raw.inactivity > raw.expiry {
            return Err("session.inactivity must not be longer than session.expiry".into());
        }
        if let Some(url) = &raw.portal_url {
            let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
            let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
            let ok = host.is_some_and(|h| !h.is_empty() && !h.contains('@'))
                && url.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>' | b'\\'));
            if !ok {
                return Err("session.portal_url must be an http or https URL such as https://auth.example.org".into());
            }
        }
        if raw.title.trim().is_empty()
            || raw.title.chars().count() > MAX_TITLE_CHARS
            || raw.title.chars().any(char::is_control)
        {
            return Err(format!("session.title must be 1 to {MAX_TITLE_CHARS} characters without control characters"));
        }
        if let Some(logo) = &raw.logo {
            let local_path = logo.starts_with('/') && !logo.starts_with("//");
            let ok = (local_path || logo.starts_with("data:image/"))
                && logo.len() <= MAX_LOGO_BYTES
                && logo.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>' | b'\\'));
            if !ok {
                return Err("session.logo must be a path on the portal (/logo.svg) or a data:image/ URL".into());
            }
        }
        let mut allowed = Vec::with_capacity(raw.allowed_redirect_hosts.len());
        for h in raw.allowed_redirect_hosts {
            allowed.push(
                normalize_host(&h)
                    .ok_or("session.allowed_redirect_hosts must hold host names without scheme, port or path")?,
            );
        }
        Ok(Self {
            name: raw.name,
            domain,
            secure: raw.secure,
            same_site: raw.same_site,
            expiry: raw.expiry,
            inactivity: raw.inactivity,
            remember_me: raw.remember_me,
            portal_url: raw.portal_url,
            single_session: raw.single_session,
            title: raw.title,
            logo: raw.logo,
            allowed_redirect_hosts: allowed,
        })
    }
}

/// RFC 7230 `tchar`: what a cookie name may hold.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `host` in lower case if it is a DNS name (letters, digits, hyphens, non-empty labels of
/// at most 63 bytes, no trailing dot) or an IPv4 address; `None` otherwise. Internationalised
/// names are written in their `xn--` form.
fn normalize_host(host: &str) -> Option<String> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    ok.then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::time::Duration;

    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text).map_err(|e| e.to_string())
    }

    #[test]
    fn absent_section_is_none() {
        let c = parse("").unwrap_or_else(|e| panic!("{e}"));
        assert!(c.session.is_none());
    }

    #[test]
    fn empty_section_gives_defaults() {
        let c = parse("[session]\n").unwrap_or_else(|e| panic!("{e}"));
        let s = c.session.unwrap_or_else(|| panic!("[session] given"));
        assert_eq!(s, SessionConfig::default());
        assert_eq!(s.name, "wicket_session");
        assert_eq!(s.domain, None);
        assert!(s.secure);
        assert_eq!(s.same_site, SameSite::Lax);
        assert_eq!(s.expiry, Duration::from_secs(3600));
        assert_eq!(s.inactivity, Duration::from_secs(300));
        assert_eq!(s.remember_me, Duration::from_secs(30 * 86_400));
        assert!(s.remember_me_enabled());
        assert!(!s.single_session);
        assert_eq!(s.title, "Wicket");
        assert!(s.allowed_redirect_hosts.is_empty());
    }

    #[test]
    fn full_section_parses_and_normalizes() {
        let text = r#"
[session]
name = "sso"
domain = ".Example.ORG"
secure = false
same_site = "Strict"
expiry = "12h"
inactivity = "0s"
remember_me = "0s"
portal_url = "https://auth.example.org"
single_session = true
title = "Example <Corp>"
logo = "/logo.svg"
allowed_redirect_hosts = ["Wiki.Example.NET", "10.0.0.1"]
"#;
        let s = parse(text).unwrap_or_else(|e| panic!("{e}")).session.unwrap_or_else(|| panic!("given"));
        assert_eq!(s.name, "sso");
        assert_eq!(s.domain.as_deref(), Some("example.org"));
        assert!(!s.secure);
        assert_eq!(s.same_site, SameSite::Strict);
        assert_eq!(s.expiry, Duration::from_secs(12 * 3600));
        assert!(s.inactivity.is_zero());
        assert!(!s.remember_me_enabled());
        assert!(s.single_session);
        assert_eq!(s.title, "Example <Corp>");
        assert_eq!(s.allowed_redirect_hosts, vec!["wiki.example.net".to_string(), "10.0.0.1".to_string()]);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = parse("[session]\ncookie_name = \"x\"\n").err().unwrap_or_default();
        assert!(e.contains("cookie_name"), "{e}");
    }

    #[test]
    fn bad_sections_are_refused_naming_the_key() {
        let cases = [
            ("same_site = \"none\"\nsecure = false", "session.same_site"),
            ("same_site = \"sideways\"", "same_site"),
            ("name = \"a b\"", "session.name"),
            ("name = \"\"", "session.name"),
            ("name = \"__Host-s\"\nsecure = false", "session.name"),
            ("name = \"__Host-s\"\ndomain = \"example.org\"", "session.name"),
            ("domain = \"example.org/\"", "session.domain"),
            ("domain = \"..example.org\"", "session.domain"),
            ("domain = \"example.org.\"", "session.domain"),
            ("domain = \"-x.example.org\"", "session.domain"),
            ("expiry = \"0s\"", "session.expiry"),
            ("inactivity = \"2h\"\nexpiry = \"1h\"", "session.inactivity"),
            ("expiry = \"soon\"", "expiry"),
            ("portal_url = \"auth.example.org\"", "session.portal_url"),
            ("portal_url = \"https://\"", "session.portal_url"),
            ("portal_url = \"https://a@b.example\"", "session.portal_url"),
            ("title = \"\"", "session.title"),
            ("title = \"a\\nb\"", "session.title"),
            ("logo = \"https://cdn.example/logo.png\"", "session.logo"),
            ("logo = \"//cdn.example/logo.png\"", "session.logo"),
            ("logo = \"javascript:alert(1)\"", "session.logo"),
            ("allowed_redirect_hosts = [\"https://x.example\"]", "session.allowed_redirect_hosts"),
            ("allowed_redirect_hosts = [\"x.example:8443\"]", "session.allowed_redirect_hosts"),
        ];
        for (body, key) in cases {
            let e = parse(&format!("[session]\n{body}\n")).err().unwrap_or_else(|| panic!("accepted: {body}"));
            assert!(e.contains(key), "{body}: {e}");
        }
    }

    #[test]
    fn secure_none_is_accepted() {
        let s = parse("[session]\nsame_site = \"none\"\n").unwrap_or_else(|e| panic!("{e}")).session;
        assert_eq!(s.map(|s| s.same_site), Some(SameSite::None));
    }
}
