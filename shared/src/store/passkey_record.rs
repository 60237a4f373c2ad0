//! What a store keeps of a passkey (a WebAuthn credential): its id, public key and
//! signature counter, per account. Plain data; the checks live in [`crate::webauthn`].

/// One registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyRecord {
    /// The backend the account comes from (`local`, an LDAP backend's name, `pam`).
    pub backend: String,
    /// The account name as that backend spells it.
    pub user_name: String,
    /// The credential id the authenticator chose (unique across the store).
    pub credential_id: Vec<u8>,
    /// The COSE public key as the authenticator sent it.
    pub public_key: Vec<u8>,
    /// The signature counter of the last accepted use.
    pub sign_count: u32,
    /// The name the user gave it (unique per account).
    pub name: String,
    /// When it was registered (Unix seconds).
    pub created_at: i64,
    /// Its last accepted use.
    pub last_used: Option<i64>,
}

/// The refusal when a credential id is already registered (to anyone).
pub(crate) const TAKEN_ID: &str = "this passkey is already registered";

/// The refusal when the account already has a passkey of that name.
pub(crate) fn taken_name(name: &str) -> String {
    format!("a passkey named '{name}' already exists")
}
