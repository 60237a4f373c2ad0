//! # wicket-core
//!
//! Everything in Wicket that *decides*, shared by the daemon (`wicketd`) and the admin CLI
//! (`wicket`).
//!
//! Data flows one way: a front (HTTP, local socket, CLI) turns a request into a credential,
//! hands it to [`verify::Authenticator::verify`], which canonicalises the name, asks the
//! throttle, the credential cache, then the backend chain (local SQLite store, LDAP, PAM) in
//! config order, checks the account, and returns an [`verify::Outcome`]: the decision, the
//! delay to wait and the audit event. Fronts never look at password hashes, the throttle or
//! the cache themselves.
//!
//! The local-socket protocol, its blocking client and [`secret::Secret`] live in the small
//! `wicket-proto` crate, re-exported here under the same paths ([`proto`], [`client`],
//! [`secret`]). The PAM and NSS modules depend on `wicket-proto` only, so no build of theirs —
//! not even a workspace build that unifies this crate's features — links SQLite, argon2,
//! LDAP, rustls or tokio into sshd or any process that calls `getpwnam`.
#![forbid(unsafe_code)]

pub use wicket_proto::{client, proto, secret};

pub mod clock;

pub mod duration;
pub mod error;
#[cfg(feature = "server")]
pub mod password;

#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod names;
#[cfg(feature = "server")]
pub mod token;

pub use error::{Error, Result};
#[cfg(feature = "server")]
pub mod access;
#[cfg(feature = "server")]
pub mod accounts;
#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod cache;
#[cfg(feature = "server")]
pub mod chain;
#[cfg(feature = "server")]
pub mod digest;
#[cfg(feature = "server")]
pub mod directory;
#[cfg(feature = "server")]
pub mod events;
#[cfg(feature = "server")]
pub mod ldap;
#[cfg(feature = "server")]
pub mod local;
#[cfg(feature = "server")]
pub mod oidc;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod throttle;
#[cfg(feature = "server")]
pub(crate) mod tls;
#[cfg(feature = "server")]
pub mod totp;
#[cfg(feature = "server")]
pub mod verify;
#[cfg(feature = "server")]
pub mod webauthn;
