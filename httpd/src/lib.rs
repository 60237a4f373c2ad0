//! # wicketd
//!
//! Wicket's daemon. One process answers every HTTP question about who someone is:
//! Basic (RFC 7617), Digest (RFC 7616) and Bearer (RFC 6750) on `/whoami`, and the access
//! check on `/auth` that nginx `auth_request` (and Traefik/Caddy forward-auth) calls before
//! serving a protected location.
//!
//! Data flows: [`server`] accepts a connection under a cap with per-phase timeouts
//! ([`conns`]), checks the `Host` rule for direct endpoints ([`host`]) and hands each
//! request to [`handler::handle`], which works out the original target
//! ([`target`]), applies the access rules ([`rules`]), parses the credentials
//! ([`credentials`], [`digest`]) and asks `wicket-core` — throttle, credential cache,
//! backend chain — on a blocking thread behind a semaphore, so argon2 never runs on the
//! reactor. State lives in [`app::App`]; a SIGHUP builds a new [`app::Runtime`] and swaps it
//! in whole.
#![forbid(unsafe_code)]

pub mod app;
pub mod conns;
pub mod credentials;
pub mod demo;
pub mod fds;
pub mod handler;
pub mod host;
pub mod metrics;
pub mod net;
pub mod notify;
pub mod portal;
pub mod rules;
pub mod server;
pub mod socket;
pub mod target;
