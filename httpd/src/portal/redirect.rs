//! Where a browser may be sent after sign-in: the `rd` parameter, checked.
//!
//! `rd` comes from whoever built the link, so it is an attacker's input. It is followed only
//! when it is, character for character, one of two shapes:
//!
//! - an absolute `http://` or `https://` URL (scheme in lower case) whose host is the session
//!   cookie domain or a subdomain of it, or exactly one of the configured allowed hosts; any
//!   port; no userinfo;
//! - a path on the portal's own origin: a single `/` followed by anything but `/` or `\`.
//!
//! Everything else — `//evil.example`, `https:evil.example`, `/\evil.example`,
//! `javascript:`, `data:`, `https://example.org@evil.example`, whitespace or control
//! characters anywhere, non-ASCII, characters outside RFC 3986 — is refused and the caller
//! falls back to the portal's own page. The check is a whitelist grammar, not a URL parser
//! plus exceptions: a string that browsers and this code could read differently is refused
//! rather than interpreted.
//!
//! Percent-encoding: `rd` is checked after the query string was decoded once. A malformed
//! escape (`%` not followed by two hex digits) is refused anywhere. In a portal-relative path,
//! an encoded `/`, `\` or `%` (`/%2F%2Fevil.example`, `/%5Cevil`, `/%252F…`) is refused too:
//! a server that decodes the path again would see `//evil.example`. Absolute URLs keep their
//! escapes, since their host is already fixed by the authority.
//!
//! Hosts compare in ASCII lower case, exactly; internationalised names match only in their
//! `xn--` form, so a look-alike in Unicode is simply not a match.

/// Longest `rd` considered; longer ones fall back.
pub const MAX_REDIRECT_LEN: usize = 4096;

/// Where `rd` may lead, from `[session]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectPolicy {
    /// The cookie domain, lower case, no leading dot: it and its subdomains are allowed.
    domain: Option<String>,
    /// Hosts allowed exactly, lower case.
    allowed_hosts: Vec<String>,
}

impl RedirectPolicy {
    /// A policy for a cookie domain (`example.org` or `.example.org`, any case) and a list
    /// of exact hosts.
    pub fn new(domain: Option<&str>, allowed_hosts: &[String]) -> Self {
        let domain = domain.map(|d| d.strip_prefix('.').unwrap_or(d).to_ascii_lowercase()).filter(|d| !d.is_empty());
        Self { domain, allowed_hosts: allowed_hosts.iter().map(|h| h.to_ascii_lowercase()).collect() }
    }

    /// The CSP sources (`form-action`) of the origins this policy allows, any port, http
    /// and https. IPv6 literals are left out (CSP host sources cannot name them), as is any
    /// host that is not a plain DNS name.
    pub fn csp_sources(&self) -> Vec<String> {
        let plain = |h: &str| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        let mut hosts = Vec::new();
        if let Some(d) = self.domain.as_deref().filter(|d| plain(d)) {
            hosts.push(d.to_string());
            hosts.push(format!("*.{d}"));
        }
        hosts.extend(self.allowed_hosts.iter().filter(|h| plain(h)).cloned());
        hosts.iter().flat_map(|h| [format!("http://{h}:*"), format!("https://{h}:*")]).collect()
    }

    /// Whether `host` (already lower case, without port) may be redirected to.
    fn allows_host(&self, host: &str) -> bool {
        let in_domain = self.domain.as_deref().is_some_and(|d| {
            host == d || host.strip_suffix(d).is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
        });
        in_domain || self.allowed_hosts.iter().any(|h| h == host)
    }
}

