//! `/etc/wicket/wicket.toml`: one file read by wicketd, the CLI and (for the socket path) the
//! modules. [`Config::parse`] is pure; [`Config::load`] only reads the file. Every default
//! lives in the `Default` impls below and nowhere else.

use crate::duration::parse_duration;
use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the CLI and the daemon look when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/wicket/wicket.toml";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listening addresses, realm, trusted proxies.
    pub server: ServerConfig,
    /// The SQLite user store.
    pub store: StoreConfig,
    /// HTTP schemes and their knobs.
    pub http: HttpConfig,
    /// Failure throttling.
    pub throttle: ThrottleConfig,
    /// Defaults for accounts created by `wicket user add`.
    pub users: UsersConfig,
    /// Password hashing parameters.
    pub passwords: PasswordConfig,
    /// The backend chain, tried in order.
    pub backend: Vec<BackendConfig>,
    /// Access rules for `/auth`, first match wins.
    pub rule: Vec<RuleConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server: ServerConfig::default(),
            store: StoreConfig::default(),
            http: HttpConfig::default(),
            throttle: ThrottleConfig::default(),
            users: UsersConfig::default(),
            passwords: PasswordConfig::default(),
            backend: vec![BackendConfig::Local(LocalBackendConfig {})],
            rule: Vec::new(),
        }
    }
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// HTTP listening address.
    pub listen: SocketAddr,
    /// Local socket for PAM and NSS.
    pub socket: PathBuf,
    /// Proxies whose `X-Original-*` / `X-Forwarded-*` headers are believed (CIDR list).
    pub trusted_proxies: Vec<String>,
    /// Realm for Basic and Digest challenges (Digest HA1 values are bound to it).
    pub realm: String,
    /// Most HTTP connections open at once; at the cap the longest-idle connection is closed
    /// to make room (wicketd(8)). Lowered at start to leave descriptors for the local socket.
    pub max_connections: usize,
    /// A new HTTP connection that sends nothing for this long is closed.
    #[serde(deserialize_with = "de_duration")]
    pub first_byte_timeout: Duration,
    /// A kept-alive HTTP connection idle this long between requests is closed.
    #[serde(deserialize_with = "de_duration")]
    pub keepalive_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8089)),
            socket: PathBuf::from("/run/wicket/wicketd.sock"),
            trusted_proxies: vec!["127.0.0.1/32".into(), "::1/128".into()],
            realm: "wicket".into(),
            max_connections: 1024,
            first_byte_timeout: Duration::from_secs(5),
            // Longer than nginx's upstream `keepalive_timeout` (60 s): nginx closes first.
            keepalive_timeout: Duration::from_secs(75),
        }
    }
}

/// `[store]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// SQLite database file.
    pub path: PathBuf,
    /// How long a writer waits for another writer's lock.
    #[serde(deserialize_with = "de_duration")]
    pub busy_timeout: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { path: PathBuf::from("/var/lib/wicket/wicket.db"), busy_timeout: Duration::from_secs(5) }
    }
}

/// An HTTP authentication scheme, in challenge order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// RFC 7617.
    Basic,
    /// RFC 7616.
    Digest,
    /// RFC 6750.
    Bearer,
}

/// A Digest hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum DigestAlgorithm {
    /// `SHA-256`, the default.
    #[serde(rename = "SHA-256")]
    Sha256,
    /// `MD5`, for old clients only.
    #[serde(rename = "MD5")]
    Md5,
}

impl DigestAlgorithm {
    /// The token used in HTTP and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Md5 => "MD5",
        }
    }
}

/// `[http]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Offered schemes; the first is the preferred one (nginx forwards only the first challenge).
    pub schemes: Vec<Scheme>,
    /// Digest algorithms offered and stored (HA1 per algorithm).
    pub digest_algorithms: Vec<DigestAlgorithm>,
    /// Digest nonce lifetime.
    #[serde(deserialize_with = "de_duration")]
    pub nonce_lifetime: Duration,
    /// How long a successful slow verification is remembered.
    #[serde(deserialize_with = "de_duration")]
    pub cache_ttl: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            schemes: vec![Scheme::Basic, Scheme::Digest, Scheme::Bearer],
            digest_algorithms: vec![DigestAlgorithm::Sha256],
            nonce_lifetime: Duration::from_secs(300),
            cache_ttl: Duration::from_secs(60),
        }
    }
}

