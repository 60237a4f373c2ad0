//! The ID token's claims, checked (OpenID Connect Core 1.0, 3.1.3.7) once its signature is
//! good: `iss` is the provider's issuer exactly; `aud` (a string or a list) contains the
//! client id; with several audiences, `azp` is present and is the client id (and when
//! present it must be the client id anyway); `exp` has not passed; `iat` is at most
//! [`MAX_SKEW_SECS`] ahead; `nonce` is the one this browser's flow sent (constant-time).

use super::jose::Jws;
use super::keys::{KeyCache, Lookup};
use super::{OidcError, Result};
use serde::Deserialize;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// How far ahead of the clock `iat` may be, and how far past `exp` a token still counts.
pub const MAX_SKEW_SECS: i64 = 60;

/// What the checks compare against.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The configured issuer.
    pub issuer: &'a str,
    /// The configured client id.
    pub client_id: &'a str,
    /// The nonce this flow sent.
    pub nonce: &'a str,
    /// Now, seconds since the epoch.
    pub now: i64,
}

/// The checked claims: `sub` and every claim as sent (for the mapping).
#[derive(Debug, Clone, PartialEq)]
pub struct IdToken {
    /// The provider's stable identifier of the user.
    pub sub: String,
    /// Every claim of the token.
    pub claims: Map<String, Value>,
}

#[derive(Deserialize)]
struct Registered {
    iss: String,
    sub: String,
    aud: Audience,
    azp: Option<String>,
    exp: i64,
    iat: i64,
    nonce: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// What verifying with the cached keys found.
#[derive(Debug)]
pub enum Verified {
    /// The checked token.
    Good(IdToken),
    /// The `kid` is unknown and a fetch is allowed: fetch the key set, then call again.
    NeedKeys,
}

/// Verifies `token`'s signature with `keys` and checks its claims against `want`.
pub fn verify(token: &str, keys: &KeyCache, want: &Expected<'_>) -> Result<Verified> {
    let jws = Jws::parse(token)?;
    let key = match keys.lookup(jws.header.kid.as_deref(), want.now) {
        Lookup::Found(k) => k,
        Lookup::Refetch => return Ok(Verified::NeedKeys),
        Lookup::Unknown => return Err(OidcError::UnknownKey),
    };
    let payload = jws.verify(&key)?;
    check_claims(payload, want).map(Verified::Good)
}

/// The claim checks alone, on a payload whose signature was verified.
pub fn check_claims(payload: &[u8], want: &Expected<'_>) -> Result<IdToken> {
    let claims: Map<String, Value> =
        serde_json::from_slice(payload).map_err(|_| OidcError::Malformed("ID token claims"))?;
    let reg: Registered = serde_json::from_value(Value::Object(claims.clone()))
        .map_err(|_| OidcError::Malformed("ID token lacks iss, sub, aud, exp or iat"))?;
    if reg.iss != want.issuer {
        return Err(OidcError::Issuer);
    }
    let audiences = match &reg.aud {
        Audience::One(a) => vec![a.as_str()],
        Audience::Many(v) => v.iter().map(String::as_str).collect(),
    };
    if !audiences.contains(&want.client_id) {
        return Err(OidcError::Audience);
    }
    match reg.azp.as_deref() {
        Some(azp) if azp != want.client_id => return Err(OidcError::Audience),
        None if audiences.len() > 1 => return Err(OidcError::Audience),
        _ => {}
    }
    if want.now >= reg.exp.saturating_add(MAX_SKEW_SECS) {
        return Err(OidcError::Expired);
    }
    if reg.iat > want.now.saturating_add(MAX_SKEW_SECS) {
        return Err(OidcError::IssuedInFuture);
    }
    let nonce = reg.nonce.ok_or(OidcError::Nonce)?;
    if want.nonce.is_empty() || !bool::from(nonce.as_bytes().ct_eq(want.nonce.as_bytes())) {
        return Err(OidcError::Nonce);
    }
    if reg.sub.is_empty() {
        return Err(OidcError::Malformed("ID token sub is empty"));
    }
    Ok(IdToken { sub: reg.sub, claims })
}

#[cfg(test)]
mod tests {
    use super::super::jose::parse_jwks;
    use super::super::jose::test_keys::{Signer, ec, jwks, rsa};
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;
    const ISS: &str = "https://idp.example.org";

    fn want() -> Expected<'static> {
        Expected { issuer: ISS, client_id: "wicket", nonce: "n-123", now: NOW }
    }

