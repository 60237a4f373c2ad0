//! # wicketd
//!
//! Wicket's daemon. One process answers every HTTP question about who someone is:
//! Basic (RFC 7617), Digest (RFC 7616) and Bearer (RFC 6750) on `/whoami`, and the access
//! check on `/auth` that nginx `auth_request` (and Traefik/Caddy forward-auth) calls before
//! serving a protected location.
//!
//! Data flows: [`server`] accepts a connection under a cap with per-phase timeouts
//! ([`conns`]), checks the `Host` rule for direct endpoints ([`host`]) and hands each
//! request to [`router::handle`], which reads the original target from the proxy's
//! headers ([`target`]) and the credentials ([`credentials`]), and asks `wicket-core`'s
//! access decision (`wicket_core::access::decide`: the rules, then `Authenticator::verify`
//! — throttle, credential cache, backend chain on the slow-work threads — then groups and
//! scopes); the handler only renders the answer for its front. State lives in [`app::App`]; a SIGHUP builds a new [`app::Runtime`] and swaps it
//! in whole.
#![forbid(unsafe_code)]

pub mod app;
pub mod authelia;
pub mod body;
pub mod conns;
pub mod credentials;
pub mod demo;
pub mod envoy;
pub mod events;
pub mod fastcgi;
pub mod fds;
pub mod grpc;
pub mod handler;
pub mod host;
pub mod listener;
pub mod metrics;
pub mod notify;
pub mod portal;
pub mod router;
pub mod server;
pub mod socket;
pub mod target;

/// CIDR blocks, moved to `wicket-core` with the rules that use them.
pub use wicket_core::access::net;
/// `[[rule]]` matching, moved to `wicket-core`.
pub use wicket_core::access::rules;

#[cfg(test)]
mod delay_tests;
