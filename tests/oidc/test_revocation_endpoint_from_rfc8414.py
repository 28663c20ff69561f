"""A discovery document without `revocation_endpoint`: `revoke()` takes it from the issuer's
RFC 8414 authorization server metadata (its `issuer` checked), fetched at revocation time;
without a usable one it is the configuration error of a provider without revocation. Against
a loopback provider written here that serves the documents it is given and records every
request."""

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs

import pytest

from flet_auth import AuthorizationService, ConfigurationError, OAuthToken, OpenIDProvider
from json_server import Answer, JSONServer, json_answer

RFC8414 = "/.well-known/oauth-authorization-server"
TOKEN = OAuthToken(access_token="at-1", refresh_token="rt-1", expires_in=3600)


class DocumentServer(JSONServer):
    """Answers GETs of the paths in `documents` with their JSON (404 otherwise) and POSTs to
    `/revoke` with 200; records `(method, path, form)` of each request."""

    def __init__(self) -> None:
        super().__init__()
        self.documents: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []

    def openid_document(self, issuer: str) -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
        }

    def paths(self, method: str) -> list[str]:
        return [path for m, path, _ in self.requests if m == method]

    def get(self, path: str) -> Answer:
        self.requests.append(("GET", path, {}))
        document = self.documents.get(path)
        return super().get(path) if document is None else json_answer(document)

    def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        self.requests.append(("POST", path, parse_qs(body.decode())))
        return 200, b""


@pytest.fixture
def idp() -> Iterator[DocumentServer]:
    server = DocumentServer()
    try:
        yield server
    finally:
        server.close()


def service_of(idp: DocumentServer, issuer: str) -> AuthorizationService:
    """A service of the issuer's OpenID provider (no revocation_endpoint in its discovery
    document), holding a token."""
    idp.documents[f"{issuer.removeprefix(idp.url)}/.well-known/openid-configuration"] = (
        idp.openid_document(issuer)
    )
    provider = OpenIDProvider(
        "client", "secret", "http://127.0.0.1:8550/cb", issuer=issuer, timeout=10
    )
    service = AuthorizationService(provider, fetch_user=False, fetch_groups=False)
    service.load_token(TOKEN.to_json())
    return service


def authorization_server_metadata(idp: DocumentServer, issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "token_endpoint": f"{idp.url}/token",
        "revocation_endpoint": f"{idp.url}/revoke",
    }


async def test_the_revocation_endpoint_comes_from_the_rfc_8414_metadata(
    idp: DocumentServer,
) -> None:
    issuer = f"{idp.url}/tenant-a"
    idp.documents[f"{RFC8414}/tenant-a"] = authorization_server_metadata(idp, issuer)
    service = service_of(idp, issuer)
    await service.revoke()
    revoked = [form["token"] for m, path, form in idp.requests if m == "POST"]
    assert idp.paths("POST") == ["/revoke", "/revoke"]
    assert revoked == [["rt-1"], ["at-1"]] and service.current_token is None


def test_an_issuer_with_a_path_also_has_its_metadata_looked_for_after_the_path(
    idp: DocumentServer,
) -> None:
    issuer = f"{idp.url}/o"
    idp.documents[f"/o{RFC8414}"] = authorization_server_metadata(idp, issuer)
    service_of(idp, issuer).revoke_sync()
    assert idp.paths("GET")[-2:] == [f"{RFC8414}/o", f"/o{RFC8414}"]
    assert idp.paths("POST") == ["/revoke", "/revoke"]


def test_without_rfc_8414_metadata_there_is_no_revocation_endpoint(
    idp: DocumentServer,
) -> None:
    issuer = f"{idp.url}/tenant-b"
    service = service_of(idp, issuer)
    with pytest.raises(ConfigurationError, match="no revocation_endpoint"):
        service.revoke_sync()
    assert f"{RFC8414}/tenant-b" in idp.paths("GET") and idp.paths("POST") == []


def test_rfc_8414_metadata_naming_another_issuer_is_not_used(idp: DocumentServer) -> None:
    issuer = f"{idp.url}/tenant-c"
    idp.documents[f"{RFC8414}/tenant-c"] = authorization_server_metadata(
        idp, f"{idp.url}/someone-else"
    )
    service = service_of(idp, issuer)
    with pytest.raises(ConfigurationError, match="no revocation_endpoint"):
        service.revoke_sync()
    assert f"{RFC8414}/tenant-c" in idp.paths("GET") and idp.paths("POST") == []
