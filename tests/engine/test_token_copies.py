"""`copy.copy`, `copy.deepcopy` and `pickle` of an `OAuthToken`, which work on Flet's token
(a plain Python object) and so must work on ours."""

import copy
import pickle

from flet_auth import OAuthToken

JSON = (
    '{"access_token":"secret-access-token","scope":["openid","email"],"token_type":"Bearer",'
    '"expires_at":4102444800.0,"refresh_token":"secret-refresh-token","custom":{"n":1}}'
)


def test_a_copied_token_has_the_same_fields() -> None:
    token = OAuthToken.from_json(JSON)
    assert copy.copy(token).to_json() == token.to_json()


def test_changing_a_copy_leaves_the_original_alone() -> None:
    token = OAuthToken.from_json(JSON)
    duplicate = copy.copy(token)
    duplicate.access_token = "changed"
    duplicate.scope = ["other"]
    assert token.access_token == "secret-access-token" and token.scope == ["openid", "email"]


def test_a_deep_copy_is_an_independent_token_with_the_same_fields() -> None:
    token = OAuthToken.from_json(JSON)
    duplicate = copy.deepcopy(token)
    duplicate.refresh_token = None
    assert token.refresh_token == "secret-refresh-token"
    assert copy.deepcopy(token).to_json() == token.to_json()


def test_a_pickled_token_reads_back_with_its_unknown_fields() -> None:
    token = OAuthToken.from_json(JSON)
    again = pickle.loads(pickle.dumps(token))
    assert isinstance(again, OAuthToken) and again.to_json() == token.to_json()
