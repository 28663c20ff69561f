//! Encryption at rest: `encrypt`/`decrypt`, Flet's two formats, and `SecretBox`.

pub mod formats;
pub mod secret_box;
