"""The OAuth2 validator, with the user's name and email in ID tokens and userinfo, and the
device code check oauthlib 4 asks for."""

from typing import Any, Optional

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

    def validate_device_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> Optional[str]:
        """oauthlib 4's hook, which DOT 3.4 lacks (its token view has already answered a
        pending, denied or expired code): the approved grant's user and scope, or None."""
        from oauth2_provider.models import get_device_grant_model
        from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant

        model = get_device_grant_model()
        grant = model.objects.filter(device_code=code, client_id=client_id).first()
        if grant is None or grant.status != model.AUTHORIZED:
            return None
        request.user = grant.user
        request.scopes = grant.scope.split()
        return DeviceCodeGrant.DEVICE_CODE_AUTHORIZED
