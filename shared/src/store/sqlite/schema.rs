//! Versioned migrations. `PRAGMA user_version` holds the number of the last one applied;
//! each runs once, in order, inside the opening transaction. Never edit a released step:
//! append a new one.

/// The migration steps; index + 1 is the schema version each produces.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: users, digest HA1, groups, memberships, tokens, and a change counter.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('generation', 0);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    uid                 INTEGER NOT NULL UNIQUE,
    gid                 INTEGER NOT NULL,
    display_name        TEXT,
    email               TEXT,
    home                TEXT NOT NULL,
    shell               TEXT NOT NULL,
    state               TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'locked', 'disabled')),
    expires_at          INTEGER,
    password_hash       TEXT,
    password_changed_at INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;

CREATE TABLE digest_ha1 (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    realm     TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    ha1       TEXT NOT NULL,
    userhash  TEXT NOT NULL,
    PRIMARY KEY (user_id, realm, algorithm)
) STRICT;
CREATE INDEX digest_ha1_userhash ON digest_ha1 (userhash);

CREATE TABLE groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    gid        INTEGER NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
) STRICT;
CREATE INDEX memberships_group ON memberships (group_id);

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    owner_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes       TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    UNIQUE (owner_id, name)
) STRICT;

-- Anything that can turn an accepted credential into a refused one bumps the generation,
-- so wicketd's credential cache is invalidated at once, whichever process made the change.
CREATE TRIGGER users_changed AFTER UPDATE OF name, uid, gid, state, expires_at, password_hash ON users
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER users_deleted AFTER DELETE ON users
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER groups_deleted AFTER DELETE ON groups
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER memberships_added AFTER INSERT ON memberships
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER memberships_removed AFTER DELETE ON memberships
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER tokens_revoked AFTER UPDATE OF revoked_at, expires_at ON tokens
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER tokens_deleted AFTER DELETE ON tokens
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
"#,
    // 2: browser sessions (the portal). A session is kept by the SHA-256 of its cookie value,
    // never the value. Not tied to `users` by a key: LDAP and PAM users have sessions too.
    // A local user's sessions end when the account is locked or disabled, renamed, deleted,
    // or its password set (not merely rehashed at login: `upgrade_password` leaves
    // `password_changed_at` out of its UPDATE, and `UPDATE OF` fires on the columns named).
    r#"
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL,
    backend      TEXT NOT NULL,
    uid          INTEGER,
    gid          INTEGER,
    display_name TEXT,
    email        TEXT,
    groups       TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    remember_me  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sessions_user ON sessions (user_name);

CREATE TRIGGER users_sessions_password AFTER UPDATE OF password_changed_at ON users
BEGIN DELETE FROM sessions WHERE backend = 'local' AND user_name = OLD.name; END;
CREATE TRIGGER users_sessions_state AFTER UPDATE OF state ON users WHEN NEW.state != 'active'
BEGIN DELETE FROM sessions WHERE backend = 'local' AND user_name = OLD.name; END;
CREATE TRIGGER users_sessions_renamed AFTER UPDATE OF name ON users WHEN NEW.name IS NOT OLD.name
BEGIN DELETE FROM sessions WHERE backend = 'local' AND user_name = OLD.name; END;
CREATE TRIGGER users_sessions_deleted AFTER DELETE ON users
BEGIN DELETE FROM sessions WHERE backend = 'local' AND user_name = OLD.name; END;
"#,
    // 3: the event trail: sign-in decisions (`kind = 'auth'`, written by wicketd in batches)
    // and administrative changes (`kind = 'admin'`, written by the CLI). Never a secret.
    // `actor_uid` is the local caller (the CLI's uid, PAM's peer); `actor` who ran the command
    // (SUDO_USER or the login name). Pruned by wicketd after [events] retention.
    r#"
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('auth', 'admin')),
    front     TEXT NOT NULL,
    scheme    TEXT NOT NULL,
    user      TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    backend   TEXT NOT NULL,
    client    TEXT,
    service   TEXT,
    method    TEXT,
    path      TEXT,
    actor_uid INTEGER,
    actor     TEXT,
    detail    TEXT
) STRICT;
CREATE INDEX events_at ON events (at);
CREATE INDEX events_user_at ON events (user, at);
"#,
    // 4: external members and tokens. Users of another backend (`ldap`, `pam`) are members
    // of Wicket groups and own tokens by (backend, canonical name), with no row in `users`. `tokens` is rebuilt so its owner is
    // either a local user (`owner_id`) or an external one (`owner_backend`, `owner_name`):
    // one table, so a token is still found by one indexed read of its hash. Its triggers
    // go with the old table and are made again.
    r#"
CREATE TABLE external_members (
    backend   TEXT NOT NULL,
    user_name TEXT NOT NULL,
    group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (backend, user_name, group_id)
) STRICT;
CREATE INDEX external_members_group ON external_members (group_id);
CREATE TRIGGER external_members_added AFTER INSERT ON external_members
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER external_members_removed AFTER DELETE ON external_members
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;

