//! Reading an answer's body in chunks up to the provider's `max_response_size`: a
//! `Content-Length` above it is refused before reading, a body that grows past it is dropped
//! (with its connection) as soon as it does.

use bytes::{Bytes, BytesMut};

use crate::errors::{Error, Result};

/// The error for an answer over the cap: the endpoint and the cap, never the body.
pub fn too_large(status: u16, endpoint: &str, max_size: usize) -> Error {
    Error::invalid_response(
        status,
        endpoint,
        format!("the answer is larger than max_response_size ({max_size} bytes)"),
    )
}

/// Whether a declared `Content-Length` is over the cap.
pub fn declared_too_large(content_length: Option<u64>, max_size: usize) -> bool {
    content_length.is_some_and(|n| n > max_size as u64)
}

/// Reads the whole body, or fails once it passes `max_size` bytes.
pub async fn read(
    mut response: reqwest::Response,
    endpoint: &str,
    max_size: usize,
) -> Result<Bytes, ReadError> {
    let status = response.status().as_u16();
    let declared = response.content_length();
    if declared_too_large(declared, max_size) {
        return Err(ReadError::TooLarge(too_large(status, endpoint, max_size)));
    }
    let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(max_size));
    let mut body = BytesMut::with_capacity(capacity.min(max_size));
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len().saturating_add(chunk.len()) > max_size {
            return Err(ReadError::TooLarge(too_large(status, endpoint, max_size)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Why a body could not be read: over the cap, or the connection failed.
pub enum ReadError {
    TooLarge(Error),
    Transport(reqwest::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_length_above_the_cap_is_too_large_and_one_at_it_is_not() {
        assert!(declared_too_large(Some(1025), 1024));
        assert!(!declared_too_large(Some(1024), 1024));
        assert!(!declared_too_large(None, 1024));
    }

    #[test]
    fn the_too_large_error_names_the_endpoint_and_the_cap() {
        let e = too_large(200, "idp.invalid/token", 1024);
        assert!(matches!(
            e,
            Error::InvalidResponse {
                status: Some(200),
                ..
            }
        ));
        let text = e.to_string();
        assert!(text.contains("idp.invalid/token"), "{text}");
        assert!(text.contains("1024 bytes"), "{text}");
    }
}
