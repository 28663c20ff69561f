//! flet-auth's bundled OAuth 2.0 / OpenID Connect provider, for tests and offline development:
//! served on 127.0.0.1 by [`MockServer`], the engine of `flet_auth.testing.MockOAuthServer`.
//!
//! Its forged ID tokens are data too: [`Forgery::ALL`] lists every kind with the [`Rule`] a
//! verifier must refuse it for, and [`ForgeryMatrix`] makes each one, without a server, for
//! the facts a client expects, with the JWK Set to verify them against.
//!
//! Modules, each using only those above it: `error`; `users`, `keys`, `faults`, `replay`,
//! `rfc7523`;
//! `config`, `id_token`, `grants`, `device`, `discovery`, `pages`, `rfc9126`, `rfc9207`, `rfc9449`;
//! `forgery`; `matrix`, `state`; `routes`; `server`.

mod config;
mod device;
mod discovery;
mod error;
mod faults;
mod forgery;
mod grants;
mod id_token;
mod keys;
mod matrix;
mod pages;
mod replay;
mod rfc7523;
mod rfc9126;
mod rfc9207;
mod rfc9449;
mod routes;
mod server;
mod state;
mod users;

pub use config::Settings;
pub use error::{IdTokenError, KeyError, MockError};
pub use faults::{Endpoint, Fault};
pub use forgery::{Forgery, Rule};
pub use keys::SigningAlg;
pub use matrix::{ClientFacts, ForgeryMatrix};
pub use rfc7523::ClientAssertion;
pub use rfc9207::{IssForgery, WRONG_ISSUER};
pub use server::MockServer;
pub use users::{users_from_claims, MockUser};