/// `rd` if it may be followed under `policy`, `None` if the caller must fall back.
/// The returned string is `rd` unchanged: printable ASCII only, safe in a `Location` header
/// (and HTML-escaped like any text when put in a page).
pub fn checked_redirect<'a>(rd: &'a str, policy: &RedirectPolicy) -> Option<&'a str> {
    if rd.is_empty() || rd.len() > MAX_REDIRECT_LEN || !rd.bytes().all(is_uri_byte) || !escapes_well_formed(rd) {
        return None;
    }
    if let Some(after_slash) = rd.strip_prefix('/') {
        return relative_ok(after_slash).then_some(rd);
    }
    let rest = rd.strip_prefix("https://").or_else(|| rd.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = host_of(&rest[..end])?;
    policy.allows_host(&host).then_some(rd)
}

/// `rd` if it may be followed, otherwise `fallback` (the portal's own page).
pub fn redirect_target<'a>(rd: Option<&'a str>, policy: &RedirectPolicy, fallback: &'a str) -> &'a str {
    rd.and_then(|rd| checked_redirect(rd, policy)).unwrap_or(fallback)
}

/// RFC 3986 characters: unreserved, reserved and `%`. No space, control, quote, `<>\^`{|}`
/// or anything beyond ASCII.
fn is_uri_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// Every `%` starts a two-hex-digit escape.
fn escapes_well_formed(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().filter(|(_, c)| **c == b'%').all(|(i, _)| {
        b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    })
}

/// The part of a portal-relative `rd` after its leading `/`: not a second slash, and no
/// encoded slash, backslash or percent in the path.
fn relative_ok(after_slash: &str) -> bool {
    if after_slash.starts_with('/') {
        return false;
    }
    let path = &after_slash[..after_slash.find(['?', '#']).unwrap_or(after_slash.len())];
    let lower = path.to_ascii_lowercase();
    !["%2f", "%5c", "%25"].iter().any(|e| lower.contains(e))
}

