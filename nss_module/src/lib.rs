//! # nss_wicket — `libnss_wicket.so.2`
//!
//! A glibc NSS module that resolves users and groups managed by Wicket (its own store, or
//! LDAP behind it) by asking wicketd over its local socket. With `passwd: files wicket` and
//! `group: files wicket` in `/etc/nsswitch.conf`, `getent`, `id`, `ls -l` and every login
//! see Wicket's accounts.
//!
//! ## Data flow
//! glibc calls an entry point in [`ffi`] (`_nss_wicket_getpwnam_r` …). It finds the daemon
//! ([`daemon::system_daemon`]: the socket from `/etc/wicket/wicket.toml`, `[server] socket`,
//! or `/run/wicket/wicketd.sock`; never from the environment), asks one question with a 3 s
//! deadline ([`lookup`]), checks the answer, and packs it into the caller's buffer
//! ([`pack`]) or the caller's gid array ([`groups`]). Every outcome becomes an
//! `nss_status` and an errno in one place, [`status::Failure::status`].
//!
//! ## Rules this module keeps
//! - **Thin.** Only `wicket-proto`: protocol types and a blocking client (no `wicket-core`).
//!   No threads, no runtime, no thread-locals, no caching: one connection per lookup.
//! - **Fenced unsafe.** All `unsafe` lives in [`ffi`]; everything that decides is safe code
//!   behind the [`daemon::Daemon`] and [`groups::GidArray`] traits, unit-tested with fakes.
//! - **No panic reaches C.** Every entry point runs inside `catch_unwind`; a panic becomes
//!   `NSS_STATUS_UNAVAIL`.
//! - **Fails fast.** Daemon not running: `NSS_STATUS_UNAVAIL` at once. Daemon silent: the
//!   lookup gives up after the deadline.
//! - **Never recursive.** Inside wicketd itself every lookup is `NSS_STATUS_UNAVAIL`
//!   ([`daemon::inside_wicketd`]), so a system PAM stack running in wicketd cannot make the
//!   daemon ask itself.
//! - **No secrets, no root.** `pw_passwd` and `gr_passwd` are always `*`; an entry with
//!   uid 0 or gid 0 is never returned (root belongs to `files`).
//! - **No enumeration.** `getent passwd` without a key lists nothing from Wicket and does not
//!   fail.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod daemon;
pub mod groups;
pub mod lookup;
pub mod pack;
pub mod status;

// The one place allowed to use `unsafe`: the C entry points glibc calls.
#[allow(unsafe_code)]
pub mod ffi;
