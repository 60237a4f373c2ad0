//! `/etc/wicket/wicket.toml`: one file read by wicketd, the CLI and (for the socket path) the
//! modules. [`Config::parse`] is pure; [`Config::load`] only reads the file. Every default
//! lives in the `Default` impls below and nowhere else.

mod backend;
mod errors;
mod events;
mod fastcgi;
mod grpc;
mod invites;
mod listen;
mod oidc;
mod rule;
mod sections;
mod server;
mod session;
mod store;
#[cfg(test)]
mod tests;
mod totp;
mod webauthn;

pub use backend::{BackendConfig, LdapAttributes, LdapConfig, LocalBackendConfig, PamConfig};
pub use events::EventsConfig;
pub use fastcgi::{FastcgiConfig, FastcgiListen};
pub use grpc::{GrpcConfig, GrpcListen};
pub use invites::{InvitesConfig, MAX_INVITE_EXPIRY};
pub use listen::ListenAddr;
pub use oidc::{CALLBACK_PATH, ClientSecret, OidcConfig, Provision, UsernameClaim};
pub use rule::{Policy, RuleConfig};
pub use sections::{
    DigestAlgorithm, HttpConfig, PasswordConfig, Scheme, StoreConfig, ThrottleConfig, TokensConfig, UsersConfig,
};
pub use server::ServerConfig;
pub use session::{SameSite, SessionConfig};
pub use store::{DEFAULT_STORE_PATH, StoreUrl};
pub use totp::{DEFAULT_TOTP_KEY_FILE, TotpConfig};
pub use webauthn::{RelyingPartyConfig, UserVerification, WebauthnConfig};

use crate::duration::parse_duration;
use crate::error::{Error, Result};
use crate::password::limits::{MAX_ARGON2_ITERATIONS, MAX_ARGON2_MEMORY_KIB, MAX_ARGON2_PARALLELISM};
use errors::{describe_toml_error, escape_controls};
use serde::{Deserialize, Deserializer};
use std::path::Path;
use std::time::Duration;

/// Where the CLI and the daemon look when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/wicket/wicket.toml";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listening addresses, realm, trusted proxies.
    pub server: ServerConfig,
    /// The user store: an SQLite file or a PostgreSQL database.
    pub store: StoreConfig,
    /// HTTP schemes and their knobs.
    pub http: HttpConfig,
    /// Failure throttling.
    pub throttle: ThrottleConfig,
    /// Defaults for accounts created by `wicket user add`.
    pub users: UsersConfig,
    /// Password hashing parameters and the rules for new passwords.
    pub passwords: PasswordConfig,
    /// Token hygiene: revocation on password change, default expiry.
    pub tokens: TokensConfig,
    /// The backend chain, tried in order.
    pub backend: Vec<BackendConfig>,
    /// Access rules for `/auth`, first match wins.
    pub rule: Vec<RuleConfig>,
    /// Browser sign-in through the portal; `None` (no `[session]`) = no cookies at all.
    pub session: Option<SessionConfig>,
    /// The FastCGI AUTHORIZER listener for Apache; `None` (no `[fastcgi]`) = none.
    pub fastcgi: Option<FastcgiConfig>,
    /// The gRPC listener for Envoy's `ext_authz`; `None` (no `[grpc]`) = none.
    pub grpc: Option<GrpcConfig>,
    /// The event trail: how long events are kept.
    pub events: EventsConfig,
    /// TOTP codes as a second factor (issuer, sealing key, window).
    pub totp: TotpConfig,
    /// OpenID Connect providers for the portal (`[[oidc]]`).
    pub oidc: Vec<OidcConfig>,
    /// One-time links to choose a password (`wicket user invite`).
    pub invites: InvitesConfig,
    /// Passkeys in the portal (`[webauthn]`).
    pub webauthn: WebauthnConfig,
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
            tokens: TokensConfig::default(),
            backend: vec![BackendConfig::Local(LocalBackendConfig {})],
            rule: Vec::new(),
            session: None,
            fastcgi: None,
            grpc: None,
            events: EventsConfig::default(),
            totp: TotpConfig::default(),
            oidc: Vec::new(),
            invites: InvitesConfig::default(),
            webauthn: WebauthnConfig::default(),
        }
    }
}

/// What a bad duration is told; it never quotes the value (see [`errors`]).
const DURATION_EXPECTED: &str = "expected a duration such as 300s, 5m, 1h or 30d";

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map_err(|_| serde::de::Error::custom(DURATION_EXPECTED))
}

fn de_durations<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<Duration>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    v.iter().map(|s| parse_duration(s).map_err(|_| serde::de::Error::custom(DURATION_EXPECTED))).collect()
}

impl Config {
    /// Parses TOML text. `origin` names the source in errors (a path or `<inline>`).
    /// Errors name the key and the line, never the value, and hold no raw control character.
    pub fn parse_named(text: &str, origin: &str) -> Result<Self> {
        let origin = escape_controls(origin);
        let cfg: Config = toml::from_str(text)
            .map_err(|e| Error::Config { path: origin.clone(), message: describe_toml_error(text, &e) })?;
        cfg.validate().map_err(|message| Error::Config { path: origin, message: escape_controls(&message) })?;
        Ok(cfg)
    }

    /// Parses TOML text (pure; errors name `<inline>`).
    pub fn parse(text: &str) -> Result<Self> {
        Self::parse_named(text, "<inline>")
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: escape_controls(&path.display().to_string()),
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
            return Err("users.uid_min must be > 0 and <= users.uid_max".into());
        }
        let p = &self.passwords;
        if p.argon2_memory_kib < 19_456 || p.argon2_iterations < 2 || p.argon2_parallelism == 0 {
            return Err("passwords: argon2 parameters below the OWASP minimum (argon2_memory_kib >= 19456, argon2_iterations >= 2, argon2_parallelism >= 1)".into());
        }
        // Stored hashes over these caps are refused (crate::password), so Wicket must not
        // write any.
        if p.argon2_memory_kib > MAX_ARGON2_MEMORY_KIB
            || p.argon2_iterations > MAX_ARGON2_ITERATIONS
            || p.argon2_parallelism > MAX_ARGON2_PARALLELISM
        {
            return Err(format!(
                "passwords: argon2 parameters above Wicket's caps (argon2_memory_kib <= {MAX_ARGON2_MEMORY_KIB}, argon2_iterations <= {MAX_ARGON2_ITERATIONS}, argon2_parallelism <= {MAX_ARGON2_PARALLELISM})"
            ));
        }
        if p.min_length == 0 || p.min_length > 1024 {
            return Err("passwords.min_length must be between 1 and 1024".into());
        }
        if self.tokens.default_expiry.is_some_and(|d| d.is_zero()) {
            return Err(
                "tokens.default_expiry must be longer than 0s (leave it out for tokens that never expire)".into()
            );
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
        if self.events.retention.is_zero() {
            return Err("events.retention must be longer than 0s".into());
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
        self.totp.validate()?;
        oidc::validate_all(&self.oidc, self.session.as_ref().and_then(|s| s.portal_url.as_deref()))?;
        self.invites.validate()?;
        self.webauthn.validate(self.session.as_ref().and_then(|s| s.portal_url.as_deref()))?;
        Ok(())
    }
}
