//! `pam_wicket.so`: Linux-PAM logins checked by wicketd.
//!
//! The module is thin. Each `pam_sm_*` entry point (in [`ffi`], the only unsafe code) reads
//! the module arguments ([`options`]), wraps the PAM handle and wicketd's local socket
//! ([`daemon`]) behind the traits of [`logic`], and returns what [`logic::Module`] decides:
//!
//! ```text
//! libpam ─► ffi::pam_sm_* ─catch_unwind─► logic::Module ─► Pam (pam_get_user, pam_get_authtok, pam_syslog…)
//!                                                      └─► Daemon ─► wicket_proto::client ─► wicketd.sock
//! ```
//!
//! wicketd decides everything (backend chain, throttle, audit); the module maps its answer
//! to a PAM code. Only `wicket-proto` (the protocol and a blocking client) is linked in: no
//! threads, no runtime, no SQLite, LDAP or argon2 inside sshd. A panic never crosses into C: it becomes
//! `PAM_SYSTEM_ERR`. The socket path comes from the config file named on the module line
//! (default `/etc/wicket/wicket.toml`), never from the environment. See `pam_wicket(8)`.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod daemon;
mod ffi;
pub mod logic;
pub mod options;
pub mod pam;