CREATE TABLE tokens_v2 (
    id            INTEGER PRIMARY KEY,
    hash          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    owner_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    owner_backend TEXT,
    owner_name    TEXT,
    scopes        TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    revoked_at    INTEGER,
    CHECK ((owner_id IS NULL) = (owner_backend IS NOT NULL) AND (owner_backend IS NULL) = (owner_name IS NULL)),
    UNIQUE (owner_id, name),
    UNIQUE (owner_backend, owner_name, name)
) STRICT;
INSERT INTO tokens_v2 (id, hash, name, owner_id, scopes, created_at, expires_at, last_used_at, revoked_at)
    SELECT id, hash, name, owner_id, scopes, created_at, expires_at, last_used_at, revoked_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v2 RENAME TO tokens;
CREATE TRIGGER tokens_revoked AFTER UPDATE OF revoked_at, expires_at ON tokens
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
CREATE TRIGGER tokens_deleted AFTER DELETE ON tokens
BEGIN UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;
"#,
    // 5: TOTP. A second factor per account, keyed by (backend, user_name) like sessions, so
    // LDAP and PAM users can enrol too. `secret_enc` is the secret sealed with the key file (never plain);
    // `last_step` is the latest accepted time step (-1: none yet), moved only forward, which
    // makes each code good once. Recovery codes are kept as SHA-256 hashes. A local user's
    // rows go when the user is deleted or renamed. Nothing here moves the generation: no
    // cached credential depends on a second factor yet.
    r#"
CREATE TABLE totp (
    backend    TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    secret_enc BLOB NOT NULL,
    confirmed  INTEGER NOT NULL DEFAULT 0,
    last_step  INTEGER NOT NULL DEFAULT -1,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (backend, user_name)
) STRICT;

CREATE TABLE recovery_codes (
    backend   TEXT NOT NULL,
    user_name TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (backend, user_name, code_hash)
) STRICT;

CREATE TRIGGER users_totp_renamed AFTER UPDATE OF name ON users WHEN NEW.name IS NOT OLD.name
BEGIN
    DELETE FROM totp WHERE backend = 'local' AND user_name = OLD.name;
    DELETE FROM recovery_codes WHERE backend = 'local' AND user_name = OLD.name;
END;
CREATE TRIGGER users_totp_deleted AFTER DELETE ON users
BEGIN
    DELETE FROM totp WHERE backend = 'local' AND user_name = OLD.name;
    DELETE FROM recovery_codes WHERE backend = 'local' AND user_name = OLD.name;
END;
"#,
    // 6 (issue 16): external identities. Which Wicket user an
    // OpenID Connect subject signs in as: `local` = linked to an existing local user (one
    // subject per provider per user), `oidc` = created on first sign-in (the name belongs to
    // one subject of one provider). A local user's links follow a rename and go with the
    // user. Nothing here moves the generation: a session, not this row, carries a sign-in.
    r#"
CREATE TABLE external_identities (
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    backend    TEXT NOT NULL CHECK (backend IN ('local', 'oidc')),
    user_name  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_login INTEGER,
    PRIMARY KEY (provider, subject)
) STRICT;
CREATE UNIQUE INDEX external_identities_created ON external_identities (user_name) WHERE backend = 'oidc';
CREATE UNIQUE INDEX external_identities_linked ON external_identities (provider, user_name) WHERE backend = 'local';
CREATE TRIGGER users_identities_renamed AFTER UPDATE OF name ON users WHEN NEW.name IS NOT OLD.name
BEGIN
    UPDATE external_identities SET user_name = NEW.name WHERE backend = 'local' AND user_name = OLD.name;
END;
CREATE TRIGGER users_identities_deleted AFTER DELETE ON users
BEGIN
    DELETE FROM external_identities WHERE backend = 'local' AND user_name = OLD.name;
END;
"#,
    // 7: how many factors a session was opened (or stepped up) with: 1 = password, 2 =
    // password and a second-factor code. Rows from before stay one-factor sessions.
    r#"
ALTER TABLE sessions ADD COLUMN factors INTEGER NOT NULL DEFAULT 1;
"#,
    // 8: invitations. A one-time link for a local user to choose a password in the portal:
    // a new account (no password yet: it cannot sign in) or a password reset. The link's
    // token is stored only as its SHA-256. One row per user (a new link replaces the old);
    // `used_at` is set once, in the transaction that sets the password. The row goes with
    // its user (deleted: cascade; renamed: it follows the row id).
    r#"
CREATE TABLE invites (
    user_id    INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL UNIQUE,
    reset      INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
"#,
    // 9: passkeys (WebAuthn credentials), per (backend, user_name) like TOTP so LDAP and PAM
    // users can register too. `credential_id` is unique across the store; `name` per
    // account. `sign_count` is the authenticator's counter at the last accepted use. A local
    // user's passkeys go when it is deleted or renamed. No generation move: no cached
    // credential depends on a second factor.
    r#"
CREATE TABLE passkeys (
    credential_id BLOB PRIMARY KEY,
    backend       TEXT NOT NULL,
    user_name     TEXT NOT NULL,
    public_key    BLOB NOT NULL,
    sign_count    INTEGER NOT NULL DEFAULT 0,
    name          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used     INTEGER,
    UNIQUE (backend, user_name, name)
) STRICT;
CREATE TRIGGER users_passkeys_renamed AFTER UPDATE OF name ON users WHEN NEW.name IS NOT OLD.name
BEGIN
    DELETE FROM passkeys WHERE backend = 'local' AND user_name = OLD.name;
END;
CREATE TRIGGER users_passkeys_deleted AFTER DELETE ON users
BEGIN
    DELETE FROM passkeys WHERE backend = 'local' AND user_name = OLD.name;
END;
"#,
];
