//! `flet_auth.security`: `encrypt`, `decrypt`, Flet's two formats and `SecretBox`, with every
//! key derivation run with the GIL released.

use pyo3::prelude::*;
use zeroize::Zeroizing;

use crate::crypto::formats::{
    derive_key, open, open_flet_gcm, seal, seal_flet_fernet, seal_flet_gcm, Key,
};
use crate::crypto::secret_box::{self, Derive};
use crate::errors::Result;

/// Runs a key derivation with the GIL released; the secret is copied into zeroized memory.
fn without_gil<T: Send>(
    py: Python<'_>,
    secret: &str,
    work: impl FnOnce(&str) -> Result<T> + Send,
) -> PyResult<T> {
    let secret = Zeroizing::new(secret.to_owned());
    Ok(py.detach(|| work(&secret))?)
}

/// Encrypts text with a key derived from `secret_key` (PBKDF2-HMAC-SHA256, 600,000 rounds,
/// fresh salt) with AES-256-GCM. `decrypt` reads it back.
#[pyfunction]
pub fn encrypt(py: Python<'_>, plain_text: &str, secret_key: &str) -> PyResult<String> {
    let plain = Zeroizing::new(plain_text.to_owned());
    without_gil(py, secret_key, |s| seal(&plain, s))
}

/// Decrypts what `encrypt` wrote, and what Flet's `flet.security.encrypt` and
/// `encrypt_aes_gcm_256` wrote. Raises `InvalidToken` for a wrong key or damaged data.
#[pyfunction]
pub fn decrypt(py: Python<'_>, encrypted_data: &str, secret_key: &str) -> PyResult<String> {
    let data = encrypted_data.to_owned();
    without_gil(py, secret_key, |s| open(&data, s))
}

/// Encrypts in the format of Flet's `flet.security.encrypt` (salt + Fernet token), for data
/// that Flet apps must read.
#[pyfunction]
pub fn encrypt_fernet(py: Python<'_>, plain_text: &str, secret_key: &str) -> PyResult<String> {
    let plain = Zeroizing::new(plain_text.to_owned());
    without_gil(py, secret_key, |s| seal_flet_fernet(&plain, s))
}

/// Flet's `encrypt_aes_gcm_256`, byte for byte the same format.
#[pyfunction]
pub fn encrypt_aes_gcm_256(py: Python<'_>, plain_text: &str, secret_key: &str) -> PyResult<String> {
    let plain = Zeroizing::new(plain_text.to_owned());
    without_gil(py, secret_key, |s| seal_flet_gcm(&plain, s))
}

/// Flet's `decrypt_aes_gcm_256`. Raises `InvalidToken` for a wrong key or damaged data.
#[pyfunction]
pub fn decrypt_aes_gcm_256(
    py: Python<'_>,
    encrypted_data: &str,
    secret_key: &str,
) -> PyResult<String> {
    let data = encrypted_data.to_owned();
    without_gil(py, secret_key, |s| open_flet_gcm(&data, s))
}

/// Derives keys with the GIL released.
struct WithoutGil<'py>(Python<'py>);

impl Derive for WithoutGil<'_> {
    fn derive(&self, secret: &str, salt: &[u8; 16]) -> Key {
        self.0.detach(|| derive_key(secret, salt))
    }
}

/// Encrypts and decrypts with `secret_key`, deriving each key once per salt.
#[pyclass(frozen, module = "flet_auth.security", name = "SecretBox")]
pub struct SecretBox(secret_box::SecretBox);

#[pymethods]
impl SecretBox {
    #[new]
    fn new(secret_key: &str) -> Self {
        SecretBox(secret_box::SecretBox::new(secret_key))
    }

    /// Encrypts `plain_text` in the format of `flet_auth.security.encrypt`.
    fn encrypt(&self, py: Python<'_>, plain_text: &str) -> PyResult<String> {
        Ok(self.0.seal(plain_text, &WithoutGil(py))?)
    }

    /// Decrypts what `encrypt` (this box, another one, or the module's) and Flet's
    /// `flet.security` wrote with this passphrase. Raises `InvalidToken` otherwise.
    fn decrypt(&self, py: Python<'_>, encrypted_data: &str) -> PyResult<String> {
        Ok(self.0.open(encrypted_data, &WithoutGil(py))?)
    }

    /// Whether `encrypt()` (no argument) or `decrypt(encrypted_data)` would first derive a
    /// key (about 80 ms of PBKDF2): async code runs only those calls off its event loop.
    #[pyo3(signature = (encrypted_data=None))]
    fn would_derive(&self, encrypted_data: Option<&str>) -> bool {
        self.0.would_derive(encrypted_data)
    }

    /// How many derived keys the box holds (each cost one PBKDF2 derivation).
    #[getter]
    fn derived_keys(&self) -> usize {
        self.0.derived_keys()
    }

    fn __repr__(&self) -> String {
        format!("SecretBox(derived_keys={})", self.0.derived_keys())
    }
}
