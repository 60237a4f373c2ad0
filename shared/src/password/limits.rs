//! Caps on the cost parameters of stored argon2 hashes.
//!
//! An argon2 PHC string carries its own memory, pass and lane counts, and verifying it spends
//! exactly that: `m=191000000` asks for 182 GiB and aborts the process. Hashes Wicket writes
//! use the `[passwords]` parameters (kept under these caps by [`Hasher::new`](super::Hasher)),
//! so only an imported or hand-edited hash can exceed them. Such a hash is refused on import
//! and treated as a wrong password on verify, without being hashed.

use argon2::Params;

/// Most memory a stored argon2 hash may ask for, in KiB: 256 MiB. Sixteen times OWASP's
/// 19 MiB recommendation and four times the strongest profile of RFC 9106 that most
/// deployments use (64 MiB), yet a handful of concurrent logins still fit in a small VM.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 262_144;

/// Most passes: RFC 9106's profiles use 1 to 3, OWASP's 2 to 5; 16 passes over 256 MiB is
/// already several seconds per login.
pub const MAX_ARGON2_ITERATIONS: u32 = 16;

/// Most lanes: each lane may become a thread in other implementations, and nobody needs
/// more than the cores of a large server; 16 leaves room for every published profile (≤ 8).
pub const MAX_ARGON2_PARALLELISM: u32 = 16;

/// Why `params` exceed the caps, or `None` when they are within them. The text names the
/// parameter and the limit, never the hash.
pub(crate) fn argon2_over_caps(m_kib: u32, t: u32, p: u32) -> Option<&'static str> {
    if m_kib > MAX_ARGON2_MEMORY_KIB {
        Some("argon2 memory cost above the 262144 KiB (256 MiB) limit")
    } else if t > MAX_ARGON2_ITERATIONS {
        Some("argon2 time cost above the limit of 16 passes")
    } else if p > MAX_ARGON2_PARALLELISM {
        Some("argon2 parallelism above the limit of 16 lanes")
    } else {
        None
    }
}

/// [`argon2_over_caps`] for parsed parameters.
pub(crate) fn params_over_caps(params: &Params) -> Option<&'static str> {
    argon2_over_caps(params.m_cost(), params.t_cost(), params.p_cost())
}