/// The host of an authority `host[:port]`, lower case, if the authority is exactly that: a
/// DNS name or IPv4 address (letters, digits, `-`, non-empty labels, no trailing dot), or a
/// bracketed IPv6 literal, and an optional port of 1 to 5 digits up to 65535. No userinfo.
fn host_of(authority: &str) -> Option<String> {
    if authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let close = bracketed.find(']')?;
        let inner = &bracketed[..close];
        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
            return None;
        }
        let port = match &bracketed[close + 1..] {
            "" => None,
            after => Some(after.strip_prefix(':')?),
        };
        (&authority[..close + 2], port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if port.is_some_and(|p| !port_ok(p)) {
        return None;
    }
    let dns_ok = host.starts_with('[')
        || (!host.is_empty()
            && host.len() <= 253
            && host
                .split('.')
                .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')));
    dns_ok.then(|| host.to_ascii_lowercase())
}

/// A port: 1 to 5 digits, at most 65535.
fn port_ok(port: &str) -> bool {
    (1..=5).contains(&port.len())
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|p| p <= 65_535)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RedirectPolicy {
        RedirectPolicy::new(Some(".Example.org"), &["wiki.partner.example".to_string(), "[::1]".to_string()])
    }

    #[test]
    fn followed() {
        let p = policy();
        for rd in [
            "https://example.org",
            "https://example.org/",
            "http://example.org/x",
            "https://app.example.org/path?q=1#frag",
            "https://deep.app.example.org/",
            "https://APP.Example.ORG/",
            "https://app.example.org:8443/x",
            "https://app.example.org?x=%2F%2Fevil.example",
            "https://app.example.org#@evil.example",
            "https://app.example.org/a%2Fb",
            "https://wiki.partner.example/page",
            "https://wiki.partner.example:444/",
            "http://[::1]:8080/",
            "/",
            "/dashboard",
            "/a/b?c=d&e=%20f#g",
            "/search?q=%2F%2Fevil.example",
        ] {
            assert_eq!(checked_redirect(rd, &p), Some(rd), "{rd} must be followed");
        }
    }

    #[test]
    fn refused() {
        let p = policy();
        for rd in [
            "",
            // protocol-relative and slash games
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "/\\/evil.example",
            // scheme without authority, other schemes, upper case
            "https:evil.example",
            "https:/evil.example",
            "http:/\\evil.example",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:x",
            "ftp://example.org/",
            "HTTPS://example.org/",
            "Https://example.org/",
            "ws://example.org/",
            // hosts not allowed
            "https://evil.example",
            "https://evil.example/https://example.org",
            "https://example.org.evil.example/",
            "https://evilexample.org/",
            "https://xexample.org/",
            "https://partner.example/",
            "https://wiki.partner.example.evil/",
            "https://sub.wiki.partner.example/",
            "https://[::2]/",
            "https://127.0.0.1/",
            // userinfo
            "https://example.org@evil.example",
            "https://example.org:443@evil.example/",
            "https://user:pw@app.example.org/",
            "https://@app.example.org/",
            "https://evil.example\\@example.org",
            "https://evil.example%40example.org",
            "https://evil.example%2F@example.org",
            // whitespace and controls
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/ok\r\nSet-Cookie: x=1",
            "https://app.example.org/\u{0}",
            "java\tscript:alert(1)",
            // encoded tricks
            "/%2F%2Fevil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%252F%252Fevil.example",
            "/x%2F/y",
            "%2F%2Fevil.example",
            "/%",
            "/%zz",
            "/%2",
            "https://app.example.org/%g0",
            // malformed authorities
            "https://",
            "https:///evil.example",
            "https://:443/",
            "https://app.example.org:/",
            "https://app.example.org:99999/",
            "https://app.example.org:8a/",
            "https://app.example.org:443:443/",
            "https://app.example.org./",
            "https://.example.org/",
            "https://app..example.org/",
            "https://app.example.org;x/",
            "https://[::1/",
            "https://[::1]x/",
            "https://[]/",
            // non-ASCII and characters outside RFC 3986
            "https://exаmple.org/",
            "https://app.example.org/<script>",
            "https://app.example.org/\"x",
            "/a b",
            "/{x}",
        ] {
            assert_eq!(checked_redirect(rd, &p), None, "{rd:?} must fall back");
        }
    }

    #[test]
    fn no_domain_allows_only_listed_hosts_and_paths() {
        let p = RedirectPolicy::new(None, &[]);
        assert_eq!(checked_redirect("https://example.org/", &p), None);
        assert_eq!(checked_redirect("/home", &p), Some("/home"));
        let p = RedirectPolicy::new(Some("."), &[]);
        assert_eq!(checked_redirect("https://x./", &p), None);
    }

    #[test]
    fn too_long_falls_back() {
        let p = policy();
        let long = format!("/{}", "a".repeat(MAX_REDIRECT_LEN));
        assert_eq!(checked_redirect(&long, &p), None);
        let fits = format!("/{}", "a".repeat(MAX_REDIRECT_LEN - 1));
        assert_eq!(checked_redirect(&fits, &p), Some(fits.as_str()));
    }

    #[test]
    fn csp_sources_follow_the_policy() {
        assert!(RedirectPolicy::new(None, &[]).csp_sources().is_empty());
        assert_eq!(
            policy().csp_sources(),
            [
                "http://example.org:*",
                "https://example.org:*",
                "http://*.example.org:*",
                "https://*.example.org:*",
                "http://wiki.partner.example:*",
                "https://wiki.partner.example:*",
            ]
        );
        let hostile = RedirectPolicy::new(Some("a.org; script-src *"), &["b.org 'unsafe-inline'".to_string()]);
        assert!(hostile.csp_sources().is_empty());
    }

    #[test]
    fn target_falls_back_to_portal() {
        let p = policy();
        assert_eq!(redirect_target(Some("//evil.example"), &p, "/"), "/");
        assert_eq!(redirect_target(None, &p, "/"), "/");
        assert_eq!(redirect_target(Some("https://app.example.org/x"), &p, "/"), "https://app.example.org/x");
    }
}
