//! What a store keeps of a sign-in through an OpenID Connect provider: which Wicket user a
//! provider's subject is. The subject (`sub`) is the provider's stable identifier, so a
//! user renamed at the provider (another `preferred_username` or e-mail) stays the same
//! Wicket user; the mapped name is recorded on the first sign-in only.

/// One provider subject and the Wicket user it signs in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The `[[oidc]]` provider's name.
    pub provider: String,
    /// The provider's `sub`.
    pub subject: String,
    /// `local` (linked to an existing local user) or `oidc` (created on first sign-in).
    pub backend: String,
    /// The Wicket user name (canonical).
    pub user_name: String,
    /// First sign-in.
    pub created_at: i64,
    /// Latest sign-in.
    pub last_login: Option<i64>,
}