/// `[throttle]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleConfig {
    /// Delay added after the 1st, 2nd, … failure (the last repeats).
    #[serde(deserialize_with = "de_durations")]
    pub delays: Vec<Duration>,
    /// Failures within `window` that trigger a lockout.
    pub max_failures: u32,
    /// Counting window.
    #[serde(deserialize_with = "de_duration")]
    pub window: Duration,
    /// Lockout length.
    #[serde(deserialize_with = "de_duration")]
    pub lockout: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            delays: vec![Duration::from_secs(1), Duration::from_secs(1), Duration::from_secs(5)],
            max_failures: 5,
            window: Duration::from_secs(300),
            lockout: Duration::from_secs(300),
        }
    }
}

/// `[users]`: defaults for accounts that `wicket user add` creates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsersConfig {
    /// First uid/gid Wicket allocates.
    pub uid_min: u32,
    /// Last uid/gid Wicket allocates.
    pub uid_max: u32,
    /// Home directory; `{user}` is replaced by the name.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

impl Default for UsersConfig {
    fn default() -> Self {
        Self { uid_min: 200_000, uid_max: 299_999, home: "/home/{user}".into(), shell: "/bin/bash".into() }
    }
}

/// `[passwords]`: argon2id parameters for new hashes. Stored hashes with other parameters
/// are rehashed on the next successful login.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    /// Memory in KiB (OWASP minimum 19456).
    pub argon2_memory_kib: u32,
    /// Passes (OWASP minimum 2).
    pub argon2_iterations: u32,
    /// Lanes.
    pub argon2_parallelism: u32,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        Self { argon2_memory_kib: 19_456, argon2_iterations: 2, argon2_parallelism: 1 }
    }
}

/// One `[[backend]]` block.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BackendConfig {
    /// Wicket's own SQLite store.
    Local(LocalBackendConfig),
    /// An LDAP directory.
    Ldap(Box<LdapConfig>),
    /// The system's PAM stack.
    Pam(PamConfig),
}

/// `kind = "ldap"`: direct bind (`user_dn`) or search-then-bind (`base` + `user_filter`,
/// with `bind_dn` + `bind_password[_file]` or anonymously).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// One server URL (`ldap://` or `ldaps://`).
    pub url: Option<String>,
    /// Several, tried in order (failover).
    #[serde(default)]
    pub urls: Vec<String>,
    /// Upgrade `ldap://` with StartTLS (never falls back to plaintext).
    #[serde(default)]
    pub starttls: bool,
    /// PEM CA bundle to verify the server with (default: the system's roots).
    pub ca_file: Option<PathBuf>,
    /// Direct bind template, e.g. `uid={user},ou=people,dc=example,dc=org`.
    pub user_dn: Option<String>,
    /// Service account for search-then-bind.
    pub bind_dn: Option<String>,
    /// Its password (prefer `bind_password_file`); never printed.
    pub bind_password: Option<crate::secret::Secret>,
    /// File holding its password (first line).
    pub bind_password_file: Option<PathBuf>,
    /// Search base for users.
    pub base: Option<String>,
    /// User filter; `{user}` is replaced by the RFC 4515-escaped name.
    #[serde(default = "default_user_filter")]
    pub user_filter: String,
    /// Search base for groups; absent = use `memberOf` on the user entry.
    pub group_base: Option<String>,
    /// Group filter; `{dn}` (escaped user DN) and `{user}` are replaced.
    #[serde(default = "default_group_filter")]
    pub group_filter: String,
    /// Connect and operation timeout.
    #[serde(default = "default_ldap_timeout", deserialize_with = "de_duration")]
    pub timeout: Duration,
    /// TTL of the lookup cache (NSS lookups).
    #[serde(default = "default_ldap_cache_ttl", deserialize_with = "de_duration")]
    pub cache_ttl: Duration,
    /// Attribute names.
    #[serde(default)]
    pub attributes: LdapAttributes,
}

fn default_user_filter() -> String {
    "(uid={user})".into()
}
fn default_group_filter() -> String {
    "(&(objectClass=groupOfNames)(member={dn}))".into()
}
fn default_ldap_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_ldap_cache_ttl() -> Duration {
    Duration::from_secs(60)
}