    fn claims() -> Value {
        json!({"iss": ISS, "sub": "u-1", "aud": "wicket", "exp": NOW + 300, "iat": NOW - 5, "nonce": "n-123",
               "preferred_username": "carol"})
    }

    fn with(change: &[(&str, Value)]) -> Value {
        let mut c = claims();
        for (k, v) in change {
            if v.is_null() {
                c.as_object_mut().map(|o| o.remove(*k));
            } else {
                c[*k] = v.clone();
            }
        }
        c
    }

    fn cache(signers: &[&Signer], at: i64) -> KeyCache {
        let mut c = KeyCache::default();
        c.replace(parse_jwks(&jwks(signers)).unwrap_or_default(), at);
        c
    }

    fn check(signer: &Signer, keys: &KeyCache, claims: &Value) -> Result<IdToken> {
        match verify(&signer.sign(claims), keys, &want())? {
            Verified::Good(t) => Ok(t),
            Verified::NeedKeys => Err(OidcError::Malformed("needs keys")),
        }
    }

    #[test]
    fn a_good_token_passes_with_rsa_and_ec() {
        for s in [rsa('a', "r1"), ec("e1")] {
            let t = check(&s, &cache(&[&s], NOW), &claims()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(t.sub, "u-1");
            assert_eq!(t.claims["preferred_username"], "carol");
        }
    }

    #[test]
    fn each_check_fails_on_its_own() {
        let s = rsa('a', "r1");
        let keys = cache(&[&s], NOW);
        let cases: Vec<(Value, OidcError)> = vec![
            (with(&[("iss", json!("https://evil.example"))]), OidcError::Issuer),
            (with(&[("iss", json!("https://idp.example.org/"))]), OidcError::Issuer),
            (with(&[("aud", json!("other"))]), OidcError::Audience),
            (with(&[("aud", json!(["other", "third"]))]), OidcError::Audience),
            // Several audiences and no azp; azp naming another client.
            (with(&[("aud", json!(["wicket", "other"]))]), OidcError::Audience),
            (with(&[("azp", json!("other"))]), OidcError::Audience),
            (with(&[("exp", json!(NOW - MAX_SKEW_SECS))]), OidcError::Expired),
            (with(&[("iat", json!(NOW + MAX_SKEW_SECS + 1))]), OidcError::IssuedInFuture),
            (with(&[("nonce", json!("n-124"))]), OidcError::Nonce),
            (with(&[("nonce", Value::Null)]), OidcError::Nonce),
        ];
        for (c, err) in cases {
            assert_eq!(check(&s, &keys, &c).err(), Some(err.clone()), "{c}");
        }
        // Within the skew both ways.
        assert!(check(&s, &keys, &with(&[("exp", json!(NOW - MAX_SKEW_SECS + 1))])).is_ok());
        assert!(check(&s, &keys, &with(&[("iat", json!(NOW + MAX_SKEW_SECS))])).is_ok());
        // Several audiences with azp = us.
        assert!(check(&s, &keys, &with(&[("aud", json!(["wicket", "other"])), ("azp", json!("wicket"))])).is_ok());
        for missing in ["iss", "sub", "aud", "exp", "iat"] {
            assert!(
                matches!(check(&s, &keys, &with(&[(missing, Value::Null)])), Err(OidcError::Malformed(_))),
                "{missing}"
            );
        }
    }

    #[test]
    fn bad_signature_and_unknown_kid() {
        let (a, b) = (rsa('a', "r1"), rsa('b', "r1"));
        // Signed by another key under the same kid.
        assert_eq!(check(&b, &cache(&[&a], NOW), &claims()).err(), Some(OidcError::Signature));
        // A key the cache lacks, fetched moments ago: refused without a fetch.
        let c = rsa('b', "r2");
        assert_eq!(check(&c, &cache(&[&a], NOW - 1), &claims()).err(), Some(OidcError::UnknownKey));
        // Fetched a while ago: the caller is told to fetch (rotation), then it passes.
        let older = cache(&[&a], NOW - 120);
        assert!(matches!(verify(&c.sign(&claims()), &older, &want()), Ok(Verified::NeedKeys)));
        assert!(check(&c, &cache(&[&a, &c], NOW), &claims()).is_ok());
    }

    #[test]
    fn an_empty_expected_nonce_matches_nothing() {
        let s = ec("e1");
        let keys = cache(&[&s], NOW);
        let w = Expected { nonce: "", ..want() };
        let t = s.sign(&with(&[("nonce", json!(""))]));
        assert_eq!(verify(&t, &keys, &w).err(), Some(OidcError::Nonce));
    }
}
