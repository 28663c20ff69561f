//! The Unix time (seconds since 1970-01-01T00:00:00Z), as JWT claims (`exp`, `iat`), token
//! expiry and Fernet timestamps count it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time elapsed since the Unix epoch; zero on a clock set before it.
pub fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Whole seconds since the Unix epoch, as JWT NumericDate claims (RFC 7519 §2) are written.
pub fn now_secs() -> i64 {
    i64::try_from(since_epoch().as_secs()).unwrap_or(i64::MAX)
}

/// Seconds since the Unix epoch with their fraction, as `OAuthToken.expires_at` holds them.
pub fn now_secs_f64() -> f64 {
    since_epoch().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_after_2024_and_the_three_views_agree() {
        let (whole, fractional) = (now_secs(), now_secs_f64());
        assert!(whole > 1_704_067_200, "2024-01-01");
        assert!((fractional - whole as f64).abs() < 2.0);
        assert!(since_epoch().as_secs() as i64 - whole <= 1);
    }
}