/// `[backend.attributes]`: how LDAP attributes map onto an identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdapAttributes {
    /// Login name.
    pub name: String,
    /// Full name.
    pub display_name: String,
    /// E-mail.
    pub email: String,
    /// POSIX uid.
    pub uid_number: String,
    /// POSIX gid.
    pub gid_number: String,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
    /// Group DNs on the user entry.
    pub member_of: String,
    /// Group name attribute on group entries.
    pub group_name: String,
}

impl Default for LdapAttributes {
    fn default() -> Self {
        Self {
            name: "uid".into(),
            display_name: "cn".into(),
            email: "mail".into(),
            uid_number: "uidNumber".into(),
            gid_number: "gidNumber".into(),
            home: "homeDirectory".into(),
            shell: "loginShell".into(),
            member_of: "memberOf".into(),
            group_name: "cn".into(),
        }
    }
}

impl LdapConfig {
    /// The server URLs in failover order.
    pub fn server_urls(&self) -> Vec<String> {
        self.url.iter().cloned().chain(self.urls.iter().cloned()).collect()
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let urls = self.server_urls();
        if urls.is_empty() {
            return Err("ldap backend: set `url` or `urls`".into());
        }
        for u in &urls {
            let lower = u.to_ascii_lowercase();
            if !(lower.starts_with("ldap://") || lower.starts_with("ldaps://")) {
                return Err(format!("ldap backend: `{u}` is not an ldap:// or ldaps:// URL"));
            }
            if self.starttls && lower.starts_with("ldaps://") {
                return Err("ldap backend: starttls = true needs ldap:// URLs".into());
            }
        }
        match (&self.user_dn, &self.base) {
            (Some(t), _) if !t.contains("{user}") => Err("ldap backend: user_dn must contain {user}".into()),
            (None, None) => Err("ldap backend: set user_dn (direct bind) or base (search-then-bind)".into()),
            (None, Some(_)) if !self.user_filter.contains("{user}") => {
                Err("ldap backend: user_filter must contain {user}".into())
            }
            _ if self.bind_password.is_some() && self.bind_password_file.is_some() => {
                Err("ldap backend: set bind_password or bind_password_file, not both".into())
            }
            _ if self.bind_dn.is_none() && (self.bind_password.is_some() || self.bind_password_file.is_some()) => {
                Err("ldap backend: a bind password needs bind_dn".into())
            }
            _ if self.bind_dn.is_some() && self.bind_password.is_none() && self.bind_password_file.is_none() => {
                Err("ldap backend: bind_dn needs bind_password or bind_password_file".into())
            }
            _ if self.timeout.is_zero() => Err("ldap backend: timeout must be > 0".into()),
            _ => Ok(()),
        }
    }
}

/// `kind = "pam"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PamConfig {
    /// PAM service name (a file in /etc/pam.d).
    #[serde(default = "default_pam_service")]
    pub service: String,
}

fn default_pam_service() -> String {
    "wicket".into()
}

/// `kind = "local"` has no options of its own (the store is `[store]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalBackendConfig {}

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Allow without credentials.
    Bypass,
    /// Require a valid identity (and one of `groups`, if given).
    Authenticated,
    /// Refuse (403).
    Deny,
}

/// One `[[rule]]` block for `/auth`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Exact host (case-insensitive, port ignored); absent = any.
    pub host: Option<String>,
    /// Regex on the path (without query); absent = any.
    pub path: Option<String>,
    /// Methods; absent or empty = any.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Client networks (CIDR); absent or empty = any.
    #[serde(default)]
    pub networks: Vec<String>,
    /// What to do.
    pub policy: Policy,
    /// Any-of group requirement for `authenticated`.
    #[serde(default)]
    pub groups: Vec<String>,
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map_err(serde::de::Error::custom)
}

fn de_durations<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<Duration>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    v.iter().map(|s| parse_duration(s).map_err(serde::de::Error::custom)).collect()
}

impl Config {
    /// Parses TOML text. `origin` names the source in errors (a path or `<inline>`).
    pub fn parse_named(text: &str, origin: &str) -> Result<Self> {
        let cfg: Config = toml::from_str(text)
            .map_err(|e| Error::Config { path: origin.to_string(), message: describe_toml_error(text, &e) })?;
        cfg.validate().map_err(|message| Error::Config { path: origin.to_string(), message })?;
        Ok(cfg)
    }

