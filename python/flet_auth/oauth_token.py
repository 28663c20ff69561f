"""`OAuthToken`, as in `flet.auth.oauth_token`; implemented in the Rust engine."""

from flet_auth._core import OAuthToken

__all__ = ["OAuthToken"]
