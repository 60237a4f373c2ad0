//! What a store keeps of a second factor: the sealed TOTP secret and replay state. Plain
//! data; sealing and the code arithmetic live in [`crate::totp`].

/// One account's TOTP enrolment.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// The backend the account comes from (`local`, an LDAP backend's name, `pam`).
    pub backend: String,
    /// The account name as that backend spells it.
    pub user_name: String,
    /// The secret sealed with the key file ([`crate::totp::TotpKey::seal`]); never plain.
    pub secret_enc: Vec<u8>,
    /// False until the first valid code confirms the enrolment.
    pub confirmed: bool,
    /// The latest time step accepted (-1: none): a code at or before it is refused.
    pub last_step: i64,
    /// When it was enrolled (Unix seconds).
    pub created_at: i64,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("backend", &self.backend)
            .field("user_name", &self.user_name)
            .field("secret_enc", &"***")
            .field("confirmed", &self.confirmed)
            .field("last_step", &self.last_step)
            .field("created_at", &self.created_at)
            .finish()
    }
}
