//! Wicket's integration tests: one binary, the real `wicket` and `wicketd` executables,
//! real clients and servers on loopback. Build the binaries first (`cargo build --workspace`);
//! `.ci/run` does.

mod support;

mod apache;
mod apache_provider;
mod caddy;
mod cli;
mod cli_accounts;
mod cli_edit;
mod cli_invite;
mod cli_passkey;
mod cli_totp;
mod cli_users;
mod cost;
mod envoy;
mod envoy_grpc;
mod events;
mod haproxy;
mod http;
mod http_limits;
mod import;
mod ldap;
mod ldap_wicketd;
mod members;
mod nss_module;
mod oidc;
mod pam_backend;
mod pam_module;
mod portal;
mod portal_caddy;
mod postgres;
mod postgres_copy;
mod postgres_multi;
mod postgres_tls;
mod postgres_watch;
mod promises;
mod token;
mod traefik;
