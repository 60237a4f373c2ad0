//! # wicket-proto
//!
//! What the PAM and NSS modules share with wicketd, and nothing more: the local-socket
//! protocol ([`proto`]: one length-prefixed JSON request per connection, one answer), the
//! blocking [`client`] that speaks it (one connection, a hard deadline, no threads, no
//! runtime), and [`secret::Secret`], the zeroizing wrapper passwords travel in.
//!
//! ```text
//! pam_wicket.so / libnss_wicket.so.2 ─► wicket_proto::client ─► wicketd.sock ─► wicketd
//!                                                                  (wicket-core decides)
//! ```
//!
//! The modules depend on this crate alone, never on `wicket-core`, so a workspace build —
//! where cargo unifies features — cannot pull SQLite, argon2, LDAP, rustls or tokio into a
//! process that loads them. `wicket-core` re-exports these modules under the same paths
//! (`wicket_core::proto`, `wicket_core::client`, `wicket_core::secret`).
#![forbid(unsafe_code)]

pub mod client;
pub mod proto;
pub mod secret;
