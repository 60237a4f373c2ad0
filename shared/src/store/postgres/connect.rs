//! Making a connection: the URL parsed by the client, the password from the URL or a file,
//! TLS (rustls: the chain and the server's name verified against the system's roots, or
//! libpq's `sslrootcert=PATH`) unless every host is a Unix socket or `sslmode=disable`, and
//! the session's timeouts from `[store] busy_timeout`.

use crate::config::StoreUrl;
use crate::error::{Error, Result};
use postgres::config::{Host, SslMode};
use postgres::{Client, NoTls};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// What every new connection is made from.
pub(super) struct Target {
    config: postgres::Config,
    tls: Option<MakeRustlsConnect>,
    timeout_ms: u64,
}

impl Target {
    pub(super) fn new(url: &StoreUrl, password_file: Option<&Path>, busy_timeout: Duration) -> Result<Self> {
        let location = url.redacted();
        let invalid = |why: String| Error::Store { location: location.clone(), message: why };
        // The client's own parse error never quotes the URL; still, name only the redacted one.
        let (url_text, root_cert) = libpq_tls_options(url.expose()).map_err(invalid)?;
        let mut config: postgres::Config =
            url_text.parse().map_err(|e: postgres::Error| invalid(format!("invalid store.url: {e}")))?;
        if let Some(path) = password_file {
            let text =
                std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
            let password = text.lines().next().unwrap_or("").to_string();
            if password.is_empty() {
                return Err(invalid(format!("store.password_file {} is empty", path.display())));
            }
            config.password(password);
        }
        let timeout = busy_timeout.max(Duration::from_millis(1));
        config.application_name("wicket").connect_timeout(timeout);
        let tcp = config.get_hosts().iter().any(|h| matches!(h, Host::Tcp(_)));
        let tls = if tcp && config.get_ssl_mode() != SslMode::Disable {
            let rustls = crate::tls::client_config(root_cert.as_deref(), "store.url", "sslrootcert in the URL")?;
            Some(MakeRustlsConnect::new((*rustls).clone()))
        } else {
            None
        };
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        Ok(Self { config, tls, timeout_ms })
    }

    /// A new connection with the session's timeouts set.
    pub(super) fn connect(&self, location: &str) -> Result<Client> {
        let e = |err| super::map_err(location, err);
        let mut client = match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        }
        .map_err(e)?;
        // Numbers only: nothing from the configuration is spliced into SQL.
        let ms = self.timeout_ms;
        client
            .batch_execute(&format!(
                "SET statement_timeout = {ms}; SET lock_timeout = {ms}; SET idle_in_transaction_session_timeout = {}",
                ms.saturating_mul(4)
            ))
            .map_err(e)?;
        Ok(client)
    }
}

/// Takes out of the URL's query what libpq knows and the client does not: `sslrootcert=PATH`
/// (returned: the CA file to verify the server against, instead of the system's roots) and
/// the `sslmode` values `verify-ca` and `verify-full`, which become `require` — here
/// `require` always verifies the chain and the server's name, as `verify-full` does.
fn libpq_tls_options(url: &str) -> std::result::Result<(String, Option<PathBuf>), String> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_string(), None)) };
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslrootcert", path)) => {
                let path = percent_decode(path).ok_or("store.url: sslrootcert is not a valid path")?;
                if path.is_empty() {
                    return Err("store.url: sslrootcert is empty".into());
                }
                root_cert = Some(PathBuf::from(path));
            }
            Some(("sslmode", "verify-ca" | "verify-full")) => kept.push("sslmode=require"),
            _ => kept.push(pair),
        }
    }
    let text = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((text, root_cert))
}

/// `%XX` escapes decoded (a path in a URL); `None` for a broken escape or non-UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_tls_options_are_taken_out_of_the_url() {
        let (url, ca) = libpq_tls_options(
            "postgresql://w@db/x?sslmode=verify-full&sslrootcert=/etc/wicket/pg%20ca.pem&connect_timeout=3",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(url, "postgresql://w@db/x?sslmode=require&connect_timeout=3");
        assert_eq!(ca, Some(PathBuf::from("/etc/wicket/pg ca.pem")));
        let (url, ca) = libpq_tls_options("postgresql://w@db/x?sslrootcert=/ca.pem").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((url.as_str(), ca), ("postgresql://w@db/x", Some(PathBuf::from("/ca.pem"))));
        let (url, ca) = libpq_tls_options("postgresql://w@db/x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((url.as_str(), ca), ("postgresql://w@db/x", None));
        assert!(libpq_tls_options("postgresql://w@db/x?sslrootcert=").is_err());
        assert!(libpq_tls_options("postgresql://w@db/x?sslrootcert=%zz").is_err());
    }

    #[test]
    fn a_missing_root_certificate_is_named() {
        let url = StoreUrl::parse("postgresql://w@db.example/x?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
            .unwrap_or_else(|e| panic!("{e}"));
        let e = Target::new(&url, None, Duration::from_secs(1)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        // A Unix socket never reads it.
        let url = StoreUrl::parse("postgresql:///x?host=/run/postgresql&sslrootcert=/nonexistent/ca.pem")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(Target::new(&url, None, Duration::from_secs(1)).is_ok());
    }
}