    /// Parses TOML text (pure; errors name `<inline>`).
    pub fn parse(text: &str) -> Result<Self> {
        Self::parse_named(text, "<inline>")
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: path.display().to_string(),
            message: match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".into(),
                _ => e.to_string(),
            },
        })?;
        Self::parse_named(&text, &path.display().to_string())
    }

    /// Checks relations between keys that serde cannot.
    fn validate(&self) -> std::result::Result<(), String> {
        let u = &self.users;
        if u.uid_min == 0 || u.uid_min > u.uid_max {
            return Err(format!("users.uid_min ({}) must be > 0 and <= users.uid_max ({})", u.uid_min, u.uid_max));
        }
        let p = &self.passwords;
        if p.argon2_memory_kib < 19_456 || p.argon2_iterations < 2 || p.argon2_parallelism == 0 {
            return Err("passwords: argon2 parameters below the OWASP minimum (argon2_memory_kib >= 19456, argon2_iterations >= 2, argon2_parallelism >= 1)".into());
        }
        if self.http.schemes.is_empty() {
            return Err("http.schemes must name at least one scheme".into());
        }
        if self.http.schemes.contains(&Scheme::Digest) && self.http.digest_algorithms.is_empty() {
            return Err("http.digest_algorithms must not be empty when digest is offered".into());
        }
        if self.server.realm.is_empty() || self.server.realm.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return Err("server.realm must be non-empty without quotes, backslashes or control characters".into());
        }
        if self.throttle.delays.is_empty() {
            return Err("throttle.delays must not be empty (use [\"0s\"] for no delay)".into());
        }
        if self.backend.is_empty() {
            return Err("at least one [[backend]] is required".into());
        }
        for b in &self.backend {
            match b {
                BackendConfig::Ldap(l) => l.validate()?,
                BackendConfig::Pam(p) if p.service.is_empty() || p.service.contains('/') => {
                    return Err("pam backend: service must be a plain name".into());
                }
                _ => {}
            }
        }
        if self.backend.iter().filter(|b| matches!(b, BackendConfig::Local(_))).count() > 1 {
            return Err("at most one local backend".into());
        }
        Ok(())
    }
}

/// Turns toml's multi-line report into one line naming the line number and key, without
/// echoing the value (it may be a password).
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = redact_secrets(text, &e.message().trim().replace('\n', " "));
    let Some(span) = e.span() else { return msg };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    let key = line.split('=').next().unwrap_or("").trim();
    let key_ok = !key.is_empty() && key.len() < 80 && line.contains('=');
    let secret = ["password", "secret", "token"].iter().any(|w| key.to_ascii_lowercase().contains(w));
    if key_ok && secret {
        // serde quotes the offending value; for these keys it may be a password.
        format!("line {line_no}, key `{key}`: invalid value (not shown)")
    } else if key_ok {
        format!("line {line_no}, key `{key}`: {msg}")
    } else {
        format!("line {line_no}: {msg}")
    }
}

