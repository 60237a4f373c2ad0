//! What a store keeps of an invitation: whose it is and when it ends. Never the link's
//! token (only its SHA-256 is stored, and it is not part of this record).

use serde::Serialize;

/// One open (or used) invitation of a local user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InviteInfo {
    /// The local user the link sets a password for.
    pub user: String,
    /// True for a password reset of an existing account; false for a new account's first
    /// password.
    pub reset: bool,
    /// When the link was made (Unix seconds).
    pub created_at: i64,
    /// When the link stops working (Unix seconds).
    pub expires_at: i64,
    /// When it was used, if it was.
    pub used_at: Option<i64>,
}
