"""The provider's keyword settings (`token_endpoint_auth_method`, `client_key`,
`client_key_alg`, `issuer`, `device_authorization_endpoint`, ...) reach the provider from
`register(...)`, from `client_kwargs` and from the config's `{NAME}_{SETTING}` keys."""

import json
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from flet_auth import ConfigurationError
from flet_auth.testing import MockOAuthServer
from flet_auth.web import provider_settings
from web.helpers import AppContext, mock_client

EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
RSA_PEM = RSAKey.generate_key(2048).as_pem(private=True).decode()


def test_client_key_and_its_method_given_to_register_reach_the_provider(
    server: MockOAuthServer,
) -> None:
    jwk = EC.as_dict(private=True)
    client = mock_client(server, token_endpoint_auth_method="private_key_jwt", client_key=jwk)
    provider = client.provider
    assert provider.token_endpoint_auth_method == "private_key_jwt"
    assert provider.client_key == jwk


def test_a_client_key_written_as_json_in_the_config_reaches_the_provider_as_a_dict(
    server: MockOAuthServer,
) -> None:
    jwk = EC.as_dict(private=True)
    context = AppContext({"MOCK_CLIENT_KEY": json.dumps(jwk), "MOCK_CLIENT_KEY_ALG": "ES256"})
    provider = mock_client(server, context).provider
    assert provider.client_key == jwk and provider.client_key_alg == "ES256"


def test_a_pem_client_key_with_escaped_line_breaks_is_read_as_pem(
    server: MockOAuthServer,
) -> None:
    context = AppContext({"MOCK_CLIENT_KEY": RSA_PEM.replace("\n", "\\n")})
    assert mock_client(server, context).provider.client_key == RSA_PEM


def test_client_kwargs_may_carry_the_provider_keywords(server: MockOAuthServer) -> None:
    kwargs = {
        "scope": "openid",
        "token_endpoint_auth_method": "private_key_jwt",
        "client_key": RSA_PEM,
        "client_key_alg": "PS256",
        "issuer": server.issuer,
        "device_authorization_endpoint": server.device_authorization_endpoint,
    }
    provider = mock_client(server, client_kwargs=kwargs).provider
    assert provider.token_endpoint_auth_method == "private_key_jwt"
    assert (provider.client_key, provider.client_key_alg) == (RSA_PEM, "PS256")
    assert provider.issuer == server.issuer
    assert provider.device_authorization_endpoint == server.device_authorization_endpoint


def test_issuer_and_device_authorization_endpoint_in_the_config_reach_the_provider(
    server: MockOAuthServer,
) -> None:
    context = AppContext(
        {
            "MOCK_ISSUER": server.issuer,
            "MOCK_DEVICE_AUTHORIZATION_ENDPOINT": server.device_authorization_endpoint,
        }
    )
    provider = mock_client(server, context).provider
    assert provider.issuer == server.issuer
    assert provider.device_authorization_endpoint == server.device_authorization_endpoint


@pytest.mark.parametrize(
    "key",
    [
        RSA_PEM[: len(RSA_PEM) // 2],
        json.dumps({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "d": "c2VjcmV0LWQ"}),
        '{"kty": "RSA", "d": "c2VjcmV0LWQ"',
        12345,
    ],
    ids=["truncated_pem", "invalid_ec_jwk", "broken_json", "a_number"],
)
def test_a_bad_client_key_is_refused_naming_the_setting_and_not_the_key(
    server: MockOAuthServer, key: Any
) -> None:
    client = mock_client(server, AppContext({"MOCK_CLIENT_KEY": key}))
    with pytest.raises(ConfigurationError, match="MOCK_CLIENT_KEY") as refused:
        client.check_settings()
    message = str(refused.value)
    assert "c2VjcmV0" not in message and "MII" not in message


def test_a_provider_keyword_the_provider_class_does_not_take_is_refused(
    server: MockOAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    keywords = (*provider_settings.PROVIDER_KEYWORDS, "no_such_setting")
    monkeypatch.setattr(provider_settings, "PROVIDER_KEYWORDS", keywords)
    client = mock_client(server, AppContext({"MOCK_NO_SUCH_SETTING": True}))
    with pytest.raises(ConfigurationError, match="MOCK_NO_SUCH_SETTING"):
        client.check_settings()


def test_a_dpop_key_written_as_json_in_the_config_reaches_the_provider_as_a_dict(
    server: MockOAuthServer,
) -> None:
    jwk = EC.as_dict(private=True)
    context = AppContext({"MOCK_DPOP": True, "MOCK_DPOP_KEY": json.dumps(jwk)})
    provider = mock_client(server, context).provider
    assert provider.dpop is True and provider.dpop_key == jwk


def test_a_dpop_key_that_is_not_json_is_refused_naming_the_setting(
    server: MockOAuthServer,
) -> None:
    context = AppContext({"MOCK_DPOP": True, "MOCK_DPOP_KEY": "not-a-jwk"})
    with pytest.raises(ConfigurationError, match="MOCK_DPOP_KEY is not valid JSON") as caught:
        _ = mock_client(server, context).provider
    assert "not-a-jwk" not in str(caught.value)
