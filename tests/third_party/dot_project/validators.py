"""The OAuth2 validator, with the user's name and email in ID tokens and userinfo."""

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    """Adds `preferred_username`, `name` (scope `profile`) and `email` (scope `email`)."""

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "preferred_username": user.username,
            "name": user.get_full_name() or user.username,
            "email": user.email,
        }
