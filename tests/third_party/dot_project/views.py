"""The API the client calls with its access token."""

from django.http import HttpRequest, JsonResponse
from oauth2_provider.decorators import protected_resource


@protected_resource(advertise_metadata=True)
def me(request: HttpRequest) -> JsonResponse:
    """The token's user; any valid access token will do (no scope needed)."""
    user = request.resource_owner  # type: ignore[attr-defined]
    return JsonResponse({"id": user.pk, "username": user.username, "email": user.email})
