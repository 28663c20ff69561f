"""The API the client calls with its access token, and DOT's device authorization endpoint
mended for oauthlib 4."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from oauth2_provider.decorators import protected_resource
from oauth2_provider.views import device


@protected_resource(advertise_metadata=True)
def me(request: HttpRequest) -> JsonResponse:
    """The token's user; any valid access token will do (no scope needed)."""
    user = request.resource_owner  # type: ignore[attr-defined]
    return JsonResponse({"id": user.pk, "username": user.username, "email": user.email})


class DeviceAuthorizationView(device.DeviceAuthorizationView):
    """DOT 3.4's view, without the `scope` oauthlib 4 adds to the response: DOT's
    `DeviceCodeResponse` takes no such field and the view fails with HTTP 500."""

    def create_device_authorization_response(self, request: HttpRequest) -> Any:
        headers, response, status = super().create_device_authorization_response(request)
        if status == 200:
            response.pop("scope", None)
        return headers, response, status