/// Hides the values of secret-looking keys wherever serde quoted them in a message.
fn redact_secrets(text: &str, msg: &str) -> String {
    let mut out = msg.to_string();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else { continue };
        let k = k.trim().to_ascii_lowercase();
        if !["password", "secret", "token"].iter().any(|w| k.contains(w)) {
            continue;
        }
        for token in v.split(['[', ']', '"', '\'', ',', ' ', '\t', '{', '}']) {
            if token.len() >= 2 {
                out = out.replace(token, "***");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.server.listen.port(), 8089);
        assert_eq!(c.server.realm, "wicket");
        assert_eq!(c.http.schemes[0], Scheme::Basic);
        assert_eq!(c.throttle.max_failures, 5);
        assert_eq!(c.users.uid_min, 200_000);
        assert_eq!(c.backend.len(), 1);
    }

    #[test]
    fn design_sample_parses() {
        let text = r#"
[server]
listen = "127.0.0.1:9000"
socket = "/tmp/w.sock"
trusted_proxies = ["127.0.0.1/32"]
realm = "corp"
[store]
path = "/tmp/w.db"
[http]
schemes = ["digest", "basic"]
digest_algorithms = ["SHA-256", "MD5"]
nonce_lifetime = "120s"
cache_ttl = "1m"
[throttle]
delays = ["1s", "2s"]
max_failures = 3
window = "10m"
lockout = "1h"
[[backend]]
kind = "local"
[[rule]]
host = "app.example.org"
path = "^/admin/"
groups = ["admins"]
policy = "authenticated"
"#;
        let c = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.server.listen.port(), 9000);
        assert_eq!(c.http.schemes, vec![Scheme::Digest, Scheme::Basic]);
        assert_eq!(c.http.digest_algorithms, vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5]);
        assert_eq!(c.http.nonce_lifetime, Duration::from_secs(120));
        assert_eq!(c.throttle.lockout, Duration::from_secs(3600));
        assert_eq!(c.rule[0].policy, Policy::Authenticated);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = Config::parse("[server]\nrealm = \"x\"\nlisten_on = \"1.2.3.4:5\"\n").err().map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("listen_on"), "{e}");
        assert!(e.contains("<inline>"), "{e}");
    }

    #[test]
    fn bad_values_are_refused_without_echoing_them() {
        let e = Config::parse("[http]\nnonce_lifetime = \"s3cr3t\"\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("nonce_lifetime"), "{e}");
        for bad in [
            "[users]\nuid_min = 10\nuid_max = 5\n",
            "[passwords]\nargon2_memory_kib = 1024\n",
            "[http]\nschemes = []\n",
            "[server]\nrealm = \"a\\\"b\"\n",
            "[[backend]]\nkind = \"nosuch\"\n",
            "[[backend]]\nkind = \"local\"\nextra = 1\n",
            "backend = []\n",
            "[server]\nlisten = \"not an address\"\n",
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backends_parse_and_validate() {
        let text = r#"
[[backend]]
kind = "local"
[[backend]]
kind = "ldap"
urls = ["ldap://a:389", "ldap://b:389"]
starttls = true
bind_dn = "cn=reader,dc=example,dc=org"
bind_password_file = "/etc/wicket/ldap.secret"
base = "ou=people,dc=example,dc=org"
group_base = "ou=groups,dc=example,dc=org"
timeout = "2s"
[backend.attributes]
email = "mailPrimaryAddress"
[[backend]]
kind = "pam"
"#;
        let c = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.backend.len(), 3);
        let BackendConfig::Ldap(l) = &c.backend[1] else { panic!("not ldap") };
        assert_eq!(l.server_urls().len(), 2);
        assert_eq!(l.user_filter, "(uid={user})");
        assert_eq!(l.attributes.email, "mailPrimaryAddress");
        assert_eq!(l.attributes.name, "uid");
        assert_eq!(l.timeout, Duration::from_secs(2));
        let BackendConfig::Pam(p) = &c.backend[2] else { panic!("not pam") };
        assert_eq!(p.service, "wicket");
        for bad in [
            "[[backend]]\nkind = \"ldap\"\nbase = \"dc=x\"\n",
            "[[backend]]\nkind = \"ldap\"\nurl = \"http://x\"\nbase = \"dc=x\"\n",
            "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\n",
            "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nuser_dn = \"cn=fixed\"\n",
            "[[backend]]\nkind = \"ldap\"\nurl = \"ldaps://x\"\nstarttls = true\nbase = \"dc=x\"\n",
            "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nbase = \"dc=x\"\nbind_dn = \"cn=r\"\n",
            "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nbase = \"dc=x\"\nbogus = 1\n",
            "[[backend]]\nkind = \"pam\"\nservice = \"../etc\"\n",
            "[[backend]]\nkind = \"local\"\n[[backend]]\nkind = \"local\"\n",
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_values_never_appear_in_errors() {
        let text = "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nbase = \"dc=x\"\nbind_dn = \"cn=r\"\nbind_password = 4242\n";
        let e = Config::parse(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!e.contains("4242"), "{e}");
        let text = "[[backend]]\nkind = \"ldap\"\nurl = \"ldap://x\"\nbase = \"dc=x\"\nbind_dn = \"cn=r\"\nbind_password = [\"hunter2\"]\n";
        let e = Config::parse(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn load_missing_file_names_it() {
        let e = Config::load(Path::new("/nonexistent/wicket.toml")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("/nonexistent/wicket.toml"), "{e}");
    }
}
