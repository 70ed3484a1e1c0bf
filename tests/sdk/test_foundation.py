"""Foundation, as a user meets it: the official OpenAI SDK lists models, curl-style calls
introspect a key made with `hexaclaw admin`, errors come in the documented shape, and the raw
key never shows up in the gateway's logs or its data files."""
import json
import os

import openai
import pytest
from openai import OpenAI


def test_openai_sdk_lists_models(gateway):
    _, key = gateway.new_account()
    client = OpenAI(base_url=gateway.base + "/v1", api_key=key)
    models = list(client.models.list())
    ids = {m.id for m in models}
    assert len(models) >= 31
    for want in ["claude-sonnet-4-6", "gpt-4.1", "gemini-2.5-flash", "grok-3",
                 "deepseek-chat", "mistral-large-latest", "llama-3.3-70b-versatile"]:
        assert want in ids
    m = client.models.retrieve("claude-sonnet")
    assert m.id == "claude-sonnet-4-6"
    assert m.owned_by == "anthropic"


def test_openai_sdk_unknown_model_is_not_found(gateway):
    _, key = gateway.new_account()
    client = OpenAI(base_url=gateway.base + "/v1", api_key=key)
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-9-ultra")


def test_openai_sdk_bad_key_is_authentication_error(gateway):
    client = OpenAI(base_url=gateway.base + "/v1", api_key="hx_live_" + "A" * 40)
    with pytest.raises(openai.AuthenticationError) as e:
        client.models.list()
    assert e.value.status_code == 401
    assert e.value.body["type"] == "authentication_error"


def test_key_introspection_with_curl_style_call(gateway):
    acct, key = gateway.new_account(tier="max")
    status, headers, body = gateway.http("GET", "/v1/key", key=key)
    assert status == 200
    v = json.loads(body)
    assert v["account_id"] == acct
    assert v["tier"] == "max"
    assert v["prefix"] == key[:12]
    assert key[12:] not in body.decode()


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Bearer hx_live_" + "B" * 40, "Token x"])
def test_auth_errors_in_documented_shape(gateway, auth):
    headers = {"Authorization": auth} if auth else {}
    status, _, body = gateway.http("GET", "/v1/key", headers=headers)
    assert status == 401
    err = json.loads(body)["error"]
    assert err["code"] == 401 and err["type"] and err["message"]


def test_admin_works_while_gateway_runs_and_keys_never_logged(gateway):
    acct, key = gateway.new_account(credits=25)
    shown = gateway.admin("account", "show", "--account", acct)
    assert shown["available_credits"] == 25
    listed = gateway.admin("key", "list", "--account", acct)
    assert key[12:] not in json.dumps(listed)
    assert gateway.http("GET", "/v1/key", key=key)[0] == 200
    # Revoke through admin: the running gateway refuses the key (cache TTL 0 in tests).
    kid = listed["data"][0]["id"]
    gateway.admin("key", "revoke", "--account", acct, "--id", kid)
    assert gateway.http("GET", "/v1/key", key=key)[0] == 401
    # The secret part of the key is nowhere in the logs or the data files.
    assert key[8:] not in gateway.logs()
    for name in os.listdir(gateway.data_dir):
        with open(os.path.join(gateway.data_dir, name), "rb") as f:
            assert key[8:].encode() not in f.read(), name
