//! The protocol helpers that flet-auth's client engine and its bundled provider share, one copy
//! each: PKCE (RFC 7636), `at_hash` / `c_hash` (OpenID Connect Core), the Unix time, random
//! values for states, codes and tokens, and HTML escaping for the pages either side serves.

pub mod html;
pub mod random;
pub mod rfc7636;
pub mod time;
pub mod token_hash;
